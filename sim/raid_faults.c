/*
 * What the history checker counts as a fault, for judging healing
 * (`raid_healthy_after_faults within D`: healthy again at most D after the
 * last fault ended).  A crash or restart is a fault of an instant: a
 * device crashed for good is a loss the arrays must heal from, measured
 * from the crash.  The network's faults (a partition, a link rule, a loss
 * above the file's own `network loss`) and frozen or slow nodes are open
 * while they last: the checker hears one fault begin when the first of
 * them starts and end when the last one is over.
 */
#include "raid.h"

static bool faulty(const struct sim *s) {
  if (s->net.partitioned || s->net.n_rules > 0 ||
      s->net.cfg.loss != s->scn->net.loss)
    return true;
  for (uint32_t i = 0; i < s->n; i++)
    if (s->nodes[i].status == SIM_UP &&
        (s->nodes[i].frozen || s->nodes[i].slow))
      return true;
  return false;
}

void sim_raid_fault_sync(struct sim *s) {
  struct sim_raid *r = s->raid;
  if (r == NULL)
    return;
  bool now = faulty(s);
  if (now != r->fault_open)
    raid_history_fault(r->hist, s->now, now);
  r->fault_open = now;
}

void sim_raid_fault_instant(struct sim *s) {
  struct sim_raid *r = s->raid;
  if (r == NULL)
    return;
  raid_history_fault(r->hist, s->now, true);
  raid_history_fault(r->hist, s->now, false);
}
