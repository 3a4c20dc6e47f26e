/* Shared between the store's files; not part of its contract. */
#ifndef MESHBEAT_STORE_INTERNAL_H
#define MESHBEAT_STORE_INTERNAL_H

#include "lmdb_format.h"
#include "mb_store.h"

#include <lmdb.h>
#include <stdbool.h>

/* Sub-databases in the order of mb_store__db_names. */
enum mb_store__db {
  DB_META,
  DB_MEMBERS,
  DB_SELF,
  DB_EVENTS,
  DB_ARRAYS,
  DB_LEDGER,
  DB_TASKS,
  DB_OUTBOX,
  DB_RECORDS,    /* schema 2: channel records (records.c) */
  DB_OUTBOX_IDS, /* schema 3: (dest, delivery id) -> seq (outbox.c) */
  DB_OUTBOX_SEQ, /* schema 3: dest -> the last seq handed out */
  DB_EPISODES,   /* schema 4: member id -> the bridge's open episode */
  DB_RAFT_META,  /* schema 5: "term", "vote" -> uint (raft_meta.c) */
  DB_RAFT_LOG,   /* schema 5: index -> Raft log entry (raft_log.c) */
  DB_RAFT_SNAP,  /* schema 5: "snapshot" -> Raft snapshot (raft_snapshot.c) */
  DB_COUNT_,
};

extern const char *const mb_store__db_names[DB_COUNT_];

enum mb_store__op_kind {
  OP_MEMBER_PUT,
  OP_MEMBER_DEL,
  OP_EVENT,
  OP_OUTBOX_APPEND, /* value: the encoded entry */
  OP_OUTBOX_ATTEMPT,
  OP_OUTBOX_PARK, /* value: the reason */
  OP_OUTBOX_DELETE,
  OP_OUTBOX_ACK,
  OP_EPISODE_PUT, /* id: the member; value: the encoded episode */
  OP_EPISODE_DEL,
};

/* One staged write; its value lives in the arena at [off, off + len). */
struct mb_store__op {
  uint8_t kind;
  uint8_t id[MB_STORE_ID_LEN]; /* members; episodes: the member */
  uint64_t seq;                /* events; outbox: the entry, or the cursor */
  size_t order;                /* staging order: the last write wins */
  size_t off, len;
  /* outbox */
  char dest[MB_STORE_DEST_MAX + 1];
  char delivery_id[MB_STORE_DELIVERY_ID_MAX + 1]; /* appends */
  int64_t when;                                   /* attempts: the next */
};

struct mb_store {
  MDB_env *env;
  bool had_files; /* the directory held store files before this open */
  MDB_dbi dbi[DB_COUNT_];
  int lock_fd;
  struct mb_store_options opt;
  uint64_t last_seq;
  struct mb_store__op *ops;
  size_t n_ops, cap_ops;
  uint8_t *arena;
  size_t arena_len, arena_cap;
  uint64_t outbox_bytes;        /* committed, as counted for the bound */
  uint64_t outbox_staged_bytes; /* appends staged, not yet committed */
  struct mb_store_stats stats;
  char err[512];
};

/* batch.c: a new op with room for value_cap bytes of value in the arena
 * at (*op)->off; mb_store__push makes it count, with len bytes. */
int mb_store__reserve(struct mb_store *s, size_t value_cap,
                      struct mb_store__op **op);
void mb_store__push(struct mb_store *s, struct mb_store__op *op, size_t len);

/* Turns an LMDB code (or a meshbeat one, passed through) into the store's
 * error convention and records "what: reason" in s->err. */
int mb_store__fail(struct mb_store *s, int rc, const char *what);

/* Runs fn inside one write transaction and commits it, growing the map and
 * starting over when LMDB reports it full.  fn returns 0, an LMDB code or a
 * negative meshbeat code. */
typedef int (*mb_store__txn_fn)(struct mb_store *s, MDB_txn *txn, void *ctx);
int mb_store__write(struct mb_store *s, mb_store__txn_fn fn, void *ctx);
int mb_store__read_begin(struct mb_store *s, MDB_txn **txn);
/* Every entry of sub-database db, in key order, in one read transaction
 * (query.c): visit returns 0 to go on or a non-zero value to stop with,
 * and sets *undecoded for an entry it skipped (counted in
 * stats.decode_errors).  Returns 0, visit's value, or a negative code
 * (what names the reading in the store's message). */
typedef int (*mb_store__visit_fn)(const MDB_val *k, const MDB_val *v, void *ctx,
                                  bool *undecoded);
int mb_store__each(struct mb_store *s, int db, const char *what,
                   mb_store__visit_fn visit, void *ctx);

/* records.c: schema 1 -> 2 creates the records sub-database. */
int mb_store__migrate_records(struct mb_store *s, MDB_txn *txn);
/* records.c: one entry of the records sub-database, decoded like network
 * input (also by the checks at open, scan.c). */
int mb_store__record_decode(const MDB_val *k, const MDB_val *v,
                            struct mb_store_record *out);

/* outbox.c: schema 2 -> 3 adds the outbox's index databases. */
int mb_store__migrate_outbox(struct mb_store *s, MDB_txn *txn);
/* outbox.c: applies one staged outbox op inside the batch's transaction,
 * adding the change of the outbox's size to *delta. */
int mb_store__outbox_apply(struct mb_store *s, MDB_txn *txn,
                           const struct mb_store__op *op, int64_t *delta);
/* outbox_query.c: the committed size of the outbox, at open. */
int mb_store__outbox_count(struct mb_store *s, MDB_txn *txn, uint64_t *bytes);

/* outbox_codec.c: keys and values of the outbox (docs/store.md). */
#define MB_STORE__OUTBOX_KEY_MAX (1 + MB_STORE_DEST_MAX + 8)
#define MB_STORE__OUTBOX_ID_KEY_MAX                                            \
  (1 + MB_STORE_DEST_MAX + MB_STORE_DELIVERY_ID_MAX)
/* A destination name or a delivery id: 1..max printable ASCII bytes. */
bool mb_store__outbox_name_ok(const char *p, size_t n, size_t max);
/* len(dest) || dest || seq (8 bytes big-endian). */
void mb_store__outbox_key(uint8_t key[MB_STORE__OUTBOX_KEY_MAX],
                          const char *dest, uint64_t seq, MDB_val *k);
/* len(dest) || dest || delivery id. */
void mb_store__outbox_id_key(uint8_t key[MB_STORE__OUTBOX_ID_KEY_MAX],
                             const char *dest, const char *id, MDB_val *k);
/* The value of an entry (its dest and seq live in the key); the encoded
 * length, or 0 when cap is too small. */
size_t mb_store__outbox_encode(uint8_t *buf, size_t cap,
                               const struct mb_store_outbox_entry *e);
/* An upper bound of that length for a body of body_len bytes. */
size_t mb_store__outbox_value_cap(size_t body_len);
/* One entry of the outbox database, key and value, bounds-checked (also by
 * the checks at open, scan.c); out->body points into v. */
int mb_store__outbox_decode(const MDB_val *k, const MDB_val *v,
                            struct mb_store_outbox_entry *out);
/* One entry of outbox_ids: its dest and id, and the seq it names. */
int mb_store__outbox_id_decode(const MDB_val *k, const MDB_val *v,
                               uint64_t *seq);
/* One entry of outbox_seq: the dest, and the last seq handed out. */
int mb_store__outbox_seq_decode(const MDB_val *k, const MDB_val *v,
                                uint64_t *seq);

/* episodes.c: schema 3 -> 4 creates the bridge's episodes database. */
int mb_store__migrate_episodes(struct mb_store *s, MDB_txn *txn);
/* episodes.c: applies one staged episode put or delete inside the batch's
 * transaction, adding the bytes written to *bytes. */
int mb_store__episode_apply(struct mb_store *s, MDB_txn *txn,
                            const struct mb_store__op *op, uint64_t *bytes);
/* episode_codec.c: the value of an episode (its member is the key); the
 * encoded length, or 0 when cap is too small. */
#define MB_STORE__EPISODE_VALUE_MAX 16
size_t mb_store__episode_encode(uint8_t *buf, size_t cap,
                                const struct mb_store_episode *e);
/* One entry of bridge_episodes, key and value, bounds-checked (also by the
 * checks at open, scan.c). */
int mb_store__episode_decode(const MDB_val *k, const MDB_val *v,
                             struct mb_store_episode *out);

/* raft_meta.c: schema 4 -> 5 creates Raft's three databases. */
int mb_store__migrate_raft(struct mb_store *s, MDB_txn *txn);
/* raft_meta.c: runs fn in one write transaction and, with the nosync
 * option, syncs before returning: Raft's writes are durable on return. */
int mb_store__raft_write(struct mb_store *s, mb_store__txn_fn fn, void *ctx);
/* raft_meta.c: decodes one entry of raft_meta (key "term" or "vote"). */
int mb_store__raft_meta_decode(const MDB_val *k, const MDB_val *v,
                               uint64_t *out);

/* raft_snapshot.c: the stored snapshot's index inside txn, 0 when there
 * is none; MB_ECORRUPT (with s->err) when it does not decode. */
int mb_store__raft_snapshot_index(struct mb_store *s, MDB_txn *txn,
                                  uint64_t *index);
/* raft_log.c: deletes the log entries with an index <= last. */
int mb_store__raft_log_drop_through(struct mb_store *s, MDB_txn *txn,
                                    uint64_t last);

/* raft_codec.c: values of raft_log and raft_snapshot (docs/store.md).
 * The encoded length of a value, then the encoding into exactly that
 * many bytes (0, or MB_ENOSPACE when cap is short).  Decoders check every
 * bound; data and conf point into v. */
#define MB_STORE__RAFT_SNAPSHOT_KEY "snapshot"
size_t mb_store__raft_entry_size(const struct mb_store_raft_entry *e);
int mb_store__raft_entry_encode(uint8_t *buf, size_t cap,
                                const struct mb_store_raft_entry *e);
int mb_store__raft_entry_decode(const MDB_val *k, const MDB_val *v,
                                uint64_t *index,
                                struct mb_store_raft_entry *out);
size_t mb_store__raft_snapshot_size(const struct mb_store_raft_snapshot *sn);
int mb_store__raft_snapshot_encode(uint8_t *buf, size_t cap,
                                   const struct mb_store_raft_snapshot *sn);
int mb_store__raft_snapshot_decode(const MDB_val *k, const MDB_val *v,
                                   struct mb_store_raft_snapshot *out);

/* Checks the environment is ours and brings its schema up to date (an
 * mb_store__txn_fn, run once by mb_store_open). */
int mb_store__prepare(struct mb_store *s, MDB_txn *txn, void *ctx);

/* Values of meta and self: a CBOR unsigned integer under a text key. */
int mb_store__get_uint(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t *v);
int mb_store__put_uint(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t v);

/* Big-endian so that LMDB's byte order is sequence order. */
void mb_store__seq_key(uint8_t key[8], uint64_t seq);
uint64_t mb_store__seq_of(const MDB_val *key);

/* Value codecs (docs/store.md).  encode returns the length, or 0 when cap
 * is too small; decode returns 0 or a negative code. */
size_t mb_store__member_encode(uint8_t *buf, size_t cap,
                               const struct mb_store_member *m);
int mb_store__member_decode(const uint8_t *p, size_t n,
                            struct mb_store_member *m);
size_t mb_store__event_encode(uint8_t *buf, size_t cap,
                              const struct mb_store_event *ev);
int mb_store__event_decode(const uint8_t *p, size_t n,
                           struct mb_store_event *ev);

/* Formats a message into why and returns rc. */
int mb_store__explain(char *why, size_t len, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- checks before LMDB maps data.mdb (check.c) ------------------------ */

/* A last page this far past the end of the file is a damaged meta page,
 * not free pages LMDB never wrote (4 GiB of them at 4 KiB pages). */
#define MB_STORE__MAX_UNWRITTEN_PAGES ((uint64_t)1 << 20)
#define MB_STORE__NAME_MAX 63 /* of a named database, in messages */
/* Room for more named sub-databases than schema 1 has, so a later schema
 * can add some without anyone remembering to raise this. */
#define MB_STORE__MAX_DBS 32

/* What the meta page LMDB will use says (meta.c). */
struct mb_store__meta {
  uint32_t psize;
  uint64_t last_pg, txnid, file_size;
  struct lmdb_db dbs[2]; /* free pages, main */
  int used;              /* which meta page: 0 or 1 */
};

/* Reads and checks both meta pages of the file fd of file_size bytes.
 * 0, MB_ECORRUPT or -errno, with why filled on failure. */
int mb_store__meta_read(int fd, uint64_t file_size, struct mb_store__meta *m,
                        char *why, size_t len);

struct mb_store__page_report {
  uint64_t pages;        /* last_pg + 1 */
  uint64_t used_pages;   /* in some database's tree */
  uint64_t free_pages;   /* listed in the free list */
  uint64_t leaked_pages; /* neither: wasted, harmless */
};

/* Walks every tree of the snapshot m describes (pages.c).  0, MB_ECORRUPT,
 * -ENOMEM or -errno, with why filled on failure. */
int mb_store__pages_verify(int fd, const struct mb_store__meta *m,
                           struct mb_store__page_report *report, char *why,
                           size_t len);

/* Reads every entry of every database through LMDB and decodes the values
 * of ours (scan.c), writing "@NAME\n" to progress_fd (when >= 0) before
 * each database.  0, MB_ECORRUPT or another negative code, why filled. */
int mb_store__scan(const char *dir, int progress_fd, char *why, size_t len);
/* The same in a forked child (scan_child.c), so that a fault inside LMDB
 * becomes MB_ECORRUPT with a message naming the database it was reading. */
int mb_store__scan_in_child(const char *dir, char *why, size_t len);

/* Everything above, in order, on dir/data.mdb, before open_env (check.c).
 * 0 when LMDB may open the directory. */
int mb_store__check(struct mb_store *s, const char *dir);

/* The bytes of meta's "magic" (schema.c). */
bool mb_store__is_magic(const void *p, size_t n);
/* A CBOR unsigned integer filling exactly [p, p + n) (codec.c). */
int mb_store__uint_decode(const uint8_t *p, size_t n, uint64_t *v);

#endif
