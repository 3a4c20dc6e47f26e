/*
 * meshbeat store layer: the agent's one LMDB environment.  It owns the data
 * directory (an exclusive lock file, the schema version and its migrations)
 * and one sub-database per kind of record: members (the latest verified
 * heartbeat record of each member), self (our own incarnation) and events
 * (an append-only, numbered log of membership transitions), records (the
 * gossip layer's channel records, schema 2), the bridge's outbox
 * (schema 3: deliveries waiting to leave, in order per destination) and
 * the bridge's open episodes (schema 4, committed with the outbox), and
 * Raft's term, vote, log and snapshot (schema 5, each write synced).
 * arrays, ledger and tasks exist from schema 1 on, empty, for the layers
 * to come.
 * Values are CBOR maps; their CDDL is in docs/store.md.
 *
 * Writes are staged in memory and applied by mb_store_commit() in one LMDB
 * write transaction, synced to disk before it returns (unless the nosync
 * option is set).  A kill at any moment loses nothing committed and leaves
 * a store that opens.  The incarnation bump is the exception to batching:
 * it commits at once, because the node must never use an incarnation that
 * a crash could take back.
 *
 * Threads: one store is used by one thread at a time (the agent's loop).
 *
 * Errors: 0 (or a non-negative count) on success, a negative MB_E* or
 * -errno code on failure (see mb_common.h).  Codes particular to the store:
 *   -EBUSY         another process holds the data directory;
 *   MB_ENOTSTORE   the directory holds something that is not a meshbeat
 *                  store;
 *   MB_ESCHEMA     the store's schema is newer than this code;
 *   MB_ECORRUPT    data.mdb is damaged, truncated or unreadable (at open),
 *                  or LMDB reported damage (MDB_CORRUPTED, _PAGE_NOTFOUND,
 *                  _PANIC, _VERSION_MISMATCH) later;
 *   MB_ESTOREEMPTY the store lost its data: data.mdb is empty, or missing
 *                  from a directory that held a store;
 *   -ENOSPC        the map could not grow enough for a batch;
 *   MB_EOUTBOXFULL an outbox append would pass outbox_max_bytes;
 *   MB_ERAFTGAP    a Raft append would leave a gap in the log.
 * mb_store_errmsg() (or opt->errbuf for mb_store_open) says more.
 *
 * Ownership: mb_store_open() allocates and mb_store_close() frees.  Staging
 * functions copy what they are given.  Pointers handed to iteration
 * callbacks point into LMDB's map and are valid only during the callback,
 * and callbacks must not call back into the store (a read transaction is
 * open, and the map cannot grow under it).
 */
#ifndef MESHBEAT_STORE_H
#define MESHBEAT_STORE_H

#include "mb_common.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MB_STORE_ID_LEN 32       /* a node id (the Ed25519 public key) */
#define MB_STORE_NAME_MAX 63     /* as MB_NAME_MAX of the crypto layer */
#define MB_STORE_RECORD_MAX 4096 /* signed heartbeat record bytes */
#define MB_STORE_CERT_MAX 2048   /* admission certificate bytes */
#define MB_STORE_LAT_BUCKETS 16  /* commit latency histogram */

struct mb_store_options {
  size_t map_size;           /* initial map bytes; 64 MiB; grows when full */
  uint64_t max_events;       /* events kept; 0 = no limit; 100000 */
  int64_t max_event_age_ms;  /* older events dropped; 0 = no limit */
  bool nosync;               /* commits reach the OS at once and the disk
                                at the next mb_store_sync (see below) */
  bool allow_empty;          /* a store that lost its data (see below) is
                                opened as a new one, not refused */
  uint64_t outbox_max_bytes; /* the outbox's keys and values, all
                                destinations; 64 MiB; 0 = no limit */
  char *errbuf;              /* optional: why mb_store_open failed */
  size_t errbuf_len;
};

void mb_store_options_default(struct mb_store_options *opt);

struct mb_store;

/*
 * Opens (creating when needed) the store in directory dir: creates dir with
 * mode 0700 if it is missing (not its parents), locks dir/meshbeat.lock,
 * checks data.mdb without mapping it (its meta pages, every page of its
 * trees, then every entry and value read in a child process: a damaged
 * file is refused, never faulted on), opens LMDB and brings the schema up
 * to date in one transaction.  opt may be NULL for the defaults.  *out is
 * NULL on failure.  Nothing is written to a store that is refused.
 */
int mb_store_open(struct mb_store **out, const char *dir,
                  const struct mb_store_options *opt);
/* Drops anything still staged, closes LMDB and releases the lock.  NULL is
 * fine. */
void mb_store_close(struct mb_store *s);
/* Context of the last failure on s; "" when there was none. */
const char *mb_store_errmsg(const struct mb_store *s);
/* The schema version this code writes (and the highest it opens). */
unsigned mb_store_schema_version(void);

/* ---- members ----------------------------------------------------------- */

enum mb_store_state {
  MB_STORE_ALIVE = 0,
  MB_STORE_SUSPECT = 1,
  MB_STORE_DEAD = 2,
  MB_STORE_LEFT = 3,
  /* Only an event's `from`: the member entered the view (first heard of,
   * or restored); never a stored member's state. */
  MB_STORE_NONE = 4,
};

struct mb_store_member {
  uint8_t id[MB_STORE_ID_LEN];
  uint8_t state;    /* enum mb_store_state */
  int64_t since_ms; /* wall clock of the last state change */
  uint64_t incarnation;
  const uint8_t *record; /* the signed record as received; re-verify it */
  size_t record_len;     /* 1..MB_STORE_RECORD_MAX */
  const uint8_t *cert;   /* NULL when absent */
  size_t cert_len;       /* 0..MB_STORE_CERT_MAX */
};

/* Stage an upsert or a delete.  Within one batch the last write to an id
 * wins and only it reaches LMDB. */
int mb_store_member_put(struct mb_store *s, const struct mb_store_member *m);
int mb_store_member_delete(struct mb_store *s,
                           const uint8_t id[MB_STORE_ID_LEN]);

/* Return 0 to go on; anything else stops the iteration and is returned. */
typedef int (*mb_store_member_fn)(const struct mb_store_member *m, void *ctx);

/* Calls fn for every committed member in id order.  Entries that do not
 * decode are skipped and counted in stats.decode_errors.  Returns 0, fn's
 * non-zero value, or a negative code. */
int mb_store_members_foreach(struct mb_store *s, mb_store_member_fn fn,
                             void *ctx);

/* ---- self -------------------------------------------------------------- */

/* Our incarnation as stored; 0 when it was never bumped. */
int mb_store_self_incarnation(struct mb_store *s, uint64_t *out);
/* Stores max(stored, value) and commits it alone; with sync, also on disk
 * (mb_store_sync) before returning.  The stored value goes to *out.
 * Staged writes are left staged. */
int mb_store_self_incarnation_raise(struct mb_store *s, uint64_t value,
                                    bool sync, uint64_t *out);
/* Stores max(stored + 1, floor) and commits it (alone, durably) before
 * returning it in *out.  Staged writes are left staged. */
int mb_store_self_incarnation_bump(struct mb_store *s, uint64_t floor,
                                   uint64_t *out);

/* ---- events ------------------------------------------------------------ */

struct mb_store_event {
  uint64_t seq;    /* set by the store: 1, 2, 3, ... */
  int64_t time_ms; /* wall clock */
  uint8_t id[MB_STORE_ID_LEN];
  char name[MB_STORE_NAME_MAX + 1]; /* may be "" */
  uint8_t from, to;                 /* enum mb_store_state */
  uint8_t reason;                   /* the gossip layer's reason code */
  uint64_t incarnation;
};

/* Stages an append; ev->seq is ignored and the sequence number the event
 * will have once committed goes to *seq (may be NULL).  The numbers of a
 * discarded batch are skipped while the store stays open; after a restart
 * numbering continues from the last committed event. */
int mb_store_event_append(struct mb_store *s, const struct mb_store_event *ev,
                          uint64_t *seq);

typedef int (*mb_store_event_fn)(const struct mb_store_event *ev, void *ctx);

/* Calls fn for committed events with seq > since, in order, at most limit
 * of them (0 = no limit).  Returns how many fn saw, fn's non-zero value, or
 * a negative code. */
int mb_store_events_since(struct mb_store *s, uint64_t since, size_t limit,
                          mb_store_event_fn fn, void *ctx);
/* The highest sequence number handed out (committed or staged). */
uint64_t mb_store_last_event_seq(const struct mb_store *s);

/* ---- channel records ------------------------------------------------------
 */

/*
 * The gossip layer's channel records (signed records that are not
 * heartbeats: revocations, and later bridge cursors, instructions, RAID
 * state), the latest per (kind, subject), as the signed bytes: the gossip
 * layer checks them again on restore, exactly as network input.  Rare
 * and small, so each put or delete is its own write transaction, made at
 * once (not staged); with the nosync option it reaches the disk at the
 * next mb_store_sync.
 */
#define MB_STORE_SUBJECT_MAX 32   /* as MB_CHANNEL_SUBJECT_MAX */
#define MB_STORE_CHANNEL_MAX 1024 /* record bytes, as MB_WIRE_MAX_RECORD */

struct mb_store_record {
  uint8_t kind; /* the gossip layer's record kind */
  uint8_t subject[MB_STORE_SUBJECT_MAX];
  size_t subject_len;    /* 1..MB_STORE_SUBJECT_MAX */
  const uint8_t *record; /* the signed record; re-verify it */
  size_t record_len;     /* 1..MB_STORE_CHANNEL_MAX */
};

int mb_store_record_put(struct mb_store *s, const struct mb_store_record *r);
int mb_store_record_delete(struct mb_store *s, uint8_t kind,
                           const uint8_t *subject, size_t subject_len);
typedef int (*mb_store_record_fn)(const struct mb_store_record *r, void *ctx);
/* Calls fn for every record (by kind, then subject).  Entries that do not
 * decode are skipped and counted in stats.decode_errors.  Returns 0, fn's
 * non-zero value, or a negative code. */
int mb_store_records_foreach(struct mb_store *s, mb_store_record_fn fn,
                             void *ctx);

/* ---- outbox ------------------------------------------------------------ */

/*
 * The bridge's deliveries, kept until they are confirmed: per destination
 * (a short name the bridge chooses, e.g. "view" or "webhook"), numbered
 * 1, 2, 3, ... in append order and read back in that order.  Numbers are
 * never reused for a destination, even once everything was acknowledged.
 * Appends, attempts, parking and acknowledgements are staged like the
 * rest and applied, in staging order, by mb_store_commit; reads see what
 * is committed.  The whole outbox is bounded by opt.outbox_max_bytes: an
 * append past it is refused with MB_EOUTBOXFULL, and nothing is ever
 * evicted to make room (the caller counts and logs the refusal).
 * docs/store.md has the layout and the guarantees.
 */
#define MB_STORE_DEST_MAX 32         /* destination name bytes */
#define MB_STORE_DELIVERY_ID_MAX 64  /* delivery id (Idempotency-Key) */
#define MB_STORE_PARK_REASON_MAX 127 /* why an entry was parked */
/* Body bytes of one delivery: a consolidated view of about 10 000
 * members (some 380 bytes each). */
#define MB_STORE_BODY_MAX (4 * 1024 * 1024)

enum mb_store_outbox_state {
  MB_STORE_OUTBOX_PENDING = 0, /* to be sent (again) */
  MB_STORE_OUTBOX_PARKED = 1,  /* given up on; kept for the operator */
};

struct mb_store_outbox_entry {
  char dest[MB_STORE_DEST_MAX + 1]; /* 1..32 printable ASCII bytes */
  uint64_t seq;                     /* set by the store: 1, 2, 3, ... */
  /* The delivery id, sent as Idempotency-Key and webhook-id: 1..64
   * printable ASCII bytes (no space, it goes into HTTP headers). */
  char id[MB_STORE_DELIVERY_ID_MAX + 1];
  int64_t created_ms;                        /* wall clock */
  uint32_t attempts;                         /* made so far */
  int64_t next_attempt_ms;                   /* wall clock; 0 = at once */
  uint8_t state;                             /* enum mb_store_outbox_state */
  char reason[MB_STORE_PARK_REASON_MAX + 1]; /* parked: why; else "" */
  const uint8_t *body;                       /* may be NULL when empty */
  size_t body_len;                           /* 0..MB_STORE_BODY_MAX */
};

/*
 * Stages an append of e (its seq, attempts, state and reason are ignored:
 * a new entry is pending with no attempt).  Idempotent by id: when dest
 * already holds an entry with e->id (committed, or staged in this batch)
 * nothing is staged, its number goes to *seq and 1 is returned; else 0,
 * with the new entry's number in *seq (may be NULL).  An acknowledged
 * entry's id is forgotten with it (the receiver de-duplicates by id).
 * MB_EINVAL for a bad dest or id, MB_ETOOBIG for a body over
 * MB_STORE_BODY_MAX, MB_EOUTBOXFULL when the outbox (committed plus
 * staged appends) would pass opt.outbox_max_bytes.  The numbers of a
 * discarded batch are handed out again.
 */
int mb_store_outbox_append(struct mb_store *s,
                           const struct mb_store_outbox_entry *e,
                           uint64_t *seq);
/* Stage: attempts + 1 and the next attempt's time.  An entry that is gone
 * by commit time (acknowledged) is passed over. */
int mb_store_outbox_attempted(struct mb_store *s, const char *dest,
                              uint64_t seq, int64_t next_attempt_ms);
/* Stage: the entry is parked with reason (1..127 bytes of text); it stays
 * in the outbox, out of the pending ones, until deleted. */
int mb_store_outbox_park(struct mb_store *s, const char *dest, uint64_t seq,
                         const char *reason);
/* Stage: removes one entry (delivered, or a parked one dropped). */
int mb_store_outbox_delete(struct mb_store *s, const char *dest, uint64_t seq);
/* Stage: removes every pending entry of dest numbered <= seq: the
 * delivery cursor of dest, confirmed by this node or announced by the
 * active bridge.  Parked entries stay (delete them one by one). */
int mb_store_outbox_ack_through(struct mb_store *s, const char *dest,
                                uint64_t seq);

typedef int (*mb_store_outbox_fn)(const struct mb_store_outbox_entry *e,
                                  void *ctx);

/* Calls fn for the oldest pending entries of dest, in order, at most limit
 * of them (0 = all).  Returns how many fn saw, fn's non-zero value, or a
 * negative code. */
int mb_store_outbox_peek(struct mb_store *s, const char *dest, size_t limit,
                         mb_store_outbox_fn fn, void *ctx);
/* Calls fn for every parked entry, of dest (NULL: of all destinations), by
 * destination then number.  Same returns as peek. */
int mb_store_outbox_parked(struct mb_store *s, const char *dest,
                           mb_store_outbox_fn fn, void *ctx);
/* The committed number of dest's entry with this id: 0, or -ENOENT. */
int mb_store_outbox_find(struct mb_store *s, const char *dest, const char *id,
                         uint64_t *seq);

struct mb_store_outbox_depth {
  char dest[MB_STORE_DEST_MAX + 1];
  uint64_t last_seq;         /* the highest number handed out, committed */
  uint64_t pending, parked;  /* entries */
  uint64_t bytes;            /* keys and values, as counted for the bound */
  int64_t oldest_pending_ms; /* created_ms of the first pending; 0: none */
};

/* dest's figures (all zero, dest set, for a destination never used). */
int mb_store_outbox_depth(struct mb_store *s, const char *dest,
                          struct mb_store_outbox_depth *out);
typedef int (*mb_store_outbox_depth_fn)(const struct mb_store_outbox_depth *d,
                                        void *ctx);
/* The same for every destination ever used, by name. */
int mb_store_outbox_depths(struct mb_store *s, mb_store_outbox_depth_fn fn,
                           void *ctx);
/* Committed bytes of the whole outbox, as counted for the bound. */
uint64_t mb_store_outbox_bytes(const struct mb_store *s);

/* ---- bridge episodes ---------------------------------------------------- */

/*
 * The bridge's open episodes (docs/bridge.md, "Exactly once"): a member
 * reported offline whose online has not been reported yet, and the
 * incarnation at which it was dead; at most one per member.  They are the
 * bridge tracker's whole durable state and must change together with the
 * events that imply them, so puts and deletes are staged like everything
 * else and applied by mb_store_commit in staging order, in the same
 * transaction as the outbox appends of the same batch: a batch lands
 * whole or not at all.  Within one batch the last put or delete of a
 * member wins.
 */
struct mb_store_episode {
  uint8_t member[MB_STORE_ID_LEN];
  uint64_t incarnation; /* at which the member was dead */
};

/* Stage: the member's episode is (member, incarnation), replacing any. */
int mb_store_episode_put(struct mb_store *s,
                         const uint8_t member[MB_STORE_ID_LEN],
                         uint64_t incarnation);
/* Stage: the member has no open episode (none is fine). */
int mb_store_episode_delete(struct mb_store *s,
                            const uint8_t member[MB_STORE_ID_LEN]);
typedef int (*mb_store_episode_fn)(const struct mb_store_episode *e, void *ctx);
/* Every committed episode, by member id: 0, fn's non-zero value, or a
 * negative code.  Entries that do not decode are skipped and counted in
 * stats.decode_errors (the checks at open refuse a store holding one). */
int mb_store_episodes_foreach(struct mb_store *s, mb_store_episode_fn fn,
                              void *ctx);

/* ---- Raft's durable state ---------------------------------------------- */

/*
 * What a Raft server must not forget (schema 5): its current term and
 * vote (raft_meta), its log (raft_log: index -> {term, type, data}) and
 * its latest snapshot (raft_snapshot).  Raft's contract is that each of
 * these writes is on disk before the call returns, so unlike the staged
 * membership data every mb_store_raft_* write is its own transaction,
 * committed and synced (fsync) before it returns, even with the nosync
 * option; a failed one leaves nothing of itself behind.  Staged writes
 * are left staged.  No libraft types: src/consensus adapts these.
 *
 * Reads decode every value bounds-checked; a value that does not decode,
 * or a log that skips an index, is MB_ECORRUPT with a message naming the
 * entry (mb_store_errmsg), never skipped: a Raft server that forgot part
 * of its log could vote for a stale candidate.  The checks at open decode
 * them too.  Pointers handed to callbacks point into LMDB's map, valid
 * during the callback only (see Ownership above).
 */
#define MB_STORE_RAFT_DATA_MAX ((size_t)16 << 20)    /* bytes of one entry */
#define MB_STORE_RAFT_CONF_MAX ((size_t)64 << 10)    /* encoded config */
#define MB_STORE_RAFT_SNAPSHOT_MAX ((size_t)1 << 30) /* snapshot data */

/* The stored term and vote (a server id); 0, 0 when never set. */
int mb_store_raft_meta(struct mb_store *s, uint64_t *term, uint64_t *vote);
/* Stores term and clears the vote, in one transaction. */
int mb_store_raft_set_term(struct mb_store *s, uint64_t term);
/* Stores the vote, keeping the term. */
int mb_store_raft_set_vote(struct mb_store *s, uint64_t vote);

struct mb_store_raft_entry {
  uint64_t term;
  uint8_t type; /* the consensus layer's entry type; stored as given */
  const uint8_t *data;
  size_t len; /* 0..MB_STORE_RAFT_DATA_MAX */
};

/*
 * Appends n entries with indexes first_index, first_index + 1, ...
 * replacing whatever the log held from first_index on.  first_index must
 * be at least 1 and at most the next index: the last entry's + 1, or with
 * an empty log the snapshot's index + 1 (1 without a snapshot); otherwise
 * MB_ERAFTGAP and nothing is written.  MB_ETOOBIG for an entry's data over
 * MB_STORE_RAFT_DATA_MAX, MB_EINVAL for a NULL data with a length.  n = 0
 * writes nothing.
 */
int mb_store_raft_append(struct mb_store *s, uint64_t first_index,
                         const struct mb_store_raft_entry *e, size_t n);
/* Deletes every entry with an index >= from_index (none is fine). */
int mb_store_raft_truncate(struct mb_store *s, uint64_t from_index);
typedef int (*mb_store_raft_entry_fn)(void *arg, uint64_t index,
                                      const struct mb_store_raft_entry *e);
/* Calls cb for every entry in index order: 0, cb's non-zero value (the
 * walk stops), or a negative code (MB_ECORRUPT as above). */
int mb_store_raft_each(struct mb_store *s, mb_store_raft_entry_fn cb,
                       void *arg);

struct mb_store_raft_snapshot {
  uint64_t index, term, conf_index;
  const uint8_t *conf; /* the encoded configuration at conf_index */
  size_t conf_len;     /* 0..MB_STORE_RAFT_CONF_MAX */
  const uint8_t *data; /* the state machine's snapshot */
  size_t data_len;     /* 0..MB_STORE_RAFT_SNAPSHOT_MAX */
};

/*
 * Keeps snap as the snapshot (replacing any) and, in the same
 * transaction, deletes the entries with an index <= snap->index -
 * trailing (none when trailing >= snap->index): Raft keeps a few entries
 * behind a snapshot for followers that lag a little.  snap->index >= 1.
 */
int mb_store_raft_snapshot_put(struct mb_store *s,
                               const struct mb_store_raft_snapshot *snap,
                               uint64_t trailing);
typedef int (*mb_store_raft_snapshot_fn)(
    void *arg, const struct mb_store_raft_snapshot *snap);
/* Calls cb with the stored snapshot: cb's value, -ENOENT when there is
 * none, or a negative code (MB_ECORRUPT as above). */
int mb_store_raft_snapshot_get(struct mb_store *s, mb_store_raft_snapshot_fn cb,
                               void *arg);

/* ---- batches ----------------------------------------------------------- */

/*
 * Applies everything staged in one write transaction, then enforces event
 * retention (by count, and by age against the wall clock), growing the map
 * and retrying when LMDB reports it full.  Returns the number of records
 * written (0 for an empty batch, which touches nothing).  On failure the
 * batch stays staged, so a later commit retries it; mb_store_discard()
 * drops it instead.
 */
int mb_store_commit(struct mb_store *s);
void mb_store_discard(struct mb_store *s);
/* Operations staged and not yet committed. */
size_t mb_store_staged(const struct mb_store *s);

struct mb_store_stats {
  uint64_t commits; /* successful, non-empty */
  uint64_t commit_errors;
  uint64_t records_written;
  uint64_t bytes_written; /* keys plus values */
  uint64_t events_pruned; /* by retention */
  uint64_t map_grows;
  uint64_t map_size;      /* current map size in bytes */
  uint64_t decode_errors; /* stored values that did not decode */
  uint64_t outbox_full;   /* appends refused with MB_EOUTBOXFULL */
  uint64_t check_us;      /* the checks of mb_store_open took this long */
  uint64_t pages_checked; /* pages of data.mdb they walked */
  uint64_t pages_leaked;  /* neither in use nor free: wasted, harmless */
  uint64_t last_commit_us, max_commit_us, sum_commit_us;
  /* Bucket i counts commits of at most 2^(i+6) us (64 us .. 2 s); the last
   * bucket also takes everything slower. */
  uint64_t commit_us_hist[MB_STORE_LAT_BUCKETS];
};

void mb_store_get_stats(const struct mb_store *s, struct mb_store_stats *out);

/*
 * Flushes committed transactions to disk (fsync).  With the nosync option
 * a commit only hands its pages to the OS, so a killed process still loses
 * nothing committed, and a crash of the whole machine can lose the commits
 * since the last sync (never the store's integrity).  This is the one
 * function that may run on another thread while the owner uses the store:
 * the agent calls it from libuv's thread pool so its loop never waits on
 * the disk.  The incarnation bump syncs by itself.  0 or a negative code.
 */
int mb_store_sync(struct mb_store *s);

#endif
