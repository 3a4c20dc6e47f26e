/*
 * The built-in executor of a simulated device: copies at `raid executor
 * rate`, tells its coordinator the bytes done every virtual second
 * (mb_coord_task_progress) and the result at the end
 * (mb_coord_task_finished), as the agent's executor reports a hook's
 * progress.  A task started again (the coordinator restarted on the same
 * task) resumes from the progress the task carries.  The history checker
 * hears every start and stop, so two executors writing one slot are seen.
 */
#include "raid.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static long find(const struct sim_raid_node *rn, uint64_t id) {
  for (size_t k = 0; k < rn->n_exec; k++)
    if (rn->exec[k].id == id)
      return (long)k;
  return -1;
}

/* --timeline: what an executor started or stopped, and why. */
static void timeline(struct sim *s, uint32_t i, const char *what,
                     uint64_t task) {
  if (s->timeline != NULL)
    fprintf(s->timeline,
            "{\"t\":%" PRIu64 ".%06" PRIu64 ",\"raid\":\"%s\",\"node\":%u,"
            "\"task\":%" PRIu64 "}\n",
            s->now / SCN_US_PER_S, s->now % SCN_US_PER_S, what, i, task);
}

static void arm(struct sim *s, uint32_t i) {
  struct sim_raid_node *rn = &s->raid->node[i];
  if (rn->exec_armed || rn->n_exec == 0)
    return;
  rn->exec_armed = true;
  sim_schedule(s, s->now + SIM_RAID_EXEC_STEP_US, SIM_EV_RAID_EXEC, i,
               rn->exec_gen, 0);
}

void sim_raid_exec_start(struct sim *s, uint32_t i,
                         const struct mb_raid_task_info *t) {
  struct sim_raid *r = s->raid;
  struct sim_raid_node *rn = &r->node[i];
  r->c.task_starts++;
  if (find(rn, t->id) >= 0)
    return;
  if (rn->n_exec == rn->cap_exec) {
    size_t cap = rn->cap_exec ? 2 * rn->cap_exec : 4;
    struct sim_raid_exec *v = realloc(rn->exec, cap * sizeof(*v));
    if (v == NULL) {
      sim_fail(s, "out of memory for node %u's executor", i);
      return;
    }
    rn->exec = v;
    rn->cap_exec = cap;
  }
  struct sim_raid_exec *x = &rn->exec[rn->n_exec++];
  memset(x, 0, sizeof(*x));
  x->id = t->id;
  x->bytes = t->bytes;
  x->done = t->progress < t->bytes ? t->progress : t->bytes;
  snprintf(x->array, sizeof(x->array), "%s", t->array);
  x->slot = t->slot;
  raid_history_exec_start(r->hist, s->now, i, t->id, t->array, t->slot);
  timeline(s, i, "exec-start", t->id);
  arm(s, i);
}

static void remove_at(struct sim *s, uint32_t i, size_t k) {
  struct sim_raid_node *rn = &s->raid->node[i];
  raid_history_exec_stop(s->raid->hist, s->now, i, rn->exec[k].id);
  timeline(s, i,
           rn->exec[k].done == rn->exec[k].bytes ? "exec-done" : "exec-cancel",
           rn->exec[k].id);
  rn->exec[k] = rn->exec[--rn->n_exec];
}

void sim_raid_exec_cancel(struct sim *s, uint32_t i, uint64_t task) {
  struct sim_raid_node *rn = &s->raid->node[i];
  s->raid->c.task_cancels++;
  long k = find(rn, task);
  if (k >= 0)
    remove_at(s, i, (size_t)k);
}

void sim_raid_exec_drop(struct sim *s, uint32_t i) {
  struct sim_raid_node *rn = &s->raid->node[i];
  raid_history_exec_stop_node(s->raid->hist, s->now, i);
  rn->n_exec = 0;
  rn->exec_gen++;
  rn->exec_armed = false;
}

/* One virtual second of copying for every task of node i.  A frozen node's
 * executor waits with it (the whole machine stopped). */
void sim_raid_exec_event(struct sim *s, uint32_t i, uint32_t gen) {
  struct sim_raid *r = s->raid;
  struct sim_raid_node *rn = &r->node[i];
  struct sim_node *n = &s->nodes[i];
  if (gen != rn->exec_gen)
    return;
  rn->exec_armed = false;
  if (rn->coord == NULL)
    return;
  uint64_t step = r->rate * SIM_RAID_EXEC_STEP_US / 1000000u;
  uint64_t now = sim_core_now(s, n);
  for (size_t k = rn->n_exec; !n->frozen && k-- > 0;) {
    struct sim_raid_exec *x = &rn->exec[k];
    uint64_t left = x->bytes - x->done;
    x->done += left < step ? left : step;
    r->c.exec_bytes += left < step ? left : step;
    mb_coord_task_progress(rn->coord, now, x->id, x->done);
    if (x->done == x->bytes) {
      r->c.tasks_finished++;
      mb_coord_task_finished(rn->coord, now, x->id, 0);
      remove_at(s, i, k);
    }
  }
  arm(s, i);
  sim_raid_drain(s, i);
}
