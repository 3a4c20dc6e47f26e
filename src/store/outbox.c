/*
 * The bridge's outbox: staging its writes (outbox_apply.c applies them).
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
