/*
 * The RAID settings of a scenario: `raid voters SET`, `raid param NAME
 * VALUE` (the fields of struct mb_raid_params, with the agent's raid { }
 * ranges), `raid executor rate BYTES/s`, `capacity [SET] BYTES`; byte
 * counts; and the checks that need the final node count.
 */
#include "scn_internal.h"

#include "mb_raid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One raid line more: remembered, so a scenario needing the coordinators is
 * never run as if it did not. */
static void mark(struct scn_cur *c) {
  if (!c->s->raid.any)
    c->s->raid.first_line = c->line;
  c->s->raid.any = true;
}

int scn_parse_bytes(const char *t, uint64_t *bytes) {
  static const struct {
    const char *name;
    uint64_t mult;
  } units[] = {{"", 1},
               {"B", 1},
               {"kB", 1000},
               {"MB", 1000000},
               {"GB", 1000000000ull},
               {"TB", 1000000000000ull},
               {"KiB", 1ull << 10},
               {"MiB", 1ull << 20},
               {"GiB", 1ull << 30},
               {"TiB", 1ull << 40}};
  if (t == NULL || *t < '0' || *t > '9')
    return -1;
  uint64_t v = 0;
  for (; *t >= '0' && *t <= '9'; t++) {
    if (v > (UINT64_MAX - 9) / 10)
      return -1;
    v = v * 10 + (uint64_t)(*t - '0');
  }
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strcmp(t, units[i].name) == 0) {
      if (v > UINT64_MAX / units[i].mult)
        return -1;
      *bytes = v * units[i].mult;
      return 0;
    }
  return -1;
}

int scn_get_bytes(struct scn_cur *c, uint64_t *bytes, const char *what) {
  const char *t = scn_next(c);
  if (scn_parse_bytes(t, bytes) != 0)
    return scn_fail(c, "%s: expected bytes like 4096, 10MB or 1GiB, found '%s'",
                    what, t ? t : "end of line");
  return 0;
}

static const char *const param_names[SCN_RP_COUNT] = {
    "down_out_interval", "max_backfills", "max_backfills_mesh",
    "min_up_ratio",      "stall_timeout", "subtree_min_devices"};

/* min_up_ratio: a fraction (0.3) or a percentage (30%), kept in permille
 * as struct mb_raid_params does. */
static int get_ratio(struct scn_cur *c, uint64_t *permille) {
  const char *t = scn_peek(c);
  double v;
  if (t != NULL && strchr(t, '%') != NULL) {
    if (scn_get_percent(c, &v, "min_up_ratio") != 0)
      return -1;
  } else if (scn_get_number(c, &v, "min_up_ratio") != 0) {
    return -1;
  } else if (v < 0 || v > 1) {
    return scn_fail(c, "raid param min_up_ratio: %g is out of range 0..1", v);
  }
  *permille = (uint64_t)(v * 1000 + 0.5);
  return 0;
}

static int parse_param(struct scn_cur *c) {
  /* The agent's raid { } ranges (src/agent/config.c). */
  static const uint64_t lo[SCN_RP_COUNT] = {1000, 1, 1, 0, 1000, 1};
  static const uint64_t hi[SCN_RP_COUNT] = {2592000000ull, 64,       100000,
                                            1000,          86400000, 1000};
  const char *name = scn_next(c);
  int k = 0;
  while (k < SCN_RP_COUNT && (name == NULL || strcmp(name, param_names[k])))
    k++;
  if (k == SCN_RP_COUNT)
    return scn_fail(c,
                    "raid param: unknown '%s' (known: down_out_interval "
                    "max_backfills max_backfills_mesh min_up_ratio "
                    "stall_timeout subtree_min_devices)",
                    name ? name : "end of line");
  struct scn_raid *r = &c->s->raid;
  if (r->has_param[k])
    return scn_fail(c, "raid param %s given twice", name);
  uint64_t v;
  if (k == SCN_RP_DOWN_OUT_INTERVAL || k == SCN_RP_STALL_TIMEOUT) {
    if (scn_get_duration(c, &v, name) != 0)
      return -1;
    v /= SCN_US_PER_MS;
  } else if (k == SCN_RP_MIN_UP_RATIO) {
    if (get_ratio(c, &v) != 0)
      return -1;
  } else if (scn_get_uint(c, &v, name) != 0) {
    return -1;
  }
  if (v < lo[k] || v > hi[k])
    return scn_fail(c, "raid param %s: %llu%s is out of range %llu..%llu", name,
                    (unsigned long long)v,
                    k == SCN_RP_MIN_UP_RATIO ? " permille"
                    : k == SCN_RP_DOWN_OUT_INTERVAL || k == SCN_RP_STALL_TIMEOUT
                        ? " ms"
                        : "",
                    (unsigned long long)lo[k], (unsigned long long)hi[k]);
  r->has_param[k] = true;
  r->param[k] = v;
  return 0;
}

/* "rate BYTES/s" */
static int parse_executor(struct scn_cur *c) {
  struct scn_raid *r = &c->s->raid;
  if (scn_want(c, "rate") != 0)
    return -1;
  if (r->executor_rate != 0)
    return scn_fail(c, "raid executor rate given twice");
  const char *t = scn_next(c);
  char num[32];
  size_t len = t ? strlen(t) : 0;
  if (len < 3 || len - 2 >= sizeof num || strcmp(t + len - 2, "/s") != 0)
    return scn_fail(c,
                    "raid executor rate: expected BYTES/s like 100MiB/s, "
                    "found '%s'",
                    t ? t : "end of line");
  memcpy(num, t, len - 2);
  num[len - 2] = '\0';
  uint64_t v;
  if (scn_parse_bytes(num, &v) != 0 || v < 1 || v > (1ull << 40))
    return scn_fail(c, "raid executor rate: '%s' is not 1 B/s .. 1TiB/s", t);
  r->executor_rate = v;
  return 0;
}

int scn_raid_parse(struct scn_cur *c) {
  struct scn_raid *r = &c->s->raid;
  mark(c);
  if (scn_accept(c, "voters")) {
    if (r->has_voters)
      return scn_fail(c, "raid voters given twice");
    r->has_voters = true;
    r->voters_line = c->line;
    return scn_get_set(c, &r->voters);
  }
  if (scn_accept(c, "param"))
    return parse_param(c);
  if (scn_accept(c, "executor"))
    return parse_executor(c);
  return scn_fail(c,
                  "raid: expected voters, param or executor, found '%s' "
                  "(actions are 'at T raid ...')",
                  scn_peek(c) ? scn_peek(c) : "end of line");
}

/* "capacity BYTES" (every node) or "capacity SET BYTES". */
int scn_capacity_parse(struct scn_cur *c) {
  struct scn_raid *r = &c->s->raid;
  mark(c);
  if (r->n_capacities == sizeof r->capacities / sizeof r->capacities[0])
    return scn_fail(c, "too many capacity lines");
  struct scn_capacity *k = &r->capacities[r->n_capacities];
  memset(k, 0, sizeof *k);
  k->line = c->line;
  k->all = c->n - c->i == 1;
  if (!k->all && scn_get_set(c, &k->set) != 0)
    return -1;
  if (scn_get_bytes(c, &k->bytes, "capacity") != 0)
    return -1;
  if (k->bytes == 0)
    return scn_fail(c, "capacity: expected more than 0 bytes");
  r->n_capacities++;
  return 0;
}

static bool created(const struct scenario *s, const char *name,
                    uint64_t before_us) {
  for (size_t i = 0; i < s->n_actions; i++)
    if (s->actions[i].kind == SCN_RAID_CREATE &&
        s->actions[i].at_us <= before_us &&
        strcmp(s->actions[i].raid.name, name) == 0)
      return true;
  return false;
}

static int fail_at(const struct scenario *s, int line, char *err,
                   const char *what, const char *name) {
  snprintf(err, SCN_ERR_MAX, "%s:%d: %s%s", s->path, line, what, name);
  return -1;
}

/* What only the whole file can say: voters and capacities name nodes that
 * exist, arrays are created before they are removed or expected, and a
 * scenario with arrays has the voters and capacity to hold them. */
static int check_uses(const struct scenario *s, char *err) {
  const struct scn_raid *r = &s->raid;
  for (size_t i = 0; i < s->n_actions; i++) {
    const struct scn_action *a = &s->actions[i];
    if (a->kind == SCN_RAID_REMOVE && !created(s, a->raid.name, a->at_us))
      return fail_at(s, a->line, err,
                     "raid remove: no array created before by the name ",
                     a->raid.name);
    if (a->kind == SCN_RAID_CREATE && r->n_capacities == 0)
      return fail_at(s, a->line, err,
                     "raid create: no device has a capacity "
                     "(capacity [SET] BYTES)",
                     "");
  }
  for (size_t i = 0; i < s->n_expects; i++) {
    const struct scn_expect *e = &s->expects[i];
    if (e->metric == SCN_M_RAID_STATE && e->raid_at &&
        e->raid_at_us > s->duration_us)
      return fail_at(s, e->line, err, "raid_state: at is after the end of ",
                     "the run");
    if (e->metric == SCN_M_RAID_STATE &&
        !created(s, e->raid_array, e->raid_at ? e->raid_at_us : UINT64_MAX))
      return fail_at(s, e->line, err,
                     "raid_state: no array created (before) by the name ",
                     e->raid_array);
  }
  return 0;
}

int scn_raid_resolve(const struct scenario *s, char err[SCN_ERR_MAX]) {
  const struct scn_raid *r = &s->raid;
  if (!r->any)
    return 0;
  if (!r->has_voters)
    return fail_at(s, r->first_line, err,
                   "raid: the scenario has no 'raid voters SET' line", "");
  if (scn_set_check(&r->voters, s->nodes, r->voters_line, s->path, err) != 0)
    return -1;
  uint64_t *bits = calloc((s->nodes + 63) / 64, sizeof *bits);
  if (bits == NULL)
    return fail_at(s, r->voters_line, err, "out of memory", "");
  uint32_t n = scn_set_fill(&r->voters, s->nodes, bits);
  free(bits);
  if (n != 1 && n != 3 && n != 5) {
    snprintf(err, SCN_ERR_MAX, "%s:%d: raid voters: %u nodes; 1, 3 or 5",
             s->path, r->voters_line, n);
    return -1;
  }
  for (size_t i = 0; i < r->n_capacities; i++)
    if (!r->capacities[i].all &&
        scn_set_check(&r->capacities[i].set, s->nodes, r->capacities[i].line,
                      s->path, err) != 0)
      return -1;
  return check_uses(s, err);
}
