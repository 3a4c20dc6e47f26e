/*
 * meshbeat wire layer: the CBOR encoding of every datagram and record.
 * docs/wire-format.md holds the CDDL; this header is its C face.
 *
 *   datagram = COSE_Mac0(kid = sender's ref, pairwise key)  between members
 *            / COSE_Sign1(kid = sender)                     otherwise
 *     of {1: version, 2: seq, 3: message, ?4: [+ bstr .cbor record],
 *         ?5: [+ bstr .cbor certificate], ?6: receiver's ref, ?7: padding}
 *   A datagram with 6 is bound to its receiver: its external AAD is the
 *   cluster's, the receiver's node id and the receiver's epoch (from its
 *   heartbeat record), so it is accepted by that receiver only, and only
 *   until it restarts.  Every Mac0 datagram is bound.
 *   record   = COSE_Sign1(kid = author) of {0: record kind, ...}
 *
 * Records travel as byte strings so their bytes, and so their signatures,
 * pass through relays unchanged.  Certificates ride along when the receiver
 * may not know the sender or a record's author yet.
 *
 * Decoding is strict (deterministic encoding only, bounded counts and
 * lengths, no trailing bytes) and ignores unknown map keys and unknown record
 * kinds, so newer peers can add fields.  Parsing never verifies; the *_verify
 * and *_open functions do.
 *
 * Errors: 0 or negative MB_E* / -errno.  Ownership: decoded structures point
 * into the caller's input buffer and are valid while it is; nothing here
 * allocates.
 */
#ifndef MESHBEAT_WIRE_H
#define MESHBEAT_WIRE_H

#include "mb_common.h"
#include "mb_crypto.h"

#define MB_WIRE_VERSION 1
#define MB_WIRE_DEFAULT_BUDGET 1400 /* 1500 MTU - IPv6 40 - UDP 8 - slack */
#define MB_WIRE_MAX_DATAGRAM 65507  /* largest UDP payload over IPv4 */
#define MB_WIRE_MAX_RECORDS 64
#define MB_WIRE_MAX_CERTS 16
#define MB_WIRE_MAX_RECORD 1024

/* Datagram body keys. */
enum mb_dgram_key {
  MB_DG_VERSION = 1,
  MB_DG_SEQ = 2,
  MB_DG_MESSAGE = 3,
  MB_DG_RECORDS = 4,
  MB_DG_CERTS = 5,
  MB_DG_TO = 6,      /* the receiver's node ref: bound to it */
  MB_DG_PADDING = 7, /* a join's bytes, so no answer outgrows it */
};

enum mb_msg_kind {
  MB_MSG_PING = 1,
  MB_MSG_ACK = 2,
  MB_MSG_PING_REQ = 3,
  MB_MSG_NACK = 4,
  MB_MSG_PUSH_PULL = 5,
  MB_MSG_PUSH_PULL_REPLY = 6,
  MB_MSG_JOIN = 7,
  MB_MSG_LEAVE = 8,
  MB_MSG_GOSSIP = 9, /* nothing but piggybacked records */
  /* An application's payload between two members ({0: 10, 1: channel,
   * 2: payload}), in the same bound, authenticated datagram as the rest:
   * the SWIM core delivers it to its driver (swim_app_send).  A decoder
   * that predates it refuses the datagram as an unknown kind. */
  MB_MSG_APP = 10,
};
#define MB_MSG_KIND_LAST MB_MSG_APP

enum mb_record_kind {
  MB_REC_HEARTBEAT = 1,
  MB_REC_SUSPECT = 2,
  MB_REC_DEAD = 3,
  MB_REC_ACK = 4, /* a target's signed answer to an indirect probe */
  /* Channel records (signed records that are not heartbeats, one layout:
   * struct mb_channel_record): the latest per (kind, subject) is kept by
   * every member (docs/protocol.md, The record channel).  Kinds 20..31
   * belong to the channel; those this version does not know decode as
   * MB_REC_OTHER. */
  MB_REC_REVOCATION = 20,    /* the authority refuses a node id */
  MB_REC_BRIDGE_CURSOR = 21, /* an active bridge's delivery cursor */
  MB_REC_INSTRUCTION = 22,   /* an operator's signed instruction */
  /* What the RAID coordinators' Raft leader committed, published for
   * the devices that run no Raft (signed by a coordinator). */
  MB_REC_RAID_ARRAY = 23,  /* one array, as of its latest change */
  MB_REC_RAID_TASK = 24,   /* one reconstruction task */
  MB_REC_RAID_LEADER = 25, /* who leads, at which term and commit index */
  MB_REC_OTHER = 255,      /* a kind this version does not know: skip it */
};

struct mb_addr {
  uint8_t family; /* 4 or 6 */
  uint8_t ip[16]; /* first 4 bytes for IPv4 */
  uint16_t port;
};

/* "1.2.3.4:7946" or "[::1]:7946" (numeric hosts only): 0 or MB_EINVAL. */
int mb_addr_parse(const char *text, struct mb_addr *out);
/* The same form; 48 bytes always suffice. */
#define MB_ADDR_TEXT_MAX 48
void mb_addr_format(char *out, size_t cap, const struct mb_addr *a);

/*
 * Probes name their target by a node ref: the first 8 bytes of its node id.
 * That is enough to notice a ping that reached the wrong node (an address
 * reused after a restart) at a quarter of the bytes, and pings are most of
 * the traffic.  Records, which must be attributable, carry full ids.
 */
#define MB_NODE_REF_LEN 8

/* A push-pull may open with a digest of the sender's view instead of the
 * view itself: equal digests end the exchange after one small datagram. */
#define MB_VIEW_DIGEST_LEN 16

/*
 * When digests differ, views are reconciled by summary, not by sending
 * them whole: a summary lists (node ref, incarnation, state) for every
 * member whose id falls in a range, as fixed 17-byte entries; the other
 * side answers with the records it holds newer and a pull list of the node
 * refs it wants.  Both are byte strings inside the message.  A gossip
 * message may carry summary entries too, as news: members the sender has
 * lately learned of, which the receiver pulls from it if it lacks them.
 */
#define MB_SUMMARY_ENTRY_LEN (MB_NODE_REF_LEN + 8 + 1)
/* A channel record is named in summaries by its record ref: its kind,
 * then the first 7 bytes of BLAKE2b-128 of its subject; an entry is the
 * ref and the version (8 bytes big-endian). */
#define MB_RECORD_REF_LEN 8
#define MB_RECORD_ENTRY_LEN (MB_RECORD_REF_LEN + 8)
void mb_wire_record_ref(enum mb_record_kind kind, const uint8_t *subject,
                        size_t len, uint8_t ref[MB_RECORD_REF_LEN]);
#define MB_WIRE_MSG_MAX 1400

/* The primary message of a datagram; which fields matter depends on kind. */
struct mb_msg {
  enum mb_msg_kind kind;
  uint64_t probe_id;               /* ping, ack, ping-req, nack */
  uint8_t target[MB_NODE_REF_LEN]; /* ping, ping-req */
  struct mb_addr target_addr;      /* ping-req */
  bool want_nack;                  /* ping-req */
  bool has_origin;                 /* ping by a relay: for whose probe */
  uint8_t origin[MB_NODE_REF_LEN];
  uint64_t origin_probe_id;
  uint32_t part, parts; /* push-pull, reply, join: page i of n */
  bool has_digest;      /* push-pull, reply: a view digest */
  uint8_t digest[MB_VIEW_DIGEST_LEN];
  bool has_range; /* reply: summary covers [lo, hi] refs */
  uint8_t range_lo[MB_NODE_REF_LEN], range_hi[MB_NODE_REF_LEN];
  const uint8_t *summary; /* reply, gossip (news): entries of */
  size_t summary_len;     /*   MB_SUMMARY_ENTRY_LEN bytes each;
                               points into caller memory */
  const uint8_t *pull;    /* push-pull: node refs wanted, 8 bytes */
  size_t pull_len;        /*   each; points into caller memory */
  /* The record channel's anti-entropy (same paged kinds): the digest of
   * the sender's channel records (absent: it holds none), a summary of
   * them (MB_RECORD_ENTRY_LEN bytes each, possibly none, over [lo, hi)
   * of `range`), and the record refs it wants. */
  bool has_rdigest;
  uint8_t rdigest[MB_VIEW_DIGEST_LEN];
  bool has_rsummary;
  const uint8_t *rsummary;
  size_t rsummary_len;
  const uint8_t *rpull; /* MB_RECORD_REF_LEN bytes each */
  size_t rpull_len;
  /* app: the application channel and its payload (points into caller
   * memory; may be empty, never NULL when len > 0). */
  uint8_t app_channel;
  const uint8_t *app_payload;
  size_t app_len;
};

struct mb_bytes {
  const uint8_t *p;
  size_t len;
};

struct mb_datagram {
  bool mac;                      /* a COSE_Mac0: mac0 is set, not envelope */
  struct mb_cose_sign1 envelope; /* envelope.kid is the sender */
  struct mb_cose_mac0 mac0;      /* mac0.kid is the sender's node ref */
  const uint8_t *sender_ref;     /* either way, MB_NODE_REF_LEN bytes */
  const uint8_t *to;             /* the receiver's ref; NULL: unbound */
  uint64_t version;
  uint64_t seq;
  struct mb_msg msg;
  size_t n_records;
  struct mb_bytes records[MB_WIRE_MAX_RECORDS];
  size_t n_certs;
  struct mb_bytes certs[MB_WIRE_MAX_CERTS];
};

/* ---- records ----------------------------------------------------------- */

enum mb_hb_status { MB_HB_ALIVE = 0, MB_HB_LEFT = 1 };

/* Health figures, each present only when its bit is set in `have`. */
enum mb_health_field {
  MB_HEALTH_CPU = 1,  /* permille of cpu busy */
  MB_HEALTH_MEM = 2,  /* permille of memory used */
  MB_HEALTH_LOAD = 4, /* 1-minute load average x 100 */
  MB_HEALTH_TEMP = 8, /* millidegrees Celsius */
};

struct mb_health {
  unsigned have;
  uint32_t cpu_permille;
  uint32_t mem_permille;
  uint32_t load_x100;
  int32_t temp_mc;
};

/* A task's progress in its target's heartbeat (key 13): the RAID
 * coordinator's task id and the bytes done so far. */
#define MB_HB_TASKS_MAX 8
struct mb_task_progress {
  uint64_t id, done;
};

struct mb_heartbeat {
  uint8_t node_id[MB_NODE_ID_LEN]; /* = the record's signer */
  char name[MB_NAME_MAX + 1];
  struct mb_addr addr;
  uint64_t incarnation;
  uint64_t seq;
  int64_t time_ms; /* sender's wall clock, ms since the Unix epoch */
  uint64_t capacity;
  uint64_t available;
  char domain[MB_DOMAIN_MAX + 1];
  enum mb_hb_status status;
  struct mb_health health;
  /* Random per start of the agent (0: none).  Datagrams to the node are
   * bound to it, so none sent before a restart is accepted after it. */
  uint64_t epoch;
  /* The node holds a drain instruction about itself (key 12, written only
   * when true; decoders that predate it skip it as an unknown key). */
  bool draining;
  /* The tasks the node runs and their progress (key 13, written only
   * when n_tasks > 0; decoders that predate it skip it). */
  size_t n_tasks; /* 0..MB_HB_TASKS_MAX */
  struct mb_task_progress tasks[MB_HB_TASKS_MAX];
};

/* A suspect or dead claim, signed by its author (the accuser). */
struct mb_claim {
  uint8_t author[MB_NODE_ID_LEN];
  uint8_t subject[MB_NODE_ID_LEN];
  uint64_t incarnation; /* the subject's incarnation being accused */
  int64_t time_ms;
};

/* An indirect probe's proof, signed by its target (the record's signer):
 * it answered the probe `probe_id` of the member whose ref is `prober`.
 * A relay forwards it with its ack, and can neither invent nor alter it. */
struct mb_probe_ack {
  uint8_t prober[MB_NODE_REF_LEN];
  uint64_t probe_id;
  int64_t time_ms;
};

/*
 * A channel record, signed by the signer its kind requires (the record's
 * kid): the cluster authority for revocations and instructions, a
 * bridge-eligible member for cursors, a coordinator for the RAID kinds.
 * Only a record with a higher version replaces the one held for its
 * (kind, subject).
 *
 *   {0: kind, 1: subject, 2: version, 3: issued-ms, ?4: until-s, ?5: body}
 */
#define MB_CHANNEL_SUBJECT_MAX 32 /* a node id, or a hash of a longer name */
#define MB_CHANNEL_BODY_MAX 512
#define MB_REC_CHANNEL_FIRST 20
#define MB_REC_CHANNEL_LAST 31
struct mb_channel_record {
  uint8_t subject[MB_CHANNEL_SUBJECT_MAX];
  size_t subject_len;  /* 1..MB_CHANNEL_SUBJECT_MAX */
  uint64_t version;    /* issued-at ms, or (term, index) packed, ... */
  int64_t issued_ms;   /* the signer's wall clock */
  int64_t until_s;     /* lapses after this (Unix seconds); 0: never */
  const uint8_t *body; /* kind-specific bytes (points into the record), */
  size_t body_len;     /* 0..MB_CHANNEL_BODY_MAX; NULL when absent */
};

/* A revocation's body: {?1: reason}. */
#define MB_REVOCATION_REASON_MAX 127
struct mb_revocation {
  char reason[MB_REVOCATION_REASON_MAX + 1]; /* "" when none given */
};

/*
 * A bridge cursor's body (kind 21, signed by the bridge it is about):
 *
 *   {1: [* bstr .size 16], 2: delivered, 3: pending,
 *    ?4: [* [bstr .size 8, incarnation]]}
 *
 * 1: ids of the events it delivered lately, oldest first; 2: events it
 * delivered in total; 3: events pending at it; 4: its open episodes, as
 * (member's node ref, incarnation).  The whole body must fit in
 * MB_CHANNEL_BODY_MAX: with 16 ids that leaves room for about 12
 * episodes, and the encoder refuses more (MB_ETOOBIG) rather than cut.
 */
#define MB_CURSOR_EVENT_ID_LEN 16 /* "evt_" + 32 hex: the hex's bytes */
#define MB_CURSOR_MAX_EVENTS 16
#define MB_CURSOR_MAX_EPISODES 24
struct mb_cursor_episode {
  uint8_t member[MB_NODE_REF_LEN];
  uint64_t incarnation;
};
struct mb_bridge_cursor {
  size_t n_events; /* 0..MB_CURSOR_MAX_EVENTS */
  uint8_t events[MB_CURSOR_MAX_EVENTS][MB_CURSOR_EVENT_ID_LEN];
  uint64_t delivered;
  uint64_t pending;
  size_t n_episodes; /* 0..MB_CURSOR_MAX_EPISODES; 0: key 4 absent */
  struct mb_cursor_episode episodes[MB_CURSOR_MAX_EPISODES];
};

/*
 * An instruction's body (kind 22, about a device's node id):
 *
 *   {1: op, ?2: id}
 *
 * op "drain" or "undrain"; any other op decodes as MB_INSTR_OTHER (kept,
 * meaning nothing).  id: the central endpoint's instruction id, if it
 * gave one.
 */
#define MB_INSTRUCTION_OP_MAX 32
#define MB_INSTRUCTION_ID_MAX 64
enum mb_instruction_op {
  MB_INSTR_OTHER = 0,
  MB_INSTR_DRAIN = 1,
  MB_INSTR_UNDRAIN = 2,
};
struct mb_instruction {
  enum mb_instruction_op op;
  /* The op as written.  Encoding: "" writes op's own name ("drain",
   * "undrain"; MB_EINVAL for MB_INSTR_OTHER). */
  char name[MB_INSTRUCTION_OP_MAX + 1];
  char id[MB_INSTRUCTION_ID_MAX + 1]; /* "" when none */
};

struct mb_record {
  enum mb_record_kind kind;
  struct mb_cose_sign1 envelope;
  union {
    struct mb_heartbeat hb;
    struct mb_claim claim;
    struct mb_probe_ack ack;
    struct mb_channel_record ch; /* kinds MB_REC_REVOCATION.. */
  } u;
};

/* Is kind one of the channel's (as decoded: known to this version)? */
bool mb_record_kind_is_channel(enum mb_record_kind kind);

/* Signs a heartbeat record (kid = signer; hb->node_id is ignored). */
int mb_wire_heartbeat_sign(const struct mb_identity *signer, const uint8_t *aad,
                           size_t aad_len, const struct mb_heartbeat *hb,
                           uint8_t *out, size_t cap, size_t *out_len);
/* Signs a suspect (MB_REC_SUSPECT) or dead (MB_REC_DEAD) claim. */
int mb_wire_claim_sign(const struct mb_identity *author, const uint8_t *aad,
                       size_t aad_len, enum mb_record_kind kind,
                       const struct mb_claim *c, uint8_t *out, size_t cap,
                       size_t *out_len);

/* Signs a probe ack (MB_REC_ACK). */
int mb_wire_ack_sign(const struct mb_identity *target, const uint8_t *aad,
                     size_t aad_len, const struct mb_probe_ack *a, uint8_t *out,
                     size_t cap, size_t *out_len);

/* Signs a channel record of the given kind (kid = signer). */
int mb_wire_channel_sign(const struct mb_identity *signer, const uint8_t *aad,
                         size_t aad_len, enum mb_record_kind kind,
                         const struct mb_channel_record *c, uint8_t *out,
                         size_t cap, size_t *out_len);
/* The one way a layer above the core signs a channel record: the
 * cluster's name is the external AAD, every field given plainly (subject
 * and body are copied into the record; body may be NULL with len 0: no
 * body).  MB_EINVAL as mb_wire_channel_sign, or MB_ENOSPACE. */
int mb_wire_channel_record_sign(const struct mb_identity *signer,
                                const char *cluster, enum mb_record_kind kind,
                                const uint8_t *subject, size_t subject_len,
                                uint64_t version, int64_t issued_ms,
                                int64_t until_s, const uint8_t *body,
                                size_t body_len, uint8_t *out, size_t cap,
                                size_t *len);
/* A revocation's body, to put in mb_channel_record.body (reason "" gives
 * an empty map).  *len receives the size. */
int mb_wire_revocation_body(const struct mb_revocation *r, uint8_t *out,
                            size_t cap, size_t *len);
/* Decodes a revocation's body (an absent body is no reason). */
int mb_wire_revocation_parse(const uint8_t *body, size_t len,
                             struct mb_revocation *out);

/* A bridge cursor's body (*len receives its size): MB_EINVAL for counts
 * past their bounds, MB_ETOOBIG when it would not fit in
 * MB_CHANNEL_BODY_MAX. */
int mb_wire_cursor_body(const struct mb_bridge_cursor *c, uint8_t *out,
                        size_t cap, size_t *len);
/* Decodes one, strictly: keys 1-3 required (MB_EMISSING, also for an
 * absent body), counts past their bounds MB_ETOOBIG, an id or node ref of
 * another length MB_ERANGE; unknown keys are skipped. */
int mb_wire_cursor_parse(const uint8_t *body, size_t len,
                         struct mb_bridge_cursor *out);
/* An instruction's body: MB_EINVAL for an op that is neither named nor
 * known, or text that is too long or not UTF-8. */
int mb_wire_instruction_body(const struct mb_instruction *in, uint8_t *out,
                             size_t cap, size_t *len);
/* Decodes one: key 1 required (MB_EMISSING, also for an absent body); an
 * op or id past its bound MB_ETOOBIG. */
int mb_wire_instruction_parse(const uint8_t *body, size_t len,
                              struct mb_instruction *out);
/* "drain", "undrain", or "other". */
const char *mb_instruction_op_name(enum mb_instruction_op op);

/*
 * The RAID publication records (kinds 23-25): what the Raft leader of the
 * coordinators committed, for every device.  Each body repeats the term
 * and index it was committed at; the record's version is that index, and
 * the channel refuses a record whose version is not its body's index
 * (MB_ERANGE) or whose subject does not name what its body is about
 * (MB_ESUBJECT).  Devices are named by node ref (8 bytes), the leader
 * and voters by node id.  Small enumerations (level, states, kind) are
 * numbers below 256 whose meaning is src/raid's (mb_raid.h); the wire
 * only bounds them, so every body fits in MB_CHANNEL_BODY_MAX.
 *
 *   array body  = {1: term, 2: index, 3: name, 4: level, 5: data,
 *                  6: parity, 7: size, 8: state,
 *                  9: [* [bstr .size 8, slot state]], ?10: true}
 *   task body   = {1: term, 2: index, 3: id, 4: array, 5: slot, 6: kind,
 *                  7: state, 8: bstr .size 8, 9: [* bstr .size 8],
 *                  10: bytes, 11: progress}
 *   leader body = {1: term, 2: index, 3: bstr .size 32,
 *                  4: [* bstr .size 32], 5: arrays, 6: live tasks}
 *
 * Subjects: an array's is BLAKE2b-256 of "meshbeat-raid-array\0" and its
 * name (mb_wire_raid_array_subject), a task's its id (8 bytes
 * big-endian), the leader record's the one byte 0x00.  Worst cases (32
 * slots, 63-byte names, 7 voters): 497, 427 and 316 bytes.
 */
#define MB_WIRE_RAID_NAME_MAX 63   /* = MB_RAID_NAME_MAX, bytes of UTF-8 */
#define MB_WIRE_RAID_SLOTS_MAX 32  /* = MB_RAID_SLOTS_MAX */
#define MB_WIRE_RAID_VOTERS_MAX 7  /* = MB_CONSENSUS_VOTERS_MAX */
#define MB_WIRE_RAID_SMALL_MAX 255 /* level, data, parity, states, kind */
#define MB_WIRE_RAID_ARRAY_SUBJECT_LEN 32
#define MB_WIRE_RAID_TASK_SUBJECT_LEN 8
#define MB_WIRE_RAID_LEADER_SUBJECT_LEN 1
struct mb_wire_raid_slot {
  uint8_t device[MB_NODE_REF_LEN];
  uint8_t state; /* enum mb_raid_slot_state */
};
struct mb_wire_raid_array {
  uint64_t term, index;
  char name[MB_WIRE_RAID_NAME_MAX + 1];
  uint8_t level, data, parity; /* data + parity <= MB_WIRE_RAID_SLOTS_MAX */
  uint64_t size;
  uint8_t state;  /* enum mb_raid_array_state */
  size_t n_slots; /* 0..MB_WIRE_RAID_SLOTS_MAX */
  struct mb_wire_raid_slot slots[MB_WIRE_RAID_SLOTS_MAX];
  bool removed; /* key 10, written only when true */
};
struct mb_wire_raid_task {
  uint64_t term, index;
  uint64_t id;
  char array[MB_WIRE_RAID_NAME_MAX + 1];
  uint8_t slot;  /* < MB_WIRE_RAID_SLOTS_MAX */
  uint8_t kind;  /* enum mb_raid_task_kind */
  uint8_t state; /* enum mb_raid_task_state */
  uint8_t target[MB_NODE_REF_LEN];
  size_t n_sources; /* 0..MB_WIRE_RAID_SLOTS_MAX */
  uint8_t sources[MB_WIRE_RAID_SLOTS_MAX][MB_NODE_REF_LEN];
  uint64_t bytes, progress;
};
struct mb_wire_raid_leader {
  uint64_t term, index;
  uint8_t leader[MB_NODE_ID_LEN];
  size_t n_voters; /* 0..MB_WIRE_RAID_VOTERS_MAX */
  uint8_t voters[MB_WIRE_RAID_VOTERS_MAX][MB_NODE_ID_LEN];
  uint64_t arrays, tasks; /* arrays held, tasks live */
};
/* Encoders: MB_EINVAL for a count, slot or small number past its bound
 * or a name that is empty, too long or not UTF-8; MB_ENOSPACE when cap
 * is too small.  *len receives the size. */
int mb_wire_raid_array_body_encode(const struct mb_wire_raid_array *a,
                                   uint8_t *out, size_t cap, size_t *len);
int mb_wire_raid_task_body_encode(const struct mb_wire_raid_task *t,
                                  uint8_t *out, size_t cap, size_t *len);
int mb_wire_raid_leader_body_encode(const struct mb_wire_raid_leader *l,
                                    uint8_t *out, size_t cap, size_t *len);
/* Decoders, strict: every key but 10 of an array required (MB_EMISSING,
 * also for an absent body), counts past their bounds MB_ETOOBIG, a ref or
 * id of another length or a number past its bound MB_ERANGE, a name
 * empty, too long or not UTF-8 MB_ERANGE or MB_ETOOBIG; unknown keys are
 * skipped.  *out is zeroed on error. */
int mb_wire_raid_array_body_decode(const uint8_t *body, size_t len,
                                   struct mb_wire_raid_array *out);
int mb_wire_raid_task_body_decode(const uint8_t *body, size_t len,
                                  struct mb_wire_raid_task *out);
int mb_wire_raid_leader_body_decode(const uint8_t *body, size_t len,
                                    struct mb_wire_raid_leader *out);
/* The subjects of the three kinds. */
void mb_wire_raid_array_subject(const char *name,
                                uint8_t out[MB_WIRE_RAID_ARRAY_SUBJECT_LEN]);
void mb_wire_raid_task_subject(uint64_t id,
                               uint8_t out[MB_WIRE_RAID_TASK_SUBJECT_LEN]);
/* Does the body decode, name the record's subject and carry its version
 * as index?  0, MB_ESUBJECT, MB_ERANGE or the decoder's error; MB_EKIND
 * for another kind.  (The channel's check, and the coordinator's.) */
int mb_wire_raid_record_check(enum mb_record_kind kind,
                              const struct mb_channel_record *c);

/* Parses a record's envelope and payload without verifying.  Unknown kinds
 * yield MB_OK with kind MB_REC_OTHER. */
int mb_wire_record_parse(const uint8_t *buf, size_t len, struct mb_record *out);
/* Parses and verifies (through the cache, and with the cache's scheme, when
 * vc is not NULL; Ed25519 otherwise). */
int mb_wire_record_open(struct mb_vcache *vc, const uint8_t *buf, size_t len,
                        const uint8_t *aad, size_t aad_len,
                        struct mb_record *out);

/* ---- datagrams --------------------------------------------------------- */

/*
 * Builds one datagram within a byte budget.  Records and certificates are
 * referenced, not copied, until finish: they must stay valid until then.
 * add_* refuse with MB_ENOSPACE (leaving the builder as it was) when the
 * item would push the signed datagram past the budget, so callers add in
 * priority order and stop at the first refusal.
 */
struct mb_dgram_builder {
  const struct mb_identity *self;
  const uint8_t *aad;
  size_t aad_len;
  size_t budget;
  uint64_t seq;
  const uint8_t *to_id; /* bound to this receiver (NULL: unbound) */
  uint64_t to_epoch;
  const uint8_t *mac_key; /* MACed under it (NULL: signed) */
  size_t pad_to;
  uint8_t msg[MB_WIRE_MSG_MAX];
  size_t msg_len;
  size_t n_records, records_bytes;
  struct mb_bytes records[MB_WIRE_MAX_RECORDS];
  size_t n_certs, certs_bytes;
  struct mb_bytes certs[MB_WIRE_MAX_CERTS];
};

int mb_dgram_init(struct mb_dgram_builder *b, const struct mb_identity *self,
                  const uint8_t *aad, size_t aad_len, size_t budget,
                  uint64_t seq, const struct mb_msg *msg);
/* Binds the datagram to its receiver (id and the epoch of its record);
 * the id must stay valid until finish. */
void mb_dgram_bind(struct mb_dgram_builder *b, const uint8_t *to_id,
                   uint64_t to_epoch);
/* MACs instead of signing, under the key shared with the bound receiver
 * (MB_EINVAL when unbound); the key must stay valid until finish. */
int mb_dgram_use_mac(struct mb_dgram_builder *b, const uint8_t *key);
/* Pads the finished datagram to at least `total` bytes. */
void mb_dgram_pad(struct mb_dgram_builder *b, size_t total);
int mb_dgram_add_record(struct mb_dgram_builder *b, const uint8_t *rec,
                        size_t len);
int mb_dgram_add_cert(struct mb_dgram_builder *b, const uint8_t *cert,
                      size_t len);
/* A point to return to, so a group of items goes in whole or not at all. */
struct mb_dgram_mark {
  size_t n_records, records_bytes, n_certs, certs_bytes;
};
void mb_dgram_save(const struct mb_dgram_builder *b, struct mb_dgram_mark *m);
void mb_dgram_restore(struct mb_dgram_builder *b,
                      const struct mb_dgram_mark *m);

/* Exact size the datagram would have if finished now. */
size_t mb_dgram_size(const struct mb_dgram_builder *b);
int mb_dgram_finish(const struct mb_dgram_builder *b, uint8_t *out, size_t cap,
                    size_t *out_len);

/* The external AAD of a bound datagram: aad, the receiver's id, its epoch
 * (8 bytes big-endian).  MB_ETOOBIG when aad is longer than
 * MB_WIRE_AAD_MAX - 40. */
#define MB_WIRE_AAD_MAX 168
int mb_wire_bound_aad(uint8_t out[MB_WIRE_AAD_MAX], const uint8_t *aad,
                      size_t aad_len, const uint8_t *to_id, uint64_t epoch,
                      size_t *out_len);

/* What a receiver authenticates a datagram with. */
struct mb_dgram_auth {
  const struct mb_sig_scheme *scheme; /* NULL: Ed25519 */
  const uint8_t *aad;                 /* the cluster's */
  size_t aad_len;
  const uint8_t *self_id; /* bound datagrams: ours, and our epoch */
  uint64_t self_epoch;
  const uint8_t *key; /* Mac0: the key shared with the sender */
};
/* MB_OK when the datagram is authentic for this receiver: a Sign1 under
 * its kid, a Mac0 under a->key (MB_EKID without one), either with the
 * bound AAD when it names a receiver.  Does not check that the receiver
 * named is us (compare d->to with our ref first: it costs nothing). */
int mb_wire_datagram_auth(const struct mb_datagram *d,
                          const struct mb_dgram_auth *a);

/* Parses envelope and body, strictly, without verifying the signature. */
int mb_wire_datagram_parse(const uint8_t *buf, size_t len,
                           struct mb_datagram *out);
/* Verifies the sender's signature of a parsed unbound Sign1 datagram
 * (Ed25519, or the given scheme). */
int mb_wire_datagram_verify(const struct mb_datagram *d, const uint8_t *aad,
                            size_t aad_len);
int mb_wire_datagram_verify_scheme(const struct mb_sig_scheme *scheme,
                                   const struct mb_datagram *d,
                                   const uint8_t *aad, size_t aad_len);
/* parse + verify. */
int mb_wire_datagram_open(const uint8_t *buf, size_t len, const uint8_t *aad,
                          size_t aad_len, struct mb_datagram *out);

/* Names for logs and inspect. */
const char *mb_msg_kind_name(enum mb_msg_kind k);
const char *mb_record_kind_name(enum mb_record_kind k);
/* Size of a CBOR head carrying argument n (1, 2, 3, 5 or 9). */
size_t mb_cbor_head_len(uint64_t n);

#endif
