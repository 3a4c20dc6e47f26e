/*
 * Ground truth: what every node's view says (from its events) against what
 * is really the case (from the scenario), and the figures that compare them.
 *
 *   view        n*n states, one row per observer, kept from the events.
 *   good        pairs (O, S), both up, O != S, in which O sees S alive;
 *               the mesh is converged when good == up * (up - 1).  Kept
 *               incrementally: O(1) per event, O(n) when a node goes up or
 *               down, so checking convergence after every event is free.
 *   failures    every crash and leave, with the observers expected to see
 *               it (up at the time) and when they did (DEAD or LEFT).
 *   false       SUSPECT / DEAD events about a subject that was healthy (up,
 *               not frozen, not slow) for the whole grace period before the
 *               event, while the pair (observer, subject) was clean (same
 *               group, links losing less than half) for that whole period
 *               (history.c).  docs/sim.md gives the reasoning.
 *   deaths of healthy
 *               DEAD events about a subject up and healthy at that instant,
 *               whatever the network: never forgiven, so impaired links
 *               show up here even where the false count excuses them.
 *   tallies     per counting expectation, the events of its kind between
 *               its subjects and observers, counted as they happen (so no
 *               per-pair counters are kept).
 *   partitions  per partition, when every up node first held every up
 *               node of every other group dead (kept incrementally).
 */
#include "sample.h"
#include "sim.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define V_ALIVE (1 + SWIM_ALIVE)

static uint8_t *cell(struct sim *s, uint32_t o, uint32_t subj) {
  return &s->truth.view[(size_t)o * s->n + subj];
}

static bool is_up(const struct sim *s, uint32_t i) {
  return s->nodes[i].status == SIM_UP;
}

static bool bit(const uint64_t *b, uint32_t i) {
  return (b[i / 64] >> (i % 64)) & 1;
}

static unsigned tally_what(enum scn_metric m) {
  switch (m) {
  case SCN_M_DEATHS:
    return SIM_W_DEATH;
  case SCN_M_SUSPICIONS:
    return SIM_W_SUSPICION;
  case SCN_M_FALSE_DEATHS:
    return SIM_W_FALSE_DEATH;
  case SCN_M_FALSE_SUSPICIONS:
    return SIM_W_FALSE_SUSPICION;
  case SCN_M_DEATHS_OF_HEALTHY:
    return SIM_W_HEALTHY_DEATH;
  default:
    return 0;
  }
}

/* The counting expectations' tallies, with their node sets as bitmaps. */
static int tallies_init(struct sim *s) {
  struct sim_truth *t = &s->truth;
  size_t n = s->scn->n_expects;
  t->tally = calloc(n ? n : 1, sizeof(*t->tally));
  if (t->tally == NULL)
    return -1;
  for (size_t k = 0; k < n; k++) {
    const struct scn_expect *e = &s->scn->expects[k];
    struct sim_tally *y = &t->tally[k];
    y->what = tally_what(e->metric);
    if (y->what == 0)
      continue;
    if (e->has_set && (y->about = sim_set_bits(s, &e->set)) == NULL)
      return -1;
    if (e->has_by && (y->by = sim_set_bits(s, &e->by)) == NULL)
      return -1;
  }
  return 0;
}

int sim_truth_init(struct sim *s) {
  struct sim_truth *t = &s->truth;
  t->view = calloc((size_t)s->n * s->n, 1);
  t->false_deaths_of = calloc(s->n, sizeof(uint32_t));
  if (t->view == NULL || t->false_deaths_of == NULL || tallies_init(s) != 0)
    return sim_fail(s, "out of memory for the views of %u nodes", s->n);
  return sim_history_note(s); /* the network as configured, from 0 */
}

void sim_truth_free(struct sim *s) {
  struct sim_truth *t = &s->truth;
  for (size_t k = 0; k < t->n_fail; k++)
    free(t->fail[k].watch);
  for (size_t k = 0; t->tally && k < s->scn->n_expects; k++) {
    free(t->tally[k].about);
    free(t->tally[k].by);
  }
  sim_history_free(s);
  free(t->tally);
  free(t->fail);
  free(t->conv);
  free(t->pdet);
  free(t->view);
  free(t->false_deaths_of);
  memset(t, 0, sizeof(*t));
}

static bool pdet_open(const struct sim_truth *t) {
  return t->n_pdet > 0 && t->pdet[t->n_pdet - 1].open;
}

/* Cross pairs involving i (both directions) that are seen DEAD. */
static uint64_t cross_dead_of(struct sim *s, uint32_t i) {
  uint64_t c = 0;
  uint16_t g = s->nodes[i].group;
  for (uint32_t j = 0; j < s->n; j++)
    if (j != i && is_up(s, j) && s->nodes[j].group != g)
      c +=
          (*cell(s, i, j) == 1 + SWIM_DEAD) + (*cell(s, j, i) == 1 + SWIM_DEAD);
  return c;
}

/* Ordered pairs of up nodes in different groups: up^2 - sum of up_g^2. */
static uint64_t cross_pairs(const struct sim *s) {
  uint64_t per[SCN_GROUPS_MAX + 1] = {0}, up = 0, same = 0;
  for (uint32_t i = 0; i < s->n; i++)
    if (is_up(s, i)) {
      per[s->nodes[i].group]++;
      up++;
    }
  for (int g = 0; g <= SCN_GROUPS_MAX; g++)
    same += per[g] * per[g];
  return up * up - same;
}

static void pdet_check(struct sim *s) {
  struct sim_truth *t = &s->truth;
  if (!pdet_open(t) || t->cross_dead != t->cross_pairs)
    return;
  struct sim_pdetect *p = &t->pdet[t->n_pdet - 1];
  p->done = s->now;
  p->open = false;
}

int sim_truth_partition(struct sim *s, bool open) {
  struct sim_truth *t = &s->truth;
  if (pdet_open(t))
    t->pdet[t->n_pdet - 1].open = false; /* healed or replaced first */
  if (!open)
    return 0;
  if (t->n_pdet == t->cap_pdet) {
    size_t cap = t->cap_pdet ? 2 * t->cap_pdet : 4;
    struct sim_pdetect *v = realloc(t->pdet, cap * sizeof(*v));
    if (v == NULL)
      return sim_fail(s, "out of memory");
    t->pdet = v;
    t->cap_pdet = cap;
  }
  t->pdet[t->n_pdet++] =
      (struct sim_pdetect){.at = s->now, .done = SIM_NEVER, .open = true};
  t->cross_dead = 0;
  for (uint32_t i = 0; i < s->n; i++)
    if (is_up(s, i))
      t->cross_dead += cross_dead_of(s, i);
  t->cross_dead /= 2; /* each pair was counted from both ends */
  t->cross_pairs = cross_pairs(s);
  pdet_check(s);
  return 0;
}

/* Pairs involving i (both directions) that count towards good. */
static uint64_t contribution(struct sim *s, uint32_t i) {
  uint64_t c = 0;
  for (uint32_t j = 0; j < s->n; j++)
    if (j != i && is_up(s, j))
      c += (*cell(s, i, j) == V_ALIVE) + (*cell(s, j, i) == V_ALIVE);
  return c;
}

void sim_truth_up(struct sim *s, uint32_t i) {
  struct sim_truth *t = &s->truth;
  t->up++;
  sim_sample_observer(s, i, +1);
  t->good += contribution(s, i);
  if (pdet_open(t)) {
    t->cross_dead += cross_dead_of(s, i);
    t->cross_pairs = cross_pairs(s);
  }
  for (size_t k = 0; k < t->n_fail; k++)
    if (t->fail[k].node == i)
      t->fail[k].open = false; /* back: later events are not detections */
  sim_truth_check(s);
}

static void detected(struct sim_failure *f, uint32_t o, uint64_t now) {
  f->watch[o / 64] &= ~(1ull << (o % 64));
  f->got++;
  if (f->first == SIM_NEVER)
    f->first = now;
  f->last = now;
  if (f->got == f->want) {
    f->all = now;
    f->open = false;
  }
}

void sim_truth_down(struct sim *s, uint32_t i) {
  struct sim_truth *t = &s->truth;
  t->up--;
  sim_sample_observer(s, i, -1);
  sim_sample_health(s, i);
  t->good -= contribution(s, i);
  if (pdet_open(t)) {
    t->cross_dead -= cross_dead_of(s, i);
    t->cross_pairs = cross_pairs(s);
  }
  /* An observer that goes down is no longer waited for. */
  for (size_t k = 0; k < t->n_fail; k++) {
    struct sim_failure *f = &t->fail[k];
    if (!f->open || !bit(f->watch, i))
      continue;
    f->watch[i / 64] &= ~(1ull << (i % 64));
    f->want--;
    if (f->got == f->want) {
      f->all = f->got ? f->last : SIM_NEVER;
      f->open = false;
    }
  }
  sim_truth_check(s);
}

void sim_truth_wipe(struct sim *s, uint32_t i) {
  /* Only ever called while i is down, so good does not change. */
  memset(cell(s, i, 0), 0, s->n);
}

int sim_truth_failure(struct sim *s, uint32_t i, bool leave) {
  struct sim_truth *t = &s->truth;
  if (t->n_fail == t->cap_fail) {
    size_t cap = t->cap_fail ? 2 * t->cap_fail : 8;
    struct sim_failure *f = realloc(t->fail, cap * sizeof(*f));
    if (f == NULL)
      return sim_fail(s, "out of memory for failures");
    t->fail = f;
    t->cap_fail = cap;
  }
  struct sim_failure *f = &t->fail[t->n_fail];
  *f = (struct sim_failure){.node = i,
                            .leave = leave,
                            .open = true,
                            .at = s->now,
                            .first = SIM_NEVER,
                            .all = SIM_NEVER,
                            .last = SIM_NEVER};
  f->watch = calloc((s->n + 63) / 64, sizeof(uint64_t));
  if (f->watch == NULL)
    return sim_fail(s, "out of memory for failures");
  t->n_fail++;
  for (uint32_t o = 0; o < s->n; o++)
    if (o != i && is_up(s, o)) {
      f->watch[o / 64] |= 1ull << (o % 64);
      f->want++;
    }
  /* Observers that already hold it dead or left have nothing to notice. */
  for (uint32_t o = 0; o < s->n && f->open; o++)
    if (bit(f->watch, o) && *cell(s, o, i) > 1 + SWIM_SUSPECT)
      detected(f, o, s->now);
  if (f->want == 0)
    f->open = false;
  return 0;
}

int sim_truth_conv(struct sim *s, enum scn_conv kind, uint32_t action,
                   uint32_t pending) {
  struct sim_truth *t = &s->truth;
  if (t->n_conv == t->cap_conv) {
    size_t cap = t->cap_conv ? 2 * t->cap_conv : 8;
    struct sim_conv *c = realloc(t->conv, cap * sizeof(*c));
    if (c == NULL)
      return sim_fail(s, "out of memory");
    t->conv = c;
    t->cap_conv = cap;
  }
  t->conv[t->n_conv++] = (struct sim_conv){.kind = kind,
                                           .at = s->now,
                                           .action = action,
                                           .pending = pending,
                                           .done = SIM_NEVER};
  sim_truth_check(s); /* a heal that changed nothing converged at once */
  return 0;
}

void sim_truth_started(struct sim *s, uint32_t action) {
  struct sim_truth *t = &s->truth;
  for (size_t k = 0; k < t->n_conv; k++)
    if (t->conv[k].pending > 0 && t->conv[k].action == action &&
        (t->conv[k].kind == SCN_CONV_START || t->conv[k].kind == SCN_CONV_JOIN))
      t->conv[k].pending--;
  sim_truth_check(s);
}

void sim_truth_check(struct sim *s) {
  struct sim_truth *t = &s->truth;
  pdet_check(s);
  if (t->good != (uint64_t)t->up * (t->up ? t->up - 1 : 0))
    return;
  /* A start line's nodes must all be up first: before they are, the
   * others agreeing among themselves proves nothing about the newcomers. */
  for (size_t k = 0; k < t->n_conv; k++)
    if (t->conv[k].done == SIM_NEVER && t->conv[k].pending == 0)
      t->conv[k].done = s->now;
}

/* Is an accusation of subj by o false by the definition above? */
static bool is_false(struct sim *s, uint32_t o, uint32_t subj) {
  const struct sim_node *n = &s->nodes[subj];
  if (n->healthy_since == SIM_NEVER || s->now - n->healthy_since < s->grace)
    return false;
  uint64_t from = s->now > s->grace ? s->now - s->grace : 0;
  return sim_history_clean(s, o, subj, from);
}

static void count_false(struct sim *s, uint32_t o, uint32_t subj,
                        enum swim_state to) {
  struct sim_truth *t = &s->truth;
  if (to == SWIM_SUSPECT)
    t->false_suspicions++;
  else
    t->false_deaths++, t->false_deaths_of[subj]++;
  const struct sim_node *obs = &s->nodes[o];
  if (obs->healthy_since == SIM_NEVER || s->now - obs->healthy_since < s->grace)
    t->false_by_recovering++;
  sim_sample_false(s, subj, to);
  if (t->n_examples < SIM_FALSE_EXAMPLES)
    t->examples[t->n_examples++] =
        (struct sim_false_event){s->now, o, subj, to};
}

/* What the event is, as enum sim_what bits; counts the false ones. */
static unsigned classify(struct sim *s, uint32_t o, uint32_t subj,
                         enum swim_state to) {
  unsigned w = 0;
  if (to == SWIM_SUSPECT)
    w |= SIM_W_SUSPICION;
  else if (to == SWIM_DEAD || to == SWIM_LEFT)
    w |= SIM_W_DEATH;
  if (to == SWIM_DEAD && s->nodes[subj].healthy_since != SIM_NEVER) {
    w |= SIM_W_HEALTHY_DEATH;
    s->truth.deaths_of_healthy++;
  }
  if ((to == SWIM_SUSPECT || to == SWIM_DEAD) && is_false(s, o, subj)) {
    w |= to == SWIM_SUSPECT ? SIM_W_FALSE_SUSPICION : SIM_W_FALSE_DEATH;
    count_false(s, o, subj, to);
  }
  return w;
}

static void tally(struct sim *s, uint32_t o, uint32_t subj, unsigned w) {
  struct sim_truth *t = &s->truth;
  for (size_t k = 0; w && k < s->scn->n_expects; k++) {
    struct sim_tally *y = &t->tally[k];
    if ((y->what & w) && (y->about == NULL || bit(y->about, subj)) &&
        (y->by == NULL || bit(y->by, o)))
      y->count++;
  }
}

static void timeline(struct sim *s, uint32_t o, uint32_t subj,
                     const struct swim_event *ev) {
  char subject[16] = "null";
  if (subj != SIM_NONE)
    snprintf(subject, sizeof(subject), "%u", subj);
  fprintf(s->timeline,
          "{\"t\":%" PRIu64 ".%06" PRIu64 ",\"observer\":%u,\"subject\":%s,"
          "\"from\":\"%s\",\"to\":\"%s\",\"reason\":\"%s\","
          "\"incarnation\":%" PRIu64 "}\n",
          s->now / SCN_US_PER_S, s->now % SCN_US_PER_S, o, subject,
          swim_state_name(ev->from), swim_state_name(ev->to),
          swim_reason_name(ev->reason), ev->incarnation);
}

void sim_truth_event(struct sim *s, uint32_t o, const struct swim_event *ev) {
  struct sim_truth *t = &s->truth;
  uint32_t subj = sim_id_node(s, ev->id);
  t->events++;
  sim_trace_u64(s, s->now);
  sim_trace_u64(s, (uint64_t)o << 32 | subj);
  sim_trace_u64(s, (uint64_t)ev->from << 16 | (uint64_t)ev->to << 8 |
                       (uint64_t)ev->reason);
  sim_trace_u64(s, ev->incarnation);
  if (s->timeline)
    timeline(s, o, subj, ev);
  if (subj == SIM_NONE || subj == o)
    return;
  uint8_t *c = cell(s, o, subj), old = *c;
  *c = (uint8_t)(1 + ev->to);
  if (is_up(s, o))
    sim_sample_view(s, subj, old, *c);
  if (is_up(s, o) && is_up(s, subj)) {
    t->good = t->good - (old == V_ALIVE) + (*c == V_ALIVE);
    if (pdet_open(t) && s->nodes[o].group != s->nodes[subj].group)
      t->cross_dead =
          t->cross_dead - (old == 1 + SWIM_DEAD) + (*c == 1 + SWIM_DEAD);
  }
  tally(s, o, subj, classify(s, o, subj, ev->to));
  if (ev->to == SWIM_DEAD || ev->to == SWIM_LEFT) {
    for (size_t k = 0; k < t->n_fail; k++)
      if (t->fail[k].node == subj && t->fail[k].open &&
          bit(t->fail[k].watch, o))
        detected(&t->fail[k], o, s->now);
  }
  sim_truth_check(s);
}
