/* Shared between the store's files; not part of its contract. */
#ifndef MESHBEAT_STORE_INTERNAL_H
#define MESHBEAT_STORE_INTERNAL_H

#include "mb_store.h"

#include <lmdb.h>

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
  DB_RECORDS, /* schema 2: channel records (records.c) */
  DB_COUNT_,
};

extern const char *const mb_store__db_names[DB_COUNT_];

enum mb_store__op_kind { OP_MEMBER_PUT, OP_MEMBER_DEL, OP_EVENT };

/* One staged write; its value lives in the arena at [off, off + len). */
struct mb_store__op {
  uint8_t kind;
  uint8_t id[MB_STORE_ID_LEN]; /* members */
  uint64_t seq;                /* events */
  size_t order;                /* staging order: the last write wins */
  size_t off, len;
};

struct mb_store {
  MDB_env *env;
  MDB_dbi dbi[DB_COUNT_];
  int lock_fd;
  struct mb_store_options opt;
  uint64_t last_seq;
  struct mb_store__op *ops;
  size_t n_ops, cap_ops;
  uint8_t *arena;
  size_t arena_len, arena_cap;
  struct mb_store_stats stats;
  char err[256];
};

/* Turns an LMDB code (or a meshbeat one, passed through) into the store's
 * error convention and records "what: reason" in s->err. */
int mb_store__fail(struct mb_store *s, int rc, const char *what);

/* Runs fn inside one write transaction and commits it, growing the map and
 * starting over when LMDB reports it full.  fn returns 0, an LMDB code or a
 * negative meshbeat code. */
typedef int (*mb_store__txn_fn)(struct mb_store *s, MDB_txn *txn, void *ctx);
int mb_store__write(struct mb_store *s, mb_store__txn_fn fn, void *ctx);
int mb_store__read_begin(struct mb_store *s, MDB_txn **txn);

/* records.c: schema 1 -> 2 creates the records sub-database. */
int mb_store__migrate_records(struct mb_store *s, MDB_txn *txn);

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

#endif
