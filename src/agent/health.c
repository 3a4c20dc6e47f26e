/*
 * The agent's health: a list of named checks, each with a status (ok,
 * degraded, failing) and a message an operator can act on; the overall
 * status is the worst of them.  The admin socket's `health` and the HTTP
 * listener's /health both show this.  A new check is one function and one
 * line in `checks`.
 */
#include "agent_state.h"

#include <stdio.h>

enum health_status { HEALTH_OK, HEALTH_DEGRADED, HEALTH_FAILING };

struct health_result {
  enum health_status status;
  char message[160];
};

typedef void (*health_fn)(struct agent *a, struct health_result *r);

static const char *status_name(enum health_status s) {
  return s == HEALTH_OK ? "ok" : s == HEALTH_DEGRADED ? "degraded" : "failing";
}

static void check_store(struct agent *a, struct health_result *r) {
  if (!a->store_ok) {
    r->status = HEALTH_FAILING;
    snprintf(r->message, sizeof(r->message),
             "the last commit to %.100s failed; it is retried", a->data_dir);
  }
}

/* Lifeguard's local health: a node that misses its own deadlines (CPU,
 * network) slows its probing, and says so here before peers notice. */
static void check_gossip(struct agent *a, struct health_result *r) {
  uint32_t aw = swim_awareness(a->swim);
  snprintf(r->message, sizeof(r->message), "awareness %u of %u", aw,
           a->cfg->swim.awareness_max);
  if (aw >= a->cfg->swim.awareness_max / 2)
    r->status = HEALTH_DEGRADED;
}

static void check_leaving(struct agent *a, struct health_result *r) {
  if (a->stopping) {
    r->status = HEALTH_DEGRADED;
    snprintf(r->message, sizeof(r->message), "leaving the mesh");
  }
}

static void check_join(struct agent *a, struct health_result *r) {
  if (agent_join_trouble(a, r->message, sizeof(r->message)))
    r->status = HEALTH_DEGRADED;
}

/* Degraded from the first expiry warning on (cert_life.c): the node leaves
 * the mesh when its certificate expires. */
static void check_certificate(struct agent *a, struct health_result *r) {
  char until[MB_TIME_LEN];
  int64_t left;
  bool due = agent_cert_expiring(a, &left);
  if (!a->certlife.held) {
    snprintf(r->message, sizeof(r->message), "none: open mesh");
    return;
  }
  mb_time_format(until, sizeof(until), a->certlife.info.expires_at * 1000);
  if (left <= 0) {
    r->status = HEALTH_FAILING;
    snprintf(r->message, sizeof(r->message), "expired at %s: leaving the mesh",
             until);
  } else if (due) {
    r->status = HEALTH_DEGRADED;
    snprintf(r->message, sizeof(r->message),
             "expires at %s, in %lld s: renew it and send SIGHUP", until,
             (long long)(left / 1000));
  } else {
    snprintf(r->message, sizeof(r->message), "valid until %s", until);
  }
}

static const struct {
  const char *name;
  health_fn fn;
} checks[] = {
    {"store", check_store},
    {"gossip", check_gossip},
    {"leaving", check_leaving},
    {"join", check_join},
    {"certificate", check_certificate},
};

json_t *agent_health_json(struct agent *a) {
  json_t *list = json_object();
  enum health_status worst = HEALTH_OK;
  for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
    struct health_result r = {HEALTH_OK, ""};
    checks[i].fn(a, &r);
    if (r.status > worst)
      worst = r.status;
    json_t *c = json_pack("{s:s}", "status", status_name(r.status));
    if (r.message[0] != '\0')
      json_object_set_new(c, "message", json_string(r.message));
    json_object_set_new(list, checks[i].name, c);
  }
  return json_pack("{s:s, s:o}", "status", status_name(worst), "checks", list);
}
