/*
 * Node sets against the final node count, and the checks that need it.
 */
#include "scn_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint32_t scn_idx_value(struct scn_idx i, uint32_t n) {
  switch (i.kind) {
  case SCN_IDX_LAST:
    return n - 1;
  case SCN_IDX_PCT:
    return (uint32_t)((uint64_t)n * i.v / 100);
  default:
    return i.v;
  }
}

uint32_t scn_set_fill(const struct scn_set *set, uint32_t n, uint64_t *bits) {
  uint32_t count = 0;
  for (uint32_t k = 0; k < (set->all ? 1u : set->n); k++) {
    uint32_t lo = set->all ? 0 : scn_idx_value(set->r[k].lo, n);
    uint32_t hi = set->all ? n - 1 : scn_idx_value(set->r[k].hi, n);
    for (uint32_t i = lo; i <= hi && i < n; i++) {
      uint64_t bit = 1ull << (i % 64);
      count += !(bits[i / 64] & bit);
      bits[i / 64] |= bit;
    }
  }
  return count;
}

int scn_set_check(const struct scn_set *set, uint32_t n, int line,
                  const char *path, char err[SCN_ERR_MAX]) {
  for (uint32_t k = 0; !set->all && k < set->n; k++) {
    uint32_t lo = scn_idx_value(set->r[k].lo, n);
    uint32_t hi = scn_idx_value(set->r[k].hi, n);
    if (hi >= n || lo >= n) {
      snprintf(err, SCN_ERR_MAX, "%s:%d: node %u is out of range (nodes %u)",
               path, line, hi >= n ? hi : lo, n);
      return -1;
    }
    if (lo > hi) {
      snprintf(err, SCN_ERR_MAX, "%s:%d: empty node range %u-%u", path, line,
               lo, hi);
      return -1;
    }
  }
  return 0;
}

static int check_partition(const struct scenario *s, const struct scn_action *a,
                           char *err) {
  size_t words = (s->nodes + 63) / 64;
  uint64_t *seen = calloc(words, sizeof(uint64_t));
  uint64_t *g = calloc(words, sizeof(uint64_t));
  int rc = 0;
  if (seen == NULL || g == NULL) {
    snprintf(err, SCN_ERR_MAX, "out of memory");
    rc = -1;
  }
  for (uint8_t k = 0; rc == 0 && k < a->n_groups; k++) {
    rc = scn_set_check(&a->groups[k], s->nodes, a->line, s->path, err);
    memset(g, 0, words * sizeof(uint64_t));
    if (rc == 0)
      scn_set_fill(&a->groups[k], s->nodes, g);
    for (size_t w = 0; rc == 0 && w < words; w++) {
      if (seen[w] & g[w]) {
        snprintf(err, SCN_ERR_MAX, "%s:%d: partition groups overlap", s->path,
                 a->line);
        rc = -1;
      }
      seen[w] |= g[w];
    }
  }
  free(seen);
  free(g);
  return rc;
}

/* Only a declared adversary attacks: its core is told nothing, so the
 * declaration is what says it is not an honest member. */
static int check_attacker(const struct scenario *s, const struct scn_action *a,
                          char *err) {
  size_t words = (s->nodes + 63) / 64;
  uint64_t *want = calloc(words, sizeof(uint64_t));
  uint64_t *adv = calloc(words, sizeof(uint64_t));
  int rc = 0;
  if (want == NULL || adv == NULL) {
    snprintf(err, SCN_ERR_MAX, "out of memory");
    rc = -1;
  }
  for (size_t k = 0; rc == 0 && k < s->n_adversaries; k++)
    scn_set_fill(&s->adversaries[k].set, s->nodes, adv);
  if (rc == 0)
    scn_set_fill(&a->set, s->nodes, want);
  for (uint32_t i = 0; rc == 0 && i < s->nodes; i++)
    if ((want[i / 64] >> (i % 64)) & 1 && !((adv[i / 64] >> (i % 64)) & 1)) {
      snprintf(err, SCN_ERR_MAX,
               "%s:%d: node %u attacks but is not declared "
               "(adversary node SET)",
               s->path, a->line, i);
      rc = -1;
    }
  free(want);
  free(adv);
  return rc;
}

static int check_action(const struct scenario *s, const struct scn_action *a,
                        char *err) {
  if (a->at_us > s->duration_us) {
    snprintf(err, SCN_ERR_MAX, "%s:%d: at %.3fs is after the end (%.3fs)",
             s->path, a->line, (double)a->at_us / SCN_US_PER_S,
             (double)s->duration_us / SCN_US_PER_S);
    return -1;
  }
  if (a->until_us > s->duration_us) {
    snprintf(err, SCN_ERR_MAX, "%s:%d: until %.3fs is after the end (%.3fs)",
             s->path, a->line, (double)a->until_us / SCN_US_PER_S,
             (double)s->duration_us / SCN_US_PER_S);
    return -1;
  }
  if (a->kind == SCN_PARTITION)
    return check_partition(s, a, err);
  bool has_set2 = a->kind == SCN_LINK || a->kind == SCN_ATTACK ||
                  (a->kind == SCN_START && a->join_via);
  bool has_set = a->kind != SCN_HEAL && a->kind != SCN_UNLINK &&
                 a->kind != SCN_NET_LOSS && a->kind != SCN_RAID_CREATE &&
                 a->kind != SCN_RAID_REMOVE;
  if (has_set && scn_set_check(&a->set, s->nodes, a->line, s->path, err))
    return -1;
  if (has_set2 && scn_set_check(&a->set2, s->nodes, a->line, s->path, err))
    return -1;
  if (a->kind == SCN_ATTACK)
    return check_attacker(s, a, err);
  if (a->kind == SCN_START && a->join_k > s->nodes) {
    snprintf(err, SCN_ERR_MAX, "%s:%d: %u seeds but only %u nodes", s->path,
             a->line, a->join_k, s->nodes);
    return -1;
  }
  return 0;
}

int scn_resolve(const struct scenario *s, struct swim_config *cfg,
                char err[SCN_ERR_MAX]) {
  for (size_t i = 0; i < s->n_actions; i++)
    if (check_action(s, &s->actions[i], err) != 0)
      return -1;
  for (size_t i = 0; i < s->n_skews; i++)
    if (scn_set_check(&s->skews[i].set, s->nodes, s->skews[i].line, s->path,
                      err) != 0)
      return -1;
  for (size_t i = 0; i < s->n_expects; i++) {
    const struct scn_expect *e = &s->expects[i];
    if (e->has_set && scn_set_check(&e->set, s->nodes, e->line, s->path, err))
      return -1;
    if (e->has_by && scn_set_check(&e->by, s->nodes, e->line, s->path, err))
      return -1;
  }
  for (size_t i = 0; i < s->n_adversaries; i++)
    if (scn_set_check(&s->adversaries[i].set, s->nodes, s->adversaries[i].line,
                      s->path, err) != 0)
      return -1;
  if (s->has_window && s->window_to_us > s->duration_us) {
    snprintf(err, SCN_ERR_MAX, "%s: the measure window ends after the run",
             s->path);
    return -1;
  }
  if (scn_faults_resolve(s, err) != 0 || scn_raid_resolve(s, err) != 0)
    return -1;
  return scn_params_apply(s, cfg, err);
}

const char *scn_act_name(enum scn_act a) {
  static const char *names[] = {
      "start",      "crash",       "restart", "freeze",      "slow",
      "leave",      "partition",   "heal",    "link",        "unlink",
      "network",    "attack",      "revoke",  "raid create", "raid remove",
      "raid drain", "raid undrain"};
  return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "?";
}

const char *scn_conv_name(enum scn_conv c) {
  static const char *names[] = {"start", "join", "heal", "restart", "all"};
  return (unsigned)c < 5 ? names[c] : "?";
}

const char *scn_op_name(enum scn_op op) {
  static const char *names[] = {"<=", "<", "==", "!=", ">=", ">"};
  return (unsigned)op < 6 ? names[op] : "?";
}

bool scn_compare(double v, enum scn_op op, double bound) {
  switch (op) {
  case SCN_LE:
    return v <= bound;
  case SCN_LT:
    return v < bound;
  case SCN_EQ:
    return v == bound;
  case SCN_NE:
    return v != bound;
  case SCN_GE:
    return v >= bound;
  case SCN_GT:
    return v > bound;
  }
  return false;
}
