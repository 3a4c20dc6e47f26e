/*
 * Internals of the SWIM core shared by its files; not part of the API.
 *
 *   swim.c         lifecycle, timers dispatch
 *   queries.c      what the driver may ask: members, self, counters
 *   names.c        names of the core's enums for operators
 *   members.c      the member table and its state transitions (events)
 *   self.c         our own heartbeat record, refutation
 *   broadcast.c    the dissemination queue (piggyback order, retransmits)
 *   news.c         the news queue: summary entries relayed in gossip
 *   send.c         building datagrams within the budget, signed or MACed
 *   keys.c         the key shared with each member, for MACs
 *   receive.c      intake: parse, admission, replay, verify, apply records
 *   admission.c    certificates held and carried, checked when needed
 *   probe.c        probing, indirect probes, relays, local health
 *   suspicion.c    suspicion timeouts, confirmations, dead declarations
 *   evidence.c     what a verdict needs: a quorum of accusers, domains
 *   flap.c         holding out members that keep dying and coming back
 *   heartbeat.c    applying a member's heartbeat record
 *   join.c         the join handshake, its cookies, a joiner's retries
 *   reconcile.c    summary entries and pages: the view by difference
 *   reconcile_answer.c  pushing and pulling what a summary page says
 *   news_pull.c    pulling what news in gossip says we lack
 *   antientropy.c  view pages and digest, push-pull, reconnect to dead
 *                  members
 *   eligible.c     who may be the bridge, who is a coordinator
 *                  (certificate roles, names)
 *   app.c          the app channel: payloads between members' drivers
 *   channel/       the record channel: signed records that are not
 *                  heartbeats, the latest per (kind, subject), and
 *                  revocation, its first user (channel_internal.h)
 */
#ifndef MESHBEAT_SWIM_INTERNAL_H
#define MESHBEAT_SWIM_INTERNAL_H

#include "swim.h"

#define SWIM_MAX_ACCUSERS 8 /* distinct accusers remembered per suspicion */
#define SWIM_MAX_RELAYS 64  /* indirect probes we run for others at once */
#define SWIM_NEVER UINT64_MAX
#define SWIM_FLAPS 32 /* members whose recent deaths we count (flap.c) */

/* Interned (mb_blob_get): shared with every other holder of the same
 * bytes, released with swim_bytes_free. */
struct bytes {
  const uint8_t *p;
  size_t len;
};

/* Interned bytes held by a member: the pool keeps the length
 * (mb_blob_len), so an entry pays one pointer per field.  Released with
 * swim_blob_free; swim_blob_bytes lends both halves as a struct bytes,
 * which the borrower does not free. */
struct blob {
  const uint8_t *p;
};

/*
 * One per member per core, and a simulator of n nodes holds n² of them:
 * only what is consulted on every datagram lives here.  Name, domain,
 * capacity, available and the record's time are in the record (read with
 * swim_member_hb); suspicion details are in s->suspects while it lasts;
 * our own payload is in struct swim.
 */
struct member {
  const uint8_t *id;    /* MB_NODE_ID_LEN bytes, interned: shared by every
                           core of a simulator */
  struct blob record;   /* latest verified heartbeat record */
  struct blob cert;     /* admission certificate */
  struct blob claim;    /* latest suspect/dead claim about it */
  uint64_t incarnation; /* highest known: from records or claims */
  uint64_t hb_seq;      /* of the record: compared on every one received */
  uint64_t state_since;
  int64_t cert_expires;
  struct mb_replay_window replay;
  uint64_t epoch; /* of its record: our datagrams to it are bound to it */
  struct mb_addr addr;
  uint32_t domain_hash; /* of its failure domain (swim_domain_hash) */
  uint8_t state;        /* enum swim_state */
  uint8_t n_accusers;   /* of its latest suspicion, kept after it (queries) */
  bool knows_us : 1;    /* it has answered us: our cert is no longer needed */
  bool unanswered : 1;  /* our last direct probe of it went unanswered */
  bool is_self : 1;
  bool has_key : 1;          /* s->pair_keys[its index] is derived (keys.c) */
  bool key_refused : 1;      /* its id admits no key agreement */
  bool revoked : 1;          /* by the authority: out of the view for good */
  bool bridge_role : 1;      /* its certificate has the role "bridge" */
  bool coordinator_role : 1; /* ... the role "coordinator" */
  uint8_t reason;            /* enum swim_reason of its latest state change */
  uint32_t news;             /* 1 + its item in the news queue; 0: not queued */
};

/* Suspicion (Lifeguard) of one member: only while it is SUSPECT. */
struct suspect {
  uint32_t idx; /* member index */
  uint64_t start, deadline;
  uint8_t accusers[SWIM_MAX_ACCUSERS][MB_NODE_REF_LEN];
  uint8_t merged;        /* bit i: accuser i known from a merged view only */
  bool dead_claim_heard; /* another's dead claim travels: we sign none */
  bool checked;          /* we probed it ourselves during this suspicion */
  uint8_t unbacked;      /* times it came due without a quorum (backoff) */
  uint64_t check_at;     /* ... or will from then on, if still needed */
};

/* A member that died lately: how often, and whether it is held out. */
struct flap {
  uint8_t ref[MB_NODE_REF_LEN];
  uint16_t deaths; /* within the window; 0: a free entry */
  bool hold_over;  /* its hold ended (re-admitted if alive) */
  uint64_t last_death;
  uint64_t incarnation; /* at its last death */
  uint64_t held_until;  /* 0: not held since its last death */
};

/* Members we see ALIVE (ourselves included), per failure domain. */
#define SWIM_CENSUS_DOMAINS 16
struct swim_census {
  uint32_t alive;
  uint32_t n;        /* domains tracked */
  uint32_t overflow; /* members in domains past the first 16 */
  uint32_t domain[SWIM_CENSUS_DOMAINS], count[SWIM_CENSUS_DOMAINS];
};

/* A member we did something for lately (a ring: the oldest entry goes):
 * asked a news sender for its records (news_pull.c), sent it our whole
 * view (join.c). */
#define SWIM_RECENT_PULLS 32
#define SWIM_RECENT_VIEWS 16
struct recent_ref {
  uint8_t ref[MB_NODE_REF_LEN];
  uint64_t at; /* 0: unused */
};

struct bcast {
  uint8_t subject[MB_NODE_ID_LEN];
  struct bytes rec;
  struct bytes cert; /* rides along when the receiver may not know subject */
  uint32_t transmits;
  uint32_t order;   /* insertion order: ties go to the newest */
  bool cert_always; /* a renewal: the certificate goes with every copy */
};

/* News of one member, in the list of its send count's bucket. */
struct news_item {
  uint32_t member; /* index in the member table */
  uint32_t prev, next;
  uint16_t sent; /* sends, and copies heard from others */
};

#define SWIM_NEWS_BUCKETS 64 /* above any retransmit limit */
#define SWIM_NEWS_TAKE_MAX 64

struct news_queue {
  struct news_item *v;
  uint32_t n, cap;
  uint32_t head[SWIM_NEWS_BUCKETS], tail[SWIM_NEWS_BUCKETS];
};

#define SWIM_MAX_INDIRECT 16

struct probe {
  bool active, acked, indirect_sent;
  uint64_t probe_id; /* random 32 bits: an ack must also come from the
                        target or a relay we asked (probe.c) */
  uint8_t target[MB_NODE_ID_LEN];
  uint64_t indirect_at; /* send ping-reqs when no ack by then */
  uint64_t period_end;  /* judge the probe then */
  uint32_t nacks_expected, nacks_got;
  /* The members asked to probe for us, and which of them sent a nack. */
  uint8_t relays[SWIM_MAX_INDIRECT][MB_NODE_REF_LEN];
  uint32_t nacked; /* bit i: relays[i] sent its nack */
};

/* An indirect probe we run on behalf of another member. */
struct relay {
  bool active, acked, want_nack;
  uint64_t local_probe_id, origin_probe_id;
  struct mb_addr origin;
  uint8_t origin_ref[MB_NODE_REF_LEN]; /* a member: it holds our cert */
  uint8_t target_ref[MB_NODE_REF_LEN]; /* only its ack is forwarded */
  uint64_t nack_at, expires;
};

/* Work an input may cause, counted per second of the core's clock. */
struct swim_budget {
  uint64_t since; /* start of the current second */
  uint32_t left;
  bool begun; /* since is set: a clock starting at 0 (the simulator's)
                 must not mean a first second with nothing left */
};

/* Sources whose strangers' certificates failed lately (admission.c). */
#define SWIM_FAILURE_SOURCES 64
struct source_failures {
  uint64_t key; /* hash of the address */
  uint64_t since;
  uint32_t count;
};

/* Replay windows of admitted senders that are not (yet) members: a joiner
 * or a node that learned of us first.  Few and short-lived, so a small
 * table with least-recently-used replacement. */
#define SWIM_STRANGERS 32

struct stranger {
  uint8_t id[MB_NODE_ID_LEN];
  struct mb_replay_window window;
  uint64_t used; /* 0: free */
};

struct outq_item {
  struct swim_output out;
  size_t arena_off;
};

struct swim {
  struct swim_config cfg;
  struct mb_identity id;
  uint8_t ref[MB_NODE_REF_LEN];
  struct mb_vcache *vc;
  struct mb_blobs *blobs;     /* cfg.blobs, or own_blobs */
  struct mb_blobs *own_blobs; /* when no shared pool was given */
  const uint8_t *aad;
  size_t aad_len;
  struct mb_rng rng;
  int64_t wall_offset;     /* wall_ms - now at the last payload update */
  struct mb_health health; /* our latest health figures */
  /* The rest of our payload, signed into each record of ours. */
  char name[MB_NAME_MAX + 1], domain[MB_DOMAIN_MAX + 1];
  uint64_t capacity, available;
  uint64_t now;
  uint64_t next_seq;
  uint64_t epoch; /* ours, random per core: in our record */
  /* Pair keys by member index, when agreeing on one is dear (keys.c);
   * NULL under the stand-in scheme, which derives each when needed. */
  uint8_t (*pair_keys)[MB_PAIR_KEY_LEN];
  size_t pair_keys_cap;
  uint8_t scratch_key[MB_PAIR_KEY_LEN];
  bool leaving, left;
  bool self_revoked; /* the authority revoked us: quiet */
  bool draining;     /* an instruction about us said drain: in our record */
  size_t n_tasks;    /* our tasks' progress: in our record (key 13) */
  struct mb_task_progress tasks[MB_HB_TASKS_MAX];
  struct swim_records *records; /* the record channel (channel/) */
  bool accused_us; /* the datagram being handled carried a claim about us */

  /* member table: dense array + open-addressing index on the id */
  struct member *m;
  size_t n, cap;
  int32_t *slots;
  size_t n_slots;
  size_t self_idx;
  size_t n_live; /* alive + suspect, self included */

  /* probing */
  uint32_t *probe_order;
  size_t probe_len, probe_pos, probe_cap;

  struct probe probe; /* the round's: one per protocol period */
  struct probe check; /* of a suspect, alongside (swim_suspect_to_check) */
  uint64_t next_probe_at;
  uint32_t awareness;
  struct relay relays[SWIM_MAX_RELAYS];

  /* suspects, for cheap deadline scans */
  struct suspect *suspects;
  size_t n_suspects, cap_suspects;

  /* dissemination */
  struct bcast *bq;
  size_t n_bq, cap_bq;
  uint32_t bq_order;
  struct news_queue news;
  uint64_t next_gossip_at;

  /* anti-entropy */
  uint64_t next_push_pull_at, next_reconnect_at, last_push_pull_at;
  uint32_t reconnects;      /* every INTRODUCE_EVERY-th also introduces us */
  uint32_t follow_ups;      /* comparisons after news, at doubling gaps */
  uint64_t self_news_at;    /* our record last went out as news (or start) */
  uint64_t refuted_at;      /* our last refutation (0: none) */
  bool refute_due;          /* a claim of our incarnation awaits the gap */
  uint64_t views_agreed_at; /* a member's digest last matched our view */
  uint64_t view_sum[2];     /* the view digest, kept as members change */
  struct mb_addr *seeds;
  size_t n_seeds;
  uint64_t next_join_at;
  uint32_t join_attempts;
  size_t join_first_seed;           /* attempts go round the seeds from here */
  struct swim_seed_info *seed_info; /* per seed: requests and answers */
  uint64_t join_started_at, join_changes;
  bool join_gave_up;
  bool joined;
  uint64_t joined_at;
  bool intake_quiet;  /* records being applied are not news to relay */
  bool intake_merged; /* ... and came in a merged view (push-pull) */
  bool intake_stored; /* ... and came from the store (swim_restore) */
  struct swim_census census;
  struct flap flaps[SWIM_FLAPS];
  struct recent_ref pulls[SWIM_RECENT_PULLS];
  uint32_t pulls_next;
  struct recent_ref views[SWIM_RECENT_VIEWS];
  uint32_t views_next;
  uint8_t cookie_key[32]; /* join cookies (join.c): from our secret */
  uint8_t join_cookie[MB_VIEW_DIGEST_LEN]; /* a seed's, echoed in our request */
  bool has_join_cookie;
  size_t rx_len; /* of the datagram being received: what it may draw */

  /* outputs */
  struct outq_item *outq;
  size_t n_out, cap_out, out_head;
  uint8_t *arena;
  size_t arena_len, arena_cap;

  struct stranger strangers[SWIM_STRANGERS];
  uint64_t stranger_clock;
  struct source_failures failures[SWIM_FAILURE_SOURCES];
  struct swim_budget stranger_checks; /* certificates of unknown senders */
  struct swim_budget answers;         /* our record sent to accusers */
  struct swim_budget ack_proofs;      /* probe acks we sign for relays */
  struct swim_budget signed_checks;   /* members' signed datagrams */

  struct swim_stats stats;
};

/* swim.c: false when this second's `per_s` are spent; otherwise counts one */
bool swim_budget_take(struct swim *s, struct swim_budget *b, uint32_t per_s);
/* Is ref in the table, noted less than window_ms ago? */
bool swim_recent_has(const struct swim *s, const struct recent_ref *t, size_t n,
                     uint64_t window_ms, const uint8_t *ref);
/* Notes ref now, in place of the table's oldest entry. */
void swim_recent_note(const struct swim *s, struct recent_ref *t, size_t n,
                      uint32_t *next, const uint8_t *ref);

/* members.c */
struct member *swim_member_by_id(struct swim *s, const uint8_t *id);
struct member *swim_member_by_ref(struct swim *s, const uint8_t *ref);
struct member *swim_member_add(struct swim *s, const uint8_t *id);
void swim_member_remove(struct swim *s, size_t idx);
/* Drops what the entry holds in the blob pool (id included). */
void swim_member_release(struct swim *s, struct member *m);
void swim_set_state(struct swim *s, struct member *m, enum swim_state to,
                    enum swim_reason why);
int swim_bytes_set(struct swim *s, struct bytes *b, const uint8_t *p,
                   size_t len);
void swim_bytes_free(struct swim *s, struct bytes *b);
int swim_blob_set(struct swim *s, struct blob *b, const uint8_t *p, size_t len);
void swim_blob_free(struct swim *s, struct blob *b);
struct bytes swim_blob_bytes(struct blob b);
/* The member's heartbeat record, parsed (it was verified when it came):
 * -ENOENT when it has none. */
int swim_member_hb(const struct member *m, struct mb_heartbeat *hb);
bool swim_is_live(const struct member *m);
size_t swim_member_index(const struct swim *s, const struct member *m);

/* self.c */
int swim_self_sign(struct swim *s, enum mb_hb_status status);
void swim_refute(struct swim *s, uint64_t accused_incarnation);
/* A refutation held back by the gap between two (self.c) is due. */
void swim_self_tick(struct swim *s);
uint64_t swim_self_deadline(const struct swim *s);
int64_t swim_wall(const struct swim *s);

/* broadcast.c: records to piggyback; queuing one drops the subject's news */
void swim_bcast_add(struct swim *s, const uint8_t *subject,
                    const struct bytes *rec, const struct bytes *cert);
/* The same for a record re-signed for a renewed certificate. */
void swim_bcast_add_renewal(struct swim *s, const uint8_t *subject,
                            const struct bytes *rec, const struct bytes *cert);
void swim_bcast_forget(struct swim *s, const uint8_t *subject);
uint32_t swim_retransmit_limit(const struct swim *s);
/* How long a piece of news keeps being relayed: λ·log(n) gossip rounds. */
uint64_t swim_news_lifetime(const struct swim *s);
void swim_bcast_fill(struct swim *s, struct mb_dgram_builder *b);
void swim_bcast_prune(struct swim *s);
void swim_bcast_free(struct swim *s);

/* news.c */
void swim_news_init(struct swim *s);
/* Queues news of m (its summary entry, built when sent), afresh if queued;
 * drops any record queued about it. */
void swim_news_add(struct swim *s, struct member *m);
void swim_news_drop(struct swim *s, struct member *m);
/* Another member told us what m's queued news says. */
void swim_news_heard(struct swim *s, struct member *m);
/* Up to `max` (at most SWIM_NEWS_TAKE_MAX) summary entries, least-sent
 * first; returns how many. */
size_t swim_news_take(struct swim *s, uint8_t *entries, size_t max);
/* The member table moved a member to index `to`. */
void swim_news_member_moved(struct swim *s, uint32_t to);
void swim_news_free(struct swim *s);

/* send.c */
int swim_send(struct swim *s, const struct mb_addr *to, struct member *peer,
              const struct mb_msg *msg, bool piggyback);
/* The same with one more record right after the message (NULL: none). */
int swim_send_with(struct swim *s, const struct mb_addr *to,
                   struct member *peer, const struct mb_msg *msg,
                   bool piggyback, const struct bytes *extra);
int swim_send_built(struct swim *s, const struct mb_addr *to,
                    struct mb_dgram_builder *b);
void swim_out_event(struct swim *s, const struct swim_event *ev);
/* A channel record taken, for the driver (its bytes copied). */
void swim_out_record(struct swim *s, const struct swim_record_info *info,
                     const uint8_t *raw, size_t len);
/* An app payload from a member, for the driver (its bytes copied). */
int swim_out_app(struct swim *s, const uint8_t *from, uint8_t channel,
                 const uint8_t *payload, size_t len);
/* Must a datagram to peer (NULL: an address, not a member) carry our
 * certificate?  And our record too? */
bool swim_needs_cert(const struct swim *s, const struct member *peer);
bool swim_needs_record(const struct swim *s, const struct member *peer);
/* Starts a datagram to peer (NULL: an address): bound to peer when we
 * know its epoch, MACed when it also holds our certificate. */
void swim_dgram_begin(struct swim *s, struct mb_dgram_builder *b,
                      const struct mb_msg *msg, struct member *peer);
/* keys.c: the key we share with m, derived on first use (valid until the
 * next call); NULL when m's id admits none. */
const uint8_t *swim_pair_key(struct swim *s, struct member *m);
/* The member table moved the member at `from` to `to`. */
void swim_pair_key_moved(struct swim *s, size_t from, size_t to);
void swim_pair_keys_free(struct swim *s);

/* app.c: an authenticated app datagram from sender (NULL: not a member)
 * is delivered to the driver, or counted and dropped. */
void swim_on_app(struct swim *s, struct member *sender,
                 const struct mb_datagram *d);

/* receive.c: see swim_receive in swim.h */
void swim_stranger_adopt(struct swim *s, struct member *m);

/* admission.c: certificates held and carried, checked only when needed */
enum swim_cert_state {
  SWIM_CERT_UNDECODED,
  SWIM_CERT_UNCHECKED,
  SWIM_CERT_ADMITTED,
  SWIM_CERT_REFUSED
};
/* The certificates one datagram carries: decoded and their signatures
 * checked one by one, when a node needs admitting. */
struct swim_carried {
  size_t n;
  struct mb_bytes raw[MB_WIRE_MAX_CERTS];
  struct mb_cert cert[MB_WIRE_MAX_CERTS];
  uint8_t state[MB_WIRE_MAX_CERTS]; /* enum swim_cert_state */
};
int swim_admit_cert(struct swim *s, const uint8_t *p, size_t len,
                    struct mb_cert *out);
void swim_carried_init(struct swim_carried *c, const struct mb_datagram *d);
/* The admitted carried certificate for id (checked now if need be) and
 * its index, or NULL. */
const struct mb_cert *swim_carried_admit(struct swim *s, struct swim_carried *c,
                                         const uint8_t *id, size_t *idx);
bool swim_carries_cert_for(struct swim_carried *c, const uint8_t *id);
/* Do we hold a valid certificate of this member? */
bool swim_holds_cert(struct swim *s, const uint8_t *id);
/* Admitted by a certificate held or carried (or no admission at all). */
bool swim_admitted(struct swim *s, const uint8_t *id, struct swim_carried *c);
bool swim_stranger_check_allowed(struct swim *s, const struct mb_addr *from,
                                 struct swim_carried *c, const uint8_t *kid);
void swim_stranger_check_failed(struct swim *s, const struct mb_addr *from);
/* Do the record's name and domain match the author's certificate (NULL or
 * empty: no certificate, nothing to match)? */
bool swim_identity_ok(const struct mb_heartbeat *hb, const struct bytes *cert);

/* probe.c */
void swim_probe_tick(struct swim *s);
uint64_t swim_probe_deadline(const struct swim *s);
void swim_on_ping(struct swim *s, const struct mb_addr *from,
                  struct member *sender, const struct mb_msg *msg);
void swim_on_ack(struct swim *s, struct member *sender,
                 const struct mb_datagram *d);
void swim_on_nack(struct swim *s, struct member *sender,
                  const struct mb_msg *msg);
void swim_on_ping_req(struct swim *s, const struct mb_addr *from,
                      struct member *sender, const struct mb_msg *msg);
void swim_probe_order_reset(struct swim *s);

void swim_probe_insert(struct swim *s, size_t idx);
uint64_t swim_scaled(const struct swim *s, uint32_t ms);

/* suspicion.c */
void swim_suspicion_tick(struct swim *s);
uint64_t swim_suspicion_deadline(const struct swim *s);
void swim_suspects_remove(struct swim *s, size_t idx);
void swim_accuse(struct swim *s, struct member *m);
/* A suspect due for a probe of our own, whose evidence is not complete
 * without us (marked as checked), or NULL; and when the next one is due. */
struct member *swim_suspect_to_check(struct swim *s);
uint64_t swim_check_deadline(const struct swim *s);
/* Does someone other than us accuse m? */
bool swim_accused_by_others(struct swim *s, const struct member *m);
int swim_apply_claim(struct swim *s, const struct mb_record *rec,
                     const uint8_t *raw, size_t len);

/* evidence.c */
uint32_t swim_domain_hash(const char *domain);
/* Around every change of an ALIVE member's state or domain. */
void swim_census_in(struct swim *s, const struct member *m);
void swim_census_out(struct swim *s, const struct member *m);
/* Accusers a verdict needs: dead_quorum, or fewer in a tiny mesh. */
uint32_t swim_quorum(const struct swim *s);
/* Do m's accusers make a quorum, in two domains where the mesh has two? */
bool swim_verdict_backed(struct swim *s, const struct member *m,
                         const struct suspect *sp);

/* flap.c */
void swim_flap_death(struct swim *s, const struct member *m);
/* Must m, dead and back with a newer record, stay out for now? */
bool swim_flap_hold(struct swim *s, const struct member *m);
void swim_flap_tick(struct swim *s);
/* Is m held out now?  (Not worth a reconnect: we know it is there.) */
bool swim_flap_holding(const struct swim *s, const struct member *m);
uint64_t swim_flap_deadline(const struct swim *s);

/* eligible.c: who may be the bridge (swim_config.bridge_eligible). */
/* A certificate for m was taken (m->cert set): note what it says. */
void swim_member_cert_taken(struct member *m);
/* Its certificate's role, or its certified name listed, or an open mesh
 * with an empty list. */
bool swim_member_eligible(const struct swim *s, const struct member *m);
/* The same for a record's signer: a member, or a node admitted by a
 * certificate carried with the record (c may be NULL). */
bool swim_signer_eligible(struct swim *s, const uint8_t *kid,
                          struct swim_carried *c);
/* Its certificate's role "coordinator", or its name listed (no list, no
 * coordinators by name). */
bool swim_member_coordinator(const struct swim *s, const struct member *m);
/* The same for a record's signer: a member, or a node admitted by a
 * certificate carried with the record (c may be NULL). */
bool swim_signer_coordinator(struct swim *s, const uint8_t *kid,
                             struct swim_carried *c);

/* heartbeat.c */
/* A held-out member whose hold ended, alive by its record: back in. */
void swim_member_readmit(struct swim *s, struct member *m);

/* antientropy.c */
struct swim_subset {
  const uint32_t *idx; /* member indices, or NULL for every member */
  size_t n;
  bool with_certs;
  bool omit_own_cert;  /* the receiver knows us: pages without our cert */
  struct member *peer; /* the receiver, if a member: binds the pages */
};
void swim_send_members(struct swim *s, const struct mb_addr *to,
                       struct mb_msg *msg, const struct swim_subset *set);
/* Our whole view, in pages, to a member (or a joiner). */
void swim_send_view(struct swim *s, const struct mb_addr *to,
                    struct member *peer, struct mb_msg *msg);
void swim_view_digest(const struct swim *s, uint8_t out[MB_VIEW_DIGEST_LEN]);

/* join.c: the join handshake and a joiner's retries. */
/* The key of our join cookies, from our secret key and epoch. */
void swim_cookie_key_init(struct swim *s);
/* swim_join's work: takes the seeds, forgets the last join's progress. */
int swim_join_begin(struct swim *s, const struct mb_addr *seeds, size_t n);
/* swim_join_add's work: appends the seeds not yet known, keeps the rest. */
int swim_join_extend(struct swim *s, const struct mb_addr *seeds, size_t n);
/* A seed we join through answered (for swim_join_seed). */
void swim_seed_answered(struct swim *s, const struct mb_addr *from,
                        const struct member *peer);
/* Is this one of the seeds we are still joining through? */
bool swim_from_seed(const struct swim *s, const struct mb_addr *from,
                    const struct member *peer);
void swim_on_join(struct swim *s, const struct mb_addr *from,
                  struct member *peer, const struct mb_msg *msg);
void swim_join_tick(struct swim *s);
/* An unbound join that only introduces us, to a member that may have
 * restarted with an epoch we have not heard of. */
void swim_introduce(struct swim *s, const struct member *m);
/* An unbound join passed every check: answer it, apply nothing. */
void swim_answer_unbound_join(struct swim *s, const struct mb_addr *from,
                              const struct mb_datagram *d,
                              struct swim_carried *c, size_t len);
/* Around every change of a member's incarnation, state or record: takes
 * its share out of the view digest before, puts it back after. */
void swim_view_out(struct swim *s, const struct member *m);
void swim_view_in(struct swim *s, const struct member *m);

/* reconcile.c */
/* Summary and pull pages (the view's and the records'): the bytes of
 * entries one may carry, and sending one with our certificate when the
 * peer may lack it. */
size_t swim_page_room(const struct swim *s);
void swim_send_page(struct swim *s, const struct mb_addr *to,
                    struct mb_msg *msg, struct member *peer);
void swim_send_summary(struct swim *s, const struct mb_addr *to,
                       struct member *peer);
/* A summary entry: written for m; read (its state returned). */
void swim_summary_entry(uint8_t *e, const struct member *m);
uint8_t swim_summary_read(const uint8_t *e, uint64_t *incarnation);
/* Within one incarnation, later states win: alive < suspect < dead <
 * left.  Is (inc_a, st_a) newer than (inc_b, st_b)? */
bool swim_summary_newer(uint64_t inc_a, uint8_t st_a, uint64_t inc_b,
                        uint8_t st_b);
/* Summary entries a page holds. */
size_t swim_summary_per_page(const struct swim *s);
/* Pull pages asking for the n node refs at refs. */
void swim_send_pulls(struct swim *s, const struct mb_addr *to,
                     struct member *peer, const uint8_t *refs, size_t n);
/* reconcile_answer.c */
void swim_on_summary(struct swim *s, const struct mb_addr *from,
                     struct member *peer, const struct mb_msg *msg);
void swim_on_pull(struct swim *s, const struct mb_addr *from,
                  const uint8_t *sender_id, const struct mb_msg *msg);
/* news_pull.c: news in a gossip message: pull from its sender what we
 * lack. */
void swim_on_news(struct swim *s, const struct mb_addr *from,
                  struct member *sender, const struct mb_msg *msg);
/* Were this member's records pulled by us lately? */
bool swim_pulled_lately(const struct swim *s, const uint8_t *ref);
/* antientropy.c */
void swim_antientropy_tick(struct swim *s);
uint64_t swim_antientropy_deadline(const struct swim *s);
void swim_on_push_pull(struct swim *s, const struct mb_addr *from,
                       const uint8_t *sender_id, const struct mb_msg *msg);
void swim_push_pull_soon(struct swim *s);
/* heartbeat.c */
int swim_apply_heartbeat(struct swim *s, const struct mb_record *rec,
                         const uint8_t *raw, size_t len,
                         const struct bytes *cert, int64_t cert_expires);

/* channel/: the record channel (channel/channel_internal.h lists its
 * files). */
int swim_records_init(struct swim *s);
void swim_records_free(struct swim *s);
/* How a channel record reached the core. */
enum swim_record_origin {
  SWIM_FROM_PEER,  /* in a datagram: relayed unless the intake is quiet */
  SWIM_FROM_OFFER, /* swim_record_offer: reported and relayed */
  SWIM_FROM_STORE, /* swim_record_restore: neither */
};
/* channel/take.c: checks (cheapest first), keeps and acts on a channel
 * record; the codes of swim_record_offer.  c, when not NULL, holds
 * certificates carried with it (a member signer's). */
int swim_record_take(struct swim *s, const uint8_t *raw, size_t len,
                     struct swim_carried *c, enum swim_record_origin o);
/* channel/revoked.c: is this node id revoked?  O(1): a member's flag,
 * else the table. */
bool swim_id_revoked(struct swim *s, const uint8_t *id);
/* The revocation of id we hold (NULL: none). */
const uint8_t *swim_revocation_bytes(struct swim *s, const uint8_t *id,
                                     size_t *len);
/* channel/relay.c: channel records still being relayed go into a
 * datagram being built. */
bool swim_records_pending(const struct swim *s);
void swim_records_fill(struct swim *s, struct mb_dgram_builder *b);
/* channel/keep.c: drops records that lapsed (their `until` passed). */
void swim_records_tick(struct swim *s);

/* channel/sync.c: the channel's anti-entropy. */
/* Our channel digest into a push-pull (none when we hold no records). */
void swim_records_digest_into(const struct swim *s, struct mb_msg *msg);
/* A digest came: our summary goes back if the two differ. */
void swim_records_compare(struct swim *s, const struct mb_addr *to,
                          struct member *peer, const struct mb_msg *msg);
void swim_on_record_summary(struct swim *s, const struct mb_addr *from,
                            struct member *peer, const struct mb_msg *msg);
void swim_on_record_pull(struct swim *s, const struct mb_addr *from,
                         struct member *peer, const struct mb_msg *msg);
/* Every channel record we hold, in pages (a joiner's view). */
void swim_send_records(struct swim *s, const struct mb_addr *to,
                       struct member *peer);

/* channel/revocation.c */
/* A revocation of id was taken: out of the view for good, and told. */
void swim_revocation_apply(struct swim *s, const uint8_t *id, bool tell);
/* A datagram from a revoked node was refused: tell it, within a budget,
 * at its signed address (a member's) or, no larger than what it sent, at
 * the datagram's source. */
void swim_revoked_answer(struct swim *s, const uint8_t *id,
                         const struct mb_addr *from, size_t rx_len);
/* The revocation of id lapsed: it may be admitted again. */
void swim_revocation_lapsed(struct swim *s, const uint8_t *id);

/* channel/instruction.c */
/* An instruction about us was taken (body already checked): drain or
 * undrain sets or clears our draining flag, re-signs our record and
 * announces it. */
void swim_instruction_apply(struct swim *s, const uint8_t *body, size_t len);
/* Does the latest instruction held about id say drain? */
bool swim_instructed_drain(const struct swim *s, const uint8_t *id);

#endif
