/*
 * Verdicts of `expect` lines.  Every expectation measures one number (or
 * finds it missing: a failure never detected, a convergence never reached,
 * which always fails) and compares it with its bound.
 */
#include "bridge.h"
#include "raid.h"
#include "results.h"

#include <stdlib.h>
#include <string.h>

struct measure {
  bool have; /* false: the figure does not exist (never happened) */
  double v;
  char note[96]; /* why it is missing, or what it counts */
};

static bool in(const uint64_t *bits, uint32_t i) {
  return (bits[i / 64] >> (i % 64)) & 1;
}

/* The worst detection time over the failures of the set's nodes. */
static void detection(const struct sim *s, const struct scn_expect *e,
                      const uint64_t *bits, struct measure *m) {
  const struct sim_truth *t = &s->truth;
  size_t found = 0;
  m->have = true;
  for (size_t k = 0; k < t->n_fail; k++) {
    const struct sim_failure *f = &t->fail[k];
    if (!in(bits, f->node))
      continue;
    found++;
    uint64_t when = e->metric == SCN_M_FIRST_DETECT ? f->first : f->all;
    if (when == SIM_NEVER) {
      m->have = false;
      snprintf(m->note, sizeof(m->note), "node %u: never (%u of %u)", f->node,
               f->got, f->want);
      return;
    }
    double v = (double)(when - f->at) / SCN_US_PER_S;
    m->v = found == 1 || v > m->v ? v : m->v;
  }
  if (found == 0) {
    m->have = false;
    snprintf(m->note, sizeof(m->note), "no crash or leave of these nodes");
  }
}

static void convergence(const struct sim *s, const struct scn_expect *e,
                        struct measure *m) {
  const struct sim_truth *t = &s->truth;
  size_t found = 0;
  m->have = true;
  for (size_t k = 0; k < t->n_conv; k++) {
    const struct sim_conv *c = &t->conv[k];
    if (e->conv != SCN_CONV_ALL && c->kind != e->conv)
      continue;
    found++;
    if (c->done == SIM_NEVER) {
      m->have = false;
      snprintf(m->note, sizeof(m->note), "%s at %.3fs never converged",
               scn_conv_name(c->kind), (double)c->at / SCN_US_PER_S);
      return;
    }
    double v = (double)(c->done - c->at) / SCN_US_PER_S;
    m->v = found == 1 || v > m->v ? v : m->v;
  }
  if (found == 0) {
    m->have = false;
    snprintf(m->note, sizeof(m->note), "no %s event", scn_conv_name(e->conv));
  }
}

static const char *view_name(uint8_t v) {
  return v == 0 ? "unknown" : swim_state_name((enum swim_state)(v - 1));
}

/* Pairs (observer up, subject in set) in which the observer does not see
 * the subject alive at the end; subjects that are not up count n each. */
static void alive(const struct sim *s, const uint64_t *bits,
                  struct measure *m) {
  uint64_t missing = 0;
  uint32_t eg_o = SIM_NONE, eg_s = SIM_NONE;
  for (uint32_t subj = 0; subj < s->n; subj++) {
    if (!in(bits, subj))
      continue;
    if (s->nodes[subj].status != SIM_UP) {
      missing += s->n;
      eg_s = subj;
      continue;
    }
    for (uint32_t o = 0; o < s->n; o++)
      if (o != subj && s->nodes[o].status == SIM_UP &&
          s->truth.view[(size_t)o * s->n + subj] != 1 + SWIM_ALIVE) {
        missing++;
        eg_o = o, eg_s = subj;
      }
  }
  m->have = true;
  m->v = (double)missing;
  if (missing == 0)
    snprintf(m->note, sizeof(m->note), "every view alive");
  else if (eg_o == SIM_NONE)
    snprintf(m->note, sizeof(m->note), "node %u is not up", eg_s);
  else
    snprintf(m->note, sizeof(m->note),
             "%llu views not alive, e.g. node %u sees node %u %s",
             (unsigned long long)missing, eg_o, eg_s,
             view_name(s->truth.view[(size_t)eg_o * s->n + eg_s]));
}

/* The node's own incarnation; per node, the worst one reported. */
static void incarnation(const struct sim *s, const struct scn_expect *e,
                        const uint64_t *bits, struct measure *m) {
  m->have = true;
  bool first = true;
  for (uint32_t i = 0; i < s->n; i++) {
    if (!in(bits, i))
      continue;
    const struct sim_node *n = &s->nodes[i];
    double v = n->core ? (double)swim_self_incarnation(n->core) : 0;
    if (first || !scn_compare(v, e->op, e->value))
      m->v = v;
    if (!scn_compare(v, e->op, e->value))
      return;
    first = false;
  }
}

/* The worst time to detection over the partitions; missing when one was
 * healed (or replaced) before it was detected. */
static void partition_detected(const struct sim *s, struct measure *m) {
  const struct sim_truth *t = &s->truth;
  m->have = t->n_pdet > 0;
  if (!m->have)
    snprintf(m->note, sizeof(m->note), "no partition");
  for (size_t k = 0; k < t->n_pdet; k++) {
    const struct sim_pdetect *p = &t->pdet[k];
    if (p->done == SIM_NEVER) {
      m->have = false;
      snprintf(m->note, sizeof(m->note),
               "partition at %.3fs never detected by all",
               (double)p->at / SCN_US_PER_S);
      return;
    }
    double v = (double)(p->done - p->at) / SCN_US_PER_S;
    m->v = k == 0 || v > m->v ? v : m->v;
  }
}

static void bridge(const struct sim *s, const struct scn_expect *e,
                   struct measure *m) {
  struct sim_bridge_measure bm = {0};
  if (e->metric == SCN_M_BRIDGE_ONE_ID)
    sim_bridge_one_id(s, e, &bm);
  else if (e->metric == SCN_M_BRIDGE_SINGLE_ACTIVE)
    sim_bridge_single_active(s, &bm);
  else
    sim_bridge_events(s, &bm);
  m->have = bm.have;
  m->v = bm.v;
  snprintf(m->note, sizeof(m->note), "%s", bm.note);
}

static double stat_of(const struct sim_rate *r, enum scn_stat st) {
  return st == SCN_MEAN ? r->mean : st == SCN_P99 ? r->p99 : r->max;
}

static void measure(const struct sim *s, const struct sim_results *r, size_t k,
                    const uint64_t *bits, struct measure *m) {
  const struct scn_expect *e = &s->scn->expects[k];
  memset(m, 0, sizeof(*m));
  m->have = true;
  switch (e->metric) {
  case SCN_M_FIRST_DETECT:
  case SCN_M_ALL_DETECT:
    detection(s, e, bits, m);
    return;
  case SCN_M_CONVERGENCE:
    convergence(s, e, m);
    return;
  case SCN_M_ALIVE:
    alive(s, bits, m);
    return;
  case SCN_M_INCARNATION:
    incarnation(s, e, bits, m);
    return;
  case SCN_M_DEATHS:
  case SCN_M_SUSPICIONS:
  case SCN_M_FALSE_SUSPICIONS:
  case SCN_M_FALSE_DEATHS:
  case SCN_M_DEATHS_OF_HEALTHY:
    m->v = (double)s->truth.tally[k].count; /* counted during the run */
    return;
  case SCN_M_PARTITION_DETECTED:
    partition_detected(s, m);
    return;
  case SCN_M_BYTES:
    m->v = stat_of(&r->bytes, e->stat);
    return;
  case SCN_M_DATAGRAMS:
    m->v = stat_of(&r->dgrams, e->stat);
    return;
  case SCN_M_BRIDGE_ONE_ID:
  case SCN_M_BRIDGE_SINGLE_ACTIVE:
  case SCN_M_BRIDGE_EVENTS:
    bridge(s, e, m);
    return;
  case SCN_M_TRACE_STABLE:
    m->v = r->have_second && strcmp(r->trace_hex, r->second_hex) == 0;
    snprintf(m->note, sizeof(m->note), "second run %.16s",
             r->have_second ? r->second_hex : "missing");
    return;
  case SCN_M_RAID_STATE:
  case SCN_M_RAID_REBUILDS:
  case SCN_M_RAID_RESYNCS:
  case SCN_M_RAID_OUTS:
  case SCN_M_RAID_DOMAIN_DISTINCT:
  case SCN_M_RAID_HISTORY_OK:
  case SCN_M_RAID_HEALTHY_AFTER:
    sim_raid_measure(s, k, &m->have, &m->v, m->note, sizeof(m->note));
    return;
  }
}

static bool passes(const struct scn_expect *e, const struct measure *m) {
  if (!m->have)
    return false;
  if (e->metric == SCN_M_ALIVE)
    return m->v == 0;
  if (e->metric == SCN_M_TRACE_STABLE || e->metric == SCN_M_RAID_STATE)
    return m->v == 1;
  return scn_compare(m->v, e->op, e->value);
}

size_t sim_expect_all(const struct sim *s, const struct sim_results *r,
                      FILE *out, json_t *verdicts) {
  size_t failed = 0;
  uint64_t *bits = calloc((s->n + 63) / 64, sizeof(uint64_t));
  for (size_t k = 0; bits && k < s->scn->n_expects; k++) {
    const struct scn_expect *e = &s->scn->expects[k];
    memset(bits, 0, (s->n + 63) / 64 * sizeof(uint64_t));
    scn_set_fill(&e->set, s->n, bits);
    struct measure m;
    measure(s, r, k, bits, &m);
    bool ok = passes(e, &m);
    failed += !ok;
    fprintf(out, "%s  line %d: expect %s   (measured ", ok ? "PASS" : "FAIL",
            e->line, e->text);
    if (m.have)
      fprintf(out, "%.6g", m.v);
    else
      fprintf(out, "nothing");
    fprintf(out, "%s%s)\n", m.note[0] ? ": " : "", m.note);
    json_array_append_new(verdicts,
                          json_pack("{s:i, s:s, s:o, s:s, s:b}", "line",
                                    e->line, "expect", e->text, "measured",
                                    m.have ? json_real(m.v) : json_null(),
                                    "note", m.note, "pass", ok));
  }
  if (bits == NULL)
    failed = s->scn->n_expects ? s->scn->n_expects : 1;
  free(bits);
  return failed;
}
