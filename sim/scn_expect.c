/*
 * `expect ...`: what makes a scenario self-checking.  Each expectation names
 * a measured figure, a comparison and a bound; the run prints every one with
 * its measured value and PASS or FAIL, and exits 0 only when all pass.
 */
#include "scn_internal.h"

#include <stdlib.h>
#include <string.h>

static struct scn_expect *new_expect(struct scn_cur *c) {
  struct scenario *s = c->s;
  if (s->n_expects == s->cap_expects) {
    size_t cap = s->cap_expects ? 2 * s->cap_expects : 8;
    struct scn_expect *e = realloc(s->expects, cap * sizeof(*e));
    if (e == NULL) {
      scn_fail(c, "out of memory");
      return NULL;
    }
    s->expects = e;
    s->cap_expects = cap;
  }
  struct scn_expect *e = &s->expects[s->n_expects++];
  memset(e, 0, sizeof(*e));
  e->line = c->line;
  /* The line as written (tokens joined), for the verdict. */
  for (int i = 1; i < c->n; i++) {
    size_t used = strlen(e->text), len = strlen(c->tok[i]);
    if (used + len + 2 >= sizeof(e->text))
      break;
    if (used)
      e->text[used++] = ' ';
    memcpy(e->text + used, c->tok[i], len + 1);
  }
  return e;
}

static int word_index(struct scn_cur *c, const char *const *words, int n,
                      const char *what) {
  const char *t = scn_next(c);
  for (int i = 0; t && i < n; i++)
    if (strcmp(t, words[i]) == 0)
      return i;
  return scn_fail(c, "%s: unexpected '%s'", what, t ? t : "end of line");
}

static int op_duration(struct scn_cur *c, struct scn_expect *e) {
  uint64_t us;
  if (scn_get_op(c, &e->op) != 0 || scn_get_duration(c, &us, "bound") != 0)
    return -1;
  e->value = (double)us / SCN_US_PER_S;
  return 0;
}

static int op_number(struct scn_cur *c, struct scn_expect *e) {
  return scn_get_op(c, &e->op) || scn_get_number(c, &e->value, "bound") ? -1
                                                                        : 0;
}

static int parse_failure(struct scn_cur *c, struct scn_expect *e) {
  static const char *const which[] = {"first_detect", "all_detect"};
  e->has_set = true;
  if (scn_get_set(c, &e->set) != 0)
    return -1;
  int w = word_index(c, which, 2,
                     "failure: expected first_detect or "
                     "all_detect");
  if (w < 0)
    return -1;
  e->metric = w == 0 ? SCN_M_FIRST_DETECT : SCN_M_ALL_DETECT;
  return op_duration(c, e);
}

static int parse_rate(struct scn_cur *c, struct scn_expect *e) {
  static const char *const stats[] = {"mean", "p99", "max"};
  int w = word_index(c, stats, 3, "expected mean, p99 or max");
  if (w < 0)
    return -1;
  e->stat = (enum scn_stat)w;
  return op_number(c, e);
}

/* "[about SET] [by SET]" of the false counts. */
static int about_by(struct scn_cur *c, struct scn_expect *e) {
  if (scn_accept(c, "about")) {
    e->has_set = true;
    if (scn_get_set(c, &e->set) != 0)
      return -1;
  }
  if (scn_accept(c, "by")) {
    e->has_by = true;
    if (scn_get_set(c, &e->by) != 0)
      return -1;
  }
  return 0;
}

/* bridge_one_id_per_transition [within D]: D (default 10 s) is how long
 * after offline_after a death must be reported by every witness;
 * bridge_single_active within D; bridge_events OP N. */
static int parse_bridge(struct scn_cur *c, struct scn_expect *e, int which) {
  uint64_t us = 10ull * SCN_US_PER_S;
  e->metric = (enum scn_metric)(SCN_M_BRIDGE_ONE_ID + which);
  if (which == 2)
    return op_number(c, e);
  if (which == 1 && scn_want(c, "within") != 0)
    return -1;
  if ((which == 1 || scn_accept(c, "within")) &&
      scn_get_duration(c, &us, "within") != 0)
    return -1;
  e->op = which == 1 ? SCN_LE : SCN_EQ;
  e->value = which == 1 ? (double)us / SCN_US_PER_S : 0;
  e->within_s = (double)us / SCN_US_PER_S;
  return 0;
}

int scn_expect_parse(struct scn_cur *c) {
  static const char *const metrics[] = {"failure",
                                        "false_suspicions",
                                        "false_deaths",
                                        "convergence",
                                        "alive",
                                        "deaths",
                                        "suspicions",
                                        "incarnation",
                                        "bytes_per_node_per_s",
                                        "datagrams_per_node_per_s",
                                        "trace_hash",
                                        "deaths_of_healthy",
                                        "partition",
                                        "bridge_one_id_per_transition",
                                        "bridge_single_active",
                                        "bridge_events"};
  static const char *const convs[] = {"start", "join", "heal", "restart",
                                      "all"};
  static const char *const raid[] = {
      "raid_state",      "raid_rebuilds",
      "raid_resyncs",    "raid_outs",
      "raid_no_out",     "raid_target_domain_distinct",
      "raid_history_ok", "raid_healthy_after_faults"};
  struct scn_expect *e = new_expect(c);
  if (e == NULL)
    return -1;
  for (size_t k = 0; scn_peek(c) && k < sizeof(raid) / sizeof(raid[0]); k++)
    if (strcmp(scn_peek(c), raid[k]) == 0)
      return scn_raid_expect_parse(c, e, scn_next(c));
  int m = word_index(c, metrics, 16, "expect");
  switch (m) {
  case 0:
    return parse_failure(c, e);
  case 1:
  case 2:
  case 11:
    e->metric = m == 1   ? SCN_M_FALSE_SUSPICIONS
                : m == 2 ? SCN_M_FALSE_DEATHS
                         : SCN_M_DEATHS_OF_HEALTHY;
    return about_by(c, e) || op_number(c, e) ? -1 : 0;
  case 12:
    e->metric = SCN_M_PARTITION_DETECTED;
    return scn_want(c, "detected") || op_duration(c, e) ? -1 : 0;
  case 3: {
    int k = word_index(c, convs, 5,
                       "convergence: expected start, join, heal, restart "
                       "or all");
    if (k < 0)
      return -1;
    e->metric = SCN_M_CONVERGENCE;
    e->conv = (enum scn_conv)k;
    return op_duration(c, e);
  }
  case 4:
    e->metric = SCN_M_ALIVE;
    e->has_set = true;
    return scn_get_set(c, &e->set);
  case 5:
  case 6:
  case 7:
    e->metric = m == 5   ? SCN_M_DEATHS
                : m == 6 ? SCN_M_SUSPICIONS
                         : SCN_M_INCARNATION;
    e->has_set = true;
    if (scn_get_set(c, &e->set) != 0)
      return -1;
    if (m != 7 && scn_accept(c, "by")) {
      e->has_by = true;
      if (scn_get_set(c, &e->by) != 0)
        return -1;
    }
    return op_number(c, e);
  case 8:
  case 9:
    e->metric = m == 8 ? SCN_M_BYTES : SCN_M_DATAGRAMS;
    return parse_rate(c, e);
  case 10:
    e->metric = SCN_M_TRACE_STABLE;
    return scn_want(c, "stable");
  case 13:
  case 14:
  case 15:
    return parse_bridge(c, e, m - 13);
  default:
    return -1;
  }
}
