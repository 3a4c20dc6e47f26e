/*
 * The RAID lines of a scenario's timeline and verdict: `at T raid create |
 * remove | drain | undrain ...` (what an operator asks a coordinator) and
 * `expect raid_...` (docs/sim.md "RAID").  Levels and their data/parity
 * are checked with the state machine's own rule (mb_raid_level_check), so
 * the file is refused where `meshbeat raid create` would be.
 */
#include "scn_internal.h"

#include "mb_raid.h"

#include <stdio.h>
#include <string.h>

static void mark(struct scn_cur *c) {
  if (!c->s->raid.any)
    c->s->raid.first_line = c->line;
  c->s->raid.any = true;
}

/* An array name: 1..63 bytes of letters, digits, '-', '_', '.'. */
static int get_name(struct scn_cur *c, char *out, const char *what) {
  const char *t = scn_next(c);
  size_t len = t ? strlen(t) : 0;
  bool ok = len > 0 && len <= SCN_NAME_MAX;
  for (size_t i = 0; ok && i < len; i++)
    ok = (t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') ||
         (t[i] >= '0' && t[i] <= '9') || strchr("-_.", t[i]) != NULL;
  if (!ok)
    return scn_fail(c,
                    "%s: expected an array name (1..%d of A-Z a-z 0-9 - _ .), "
                    "found '%s'",
                    what, SCN_NAME_MAX, t ? t : "end of line");
  memcpy(out, t, len + 1);
  return 0;
}

static int get_small(struct scn_cur *c, const char *word, uint8_t *out) {
  uint64_t v;
  if (scn_want(c, word) != 0 || scn_get_uint(c, &v, word) != 0)
    return -1;
  if (v > MB_RAID_SLOTS_MAX)
    return scn_fail(c, "%s: %llu is above %d", word, (unsigned long long)v,
                    MB_RAID_SLOTS_MAX);
  *out = (uint8_t)v;
  return 0;
}

/* "NAME level L data K parity M size BYTES" */
static int parse_create(struct scn_cur *c, struct scn_raid_req *r) {
  if (get_name(c, r->name, "raid create") != 0 || scn_want(c, "level") != 0)
    return -1;
  const char *t = scn_next(c);
  int level;
  if (t == NULL || mb_raid_level_parse(t, &level) != 0)
    return scn_fail(c,
                    "raid create: level raid1, raid5, raid6 or ec, found "
                    "'%s'",
                    t ? t : "end of line");
  r->level = (uint8_t)level;
  if (get_small(c, "data", &r->data) != 0 ||
      get_small(c, "parity", &r->parity) != 0)
    return -1;
  if (mb_raid_level_check(level, r->data, r->parity) != 0)
    return scn_fail(c,
                    "raid create: %s does not take data %u parity %u (raid1: "
                    "data 1; raid5: data >= 2, parity 1; raid6: data >= 2, "
                    "parity 2; ec: both >= 1; at most %d slots)",
                    t, r->data, r->parity, MB_RAID_SLOTS_MAX);
  if (scn_want(c, "size") != 0 || scn_get_bytes(c, &r->size, "size") != 0)
    return -1;
  return r->size ? 0 : scn_fail(c, "raid create: size must be above 0");
}

int scn_raid_action_parse(struct scn_cur *c, uint64_t at_us) {
  static const struct {
    const char *word;
    enum scn_act kind;
  } words[] = {{"create", SCN_RAID_CREATE},
               {"remove", SCN_RAID_REMOVE},
               {"drain", SCN_RAID_DRAIN},
               {"undrain", SCN_RAID_UNDRAIN}};
  mark(c);
  const char *w = scn_next(c);
  for (size_t i = 0; w && i < sizeof words / sizeof words[0]; i++) {
    if (strcmp(w, words[i].word) != 0)
      continue;
    struct scn_action *a = scn_action_new(c, words[i].kind, at_us);
    if (a == NULL)
      return -1;
    if (a->kind == SCN_RAID_CREATE)
      return parse_create(c, &a->raid);
    if (a->kind == SCN_RAID_REMOVE)
      return get_name(c, a->raid.name, "raid remove");
    /* drain, undrain: "[node] SET" */
    if (!scn_accept(c, "node"))
      scn_accept(c, "nodes");
    return scn_get_set(c, &a->set);
  }
  return scn_fail(c,
                  "raid: expected create, remove, drain or undrain, found "
                  "'%s'",
                  w ? w : "end of line");
}

/* "NAME == STATE (within D | at T)" */
static int parse_state(struct scn_cur *c, struct scn_expect *e) {
  static const char *const states[] = {"healthy", "degraded", "rebuilding",
                                       "failed"};
  if (get_name(c, e->raid_array, "raid_state") != 0 || scn_want(c, "==") != 0)
    return -1;
  const char *t = scn_next(c);
  int k = 0;
  while (k < 4 && (t == NULL || strcmp(t, states[k]) != 0))
    k++;
  if (k == 4)
    return scn_fail(c,
                    "raid_state: expected healthy, degraded, rebuilding or "
                    "failed, found '%s'",
                    t ? t : "end of line");
  e->raid_state = k; /* enum mb_raid_array_state's order */
  e->op = SCN_EQ;
  uint64_t us;
  if (scn_accept(c, "at")) {
    e->raid_at = true;
    return scn_get_duration(c, &e->raid_at_us, "at");
  }
  if (scn_want(c, "within") != 0 || scn_get_duration(c, &us, "within") != 0)
    return -1;
  e->within_s = (double)us / SCN_US_PER_S;
  return 0;
}

int scn_raid_expect_parse(struct scn_cur *c, struct scn_expect *e,
                          const char *which) {
  mark(c);
  if (strcmp(which, "raid_state") == 0) {
    e->metric = SCN_M_RAID_STATE;
    return parse_state(c, e);
  }
  static const struct {
    const char *word;
    enum scn_metric metric;
  } counts[] = {{"raid_rebuilds", SCN_M_RAID_REBUILDS},
                {"raid_resyncs", SCN_M_RAID_RESYNCS},
                {"raid_outs", SCN_M_RAID_OUTS}};
  for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
    if (strcmp(which, counts[i].word) == 0) {
      e->metric = counts[i].metric;
      return scn_get_op(c, &e->op) || scn_get_number(c, &e->value, "bound") ? -1
                                                                            : 0;
    }
  e->op = SCN_EQ; /* the rest: violations, which must be 0 */
  if (strcmp(which, "raid_no_out") == 0) {
    e->metric = SCN_M_RAID_OUTS;
    return 0;
  }
  if (strcmp(which, "raid_target_domain_distinct") == 0) {
    e->metric = SCN_M_RAID_DOMAIN_DISTINCT;
    return 0;
  }
  if (strcmp(which, "raid_history_ok") == 0) {
    e->metric = SCN_M_RAID_HISTORY_OK;
    return 0;
  }
  uint64_t us;
  e->metric = SCN_M_RAID_HEALTHY_AFTER;
  if (scn_want(c, "within") != 0 || scn_get_duration(c, &us, "within") != 0)
    return -1;
  e->within_s = (double)us / SCN_US_PER_S;
  return 0;
}
