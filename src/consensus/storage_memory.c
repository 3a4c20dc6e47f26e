/*
 * The in-memory storage: what the simulator and the unit tests use as a
 * server's disk.  It outlives the consensus object that writes to it, so
 * mb_consensus_free followed by mb_consensus_new on the same storage is a
 * crash and a restart with everything that was durable.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "consensus_internal.h"

struct memory {
  struct mb_consensus_storage storage; /* first: the handle given out */
  uint64_t term, vote;
  struct mb_consensus_snapshot snapshot; /* index 0: none */
  uint64_t start_index;                  /* index of entries[0] */
  struct mb_consensus_entry *entries;
  size_t n, cap;
};

static void drop_from(struct memory *m, size_t pos) {
  for (size_t i = pos; i < m->n; i++)
    free(m->entries[i].data);
  if (pos < m->n)
    m->n = pos;
}

static int mem_load(void *ctx, struct mb_consensus_durable *out) {
  struct memory *m = ctx;
  memset(out, 0, sizeof *out);
  out->term = m->term;
  out->vote = m->vote;
  out->start_index = m->start_index;
  int rc = 0;
  if (m->snapshot.index != 0) {
    out->snapshot = calloc(1, sizeof *out->snapshot);
    rc = out->snapshot == NULL
             ? -ENOMEM
             : mb_consensus__snapshot_copy(&m->snapshot, out->snapshot);
  }
  if (rc == 0 && m->n > 0 &&
      (out->entries = calloc(m->n, sizeof *out->entries)) == NULL)
    rc = -ENOMEM;
  for (size_t i = 0; rc == 0 && i < m->n; i++) {
    rc = mb_consensus__entry_copy(&m->entries[i], &out->entries[i]);
    if (rc == 0)
      out->n_entries++;
  }
  if (rc != 0)
    mb_consensus_durable_clear(out);
  return rc;
}

static int mem_set_term(void *ctx, uint64_t term) {
  struct memory *m = ctx;
  m->term = term;
  m->vote = 0;
  return 0;
}

static int mem_set_vote(void *ctx, uint64_t server_id) {
  struct memory *m = ctx;
  m->vote = server_id;
  return 0;
}

static uint64_t next_index(const struct memory *m) {
  return m->n > 0 ? m->start_index + m->n
                  : (m->snapshot.index != 0 ? m->snapshot.index + 1 : 1);
}

static int mem_append(void *ctx, uint64_t first_index,
                      const struct mb_consensus_entry *e, size_t n) {
  struct memory *m = ctx;
  if (first_index == 0 || first_index > next_index(m))
    return MB_EINVAL;
  if (m->n == 0)
    m->start_index = first_index;
  else if (first_index < m->start_index)
    return MB_EINVAL;
  drop_from(m, (size_t)(first_index - m->start_index));
  if (m->n + n > m->cap) {
    size_t cap = (m->n + n) * 2;
    void *p = realloc(m->entries, cap * sizeof *m->entries);
    if (p == NULL)
      return -ENOMEM;
    m->entries = p;
    m->cap = cap;
  }
  for (size_t i = 0; i < n; i++) {
    int rc = mb_consensus__entry_copy(&e[i], &m->entries[m->n]);
    if (rc != 0)
      return rc;
    m->n++;
  }
  return 0;
}

static int mem_truncate(void *ctx, uint64_t index) {
  struct memory *m = ctx;
  if (m->n == 0 || index >= m->start_index + m->n)
    return 0;
  drop_from(m, index <= m->start_index ? 0 : (size_t)(index - m->start_index));
  return 0;
}

/* Deletes entries up to and including index. */
static void drop_through(struct memory *m, uint64_t index) {
  if (m->n == 0 || index < m->start_index)
    return;
  size_t k = (size_t)(index - m->start_index + 1);
  if (k > m->n)
    k = m->n;
  for (size_t i = 0; i < k; i++)
    free(m->entries[i].data);
  memmove(m->entries, m->entries + k, (m->n - k) * sizeof *m->entries);
  m->n -= k;
  m->start_index += k;
}

static int mem_snapshot_put(void *ctx, const struct mb_consensus_snapshot *s,
                            uint64_t trailing) {
  struct memory *m = ctx;
  struct mb_consensus_snapshot copy;
  int rc = mb_consensus__snapshot_copy(s, &copy);
  if (rc != 0)
    return rc;
  mb_consensus_snapshot_clear(&m->snapshot);
  m->snapshot = copy;
  if (trailing < s->index)
    drop_through(m, s->index - trailing);
  return 0;
}

static int mem_snapshot_get(void *ctx, struct mb_consensus_snapshot *out) {
  struct memory *m = ctx;
  if (m->snapshot.index == 0)
    return MB_ENOENT;
  return mb_consensus__snapshot_copy(&m->snapshot, out);
}

static const struct mb_consensus_storage_ops memory_ops = {
    .load = mem_load,
    .set_term = mem_set_term,
    .set_vote = mem_set_vote,
    .append = mem_append,
    .truncate = mem_truncate,
    .snapshot_put = mem_snapshot_put,
    .snapshot_get = mem_snapshot_get,
};

struct mb_consensus_storage *mb_consensus_memory_new(void) {
  struct memory *m = calloc(1, sizeof *m);
  if (m == NULL)
    return NULL;
  m->storage.ctx = m;
  m->storage.ops = &memory_ops;
  return &m->storage;
}

void mb_consensus_memory_free(struct mb_consensus_storage *s) {
  if (s == NULL)
    return;
  struct memory *m = s->ctx;
  drop_from(m, 0);
  free(m->entries);
  mb_consensus_snapshot_clear(&m->snapshot);
  free(m);
}
