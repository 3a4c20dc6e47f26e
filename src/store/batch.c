/*
 * Staging and committing.
 *
 * The agent stages many writes per loop iteration; each becomes an op whose
 * encoded value sits in one growable arena, and the commit applies them all
 * in one transaction, so one fsync covers the whole burst.  Before applying,
 * the ops are sorted by (members first by id, then events by sequence,
 * then the outbox's and the bridge episodes' in staging order, staging
 * order last): LMDB is fastest fed in key order, the last write to each
 * member id is then simply the last of its run, and outbox ops depend on
 * each other (an append, then an acknowledgement through it) so they keep
 * the caller's order, as do episodes (the last put or delete of a member
 * wins by being applied last).
 */
#include "store_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Bytes an encoded value adds to its payloads, generously. */
#define VALUE_OVERHEAD 64

struct tally {
  size_t applied;
  uint64_t bytes, pruned;
  int64_t outbox_delta; /* change of the outbox's committed size */
};

int mb_store__reserve(struct mb_store *s, size_t value_cap,
                      struct mb_store__op **op) {
  if (s->n_ops == s->cap_ops) {
    size_t cap = s->cap_ops ? 2 * s->cap_ops : 64;
    void *p = realloc(s->ops, cap * sizeof *s->ops);
    if (p == NULL)
      return -ENOMEM;
    s->ops = p;
    s->cap_ops = cap;
  }
  if (s->arena == NULL || s->arena_cap - s->arena_len < value_cap) {
    size_t cap = s->arena_cap ? s->arena_cap : 16384;
    while (cap - s->arena_len < value_cap)
      cap *= 2;
    void *p = realloc(s->arena, cap);
    if (p == NULL)
      return -ENOMEM;
    s->arena = p;
    s->arena_cap = cap;
  }
  *op = &s->ops[s->n_ops];
  **op = (struct mb_store__op){.order = s->n_ops, .off = s->arena_len};
  return 0;
}

void mb_store__push(struct mb_store *s, struct mb_store__op *op, size_t len) {
  op->len = len;
  s->arena_len += len;
  s->n_ops++;
}

int mb_store_member_put(struct mb_store *s, const struct mb_store_member *m) {
  if (m->state > MB_STORE_LEFT || m->record == NULL || m->record_len == 0 ||
      (m->cert == NULL) != (m->cert_len == 0))
    return MB_EINVAL;
  if (m->record_len > MB_STORE_RECORD_MAX || m->cert_len > MB_STORE_CERT_MAX)
    return MB_ETOOBIG;
  size_t cap = m->record_len + m->cert_len + VALUE_OVERHEAD;
  struct mb_store__op *op;
  int rc = mb_store__reserve(s, cap, &op);
  if (rc)
    return rc;
  op->kind = OP_MEMBER_PUT;
  memcpy(op->id, m->id, MB_STORE_ID_LEN);
  mb_store__push(s, op, mb_store__member_encode(s->arena + op->off, cap, m));
  return 0;
}

int mb_store_member_delete(struct mb_store *s,
                           const uint8_t id[MB_STORE_ID_LEN]) {
  struct mb_store__op *op;
  int rc = mb_store__reserve(s, 0, &op);
  if (rc)
    return rc;
  op->kind = OP_MEMBER_DEL;
  memcpy(op->id, id, MB_STORE_ID_LEN);
  mb_store__push(s, op, 0);
  return 0;
}

int mb_store_event_append(struct mb_store *s, const struct mb_store_event *ev,
                          uint64_t *seq) {
  if (!mb_text_ok(ev->name, sizeof ev->name))
    return MB_EINVAL;
  if (s->last_seq == UINT64_MAX)
    return MB_ERANGE;
  size_t cap = sizeof *ev + VALUE_OVERHEAD;
  struct mb_store__op *op;
  int rc = mb_store__reserve(s, cap, &op);
  if (rc)
    return rc;
  op->kind = OP_EVENT;
  op->seq = ++s->last_seq;
  mb_store__push(s, op, mb_store__event_encode(s->arena + op->off, cap, ev));
  if (seq != NULL)
    *seq = op->seq;
  return 0;
}

static int cmp_size(size_t a, size_t b) {
  return (a > b) - (a < b);
}

/* Members, then events, then the outbox and the episodes. */
static int rank(uint8_t kind) {
  switch (kind) {
  case OP_MEMBER_PUT:
  case OP_MEMBER_DEL:
    return 0;
  case OP_EVENT:
    return 1;
  default:
    return 2;
  }
}

static int op_order(const void *pa, const void *pb) {
  const struct mb_store__op *a = pa, *b = pb;
  int ra = rank(a->kind), rb = rank(b->kind);
  if (ra != rb)
    return ra < rb ? -1 : 1;
  if (ra == 1)
    return a->seq < b->seq ? -1 : a->seq > b->seq;
  int c = ra == 0 ? memcmp(a->id, b->id, MB_STORE_ID_LEN) : 0;
  return c ? c : cmp_size(a->order, b->order);
}

static bool superseded(const struct mb_store *s, size_t i) {
  const struct mb_store__op *op = &s->ops[i], *next = op + 1;
  return rank(op->kind) == 0 && i + 1 < s->n_ops && rank(next->kind) == 0 &&
         memcmp(op->id, next->id, MB_STORE_ID_LEN) == 0;
}

static int apply_op(struct mb_store *s, MDB_txn *txn,
                    const struct mb_store__op *op, struct tally *t) {
  uint8_t seq_key[8];
  MDB_val k = {MB_STORE_ID_LEN, (void *)op->id};
  MDB_val v = {op->len, s->arena + op->off};
  int rc;
  switch (op->kind) {
  case OP_MEMBER_DEL:
    rc = mdb_del(txn, s->dbi[DB_MEMBERS], &k, NULL);
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
  case OP_MEMBER_PUT:
    rc = mdb_put(txn, s->dbi[DB_MEMBERS], &k, &v, 0);
    break;
  case OP_EVENT:
    mb_store__seq_key(seq_key, op->seq);
    k = (MDB_val){sizeof seq_key, seq_key};
    /* Sequences only grow, so every event goes at the end of the tree;
     * MDB_APPEND also refuses a reused number. */
    rc = mdb_put(txn, s->dbi[DB_EVENTS], &k, &v, MDB_APPEND);
    break;
  case OP_EPISODE_PUT:
  case OP_EPISODE_DEL:
    return mb_store__episode_apply(s, txn, op, &t->bytes);
  default:
    return mb_store__outbox_apply(s, txn, op, &t->outbox_delta);
  }
  t->bytes += k.mv_size + v.mv_size;
  return rc;
}

static int64_t wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool expired(struct mb_store *s, const MDB_val *v, int64_t cutoff) {
  struct mb_store_event ev;
  if (mb_store__event_decode(v->mv_data, v->mv_size, &ev) != MB_OK) {
    s->stats.decode_errors++;
    return true; /* unreadable history is worth nothing */
  }
  return ev.time_ms < cutoff;
}

/* Drops events from the front of the log (the oldest sequence numbers) while
 * there are too many or the first is too old: a few page touches per
 * commit, whatever the log's length. */
static int prune_events(struct mb_store *s, MDB_txn *txn, struct tally *t) {
  uint64_t max = s->opt.max_events;
  int64_t age = s->opt.max_event_age_ms;
  if (max == 0 && age <= 0)
    return MDB_SUCCESS;
  int64_t cutoff = age > 0 ? wall_ms() - age : INT64_MIN;
  MDB_stat st;
  MDB_cursor *cur;
  MDB_val k, v;
  int rc = mdb_stat(txn, s->dbi[DB_EVENTS], &st);
  if (rc == MDB_SUCCESS)
    rc = mdb_cursor_open(txn, s->dbi[DB_EVENTS], &cur);
  if (rc)
    return rc;
  uint64_t n = st.ms_entries;
  while ((rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST)) == MDB_SUCCESS) {
    if (!(max && n > max) && !expired(s, &v, cutoff))
      break;
    if ((rc = mdb_cursor_del(cur, 0)) != MDB_SUCCESS)
      break;
    n--;
    t->pruned++;
  }
  mdb_cursor_close(cur);
  return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

/* An mb_store__txn_fn; may run more than once when the map grows. */
static int apply_batch(struct mb_store *s, MDB_txn *txn, void *ctx) {
  struct tally *t = ctx;
  uint64_t top_seq = 0;
  int rc = MDB_SUCCESS;
  *t = (struct tally){0};
  for (size_t i = 0; i < s->n_ops && rc == MDB_SUCCESS; i++) {
    if (superseded(s, i))
      continue;
    rc = apply_op(s, txn, &s->ops[i], t);
    t->applied++;
    if (s->ops[i].kind == OP_EVENT)
      top_seq = s->ops[i].seq;
  }
  if (rc == MDB_SUCCESS && top_seq)
    rc = mb_store__put_uint(txn, s->dbi[DB_META], "event_seq", top_seq);
  if (rc == MDB_SUCCESS)
    rc = prune_events(s, txn, t);
  return rc;
}

static uint64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void count_commit(struct mb_store_stats *st, const struct tally *t,
                         uint64_t us) {
  size_t b = 0;
  while (b + 1 < MB_STORE_LAT_BUCKETS && us > (uint64_t)1 << (b + 6))
    b++;
  st->commits++;
  st->records_written += t->applied;
  st->bytes_written += t->bytes;
  st->events_pruned += t->pruned;
  st->last_commit_us = us;
  st->sum_commit_us += us;
  if (us > st->max_commit_us)
    st->max_commit_us = us;
  st->commit_us_hist[b]++;
}

int mb_store_commit(struct mb_store *s) {
  if (s->n_ops == 0)
    return 0;
  qsort(s->ops, s->n_ops, sizeof *s->ops, op_order);
  struct tally t;
  uint64_t start = mono_us();
  int rc = mb_store__write(s, apply_batch, &t);
  if (rc) {
    s->stats.commit_errors++;
    return rc;
  }
  count_commit(&s->stats, &t, mono_us() - start);
  s->outbox_bytes = (uint64_t)((int64_t)s->outbox_bytes + t.outbox_delta);
  mb_store_discard(s);
  return t.applied > INT32_MAX ? INT32_MAX : (int)t.applied;
}

void mb_store_discard(struct mb_store *s) {
  s->n_ops = 0;
  s->arena_len = 0;
  s->outbox_staged_bytes = 0;
}

size_t mb_store_staged(const struct mb_store *s) {
  return s->n_ops;
}

void mb_store_get_stats(const struct mb_store *s, struct mb_store_stats *out) {
  *out = s->stats;
}
