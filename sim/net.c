/*
 * The network model.  A datagram a core sends is, in this order:
 *   1. dropped when its address is no node's, or it is larger than the mtu;
 *   2. dropped when sender and receiver are in different partition groups
 *      (decided at send time: a datagram already in flight when a
 *      partition starts still arrives, as if it had crossed before the cut);
 *   3. dropped with the loss probability of its direction: global loss and
 *      every matching link rule, each independently;
 *   4. delivered after the latency of its direction (the last matching link
 *      rule with a latency, else the global one), plus, with the reorder
 *      probability, an extra uniform delay;
 *   5. with the duplicate probability, delivered a second time after an
 *      independent latency (the bytes are shared, not copied).
 * Reordering also falls out of jitter: two datagrams on one link can
 * overtake each other whenever their latencies differ by more than the gap
 * between their sends.  Not within a burst, though: what one node sends
 * one destination at one instant (the pages of a view) leaves back to back
 * through the same queues and arrives in order.  Shuffled, a 2000-page
 * view overran the receiver's 256-datagram replay window, and one datagram
 * in eleven of a 2000-node join storm was refused as stale.  A probability
 * of 0 draws nothing from the RNG.
 */
#include "sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool bit(const uint64_t *bits, uint32_t i) {
  return (bits[i / 64] >> (i % 64)) & 1;
}

static bool rule_matches(const struct sim_link_rule *r, uint32_t from,
                         uint32_t to) {
  return (bit(r->from, from) && bit(r->to, to)) ||
         (r->both && bit(r->from, to) && bit(r->to, from));
}

double sim_net_survival(double loss, const struct sim_link_rule *rules,
                        size_t n_rules, uint32_t from, uint32_t to) {
  double p = 1.0 - loss;
  for (size_t k = 0; k < n_rules; k++)
    if (rule_matches(&rules[k], from, to))
      p *= 1.0 - rules[k].loss;
  return p;
}

static double survive(const struct sim *s, uint32_t from, uint32_t to) {
  return sim_net_survival(s->net.cfg.loss, s->net.rules, s->net.n_rules, from,
                          to);
}

static const struct sim_latency *latency_of(const struct sim *s, uint32_t from,
                                            uint32_t to) {
  const struct sim_latency *lat = &s->net.cfg.lat;
  for (size_t k = 0; k < s->net.n_rules; k++)
    if (s->net.rules[k].has_lat && rule_matches(&s->net.rules[k], from, to))
      lat = &s->net.rules[k].lat;
  return lat;
}

/* Standard normal by Irwin-Hall (twelve uniforms): no libm, so the same
 * draws give the same microseconds on every machine. */
static double std_normal(struct mb_rng *r) {
  double z = -6.0;
  for (int i = 0; i < 12; i++)
    z += mb_rng_unit(r);
  return z;
}

static uint64_t sample(struct mb_rng *r, const struct sim_latency *l) {
  double extra = 0;
  double spread = (double)l->spread_us;
  switch (l->dist) {
  case SIM_DIST_CONSTANT:
    break;
  case SIM_DIST_UNIFORM:
    return l->base_us + mb_rng_below(r, l->spread_us);
  case SIM_DIST_NORMAL:
    extra = fabs(std_normal(r)) * spread;
    extra = extra > 4 * spread ? 4 * spread : extra;
    break;
  case SIM_DIST_EXP:
    extra = -log(1.0 - mb_rng_unit(r)) * spread;
    extra = extra > 20 * spread ? 20 * spread : extra;
    break;
  }
  return l->base_us + (uint64_t)extra;
}

static bool chance(struct mb_rng *r, double p) {
  return p > 0 && (p >= 1.0 || mb_rng_unit(r) < p);
}

/* No earlier than the datagram sent just before it in the same burst. */
static uint64_t in_burst_order(struct sim *s, uint32_t from, uint32_t to,
                               uint64_t t) {
  struct sim_burst *b = &s->net.burst[to % SIM_BURST_SLOTS];
  if (b->from == from && b->to == to && b->at == s->now && t < b->deliver)
    t = b->deliver;
  *b = (struct sim_burst){.from = from, .to = to, .at = s->now, .deliver = t};
  return t;
}

static void schedule_copy(struct sim *s, uint32_t from, uint32_t to,
                          uint32_t id) {
  uint64_t t = s->now + sample(&s->rng, latency_of(s, from, to));
  t = in_burst_order(s, from, to, t);
  if (chance(&s->rng, s->net.cfg.reorder)) {
    t += mb_rng_below(&s->rng, s->net.cfg.reorder_us);
    s->net.st.reordered++;
  }
  if (sim_schedule(s, t, SIM_EV_DELIVER, to, id, from) != 0)
    sim_pool_unref(&s->pool, id);
}

/* What the cores spend their bytes on.  Parsing is cheap next to the
 * signature the receiver checks, and verifies nothing. */
static void count_kind(struct sim *s, const struct swim_output *o) {
  struct mb_datagram d;
  unsigned k = 0;
  if (mb_wire_datagram_parse(o->buf, o->len, &d) == MB_OK &&
      (unsigned)d.msg.kind < SIM_KINDS)
    k = (unsigned)d.msg.kind;
  s->net.kinds.dgrams[k]++;
  s->net.kinds.bytes[k] += o->len;
}

static void count_second(struct sim *s, size_t len) {
  size_t sec = (size_t)(s->now / 1000000);
  if (sec >= s->net.n_seconds) {
    size_t n = sec + 64;
    struct sim_second *v = realloc(s->net.seconds, n * sizeof(*v));
    if (v == NULL)
      return; /* the series is a report extra; the run goes on */
    memset(v + s->net.n_seconds, 0, (n - s->net.n_seconds) * sizeof(*v));
    s->net.seconds = v;
    s->net.n_seconds = n;
  }
  s->net.seconds[sec].dgrams++;
  s->net.seconds[sec].bytes += len;
}

/* Steps 2 to 5 of the model, for a datagram to a known node. */
static void route(struct sim *s, uint32_t from, uint32_t to, const uint8_t *buf,
                  size_t len) {
  struct sim_net_stats *st = &s->net.st;
  if (len > s->net.cfg.mtu) {
    st->oversize++;
    return;
  }
  if (s->net.partitioned && s->nodes[from].group != s->nodes[to].group) {
    st->partitioned++;
    return;
  }
  double p = survive(s, from, to);
  if (p < 1.0 && (p <= 0.0 || mb_rng_unit(&s->rng) >= p)) {
    st->lost++;
    return;
  }
  uint32_t id = sim_pool_put(&s->pool, buf, len);
  if (id == SIM_NONE) {
    sim_fail(s, "out of memory for datagrams in flight");
    return;
  }
  bool dup = chance(&s->rng, s->net.cfg.dup);
  if (dup) {
    sim_pool_ref(&s->pool, id);
    st->duplicated++;
  }
  schedule_copy(s, from, to, id);
  if (dup)
    schedule_copy(s, from, to, id);
}

void sim_net_send(struct sim *s, uint32_t from, const struct swim_output *o) {
  struct sim_net_stats *st = &s->net.st;
  st->sent++;
  count_kind(s, o);
  count_second(s, o->len);
  if (s->adv.n_forge > 0) /* the adversary sees everything sent */
    sim_adversary_sniff(s, from, o->buf, o->len);
  uint32_t to = sim_addr_node(s, &o->to);
  if (to == SIM_NONE) {
    st->unknown_addr++;
    return;
  }
  route(s, from, to, o->buf, o->len);
}

/* Not a core's: counted with the network's datagrams, not in the cores'
 * kinds and seconds. */
void sim_net_inject(struct sim *s, uint32_t from, uint32_t to,
                    const uint8_t *buf, size_t len) {
  s->net.st.sent++;
  route(s, from, to, buf, len);
}

/* A zeroed rule with its bitmaps, appended and named; NULL on no memory. */
static struct sim_link_rule *new_rule(struct sim *s, uint32_t *id) {
  struct sim_net *net = &s->net;
  if (net->n_rules == net->cap_rules) {
    size_t cap = net->cap_rules ? 2 * net->cap_rules : 8;
    struct sim_link_rule *r = realloc(net->rules, cap * sizeof(*r));
    if (r == NULL)
      return sim_fail(s, "out of memory for link rules"), NULL;
    net->rules = r;
    net->cap_rules = cap;
  }
  size_t words = (s->n + 63) / 64;
  struct sim_link_rule *r = &net->rules[net->n_rules];
  memset(r, 0, sizeof(*r));
  r->from = calloc(words, sizeof(uint64_t));
  r->to = calloc(words, sizeof(uint64_t));
  if (r->from == NULL || r->to == NULL) {
    free(r->from);
    free(r->to);
    return sim_fail(s, "out of memory for link rules"), NULL;
  }
  r->id = *id = ++net->next_rule_id;
  net->n_rules++;
  return r;
}

int sim_net_add_rule(struct sim *s, const struct scn_action *a, uint32_t *id) {
  struct sim_link_rule *r = new_rule(s, id);
  if (r == NULL)
    return -1;
  scn_set_fill(&a->set, s->n, r->from);
  scn_set_fill(&a->set2, s->n, r->to);
  r->both = a->both;
  r->loss = a->loss;
  r->has_lat = a->has_lat;
  r->lat = a->lat;
  return 0;
}

int sim_net_add_rule_bits(struct sim *s, const uint64_t *from,
                          const uint64_t *to, bool both, double loss,
                          uint32_t *id) {
  struct sim_link_rule *r = new_rule(s, id);
  if (r == NULL)
    return -1;
  size_t words = (s->n + 63) / 64;
  memcpy(r->from, from, words * sizeof(uint64_t));
  memcpy(r->to, to, words * sizeof(uint64_t));
  r->both = both;
  r->loss = loss;
  return 0;
}

/* Keeps the others in order: the last matching rule sets the latency. */
void sim_net_remove_rule(struct sim *s, uint32_t id) {
  struct sim_net *net = &s->net;
  for (size_t k = 0; k < net->n_rules; k++) {
    if (net->rules[k].id != id)
      continue;
    sim_rules_free(&net->rules[k], 1);
    memmove(&net->rules[k], &net->rules[k + 1],
            (net->n_rules - k - 1) * sizeof(*net->rules));
    net->n_rules--;
    return;
  }
}

void sim_rules_free(struct sim_link_rule *rules, size_t n) {
  for (size_t k = 0; k < n; k++) {
    free(rules[k].from);
    free(rules[k].to);
  }
}

void sim_net_clear_rules(struct sim *s) {
  sim_rules_free(s->net.rules, s->net.n_rules);
  s->net.n_rules = 0;
}
