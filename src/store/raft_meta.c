/*
 * Raft's term and vote in the store (schema 5), and what every Raft write
 * shares: its own transaction, synced before it returns.
 *
 * raft_meta holds "term" and "vote" as CBOR unsigned integers; a vote is
 * absent (read as 0, no vote) until one is cast in the term.  Raft needs
 * both on disk before the server acts on them (a vote forgotten in a
 * crash lets a server vote twice in one term), so mb_store__raft_write
 * syncs even when the store runs with nosync, where the membership data
 * waits for the agent's periodic mb_store_sync: losing those costs a
 * refresh from the mesh, losing these costs safety.
 */
#include "store_internal.h"

#include <stdio.h>
#include <string.h>

#define KEY_TERM "term"
#define KEY_VOTE "vote"

int mb_store__migrate_raft(struct mb_store *s, MDB_txn *txn) {
  int rc = MDB_SUCCESS;
  for (int db = DB_RAFT_META; db <= DB_RAFT_SNAP && rc == MDB_SUCCESS; db++)
    rc = mdb_dbi_open(txn, mb_store__db_names[db], MDB_CREATE, &s->dbi[db]);
  return rc;
}

int mb_store__raft_write(struct mb_store *s, mb_store__txn_fn fn, void *ctx) {
  int rc = mb_store__write(s, fn, ctx);
  if (rc == MB_OK && s->opt.nosync) {
    rc = mb_store_sync(s);
    if (rc != MB_OK)
      snprintf(s->err, sizeof s->err, "syncing a Raft write: %s",
               mb_strerror(rc));
  }
  return rc;
}

static bool key_is(const MDB_val *k, const char *name) {
  return k->mv_size == strlen(name) &&
         memcmp(k->mv_data, name, k->mv_size) == 0;
}

int mb_store__raft_meta_decode(const MDB_val *k, const MDB_val *v,
                               uint64_t *out) {
  *out = 0;
  if (!key_is(k, KEY_TERM) && !key_is(k, KEY_VOTE))
    return MB_OK; /* a key of a later minor version */
  return mb_store__uint_decode(v->mv_data, v->mv_size, out);
}

/* One of the two integers: 0 when absent, MB_ECORRUPT when it does not
 * decode. */
static int read_one(struct mb_store *s, MDB_txn *txn, const char *name,
                    uint64_t *out) {
  MDB_val k = {strlen(name), (void *)name}, v;
  *out = 0;
  int rc = mdb_get(txn, s->dbi[DB_RAFT_META], &k, &v);
  if (rc == MDB_NOTFOUND)
    return MB_OK;
  if (rc)
    return mb_store__fail(s, rc, "reading Raft's term and vote");
  rc = mb_store__raft_meta_decode(&k, &v, out);
  if (rc == MB_OK)
    return MB_OK;
  snprintf(s->err, sizeof s->err, "Raft's stored %s does not decode: %s", name,
           mb_strerror(rc));
  return MB_ECORRUPT;
}

int mb_store_raft_meta(struct mb_store *s, uint64_t *term, uint64_t *vote) {
  MDB_txn *txn;
  int rc = mb_store__read_begin(s, &txn);
  if (rc)
    return rc;
  rc = read_one(s, txn, KEY_TERM, term);
  if (rc == MB_OK)
    rc = read_one(s, txn, KEY_VOTE, vote);
  mdb_txn_abort(txn);
  return rc;
}

static int put_term(struct mb_store *s, MDB_txn *txn, void *ctx) {
  int rc = mb_store__put_uint(txn, s->dbi[DB_RAFT_META], KEY_TERM,
                              *(const uint64_t *)ctx);
  if (rc)
    return rc;
  MDB_val k = {strlen(KEY_VOTE), KEY_VOTE};
  rc = mdb_del(txn, s->dbi[DB_RAFT_META], &k, NULL);
  return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

static int put_vote(struct mb_store *s, MDB_txn *txn, void *ctx) {
  return mb_store__put_uint(txn, s->dbi[DB_RAFT_META], KEY_VOTE,
                            *(const uint64_t *)ctx);
}

int mb_store_raft_set_term(struct mb_store *s, uint64_t term) {
  return mb_store__raft_write(s, put_term, &term);
}

int mb_store_raft_set_vote(struct mb_store *s, uint64_t vote) {
  return mb_store__raft_write(s, put_vote, &vote);
}
