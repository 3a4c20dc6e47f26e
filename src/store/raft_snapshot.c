/*
 * Raft's snapshot in the store (schema 5): raft_snapshot holds one value,
 * under "snapshot" (raft_codec.c).  Putting a snapshot and dropping the
 * log entries it makes unnecessary is one transaction, synced before it
 * returns (raft_meta.c says why): a crash leaves either the old snapshot
 * with the whole log or the new one with the log Raft asked to keep,
 * never a log cut short without the snapshot that covers it.
 */
#include "store_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static MDB_val snapshot_key(void) {
  return (MDB_val){strlen(MB_STORE__RAFT_SNAPSHOT_KEY),
                   (void *)MB_STORE__RAFT_SNAPSHOT_KEY};
}

/* The stored snapshot, decoded: MDB_NOTFOUND, MB_ECORRUPT with s->err, or
 * an LMDB code. */
static int read_snapshot(struct mb_store *s, MDB_txn *txn,
                         struct mb_store_raft_snapshot *out) {
  MDB_val k = snapshot_key(), v;
  int rc = mdb_get(txn, s->dbi[DB_RAFT_SNAP], &k, &v);
  if (rc)
    return rc;
  rc = mb_store__raft_snapshot_decode(&k, &v, out);
  if (rc == MB_OK)
    return MB_OK;
  snprintf(s->err, sizeof s->err, "the Raft snapshot does not decode: %s",
           mb_strerror(rc));
  return MB_ECORRUPT;
}

int mb_store__raft_snapshot_index(struct mb_store *s, MDB_txn *txn,
                                  uint64_t *index) {
  struct mb_store_raft_snapshot sn;
  int rc = read_snapshot(s, txn, &sn);
  *index = rc == MB_OK ? sn.index : 0;
  return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

struct put {
  const struct mb_store_raft_snapshot *sn;
  uint64_t trailing;
};

static int put_txn(struct mb_store *s, MDB_txn *txn, void *ctx) {
  const struct put *p = ctx;
  size_t size = mb_store__raft_snapshot_size(p->sn);
  MDB_val k = snapshot_key(), v = {size, NULL};
  int rc = mdb_put(txn, s->dbi[DB_RAFT_SNAP], &k, &v, MDB_RESERVE);
  if (rc == MDB_SUCCESS)
    rc = mb_store__raft_snapshot_encode(v.mv_data, size, p->sn);
  if (rc == MDB_SUCCESS && p->trailing < p->sn->index)
    rc = mb_store__raft_log_drop_through(s, txn, p->sn->index - p->trailing);
  return rc;
}

/* What the decoder would refuse is never written. */
static int check(struct mb_store *s, const struct mb_store_raft_snapshot *sn) {
  const char *why = NULL;
  if (sn->index == 0 || sn->conf_index > sn->index)
    why = "its index is 0 or below its configuration's";
  else if ((sn->conf == NULL && sn->conf_len) ||
           (sn->data == NULL && sn->data_len))
    why = "a NULL buffer with a length";
  else if (sn->conf_len > MB_STORE_RAFT_CONF_MAX ||
           sn->data_len > MB_STORE_RAFT_SNAPSHOT_MAX) {
    snprintf(s->err, sizeof s->err,
             "Raft snapshot at %" PRIu64 ": %zu bytes of configuration and "
             "%zu of data, over the limits",
             sn->index, sn->conf_len, sn->data_len);
    return MB_ETOOBIG;
  }
  if (why == NULL)
    return MB_OK;
  snprintf(s->err, sizeof s->err, "Raft snapshot at %" PRIu64 ": %s", sn->index,
           why);
  return MB_EINVAL;
}

int mb_store_raft_snapshot_put(struct mb_store *s,
                               const struct mb_store_raft_snapshot *snap,
                               uint64_t trailing) {
  if (snap == NULL)
    return MB_EINVAL;
  int rc = check(s, snap);
  if (rc)
    return rc;
  struct put p = {snap, trailing};
  return mb_store__raft_write(s, put_txn, &p);
}

int mb_store_raft_snapshot_get(struct mb_store *s, mb_store_raft_snapshot_fn cb,
                               void *arg) {
  MDB_txn *txn;
  struct mb_store_raft_snapshot sn;
  int rc = mb_store__read_begin(s, &txn);
  if (rc)
    return rc;
  rc = read_snapshot(s, txn, &sn);
  if (rc == MB_OK)
    rc = cb(arg, &sn);
  else if (rc == MDB_NOTFOUND)
    rc = -ENOENT;
  else if (rc != MB_ECORRUPT)
    rc = mb_store__fail(s, rc, "reading the Raft snapshot");
  mdb_txn_abort(txn);
  return rc;
}
