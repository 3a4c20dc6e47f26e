/*
 * Tokens and values of the scenario language.  Durations are parsed with
 * integer arithmetic only (no strtod), so "0.5ms" is exactly 500 us on every
 * machine and a scenario means the same run everywhere.
 */
#include "scn_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_space(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

int scn_tokenize(struct scn_cur *c, char *line) {
  c->n = 0;
  c->i = 0;
  for (char *p = line;;) {
    while (is_space(*p))
      p++;
    if (*p == '\0' || *p == '#')
      return 0;
    if (c->n == SCN_TOKENS_MAX)
      return scn_fail(c, "too many words on one line");
    if (*p == '|') { /* a group separator, with or without spaces */
      c->tok[c->n++] = "|";
      p++;
      continue;
    }
    c->tok[c->n++] = p;
    while (*p && !is_space(*p) && *p != '#' && *p != '|')
      p++;
    if (*p == '|') {
      *p = '\0';
      if (c->n == SCN_TOKENS_MAX)
        return scn_fail(c, "too many words on one line");
      c->tok[c->n++] = "|";
      p++;
    } else if (*p == '#') {
      *p = '\0';
      return 0;
    } else if (*p) {
      *p++ = '\0';
    }
  }
}

int scn_fail(struct scn_cur *c, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  snprintf(c->err, SCN_ERR_MAX, "%s:%d: %s", c->s->path, c->line, msg);
  return -1;
}

const char *scn_peek(const struct scn_cur *c) {
  return c->i < c->n ? c->tok[c->i] : NULL;
}

const char *scn_next(struct scn_cur *c) {
  return c->i < c->n ? c->tok[c->i++] : NULL;
}

bool scn_accept(struct scn_cur *c, const char *word) {
  const char *t = scn_peek(c);
  if (t == NULL || strcmp(t, word) != 0)
    return false;
  c->i++;
  return true;
}

int scn_want(struct scn_cur *c, const char *word) {
  const char *t = scn_peek(c);
  if (scn_accept(c, word))
    return 0;
  return scn_fail(c, "expected '%s', found '%s'", word, t ? t : "end of line");
}

int scn_end(struct scn_cur *c) {
  const char *t = scn_peek(c);
  return t ? scn_fail(c, "unexpected '%s'", t) : 0;
}

int scn_parse_uint(const char *t, uint64_t *v) {
  if (t == NULL || *t < '0' || *t > '9')
    return -1;
  uint64_t x = 0;
  for (; *t >= '0' && *t <= '9'; t++) {
    if (x > (UINT64_MAX - 9) / 10)
      return -1;
    x = x * 10 + (uint64_t)(*t - '0');
  }
  if (*t != '\0')
    return -1;
  *v = x;
  return 0;
}

static int unit_us(const char *u, uint64_t *mult) {
  static const struct {
    const char *name;
    uint64_t us;
  } units[] = {{"us", 1},
               {"ms", 1000},
               {"s", 1000000},
               {"m", 60000000ull},
               {"h", 3600000000ull}};
  for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
    if (strcmp(u, units[i].name) == 0) {
      *mult = units[i].us;
      return 0;
    }
  return -1;
}

int scn_parse_duration(const char *t, uint64_t *us) {
  if (t == NULL || *t < '0' || *t > '9')
    return -1;
  uint64_t whole = 0, frac = 0, scale = 1;
  for (; *t >= '0' && *t <= '9'; t++) {
    if (whole > 1000000000000ull)
      return -1;
    whole = whole * 10 + (uint64_t)(*t - '0');
  }
  if (*t == '.') {
    t++;
    if (*t < '0' || *t > '9')
      return -1;
    for (; *t >= '0' && *t <= '9'; t++) {
      if (scale >= 1000000)
        return -1; /* more than 6 decimals */
      frac = frac * 10 + (uint64_t)(*t - '0');
      scale *= 10;
    }
  }
  uint64_t mult;
  if (unit_us(t, &mult) != 0)
    return -1;
  if (whole > UINT64_MAX / mult / 2)
    return -1;
  uint64_t part = frac * mult;
  if (part % scale != 0)
    return -1; /* finer than a microsecond */
  *us = whole * mult + part / scale;
  return 0;
}

int scn_get_uint(struct scn_cur *c, uint64_t *v, const char *what) {
  const char *t = scn_next(c);
  if (scn_parse_uint(t, v) != 0)
    return scn_fail(c, "%s: expected a whole number, found '%s'", what,
                    t ? t : "end of line");
  return 0;
}

int scn_get_duration(struct scn_cur *c, uint64_t *us, const char *what) {
  const char *t = scn_next(c);
  if (scn_parse_duration(t, us) != 0)
    return scn_fail(c,
                    "%s: expected a duration like 500ms, 1.5s or 2m "
                    "(units us ms s m h), found '%s'",
                    what, t ? t : "end of line");
  return 0;
}

int scn_get_offset(struct scn_cur *c, int64_t *us, const char *what) {
  const char *t = scn_next(c);
  int sign = 1;
  if (t && (*t == '+' || *t == '-'))
    sign = *t++ == '-' ? -1 : 1;
  uint64_t v;
  if (scn_parse_duration(t, &v) != 0 || v > (uint64_t)INT64_MAX)
    return scn_fail(c, "%s: expected a signed duration like -2s, found '%s'",
                    what, t ? t : "end of line");
  *us = sign * (int64_t)v;
  return 0;
}

int scn_get_number(struct scn_cur *c, double *v, const char *what) {
  const char *t = scn_next(c);
  char *end = NULL;
  if (t != NULL && ((*t >= '0' && *t <= '9') || *t == '-'))
    *v = strtod(t, &end);
  if (end == NULL || *end != '\0' || end == t)
    return scn_fail(c, "%s: expected a number, found '%s'", what,
                    t ? t : "end of line");
  return 0;
}

int scn_get_percent(struct scn_cur *c, double *p, const char *what) {
  const char *t = scn_next(c);
  char *end = NULL;
  double v = 0;
  if (t != NULL && *t >= '0' && *t <= '9')
    v = strtod(t, &end);
  if (end == NULL || end == t || strcmp(end, "%") != 0 || v > 100.0)
    return scn_fail(c,
                    "%s: expected a percentage from 0%% to 100%%, "
                    "found '%s'",
                    what, t ? t : "end of line");
  *p = v / 100.0;
  return 0;
}

static int parse_idx(const char *t, size_t len, struct scn_idx *out) {
  char buf[24];
  if (len == 0 || len >= sizeof(buf))
    return -1;
  memcpy(buf, t, len);
  buf[len] = '\0';
  uint64_t v;
  if (strcmp(buf, "last") == 0) {
    *out = (struct scn_idx){.kind = SCN_IDX_LAST};
    return 0;
  }
  if (buf[len - 1] == '%') {
    buf[len - 1] = '\0';
    if (scn_parse_uint(buf, &v) != 0 || v > 100)
      return -1;
    *out = (struct scn_idx){.kind = SCN_IDX_PCT, .v = (uint32_t)v};
    return 0;
  }
  if (scn_parse_uint(buf, &v) != 0 || v >= UINT32_MAX)
    return -1;
  *out = (struct scn_idx){.kind = SCN_IDX_ABS, .v = (uint32_t)v};
  return 0;
}

/* "all", or items separated by commas: N, N-M, with N and M an index,
 * "last" or a percentage of the node count. */
static int parse_set(const char *t, struct scn_set *set) {
  memset(set, 0, sizeof(*set));
  if (strcmp(t, "all") == 0) {
    set->all = true;
    return 0;
  }
  while (*t) {
    const char *comma = strchr(t, ',');
    size_t len = comma ? (size_t)(comma - t) : strlen(t);
    const char *dash = memchr(t, '-', len);
    if (set->n == SCN_SET_MAX)
      return -1;
    struct scn_range *r = &set->r[set->n++];
    if (dash == NULL) {
      if (parse_idx(t, len, &r->lo) != 0)
        return -1;
      r->hi = r->lo;
    } else if (parse_idx(t, (size_t)(dash - t), &r->lo) != 0 ||
               parse_idx(dash + 1, len - (size_t)(dash - t) - 1, &r->hi) != 0) {
      return -1;
    }
    t += len;
    if (*t == ',' && *++t == '\0')
      return -1;
  }
  return set->n ? 0 : -1;
}

int scn_get_set(struct scn_cur *c, struct scn_set *set) {
  const char *t = scn_next(c);
  if (t == NULL || parse_set(t, set) != 0)
    return scn_fail(c,
                    "expected nodes like 5, 0-31, 0-9,20-29, last, 50%%-last "
                    "or all, found '%s'",
                    t ? t : "end of line");
  return 0;
}

int scn_get_latency(struct scn_cur *c, struct sim_latency *lat) {
  memset(lat, 0, sizeof(*lat));
  if (scn_get_duration(c, &lat->base_us, "latency") != 0)
    return -1;
  lat->dist = SIM_DIST_CONSTANT;
  if (!scn_accept(c, "jitter"))
    return 0;
  static const char *names[] = {"constant", "uniform", "normal", "exp"};
  const char *t = scn_next(c);
  for (int d = 1; d < 4; d++)
    if (t && strcmp(t, names[d]) == 0) {
      lat->dist = (enum sim_dist)d;
      return scn_get_duration(c, &lat->spread_us, "jitter");
    }
  return scn_fail(c, "jitter: expected uniform, normal or exp, found '%s'",
                  t ? t : "end of line");
}

int scn_get_op(struct scn_cur *c, enum scn_op *op) {
  static const char *ops[] = {"<=", "<", "==", "!=", ">=", ">"};
  const char *t = scn_next(c);
  for (int i = 0; i < 6; i++)
    if (t && strcmp(t, ops[i]) == 0) {
      *op = (enum scn_op)i;
      return 0;
    }
  return scn_fail(c, "expected one of <= < == != >= >, found '%s'",
                  t ? t : "end of line");
}
