/*
 * The bridge's episodes: their staged puts and deletes applied inside the
 * commit's one transaction, in staging order (episodes.c stages them).
 */
#include "store_internal.h"

int mb_store__episode_apply(struct mb_store *s, MDB_txn *txn,
                            const struct mb_store__op *op, uint64_t *bytes) {
  MDB_val k = {MB_STORE_ID_LEN, (void *)op->id};
  MDB_val v = {op->len, s->arena + op->off};
  if (op->kind == OP_EPISODE_DEL) {
    int rc = mdb_del(txn, s->dbi[DB_EPISODES], &k, NULL);
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
  }
  *bytes += k.mv_size + v.mv_size;
  return mdb_put(txn, s->dbi[DB_EPISODES], &k, &v, 0);
}
