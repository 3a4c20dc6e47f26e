/* Reading members and events, and the node's own incarnation. */
#include "store_internal.h"

#include <errno.h>
#include <string.h>

#define SELF_INCARNATION "incarnation"

/* A read transaction and a cursor on one sub-database. */
static int read_cursor(struct mb_store *s, int db, const char *what,
                       MDB_txn **txn, MDB_cursor **cur) {
  int rc = mb_store__read_begin(s, txn);
  if (rc)
    return rc;
  rc = mdb_cursor_open(*txn, s->dbi[db], cur);
  if (rc) {
    mdb_txn_abort(*txn);
    return mb_store__fail(s, rc, what);
  }
  return MB_OK;
}

int mb_store__each(struct mb_store *s, int db, const char *what,
                   mb_store__visit_fn visit, void *ctx) {
  MDB_txn *txn;
  MDB_cursor *cur;
  MDB_val k, v;
  int rc = read_cursor(s, db, what, &txn, &cur);
  if (rc)
    return rc;
  int out = 0;
  for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == MDB_SUCCESS;
       rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    bool undecoded = false;
    out = visit(&k, &v, ctx, &undecoded);
    if (undecoded)
      s->stats.decode_errors++;
    if (out != 0)
      break;
  }
  mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  if (out == 0 && rc != MDB_NOTFOUND && rc != MDB_SUCCESS)
    out = mb_store__fail(s, rc, what);
  return out;
}

struct members_each {
  mb_store_member_fn fn;
  void *ctx;
};

static int visit_member(const MDB_val *k, const MDB_val *v, void *arg,
                        bool *undecoded) {
  struct members_each *e = arg;
  struct mb_store_member m;
  if (k->mv_size != MB_STORE_ID_LEN ||
      mb_store__member_decode(v->mv_data, v->mv_size, &m) != MB_OK) {
    *undecoded = true;
    return 0;
  }
  memcpy(m.id, k->mv_data, MB_STORE_ID_LEN);
  return e->fn(&m, e->ctx);
}

int mb_store_members_foreach(struct mb_store *s, mb_store_member_fn fn,
                             void *ctx) {
  struct members_each e = {fn, ctx};
  return mb_store__each(s, DB_MEMBERS, "reading members", visit_member, &e);
}

/* Positions cur on the first event after since. */
static int seek_after(MDB_cursor *cur, uint64_t since, MDB_val *k, MDB_val *v) {
  uint8_t key[8];
  if (since == UINT64_MAX)
    return MDB_NOTFOUND;
  mb_store__seq_key(key, since + 1);
  *k = (MDB_val){sizeof key, key};
  return mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
}

int mb_store_events_since(struct mb_store *s, uint64_t since, size_t limit,
                          mb_store_event_fn fn, void *ctx) {
  MDB_txn *txn;
  MDB_cursor *cur;
  MDB_val k, v;
  int rc = read_cursor(s, DB_EVENTS, "events cursor", &txn, &cur);
  if (rc)
    return rc;
  int stop = 0, seen = 0;
  for (rc = seek_after(cur, since, &k, &v);
       rc == MDB_SUCCESS && (limit == 0 || (size_t)seen < limit) &&
       seen < INT32_MAX;
       rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    struct mb_store_event ev;
    if (mb_store__event_decode(v.mv_data, v.mv_size, &ev) != MB_OK) {
      s->stats.decode_errors++;
      continue;
    }
    ev.seq = mb_store__seq_of(&k);
    seen++;
    if ((stop = fn(&ev, ctx)) != 0)
      break;
  }
  mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  if (stop)
    return stop;
  if (rc != MDB_NOTFOUND && rc != MDB_SUCCESS)
    return mb_store__fail(s, rc, "reading events");
  return seen;
}

uint64_t mb_store_last_event_seq(const struct mb_store *s) {
  return s->last_seq;
}

int mb_store_self_incarnation(struct mb_store *s, uint64_t *out) {
  MDB_txn *txn;
  int rc = mb_store__read_begin(s, &txn);
  if (rc)
    return rc;
  rc = mb_store__get_uint(txn, s->dbi[DB_SELF], SELF_INCARNATION, out);
  mdb_txn_abort(txn);
  if (rc == MDB_NOTFOUND) {
    *out = 0;
    return 0;
  }
  return rc ? mb_store__fail(s, rc, "reading the incarnation") : 0;
}

struct bump {
  uint64_t floor, value;
  bool keep; /* raise: the stored value may stay as it is */
};

static int bump_incarnation(struct mb_store *s, MDB_txn *txn, void *ctx) {
  struct bump *b = ctx;
  uint64_t stored;
  int rc = mb_store__get_uint(txn, s->dbi[DB_SELF], SELF_INCARNATION, &stored);
  if (rc == MDB_NOTFOUND)
    stored = 0;
  else if (rc)
    return rc;
  if (b->keep && stored >= b->floor) {
    b->value = stored;
    return MDB_SUCCESS; /* nothing to write */
  }
  if (stored == UINT64_MAX)
    return MB_ERANGE;
  b->value = stored + 1 > b->floor ? stored + 1 : b->floor;
  return mb_store__put_uint(txn, s->dbi[DB_SELF], SELF_INCARNATION, b->value);
}

int mb_store_self_incarnation_bump(struct mb_store *s, uint64_t floor,
                                   uint64_t *out) {
  struct bump b = {.floor = floor};
  int rc = mb_store__write(s, bump_incarnation, &b);
  if (rc == 0 && s->opt.nosync)
    rc = mb_store_sync(s); /* never reuse an incarnation after a crash */
  if (rc == 0)
    *out = b.value;
  return rc;
}

int mb_store_self_incarnation_raise(struct mb_store *s, uint64_t value,
                                    bool sync, uint64_t *out) {
  struct bump b = {.floor = value, .keep = true};
  int rc = mb_store__write(s, bump_incarnation, &b);
  if (rc == 0 && sync && s->opt.nosync)
    rc = mb_store_sync(s);
  if (rc == 0)
    *out = b.value;
  return rc;
}

int mb_store_sync(struct mb_store *s) {
  int rc = mdb_env_sync(s->env, 1);
  return rc == 0 ? MB_OK : rc > 0 ? -rc : -EIO;
}
