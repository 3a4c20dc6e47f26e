/*
 * Raft's log in the store (schema 5): raft_log, index (8 bytes
 * big-endian) -> {term, type, data} (raft_codec.c).
 *
 * Each append and truncation is one transaction, synced before it returns
 * (raft_meta.c says why), so a crash leaves the log as the last call that
 * returned left it, or as the one in flight would: never half of an
 * append.  The log stays contiguous: an append may start anywhere from 1
 * to the next index and replaces the entries from there on (Raft
 * overwrites a follower's conflicting suffix), but never leaves a gap;
 * the read checks it again, so a store that lost an entry says so
 * (MB_ECORRUPT) instead of handing Raft a log with a hole.
 */
#include "store_internal.h"

#include <inttypes.h>
#include <stdio.h>

struct append {
  uint64_t first;
  const struct mb_store_raft_entry *e;
  size_t n;
};

/* The index an append may reach at most: after the last entry, or after
 * the snapshot when the log is empty. */
static int next_index(struct mb_store *s, MDB_txn *txn, MDB_cursor *cur,
                      uint64_t *next) {
  MDB_val k, v;
  int rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
  if (rc == MDB_SUCCESS) {
    *next = mb_store__seq_of(&k) + 1;
    return MDB_SUCCESS;
  }
  if (rc != MDB_NOTFOUND)
    return rc;
  rc = mb_store__raft_snapshot_index(s, txn, next);
  *next += 1;
  return rc;
}

/* Deletes every entry from index from on, under cur. */
static int drop_from(MDB_cursor *cur, uint64_t from) {
  uint8_t key[8];
  MDB_val k, v;
  int rc;
  mb_store__seq_key(key, from);
  for (;;) {
    k = (MDB_val){sizeof key, key};
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    if (rc)
      break;
    rc = mdb_cursor_del(cur, 0);
    if (rc)
      break;
  }
  return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

int mb_store__raft_log_drop_through(struct mb_store *s, MDB_txn *txn,
                                    uint64_t last) {
  MDB_cursor *cur;
  MDB_val k, v;
  int rc = mdb_cursor_open(txn, s->dbi[DB_RAFT_LOG], &cur);
  if (rc)
    return rc;
  while ((rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST)) == MDB_SUCCESS &&
         mb_store__seq_of(&k) <= last)
    if ((rc = mdb_cursor_del(cur, 0)) != MDB_SUCCESS)
      break;
  mdb_cursor_close(cur);
  return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

static int put_entry(struct mb_store *s, MDB_cursor *cur, uint64_t index,
                     const struct mb_store_raft_entry *e) {
  if (e->len > MB_STORE_RAFT_DATA_MAX || (e->data == NULL && e->len > 0)) {
    snprintf(s->err, sizeof s->err,
             "Raft entry %" PRIu64 ": %zu bytes of data%s", index, e->len,
             e->data == NULL ? " at NULL" : ", over the limit");
    return e->data == NULL ? MB_EINVAL : MB_ETOOBIG;
  }
  uint8_t key[8];
  mb_store__seq_key(key, index);
  size_t size = mb_store__raft_entry_size(e);
  MDB_val k = {sizeof key, key}, v = {size, NULL};
  int rc = mdb_cursor_put(cur, &k, &v, MDB_RESERVE | MDB_APPEND);
  if (rc == MDB_SUCCESS)
    rc = mb_store__raft_entry_encode(v.mv_data, size, e);
  return rc;
}

static int append_txn(struct mb_store *s, MDB_txn *txn, void *ctx) {
  const struct append *a = ctx;
  MDB_cursor *cur;
  uint64_t next;
  int rc = mdb_cursor_open(txn, s->dbi[DB_RAFT_LOG], &cur);
  if (rc)
    return rc;
  rc = next_index(s, txn, cur, &next);
  if (rc == MDB_SUCCESS && (a->first == 0 || a->first > next)) {
    snprintf(s->err, sizeof s->err,
             "Raft append at index %" PRIu64
             ": the log's next index is %" PRIu64,
             a->first, next);
    rc = MB_ERAFTGAP;
  }
  if (rc == MDB_SUCCESS && a->first < next)
    rc = drop_from(cur, a->first);
  for (size_t i = 0; i < a->n && rc == MDB_SUCCESS; i++)
    rc = put_entry(s, cur, a->first + i, &a->e[i]);
  mdb_cursor_close(cur);
  return rc;
}

int mb_store_raft_append(struct mb_store *s, uint64_t first_index,
                         const struct mb_store_raft_entry *e, size_t n) {
  if (n == 0)
    return MB_OK;
  if (e == NULL || first_index > UINT64_MAX - n)
    return MB_EINVAL;
  struct append a = {first_index, e, n};
  return mb_store__raft_write(s, append_txn, &a);
}

static int truncate_txn(struct mb_store *s, MDB_txn *txn, void *ctx) {
  MDB_cursor *cur;
  int rc = mdb_cursor_open(txn, s->dbi[DB_RAFT_LOG], &cur);
  if (rc)
    return rc;
  rc = drop_from(cur, *(const uint64_t *)ctx);
  mdb_cursor_close(cur);
  return rc;
}

int mb_store_raft_truncate(struct mb_store *s, uint64_t from_index) {
  return mb_store__raft_write(s, truncate_txn, &from_index);
}

struct each {
  struct mb_store *s;
  mb_store_raft_entry_fn cb;
  void *arg;
  uint64_t prev; /* index of the entry before, 0 at the start */
};

static int visit_entry(const MDB_val *k, const MDB_val *v, void *ctx,
                       bool *undecoded) {
  struct each *e = ctx;
  struct mb_store_raft_entry entry;
  uint64_t index = 0;
  int rc = mb_store__raft_entry_decode(k, v, &index, &entry);
  if (rc != MB_OK) {
    *undecoded = true;
    snprintf(e->s->err, sizeof e->s->err,
             "the Raft log's entry %" PRIu64 " does not decode: %s", index,
             mb_strerror(rc));
    return MB_ECORRUPT;
  }
  if (e->prev != 0 && index != e->prev + 1) {
    snprintf(e->s->err, sizeof e->s->err,
             "the Raft log skips from index %" PRIu64 " to %" PRIu64, e->prev,
             index);
    return MB_ECORRUPT;
  }
  e->prev = index;
  return e->cb(e->arg, index, &entry);
}

int mb_store_raft_each(struct mb_store *s, mb_store_raft_entry_fn cb,
                       void *arg) {
  struct each e = {.s = s, .cb = cb, .arg = arg};
  return mb_store__each(s, DB_RAFT_LOG, "reading the Raft log", visit_entry,
                        &e);
}
