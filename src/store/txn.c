/*
 * Transactions and LMDB's error codes.
 *
 * Happy path: one write transaction per batch, committed (and synced) once.
 * Failure modes: the map is full (MDB_MAP_FULL, from any put or from the
 * commit itself) — the transaction is aborted, the map doubled and the
 * whole batch replayed, which is safe because nothing of an aborted
 * transaction survives; another process grew the map (MDB_MAP_RESIZED) —
 * adopt its size and begin again; anything else is returned.
 */
#include "store_internal.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

/* Doublings tried for one transaction before it is declared too big. */
#define MAX_GROWS_PER_TXN 16

static bool is_lmdb_code(int rc) {
  return rc > 0 || (rc >= MDB_KEYEXIST && rc <= MDB_LAST_ERRCODE);
}

static int map_code(int rc) {
  switch (rc) {
  case MDB_MAP_FULL:
    return -ENOSPC;
  case MDB_INVALID:
    return MB_ENOTSTORE;
  case MDB_VERSION_MISMATCH: /* written by an incompatible LMDB */
  case MDB_CORRUPTED:
  case MDB_PAGE_NOTFOUND:
  case MDB_PANIC: /* a fatal error before: the environment is unusable */
    return MB_ECORRUPT;
  case MDB_READERS_FULL:
    return -EAGAIN;
  case MDB_NOTFOUND:
    return -ENOENT;
  default:
    break;
  }
  if (rc > 0)
    return -rc; /* LMDB passes errno values through, positive */
  if (is_lmdb_code(rc))
    return -EIO; /* a bad transaction and the like: fatal I/O */
  return rc;
}

int mb_store__fail(struct mb_store *s, int rc, const char *what) {
  int code = map_code(rc);
  const char *why = is_lmdb_code(rc) ? mdb_strerror(rc) : mb_strerror(code);
  snprintf(s->err, sizeof s->err, "%s: %s", what, why);
  return code;
}

static int txn_begin(struct mb_store *s, unsigned flags, MDB_txn **txn) {
  int rc = mdb_txn_begin(s->env, NULL, flags, txn);
  if (rc == MDB_MAP_RESIZED) {
    rc = mdb_env_set_mapsize(s->env, 0);
    if (rc == MDB_SUCCESS)
      rc = mdb_txn_begin(s->env, NULL, flags, txn);
  }
  return rc;
}

int mb_store__read_begin(struct mb_store *s, MDB_txn **txn) {
  int rc = txn_begin(s, MDB_RDONLY, txn);
  return rc ? mb_store__fail(s, rc, "read transaction") : 0;
}

static int grow_map(struct mb_store *s) {
  MDB_envinfo info;
  int rc = mdb_env_info(s->env, &info);
  if (rc == MDB_SUCCESS)
    rc = mdb_env_set_mapsize(s->env, info.me_mapsize * 2);
  if (rc == MDB_SUCCESS) {
    s->stats.map_grows++;
    s->stats.map_size = info.me_mapsize * 2;
  }
  return rc;
}

int mb_store__write(struct mb_store *s, mb_store__txn_fn fn, void *ctx) {
  int rc;
  for (int grows = 0;; grows++) {
    MDB_txn *txn;
    rc = txn_begin(s, 0, &txn);
    if (rc)
      break;
    rc = fn(s, txn, ctx);
    if (rc == MDB_SUCCESS)
      rc = mdb_txn_commit(txn);
    else
      mdb_txn_abort(txn);
    if (rc != MDB_MAP_FULL || grows == MAX_GROWS_PER_TXN)
      break;
    rc = grow_map(s);
    if (rc)
      break;
  }
  /* A meshbeat code comes from fn, which has said why already. */
  return is_lmdb_code(rc) ? mb_store__fail(s, rc, "write transaction") : rc;
}
