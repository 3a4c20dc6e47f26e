/*
 * The SWIM + Lifeguard membership core: a pure state machine.
 *
 *   inputs:  swim_receive (a datagram and its source), swim_tick (time has
 *            passed), swim_join / swim_leave / swim_set_payload /
 *            swim_set_cert / swim_set_task_progress (commands),
 *            swim_record_offer (a signed channel record from outside),
 *            swim_app_send (a payload for another member's driver)
 *   outputs: swim_poll yields datagrams to send, membership events,
 *            channel records taken (to persist and act on) and app
 *            payloads from other members;
 *            swim_next_deadline says when swim_tick is next due.
 *
 * The core reads no clock (every input carries `now`, monotonic ms), opens
 * no socket, touches no storage and draws randomness only from its own
 * seeded generator, so the agent (libuv) and the simulator drive the very
 * same code, and a simulation replays exactly from its seed.
 *
 * Protocol: SWIM (Das, Gupta, Motivala, DSN 2002) with the Lifeguard
 * refinements (Dadgar, Phillips, Currey, arXiv:1707.00788, 2018): local
 * health multiplier, dynamic suspicion timeouts shrinking with independent
 * confirmations, buddy system; memberlist-style push-pull anti-entropy.
 * docs/protocol.md describes the state diagram and every parameter.
 *
 * Ownership: swim_new copies the config and self description (the identity
 * and certificate are copied too).  Bytes handed out by swim_poll stay valid
 * until the next call into the core.  The verified-record cache and the
 * blob pool (cfg.blobs), when given, are borrowed and may be shared by many
 * cores (the simulator shares both).
 * Errors: 0 or a negative MB_E* / -errno code.
 */
#ifndef MESHBEAT_SWIM_H
#define MESHBEAT_SWIM_H

#include "mb_common.h"
#include "mb_crypto.h"
#include "mb_wire.h"

enum swim_state {
  SWIM_ALIVE = 0,
  SWIM_SUSPECT = 1,
  SWIM_DEAD = 2,
  SWIM_LEFT = 3,
  /* Not a member's state: the `from` of the event that brings a member
   * into the view (first heard of, or restored from the store). */
  SWIM_NONE = 4,
};

/* Why a member changed state (carried in every event).  The values are
 * stored in the event log: append, never renumber. */
enum swim_reason {
  SWIM_R_JOINED = 0,       /* first heard of, alive */
  SWIM_R_PROBE_FAILED = 1, /* our own probe (direct and indirect) failed */
  SWIM_R_SUSPECTED = 2,    /* another member's signed suspect or dead claim */
  /* the member answered a suspicion with a newer incarnation */
  SWIM_R_REFUTED = 3,
  SWIM_R_TIMEOUT = 4, /* suspicion timed out: we declare it dead */
  /* a due suspicion that another member's claim completed the quorum of */
  SWIM_R_DECLARED = 5,
  SWIM_R_LEFT = 6,     /* the member's own signed leave */
  SWIM_R_REJOINED = 7, /* dead or left, now alive with a newer incarnation */
  SWIM_R_UPDATED = 8,  /* same state, newer heartbeat record */
  SWIM_R_RESTORED = 9, /* put back from the store (swim_restore) */
  /* the cluster authority revoked it: dead for good (the record channel) */
  SWIM_R_REVOKED = 10,
};

/* Names that may act as the bridge besides certificates with the role
 * "bridge" (swim_config.bridge_eligible). */
#define MB_SWIM_MAX_BRIDGE_ELIGIBLE 16
#define SWIM_BRIDGE_ROLE "bridge"
/* Names that are coordinators (the RAID layer's Raft voters and their
 * replacements) besides certificates with the role "coordinator"
 * (swim_config.coordinator_names). */
#define MB_SWIM_MAX_COORDINATOR_NAMES 16
#define SWIM_COORDINATOR_ROLE "coordinator"

struct swim_config {
  const char *cluster;            /* external AAD; must outlive the core */
  uint32_t probe_interval_ms;     /* 1000: one probe per period */
  uint32_t probe_timeout_ms;      /* 500: direct ack wait before indirect */
  uint32_t indirect_checks;       /* 3: k members asked to probe for us */
  uint32_t suspicion_mult;        /* 4: min timeout = mult*log10(n)*unit */
  uint32_t suspicion_unit_ms;     /* 200: one gossip round; see protocol.md */
  uint32_t suspicion_max_mult;    /* 6: max timeout = max_mult * min */
  uint32_t suspicion_confirm;     /* 1: confirmations that reach the min */
  uint32_t dead_quorum;           /* 2: distinct accusers a verdict needs
                                     (fewer only in a tiny mesh) */
  uint32_t retransmit_mult;       /* 4: news sent mult*ceil(log10(n+1)) times */
  uint32_t awareness_max;         /* 8: Lifeguard local health ceiling */
  uint32_t gossip_interval_ms;    /* 200: pure dissemination rounds */
  uint32_t gossip_nodes;          /* 3: members per gossip round */
  uint32_t push_pull_interval_ms; /* 30000, scaled up above 32 members */
  uint32_t reconnect_interval_ms; /* 5000: try one dead member for re-merge */
  uint32_t dead_keep_ms;          /* 3600000: forget dead/left after this */
  uint32_t flap_hold_ms;          /* 60000: a member back from its third
                                     death within an hour stays out this
                                     long, doubling; 0: no damping */
  uint32_t budget;                /* 1400: UDP payload bytes, at least
                                     SWIM_MIN_BUDGET */
  uint64_t seed;                  /* randomness of probe order and peers */
  bool require_cert;              /* admission: only certified senders */
  uint8_t authority[MB_NODE_ID_LEN];
  int64_t cert_skew_s;    /* 300: clock tolerance for certificates */
  struct mb_blobs *blobs; /* NULL: the core interns records alone;
                             the simulator shares one pool among
                             all its cores (borrowed) */
  /* Who may be the bridge and sign its cursors and instructions: a
   * member whose certificate has the role "bridge", or whose certified
   * name is listed here; in an open mesh (no require_cert) with an empty
   * list, every member.  Every member must be given the same list. */
  char bridge_eligible[MB_SWIM_MAX_BRIDGE_ELIGIBLE][MB_NAME_MAX + 1];
  size_t n_bridge_eligible;
  /* Who is a coordinator: a member whose certificate has the role
   * "coordinator", or whose name (certified, when admission requires
   * certificates) is listed here.  Unlike the bridge, an open mesh with
   * an empty list has none: coordinators are chosen, never presumed.
   * Every member must be given the same list. */
  char coordinator_names[MB_SWIM_MAX_COORDINATOR_NAMES][MB_NAME_MAX + 1];
  size_t n_coordinator_names;
};

/* The smallest budget that still carries a datagram with a certificate, a
 * record and that record's certificate (about 900 bytes), with room. */
#define SWIM_MIN_BUDGET 1024

/* memberlist's LAN profile, so comparisons are fair (the defaults of
 * swim_params below, plus cluster "meshbeat", seed 1, no admission). */
void swim_config_default(struct swim_config *c);

/*
 * The tunable protocol parameters (docs/protocol.md, Parameters), one row
 * each: name, where it lives in struct swim_config, default and bounds.
 * Every driver parses parameters through this table (the agent's
 * gossip { NAME = ... } section, the simulator's `param NAME VALUE`), so a
 * parameter documented, defaulted and checked here is settable everywhere.
 * Admission (require_cert, authority) and the seed are not parameters:
 * each driver sets them from its own settings.
 */
enum swim_param_unit {
  SWIM_UNIT_NUMBER,  /* a plain count or factor */
  SWIM_UNIT_MS,      /* milliseconds */
  SWIM_UNIT_BYTES,   /* bytes */
  SWIM_UNIT_SECONDS, /* seconds (cert_skew_s, an int64_t field) */
};

struct swim_param {
  const char *name; /* as in docs/protocol.md: "probe_interval_ms" */
  size_t offset;    /* of the field in struct swim_config */
  size_t size;      /* sizeof the field: 4 (uint32_t) or 8 (int64_t) */
  enum swim_param_unit unit;
  uint64_t def, min, max; /* the default; the accepted range, inclusive */
  const char *help;       /* one line */
};

#define SWIM_N_PARAMS 18
extern const struct swim_param swim_params[SWIM_N_PARAMS];

/* The row named `name`, or NULL. */
const struct swim_param *swim_param_find(const char *name);
uint64_t swim_param_get(const struct swim_config *c,
                        const struct swim_param *p);
/* Stores v; MB_ERANGE (nothing stored) when v is outside [min, max]. */
int swim_param_set(struct swim_config *c, const struct swim_param *p,
                   uint64_t v);
/* Every parameter in range and consistent with the others (e.g. the probe
 * timeout within the probe interval): MB_OK, or MB_EINVAL with *bad set to
 * the parameter at fault and a sentence in why.  swim_new refuses what
 * this refuses. */
int swim_config_check(const struct swim_config *c,
                      const struct swim_param **bad, char *why, size_t cap);

/* What this node is. */
struct swim_self {
  const struct mb_identity *id; /* copied */
  const uint8_t *cert;          /* copied; may be NULL when not required */
  size_t cert_len;
  const char *name;
  const char *domain;   /* may be "" */
  struct mb_addr addr;  /* advertised address */
  uint64_t incarnation; /* start above anything used before */
  uint64_t first_seq;   /* first datagram sequence number; the
                           core never goes below wall_ms << 20 */
};

struct swim;

/* NULL on allocation failure or bad arguments.  vc may be NULL. */
struct swim *swim_new(const struct swim_config *cfg,
                      const struct swim_self *self, struct mb_vcache *vc,
                      uint64_t now, int64_t wall_ms);
void swim_free(struct swim *s);

/* ---- inputs ------------------------------------------------------------ */

void swim_receive(struct swim *s, uint64_t now, const struct mb_addr *from,
                  const uint8_t *buf, size_t len);
void swim_tick(struct swim *s, uint64_t now);
/* Sends join requests (push-pull with our state) to the seeds: a new join,
 * through these seeds only. */
void swim_join(struct swim *s, uint64_t now, const struct mb_addr *seeds,
               size_t n);
/* Adds seeds to the join (those it has are skipped), keeping the others
 * and what was heard from them: for a driver that learns its seeds one at a
 * time (host names resolving at different moments).  The next request goes
 * to the first new seed, at once; a join that had ended (joined, or given
 * up) starts again through it. */
void swim_join_add(struct swim *s, uint64_t now, const struct mb_addr *seeds,
                   size_t n);
/*
 * A member persisted by an earlier run: its record and certificate are
 * checked exactly as if they had arrived in a datagram (a stale or forged
 * file gains nothing), and it enters the view as alive (left, when its
 * record is its leave), without being relayed; probing settles whether it
 * still is.  Its event says SWIM_R_RESTORED.  0, or a negative code when
 * the record or certificate is refused.
 */
int swim_restore(struct swim *s, uint64_t now, const uint8_t *record,
                 size_t record_len, const uint8_t *cert, size_t cert_len);
/*
 * The record channel (docs/protocol.md): signed records that are not
 * heartbeats, the latest per (kind, subject), kept by every member.
 *
 * swim_record_offer hands the core a channel record from outside (an
 * operator's `meshbeat revoke`): checked exactly as if it had arrived in
 * a datagram, then kept, reported (SWIM_OUT_RECORD) and spread.
 * swim_record_restore is the same for a record the driver persisted in an
 * earlier run: kept and acted on, neither reported nor spread (the mesh
 * has it; anti-entropy finds any member that lacks it).
 * 0 when taken; MB_EHELD when this very record is held; otherwise why it
 * was refused: MB_EOLDER (a newer one is held), MB_ESIGNER (not signed by
 * the signer its kind needs, or no authority configured), MB_EBADSIG,
 * MB_ELAPSED, MB_EFULL, MB_EREVOKED (its signer is revoked), MB_EKIND
 * (not a channel record), MB_ESUBJECT (a bridge cursor about another
 * node than its signer, a RAID record whose subject is not what its body
 * names), MB_ERANGE (a subject of the wrong length, a RAID record whose
 * version is not its body's index), or a decoding error (of the record,
 * or of a cursor's, instruction's or RAID record's body).
 * Cursors need a bridge-eligible signer; instructions the authority or
 * a bridge-eligible member (in an open mesh, anyone); the RAID records
 * (kinds 23-25) a coordinator (swim_config.coordinator_names or the
 * certificate's role): MB_ESIGNER else.
 * An instruction about this node sets (drain) or clears (undrain) the
 * draining flag of our heartbeat, which is re-signed and announced.
 */
int swim_record_offer(struct swim *s, uint64_t now, const uint8_t *bytes,
                      size_t len);
int swim_record_restore(struct swim *s, uint64_t now, const uint8_t *bytes,
                        size_t len);
/* Signs a "left" record and gossips it; the core then stays quiet. */
void swim_leave(struct swim *s, uint64_t now);
/*
 * A renewed certificate of ours (the old one is kept on any error): it
 * must name our node id, name and failure domain, and be admitted as
 * peers admit certificates (the configured authority, valid at wall_ms
 * within cert_skew_s).  Our record is re-signed and goes out with the new
 * certificate attached, and every member gets it with our next datagrams
 * until it answers, so peers replace the one they hold.  0, or
 * MB_ECERTNODE, MB_ECERTNAME, MB_EINVAL (leaving), or why it was refused.
 */
int swim_set_cert(struct swim *s, uint64_t now, int64_t wall_ms,
                  const uint8_t *cert, size_t len);
/* New self payload (re-signed, disseminated when `announce`). */
void swim_set_payload(struct swim *s, uint64_t now, int64_t wall_ms,
                      uint64_t capacity, uint64_t available,
                      const struct mb_health *health, bool announce);

/*
 * The tasks this node runs and their progress, for its heartbeat (key 13):
 * at most MB_HB_TASKS_MAX (MB_ETOOBIG, nothing changed), copied.  The
 * record is re-signed and announced: every call is news the whole mesh
 * relays, so a driver reports progress every few seconds, not per
 * block.  n = 0 clears the list.  0, MB_EINVAL (leaving, or tasks NULL
 * with n > 0), or why signing failed.
 */
int swim_set_task_progress(struct swim *s, uint64_t now, int64_t wall_ms,
                           const struct mb_task_progress *tasks, size_t n);

/*
 * The application channel: a payload from one member's driver to
 * another's, for Raft among coordinators (docs/protocol.md, The app
 * channel).  It travels as a message of its own kind, MB_MSG_APP
 * {channel, payload}, in the same datagram as every member-to-member
 * message: bound to the receiver's id and epoch, and MACed under the pair
 * key (signed, with our certificate, while the receiver may not hold it).
 * Nothing is piggybacked on it and nothing answers it; the core neither
 * retries nor orders: the payload's protocol copes with loss.
 *
 * swim_app_send queues it as an SWIM_OUT_SEND to the member with node id
 * `to`: 0; -ENOENT when `to` is not a member, or has no address or epoch
 * yet (its record is not known); MB_ETOOBIG when len > swim_app_max;
 * MB_EINVAL when we are leaving or revoked, `to` is ourselves, left or
 * revoked, or the channel is not one the core knows (SWIM_APP_*).
 *
 * The receiver reports it as SWIM_OUT_APP (app_from, app_channel,
 * buf/len: the payload) only from a member of its view (not left) whose
 * datagram passed every check any datagram must (bound to us, MAC or
 * signature, admission, replay window); an unknown channel is counted
 * (stats.app_unknown_channel) and dropped.
 */
#define SWIM_APP_RAFT 1
/* Operators' RAID requests forwarded to the Raft leader, and its answers
 * (src/coord/forward.c). */
#define SWIM_APP_RAID_ADMIN 2
/* The Raft leader's leases on running tasks, to their targets
 * (src/coord/lease.c): a target runs a task only while it holds one. */
#define SWIM_APP_TASK_LEASE 3
int swim_app_send(struct swim *s, uint64_t now,
                  const uint8_t to[MB_NODE_ID_LEN], uint8_t channel,
                  const uint8_t *payload, size_t len);
/* The largest payload one app datagram carries: what fits in cfg.budget
 * (and one message, MB_WIRE_MSG_MAX) when the datagram is signed, bound
 * and carries our certificate, its largest form.  Fixed for the core's
 * life unless swim_set_cert brings a longer certificate. */
size_t swim_app_max(const struct swim *s);

/* Monotonic ms at which swim_tick must next run. */
uint64_t swim_next_deadline(const struct swim *s);

/* ---- outputs ----------------------------------------------------------- */

enum swim_output_kind {
  SWIM_OUT_SEND,
  SWIM_OUT_EVENT,
  SWIM_OUT_RECORD,
  SWIM_OUT_APP, /* an app channel payload from a member (swim_app_send) */
};

/* A member that enters the view is reported as from = SWIM_NONE, to =
 * SWIM_ALIVE (or LEFT, when its first record is its leave), reason
 * SWIM_R_JOINED when first heard of, SWIM_R_RESTORED when put back from
 * the store (a restart is no join), SWIM_R_LEFT for a first-heard leave. */
struct swim_event {
  uint8_t id[MB_NODE_ID_LEN];
  char name[MB_NAME_MAX + 1];
  enum swim_state from, to;
  enum swim_reason reason;
  uint64_t incarnation;
  uint64_t at; /* monotonic ms */
};

/* A channel record the core holds. */
struct swim_record_info {
  enum mb_record_kind kind;
  uint8_t subject[MB_CHANNEL_SUBJECT_MAX];
  size_t subject_len;
  uint64_t version;
  int64_t issued_ms;
  int64_t until_s; /* 0: never lapses */
  uint8_t signer[MB_NODE_ID_LEN];
  bool about_self; /* a revocation of this very node */
};

struct swim_output {
  enum swim_output_kind kind;
  struct mb_addr to;  /* SEND */
  const uint8_t *buf; /* SEND: the datagram; RECORD: the record's bytes,
                         to persist; APP: the payload; valid until the
                         next call into the core */
  size_t len;
  struct swim_event ev;             /* EVENT */
  struct swim_record_info rec;      /* RECORD: newly taken (not restored) */
  uint8_t app_from[MB_NODE_ID_LEN]; /* APP: the sending member */
  uint8_t app_channel;              /* APP: SWIM_APP_* */
};

/* 1 with *out filled, 0 when nothing is pending. */
int swim_poll(struct swim *s, struct swim_output *out);

/* ---- queries ----------------------------------------------------------- */

struct swim_member_info {
  uint8_t id[MB_NODE_ID_LEN];
  char name[MB_NAME_MAX + 1];
  char domain[MB_DOMAIN_MAX + 1];
  struct mb_addr addr;
  enum swim_state state;
  uint64_t incarnation;
  uint64_t state_since; /* monotonic ms */
  uint64_t capacity, available;
  int64_t record_time_ms;
  struct mb_health health; /* as its latest record says (have 0: none) */
  uint32_t confirmations;  /* distinct accusers while suspect */
  enum swim_reason reason; /* of its latest change of state */
  bool is_self;
  bool revoked; /* by the cluster authority: never admitted again */
  /* Held out for flapping (dead in our view while it may be running,
   * until its hold ends: flap.c). */
  bool flap_held;
  /* May be the bridge: its certificate has the role "bridge", or its
   * certified name is in swim_config.bridge_eligible, or an open mesh
   * with an empty list. */
  bool bridge_eligible;
  /* The latest instruction held about it says drain, or its own
   * heartbeat says it is draining. */
  bool draining;
  /* A coordinator: its certificate has the role "coordinator", or its
   * name is in swim_config.coordinator_names (never by default). */
  bool coordinator;
  /* Its tasks' progress, as its latest record says (ours as last set). */
  size_t n_tasks;
  struct mb_task_progress tasks[MB_HB_TASKS_MAX];
};

/* Members including self, in a stable order (index valid until the table
 * changes). */
size_t swim_member_count(const struct swim *s);
int swim_member_get(const struct swim *s, size_t i,
                    struct swim_member_info *out);
/* The member's latest verified heartbeat record and admission certificate
 * (len 0 when none), for the driver to persist; the bytes stay valid until
 * the next call into the core. */
int swim_member_raw(const struct swim *s, size_t i, struct mb_bytes *record,
                    struct mb_bytes *cert);
/* Channel records held, in a stable order (index valid until the table
 * changes); raw, when not NULL, lends the record's bytes (valid until the
 * next call into the core). */
size_t swim_record_count(const struct swim *s);
int swim_record_get(const struct swim *s, size_t i,
                    struct swim_record_info *out, struct mb_bytes *raw);
/* Has the cluster authority revoked this node?  Then the core has fallen
 * silent (as after a leave), and the driver should stop. */
bool swim_self_revoked(const struct swim *s);
/* Index of a member, or -1. */
long swim_member_find(const struct swim *s, const uint8_t id[MB_NODE_ID_LEN]);
uint64_t swim_self_incarnation(const struct swim *s);
/* Our epoch: random per core, in our record; datagrams bound to us must
 * name it (a test or attacker tool building them needs it). */
uint64_t swim_self_epoch(const struct swim *s);
/* Reserves our next datagram sequence number for a datagram a driver
 * sends in this node's name (the simulator's adversary), so that the
 * receivers' replay windows accept both it and ours. */
uint64_t swim_take_seq(struct swim *s);
/* The latest swim_join and what became of it, for the driver to report
 * (its logs, its health, `meshbeat join`).  `changes` grows with every
 * request sent, answer heard and end of the join: a driver compares it
 * to skip work when nothing happened. */
struct swim_join_info {
  size_t n_seeds;           /* given to the latest swim_join, and
                               swim_join_add since (0: none) */
  uint64_t started_at;      /* monotonic ms of that call */
  uint32_t attempts;        /* requests sent, one seed each, in turn */
  uint64_t next_attempt_at; /* when the next one goes, while trying */
  bool joined;              /* a seed's view arrived */
  uint64_t joined_at;
  bool gave_up; /* SWIM_JOIN_MAX_ATTEMPTS requests, no view */
  uint64_t changes;
};
#define SWIM_JOIN_MAX_ATTEMPTS 30

struct swim_seed_info {
  struct mb_addr addr;
  uint32_t requests;        /* join requests sent to it */
  uint64_t last_request_at; /* monotonic ms, when requests > 0 */
  uint32_t answers;         /* handshake answers from it (introduction,
                               view), heard while joining */
  uint64_t last_answer_at;  /* monotonic ms, when answers > 0 */
};

void swim_join_get(const struct swim *s, struct swim_join_info *out);
/* Seed i (< n_seeds) of the latest join: 0, or MB_EINVAL. */
int swim_join_seed(const struct swim *s, size_t i, struct swim_seed_info *out);
/* Lifeguard's local health multiplier score (0 = healthy). */
uint32_t swim_awareness(const struct swim *s);
/* The driver ran the core's timer late_ms after it was due (a process
 * starved of CPU, a slow disk): counts against our own health like a
 * failed probe without nacks, so that our probes and suspicions wait
 * longer while we may be the slow one. */
void swim_note_lateness(struct swim *s, uint64_t now, uint64_t late_ms);
/* Does the view digest, kept up to date as members change, equal one
 * computed afresh from the member table?  O(n); for tests. */
bool swim_view_check(const struct swim *s);

struct swim_stats {
  uint64_t sent_datagrams, sent_bytes, recv_datagrams, recv_bytes;
  uint64_t rejected[12]; /* by enum swim_reject (SWIM_REJ_COUNT_ used) */
  uint64_t probes, probe_failures, suspicions, refutations;
  uint64_t unbacked_timeouts; /* suspicions due without a quorum: no verdict */
  uint64_t flap_holds;        /* members held out after dying again */
  uint64_t stranger_checks;   /* strangers' certificates verified */
  uint64_t unproven_acks;     /* relays' acks without the target's proof */
  uint64_t app_sent;          /* app datagrams sent (swim_app_send) */
  uint64_t app_received;      /* app payloads delivered (SWIM_OUT_APP) */
  uint64_t app_unknown_channel; /* authentic, of a channel we do not know */
  uint64_t app_not_member;      /* authentic, from a node not in our view
                                   (or left): not delivered */
};

enum swim_reject {
  SWIM_REJ_MALFORMED,    /* did not parse */
  SWIM_REJ_SIGNATURE,    /* bad signature (or other cluster) */
  SWIM_REJ_ADMISSION,    /* no valid certificate for the sender */
  SWIM_REJ_REPLAY,       /* sequence number replayed or too old */
  SWIM_REJ_SELF,         /* claims to come from us */
  SWIM_REJ_RECORD,       /* a carried record was refused */
  SWIM_REJ_CLAIM,        /* a claim above its subject's signed incarnation */
  SWIM_REJ_BINDING,      /* bound to another receiver, or unbound and not a
                            join */
  SWIM_REJ_BUDGET,       /* a member's signed datagram past this second's
                            budget of signature checks */
  SWIM_REJ_REVOKED,      /* from (or a record by) a node the cluster
                            authority revoked */
  SWIM_REJ_IDENTITY,     /* a heartbeat record whose name or failure domain
                            is not its author's certificate's */
  SWIM_REJ_CHANNEL_FULL, /* a channel record of a kind whose table is
                            full of records that may not give way
                            (revocations in force) */
  SWIM_REJ_COUNT_,
};

void swim_get_stats(const struct swim *s, struct swim_stats *out);
const char *swim_state_name(enum swim_state st);
const char *swim_reason_name(enum swim_reason r);
const char *swim_reject_name(enum swim_reject r);

#endif
