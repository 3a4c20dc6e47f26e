/*
 * The consensus layer's storage on the agent's LMDB store: struct
 * mb_consensus_storage_ops over the store's mb_store_raft_* functions
 * (src/store/raft_*.c), which commit and sync every write before they
 * return, as Raft requires.  This file only translates: the consensus
 * layer's structs to the store's, the store's borrowed pointers into
 * malloc'd copies (the store's point into LMDB's map and die with the
 * read transaction), and the store's -ENOENT for "no snapshot" into
 * MB_ENOENT.  The store's message (mb_store_errmsg) says why a call
 * failed.
 */
#include "mb_consensus.h"
#include "mb_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A malloc'd copy; never NULL on success, even for 0 bytes, so that a
 * NULL means out of memory. */
static uint8_t *copy_bytes(const uint8_t *p, size_t n) {
  uint8_t *out = malloc(n ? n : 1);
  if (out != NULL && n)
    memcpy(out, p, n);
  return out;
}

static int copy_snapshot(void *arg, const struct mb_store_raft_snapshot *sn) {
  struct mb_consensus_snapshot *out = arg;
  *out =
      (struct mb_consensus_snapshot){.index = sn->index,
                                     .term = sn->term,
                                     .conf_index = sn->conf_index,
                                     .conf = copy_bytes(sn->conf, sn->conf_len),
                                     .conf_len = sn->conf_len,
                                     .data = copy_bytes(sn->data, sn->data_len),
                                     .data_len = sn->data_len};
  if (out->conf != NULL && out->data != NULL)
    return 0;
  mb_consensus_snapshot_clear(out);
  return -ENOMEM;
}

static int lmdb_snapshot_get(void *ctx, struct mb_consensus_snapshot *out) {
  memset(out, 0, sizeof *out);
  int rc = mb_store_raft_snapshot_get(ctx, copy_snapshot, out);
  return rc == -ENOENT ? MB_ENOENT : rc;
}

struct entries {
  struct mb_consensus_durable *d;
  size_t cap;
};

static int copy_entry(void *arg, uint64_t index,
                      const struct mb_store_raft_entry *e) {
  struct entries *en = arg;
  struct mb_consensus_durable *d = en->d;
  if (d->n_entries == en->cap) {
    size_t cap = en->cap ? 2 * en->cap : 64;
    void *p = realloc(d->entries, cap * sizeof *d->entries);
    if (p == NULL)
      return -ENOMEM;
    d->entries = p;
    en->cap = cap;
  }
  if (d->n_entries == 0)
    d->start_index = index; /* the store checks the rest follow on */
  uint8_t *data = copy_bytes(e->data, e->len);
  if (data == NULL)
    return -ENOMEM;
  d->entries[d->n_entries++] = (struct mb_consensus_entry){
      .term = e->term, .type = e->type, .data = data, .len = e->len};
  return 0;
}

static int lmdb_load(void *ctx, struct mb_consensus_durable *out) {
  memset(out, 0, sizeof *out);
  int rc = mb_store_raft_meta(ctx, &out->term, &out->vote);
  if (rc == 0) {
    out->snapshot = calloc(1, sizeof *out->snapshot);
    rc =
        out->snapshot == NULL ? -ENOMEM : lmdb_snapshot_get(ctx, out->snapshot);
    if (rc == MB_ENOENT) {
      free(out->snapshot);
      out->snapshot = NULL;
      rc = 0;
    }
  }
  struct entries en = {out, 0};
  if (rc == 0)
    rc = mb_store_raft_each(ctx, copy_entry, &en);
  if (rc != 0)
    mb_consensus_durable_clear(out);
  return rc;
}

static int lmdb_set_term(void *ctx, uint64_t term) {
  return mb_store_raft_set_term(ctx, term);
}

static int lmdb_set_vote(void *ctx, uint64_t server_id) {
  return mb_store_raft_set_vote(ctx, server_id);
}

/* One call to the store, so that the whole append is one transaction. */
static int lmdb_append(void *ctx, uint64_t first_index,
                       const struct mb_consensus_entry *e, size_t n) {
  if (n == 0)
    return 0;
  struct mb_store_raft_entry *se = calloc(n, sizeof *se);
  if (se == NULL)
    return -ENOMEM;
  for (size_t i = 0; i < n; i++)
    se[i] = (struct mb_store_raft_entry){.term = e[i].term,
                                         .type = e[i].type,
                                         .data = e[i].data,
                                         .len = e[i].len};
  int rc = mb_store_raft_append(ctx, first_index, se, n);
  free(se);
  return rc;
}

static int lmdb_truncate(void *ctx, uint64_t index) {
  return mb_store_raft_truncate(ctx, index);
}

static int lmdb_snapshot_put(void *ctx, const struct mb_consensus_snapshot *s,
                             uint64_t trailing) {
  struct mb_store_raft_snapshot sn = {.index = s->index,
                                      .term = s->term,
                                      .conf_index = s->conf_index,
                                      .conf = s->conf,
                                      .conf_len = s->conf_len,
                                      .data = s->data,
                                      .data_len = s->data_len};
  return mb_store_raft_snapshot_put(ctx, &sn, trailing);
}

static const struct mb_consensus_storage_ops lmdb_ops = {
    .load = lmdb_load,
    .set_term = lmdb_set_term,
    .set_vote = lmdb_set_vote,
    .append = lmdb_append,
    .truncate = lmdb_truncate,
    .snapshot_put = lmdb_snapshot_put,
    .snapshot_get = lmdb_snapshot_get,
};

int mb_consensus_lmdb_storage(struct mb_store *st,
                              struct mb_consensus_storage *out) {
  if (st == NULL || out == NULL)
    return MB_EINVAL;
  *out = (struct mb_consensus_storage){.ctx = st, .ops = &lmdb_ops};
  return 0;
}
