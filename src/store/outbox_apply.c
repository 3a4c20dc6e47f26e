/*
 * The bridge's outbox: its staged writes applied inside the commit's one
 * transaction, in staging order (outbox.c stages them; docs/store.md has
 * the three sub-databases).  A damaged entry met here fails the commit
 * with MB_ECORRUPT rather than be rewritten.
 */
#include "store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int apply_append(struct mb_store *s, MDB_txn *txn,
                        const struct mb_store__op *op, int64_t *delta) {
  uint8_t key[MB_STORE__OUTBOX_KEY_MAX], id_key[MB_STORE__OUTBOX_ID_KEY_MAX];
  uint8_t seq_val[9];
  MDB_val k, v = {op->len, s->arena + op->off}, idk, sv;
  mb_store__outbox_id_key(id_key, op->dest, op->delivery_id, &idk);
  struct mb_cbor_writer w;
  mb_cw_init(&w, seq_val, sizeof seq_val);
  mb_cw_uint(&w, op->seq);
  sv = (MDB_val){w.len, seq_val};
  int rc = mdb_put(txn, s->dbi[DB_OUTBOX_IDS], &idk, &sv, MDB_NOOVERWRITE);
  if (rc == MDB_KEYEXIST)
    return MDB_SUCCESS; /* staged twice across batches: once is enough */
  mb_store__outbox_key(key, op->dest, op->seq, &k);
  if (rc == MDB_SUCCESS)
    rc = mdb_put(txn, s->dbi[DB_OUTBOX], &k, &v, MDB_NOOVERWRITE);
  MDB_val dk = {strlen(op->dest), (void *)op->dest};
  if (rc == MDB_SUCCESS)
    rc = mdb_put(txn, s->dbi[DB_OUTBOX_SEQ], &dk, &sv, 0);
  if (rc == MDB_SUCCESS)
    *delta += (int64_t)(k.mv_size + v.mv_size);
  return rc;
}

static int damaged(struct mb_store *s, const struct mb_store__op *op) {
  snprintf(s->err, sizeof s->err,
           "outbox entry %s/%llu does not decode: the store is damaged",
           op->dest, (unsigned long long)op->seq);
  return MB_ECORRUPT;
}

/* Removes the entry under the cursor and its id from the index. */
static int remove_entry(struct mb_store *s, MDB_txn *txn, MDB_cursor *cur,
                        const MDB_val *k, const MDB_val *v,
                        const struct mb_store_outbox_entry *e, int64_t *delta) {
  uint8_t id_key[MB_STORE__OUTBOX_ID_KEY_MAX];
  MDB_val idk;
  *delta -= (int64_t)(k->mv_size + v->mv_size);
  int rc = mdb_cursor_del(cur, 0);
  mb_store__outbox_id_key(id_key, e->dest, e->id, &idk);
  if (rc == MDB_SUCCESS)
    rc = mdb_del(txn, s->dbi[DB_OUTBOX_IDS], &idk, NULL);
  return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

/* Rewrites the entry under key k with the op's change. */
static int update(struct mb_store *s, MDB_txn *txn, MDB_val *k,
                  const struct mb_store_outbox_entry *e,
                  const struct mb_store__op *op, size_t old_len,
                  int64_t *delta) {
  struct mb_store_outbox_entry next = *e;
  if (op->kind == OP_OUTBOX_ATTEMPT) {
    if (next.attempts < UINT32_MAX)
      next.attempts++;
    next.next_attempt_ms = op->when;
  } else {
    next.state = MB_STORE_OUTBOX_PARKED;
    memcpy(next.reason, s->arena + op->off, op->len);
  }
  size_t cap = mb_store__outbox_value_cap(next.body_len);
  uint8_t *buf = malloc(cap);
  if (buf == NULL)
    return -ENOMEM;
  /* The body still points into the map: encode before the put moves it. */
  MDB_val v = {mb_store__outbox_encode(buf, cap, &next), buf};
  int rc = mdb_put(txn, s->dbi[DB_OUTBOX], k, &v, 0);
  free(buf);
  if (rc == MDB_SUCCESS)
    *delta += (int64_t)v.mv_size - (int64_t)old_len;
  return rc;
}

/* Attempt, park or delete of one entry; one that is gone is passed over. */
static int apply_one(struct mb_store *s, MDB_txn *txn,
                     const struct mb_store__op *op, int64_t *delta) {
  uint8_t key[MB_STORE__OUTBOX_KEY_MAX];
  MDB_val k, at, v;
  MDB_cursor *cur;
  struct mb_store_outbox_entry e;
  mb_store__outbox_key(key, op->dest, op->seq, &k);
  at = k;
  int rc = mdb_cursor_open(txn, s->dbi[DB_OUTBOX], &cur);
  if (rc)
    return rc;
  rc = mdb_cursor_get(cur, &at, &v, MDB_SET_KEY);
  if (rc == MDB_SUCCESS && mb_store__outbox_decode(&at, &v, &e) != MB_OK)
    rc = damaged(s, op);
  else if (rc == MDB_SUCCESS && op->kind == OP_OUTBOX_DELETE)
    rc = remove_entry(s, txn, cur, &at, &v, &e, delta);
  else if (rc == MDB_SUCCESS)
    rc = update(s, txn, &k, &e, op, v.mv_size, delta);
  mdb_cursor_close(cur);
  return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

/* Every pending entry of op->dest numbered 1..op->seq. */
static int apply_ack(struct mb_store *s, MDB_txn *txn,
                     const struct mb_store__op *op, int64_t *delta) {
  uint8_t key[MB_STORE__OUTBOX_KEY_MAX];
  MDB_val k, v;
  MDB_cursor *cur;
  struct mb_store_outbox_entry e;
  mb_store__outbox_key(key, op->dest, 1, &k);
  int rc = mdb_cursor_open(txn, s->dbi[DB_OUTBOX], &cur);
  if (rc)
    return rc;
  for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == MDB_SUCCESS;
       rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    if (mb_store__outbox_decode(&k, &v, &e) != MB_OK) {
      rc = damaged(s, op);
      break;
    }
    if (strcmp(e.dest, op->dest) != 0 || e.seq > op->seq)
      break;
    if (e.state == MB_STORE_OUTBOX_PENDING &&
        (rc = remove_entry(s, txn, cur, &k, &v, &e, delta)) != MDB_SUCCESS)
      break;
  }
  mdb_cursor_close(cur);
  return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

int mb_store__outbox_apply(struct mb_store *s, MDB_txn *txn,
                           const struct mb_store__op *op, int64_t *delta) {
  switch (op->kind) {
  case OP_OUTBOX_APPEND:
    return apply_append(s, txn, op, delta);
  case OP_OUTBOX_ACK:
    return apply_ack(s, txn, op, delta);
  default:
    return apply_one(s, txn, op, delta);
  }
}
