/*
 * The bridge's open episodes in the store: the sub-database
 * `bridge_episodes` (schema 4), member id -> {1: incarnation}.
 *
 * The bridge's exactly-once contract (docs/bridge.md) needs each event
 * and the episode change it implies to land in one transaction, so,
 * unlike channel records, puts and deletes are staged in the batch beside
 * the outbox's appends and applied by mb_store_commit in staging order
 * (batch.c ranks them with the outbox; episode_apply.c writes them):
 * the last put or delete of a member in a batch is applied last and wins,
 * and a discarded batch leaves neither the events nor the episodes.
 */
#include "store_internal.h"

#include <string.h>

int mb_store__migrate_episodes(struct mb_store *s, MDB_txn *txn) {
  return mdb_dbi_open(txn, mb_store__db_names[DB_EPISODES], MDB_CREATE,
                      &s->dbi[DB_EPISODES]);
}

static int stage(struct mb_store *s, uint8_t kind,
                 const uint8_t member[MB_STORE_ID_LEN], uint64_t incarnation) {
  if (member == NULL)
    return MB_EINVAL;
  struct mb_store_episode e = {.incarnation = incarnation};
  size_t cap = kind == OP_EPISODE_PUT ? MB_STORE__EPISODE_VALUE_MAX : 0;
  struct mb_store__op *op;
  int rc = mb_store__reserve(s, cap, &op);
  if (rc)
    return rc;
  op->kind = kind;
  memcpy(op->id, member, MB_STORE_ID_LEN);
  size_t len = cap ? mb_store__episode_encode(s->arena + op->off, cap, &e) : 0;
  mb_store__push(s, op, len);
  return MB_OK;
}

int mb_store_episode_put(struct mb_store *s,
                         const uint8_t member[MB_STORE_ID_LEN],
                         uint64_t incarnation) {
  return stage(s, OP_EPISODE_PUT, member, incarnation);
}

int mb_store_episode_delete(struct mb_store *s,
                            const uint8_t member[MB_STORE_ID_LEN]) {
  return stage(s, OP_EPISODE_DEL, member, 0);
}

struct episodes_each {
  mb_store_episode_fn fn;
  void *ctx;
};

static int visit_episode(const MDB_val *k, const MDB_val *v, void *arg,
                         bool *undecoded) {
  struct episodes_each *e = arg;
  struct mb_store_episode ep;
  if (mb_store__episode_decode(k, v, &ep) != MB_OK) {
    *undecoded = true;
    return 0;
  }
  return e->fn(&ep, e->ctx);
}

int mb_store_episodes_foreach(struct mb_store *s, mb_store_episode_fn fn,
                              void *ctx) {
  struct episodes_each e = {fn, ctx};
  return mb_store__each(s, DB_EPISODES, "reading episodes", visit_episode, &e);
}
