/*
 * Running tasks: progress from the target's heartbeat.  Finished -> done
 * through the log; first progress -> running; no progress for
 * stall_timeout_ms -> another target (a rebuild or move), or cancelled to
 * be started again (a resync, which only its slot's device can run).
 */
#include "plan_internal.h"

#include <string.h>

/* Bytes done the target reports for the task; false when it reports none. */
static bool reported(const struct plan_ctx *c, const struct raid_task *t,
                     uint64_t *done) {
  const struct mb_raid_observation *o = plan_obs(c, t->target);
  size_t n = o == NULL ? 0 : o->n_tasks;
  for (size_t i = 0; i < n && i < MB_RAID_OBS_TASKS_MAX; i++)
    if (o->tasks[i].task == t->id) {
      *done = o->tasks[i].done < t->bytes ? o->tasks[i].done : t->bytes;
      return true;
    }
  return false;
}

static void task_cmd(struct plan_ctx *c, uint8_t kind,
                     const struct raid_task *t, uint64_t progress) {
  struct mb_raid_cmd cmd = {.kind = kind, .task = t->id, .progress = progress};
  memcpy(cmd.target, t->target, MB_RAID_ID_LEN);
  plan_emit(c, &cmd);
}

static void reassign(struct plan_ctx *c, const struct raid_task *t) {
  const struct raid_array *a = raid_array_find(c->s, t->array);
  struct mb_raid_cmd cmd = {.kind = MB_RAID_CMD_TASK_REASSIGN, .task = t->id};
  memcpy(cmd.device, t->target, MB_RAID_ID_LEN);
  /* Its own share of the throttles must not keep it where it is. */
  plan_uncount(c, t->target, (const uint8_t(*)[MB_RAID_ID_LEN])t->sources,
               t->n_sources);
  bool planned = plan_target(c, a, t->slot, t->target, cmd.target) &&
                 plan_sources(c, a, &cmd) && plan_emit(c, &cmd);
  if (planned)
    plan_count(c, cmd.target, (const uint8_t(*)[MB_RAID_ID_LEN])cmd.devices,
               cmd.n_devices);
  else
    plan_count(c, t->target, (const uint8_t(*)[MB_RAID_ID_LEN])t->sources,
               t->n_sources);
}

static void stalled(struct plan_ctx *c, const struct raid_task *t,
                    struct planner_task *timer) {
  timer->since = c->now; /* one attempt per stall timeout */
  if (t->kind == MB_RAID_TASK_RESYNC) {
    struct mb_raid_cmd cmd = {.kind = MB_RAID_CMD_TASK_CANCEL, .task = t->id};
    plan_emit(c, &cmd);
    return;
  }
  reassign(c, t);
}

static void follow(struct plan_ctx *c, const struct raid_task *t) {
  struct planner_task *timer = planner_task_of(c->p, t->id);
  uint64_t done = 0;
  if (reported(c, t, &done)) {
    if (done >= t->bytes) {
      task_cmd(c, MB_RAID_CMD_TASK_DONE, t, 0);
      return;
    }
    if (done > timer->progress) {
      timer->progress = done;
      timer->since = c->now;
    }
    if (t->state == MB_RAID_TASK_QUEUED && done > t->progress)
      task_cmd(c, MB_RAID_CMD_TASK_PROGRESS, t, done);
  }
  /* since may lie ahead: the clock is held (mb_raid_planner_task_hold). */
  if (c->now >= timer->since &&
      c->now - timer->since >= c->params->stall_timeout_ms)
    stalled(c, t, timer);
}

void plan_progress(struct plan_ctx *c) {
  for (size_t i = 0; i < c->s->n_task; i++)
    if (raid_task_live(&c->s->task[i]))
      follow(c, &c->s->task[i]);
}
