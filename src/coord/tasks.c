/*
 * This device's own tasks: learned from the replica (voters) or the
 * published records (every other device: published.c), announced in the
 * heartbeat, started at the executor once the leader's lease comes
 * (lease.c) and cancelled there once each, their progress put in the
 * heartbeat at most once a second.  A task is cancelled here when it is
 * no longer ours and live: done, cancelled, reassigned to another
 * target, or gone (its array removed, its record lapsed).
 */
#include "coord_internal.h"

#include <string.h>

static bool ours_and_live(const struct mb_coord *c,
                          const struct mb_raid_task_info *t) {
  return memcmp(t->target, c->self, MB_NODE_ID_LEN) == 0 &&
         (t->state == MB_RAID_TASK_QUEUED || t->state == MB_RAID_TASK_RUNNING);
}

long coord_local_task_find(const struct mb_coord *c, uint64_t id) {
  for (size_t i = 0; i < c->n_tasks; i++)
    if (c->tasks[i].id == id)
      return (long)i;
  return -1;
}

/* The task as the replica or the published records say; MB_ENOENT. */
static int task_find(const struct mb_coord *c, uint64_t id,
                     struct mb_raid_task_info *out) {
  const struct mb_raid_state *s = mb_coord_replica(c);
  if (s != NULL)
    return mb_raid_task_find(s, id, out);
  size_t n = mb_coord_task_count(c);
  for (size_t i = 0; i < n; i++)
    if (mb_coord_task_at(c, i, out) == 0 && out->id == id)
      return 0;
  return MB_ENOENT;
}

static void cancel_gone(struct mb_coord *c) {
  for (size_t i = c->n_tasks; i-- > 0;) {
    struct mb_raid_task_info t;
    if (task_find(c, c->tasks[i].id, &t) == 0 && ours_and_live(c, &t))
      continue;
    if (c->tasks[i].started && !c->tasks[i].abandoned) {
      struct mb_coord_output o = {.kind = MB_COORD_OUT_TASK_CANCEL};
      o.task.id = c->tasks[i].id;
      coord_push(c, &o, NULL, 0);
    }
    c->tasks[i] = c->tasks[--c->n_tasks];
    c->progress_dirty = true;
  }
}

/* A new task of ours goes into the heartbeat; the executor starts it
 * when the leader's lease on it arrives (lease.c). */
static void learn_new(struct mb_coord *c) {
  size_t n = mb_coord_task_count(c);
  for (size_t i = 0; i < n && c->n_tasks < MB_HB_TASKS_MAX; i++) {
    struct mb_raid_task_info t;
    if (mb_coord_task_at(c, i, &t) != 0 || !ours_and_live(c, &t) ||
        coord_local_task_find(c, t.id) >= 0)
      continue;
    c->tasks[c->n_tasks++] = (struct coord_local_task){
        .id = t.id, .bytes = t.bytes, .done = t.progress, .info = t};
    c->progress_dirty = true;
    c->next_ask = c->now; /* ask for its lease at once */
  }
}

void coord_tasks_learn(struct mb_coord *c) {
  if (!c->tasks_stale)
    return;
  c->tasks_stale = false;
  cancel_gone(c);
  learn_new(c);
}

void coord_progress_flush(struct mb_coord *c) {
  if (!c->progress_dirty ||
      (c->progress_sent && c->now - c->progress_at < COORD_PROGRESS_EVERY_MS))
    return;
  struct mb_coord_output o = {.kind = MB_COORD_OUT_PROGRESS};
  for (size_t i = 0; i < c->n_tasks; i++)
    if (!c->tasks[i].abandoned) /* a given-up task goes quiet, and stalls */
      o.progress[o.n_progress++] = (struct mb_task_progress){
          .id = c->tasks[i].id, .done = c->tasks[i].done};
  coord_push(c, &o, NULL, 0);
  c->progress_dirty = false;
  c->progress_sent = true;
  c->progress_at = c->now;
}

void mb_coord_task_progress(struct mb_coord *c, uint64_t now, uint64_t task,
                            uint64_t done) {
  c->now = now;
  long i = coord_local_task_find(c, task);
  if (i < 0 || c->tasks[i].abandoned || done <= c->tasks[i].done)
    return;
  c->tasks[i].done = done < c->tasks[i].bytes ? done : c->tasks[i].bytes;
  c->progress_dirty = true;
  coord_progress_flush(c);
}

void mb_coord_task_finished(struct mb_coord *c, uint64_t now, uint64_t task,
                            int result) {
  c->now = now;
  long i = coord_local_task_find(c, task);
  if (i < 0 || c->tasks[i].abandoned || result != 0)
    return;
  c->tasks[i].done = c->tasks[i].bytes;
  c->progress_dirty = true;
  coord_progress_flush(c);
}
