/*
 * `param NAME VALUE`: any numeric or boolean field of struct swim_config by
 * name.  Fields ending in _ms take a duration (a bare number means ms) and
 * may be named without the suffix; cert_skew_s takes a duration too.  The
 * cluster name, seed and authority are the simulator's to set.
 */
#include "scn_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

enum ptype { P_U32, P_MS, P_BOOL, P_SKEW_S };

static const struct {
  const char *name;
  size_t off;
  enum ptype type;
} fields[] = {
#define F(name, type)                                                          \
  { #name, offsetof(struct swim_config, name), type }
    F(probe_interval_ms, P_MS),
    F(probe_timeout_ms, P_MS),
    F(indirect_checks, P_U32),
    F(suspicion_mult, P_U32),
    F(suspicion_unit_ms, P_MS),
    F(suspicion_max_mult, P_U32),
    F(suspicion_confirm, P_U32),
    F(dead_quorum, P_U32),
    F(retransmit_mult, P_U32),
    F(awareness_max, P_U32),
    F(gossip_interval_ms, P_MS),
    F(gossip_nodes, P_U32),
    F(push_pull_interval_ms, P_MS),
    F(reconnect_interval_ms, P_MS),
    F(dead_keep_ms, P_MS),
    F(flap_hold_ms, P_MS),
    F(budget, P_U32),
    F(require_cert, P_BOOL),
    F(cert_skew_s, P_SKEW_S),
#undef F
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static int find_field(const char *name) {
  char with_ms[48];
  snprintf(with_ms, sizeof(with_ms), "%s_ms", name);
  for (size_t i = 0; i < N_FIELDS; i++)
    if (strcmp(fields[i].name, name) == 0 ||
        (fields[i].type == P_MS && strcmp(fields[i].name, with_ms) == 0))
      return (int)i;
  return -1;
}

static int get_value(struct scn_cur *c, enum ptype type, uint64_t *v) {
  const char *t = scn_peek(c);
  switch (type) {
  case P_BOOL:
    scn_next(c);
    if (t && (strcmp(t, "true") == 0 || strcmp(t, "on") == 0))
      *v = 1;
    else if (t && (strcmp(t, "false") == 0 || strcmp(t, "off") == 0))
      *v = 0;
    else
      return scn_fail(c, "expected true or false, found '%s'",
                      t ? t : "end of line");
    return 0;
  case P_MS:
    if (scn_parse_uint(t, v) == 0) { /* a bare number is milliseconds */
      scn_next(c);
      break;
    }
    if (scn_get_duration(c, v, "param") != 0)
      return -1;
    *v /= SCN_US_PER_MS;
    break;
  case P_SKEW_S:
    if (scn_get_duration(c, v, "param") != 0)
      return -1;
    *v /= SCN_US_PER_S;
    break;
  case P_U32:
    if (scn_get_uint(c, v, "param") != 0)
      return -1;
    break;
  }
  if (*v > UINT32_MAX)
    return scn_fail(c, "value %llu is too large", (unsigned long long)*v);
  return 0;
}

int scn_param_parse(struct scn_cur *c) {
  struct scenario *s = c->s;
  const char *name = scn_next(c);
  int f = name ? find_field(name) : -1;
  if (f < 0) {
    char list[512] = "";
    for (size_t i = 0; i < N_FIELDS; i++)
      snprintf(list + strlen(list), sizeof(list) - strlen(list), " %s",
               fields[i].name);
    return scn_fail(c, "unknown param '%s'; known:%s",
                    name ? name : "end of line", list);
  }
  if (s->n_params == sizeof(s->params) / sizeof(s->params[0]))
    return scn_fail(c, "too many param lines");
  struct scn_param *p = &s->params[s->n_params];
  if (get_value(c, fields[f].type, &p->value) != 0)
    return -1;
  snprintf(p->name, sizeof(p->name), "%s", fields[f].name);
  p->line = c->line;
  s->n_params++;
  return 0;
}

void scn_params_apply(const struct scenario *s, struct swim_config *cfg) {
  for (size_t i = 0; i < s->n_params; i++) {
    int f = find_field(s->params[i].name);
    char *dst = (char *)cfg + fields[f].off;
    uint32_t u = (uint32_t)s->params[i].value;
    bool b = s->params[i].value != 0;
    int64_t sk = (int64_t)s->params[i].value;
    switch (fields[f].type) {
    case P_BOOL:
      memcpy(dst, &b, sizeof(b));
      break;
    case P_SKEW_S:
      memcpy(dst, &sk, sizeof(sk));
      break;
    default:
      memcpy(dst, &u, sizeof(u));
    }
  }
}
