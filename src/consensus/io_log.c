/*
 * The log-facing methods of our raft_io: load, append and the snapshots,
 * converting between the storage's plain structs and libraft's, with
 * libraft 0.15's ownership rules:
 *  - load: the entries array and ONE batch holding all their data are
 *    raft_malloc'd and become libraft's; so do the snapshot struct, its
 *    bufs array and data (the data passes on to the FSM's restore).
 *  - append, snapshot_put: libraft keeps its buffers until the callback;
 *    we copy them into storage before returning, so nothing is kept.
 *  - snapshot_get: the raft_snapshot (struct, conf, bufs, data) is
 *    raft_malloc'd and libraft frees it.
 * Configurations read from storage pass our bounded decoder first, since
 * libraft's own trusts its input.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "consensus_internal.h"

static struct mb_consensus *owner(struct raft_io *io) {
  return io->impl;
}

static void raft_snapshot_destroy(struct raft_snapshot *s) {
  if (s == NULL)
    return;
  raft_configuration_close(&s->configuration);
  if (s->bufs != NULL)
    raft_free(s->bufs[0].base);
  raft_free(s->bufs);
  raft_free(s);
}

int mb_consensus__snapshot_to_raft(const struct mb_consensus_snapshot *s,
                                   struct raft_snapshot **out) {
  struct raft_snapshot *r = raft_calloc(1, sizeof *r);
  if (r == NULL)
    return RAFT_NOMEM;
  raft_configuration_init(&r->configuration);
  r->index = s->index;
  r->term = s->term;
  r->configuration_index = s->conf_index;
  int rc = mb_consensus__conf_decode(s->conf, s->conf_len, &r->configuration);
  if (rc != 0) {
    raft_snapshot_destroy(r);
    return mb_consensus__raft_code(rc);
  }
  r->bufs = raft_calloc(1, sizeof *r->bufs);
  if (r->bufs != NULL)
    r->bufs[0].base = raft_malloc(s->data_len > 0 ? s->data_len : 1);
  if (r->bufs == NULL || r->bufs[0].base == NULL) {
    raft_snapshot_destroy(r);
    return RAFT_NOMEM;
  }
  if (s->data_len > 0)
    memcpy(r->bufs[0].base, s->data, s->data_len);
  r->bufs[0].len = s->data_len;
  r->n_bufs = 1;
  *out = r;
  return 0;
}

static bool entry_ok(const struct mb_consensus_entry *e) {
  if (e->type < RAFT_COMMAND || e->type > RAFT_CHANGE)
    return false;
  if (e->type != RAFT_CHANGE)
    return true;
  struct raft_configuration conf;
  raft_configuration_init(&conf);
  if (mb_consensus__conf_decode(e->data, e->len, &conf) != 0)
    return false;
  raft_configuration_close(&conf);
  return true;
}

/* What libraft's raft_start asserts, checked so that a damaged store is an
 * error and not an abort: without a snapshot the log starts at 1 with a
 * configuration; with one it leaves no gap after it. */
static bool shape_ok(const struct mb_consensus_durable *d) {
  if (d->n_entries == 0)
    return true;
  if (d->snapshot == NULL)
    return d->start_index == 1 && d->entries[0].type == RAFT_CHANGE;
  return d->start_index >= 1 && d->start_index <= d->snapshot->index + 1;
}

static int entries_to_raft(const struct mb_consensus_durable *d,
                           struct raft_entry **out) {
  *out = NULL;
  if (d->n_entries == 0)
    return 0;
  size_t total = 0;
  for (size_t i = 0; i < d->n_entries; i++) {
    if (!entry_ok(&d->entries[i]))
      return RAFT_CORRUPT;
    total += d->entries[i].len;
  }
  struct raft_entry *entries = raft_calloc(d->n_entries, sizeof *entries);
  uint8_t *batch = raft_malloc(total > 0 ? total : 1);
  if (entries == NULL || batch == NULL) {
    raft_free(entries);
    raft_free(batch);
    return RAFT_NOMEM;
  }
  size_t off = 0;
  for (size_t i = 0; i < d->n_entries; i++) {
    const struct mb_consensus_entry *e = &d->entries[i];
    if (e->len > 0)
      memcpy(batch + off, e->data, e->len);
    entries[i] = (struct raft_entry){.term = e->term,
                                     .type = e->type,
                                     .buf = {batch + off, e->len},
                                     .batch = batch};
    off += e->len;
  }
  *out = entries;
  return 0;
}

int mb_consensus__io_load(struct raft_io *io, raft_term *term,
                          raft_id *voted_for, struct raft_snapshot **snapshot,
                          raft_index *start_index, struct raft_entry *entries[],
                          size_t *n_entries) {
  struct mb_consensus *c = owner(io);
  const struct mb_consensus_storage *st = &c->cfg.storage;
  struct mb_consensus_durable d;
  int rc = st->ops->load(st->ctx, &d);
  if (rc != 0)
    return mb_consensus__raft_code(rc);
  struct raft_snapshot *snap = NULL;
  struct raft_entry *ents = NULL;
  rc = shape_ok(&d) ? 0 : RAFT_CORRUPT;
  if (rc == 0 && d.snapshot != NULL)
    rc = mb_consensus__snapshot_to_raft(d.snapshot, &snap);
  if (rc == 0)
    rc = entries_to_raft(&d, &ents);
  if (rc != 0) {
    raft_snapshot_destroy(snap);
    mb_consensus_durable_clear(&d);
    return rc;
  }
  *term = d.term;
  *voted_for = d.vote;
  *snapshot = snap;
  *entries = ents;
  *n_entries = d.n_entries;
  *start_index = d.n_entries > 0 ? d.start_index
                 : snap != NULL  ? snap->index + 1
                                 : 1;
  c->next_index = *start_index + d.n_entries;
  c->snap_index = snap != NULL ? snap->index : 0;
  c->snap_term = snap != NULL ? snap->term : 0;
  mb_consensus_durable_clear(&d);
  return 0;
}

int mb_consensus__io_append(struct raft_io *io, struct raft_io_append *req,
                            const struct raft_entry entries[], unsigned n,
                            raft_io_append_cb cb) {
  struct mb_consensus *c = owner(io);
  const struct mb_consensus_storage *st = &c->cfg.storage;
  struct mb_consensus_entry *e = calloc(n > 0 ? n : 1, sizeof *e);
  if (e == NULL)
    return RAFT_NOMEM;
  for (unsigned i = 0; i < n; i++)
    e[i] = (struct mb_consensus_entry){.term = entries[i].term,
                                       .type = (uint8_t)entries[i].type,
                                       .data = entries[i].buf.base,
                                       .len = entries[i].buf.len};
  int rc = st->ops->append(st->ctx, c->next_index, e, n);
  free(e);
  if (rc == 0)
    rc = mb_consensus__defer(c, &(struct completion){.kind = DONE_APPEND,
                                                     .req.append = req,
                                                     .cb.append = cb});
  if (rc != 0)
    return mb_consensus__raft_code(rc);
  c->next_index += n;
  return 0;
}

/* The FSM may hand a snapshot in several buffers: stored as one. */
static uint8_t *concat(const struct raft_snapshot *s, size_t *len) {
  size_t total = 0;
  for (unsigned i = 0; i < s->n_bufs; i++)
    total += s->bufs[i].len;
  uint8_t *p = malloc(total > 0 ? total : 1);
  if (p == NULL)
    return NULL;
  size_t off = 0;
  for (unsigned i = 0; i < s->n_bufs; i++) {
    if (s->bufs[i].len > 0)
      memcpy(p + off, s->bufs[i].base, s->bufs[i].len);
    off += s->bufs[i].len;
  }
  *len = total;
  return p;
}

/* trailing 0 is an installed snapshot: the whole log goes, including any
 * entries after it (libraft's in-memory log is empty after one). */
int mb_consensus__io_snapshot_put(struct raft_io *io, unsigned trailing,
                                  struct raft_io_snapshot_put *req,
                                  const struct raft_snapshot *snapshot,
                                  raft_io_snapshot_put_cb cb) {
  struct mb_consensus *c = owner(io);
  const struct mb_consensus_storage *st = &c->cfg.storage;
  struct raft_buffer conf;
  int rc = raft_configuration_encode(&snapshot->configuration, &conf);
  if (rc != 0)
    return rc;
  struct mb_consensus_snapshot s = {
      .index = snapshot->index,
      .term = snapshot->term,
      .conf_index = snapshot->configuration_index,
      .conf = conf.base,
      .conf_len = conf.len,
  };
  s.data = concat(snapshot, &s.data_len);
  rc = s.data == NULL ? -ENOMEM : st->ops->snapshot_put(st->ctx, &s, trailing);
  if (rc == 0 && trailing == 0)
    rc = st->ops->truncate(st->ctx, snapshot->index + 1);
  free(s.data);
  raft_free(conf.base);
  if (rc == 0)
    rc = mb_consensus__defer(c, &(struct completion){.kind = DONE_SNAPSHOT_PUT,
                                                     .req.put = req,
                                                     .cb.put = cb});
  if (rc != 0)
    return mb_consensus__raft_code(rc);
  c->snap_index = snapshot->index;
  c->snap_term = snapshot->term;
  if (trailing == 0) {
    c->next_index = snapshot->index + 1;
    c->counters.snapshots_installed++;
  } else {
    c->counters.snapshots_taken++;
  }
  return 0;
}

int mb_consensus__io_snapshot_get(struct raft_io *io,
                                  struct raft_io_snapshot_get *req,
                                  raft_io_snapshot_get_cb cb) {
  struct mb_consensus *c = owner(io);
  const struct mb_consensus_storage *st = &c->cfg.storage;
  struct mb_consensus_snapshot s = {0};
  int rc = st->ops->snapshot_get(st->ctx, &s);
  if (rc != 0)
    return mb_consensus__raft_code(rc);
  struct raft_snapshot *r = NULL;
  rc = mb_consensus__snapshot_to_raft(&s, &r);
  mb_consensus_snapshot_clear(&s);
  if (rc != 0)
    return rc;
  rc = mb_consensus__defer(c, &(struct completion){.kind = DONE_SNAPSHOT_GET,
                                                   .req.get = req,
                                                   .cb.get = cb,
                                                   .snapshot = r});
  if (rc != 0) {
    raft_snapshot_destroy(r);
    return mb_consensus__raft_code(rc);
  }
  return 0;
}
