/*
 * Reading the outbox: the pending entries of a destination in order, the
 * parked ones, an id's number, and each destination's figures.  All read
 * the committed state in one read transaction.  An entry that does not
 * decode is skipped and counted in stats.decode_errors, as the other
 * iterators do: the checks at open refuse such a store, so one can only
 * appear while the store is open.
 */
#include "store_internal.h"

#include <errno.h>
#include <string.h>

struct outbox_read {
  MDB_txn *txn;
  MDB_cursor *cur;
};

static int read_open(struct mb_store *s, int db, struct outbox_read *r) {
  int rc = mb_store__read_begin(s, &r->txn);
  if (rc)
    return rc;
  rc = mdb_cursor_open(r->txn, s->dbi[db], &r->cur);
  if (rc) {
    mdb_txn_abort(r->txn);
    return mb_store__fail(s, rc, "outbox cursor");
  }
  return MB_OK;
}

static void read_close(struct outbox_read *r) {
  mdb_cursor_close(r->cur);
  mdb_txn_abort(r->txn);
}

static bool dest_ok(const char *dest) {
  return mb_store__outbox_name_ok(dest, strnlen(dest, MB_STORE_DEST_MAX + 1),
                                  MB_STORE_DEST_MAX);
}

/* What a walk over entries does with each (stored: its key and value
 * bytes); non-zero stops it. */
typedef int (*visit_fn)(const struct mb_store_outbox_entry *e, size_t stored,
                        void *ctx);

/* Calls visit for the entries of dest (NULL: all) in key order. */
static int walk(struct mb_store *s, const char *dest, visit_fn visit,
                void *ctx) {
  struct outbox_read r;
  uint8_t key[MB_STORE__OUTBOX_KEY_MAX];
  MDB_val k, v;
  int rc = read_open(s, DB_OUTBOX, &r), out = 0;
  if (rc)
    return rc;
  MDB_cursor_op first = MDB_FIRST;
  if (dest != NULL) {
    mb_store__outbox_key(key, dest, 1, &k);
    first = MDB_SET_RANGE;
  }
  for (rc = mdb_cursor_get(r.cur, &k, &v, first); rc == MDB_SUCCESS;
       rc = mdb_cursor_get(r.cur, &k, &v, MDB_NEXT)) {
    struct mb_store_outbox_entry e;
    if (mb_store__outbox_decode(&k, &v, &e) != MB_OK) {
      s->stats.decode_errors++;
      continue;
    }
    if (dest != NULL && strcmp(e.dest, dest) != 0)
      break;
    if ((out = visit(&e, k.mv_size + v.mv_size, ctx)) != 0)
      break;
  }
  read_close(&r);
  if (out == 0 && rc != MDB_NOTFOUND && rc != MDB_SUCCESS)
    out = mb_store__fail(s, rc, "reading the outbox");
  return out;
}

struct filtered {
  uint8_t state;
  size_t limit, seen;
  mb_store_outbox_fn fn;
  void *ctx;
};

enum { WALK_DONE = 1 }; /* a visit's "enough", not the caller's value */

static int visit_filtered(const struct mb_store_outbox_entry *e, size_t stored,
                          void *ctx) {
  struct filtered *f = ctx;
  (void)stored;
  if (e->state != f->state)
    return 0;
  int rc = f->fn(e, f->ctx);
  if (rc != 0)
    return rc;
  f->seen++;
  return f->limit && f->seen == f->limit ? WALK_DONE : 0;
}

static int walk_filtered(struct mb_store *s, const char *dest,
                         struct filtered *f) {
  int rc = walk(s, dest, visit_filtered, f);
  if (rc == 0 || (rc == WALK_DONE && f->limit && f->seen == f->limit))
    return f->seen > INT32_MAX ? INT32_MAX : (int)f->seen;
  return rc;
}

int mb_store_outbox_peek(struct mb_store *s, const char *dest, size_t limit,
                         mb_store_outbox_fn fn, void *ctx) {
  if (dest == NULL || !dest_ok(dest))
    return MB_EINVAL;
  struct filtered f = {
      .state = MB_STORE_OUTBOX_PENDING, .limit = limit, .fn = fn, .ctx = ctx};
  return walk_filtered(s, dest, &f);
}

int mb_store_outbox_parked(struct mb_store *s, const char *dest,
                           mb_store_outbox_fn fn, void *ctx) {
  if (dest != NULL && !dest_ok(dest))
    return MB_EINVAL;
  struct filtered f = {.state = MB_STORE_OUTBOX_PARKED, .fn = fn, .ctx = ctx};
  return walk_filtered(s, dest, &f);
}

int mb_store_outbox_find(struct mb_store *s, const char *dest, const char *id,
                         uint64_t *seq) {
  if (dest == NULL || id == NULL || !dest_ok(dest) ||
      !mb_store__outbox_name_ok(id, strnlen(id, MB_STORE_DELIVERY_ID_MAX + 1),
                                MB_STORE_DELIVERY_ID_MAX))
    return MB_EINVAL;
  uint8_t key[MB_STORE__OUTBOX_ID_KEY_MAX];
  MDB_txn *txn;
  MDB_val k, v;
  int rc = mb_store__read_begin(s, &txn);
  if (rc)
    return rc;
  mb_store__outbox_id_key(key, dest, id, &k);
  rc = mdb_get(txn, s->dbi[DB_OUTBOX_IDS], &k, &v);
  int bad = rc == MDB_SUCCESS ? mb_store__outbox_id_decode(&k, &v, seq) : 0;
  mdb_txn_abort(txn);
  if (bad)
    return mb_store__fail(s, MB_ECORRUPT, "the outbox index does not decode");
  return rc == MDB_SUCCESS ? MB_OK : mb_store__fail(s, rc, "outbox id");
}

static int add_to_depth(const struct mb_store_outbox_entry *e, size_t stored,
                        void *ctx) {
  struct mb_store_outbox_depth *d = ctx;
  if (e->state == MB_STORE_OUTBOX_PARKED) {
    d->parked++;
  } else {
    if (d->pending++ == 0)
      d->oldest_pending_ms = e->created_ms;
  }
  d->bytes += stored;
  return 0;
}

int mb_store_outbox_depth(struct mb_store *s, const char *dest,
                          struct mb_store_outbox_depth *out) {
  if (dest == NULL || !dest_ok(dest))
    return MB_EINVAL;
  memset(out, 0, sizeof *out);
  memcpy(out->dest, dest, strlen(dest) + 1);
  MDB_txn *txn;
  MDB_val k = {strlen(dest), (void *)dest}, v;
  int rc = mb_store__read_begin(s, &txn);
  if (rc)
    return rc;
  rc = mdb_get(txn, s->dbi[DB_OUTBOX_SEQ], &k, &v);
  int bad = rc == MDB_SUCCESS
                ? mb_store__outbox_seq_decode(&k, &v, &out->last_seq)
                : 0;
  mdb_txn_abort(txn);
  if (bad)
    return mb_store__fail(s, MB_ECORRUPT, "the outbox numbers do not decode");
  if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
    return mb_store__fail(s, rc, "outbox numbers");
  rc = walk(s, dest, add_to_depth, out);
  return rc > 0 ? MB_OK : rc;
}

/* The first destination named after prev ("" for the first of all) into
 * next: 0, or MDB_NOTFOUND when there is none. */
static int next_dest(struct mb_store *s, const char *prev,
                     char next[MB_STORE_DEST_MAX + 1]) {
  struct outbox_read r;
  MDB_val k = {strlen(prev), (void *)prev}, v;
  int rc = read_open(s, DB_OUTBOX_SEQ, &r);
  if (rc)
    return rc;
  MDB_cursor_op op = prev[0] ? MDB_SET_RANGE : MDB_FIRST;
  for (rc = mdb_cursor_get(r.cur, &k, &v, op); rc == MDB_SUCCESS;
       rc = mdb_cursor_get(r.cur, &k, &v, MDB_NEXT)) {
    uint64_t last;
    if (mb_store__outbox_seq_decode(&k, &v, &last) != MB_OK) {
      s->stats.decode_errors++;
      continue;
    }
    if (k.mv_size == strlen(prev) && memcmp(k.mv_data, prev, k.mv_size) == 0)
      continue;
    memcpy(next, k.mv_data, k.mv_size);
    next[k.mv_size] = '\0';
    break;
  }
  read_close(&r);
  if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
    return mb_store__fail(s, rc, "reading the outbox numbers");
  return rc;
}

int mb_store_outbox_depths(struct mb_store *s, mb_store_outbox_depth_fn fn,
                           void *ctx) {
  char name[MB_STORE_DEST_MAX + 1] = "";
  int rc;
  /* One name at a time, each in its own read transaction: depth needs
   * its own, and the caller's fn may use the store. */
  while ((rc = next_dest(s, name, name)) == MDB_SUCCESS) {
    struct mb_store_outbox_depth d;
    if ((rc = mb_store_outbox_depth(s, name, &d)) != MB_OK ||
        (rc = fn(&d, ctx)) != 0)
      return rc;
  }
  return rc == MDB_NOTFOUND ? MB_OK : rc;
}

uint64_t mb_store_outbox_bytes(const struct mb_store *s) {
  return s->outbox_bytes;
}

int mb_store__outbox_count(struct mb_store *s, MDB_txn *txn, uint64_t *bytes) {
  MDB_cursor *cur;
  MDB_val k, v;
  *bytes = 0;
  int rc = mdb_cursor_open(txn, s->dbi[DB_OUTBOX], &cur);
  if (rc)
    return rc;
  for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == MDB_SUCCESS;
       rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    *bytes += k.mv_size + v.mv_size;
  mdb_cursor_close(cur);
  return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}
