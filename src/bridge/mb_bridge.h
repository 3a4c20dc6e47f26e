/*
 * The bridge's pure logic (docs/bridge.md): which member is the one active
 * bridge, which offline/online transitions become webhook events and under
 * which ids, the JSON bodies it posts, how webhooks are signed, and when a
 * failed delivery is tried again.
 *
 * Like the gossip core, nothing here does I/O or reads a clock: every call
 * takes `now` (and a random source) from its caller, so the agent and the
 * simulator drive the very same code.  The member view comes in as a plain
 * array of struct mb_bridge_member (a driver fills it from swim_member_get,
 * see mb_bridge_member_from_swim), so tests and the simulator can build
 * any view they like.
 *
 * Ownership: the transition tracker is allocated by _new and freed by
 * _free; the body builders return a malloc'd NUL-terminated string the
 * caller frees with free(); everything else writes into caller buffers and
 * keeps no pointer to its arguments.
 *
 * Errors: 0 (or a count) on success, a negative MB_E* code from
 * MB_ERRNO_MAP (mb_common.h) or -ENOMEM on failure.
 */
#ifndef MESHBEAT_BRIDGE_H
#define MESHBEAT_BRIDGE_H

#include "mb_common.h"
#include "mb_raid.h"
#include "swim.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the view the bridge works from ------------------------------------ */

/* One member as the local gossip core sees it. */
struct mb_bridge_member {
  uint8_t id[MB_NODE_ID_LEN];
  char name[MB_NAME_MAX + 1];
  char domain[MB_DOMAIN_MAX + 1];
  enum swim_state state; /* ALIVE, SUSPECT, DEAD or LEFT */
  uint64_t incarnation;
  uint64_t state_since_ms; /* monotonic ms, the clock `now` is read from */
  uint64_t capacity, available;
  int64_t last_seen_ms;    /* Unix ms of its latest signed record; 0: none */
  struct mb_health health; /* have == 0: no figures */
  /* May act as the bridge (certificate role or configuration).  Every
   * member must be given the same answer, or views elect differently. */
  bool eligible;
  bool is_self;
  bool draining; /* an instruction to drain it is in force */
  /* Held out for flapping: dead in the view while it may be running.  Its
   * transitions wait for the hold to end (transitions.c). */
  bool held;
};

/* Copies what the bridge needs from the core's view of one member. */
void mb_bridge_member_from_swim(struct mb_bridge_member *out,
                                const struct swim_member_info *in,
                                bool eligible);

/* ---- election (election.c) --------------------------------------------- */

/* A member counts as live while alive or suspect: a suspicion is refuted
 * more often than not, and handing over on each one would make the bridge
 * flap; the dead verdict is what the mesh agrees on. */
bool mb_bridge_member_live(const struct mb_bridge_member *m);

struct mb_bridge_election {
  bool have; /* false: no live eligible member in the view */
  uint8_t active[MB_NODE_ID_LEN];
  size_t active_index; /* into the view given */
  bool self_active;
  size_t live;  /* members of the view that are live */
  size_t total; /* members in the view */
};

/*
 * Rendezvous hashing: every live eligible member scores
 * BLAKE2b(domain tag, cluster, member id) and the highest score is active.
 * The result depends only on the set of live eligible ids (not on the
 * order of the view), so members with the same view pick the same bridge,
 * and the death of a non-active member never moves the bridge.
 */
int mb_bridge_elect(const char *cluster, const struct mb_bridge_member *view,
                    size_t n, struct mb_bridge_election *out);

/* True when the active bridge differs between two elections (a handover,
 * or a bridge appearing or disappearing). */
bool mb_bridge_election_changed(const struct mb_bridge_election *before,
                                const struct mb_bridge_election *after);

/* ---- offline/online transitions (transitions.c, event_id.c) ------------ */

/* "evt_" and 32 hex digits: Standard Webhooks' webhook-id. */
#define MB_BRIDGE_EVENT_ID_LEN 36

enum mb_bridge_event_type {
  MB_BRIDGE_EV_OFFLINE = 1,
  MB_BRIDGE_EV_ONLINE = 2,
};

/* "machine.offline" / "machine.online". */
const char *mb_bridge_event_type_name(enum mb_bridge_event_type type);

/*
 * The id of a transition: BLAKE2b over the cluster, the member's id, the
 * type and the incarnation at which the member was dead.  Both parts are
 * signed facts every member agrees on, so every member derives the same id
 * whenever and in whatever order it learns them; the online event of an
 * episode is keyed by the same incarnation as the offline it ends.
 */
void mb_bridge_event_id(char out[MB_BRIDGE_EVENT_ID_LEN + 1],
                        const char *cluster,
                        const uint8_t member[MB_NODE_ID_LEN],
                        enum mb_bridge_event_type type, uint64_t incarnation);

/* An offline that was reported and has not ended yet: the tracker's whole
 * durable state (see "exactly once" below). */
struct mb_bridge_episode {
  uint8_t member[MB_NODE_ID_LEN];
  uint64_t incarnation; /* at which the member was dead */
  /* The tracker's own, set only by mb_bridge_transitions_merge_unseen
   * (restore ignores it): the offline is still to be reported. */
  bool unreported;
};

struct mb_bridge_event {
  enum mb_bridge_event_type type;
  char id[MB_BRIDGE_EVENT_ID_LEN + 1];
  /* online: the id of the offline event it ends; empty for offline */
  char ends[MB_BRIDGE_EVENT_ID_LEN + 1];
  uint8_t member[MB_NODE_ID_LEN];
  char name[MB_NAME_MAX + 1];
  char domain[MB_DOMAIN_MAX + 1];
  uint64_t incarnation; /* of the death that opened the episode */
};

/* Most episodes a tracker holds (MB_EFULL beyond). */
#define MB_BRIDGE_MAX_EPISODES 65536

struct mb_bridge_transitions;

/* offline_after_ms: how long a member must have been dead before its
 * offline is reported (0: at once).  The cluster name is copied.  NULL
 * when out of memory or cluster is NULL. */
struct mb_bridge_transitions *
mb_bridge_transitions_new(const char *cluster, uint64_t offline_after_ms);
void mb_bridge_transitions_free(struct mb_bridge_transitions *t);

/* Puts back the episodes persisted before a restart, or merges those
 * another member announced (the active bridge's, at a handover): any time,
 * duplicates merged, the later incarnation of a member kept.  A merged
 * episode is never reported offline again, and its online follows when
 * the member is back.  MB_EFULL past MB_BRIDGE_MAX_EPISODES. */
int mb_bridge_transitions_restore(struct mb_bridge_transitions *t,
                                  const struct mb_bridge_episode *eps,
                                  size_t n);

/* Merges one episode of a death this tracker's view never showed (another
 * member derived it while we were down, or it was our own): like restore,
 * but its offline is still to be reported, so the next step reports it,
 * ahead of the online that ends it.  Nothing when an episode of the member
 * at that incarnation or later is open.  MB_EFULL as restore. */
int mb_bridge_transitions_merge_unseen(struct mb_bridge_transitions *t,
                                       const struct mb_bridge_episode *ep);

/*
 * Compares the view with the open episodes and returns up to cap events
 * (a count >= 0), in view order:
 *  - machine.offline when a member has been dead at incarnation i for at
 *    least offline_after_ms and no episode (member, i) is open: it opens
 *    one.  A member alive again before that yields nothing (flapping).
 *  - machine.online when a member with an open episode (member, i) is
 *    seen alive or suspect at an incarnation above i (it restarted): it
 *    closes it.  Seen dead at a higher incarnation, the episode closes
 *    the same way (it was back in between) and a new one may open.
 *  - a graceful leave is not a failure: it reports nothing and leaves an
 *    open episode open until the member is back; members missing from the
 *    view keep their episodes.
 *  - a member held out for flapping (held) reports nothing while held:
 *    dead in the view at its new incarnation while it may be running is
 *    neither a revival nor a new death; its open episode ends when the
 *    hold ends and it is let back in (never a machine.offline for a
 *    member that restarted and is merely held).
 * The episode set changes only with the events returned, so a driver that
 * persists them together (one transaction) can never report one twice.
 * When cap events came back, call again: the rest follow.
 */
int mb_bridge_transitions_step(struct mb_bridge_transitions *t, uint64_t now,
                               const struct mb_bridge_member *view, size_t n,
                               struct mb_bridge_event *out, size_t cap);

/* The earliest monotonic ms at which a dead member of the view given to
 * the latest step becomes due for its offline; UINT64_MAX when none. */
uint64_t mb_bridge_transitions_next_due(const struct mb_bridge_transitions *t);

/* The open episodes, sorted by member id; valid until the next call. */
size_t mb_bridge_transitions_episodes(const struct mb_bridge_transitions *t,
                                      const struct mb_bridge_episode **eps);

/* ---- bodies (view_body.c, flynas_body.c, event_body.c) ----------------- */

/* RFC 3339 in UTC with milliseconds, "2025-12-02T10:30:00.000Z". */
#define MB_BRIDGE_TIME_LEN MB_TIME_LEN
int mb_bridge_format_time(char out[MB_BRIDGE_TIME_LEN], int64_t unix_ms);

/* online, suspect, offline (dead) or left. */
const char *mb_bridge_status_name(enum swim_state state);

struct mb_bridge_view_meta {
  const char *cluster;
  const struct mb_bridge_election *election; /* the bridge posting */
  int64_t generated_ms;                      /* Unix ms */
  /* The RAID coordinator's arrays and tasks (borrowed; NULL with 0: none
   * known, empty lists). */
  const struct mb_raid_array_info *arrays;
  size_t n_arrays;
  const struct mb_raid_task_info *tasks;
  size_t n_tasks;
};

/* The consolidated view (docs/bridge-view.schema.json); malloc'd. */
int mb_bridge_view_body(const struct mb_bridge_view_meta *meta,
                        const struct mb_bridge_member *view, size_t n,
                        char **body);

/* Flynas' per-device heartbeat (docs/bridge-flynas.schema.json): exactly
 * {deviceId, status, capacity, available, lastSeen}.  device_id NULL gives
 * null, as Flynas' own agents send (the server knows the device by its
 * token).  malloc'd. */
int mb_bridge_flynas_body(const struct mb_bridge_member *m,
                          const char *device_id, char **body);

/* A webhook event's body (docs/bridge-event.schema.json): only what every
 * member agrees on, so the same id always carries the same bytes; the
 * time of sending is the webhook-timestamp header.  malloc'd. */
int mb_bridge_event_body(const struct mb_bridge_event *ev, char **body);

/* ---- Standard Webhooks signatures (webhook.c) -------------------------- */

#define MB_WEBHOOK_SECRET_MIN 24 /* bytes, as Standard Webhooks asks */
#define MB_WEBHOOK_SECRET_MAX 64
#define MB_WEBHOOK_MAX_SECRETS 8
/* "v1," and the base64 of 32 bytes. */
#define MB_WEBHOOK_SIG_LEN 47

struct mb_webhook_secret {
  uint8_t key[MB_WEBHOOK_SECRET_MAX];
  size_t len;
};

/*
 * Parses a secrets file's text: one or more `whsec_<base64>` separated by
 * white space (several during a rotation).  Returns how many (>= 1);
 * MB_EINVAL for anything else, MB_ERANGE for a key of the wrong size,
 * MB_ETOOBIG for more than cap.
 */
int mb_webhook_secrets_parse(const char *text, struct mb_webhook_secret *out,
                             size_t cap);

/* The webhook-signature header's value: `v1,<base64 HMAC-SHA256 of
 * "id.timestamp.body">` per secret, space-separated.  cap must hold
 * n * (MB_WEBHOOK_SIG_LEN + 1) bytes; MB_ENOSPACE otherwise. */
int mb_webhook_sign(const struct mb_webhook_secret *secrets, size_t n,
                    const char *msg_id, int64_t timestamp_s,
                    const uint8_t *body, size_t body_len, char *out,
                    size_t cap);

/* ---- delivery policy (retry.c, retry_after.c) -------------------------- */

enum mb_delivery_verdict {
  MB_DELIVERY_DONE,  /* 2xx */
  MB_DELIVERY_RETRY, /* transport error, 408, 429, 5xx */
  MB_DELIVERY_PARK,  /* any other status: retrying cannot help */
};

/* http_status <= 0 means no response (connect failure, timeout...). */
enum mb_delivery_verdict mb_delivery_classify(long http_status);
const char *mb_delivery_verdict_name(enum mb_delivery_verdict v);

struct mb_retry_policy {
  uint64_t base_ms;            /* first ceiling */
  uint64_t cap_ms;             /* largest ceiling */
  uint64_t max_retry_after_ms; /* a longer Retry-After is clamped to this */
};

/* base 1 s, cap 5 min, Retry-After at most 1 h. */
void mb_retry_policy_default(struct mb_retry_policy *p);

/* Full jitter: uniform in [0, min(cap, base * 2^attempt)]; attempt 0 is
 * the first retry. */
uint64_t mb_retry_backoff(const struct mb_retry_policy *p, uint32_t attempt,
                          struct mb_rng *rng);

/*
 * A Retry-After field value (RFC 9110 §10.2.3): delta-seconds or an
 * IMF-fixdate, optionally surrounded by spaces or tabs; the value need not
 * be NUL-terminated.  *delay_ms is how long to wait from now_unix_ms (0
 * for a date in the past), at most max_ms.  MB_EINVAL for anything else
 * (the obsolete RFC 850 and asctime forms included).
 */
int mb_retry_after_parse(const char *value, size_t len, int64_t now_unix_ms,
                         uint64_t max_ms, uint64_t *delay_ms);

/* When to try again: the server's Retry-After when it gave a valid one
 * (retry_after_ms, clamped), else the backoff of this attempt. */
uint64_t mb_retry_delay(const struct mb_retry_policy *p, uint32_t attempt,
                        struct mb_rng *rng, bool have_retry_after,
                        uint64_t retry_after_ms);

#endif
