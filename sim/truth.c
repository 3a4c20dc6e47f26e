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
 *               event and is reachable from the observer, with no network
 *               change within the grace period either.  docs/sim.md gives
 *               the reasoning.
 */
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

int sim_truth_init(struct sim *s) {
  struct sim_truth *t = &s->truth;
  t->view = calloc((size_t)s->n * s->n, 1);
  t->deaths = calloc(s->n, sizeof(uint32_t));
  t->suspicions = calloc(s->n, sizeof(uint32_t));
  if (t->view == NULL || t->deaths == NULL || t->suspicions == NULL)
    return sim_fail(s, "out of memory for the views of %u nodes", s->n);
  return 0;
}

void sim_truth_free(struct sim *s) {
  struct sim_truth *t = &s->truth;
  for (size_t k = 0; k < t->n_fail; k++)
    free(t->fail[k].watch);
  free(t->fail);
  free(t->conv);
  free(t->view);
  free(t->deaths);
  free(t->suspicions);
  memset(t, 0, sizeof(*t));
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
  t->good += contribution(s, i);
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
  t->good -= contribution(s, i);
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

int sim_truth_conv(struct sim *s, enum scn_conv kind, uint64_t from) {
  struct sim_truth *t = &s->truth;
  if (t->n_conv == t->cap_conv) {
    size_t cap = t->cap_conv ? 2 * t->cap_conv : 8;
    struct sim_conv *c = realloc(t->conv, cap * sizeof(*c));
    if (c == NULL)
      return sim_fail(s, "out of memory");
    t->conv = c;
    t->cap_conv = cap;
  }
  t->conv[t->n_conv++] = (struct sim_conv){
      .kind = kind, .at = s->now, .from = from, .done = SIM_NEVER};
  sim_truth_check(s); /* a heal that changed nothing converged at once */
  return 0;
}

void sim_truth_check(struct sim *s) {
  struct sim_truth *t = &s->truth;
  if (t->good != (uint64_t)t->up * (t->up ? t->up - 1 : 0))
    return;
  for (size_t k = 0; k < t->n_conv; k++)
    if (t->conv[k].done == SIM_NEVER && s->now >= t->conv[k].from)
      t->conv[k].done = s->now;
}

/* Is an accusation of subj by o false by the definition above? */
static bool is_false(struct sim *s, uint32_t o, uint32_t subj) {
  const struct sim_node *n = &s->nodes[subj];
  if (n->healthy_since == SIM_NEVER || s->now - n->healthy_since < s->grace)
    return false;
  if (s->truth.net_changed_at > 0 &&
      s->now - s->truth.net_changed_at < s->grace)
    return false;
  return sim_net_reachable(s, o, subj);
}

static void count_false(struct sim *s, uint32_t o, uint32_t subj,
                        enum swim_state to) {
  struct sim_truth *t = &s->truth;
  if (!is_false(s, o, subj))
    return;
  if (to == SWIM_SUSPECT)
    t->false_suspicions++;
  else
    t->false_deaths++;
  const struct sim_node *obs = &s->nodes[o];
  if (obs->healthy_since == SIM_NEVER || s->now - obs->healthy_since < s->grace)
    t->false_by_recovering++;
  if (t->n_examples < SIM_FALSE_EXAMPLES)
    t->examples[t->n_examples++] =
        (struct sim_false_event){s->now, o, subj, to};
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
  if (is_up(s, o) && is_up(s, subj))
    t->good = t->good - (old == V_ALIVE) + (*c == V_ALIVE);
  if (ev->to == SWIM_SUSPECT) {
    t->suspicions[subj]++;
    count_false(s, o, subj, ev->to);
  } else if (ev->to == SWIM_DEAD || ev->to == SWIM_LEFT) {
    t->deaths[subj]++;
    if (ev->to == SWIM_DEAD)
      count_false(s, o, subj, ev->to);
    for (size_t k = 0; k < t->n_fail; k++)
      if (t->fail[k].node == subj && t->fail[k].open &&
          bit(t->fail[k].watch, o))
        detected(&t->fail[k], o, s->now);
  }
  sim_truth_check(s);
}
