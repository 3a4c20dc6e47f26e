/*
 * `faults random from T until T2 every P [max_down N]` (docs/sim.md
 * "Random faults"): from T, every P, one fault drawn from the run's seed
 * (its own generator, so the network's draws do not move), each lasting a
 * drawn while; at T2 everything is healed and every crashed node restarted,
 * so what comes after is judged on a whole mesh.
 *
 * The menu, per draw (percent):
 *   30  crash a running node (at most max_down down at once), back after
 *       5..90 s, its agent restarted with its gossip state (keep) or
 *       without (wipe), half each: some come back before down_out, some
 *       after;
 *   10  crash the node whose coordinator leads Raft, the same way;
 *   20  a partition of any shape: every node in one of 2 or 3 groups,
 *       drawn, for 5..40 s;
 *   15  a link rule from a drawn quarter of the nodes to the others, one
 *       way or both, losing 30..100 %, for 5..40 s;
 *   10  the whole network loses 5..30 % more, for 5..30 s;
 *    7  a running node frozen for 1..10 s (ending before T2);
 *    8  nothing.
 * Every draw is folded into the trace.
 */
#include "faults_random.h"
#include "raid.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum {
  RF_DRAW = 0,    /* the next fault */
  RF_HEAL = 1,    /* T2: everything healed */
  RF_RESTART = 2, /* node back; ref: its life when crashed */
  RF_LOSS_END = 3 /* a loss burst is over; ref: loss_gen */
};

#define RF_S 1000000ull

static uint64_t between(struct sim *s, uint64_t lo_s, uint64_t hi_s) {
  struct sim_rfaults *f = s->rfaults;
  return lo_s * RF_S + mb_rng_below(&f->rng, (hi_s - lo_s) * RF_S + 1);
}

static void trace(struct sim *s, unsigned kind, uint32_t node, uint64_t v) {
  static const char *const names[RF_K_COUNT] = {
      "crash",  "leader-crash", "partition", "link", "loss",
      "freeze", "nothing",      "restart",   "heal"};
  if (s->timeline != NULL)
    fprintf(s->timeline,
            "{\"t\":%" PRIu64 ".%06" PRIu64 ",\"fault\":\"%s\",\"node\":%u,"
            "\"value\":%" PRIu64 "}\n",
            s->now / SCN_US_PER_S, s->now % SCN_US_PER_S, names[kind], node, v);
  s->rfaults->drawn[kind]++;
  sim_trace_u64(s, s->now);
  sim_trace_u64(s, 0xfa000000u | (uint64_t)kind << 16);
  sim_trace_u64(s, (uint64_t)node << 32 | (v & 0xffffffffu));
}

int sim_rfaults_new(struct sim *s) {
  const struct scn_faults *sf = &s->scn->faults;
  if (!sf->on)
    return 0;
  struct sim_rfaults *f = calloc(1, sizeof(*f));
  if (f == NULL)
    return sim_fail(s, "out of memory for random faults");
  s->rfaults = f;
  mb_rng_seed(&f->rng, sim_derive_u64(s->seed, "meshbeat-sim faults", 0, 0));
  for (uint64_t t = sf->from_us; t < sf->until_us; t += sf->every_us)
    if (sim_schedule(s, t, SIM_EV_FAULT, 0, 0, RF_DRAW) != 0)
      return -1;
  return sim_schedule(s, sf->until_us, SIM_EV_FAULT, 0, 0, RF_HEAL);
}

void sim_rfaults_free(struct sim *s) {
  free(s->rfaults);
  s->rfaults = NULL;
}

static uint32_t count_down(const struct sim *s) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < s->n; i++)
    k += s->nodes[i].status == SIM_DOWN;
  return k;
}

/* A drawn running node, or SIM_NONE. */
static uint32_t pick_up(struct sim *s) {
  uint32_t up = 0;
  for (uint32_t i = 0; i < s->n; i++)
    up += s->nodes[i].status == SIM_UP && !s->nodes[i].frozen;
  if (up == 0)
    return SIM_NONE;
  uint64_t k = mb_rng_below(&s->rfaults->rng, up);
  for (uint32_t i = 0; i < s->n; i++)
    if (s->nodes[i].status == SIM_UP && !s->nodes[i].frozen && k-- == 0)
      return i;
  return SIM_NONE;
}

static int crash_for_a_while(struct sim *s, uint32_t i, unsigned kind) {
  int line = s->scn->faults.line;
  if (i == SIM_NONE || count_down(s) >= s->scn->faults.max_down)
    return 0;
  uint64_t back = s->now + between(s, 5, 90);
  trace(s, kind, i, back);
  if (sim_crash_node(s, i, line) != 0)
    return -1;
  if (back >= s->scn->faults.until_us)
    return 0; /* the heal restarts it */
  return sim_schedule(s, back, SIM_EV_FAULT, i, s->nodes[i].life, RF_RESTART);
}

static int partition(struct sim *s) {
  struct sim_rfaults *f = s->rfaults;
  uint64_t groups = 2 + mb_rng_below(&f->rng, 2);
  for (uint32_t i = 0; i < s->n; i++)
    s->nodes[i].group = (uint16_t)(1 + mb_rng_below(&f->rng, groups));
  uint64_t dur = between(s, 5, 40);
  trace(s, RF_K_PARTITION, (uint32_t)groups, dur);
  return sim_partition_now(s, dur);
}

static int link(struct sim *s) {
  struct sim_rfaults *f = s->rfaults;
  size_t words = (s->n + 63) / 64;
  uint64_t *from = calloc(words, sizeof(uint64_t));
  uint64_t *to = calloc(words, sizeof(uint64_t));
  int rc = from && to ? 0 : sim_fail(s, "out of memory for a link rule");
  for (uint32_t i = 0; rc == 0 && i < s->n; i++) {
    uint64_t *side = mb_rng_below(&f->rng, 4) == 0 ? from : to;
    side[i / 64] |= 1ull << (i % 64);
  }
  uint32_t first = (uint32_t)mb_rng_below(&f->rng, s->n);
  if (rc == 0) { /* never an empty side */
    from[first / 64] |= 1ull << (first % 64);
    to[first / 64] &= ~(1ull << (first % 64));
  }
  bool both = mb_rng_below(&f->rng, 2) == 0;
  double loss = 0.3 + 0.7 * mb_rng_unit(&f->rng);
  uint64_t dur = between(s, 5, 40);
  uint32_t id;
  if (rc == 0) {
    trace(s, RF_K_LINK, first, (uint64_t)both << 31 | (uint64_t)(loss * 1000));
    rc = sim_net_add_rule_bits(s, from, to, both, loss, &id) != 0 ||
                 sim_link_added(s, id, dur) != 0
             ? -1
             : 0;
  }
  free(from);
  free(to);
  return rc;
}

static int loss_burst(struct sim *s) {
  struct sim_rfaults *f = s->rfaults;
  double more = 0.05 + 0.25 * mb_rng_unit(&f->rng);
  uint64_t dur = between(s, 5, 30);
  trace(s, RF_K_LOSS, 0, (uint64_t)(more * 1000));
  s->net.cfg.loss = s->scn->net.loss + more;
  sim_raid_fault_sync(s);
  if (sim_history_note(s) != 0)
    return -1;
  return sim_schedule(s, s->now + dur, SIM_EV_FAULT, 0, ++f->loss_gen,
                      RF_LOSS_END);
}

static int freeze(struct sim *s) {
  uint32_t i = pick_up(s);
  uint64_t dur = between(s, 1, 10);
  if (i == SIM_NONE || s->now + dur >= s->scn->faults.until_us)
    return 0;
  trace(s, RF_K_FREEZE, i, dur);
  return sim_freeze_node(s, i, dur, s->scn->faults.line);
}

static int draw(struct sim *s) {
  uint64_t r = mb_rng_below(&s->rfaults->rng, 100);
  if (r < 30)
    return crash_for_a_while(s, pick_up(s), RF_K_CRASH);
  if (r < 40)
    return crash_for_a_while(s, sim_raid_leader_target(s, true), RF_K_LEADER);
  if (r < 60)
    return partition(s);
  if (r < 75)
    return link(s);
  if (r < 85)
    return loss_burst(s);
  if (r < 92)
    return freeze(s);
  trace(s, RF_K_NOTHING, 0, 0);
  return 0;
}

static int restart(struct sim *s, uint32_t i) {
  bool wipe = mb_rng_below(&s->rfaults->rng, 2) == 0;
  trace(s, RF_K_RESTART, i, wipe);
  return sim_restart_node(s, i, wipe, s->scn->faults.line);
}

/* T2: the partition healed, every link rule gone, the file's own loss,
 * every crashed node back. */
static int heal_all(struct sim *s) {
  trace(s, RF_K_HEAL, 0, 0);
  if (s->net.partitioned)
    sim_heal(s);
  sim_net_clear_rules(s);
  s->net.cfg.loss = s->scn->net.loss;
  s->rfaults->loss_gen++;
  int rc = sim_history_note(s);
  sim_raid_fault_sync(s);
  for (uint32_t i = 0; rc == 0 && i < s->n; i++)
    if (s->nodes[i].status == SIM_DOWN)
      rc = restart(s, i);
  return rc;
}

void sim_rfaults_event(struct sim *s, const struct sim_event *e) {
  struct sim_rfaults *f = s->rfaults;
  switch (e->aux) {
  case RF_DRAW:
    draw(s);
    return;
  case RF_HEAL:
    heal_all(s);
    return;
  case RF_RESTART:
    if (s->nodes[e->node].status == SIM_DOWN &&
        s->nodes[e->node].life == e->ref)
      restart(s, e->node);
    return;
  case RF_LOSS_END:
    if (e->ref == f->loss_gen) {
      s->net.cfg.loss = s->scn->net.loss;
      sim_history_note(s);
      sim_raid_fault_sync(s);
    }
    return;
  }
}

void sim_rfaults_summary(const struct sim *s, FILE *out) {
  static const char *const names[RF_K_COUNT] = {
      "crashes", "leader crashes", "partitions", "link rules", "loss bursts",
      "freezes", "quiet draws",    "restarts",   "heals"};
  const struct sim_rfaults *f = s->rfaults;
  if (f == NULL)
    return;
  fprintf(out, "faults random:");
  for (int k = 0; k < RF_K_COUNT; k++)
    fprintf(out, "%s %llu %s", k ? "," : "", (unsigned long long)f->drawn[k],
            names[k]);
  fprintf(out, "\n");
}
