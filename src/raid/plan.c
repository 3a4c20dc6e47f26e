/*
 * mb_raid_plan: the leader's `(now, observations) -> commands`.  The rules
 * run in a fixed order: ledger and device states first (so that a death is
 * acted on at once), then outs, then the progress of running tasks, then
 * new tasks, repairs before moves.
 */
#include "plan_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int obs_cmp(const void *a, const void *b) {
  const struct mb_raid_observation *x =
      *(const struct mb_raid_observation *const *)a;
  const struct mb_raid_observation *y =
      *(const struct mb_raid_observation *const *)b;
  int c = memcmp(x->id, y->id, MB_RAID_ID_LEN);
  /* Same id twice: the caller's order decides, so the sort is total. */
  return c != 0 ? c : (x > y) - (x < y);
}

static void count_live_tasks(struct plan_ctx *c) {
  for (size_t i = 0; i < c->s->n_task; i++) {
    const struct raid_task *t = &c->s->task[i];
    if (raid_task_live(t))
      plan_count(c, t->target, (const uint8_t(*)[MB_RAID_ID_LEN])t->sources,
                 t->n_sources);
  }
}

static int plan_setup(struct plan_ctx *c, const struct mb_raid_observation *obs,
                      size_t n) {
  c->obs = calloc(n + 1, sizeof *c->obs);
  c->in = calloc(c->s->n_dev + 1, sizeof *c->in);
  c->from = calloc(c->s->n_dev + 1, sizeof *c->from);
  if (c->obs == NULL || c->in == NULL || c->from == NULL)
    return -ENOMEM;
  for (size_t i = 0; i < n; i++)
    c->obs[i] = &obs[i];
  c->n_obs = n;
  qsort(c->obs, n, sizeof *c->obs, obs_cmp);
  count_live_tasks(c);
  return planner_sync(c);
}

size_t mb_raid_plan(struct mb_raid_planner *p, const struct mb_raid_state *s,
                    const struct mb_raid_params *params, uint64_t now,
                    const struct mb_raid_observation *obs, size_t n,
                    struct mb_raid_cmd *out, size_t cap) {
  struct plan_ctx c = {
      .p = p, .s = s, .params = params, .now = now, .out = out, .cap_out = cap};
  if (plan_setup(&c, obs, n) == MB_OK) {
    plan_devices(&c);
    plan_outs(&c);
    plan_progress(&c);
    plan_new_tasks(&c);
  }
  free(c.obs);
  free(c.in);
  free(c.from);
  return c.n_out;
}
