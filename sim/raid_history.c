/*
 * The history checker's event side: which command each index holds, which
 * voters had it durable when it was first applied, which executors run at
 * once, when faults end, and the verdict on healing.  The model of slots,
 * tasks and the ledger is raid_history_model.c.
 */
#include "raid_history_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rh_violation(struct raid_history *h, uint64_t t_us, uint32_t node,
                  const char *fmt, ...) {
  if (h->n_viol < RAID_HISTORY_KEEP) {
    struct raid_violation *v = &h->viol[h->n_viol];
    v->t_us = t_us;
    v->node = node;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->what, sizeof v->what, fmt, ap);
    va_end(ap);
  }
  h->n_viol++;
}

bool rh_grow(void **buf, size_t *cap, size_t want, size_t size) {
  if (want <= *cap)
    return true;
  size_t n = *cap ? *cap : 16;
  while (n < want)
    n *= 2;
  void *p = realloc(*buf, n * size);
  if (p == NULL)
    return false;
  memset((char *)p + *cap * size, 0, (n - *cap) * size);
  *buf = p;
  *cap = n;
  return true;
}

struct raid_history *raid_history_new(uint32_t n_nodes) {
  struct raid_history *h = calloc(1, sizeof *h);
  if (h == NULL)
    return NULL;
  h->n_nodes = n_nodes;
  h->ids = calloc(n_nodes ? n_nodes : 1, sizeof *h->ids);
  h->has_id = calloc(n_nodes ? n_nodes : 1, sizeof *h->has_id);
  h->logs = calloc(n_nodes ? n_nodes : 1, sizeof *h->logs);
  h->m.next_task_id = 1;
  if (h->ids == NULL || h->has_id == NULL || h->logs == NULL) {
    raid_history_free(h);
    return NULL;
  }
  return h;
}

void raid_history_free(struct raid_history *h) {
  if (h == NULL)
    return;
  for (uint32_t i = 0; h->logs != NULL && i < h->n_nodes; i++)
    free(h->logs[i].e);
  for (size_t i = 0; i < h->n_cfg; i++)
    free(h->cfg[i].voters);
  free(h->cfg);
  free(h->logs);
  free(h->ids);
  free(h->has_id);
  free(h->applied);
  free(h->exec);
  rh_model_free(&h->m);
  free(h);
}

/* FNV-1a, 64 bits: the entries are not adversarial, only compared. */
uint64_t raid_history_hash(const uint8_t *buf, size_t len) {
  uint64_t x = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < len; i++)
    x = (x ^ buf[i]) * 0x100000001b3ull;
  return x;
}

void raid_history_node_id(struct raid_history *h, uint32_t node,
                          const uint8_t id[RAID_HISTORY_ID_LEN]) {
  if (node >= h->n_nodes)
    return;
  memcpy(h->ids[node], id, RAID_HISTORY_ID_LEN);
  h->has_id[node] = true;
}

void raid_history_voters(struct raid_history *h, uint64_t t_us,
                         uint64_t from_index, const uint32_t *voters,
                         size_t n) {
  struct rh_config *cfg = realloc(h->cfg, (h->n_cfg + 1) * sizeof *cfg);
  uint32_t *copy = malloc((n ? n : 1) * sizeof *copy);
  if (cfg != NULL)
    h->cfg = cfg;
  if (cfg == NULL || copy == NULL) {
    free(copy);
    rh_violation(h, t_us, RAID_HISTORY_NO_NODE, "out of memory (voters)");
    return;
  }
  memcpy(copy, voters, n * sizeof *copy);
  h->cfg[h->n_cfg++] =
      (struct rh_config){.from_index = from_index, .voters = copy, .n = n};
}

/* The configuration in force at index: the latest reported among those
 * starting at or before it. */
static const struct rh_config *config_at(const struct raid_history *h,
                                         uint64_t index) {
  const struct rh_config *best = NULL;
  for (size_t i = 0; i < h->n_cfg; i++)
    if (h->cfg[i].from_index <= index &&
        (best == NULL || h->cfg[i].from_index >= best->from_index))
      best = &h->cfg[i];
  return best;
}

static struct rh_entry *entry_of(struct raid_history *h, uint32_t node,
                                 uint64_t index, bool grow) {
  if (node >= h->n_nodes || index >= SIZE_MAX / sizeof(struct rh_entry))
    return NULL;
  struct rh_log *l = &h->logs[node];
  if (index >= l->cap &&
      (!grow || !rh_grow((void **)&l->e, &l->cap, index + 1, sizeof *l->e)))
    return NULL;
  return &l->e[index];
}

void raid_history_durable(struct raid_history *h, uint64_t t_us, uint32_t node,
                          uint64_t index, uint64_t term, uint64_t hash) {
  struct rh_entry *e = entry_of(h, node, index, true);
  if (e == NULL) {
    rh_violation(h, t_us, node, "durable entry %llu not recorded",
                 (unsigned long long)index);
    return;
  }
  *e = (struct rh_entry){.has = true, .term = term, .hash = hash};
}

void raid_history_truncate(struct raid_history *h, uint64_t t_us, uint32_t node,
                           uint64_t index) {
  (void)t_us;
  if (node >= h->n_nodes)
    return;
  struct rh_log *l = &h->logs[node];
  for (size_t i = index; i < l->cap; i++)
    l->e[i].has = false;
}

static void check_majority(struct raid_history *h, uint64_t t_us, uint32_t node,
                           uint64_t index, uint64_t hash) {
  const struct rh_config *cfg = config_at(h, index);
  if (cfg == NULL || cfg->n == 0) {
    rh_violation(h, t_us, node, "index %llu applied with no voters known",
                 (unsigned long long)index);
    return;
  }
  size_t holding = 0;
  for (size_t i = 0; i < cfg->n; i++) {
    const struct rh_entry *e = entry_of(h, cfg->voters[i], index, false);
    holding += e != NULL && e->has && e->hash == hash;
  }
  if (2 * holding <= cfg->n)
    rh_violation(h, t_us, node,
                 "index %llu applied while durable at only %zu of %zu voters",
                 (unsigned long long)index, holding, cfg->n);
}

/* Later applications of an index must agree with the first. */
static void check_same(struct raid_history *h, uint64_t t_us, uint32_t node,
                       uint64_t index, uint64_t hash, int rc) {
  const struct rh_index *first = &h->applied[index];
  if (first->hash != hash)
    rh_violation(h, t_us, node,
                 "index %llu: a different command than node %u applied",
                 (unsigned long long)index, first->node);
  else if (first->rc != rc)
    rh_violation(h, t_us, node, "index %llu: outcome %d where node %u had %d",
                 (unsigned long long)index, rc, first->node, first->rc);
}

void raid_history_applied(struct raid_history *h, uint64_t t_us, uint32_t node,
                          uint64_t index, const uint8_t *cmd, size_t len,
                          int rc) {
  uint64_t hash = raid_history_hash(cmd, len);
  if (index >= SIZE_MAX / sizeof(struct rh_index) ||
      !rh_grow((void **)&h->applied, &h->cap_applied, index + 1,
               sizeof *h->applied)) {
    rh_violation(h, t_us, node, "out of memory (index %llu)",
                 (unsigned long long)index);
    return;
  }
  if (h->applied[index].seen) {
    check_same(h, t_us, node, index, hash, rc);
    return;
  }
  h->applied[index] =
      (struct rh_index){.seen = true, .rc = rc, .node = node, .hash = hash};
  check_majority(h, t_us, node, index, hash);
  if (index <= h->last_first_index)
    rh_violation(h, t_us, node, "index %llu first applied after index %llu",
                 (unsigned long long)index,
                 (unsigned long long)h->last_first_index);
  h->last_first_index = index;
  if (rc != 0)
    return; /* refused: the state did not change */
  struct mb_raid_cmd c;
  if (mb_raid_cmd_decode(cmd, len, &c) != 0) {
    rh_violation(h, t_us, node, "index %llu: applied an undecodable command",
                 (unsigned long long)index);
    return;
  }
  rh_model_apply(h, t_us, node, &c);
}

void raid_history_exec_start(struct raid_history *h, uint64_t t_us,
                             uint32_t node, uint64_t task, const char *array,
                             unsigned slot) {
  for (size_t i = 0; i < h->n_exec; i++) {
    const struct rh_exec *x = &h->exec[i];
    if (x->node != node && x->slot == slot && strcmp(x->array, array) == 0)
      rh_violation(h, t_us, node,
                   "executes task %llu for %s/%u while node %u runs task %llu "
                   "for it",
                   (unsigned long long)task, array, slot, x->node,
                   (unsigned long long)x->task);
  }
  if (!rh_grow((void **)&h->exec, &h->cap_exec, h->n_exec + 1,
               sizeof *h->exec)) {
    rh_violation(h, t_us, node, "out of memory (executors)");
    return;
  }
  struct rh_exec *x = &h->exec[h->n_exec++];
  x->node = node;
  x->task = task;
  x->slot = slot;
  snprintf(x->array, sizeof x->array, "%s", array);
}

void raid_history_exec_stop(struct raid_history *h, uint64_t t_us,
                            uint32_t node, uint64_t task) {
  (void)t_us;
  for (size_t i = 0; i < h->n_exec; i++)
    if (h->exec[i].node == node && h->exec[i].task == task) {
      h->exec[i] = h->exec[--h->n_exec];
      return;
    }
}

void raid_history_exec_stop_node(struct raid_history *h, uint64_t t_us,
                                 uint32_t node) {
  (void)t_us;
  for (size_t i = h->n_exec; i-- > 0;)
    if (h->exec[i].node == node)
      h->exec[i] = h->exec[--h->n_exec];
}

void raid_history_fault(struct raid_history *h, uint64_t t_us, bool begins) {
  h->any_fault = true;
  if (begins) {
    h->faults_open++;
  } else if (h->faults_open > 0) {
    h->faults_open--;
    h->faults_end_us = t_us;
  }
}

void raid_history_finish(struct raid_history *h, uint64_t t_us,
                         uint64_t within_us) {
  if (h->faults_open > 0) {
    rh_violation(h, t_us, RAID_HISTORY_NO_NODE,
                 "%u fault(s) still open at the end: healing not judged",
                 h->faults_open);
    return;
  }
  uint64_t deadline = h->faults_end_us + within_us;
  for (size_t i = 0; i < h->m.n_arr; i++) {
    const struct rh_array *a = &h->m.arr[i];
    if (a->removed || a->failed)
      continue;
    if (!a->healthy)
      rh_violation(h, t_us, RAID_HISTORY_NO_NODE,
                   "array %s not healthy at the end (faults ended at %.3fs)",
                   a->name, (double)h->faults_end_us / 1e6);
    else if (a->healthy_since_us > deadline)
      rh_violation(h, t_us, RAID_HISTORY_NO_NODE,
                   "array %s healthy only at %.3fs, after %.3fs", a->name,
                   (double)a->healthy_since_us / 1e6, (double)deadline / 1e6);
  }
}

void raid_history_counts(const struct raid_history *h,
                         struct raid_history_counts *out) {
  *out = h->m.counts;
}

int raid_history_array_state(const struct raid_history *h, const char *name,
                             uint64_t *since_us) {
  for (size_t i = 0; i < h->m.n_arr; i++)
    if (!h->m.arr[i].removed && strcmp(h->m.arr[i].name, name) == 0) {
      *since_us = h->m.arr[i].array_state_since_us;
      return h->m.arr[i].array_state;
    }
  return -1;
}

size_t raid_history_violation_count(const struct raid_history *h) {
  return h->n_viol;
}

const struct raid_violation *
raid_history_violation(const struct raid_history *h, size_t i) {
  return i < h->n_viol && i < RAID_HISTORY_KEEP ? &h->viol[i] : NULL;
}

size_t raid_history_task_count(const struct raid_history *h) {
  return h->m.n_log;
}

const struct raid_history_task *raid_history_task(const struct raid_history *h,
                                                  size_t i) {
  return i < h->m.n_log ? &h->m.log[i] : NULL;
}
