/*
 * The completions libraft expects to arrive asynchronously.  Firing a
 * callback inside the libraft call that asked for the I/O would re-enter
 * libraft in the middle of its own bookkeeping (libraft's uv backend never
 * does so either), so they are queued and fired at the end of each
 * mb_consensus_* call, in the order they were asked for.  The messages
 * libraft sent during the call leave after that, so the transport is never
 * called from inside libraft.
 */
#include <errno.h>
#include <stdlib.h>

#include "consensus_internal.h"

int mb_consensus__defer(struct mb_consensus *c,
                        const struct completion *proto) {
  struct completion *d = malloc(sizeof *d);
  if (d == NULL)
    return -ENOMEM;
  *d = *proto;
  d->next = NULL;
  if (c->done_tail != NULL)
    c->done_tail->next = d;
  else
    c->done_head = d;
  c->done_tail = d;
  return 0;
}

static void fire(struct completion *d, int status) {
  switch (d->kind) {
  case DONE_SEND:
    if (d->cb.send != NULL)
      d->cb.send(d->req.send, status);
    break;
  case DONE_APPEND:
    if (d->cb.append != NULL)
      d->cb.append(d->req.append, status);
    break;
  case DONE_SNAPSHOT_PUT:
    if (d->cb.put != NULL)
      d->cb.put(d->req.put, status);
    break;
  case DONE_SNAPSHOT_GET:
    /* On failure libraft does not look at the snapshot: ours to free. */
    if (status != 0) {
      raft_configuration_close(&d->snapshot->configuration);
      raft_free(d->snapshot->bufs[0].base);
      raft_free(d->snapshot->bufs);
      raft_free(d->snapshot);
      d->snapshot = NULL;
    }
    d->cb.get(d->req.get, d->snapshot, status);
    break;
  }
}

/* One at a time from the head: a callback may queue more. */
static bool fire_next(struct mb_consensus *c, int status) {
  struct completion *d = c->done_head;
  if (d == NULL)
    return false;
  c->done_head = d->next;
  if (c->done_head == NULL)
    c->done_tail = NULL;
  fire(d, status);
  free(d);
  return true;
}

void mb_consensus__fire_all(struct mb_consensus *c, int status) {
  while (fire_next(c, status))
    ;
}

void mb_consensus__drop_outgoing(struct mb_consensus *c) {
  while (c->out_head != NULL) {
    struct outgoing *o = c->out_head;
    c->out_head = o->next;
    free(o->msg);
    free(o);
  }
  c->out_tail = NULL;
}

struct frag_target {
  struct mb_consensus *c;
  uint64_t to;
};

static int send_fragment(void *ctx, const uint8_t *frag, size_t len) {
  struct frag_target *t = ctx;
  const struct mb_consensus_transport *net = &t->c->cfg.net;
  (void)net->send(net->ctx, t->to, frag, len);
  return 0; /* best effort: Raft retries what is lost */
}

static void send_outgoing(struct mb_consensus *c) {
  while (c->out_head != NULL) {
    struct outgoing *o = c->out_head;
    c->out_head = o->next;
    if (c->out_head == NULL)
      c->out_tail = NULL;
    struct frag_target t = {c, o->to};
    uint32_t id = c->next_msg_id++;
    (void)mb_consensus__fragment(o->msg, o->len, id, c->cfg.net.max_fragment,
                                 send_fragment, &t);
    free(o->msg);
    free(o);
  }
}

void mb_consensus__flush(struct mb_consensus *c) {
  do {
    mb_consensus__fire_all(c, 0);
    mb_consensus__replace_advance(c);
  } while (c->done_head != NULL);
  send_outgoing(c);
}
