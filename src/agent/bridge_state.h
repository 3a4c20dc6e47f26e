/*
 * The bridge's driver (docs/bridge.md, "In the agent"): the pure logic of
 * src/bridge run as one more core of the pump, its deliveries leaving from
 * the store's outbox through the HTTP client, one request in flight per
 * destination, in order.
 *
 *   bridge_core.c     the core: opened after the gossip core, its deadline
 *                     and tick; the view and the election (bridge_view.c);
 *                     bridge_poke.c asks it to evaluate, bridge_close.c
 *                     ends it
 *   bridge_events.c   offline/online transitions into the outbox, with
 *                     the open episodes, in one store batch
 *   bridge_posts.c    the consolidated view and Flynas rounds queued
 *                     while this node is the active bridge
 *   bridge_deliver.c  one destination's head of line: sent, retried,
 *                     parked or confirmed (bridge_request.c: its headers)
 *   bridge_instructions.c  drain/undrain in a response, signed and spread
 *   bridge_cursor.c   the delivery cursors every eligible member announces
 *                     (episodes; the active bridge's also what it
 *                     delivered), applied by the others
 *   bridge_held.c     a follower's onlines about the active bridge, which
 *                     its cursor names until the bridge confirms them
 *   bridge_status.c   `meshbeat bridge` (the admin command) and metrics
 *   sink_bridge.c     membership changes and channel records, in
 *
 * Ownership: struct agent_bridge is allocated by agent_bridge_open and
 * freed by agent_bridge_free, after the loop; the HTTP client is closed
 * by agent_bridge_close in the stop sequence.  Secrets stay in this
 * object, wiped when it is freed; nothing logs them.
 */
#ifndef MESHBEAT_AGENT_BRIDGE_STATE_H
#define MESHBEAT_AGENT_BRIDGE_STATE_H

#include "agent_state.h"
#include "bridge_secrets.h"
#include "mb_bridge.h"
#include "mb_http_client.h"

enum agent_dest { AGENT_DEST_VIEW, AGENT_DEST_FLYNAS, AGENT_DEST_WEBHOOK };
#define AGENT_N_DEST 3

/* What became of the deliveries to a destination, for the metrics. */
enum agent_delivery_result {
  AGENT_RESULT_OK,      /* 2xx */
  AGENT_RESULT_RETRY,   /* an answer or a failure worth trying again */
  AGENT_RESULT_PARKED,  /* a 4xx retrying cannot help */
  AGENT_RESULT_DROPPED, /* replaced by a newer view before it left */
};
#define AGENT_N_RESULTS 4

struct agent_bridge;

struct agent_dest_state {
  struct agent_bridge *b;
  enum agent_dest which;
  const char *name; /* the outbox's destination name */
  const char *url;  /* "" when not configured */
  bool in_flight;
  uint64_t in_flight_seq;
  int64_t next_attempt_ms; /* the head's (wall clock); 0: at once */
  bool head_known;         /* next_attempt_ms is the current head's */
  int64_t last_success_ms, last_error_ms; /* wall clock; 0: never */
  char last_error[200];
  uint64_t results[AGENT_N_RESULTS];
};

/* Event ids delivered lately, for the cursor (bridge_cursor.c). */
#define AGENT_CURSOR_IDS 16
#define AGENT_CONFIRMED_IDS 256

struct agent_bridge {
  struct agent *a;
  struct agent_core core;
  struct mb_http_client *http; /* NULL: no destination configured */
  struct agent_bridge_secrets secrets;
  struct mb_bridge_transitions *tr; /* while eligible */
  struct mb_retry_policy retry;
  struct mb_rng rng;
  /* The view, refreshed at every evaluation (bridge_view.c). */
  struct mb_bridge_member *view;
  size_t n_view, cap_view;
  struct mb_bridge_election election;
  struct mb_bridge_election acted; /* the one the core last acted on */
  bool eligible;                   /* this node may be the bridge */
  bool evaluate;       /* the view changed: elect and step at the next tick */
  uint64_t post_due;   /* next consolidated view (monotonic; NEVER) */
  uint64_t eval_due;   /* transitions' next due, or an evaluation */
  uint64_t cursor_due; /* next cursor announcement (NEVER: none) */
  int64_t cursor_version;  /* of the last one announced */
  uint64_t cursor_sent_at; /* monotonic; 0: never */
  struct agent_dest_state dest[AGENT_N_DEST];
  uint8_t delivered[AGENT_CURSOR_IDS][16];
  size_t n_delivered;
  uint64_t delivered_total;
  uint64_t events[3]; /* derived, by enum mb_bridge_event_type */
  uint64_t outbox_full;
  uint64_t instructions_taken, instructions_ignored;
  uint64_t cursors_applied;
  /* Ids some bridge said it delivered (ours and the cursors'), newest
   * last: an event derived after its id was announced is not queued
   * again (bridge_cursor.c). */
  uint8_t confirmed[AGENT_CONFIRMED_IDS][16];
  size_t n_confirmed, next_confirmed;
  bool cursors_read; /* the stored cursors, once the members are back */
  bool closing;
};

/* bridge_core.c */
int agent_bridge_open(struct agent *a);
/* bridge_close.c */
void agent_bridge_close(struct agent *a); /* stop sequence: HTTP first */
void agent_bridge_free(struct agent *a);  /* after the loop */
/* bridge_poke.c: something the core depends on changed: evaluate at the
 * next tick. */
void agent_bridge_poke(struct agent_bridge *b);
static inline uint64_t agent_bridge_now(struct agent_bridge *b) {
  return agent_now(b->a);
}

/* bridge_view.c: the members from the gossip core and the election. */
int agent_bridge_view_refresh(struct agent_bridge *b);
const struct mb_bridge_member *
agent_bridge_view_find(struct agent_bridge *b, const uint8_t *id, size_t len);

/* bridge_events.c */
int agent_bridge_restore_episodes(struct agent_bridge *b);
void agent_bridge_step(struct agent_bridge *b, uint64_t now);

/* bridge_posts.c: queue one round (view, and Flynas' per device), each
 * replacing the round still pending; drop: no longer active. */
void agent_bridge_post_round(struct agent_bridge *b);
void agent_bridge_drop_rounds(struct agent_bridge *b);

/* bridge_deliver.c */
void agent_bridge_deliver(struct agent_bridge *b, struct agent_dest_state *d);
uint64_t agent_bridge_deliver_due(struct agent_bridge *b,
                                  const struct agent_dest_state *d);
/* bridge_request.c: the headers of one delivery (values point into
 * scratch, wiped by the caller after the post). */
#define AGENT_MAX_HEADERS 6
struct agent_request_scratch {
  char auth[AGENT_BRIDGE_TOKEN_MAX + 16];
  char ts[24];
  char sig[MB_WEBHOOK_MAX_SECRETS * (MB_WEBHOOK_SIG_LEN + 1)];
};
int agent_bridge_headers(struct agent_bridge *b, struct agent_dest_state *d,
                         const struct mb_store_outbox_entry *e,
                         struct mb_http_client_header *h,
                         struct agent_request_scratch *scratch);

/* bridge_instructions.c: a view's response. */
void agent_bridge_take_instructions(struct agent_bridge *b, const uint8_t *body,
                                    size_t len);

/* bridge_cursor.c */
void agent_bridge_delivered(struct agent_bridge *b, const char *event_id);
/* Did a bridge confirm the delivery of this event id? */
bool agent_bridge_confirmed(const struct agent_bridge *b, const char *event_id);
/* The cursors held at start (restored from the store, not reported). */
void agent_bridge_cursors_read(struct agent_bridge *b);
/* Our episodes changed: announce them (at most once a second). */
void agent_bridge_cursor_soon(struct agent_bridge *b);
void agent_bridge_cursor_tick(struct agent_bridge *b, uint64_t now);
void agent_bridge_cursor_heard(struct agent_bridge *b,
                               const struct swim_output *o);

/* bridge_held.c: the onlines about the active bridge (another member)
 * in our outbox, as episodes for our cursor; is this entry one? */
size_t agent_bridge_held_onlines(struct agent_bridge *b,
                                 struct mb_bridge_episode *out, size_t max);
bool agent_bridge_about_active(const struct agent_bridge *b,
                               const struct mb_store_outbox_entry *e);

/* bridge_status.c */
json_t *agent_bridge_json(struct agent *a);
void agent_bridge_prom(struct agent *a, struct mb_prom *p);
int agent_cmd_bridge(void *ctx, const json_t *req, json_t **result,
                     struct mb_admin_error *err);

#endif
