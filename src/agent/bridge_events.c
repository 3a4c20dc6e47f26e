/*
 * Offline and online transitions into the outbox (docs/bridge.md,
 * "Exactly once"): every eligible member derives them, the active bridge
 * sends them.  Each event goes into the webhook destination keyed by its
 * id, in the same store batch as the episode change it implies, and the
 * batch is committed at once: a kill at any point leaves both or neither,
 * and a restart that restores the episodes derives nothing twice.
 */
#include "bridge_state.h"

#include <stdlib.h>
#include <string.h>

#define STEP_BATCH 32

static int put_episode(const struct mb_store_episode *e, void *ctx) {
  struct mb_bridge_episode ep = {.incarnation = e->incarnation};
  memcpy(ep.member, e->member, sizeof(ep.member));
  return mb_bridge_transitions_restore(ctx, &ep, 1);
}

int agent_bridge_restore_episodes(struct agent_bridge *b) {
  int rc = mb_store_episodes_foreach(b->a->store, put_episode, b->tr);
  if (rc < 0)
    agent_log(b->a->log, MB_LOG_ERROR, NULL,
              "bridge: cannot read the open episodes: %s", mb_strerror(rc));
  return rc < 0 ? rc : 0;
}

static void log_event(struct agent_bridge *b, const struct mb_bridge_event *ev,
                      bool queued) {
  agent_log(b->a->log, MB_LOG_INFO,
            json_pack("{s:s, s:s, s:s, s:I}", "event",
                      mb_bridge_event_type_name(ev->type), "id", ev->id,
                      "member", ev->name, "incarnation",
                      (json_int_t)ev->incarnation),
            "bridge: %s %s (%s)%s", mb_bridge_event_type_name(ev->type),
            ev->name, ev->id, queued ? "" : "; no webhook url: not sent");
}

static void queue_event(struct agent_bridge *b,
                        const struct mb_bridge_event *ev) {
  struct agent_dest_state *d = &b->dest[AGENT_DEST_WEBHOOK];
  if (d->url[0] == '\0') {
    log_event(b, ev, false);
    return;
  }
  if (agent_bridge_confirmed(b, ev->id)) {
    agent_log(b->a->log, MB_LOG_DEBUG, NULL,
              "bridge: %s %s (%s) was delivered already",
              mb_bridge_event_type_name(ev->type), ev->name, ev->id);
    return;
  }
  char *body = NULL;
  int rc = mb_bridge_event_body(ev, &body);
  struct mb_store_outbox_entry e = {.created_ms = agent_wall_ms(),
                                    .body = (const uint8_t *)body,
                                    .body_len = body ? strlen(body) : 0};
  snprintf(e.dest, sizeof(e.dest), "%s", d->name);
  snprintf(e.id, sizeof(e.id), "%s", ev->id);
  if (rc == 0)
    rc = mb_store_outbox_append(b->a->store, &e, NULL);
  free(body);
  if (rc == MB_EOUTBOXFULL)
    b->outbox_full++;
  if (rc < 0)
    agent_log(b->a->log, MB_LOG_ERROR, NULL, "bridge: %s for %s not queued: %s",
              ev->id, ev->name, mb_strerror(rc));
  else
    log_event(b, ev, true);
}

static void keep_episode(struct agent_bridge *b,
                         const struct mb_bridge_event *ev) {
  int rc = ev->type == MB_BRIDGE_EV_OFFLINE
               ? mb_store_episode_put(b->a->store, ev->member, ev->incarnation)
               : mb_store_episode_delete(b->a->store, ev->member);
  if (rc < 0)
    agent_log(b->a->log, MB_LOG_ERROR, NULL,
              "bridge: the episode of %s not kept: %s", ev->name,
              mb_strerror(rc));
}

void agent_bridge_step(struct agent_bridge *b, uint64_t now) {
  struct mb_bridge_event ev[STEP_BATCH];
  int n, total = 0;
  do {
    n = mb_bridge_transitions_step(b->tr, now, b->view, b->n_view, ev,
                                   STEP_BATCH);
    for (int i = 0; i < n; i++) {
      b->events[ev[i].type]++;
      queue_event(b, &ev[i]);
      keep_episode(b, &ev[i]);
    }
    total += n > 0 ? n : 0;
  } while (n == STEP_BATCH);
  if (n < 0)
    agent_log(b->a->log, MB_LOG_ERROR, NULL, "bridge: transitions: %s",
              mb_strerror(n));
  b->eval_due = mb_bridge_transitions_next_due(b->tr);
  if (total > 0) {
    agent_commit(b->a); /* the events and their episodes, together */
    b->dest[AGENT_DEST_WEBHOOK].head_known = false;
    agent_bridge_cursor_soon(b);
  }
}
