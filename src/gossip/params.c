/*
 * The protocol's tunable parameters, one row each (swim.h): the defaults
 * swim_config_default applies, the ranges every driver's parser enforces,
 * and the relations swim_new insists on.  docs/protocol.md's Parameters
 * table lists exactly these rows (tests/agent/test_params.py checks it
 * against the agent and the simulator).
 */
#include "swim_internal.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define DAY_MS 86400000u

#define U32(field, unit, def, min, max, help)                                  \
  {                                                                            \
#field, offsetof(struct swim_config, field),                               \
        sizeof(((struct swim_config *)0)->field), unit, def, min, max, help    \
  }

_Static_assert(sizeof(((struct swim_config *)0)->cert_skew_s) == 8,
               "cert_skew_s is the one 8-byte parameter");

const struct swim_param swim_params[SWIM_N_PARAMS] = {
    U32(probe_interval_ms, SWIM_UNIT_MS, 1000, 1, 600000,
        "protocol period (scaled by local health)"),
    U32(probe_timeout_ms, SWIM_UNIT_MS, 500, 1, 600000,
        "direct ack wait before indirect probes (at most probe_interval_ms)"),
    /* more relays than the core asks at once would be silently ignored */
    U32(indirect_checks, SWIM_UNIT_NUMBER, 3, 0, SWIM_MAX_INDIRECT,
        "k members asked to probe for us"),
    U32(suspicion_mult, SWIM_UNIT_NUMBER, 4, 1, 100,
        "min suspicion timeout = mult * max(1, log10(n)) * unit"),
    U32(suspicion_unit_ms, SWIM_UNIT_MS, 200, 1, 600000,
        "time unit of the minimum suspicion timeout"),
    U32(suspicion_max_mult, SWIM_UNIT_NUMBER, 6, 1, 100,
        "max suspicion timeout = this * min"),
    /* a suspicion remembers SWIM_MAX_ACCUSERS accusers: more confirmations
     * or a larger quorum could never be reached */
    U32(suspicion_confirm, SWIM_UNIT_NUMBER, 1, 1, SWIM_MAX_ACCUSERS,
        "confirmations that bring the timeout to the min"),
    U32(dead_quorum, SWIM_UNIT_NUMBER, 2, 1, SWIM_MAX_ACCUSERS,
        "distinct alive accusers a verdict needs"),
    U32(flap_hold_ms, SWIM_UNIT_MS, 60000, 0, DAY_MS,
        "hold after a third death within an hour, doubling; 0: no damping"),
    U32(retransmit_mult, SWIM_UNIT_NUMBER, 4, 1, 64,
        "news retransmits = mult * ceil(log10(n+1))"),
    U32(awareness_max, SWIM_UNIT_NUMBER, 8, 1, 64,
        "Lifeguard local health ceiling"),
    U32(gossip_interval_ms, SWIM_UNIT_MS, 200, 1, 600000, "pure gossip rounds"),
    /* the core sends to at most 16 members a round */
    U32(gossip_nodes, SWIM_UNIT_NUMBER, 3, 0, 16, "members per gossip round"),
    U32(push_pull_interval_ms, SWIM_UNIT_MS, 30000, 1, DAY_MS,
        "full state exchange (scaled up above 32 members)"),
    U32(reconnect_interval_ms, SWIM_UNIT_MS, 5000, 1, DAY_MS,
        "one dead member tried for re-merge"),
    U32(dead_keep_ms, SWIM_UNIT_MS, 3600000, 0, 30u * DAY_MS,
        "dead and left members forgotten after this"),
    U32(budget, SWIM_UNIT_BYTES, MB_WIRE_DEFAULT_BUDGET, SWIM_MIN_BUDGET,
        MB_WIRE_MAX_DATAGRAM, "UDP payload bytes per datagram"),
    U32(cert_skew_s, SWIM_UNIT_SECONDS, 300, 0, 86400,
        "clock tolerance for certificate validity"),
};

const struct swim_param *swim_param_find(const char *name) {
  for (size_t i = 0; i < SWIM_N_PARAMS; i++)
    if (strcmp(swim_params[i].name, name) == 0)
      return &swim_params[i];
  return NULL;
}

uint64_t swim_param_get(const struct swim_config *c,
                        const struct swim_param *p) {
  const char *field = (const char *)c + p->offset;
  if (p->size == sizeof(int64_t)) {
    int64_t v;
    memcpy(&v, field, sizeof(v));
    return v < 0 ? 0 : (uint64_t)v;
  }
  uint32_t v;
  memcpy(&v, field, sizeof(v));
  return v;
}

int swim_param_set(struct swim_config *c, const struct swim_param *p,
                   uint64_t v) {
  if (v < p->min || v > p->max)
    return MB_ERANGE;
  char *field = (char *)c + p->offset;
  if (p->size == sizeof(int64_t)) {
    int64_t s = (int64_t)v;
    memcpy(field, &s, sizeof(s));
  } else {
    uint32_t u = (uint32_t)v;
    memcpy(field, &u, sizeof(u));
  }
  return MB_OK;
}

__attribute__((format(printf, 5, 6))) static int
refuse(const struct swim_param **bad, const struct swim_param *p, char *why,
       size_t cap, const char *fmt, ...) {
  if (bad != NULL)
    *bad = p;
  if (why != NULL && cap > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
  }
  return MB_EINVAL;
}

int swim_config_check(const struct swim_config *c,
                      const struct swim_param **bad, char *why, size_t cap) {
  for (size_t i = 0; i < SWIM_N_PARAMS; i++) {
    const struct swim_param *p = &swim_params[i];
    uint64_t v = swim_param_get(c, p);
    if ((p->size == sizeof(int64_t) && c->cert_skew_s < 0) || v < p->min ||
        v > p->max)
      return refuse(bad, p, why, cap, "must be between %llu and %llu",
                    (unsigned long long)p->min, (unsigned long long)p->max);
  }
  if (c->probe_timeout_ms > c->probe_interval_ms)
    return refuse(bad, swim_param_find("probe_timeout_ms"), why, cap,
                  "(%u) must not exceed probe_interval_ms (%u)",
                  c->probe_timeout_ms, c->probe_interval_ms);
  if (bad != NULL)
    *bad = NULL;
  return MB_OK;
}
