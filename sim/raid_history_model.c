/*
 * The checker's own model, written from the log's contract (docs/raid.md)
 * and not from src/raid's code: devices with their reported capacity and
 * the bytes the model says they hold and reserve, arrays with one holder
 * and one state per slot, live tasks.  Each accepted command moves it; what
 * the command would break is recorded as a violation, and the ledger and
 * the arrays' health are looked at after every command.
 */
#include "raid_history_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rh_ctx {
  struct raid_history *h;
  uint64_t t_us;
  uint32_t node;
};

#define VIOLATION(x, ...)                                                      \
  rh_violation((x)->h, (x)->t_us, (x)->node, __VA_ARGS__)

void rh_model_free(struct rh_model *m) {
  free(m->dev);
  free(m->arr);
  free(m->task);
  free(m->log);
  memset(m, 0, sizeof *m);
}

static bool reserves(int kind) {
  return kind == MB_RAID_TASK_REBUILD || kind == MB_RAID_TASK_MOVE;
}

/* Index of the device, added (up, no capacity yet) when unknown; SIZE_MAX
 * when out of memory. */
static size_t device(struct rh_ctx *x, const uint8_t *id) {
  struct rh_model *m = &x->h->m;
  for (size_t i = 0; i < m->n_dev; i++)
    if (memcmp(m->dev[i].id, id, RAID_HISTORY_ID_LEN) == 0)
      return i;
  if (!rh_grow((void **)&m->dev, &m->cap_dev, m->n_dev + 1, sizeof *m->dev)) {
    VIOLATION(x, "out of memory (devices)");
    return SIZE_MAX;
  }
  memcpy(m->dev[m->n_dev].id, id, RAID_HISTORY_ID_LEN);
  return m->n_dev++;
}

static struct rh_array *array_named(struct rh_model *m, const char *name) {
  for (size_t i = 0; i < m->n_arr; i++)
    if (!m->arr[i].removed && strcmp(m->arr[i].name, name) == 0)
      return &m->arr[i];
  return NULL;
}

static struct rh_task *task_of_slot(struct rh_model *m, size_t array,
                                    unsigned slot) {
  for (size_t i = 0; i < m->n_task; i++)
    if (m->task[i].array == array && m->task[i].slot == slot)
      return &m->task[i];
  return NULL;
}

static struct rh_task *task_by_id(struct rh_model *m, uint64_t id) {
  for (size_t i = 0; i < m->n_task; i++)
    if (m->task[i].id == id)
      return &m->task[i];
  return NULL;
}

/* The task log's entry of task id, or NULL (not logged: out of memory). */
static struct raid_history_task *logged(struct rh_model *m, uint64_t id) {
  for (size_t i = m->n_log; i-- > 0;)
    if (m->log[i].id == id)
      return &m->log[i];
  return NULL;
}

/* Ends a live task: its reservation goes, its slot goes back to what it
 * was without the task (restore) or was set by the caller; the log says
 * how it ended. */
static void task_drop(struct rh_ctx *x, struct rh_task *t, bool restore,
                      enum raid_history_task_end how) {
  struct rh_model *m = &x->h->m;
  struct raid_history_task *l = logged(m, t->id);
  if (l != NULL) {
    l->end = how;
    l->end_us = x->t_us;
  }
  struct rh_array *a = &m->arr[t->array];
  if (reserves(t->kind))
    m->dev[t->target].reserved -= t->bytes;
  if (restore && t->kind == MB_RAID_TASK_REBUILD)
    a->state[t->slot] = RH_OUT;
  else if (restore && t->kind == MB_RAID_TASK_RESYNC)
    a->state[t->slot] = RH_DOWN;
  *t = m->task[--m->n_task];
}

static void create(struct rh_ctx *x, const struct mb_raid_cmd *c) {
  struct rh_model *m = &x->h->m;
  if (array_named(m, c->array) != NULL) {
    VIOLATION(x, "array %s created again: two devices per slot", c->array);
    return;
  }
  if (c->n_devices == 0 || c->n_devices > MB_RAID_SLOTS_MAX || c->data == 0 ||
      !rh_grow((void **)&m->arr, &m->cap_arr, m->n_arr + 1, sizeof *m->arr)) {
    VIOLATION(x, "array %s: accepted with %u slots, data %u", c->array,
              c->n_devices, c->data);
    return;
  }
  struct rh_array *a = &m->arr[m->n_arr];
  memset(a, 0, sizeof *a);
  snprintf(a->name, sizeof a->name, "%s", c->array);
  a->parity = c->parity;
  a->writes_need = c->level == MB_RAID_LEVEL_RAID1 ? 1u : c->data;
  a->n_slots = c->n_devices;
  a->slot_bytes = c->size / c->data + (c->size % c->data != 0);
  a->healthy = true; /* healthy from birth: it never needed healing */
  a->array_state = MB_RAID_ARRAY_HEALTHY;
  a->array_state_since_us = x->t_us;
  for (unsigned i = 0; i < a->n_slots; i++) {
    size_t d = device(x, c->devices[i]);
    if (d == SIZE_MAX)
      return;
    for (unsigned j = 0; j < i; j++)
      if (a->holder[j] == d)
        VIOLATION(x, "array %s: slots %u and %u on one device", a->name, j, i);
    a->holder[i] = d;
    a->state[i] = RH_UP;
    m->dev[d].allocated += a->slot_bytes;
  }
  m->n_arr++;
}

static void remove_array(struct rh_ctx *x, const struct mb_raid_cmd *c) {
  struct rh_model *m = &x->h->m;
  struct rh_array *a = array_named(m, c->array);
  if (a == NULL) {
    VIOLATION(x, "removed unknown array %s", c->array);
    return;
  }
  size_t ai = (size_t)(a - m->arr);
  for (size_t i = m->n_task; i-- > 0;)
    if (m->task[i].array == ai)
      task_drop(x, &m->task[i], false, RAID_HISTORY_TASK_CANCELLED);
  for (unsigned i = 0; i < a->n_slots; i++)
    m->dev[a->holder[i]].allocated -= a->slot_bytes;
  a->removed = true;
}

/* Slots held by device d in state `from` go to `to`. */
static void slots_move(struct rh_model *m, size_t d, uint8_t from, uint8_t to) {
  for (size_t i = 0; i < m->n_arr; i++)
    for (unsigned k = 0; !m->arr[i].removed && k < m->arr[i].n_slots; k++)
      if (m->arr[i].holder[k] == d && m->arr[i].state[k] == from)
        m->arr[i].state[k] = to;
}

static unsigned up_slots(const struct rh_array *a) {
  unsigned n = 0;
  for (unsigned k = 0; k < a->n_slots; k++)
    n += a->state[k] == RH_UP;
  return n;
}

/* Device d's up slots go down, one by one as the log has it; a slot whose
 * array is left unable to take writes missed none. */
static void device_down(struct rh_model *m, size_t d) {
  for (size_t i = 0; i < m->n_arr; i++) {
    struct rh_array *a = &m->arr[i];
    for (unsigned k = 0; !a->removed && k < a->n_slots; k++)
      if (a->holder[k] == d && a->state[k] == RH_UP) {
        a->state[k] = RH_DOWN;
        a->missed_none[k] = up_slots(a) < a->writes_need;
      }
  }
}

/* Device d is back: what missed no write is up again, the rest waits for
 * a resync. */
static void device_up(struct rh_model *m, size_t d) {
  slots_move(m, d, RH_OUT, RH_DOWN);
  for (size_t i = 0; i < m->n_arr; i++) {
    struct rh_array *a = &m->arr[i];
    for (unsigned k = 0; !a->removed && k < a->n_slots; k++)
      if (a->holder[k] == d && a->state[k] == RH_DOWN && a->missed_none[k]) {
        a->state[k] = RH_UP;
        a->missed_none[k] = false;
      }
  }
}

static void device_cmd(struct rh_ctx *x, const struct mb_raid_cmd *c) {
  struct rh_model *m = &x->h->m;
  size_t d = device(x, c->device);
  if (d == SIZE_MAX)
    return;
  switch (c->kind) {
  case MB_RAID_CMD_DEVICE_REPORT:
    m->dev[d].capacity = c->capacity;
    snprintf(m->dev[d].domain, sizeof m->dev[d].domain, "%s", c->domain);
    break;
  case MB_RAID_CMD_DRAIN:
    m->dev[d].draining = c->on;
    break;
  case MB_RAID_CMD_DEVICE_DOWN:
    m->dev[d].state = RH_DEV_DOWN;
    /* Tasks writing to it, and moves reading from it, cannot go on. */
    for (size_t i = m->n_task; i-- > 0;) {
      const struct rh_task *t = &m->task[i];
      if (t->target == d || (t->kind == MB_RAID_TASK_MOVE &&
                             m->arr[t->array].holder[t->slot] == d))
        task_drop(x, &m->task[i], true, RAID_HISTORY_TASK_CANCELLED);
    }
    device_down(m, d);
    break;
  case MB_RAID_CMD_DEVICE_UP:
    m->dev[d].state = RH_DEV_UP;
    device_up(m, d);
    break;
  case MB_RAID_CMD_DEVICE_OUT:
    m->counts.outs++;
    m->dev[d].state = RH_DEV_OUT;
    slots_move(m, d, RH_DOWN, RH_OUT);
    break;
  default:
    break;
  }
}

static bool domain_used(const struct rh_model *m, const struct rh_array *a,
                        unsigned except, const char *domain) {
  for (unsigned k = 0; k < a->n_slots; k++)
    if (k != except && strcmp(m->dev[a->holder[k]].domain, domain) == 0)
      return true;
  return false;
}

static bool holds_or_targets(const struct rh_model *m, size_t ai, size_t d) {
  for (unsigned k = 0; k < m->arr[ai].n_slots; k++)
    if (m->arr[ai].holder[k] == d)
      return true;
  for (size_t i = 0; i < m->n_task; i++)
    if (m->task[i].array == ai && m->task[i].target == d)
      return true;
  return false;
}

/* A target in a domain the array's other slots use, while a device with
 * room waited in a domain they do not. */
static void check_domain(struct rh_ctx *x, size_t ai, unsigned slot,
                         size_t target) {
  struct rh_model *m = &x->h->m;
  const struct rh_array *a = &m->arr[ai];
  if (!domain_used(m, a, slot, m->dev[target].domain))
    return;
  for (size_t d = 0; d < m->n_dev; d++) {
    const struct rh_device *v = &m->dev[d];
    uint64_t used = v->allocated + v->reserved;
    if (v->state == RH_DEV_UP && !v->draining && used <= v->capacity &&
        v->capacity - used >= a->slot_bytes && !holds_or_targets(m, ai, d) &&
        !domain_used(m, a, slot, v->domain)) {
      m->counts.domain_misses++;
      return;
    }
  }
}

/* The node whose device is model device d, or RAID_HISTORY_NO_NODE. */
static uint32_t node_of(const struct raid_history *h, size_t d) {
  for (uint32_t n = 0; n < h->n_nodes; n++)
    if (h->has_id[n] &&
        memcmp(h->ids[n], h->m.dev[d].id, RAID_HISTORY_ID_LEN) == 0)
      return n;
  return RAID_HISTORY_NO_NODE;
}

/* Only the report reads the log: out of memory loses an entry, not a
 * verdict. */
static void task_log(struct rh_ctx *x, const struct rh_task *t,
                     const char *array) {
  struct rh_model *m = &x->h->m;
  if (!rh_grow((void **)&m->log, &m->cap_log, m->n_log + 1, sizeof *m->log))
    return;
  struct raid_history_task *l = &m->log[m->n_log++];
  *l = (struct raid_history_task){.id = t->id,
                                  .slot = t->slot,
                                  .kind = t->kind,
                                  .target = node_of(x->h, t->target),
                                  .start_us = x->t_us,
                                  .end_us = UINT64_MAX,
                                  .end = RAID_HISTORY_TASK_LIVE};
  snprintf(l->array, sizeof l->array, "%s", array);
}

static void start(struct rh_ctx *x, const struct mb_raid_cmd *c) {
  struct rh_model *m = &x->h->m;
  uint64_t id = m->next_task_id++;
  struct rh_array *a = array_named(m, c->array);
  if (a == NULL || c->slot >= a->n_slots) {
    VIOLATION(x, "task %llu started for unknown slot %s/%u",
              (unsigned long long)id, c->array, c->slot);
    return;
  }
  size_t ai = (size_t)(a - m->arr);
  const struct rh_task *other = task_of_slot(m, ai, c->slot);
  if (other != NULL)
    VIOLATION(x, "task %llu started for %s/%u while task %llu is live",
              (unsigned long long)id, a->name, c->slot,
              (unsigned long long)other->id);
  size_t target = device(x, c->target);
  if (target != SIZE_MAX && reserves(c->task_kind))
    check_domain(x, ai, c->slot, target);
  m->counts.rebuilds += c->task_kind == MB_RAID_TASK_REBUILD;
  m->counts.resyncs += c->task_kind == MB_RAID_TASK_RESYNC;
  m->counts.moves += c->task_kind == MB_RAID_TASK_MOVE;
  if (target == SIZE_MAX ||
      !rh_grow((void **)&m->task, &m->cap_task, m->n_task + 1, sizeof *m->task))
    return;
  m->task[m->n_task++] = (struct rh_task){.id = id,
                                          .array = ai,
                                          .slot = c->slot,
                                          .kind = c->task_kind,
                                          .target = target,
                                          .bytes = a->slot_bytes};
  if (reserves(c->task_kind))
    m->dev[target].reserved += a->slot_bytes;
  task_log(x, &m->task[m->n_task - 1], a->name);
  if (c->task_kind == MB_RAID_TASK_REBUILD)
    a->state[c->slot] = RH_REBUILDING;
  else if (c->task_kind == MB_RAID_TASK_RESYNC)
    a->state[c->slot] = RH_RESYNC;
}

/* The live task a command names, at the target it names; NULL (and a
 * violation) when the slot could end up claimed by a second device. */
static struct rh_task *live_at(struct rh_ctx *x, uint64_t id,
                               const uint8_t *target, const char *what) {
  struct rh_model *m = &x->h->m;
  struct rh_task *t = task_by_id(m, id);
  if (t == NULL) {
    VIOLATION(x, "%s of task %llu, which is not live", what,
              (unsigned long long)id);
    return NULL;
  }
  if (target != NULL &&
      memcmp(m->dev[t->target].id, target, RAID_HISTORY_ID_LEN) != 0) {
    VIOLATION(x, "%s of task %llu (%s/%u) by a device not its target", what,
              (unsigned long long)id, m->arr[t->array].name, t->slot);
    return NULL;
  }
  return t;
}

static void done(struct rh_ctx *x, const struct mb_raid_cmd *c) {
  struct rh_model *m = &x->h->m;
  struct rh_task *t = live_at(x, c->task, c->target, "done");
  if (t == NULL)
    return;
  struct rh_array *a = &m->arr[t->array];
  if (reserves(t->kind)) { /* the reservation goes in task_drop */
    for (unsigned k = 0; k < a->n_slots; k++)
      if (k != t->slot && a->holder[k] == t->target)
        VIOLATION(x, "array %s: slots %u and %u on one device", a->name, k,
                  t->slot);
    m->dev[t->target].allocated += a->slot_bytes;
    m->dev[a->holder[t->slot]].allocated -= a->slot_bytes;
    a->holder[t->slot] = t->target;
  }
  a->state[t->slot] = RH_UP;
  task_drop(x, t, false, RAID_HISTORY_TASK_DONE);
}

static void reassign(struct rh_ctx *x, const struct mb_raid_cmd *c) {
  struct rh_model *m = &x->h->m;
  struct rh_task *t = live_at(x, c->task, c->device, "reassign");
  size_t to = device(x, c->target);
  if (t == NULL || to == SIZE_MAX)
    return;
  if (reserves(t->kind)) {
    m->dev[t->target].reserved -= t->bytes;
    m->dev[to].reserved += t->bytes;
  }
  t->target = to;
  struct raid_history_task *l = logged(m, t->id);
  if (l != NULL)
    l->reassigned++;
}

/* Failed; degraded while a lost slot waits for a task; rebuilding while
 * every lost slot has one. */
static int array_state(const struct rh_array *a) {
  bool waiting = false, working = false;
  for (unsigned k = 0; k < a->n_slots; k++) {
    waiting |= a->state[k] == RH_DOWN || a->state[k] == RH_OUT;
    working |= a->state[k] == RH_REBUILDING || a->state[k] == RH_RESYNC;
  }
  return a->failed ? MB_RAID_ARRAY_FAILED
         : waiting ? MB_RAID_ARRAY_DEGRADED
         : working ? MB_RAID_ARRAY_REBUILDING
                   : MB_RAID_ARRAY_HEALTHY;
}

/* An array that gave up more slots than its parity (out, or rebuilt
 * elsewhere: a down slot may come back with its data) is failed for good,
 * its tasks cancelled (the contract: never rebuilt from nothing).  Once an
 * array can take writes again, its down slots fall behind. */
static void settle(struct rh_ctx *x) {
  struct rh_model *m = &x->h->m;
  for (size_t i = 0; i < m->n_arr; i++) {
    struct rh_array *a = &m->arr[i];
    if (a->removed)
      continue;
    unsigned lost = 0, missing = 0;
    for (unsigned k = 0; k < a->n_slots; k++) {
      lost += a->state[k] == RH_OUT || a->state[k] == RH_REBUILDING;
      missing += a->state[k] != RH_UP;
    }
    if (a->n_slots - missing >= a->writes_need)
      memset(a->missed_none, 0, sizeof a->missed_none);
    if (!a->failed && lost > a->parity) {
      a->failed = true;
      for (size_t j = m->n_task; j-- > 0;)
        if (m->task[j].array == i)
          task_drop(x, &m->task[j], true, RAID_HISTORY_TASK_CANCELLED);
    }
    if (a->healthy != (missing == 0) && !a->failed) {
      a->healthy = missing == 0;
      a->healthy_since_us = x->t_us;
    }
    int state = array_state(a);
    if (state != a->array_state) {
      a->array_state = state;
      a->array_state_since_us = x->t_us;
    }
  }
}

/* "node N" when the driver said which node the device is, else the first
 * bytes of its id in hex. */
static const char *device_name(const struct raid_history *h, const uint8_t *id,
                               char *buf, size_t cap) {
  for (uint32_t n = 0; n < h->n_nodes; n++)
    if (h->has_id[n] && memcmp(h->ids[n], id, RAID_HISTORY_ID_LEN) == 0) {
      snprintf(buf, cap, "node %u", n);
      return buf;
    }
  snprintf(buf, cap, "%02x%02x%02x%02x..", id[0], id[1], id[2], id[3]);
  return buf;
}

static void check_ledger(struct rh_ctx *x) {
  struct rh_model *m = &x->h->m;
  for (size_t i = 0; i < m->n_dev; i++) {
    struct rh_device *d = &m->dev[i];
    bool over = d->allocated + d->reserved > d->capacity;
    bool news = over && !d->over;
    d->over = over;
    char name[24];
    if (news)
      VIOLATION(x, "device %s over-committed: %llu held + %llu reserved > %llu",
                device_name(x->h, d->id, name, sizeof name),
                (unsigned long long)d->allocated,
                (unsigned long long)d->reserved,
                (unsigned long long)d->capacity);
  }
}

void rh_model_apply(struct raid_history *h, uint64_t t_us, uint32_t node,
                    const struct mb_raid_cmd *c) {
  struct rh_ctx x = {.h = h, .t_us = t_us, .node = node};
  switch (c->kind) {
  case MB_RAID_CMD_ARRAY_CREATE:
    create(&x, c);
    break;
  case MB_RAID_CMD_ARRAY_REMOVE:
    remove_array(&x, c);
    break;
  case MB_RAID_CMD_TASK_START:
    start(&x, c);
    break;
  case MB_RAID_CMD_TASK_DONE:
    done(&x, c);
    break;
  case MB_RAID_CMD_TASK_REASSIGN:
    reassign(&x, c);
    break;
  case MB_RAID_CMD_TASK_CANCEL: {
    struct rh_task *t = live_at(&x, c->task, NULL, "cancel");
    if (t != NULL)
      task_drop(&x, t, true, RAID_HISTORY_TASK_CANCELLED);
    break;
  }
  case MB_RAID_CMD_TASK_PROGRESS:
    break;
  default:
    device_cmd(&x, c);
    break;
  }
  settle(&x);
  check_ledger(&x);
}
