/*
 * Task leases (lease.h): a target asks, the leader grants, and the target
 * starts a task only under a lease and gives it up when the lease runs out.
 */
#include "lease.h"
#include "coord_internal.h"

#include <string.h>

static void send_lease(struct mb_coord *c, const uint8_t *to,
                       const struct coord_lease_msg *m) {
  uint8_t buf[COORD_LEASE_MAX];
  size_t len = coord_lease_encode(m, buf);
  struct mb_coord_output o = {.kind = MB_COORD_OUT_APP,
                              .channel = SWIM_APP_TASK_LEASE};
  memcpy(o.to, to, MB_NODE_ID_LEN);
  coord_push(c, &o, buf, len);
}

/* ---- the target ---------------------------------------------------------- */

static bool asking(const struct coord_local_task *t) {
  return !t->abandoned;
}

/* Every coordinator in the view gets the request, alive or not (a core
 * holding the leader out for flap damping must not keep its tasks from
 * their leases): only the leader answers, and a device that is no voter
 * need not know which one it is. */
void coord_lease_ask(struct mb_coord *c) {
  if (c->now < c->next_ask)
    return;
  struct coord_lease_msg m = {.type = COORD_LEASE_REQUEST, .nonce = c->now};
  for (size_t i = 0; i < c->n_tasks; i++)
    if (asking(&c->tasks[i]))
      m.task[m.n++] = c->tasks[i].id;
  if (m.n == 0)
    return;
  c->next_ask = c->now + COORD_LEASE_EVERY_MS;
  for (size_t i = 0; i < c->n_view; i++) {
    const struct swim_member_info *v = &c->view[i];
    if (!v->coordinator || v->state == SWIM_LEFT)
      continue;
    if (v->is_self)
      coord_lease_request(c, v, &m);
    else
      send_lease(c, v->id, &m);
  }
}

static void start(struct mb_coord *c, struct coord_local_task *t) {
  t->started = true;
  struct mb_coord_output o = {.kind = MB_COORD_OUT_TASK_START, .task = t->info};
  o.task.progress = t->done;
  coord_push(c, &o, NULL, 0);
}

void coord_lease_granted(struct mb_coord *c, const struct coord_lease_msg *m) {
  if (m->nonce > c->now) /* not a request of ours */
    return;
  for (size_t k = 0; k < m->n; k++) {
    long i = coord_local_task_find(c, m->task[k]);
    if (i < 0 || c->tasks[i].abandoned)
      continue;
    struct coord_local_task *t = &c->tasks[i];
    if (m->nonce + m->left_ms[k] > t->lease_until)
      t->lease_until = m->nonce + m->left_ms[k];
    if (!t->started && t->lease_until > c->now)
      start(c, t);
  }
}

void coord_lease_expire(struct mb_coord *c) {
  for (size_t i = 0; i < c->n_tasks; i++) {
    struct coord_local_task *t = &c->tasks[i];
    if (!t->started || t->abandoned || t->lease_until > c->now)
      continue;
    t->abandoned = true;
    struct mb_coord_output o = {.kind = MB_COORD_OUT_TASK_CANCEL};
    o.task.id = t->id;
    coord_push(c, &o, NULL, 0);
    c->progress_dirty = true;
  }
}

uint64_t coord_lease_deadline(const struct mb_coord *c) {
  uint64_t t = UINT64_MAX;
  for (size_t i = 0; i < c->n_tasks; i++) {
    const struct coord_local_task *l = &c->tasks[i];
    if (l->started && !l->abandoned && l->lease_until < t)
      t = l->lease_until;
    if (asking(l) && c->next_ask < t)
      t = c->next_ask;
  }
  return t;
}

/* ---- the leader ---------------------------------------------------------- */

/* Time left on the stall clock of task `id` at `target`; 0: no lease. */
static uint64_t time_left(struct mb_coord *c, uint64_t id,
                          const uint8_t *target) {
  struct mb_raid_task_info t;
  uint64_t progress, since, stall = c->cfg.params.stall_timeout_ms;
  if (mb_raid_task_find(c->replica, id, &t) != 0 ||
      (t.state != MB_RAID_TASK_QUEUED && t.state != MB_RAID_TASK_RUNNING) ||
      memcmp(t.target, target, MB_NODE_ID_LEN) != 0 ||
      coord_lease_fenced(c, &t) ||
      mb_raid_planner_task_timer(c->planner, id, &progress, &since) != 0 ||
      since > c->now || since + stall <= c->now)
    return 0;
  uint64_t left = since + stall - c->now;
  /* Half the clock at most, so that the fence (lease_fence.c) outlasts
   * any lease granted before the task ended. */
  return left < stall / 2 ? left : stall / 2;
}

void coord_lease_request(struct mb_coord *c,
                         const struct swim_member_info *from,
                         const struct coord_lease_msg *req) {
  if (!coord_is_leader(c))
    return;
  struct coord_lease_msg g = {.type = COORD_LEASE_GRANT, .nonce = req->nonce};
  for (size_t k = 0; k < req->n; k++) {
    uint64_t left = time_left(c, req->task[k], from->id);
    if (left == 0)
      continue;
    g.task[g.n] = req->task[k];
    g.left_ms[g.n++] = left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
  }
  if (g.n == 0)
    return;
  if (from->is_self)
    coord_lease_granted(c, &g);
  else
    send_lease(c, from->id, &g);
}

/* Fenced slots hold their tasks' stall clocks (lease_fence.c). */
void coord_lease_hold(struct mb_coord *c) {
  if (!coord_lease_any_fence(c))
    return;
  size_t n = mb_raid_task_count(c->replica);
  for (size_t i = 0; i < n; i++) {
    struct mb_raid_task_info t;
    if (mb_raid_task_at(c->replica, i, &t) == 0 &&
        (t.state == MB_RAID_TASK_QUEUED || t.state == MB_RAID_TASK_RUNNING))
      coord_lease_fenced(c, &t);
  }
}

void coord_lease_receive(struct mb_coord *c,
                         const struct swim_member_info *from,
                         const uint8_t *payload, size_t len) {
  struct coord_lease_msg m;
  if (coord_lease_decode(payload, len, &m) != 0)
    return;
  if (m.type == COORD_LEASE_REQUEST)
    coord_lease_request(c, from, &m);
  else if (from->coordinator)
    coord_lease_granted(c, &m);
}
