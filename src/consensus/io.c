/*
 * Our struct raft_io (version 1) for libraft 0.15: time is the `now` the
 * driver passed into the current call, randomness comes from the object's
 * seeded generator, messages are encoded at once and handed to the
 * transport at the end of the call, storage is written before the method
 * returns and only the completion callbacks are deferred (completions.c).
 * The log-facing methods are in io_log.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus_internal.h"

static struct mb_consensus *owner(struct raft_io *io) {
  return io->impl;
}

int mb_consensus__raft_code(int rc) {
  switch (rc) {
  case 0:
    return 0;
  case -ENOMEM:
    return RAFT_NOMEM;
  case MB_ENOENT:
    return RAFT_NOTFOUND;
  case MB_ECORRUPT:
    return RAFT_CORRUPT;
  case MB_ETOOBIG:
    return RAFT_TOOBIG;
  default:
    return RAFT_IOERR;
  }
}

static int io_init(struct raft_io *io, raft_id id, const char *address) {
  (void)io;
  (void)id;
  (void)address;
  return 0;
}

/* libraft frees its requests in their callbacks: whatever is still queued
 * is completed as cancelled before the close callback releases the log. */
static void io_close(struct raft_io *io, raft_io_close_cb cb) {
  mb_consensus__fire_all(owner(io), RAFT_CANCELED);
  if (cb != NULL)
    cb(io);
}

static int io_start(struct raft_io *io, unsigned msecs, raft_io_tick_cb tick,
                    raft_io_recv_cb recv) {
  struct mb_consensus *c = owner(io);
  unsigned interval = msecs;
  if (c->cfg.tick_ms > 0 && c->cfg.tick_ms < interval)
    interval = c->cfg.tick_ms;
  c->tick_interval = interval > 0 ? interval : 1;
  c->next_tick = c->now + c->tick_interval;
  c->tick_cb = tick;
  c->recv_cb = recv;
  return 0;
}

/* The first configuration as entry 1 of term 1.  Appended before the term
 * is set, so a crash in between leaves a log that the emptiness check of
 * mb_consensus_bootstrap refuses rather than a term without its entry. */
static int io_bootstrap(struct raft_io *io,
                        const struct raft_configuration *conf) {
  struct mb_consensus *c = owner(io);
  const struct mb_consensus_storage *st = &c->cfg.storage;
  struct mb_consensus_durable d;
  int rc = st->ops->load(st->ctx, &d);
  if (rc != 0)
    return mb_consensus__raft_code(rc);
  bool empty = d.n_entries == 0 && d.snapshot == NULL;
  mb_consensus_durable_clear(&d);
  if (!empty)
    return RAFT_CANTBOOTSTRAP;
  struct raft_buffer buf;
  rc = raft_configuration_encode(conf, &buf);
  if (rc != 0)
    return rc;
  struct mb_consensus_entry e = {
      .term = 1, .type = RAFT_CHANGE, .data = buf.base, .len = buf.len};
  rc = st->ops->append(st->ctx, 1, &e, 1);
  raft_free(buf.base);
  if (rc == 0)
    rc = st->ops->set_term(st->ctx, 1);
  return mb_consensus__raft_code(rc);
}

/* The forced configuration as the next entry of the current term. */
static int io_recover(struct raft_io *io,
                      const struct raft_configuration *conf) {
  struct mb_consensus *c = owner(io);
  const struct mb_consensus_storage *st = &c->cfg.storage;
  struct mb_consensus_durable d;
  int rc = st->ops->load(st->ctx, &d);
  if (rc != 0)
    return mb_consensus__raft_code(rc);
  uint64_t next = d.n_entries > 0      ? d.start_index + d.n_entries
                  : d.snapshot != NULL ? d.snapshot->index + 1
                                       : 1;
  uint64_t term = d.term > 0 ? d.term : 1;
  mb_consensus_durable_clear(&d);
  struct raft_buffer buf;
  rc = raft_configuration_encode(conf, &buf);
  if (rc != 0)
    return rc;
  struct mb_consensus_entry e = {
      .term = term, .type = RAFT_CHANGE, .data = buf.base, .len = buf.len};
  rc = st->ops->append(st->ctx, next, &e, 1);
  raft_free(buf.base);
  return mb_consensus__raft_code(rc);
}

static int io_set_term(struct raft_io *io, raft_term term) {
  const struct mb_consensus_storage *st = &owner(io)->cfg.storage;
  return mb_consensus__raft_code(st->ops->set_term(st->ctx, term));
}

static int io_set_vote(struct raft_io *io, raft_id server_id) {
  const struct mb_consensus_storage *st = &owner(io)->cfg.storage;
  return mb_consensus__raft_code(st->ops->set_vote(st->ctx, server_id));
}

/*
 * libraft 0.15 answers an AppendEntries it accepts without writing (a
 * heartbeat, or entries it already has) with last_log_index = its last
 * stored index, even when its log runs on past the leader's with entries
 * left from an older term.  The leader caps that at its own last index and
 * takes it as the match index: an index the follower never matched, which
 * stalls replication to it for good (rejections below the match index are
 * ignored) and could count it toward a commit.  Raft's answer is what the
 * request proved: prev_log_index + n_entries.  Seen with seed 35 of the
 * safety campaign in test_consensus.
 */
static void fix_append_result(const struct mb_consensus *c,
                              struct raft_message *m) {
  struct raft_append_entries_result *r = &m->append_entries_result;
  if (m->type == RAFT_IO_APPEND_ENTRIES_RESULT && c->ae_in.active &&
      m->server_id == c->ae_in.from && r->rejected == 0 &&
      r->last_log_index > c->ae_in.reach)
    r->last_log_index = c->ae_in.reach;
}

/* Encoded now (libraft may change or free what the message points to once
 * the callback fired), fragmented onto the transport at the end of the
 * call. */
static int io_send(struct raft_io *io, struct raft_io_send *req,
                   const struct raft_message *message, raft_io_send_cb cb) {
  struct mb_consensus *c = owner(io);
  struct outgoing *o = calloc(1, sizeof *o);
  if (o == NULL)
    return RAFT_NOMEM;
  struct raft_message m = *message;
  fix_append_result(c, &m);
  int rc = mb_consensus__message_encode(&m, &o->msg, &o->len);
  if (rc == 0)
    rc = mb_consensus__defer(c, &(struct completion){.kind = DONE_SEND,
                                                     .req.send = req,
                                                     .cb.send = cb});
  if (rc != 0) {
    free(o->msg);
    free(o);
    return mb_consensus__raft_code(rc);
  }
  o->to = message->server_id;
  if (c->out_tail != NULL)
    c->out_tail->next = o;
  else
    c->out_head = o;
  c->out_tail = o;
  return 0;
}

static int io_truncate(struct raft_io *io, raft_index index) {
  struct mb_consensus *c = owner(io);
  const struct mb_consensus_storage *st = &c->cfg.storage;
  int rc = st->ops->truncate(st->ctx, index);
  if (rc == 0 && index < c->next_index)
    c->next_index = index;
  return mb_consensus__raft_code(rc);
}

static raft_time io_time(struct raft_io *io) {
  return owner(io)->now;
}

static int io_random(struct raft_io *io, int min, int max) {
  if (max <= min)
    return min;
  uint64_t span = (uint64_t)((int64_t)max - min);
  return min + (int)mb_rng_below(&owner(io)->rng, span);
}

void mb_consensus__io_init(struct mb_consensus *c) {
  memset(&c->io, 0, sizeof c->io);
  c->io.version = 1;
  c->io.impl = c;
  c->io.init = io_init;
  c->io.close = io_close;
  c->io.load = mb_consensus__io_load;
  c->io.start = io_start;
  c->io.bootstrap = io_bootstrap;
  c->io.recover = io_recover;
  c->io.set_term = io_set_term;
  c->io.set_vote = io_set_vote;
  c->io.send = io_send;
  c->io.append = mb_consensus__io_append;
  c->io.truncate = io_truncate;
  c->io.snapshot_put = mb_consensus__io_snapshot_put;
  c->io.snapshot_get = mb_consensus__io_snapshot_get;
  c->io.time = io_time;
  c->io.random = io_random;
  c->tick_cb = NULL;
  c->recv_cb = NULL;
}
