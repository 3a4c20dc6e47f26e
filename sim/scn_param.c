/*
 * `param NAME VALUE`: a protocol parameter of the gossip layer's table
 * (swim_params in src/gossip/swim.h, the one the agent's gossip { }
 * section parses through too), with its range; or require_cert, the
 * simulator's own switch for admission.  Parameters in milliseconds take a
 * duration (a bare number means ms) and may be named without the _ms
 * suffix; cert_skew_s takes a duration or a bare number of seconds.
 */
#include "scn_internal.h"

#include <stdio.h>
#include <string.h>

#define REQUIRE_CERT "require_cert"

static const struct swim_param *find_param(const char *name) {
  const struct swim_param *p = swim_param_find(name);
  char with_ms[48];
  snprintf(with_ms, sizeof(with_ms), "%s_ms", name);
  const struct swim_param *q = swim_param_find(with_ms);
  return p != NULL ? p : q != NULL && q->unit == SWIM_UNIT_MS ? q : NULL;
}

static int get_bool(struct scn_cur *c, uint64_t *v) {
  const char *t = scn_next(c);
  if (t && (strcmp(t, "true") == 0 || strcmp(t, "on") == 0))
    *v = 1;
  else if (t && (strcmp(t, "false") == 0 || strcmp(t, "off") == 0))
    *v = 0;
  else
    return scn_fail(c, "expected true or false, found '%s'",
                    t ? t : "end of line");
  return 0;
}

/* A bare number in the parameter's own unit, or a duration for times. */
static int get_value(struct scn_cur *c, const struct swim_param *p,
                     uint64_t *v) {
  bool timed = p->unit == SWIM_UNIT_MS || p->unit == SWIM_UNIT_SECONDS;
  if (scn_parse_uint(scn_peek(c), v) == 0) {
    scn_next(c);
  } else if (!timed) {
    return scn_get_uint(c, v, "param");
  } else {
    if (scn_get_duration(c, v, "param") != 0)
      return -1;
    *v /= p->unit == SWIM_UNIT_MS ? SCN_US_PER_MS : SCN_US_PER_S;
  }
  if (*v < p->min || *v > p->max)
    return scn_fail(c, "param %s: %llu is out of range %llu..%llu", p->name,
                    (unsigned long long)*v, (unsigned long long)p->min,
                    (unsigned long long)p->max);
  return 0;
}

static int unknown(struct scn_cur *c, const char *name) {
  char list[640] = " " REQUIRE_CERT;
  for (size_t i = 0; i < SWIM_N_PARAMS; i++)
    snprintf(list + strlen(list), sizeof(list) - strlen(list), " %s",
             swim_params[i].name);
  return scn_fail(c, "unknown param '%s'; known:%s",
                  name ? name : "end of line", list);
}

int scn_param_parse(struct scn_cur *c) {
  struct scenario *s = c->s;
  const char *name = scn_next(c);
  const struct swim_param *p = name ? find_param(name) : NULL;
  bool admission = name && strcmp(name, REQUIRE_CERT) == 0;
  if (p == NULL && !admission)
    return unknown(c, name);
  if (s->n_params == sizeof(s->params) / sizeof(s->params[0]))
    return scn_fail(c, "too many param lines");
  struct scn_param *sp = &s->params[s->n_params];
  if ((admission ? get_bool(c, &sp->value) : get_value(c, p, &sp->value)) != 0)
    return -1;
  snprintf(sp->name, sizeof(sp->name), "%s",
           admission ? REQUIRE_CERT : p->name);
  sp->line = c->line;
  s->n_params++;
  return 0;
}

int scn_params_apply(const struct scenario *s, struct swim_config *cfg,
                     char *err) {
  for (size_t i = 0; i < s->n_params; i++) {
    const struct swim_param *p = swim_param_find(s->params[i].name);
    if (p == NULL)
      cfg->require_cert = s->params[i].value != 0;
    else
      swim_param_set(cfg, p, s->params[i].value); /* in range: parsed so */
  }
  const struct swim_param *bad;
  char why[160];
  if (swim_config_check(cfg, &bad, why, sizeof(why)) == MB_OK)
    return 0;
  int line = 0;
  for (size_t i = 0; i < s->n_params; i++)
    if (strcmp(s->params[i].name, bad->name) == 0)
      line = s->params[i].line;
  snprintf(err, SCN_ERR_MAX, "%s:%d: param %s %s", s->path, line, bad->name,
           why);
  return -1;
}
