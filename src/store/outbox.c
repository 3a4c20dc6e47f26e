/*
 * The bridge's outbox: staging and applying its writes.
 *
 * Three sub-databases (docs/store.md): outbox, the entries under
 * len(dest) || dest || seq, so that one destination's entries are one
 * run of keys in number order; outbox_ids, (dest, delivery id) -> seq,
 * which makes appends idempotent by id; and outbox_seq, dest -> the last
 * number handed out, so numbering never restarts when the outbox
 * empties (a delivery cursor announced later must never cover a new
 * entry).  All three change together in the batch's one transaction.
 *
 * Staging reads the committed numbers and ids in a read transaction, and
 * the staged ones from the batch, so that numbers and idempotency hold
 * before the commit.  Ops apply in staging order (batch.c sorts outbox ops
 * by it), so "append, then acknowledge through it" does what it says.
 */
#include "store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mb_store__migrate_outbox(struct mb_store *s, MDB_txn *txn) {
  int rc = mdb_dbi_open(txn, mb_store__db_names[DB_OUTBOX_IDS], MDB_CREATE,
                        &s->dbi[DB_OUTBOX_IDS]);
  if (rc == MDB_SUCCESS)
    rc = mdb_dbi_open(txn, mb_store__db_names[DB_OUTBOX_SEQ], MDB_CREATE,
                      &s->dbi[DB_OUTBOX_SEQ]);
  return rc;
}

static bool dest_ok(const char *dest) {
  return dest != NULL &&
         mb_store__outbox_name_ok(dest, strnlen(dest, MB_STORE_DEST_MAX + 1),
                                  MB_STORE_DEST_MAX);
}

static bool is_append_of(const struct mb_store__op *op, const char *dest) {
  return op->kind == OP_OUTBOX_APPEND && strcmp(op->dest, dest) == 0;
}

/* What the committed store says of dest and id: the last number, and the
 * entry holding id (0: none). */
static int committed(struct mb_store *s, const char *dest, const char *id,
                     uint64_t *last, uint64_t *existing) {
  MDB_txn *txn;
  uint8_t key[MB_STORE__OUTBOX_ID_KEY_MAX];
  MDB_val k = {strlen(dest), (void *)dest}, v;
  int bad = MB_OK;
  *last = *existing = 0;
  int rc = mb_store__read_begin(s, &txn);
  if (rc)
    return rc;
  rc = mdb_get(txn, s->dbi[DB_OUTBOX_SEQ], &k, &v);
  if (rc == MDB_SUCCESS)
    bad = mb_store__outbox_seq_decode(&k, &v, last);
  if (bad == MB_OK && (rc == MDB_SUCCESS || rc == MDB_NOTFOUND)) {
    mb_store__outbox_id_key(key, dest, id, &k);
    rc = mdb_get(txn, s->dbi[DB_OUTBOX_IDS], &k, &v);
    if (rc == MDB_SUCCESS)
      bad = mb_store__outbox_id_decode(&k, &v, existing);
  }
  mdb_txn_abort(txn);
  if (bad != MB_OK)
    return mb_store__fail(s, MB_ECORRUPT, "the outbox index does not decode");
  if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
    return mb_store__fail(s, rc, "reading the outbox index");
  return MB_OK;
}

/* Room for len more bytes under the bound. */
static int room_for(struct mb_store *s, uint64_t len) {
  uint64_t max = s->opt.outbox_max_bytes, used;
  used = s->outbox_bytes + s->outbox_staged_bytes;
  if (max == 0 || (used <= max && len <= max - used))
    return MB_OK;
  s->stats.outbox_full++;
  snprintf(s->err, sizeof s->err,
           "outbox full: %llu of %llu bytes used, %llu more refused",
           (unsigned long long)used, (unsigned long long)max,
           (unsigned long long)len);
  return MB_EOUTBOXFULL;
}

/* Reserves an op for dest with cap bytes of value. */
static int outbox_op(struct mb_store *s, uint8_t kind, const char *dest,
                     uint64_t seq, size_t cap, struct mb_store__op **op) {
  int rc = mb_store__reserve(s, cap, op);
  if (rc)
    return rc;
  (*op)->kind = kind;
  (*op)->seq = seq;
  memcpy((*op)->dest, dest, strlen(dest) + 1);
  return MB_OK;
}

/* The staged append of id to dest, if any; and the highest number staged
 * for dest in *top. */
static const struct mb_store__op *staged_append(const struct mb_store *s,
                                                const char *dest,
                                                const char *id, uint64_t *top) {
  const struct mb_store__op *found = NULL;
  for (size_t i = 0; i < s->n_ops; i++) {
    const struct mb_store__op *op = &s->ops[i];
    if (!is_append_of(op, dest))
      continue;
    if (op->seq > *top)
      *top = op->seq;
    if (strcmp(op->delivery_id, id) == 0)
      found = op;
  }
  return found;
}

int mb_store_outbox_append(struct mb_store *s,
                           const struct mb_store_outbox_entry *e,
                           uint64_t *seq) {
  if (!dest_ok(e->dest) ||
      !mb_store__outbox_name_ok(e->id,
                                strnlen(e->id, MB_STORE_DELIVERY_ID_MAX + 1),
                                MB_STORE_DELIVERY_ID_MAX) ||
      (e->body == NULL && e->body_len > 0))
    return MB_EINVAL;
  if (e->body_len > MB_STORE_BODY_MAX)
    return MB_ETOOBIG;
  uint64_t last, existing;
  int rc = committed(s, e->dest, e->id, &last, &existing);
  if (rc)
    return rc;
  const struct mb_store__op *twin = staged_append(s, e->dest, e->id, &last);
  if (existing || twin) {
    if (seq != NULL)
      *seq = existing ? existing : twin->seq;
    return 1;
  }
  if (last == UINT64_MAX)
    return MB_ERANGE;
  struct mb_store_outbox_entry fresh = *e;
  fresh.attempts = 0;
  fresh.state = MB_STORE_OUTBOX_PENDING;
  fresh.reason[0] = '\0';
  size_t cap = mb_store__outbox_value_cap(e->body_len);
  uint64_t bytes = cap + MB_STORE__OUTBOX_KEY_MAX;
  if ((rc = room_for(s, bytes)) != MB_OK)
    return rc;
  struct mb_store__op *op;
  if ((rc = outbox_op(s, OP_OUTBOX_APPEND, e->dest, last + 1, cap, &op)))
    return rc;
  memcpy(op->delivery_id, e->id, strlen(e->id) + 1);
  size_t len = mb_store__outbox_encode(s->arena + op->off, cap, &fresh);
  mb_store__push(s, op, len);
  /* The bound counts what the entry will take: its key and value. */
  s->outbox_staged_bytes += len + 1 + strlen(e->dest) + 8;
  if (seq != NULL)
    *seq = op->seq;
  return 0;
}

static int stage_simple(struct mb_store *s, uint8_t kind, const char *dest,
                        uint64_t seq, int64_t when) {
  if (!dest_ok(dest) || (seq == 0 && kind != OP_OUTBOX_ACK))
    return MB_EINVAL;
  struct mb_store__op *op;
  int rc = outbox_op(s, kind, dest, seq, 0, &op);
  if (rc)
    return rc;
  op->when = when;
  mb_store__push(s, op, 0);
  return MB_OK;
}

int mb_store_outbox_attempted(struct mb_store *s, const char *dest,
                              uint64_t seq, int64_t next_attempt_ms) {
  return stage_simple(s, OP_OUTBOX_ATTEMPT, dest, seq, next_attempt_ms);
}

int mb_store_outbox_delete(struct mb_store *s, const char *dest, uint64_t seq) {
  return stage_simple(s, OP_OUTBOX_DELETE, dest, seq, 0);
}

int mb_store_outbox_ack_through(struct mb_store *s, const char *dest,
                                uint64_t seq) {
  return stage_simple(s, OP_OUTBOX_ACK, dest, seq, 0);
}

int mb_store_outbox_park(struct mb_store *s, const char *dest, uint64_t seq,
                         const char *reason) {
  if (!dest_ok(dest) || seq == 0 || reason == NULL || reason[0] == '\0' ||
      !mb_text_ok(reason, MB_STORE_PARK_REASON_MAX))
    return MB_EINVAL;
  size_t n = strlen(reason);
  struct mb_store__op *op;
  int rc = outbox_op(s, OP_OUTBOX_PARK, dest, seq, n + 1, &op);
  if (rc)
    return rc;
  memcpy(s->arena + op->off, reason, n + 1);
  mb_store__push(s, op, n + 1);
  return MB_OK;
}

/* ---- inside the commit's transaction ---- */

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
