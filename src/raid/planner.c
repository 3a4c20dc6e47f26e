/*
 * The leader's local timers.  Never replicated: a new leader starts them
 * at its first plan, so it waits a full down_out_interval (or stall
 * timeout) again, which only delays a decision, never hastens one.
 */
#include "plan_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void mb_raid_params_default(struct mb_raid_params *p) {
  memset(p, 0, sizeof *p);
  p->down_out_interval_ms = 600000;
  p->max_backfills = 1;
  p->max_backfills_mesh = 8;
  p->min_up_permille = 300;
  p->stall_timeout_ms = 300000;
  p->subtree_min_devices = 2;
}

struct mb_raid_planner *mb_raid_planner_new(void) {
  return calloc(1, sizeof(struct mb_raid_planner));
}

void mb_raid_planner_free(struct mb_raid_planner *p) {
  if (p == NULL)
    return;
  free(p->down);
  free(p->task);
  free(p);
}

struct planner_down *planner_down_of(const struct mb_raid_planner *p,
                                     const uint8_t *id) {
  for (size_t i = 0; i < p->n_down; i++)
    if (raid_id_equal(p->down[i].id, id))
      return &p->down[i];
  return NULL;
}

struct planner_task *planner_task_of(const struct mb_raid_planner *p,
                                     uint64_t id) {
  for (size_t i = 0; i < p->n_task; i++)
    if (p->task[i].id == id)
      return &p->task[i];
  return NULL;
}

static int sync_down(struct plan_ctx *c) {
  struct planner_down *fresh = calloc(c->s->n_dev + 1, sizeof *fresh);
  if (fresh == NULL)
    return -ENOMEM;
  size_t n = 0;
  for (size_t i = 0; i < c->s->n_dev; i++) {
    const struct raid_device *d = &c->s->dev[i];
    if (d->state != MB_RAID_DEV_DOWN)
      continue;
    const struct planner_down *old = planner_down_of(c->p, d->id);
    memcpy(fresh[n].id, d->id, MB_RAID_ID_LEN);
    fresh[n++].since = old != NULL ? old->since : c->now;
  }
  free(c->p->down);
  c->p->down = fresh;
  c->p->n_down = n;
  return MB_OK;
}

int mb_raid_planner_task_timer(const struct mb_raid_planner *p, uint64_t task,
                               uint64_t *progress, uint64_t *since) {
  const struct planner_task *t = planner_task_of(p, task);
  if (t == NULL)
    return MB_ENOENT;
  *progress = t->progress;
  *since = t->since;
  return MB_OK;
}

int mb_raid_planner_task_hold(struct mb_raid_planner *p, uint64_t task,
                              uint64_t until) {
  struct planner_task *t = planner_task_of(p, task);
  if (t == NULL)
    return MB_ENOENT;
  if (until > t->since)
    t->since = until;
  return MB_OK;
}

/* A task moved to another target starts its stall clock again. */
static int sync_tasks(struct plan_ctx *c) {
  struct planner_task *fresh = calloc(c->s->n_task + 1, sizeof *fresh);
  if (fresh == NULL)
    return -ENOMEM;
  size_t n = 0;
  for (size_t i = 0; i < c->s->n_task; i++) {
    const struct raid_task *t = &c->s->task[i];
    if (!raid_task_live(t))
      continue;
    const struct planner_task *old = planner_task_of(c->p, t->id);
    if (old != NULL && raid_id_equal(old->target, t->target)) {
      fresh[n++] = *old;
      continue;
    }
    fresh[n] = (struct planner_task){
        .id = t->id, .progress = t->progress, .since = c->now};
    memcpy(fresh[n++].target, t->target, MB_RAID_ID_LEN);
  }
  free(c->p->task);
  c->p->task = fresh;
  c->p->n_task = n;
  return MB_OK;
}

int planner_sync(struct plan_ctx *c) {
  int rc = sync_down(c);
  return rc == MB_OK ? sync_tasks(c) : rc;
}
