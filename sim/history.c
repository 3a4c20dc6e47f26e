/*
 * Network history: the configurations the network went through, so the
 * ground truth can ask, when an event comes, whether one pair of nodes
 * was clean over the grace period before it.
 *
 * An epoch is a snapshot taken at every network change (partition, heal, a
 * link rule added, expired or cleared, a new global loss): the partition
 * groups, copies of the link rules and the loss, in force from its `at`
 * until the next epoch's.  Events only ever look back G (the grace period)
 * from now, so an epoch that ended before now - G is dropped: a handful of
 * epochs live at a time, each n * 2 bytes of groups when partitioned plus
 * n / 4 bytes per rule; nothing is kept per pair.
 *
 * Clean: same partition group, and datagrams survive global loss and link
 * rules with probability >= SIM_CLEAN_SURVIVAL (0.5) in both directions.
 * A link losing half or more of its datagrams is impaired: direct probes
 * through it fail more often than they succeed, and suspecting a member
 * behind it is the protocol working (Rapid's 80 %-loss members are the
 * example).  Below that, loss is the protocol's to absorb.
 */
#include "sample.h"
#include "sim.h"

#include <stdlib.h>
#include <string.h>

static void epoch_free(struct sim_epoch *e) {
  free(e->group);
  sim_rules_free(e->rules, e->n_rules);
  free(e->rules);
  memset(e, 0, sizeof(*e));
}

static uint64_t *copy_bits(const uint64_t *b, size_t words) {
  uint64_t *c = malloc(words * sizeof(uint64_t));
  if (c != NULL)
    memcpy(c, b, words * sizeof(uint64_t));
  return c;
}

/* The network as it is now. */
static int snapshot(struct sim *s, struct sim_epoch *e) {
  size_t words = (s->n + 63) / 64;
  memset(e, 0, sizeof(*e));
  e->at = s->now;
  e->loss = s->net.cfg.loss;
  if (s->net.partitioned) {
    e->group = malloc(s->n * sizeof(uint16_t));
    if (e->group == NULL)
      return -1;
    for (uint32_t i = 0; i < s->n; i++)
      e->group[i] = s->nodes[i].group;
  }
  if (s->net.n_rules == 0)
    return 0;
  e->rules = calloc(s->net.n_rules, sizeof(*e->rules));
  if (e->rules == NULL)
    return -1;
  for (size_t k = 0; k < s->net.n_rules; k++) {
    struct sim_link_rule *r = &e->rules[e->n_rules++];
    *r = s->net.rules[k];
    r->from = copy_bits(s->net.rules[k].from, words);
    r->to = copy_bits(s->net.rules[k].to, words);
    if (r->from == NULL || r->to == NULL)
      return -1;
  }
  return 0;
}

/* Epochs that ended before now - G can no longer matter. */
static void prune(struct sim *s) {
  struct sim_truth *t = &s->truth;
  uint64_t horizon = s->now > s->grace ? s->now - s->grace : 0;
  size_t drop = 0;
  while (drop + 1 < t->n_epochs && t->epochs[drop + 1].at <= horizon)
    epoch_free(&t->epochs[drop++]);
  if (drop == 0)
    return;
  memmove(t->epochs, t->epochs + drop,
          (t->n_epochs - drop) * sizeof(*t->epochs));
  t->n_epochs -= drop;
}

int sim_history_note(struct sim *s) {
  struct sim_truth *t = &s->truth;
  sim_sample_network(s); /* the report's bands: every change passes here */
  /* A configuration replaced at the same instant was never in force. */
  if (t->n_epochs > 0 && t->epochs[t->n_epochs - 1].at == s->now)
    epoch_free(&t->epochs[--t->n_epochs]);
  if (t->n_epochs == t->cap_epochs) {
    size_t cap = t->cap_epochs ? 2 * t->cap_epochs : 8;
    struct sim_epoch *v = realloc(t->epochs, cap * sizeof(*v));
    if (v == NULL)
      return sim_fail(s, "out of memory for the network history");
    t->epochs = v;
    t->cap_epochs = cap;
  }
  struct sim_epoch *e = &t->epochs[t->n_epochs];
  int rc = snapshot(s, e);
  t->n_epochs++; /* even half built: freed with the rest */
  if (rc != 0)
    return sim_fail(s, "out of memory for the network history");
  prune(s);
  return 0;
}

void sim_history_free(struct sim *s) {
  struct sim_truth *t = &s->truth;
  for (size_t k = 0; k < t->n_epochs; k++)
    epoch_free(&t->epochs[k]);
  free(t->epochs);
  t->epochs = NULL;
  t->n_epochs = t->cap_epochs = 0;
}

static bool epoch_clean(const struct sim_epoch *e, uint32_t a, uint32_t b) {
  if (e->group != NULL && e->group[a] != e->group[b])
    return false;
  return sim_net_survival(e->loss, e->rules, e->n_rules, a, b) >=
             SIM_CLEAN_SURVIVAL &&
         sim_net_survival(e->loss, e->rules, e->n_rules, b, a) >=
             SIM_CLEAN_SURVIVAL;
}

bool sim_history_clean(const struct sim *s, uint32_t a, uint32_t b,
                       uint64_t from) {
  const struct sim_truth *t = &s->truth;
  for (size_t k = 0; k < t->n_epochs; k++) {
    bool ended = k + 1 < t->n_epochs && t->epochs[k + 1].at <= from;
    if (!ended && !epoch_clean(&t->epochs[k], a, b))
      return false;
  }
  return true;
}
