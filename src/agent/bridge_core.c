/*
 * The bridge as one core of the pump.  Its deadline is the nearest of:
 * an evaluation asked for by a membership change (at once), the
 * transitions' next offline falling due, the next consolidated view while
 * active, each destination's next attempt, and the cursor's announcement.
 * A tick does what is due, in that order, so an event derived in a tick
 * leaves in the same tick.
 */
#include "bridge_state.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define EARLIER(x, y) ((x) < (y) ? (x) : (y))

static uint64_t bridge_deadline(void *ctx) {
  struct agent_bridge *b = ctx;
  if (b->closing)
    return AGENT_PUMP_NEVER;
  uint64_t due = b->evaluate ? 0 : b->eval_due;
  due = EARLIER(due, b->post_due);
  due = EARLIER(due, b->cursor_due);
  for (int i = 0; i < AGENT_N_DEST; i++)
    due = EARLIER(due, agent_bridge_deliver_due(b, &b->dest[i]));
  return due;
}

static void log_handover(struct agent_bridge *b,
                         const struct mb_bridge_election *before) {
  const struct mb_bridge_election *e = &b->election;
  if (!mb_bridge_election_changed(before, e))
    return;
  if (!e->have) {
    agent_log(b->a->log, MB_LOG_WARN, NULL,
              "bridge: no live member may be the bridge");
    return;
  }
  const struct mb_bridge_member *m = &b->view[e->active_index];
  agent_log(b->a->log, MB_LOG_INFO,
            json_pack("{s:s, s:b}", "bridge", m->name, "self", e->self_active),
            "bridge: %s is the active bridge%s (it sees %zu of %zu members)",
            m->name, e->self_active ? " (this node)" : "", e->live, e->total);
}

/* Elects from the current view; the rounds of a bridge that is no longer
 * active are dropped, and a new active bridge posts at once. */
/* The view is refreshed (and the election with it) by whoever needs it
 * fresh: a post, an answer's instructions, `meshbeat bridge`.  A handover
 * is judged against the election this function last acted on, so none is
 * missed when one of those saw it first. */
static void evaluate(struct agent_bridge *b, uint64_t now) {
  struct mb_bridge_election before = b->acted;
  if (agent_bridge_view_refresh(b) != 0)
    return;
  b->acted = b->election;
  if (!b->cursors_read && b->eligible)
    agent_bridge_cursors_read(b);
  log_handover(b, &before);
  bool was = before.have && before.self_active;
  bool is = b->election.have && b->election.self_active;
  if (was && !is)
    agent_bridge_drop_rounds(b);
  if (is && b->post_due == AGENT_PUMP_NEVER)
    b->post_due = now;
  if (!is)
    b->post_due = AGENT_PUMP_NEVER;
  if (b->eligible)
    agent_bridge_step(b, now);
}

static void bridge_tick(void *ctx, uint64_t now, uint64_t late_ms) {
  (void)late_ms;
  struct agent_bridge *b = ctx;
  if (b->closing)
    return;
  if (b->evaluate || now >= b->eval_due) {
    b->evaluate = false;
    evaluate(b, now);
  }
  if (now >= b->post_due) {
    agent_bridge_post_round(b);
    uint32_t every = b->a->cfg->bridge.interval_ms;
    b->post_due = now + (every > 0 ? every : 30000); /* 0: the default */
  }
  agent_bridge_cursor_tick(b, now);
  for (int i = 0; i < AGENT_N_DEST; i++)
    if (now >= agent_bridge_deliver_due(b, &b->dest[i]))
      agent_bridge_deliver(b, &b->dest[i]);
}

static void bridge_drain(void *ctx) {
  (void)ctx; /* its outputs are requests, already on their way */
}

static const struct agent_core_ops bridge_ops = {
    .name = "bridge",
    .next_deadline = bridge_deadline,
    .tick = bridge_tick,
    .drain = bridge_drain,
};

static void dest_init(struct agent_bridge *b, enum agent_dest which,
                      const char *name, const char *url) {
  struct agent_dest_state *d = &b->dest[which];
  d->b = b;
  d->which = which;
  d->name = name;
  d->url = url;
}

static bool any_destination(const struct mb_agent_bridge_config *c) {
  return c->endpoint[0] || c->flynas_endpoint[0] || c->webhook_url[0];
}

static int open_http(struct agent_bridge *b) {
  if (!any_destination(&b->a->cfg->bridge))
    return 0;
  int rc = mb_http_client_open(&b->http, &b->a->loop, NULL);
  if (rc != 0)
    agent_log(b->a->log, MB_LOG_ERROR, NULL,
              "bridge: cannot start the HTTP client: %s", mb_strerror(rc));
  return rc;
}

static int load_secrets(struct agent_bridge *b) {
  char err[1024] = "";
  int rc = agent_bridge_secrets_load(&b->a->cfg->bridge, &b->secrets, err,
                                     sizeof(err));
  if (rc != 0)
    agent_log(b->a->log, MB_LOG_ERROR, NULL, "bridge: %s", err);
  return rc == 0 ? 0 : MB_ECONFIG;
}

void agent_bridge_reload(struct agent *a) {
  struct agent_bridge *b = a->bridge;
  if (b == NULL || b->closing)
    return;
  struct agent_bridge_secrets fresh;
  char err[1024] = "";
  if (agent_bridge_secrets_load(&a->cfg->bridge, &fresh, err, sizeof(err)) !=
      0) {
    agent_log(a->log, MB_LOG_ERROR, NULL,
              "bridge: reload refused, the secrets in use are kept: %s", err);
    return;
  }
  agent_bridge_secrets_wipe(&b->secrets);
  b->secrets = fresh; /* the Flynas table moves with it */
  sodium_memzero(&fresh, sizeof(fresh));
  agent_log(a->log, MB_LOG_INFO, NULL,
            "reloaded: the bridge's tokens and secrets");
}

int agent_bridge_open(struct agent *a) {
  const struct mb_agent_bridge_config *c = &a->cfg->bridge;
  struct agent_bridge *b = calloc(1, sizeof(*b));
  if (b == NULL)
    return -ENOMEM;
  a->bridge = b;
  b->a = a;
  uint64_t seed;
  randombytes_buf(&seed, sizeof(seed));
  mb_rng_seed(&b->rng, seed);
  mb_retry_policy_default(&b->retry);
  if (c->retry_max_ms > 0)
    b->retry.cap_ms = c->retry_max_ms;
  b->post_due = b->cursor_due = AGENT_PUMP_NEVER;
  b->eval_due = AGENT_PUMP_NEVER;
  b->evaluate = true;
  dest_init(b, AGENT_DEST_VIEW, "view", c->endpoint);
  dest_init(b, AGENT_DEST_FLYNAS, "flynas", c->flynas_endpoint);
  dest_init(b, AGENT_DEST_WEBHOOK, "webhook", c->webhook_url);
  b->tr = mb_bridge_transitions_new(a->cfg->cluster, c->offline_after_ms);
  if (b->tr == NULL)
    return -ENOMEM;
  int rc = load_secrets(b);
  if (rc == 0)
    rc = open_http(b);
  if (rc == 0)
    rc = agent_bridge_restore_episodes(b);
  if (rc != 0)
    return rc;
  agent_core_init(&b->core, &bridge_ops, b);
  return agent_pump_add(&a->pump, &b->core);
}
