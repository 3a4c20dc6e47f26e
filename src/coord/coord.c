/* The coordinator's life, its inputs from the view and the clock, and its
 * queries (mb_coord.h). */
#include "coord_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void coord_copy_text(char *dst, size_t cap, const char *src) {
  size_t n = strnlen(src, cap - 1);
  memcpy(dst, src, n);
  dst[n] = '\0';
}

int coord_grow(void **v, size_t *cap, size_t n, size_t size) {
  if (n < *cap)
    return 0;
  size_t want = *cap ? 2 * *cap : 16;
  void *grown = realloc(*v, want * size);
  if (grown == NULL)
    return -ENOMEM;
  *v = grown;
  *cap = want;
  return 0;
}

void mb_coord_config_default(struct mb_coord_config *c) {
  memset(c, 0, sizeof(*c));
  mb_raid_params_default(&c->params);
  mb_consensus_config_default(&c->raft);
  c->max_fragment = 1024;
  c->publish_until_s = 86400;
}

struct mb_coord *mb_coord_new(const struct mb_coord_config *cfg, uint64_t now,
                              int64_t wall_ms) {
  if (cfg == NULL || cfg->id == NULL ||
      cfg->n_voters > MB_CONSENSUS_VOTERS_MAX ||
      cfg->raft.storage.ops == NULL ||
      cfg->max_fragment < MB_CONSENSUS_FRAGMENT_MIN)
    return NULL;
  struct mb_coord *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return NULL;
  c->cfg = *cfg;
  memcpy(c->self, cfg->id->pk, MB_NODE_ID_LEN);
  c->now = now;
  c->wall_ms = wall_ms;
  c->planner = mb_raid_planner_new();
  if (c->planner == NULL) {
    free(c);
    return NULL;
  }
  return c;
}

void mb_coord_free(struct mb_coord *c) {
  if (c == NULL)
    return;
  mb_consensus_free(c->raft);
  mb_raid_state_free(c->replica);
  mb_raid_planner_free(c->planner);
  free(c->view);
  free(c->by_id);
  coord_publish_free(c);
  coord_pub_free(c);
  free(c->props);
  free(c->fwd);
  coord_outputs_free(c);
  coord_lease_free(c);
  free(c);
}

void coord_settle(struct mb_coord *c) {
  coord_leader_check(c);
  coord_forward_expire(c);
  coord_tasks_learn(c);
  coord_lease_expire(c);
  coord_leader_step(c);
  coord_leader_replace(c);
  coord_lease_ask(c);
  coord_publish_step(c);
  coord_progress_flush(c);
}

static int by_id_cmp(const void *a, const void *b) {
  const struct swim_member_info *x = *(const struct swim_member_info *const *)a;
  const struct swim_member_info *y = *(const struct swim_member_info *const *)b;
  return memcmp(x->id, y->id, MB_NODE_ID_LEN);
}

static bool keep_view(struct mb_coord *c, const struct swim_member_info *m,
                      size_t n) {
  if (n > c->cap_view) {
    struct swim_member_info *grown = realloc(c->view, n * sizeof(*grown));
    const struct swim_member_info **index =
        realloc(c->by_id, n * sizeof(*index));
    if (grown != NULL)
      c->view = grown;
    if (index != NULL)
      c->by_id = index;
    if (grown == NULL || index == NULL)
      return false;
    c->cap_view = n;
  }
  if (n > 0)
    memcpy(c->view, m, n * sizeof(*m));
  c->n_view = n;
  for (size_t i = 0; i < n; i++)
    c->by_id[i] = &c->view[i];
  if (n > 1)
    qsort(c->by_id, n, sizeof(*c->by_id), by_id_cmp);
  return true;
}

const struct swim_member_info *
coord_member_in_id_order(const struct mb_coord *c, size_t i) {
  return i < c->n_view ? c->by_id[i] : NULL;
}

const struct swim_member_info *coord_member_by_ref(const struct mb_coord *c,
                                                   const uint8_t *ref) {
  size_t lo = 0, hi = c->n_view;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int cmp = memcmp(c->by_id[mid]->id, ref, MB_NODE_REF_LEN);
    if (cmp == 0)
      return c->by_id[mid];
    if (cmp < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

void mb_coord_view(struct mb_coord *c, uint64_t now, int64_t wall_ms,
                   const struct swim_member_info *members, size_t n) {
  c->now = now;
  c->wall_ms = wall_ms;
  bool first = c->n_view == 0;
  if (!keep_view(c, members, n))
    return;
  /* Records restored before the first view named devices by ref only:
   * which tasks are ours is known from now on. */
  if (first)
    c->tasks_stale = true;
  for (size_t i = 0; i < n; i++)
    if (members[i].is_self) {
      c->coordinator = members[i].coordinator;
      coord_copy_text(c->self_name, sizeof(c->self_name), members[i].name);
    }
  coord_raft_start(c);
  coord_raft_bootstrap(c);
  c->replan = true;
  coord_settle(c);
}

void mb_coord_tick(struct mb_coord *c, uint64_t now, int64_t wall_ms) {
  c->now = now;
  c->wall_ms = wall_ms;
  if (c->raft != NULL && mb_consensus_next_deadline(c->raft) <= now)
    mb_consensus_tick(c->raft, now);
  coord_pub_lapse(c);
  coord_settle(c);
}

uint64_t mb_coord_next_deadline(const struct mb_coord *c) {
  uint64_t t = UINT64_MAX;
  if (c->raft != NULL)
    t = mb_consensus_next_deadline(c->raft);
  /* With proposals outstanding the leader waits for them, not the plan's
   * timer (a past timer would make the driver spin). */
  if (coord_is_leader(c) && c->n_props == 0 && c->next_plan < t)
    t = c->next_plan;
  if (c->progress_dirty && c->progress_at + COORD_PROGRESS_EVERY_MS < t)
    t = c->progress_at + COORD_PROGRESS_EVERY_MS;
  uint64_t lease = coord_lease_deadline(c);
  return lease < t ? lease : t;
}

static void voter_of(const struct mb_coord *c, uint64_t id,
                     struct mb_coord_voter *v) {
  memset(v, 0, sizeof(*v));
  const struct swim_member_info *m = coord_member_by_raft_id(c, id);
  if (m == NULL)
    return;
  memcpy(v->id, m->id, MB_NODE_ID_LEN);
  coord_copy_text(v->name, sizeof(v->name), m->name);
  coord_copy_text(v->domain, sizeof(v->domain), m->domain);
  v->alive = m->state == SWIM_ALIVE;
}

static void raft_info(const struct mb_coord *c, struct mb_coord_status *out);

void mb_coord_info(const struct mb_coord *c, struct mb_coord_status *out) {
  memset(out, 0, sizeof(*out));
  out->role = c->coordinator ? MB_COORD_WAITING : MB_COORD_NONE;
  out->proposals = c->proposals;
  if (c->raft != NULL)
    raft_info(c, out);
  if (!out->is_voter)
    coord_pub_info(c, out);
}

static void raft_info(const struct mb_coord *c, struct mb_coord_status *out) {
  struct mb_consensus_info info;
  mb_consensus_get_info(c->raft, &info);
  out->role = info.role == 2      ? MB_COORD_LEADER
              : info.n_voters > 0 ? MB_COORD_FOLLOWER
                                  : MB_COORD_WAITING;
  out->term = info.term;
  out->commit_index = info.commit_index;
  out->applied_index = mb_raid_applied_index(c->replica);
  out->proposals_lost = info.proposals_lost;
  out->published_index = c->pub.top;
  const struct swim_member_info *leader =
      info.leader ? coord_member_by_raft_id(c, info.leader) : NULL;
  if (leader != NULL)
    memcpy(out->leader, leader->id, MB_NODE_ID_LEN);
  for (size_t i = 0; i < info.n_voters; i++) {
    voter_of(c, info.voters[i], &out->voters[out->n_voters++]);
    out->is_voter |= info.voters[i] == info.id;
  }
}

const struct mb_raid_state *mb_coord_replica(const struct mb_coord *c) {
  return coord_from_publication(c) ? NULL : c->replica;
}

size_t mb_coord_array_count(const struct mb_coord *c) {
  const struct mb_raid_state *s = mb_coord_replica(c);
  return s ? mb_raid_array_count(s) : coord_pub_array_count(c);
}

int mb_coord_array_at(const struct mb_coord *c, size_t i,
                      struct mb_raid_array_info *out) {
  const struct mb_raid_state *s = mb_coord_replica(c);
  return s ? mb_raid_array_at(s, i, out) : coord_pub_array_at(c, i, out);
}

size_t mb_coord_task_count(const struct mb_coord *c) {
  const struct mb_raid_state *s = mb_coord_replica(c);
  return s ? mb_raid_task_count(s) : coord_pub_task_count(c);
}

int mb_coord_task_at(const struct mb_coord *c, size_t i,
                     struct mb_raid_task_info *out) {
  const struct mb_raid_state *s = mb_coord_replica(c);
  return s ? mb_raid_task_at(s, i, out) : coord_pub_task_at(c, i, out);
}

size_t mb_coord_ledger_count(const struct mb_coord *c) {
  const struct mb_raid_state *s = mb_coord_replica(c);
  return s ? mb_raid_device_count(s) : coord_pub_ledger_count(c);
}

int mb_coord_ledger_at(const struct mb_coord *c, size_t i,
                       struct mb_raid_device_info *out) {
  const struct mb_raid_state *s = mb_coord_replica(c);
  return s ? mb_raid_device_at(s, i, out) : coord_pub_ledger_at(c, i, out);
}
