/*
 * libraft's struct raft_fsm (version 1) over the driver's mb_consensus_fsm.
 * Ownership as libraft 0.15 has it: snapshot's buffers are raft_malloc'd
 * and libraft frees them after snapshot_put; restore's buffer becomes ours
 * on success (we free it) and stays libraft's on failure.
 */
#include <stdlib.h>
#include <string.h>

#include "consensus_internal.h"
#include "fsm.h"

/* The driver's return value is the command's own result (a RAID command
 * refused as stale is refused alike everywhere): never a failure of the
 * log, which would stall libraft on that entry forever. */
static int fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf,
                     void **result) {
  struct mb_consensus *c = fsm->data;
  /* libraft applies index last_applied + 1 and then advances it. */
  uint64_t index = c->raft.last_applied + 1;
  (void)c->cfg.fsm.apply(c->cfg.fsm.ctx, index, buf->base, buf->len);
  *result = NULL;
  return 0;
}

static int fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[],
                        unsigned *n_bufs) {
  struct mb_consensus *c = fsm->data;
  uint8_t *p = NULL;
  size_t n = 0;
  if (c->cfg.fsm.snapshot(c->cfg.fsm.ctx, &p, &n) != 0)
    return RAFT_IOERR;
  struct raft_buffer *b = raft_malloc(sizeof *b);
  void *copy = raft_malloc(n > 0 ? n : 1);
  if (b == NULL || copy == NULL) {
    raft_free(b);
    raft_free(copy);
    free(p);
    return RAFT_NOMEM;
  }
  if (n > 0)
    memcpy(copy, p, n);
  free(p);
  b->base = copy;
  b->len = n;
  *bufs = b;
  *n_bufs = 1;
  return 0;
}

static int fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf) {
  struct mb_consensus *c = fsm->data;
  if (c->cfg.fsm.restore(c->cfg.fsm.ctx, buf->base, buf->len) != 0)
    return RAFT_CORRUPT;
  raft_free(buf->base);
  return 0;
}

void mb_consensus__fsm_init(struct mb_consensus *c) {
  memset(&c->fsm, 0, sizeof c->fsm);
  c->fsm.version = 1;
  c->fsm.data = c;
  c->fsm.apply = fsm_apply;
  if (c->cfg.fsm.snapshot != NULL && c->cfg.fsm.restore != NULL) {
    c->fsm.snapshot = fsm_snapshot;
    c->fsm.restore = fsm_restore;
  }
}
