/* Internal to src/consensus: the object behind mb_consensus.h, its raft_io
 * (io.c, io_log.c), the queue of deferred completions (completions.c) and
 * the voter replacement (replace.c). */
#ifndef MESHBEAT_CONSENSUS_INTERNAL_H
#define MESHBEAT_CONSENSUS_INTERNAL_H

#include <raft.h>

#include "consensus_codec.h"
#include "mb_consensus.h"

/* A libraft request whose callback waits for the end of the current
 * mb_consensus_* call. */
struct completion {
  struct completion *next;
  enum { DONE_SEND, DONE_APPEND, DONE_SNAPSHOT_PUT, DONE_SNAPSHOT_GET } kind;
  union {
    struct raft_io_send *send;
    struct raft_io_append *append;
    struct raft_io_snapshot_put *put;
    struct raft_io_snapshot_get *get;
  } req;
  union {
    raft_io_send_cb send;
    raft_io_append_cb append;
    raft_io_snapshot_put_cb put;
    raft_io_snapshot_get_cb get;
  } cb;
  struct raft_snapshot *snapshot; /* DONE_SNAPSHOT_GET */
};

/* An encoded message waiting to be fragmented onto the transport. */
struct outgoing {
  struct outgoing *next;
  uint64_t to;
  uint8_t *msg;
  size_t len;
};

/* One voter replacement: add new as spare, promote it (libraft catches it
 * up first), remove old.  Advanced between calls, never inside a libraft
 * callback. */
struct replacement {
  enum {
    REPLACE_IDLE,
    REPLACE_ADDING,
    REPLACE_PROMOTING,
    REPLACE_REMOVING
  } step;
  bool step_done; /* the current step's change callback fired */
  int step_status;
  uint64_t old_id, new_id;
  struct raft_change change;
};

struct mb_consensus {
  struct mb_consensus_config cfg;
  struct raft raft;
  struct raft_io io;
  struct raft_fsm fsm;
  bool raft_live; /* raft_init done and not yet closed */
  uint64_t now;
  struct mb_rng rng;
  char address[17];      /* our id in hex, libraft's address for us */
  char peer_address[17]; /* the sender's, during a recv callback */

  /* what raft_io start handed over */
  unsigned tick_interval;
  uint64_t next_tick;
  raft_io_tick_cb tick_cb;
  raft_io_recv_cb recv_cb;

  struct completion *done_head, *done_tail;
  struct outgoing *out_head, *out_tail;
  uint32_t next_msg_id;
  uint64_t next_index;            /* where the next appended entry goes */
  uint64_t snap_index, snap_term; /* the last snapshot stored, 0: none */
  struct mb_consensus__reasm *reasm;
  struct replacement replace;
  /* The AppendEntries being handed to libraft right now: a success it
   * answers at once reports prev_log_index + n_entries (io.c). */
  struct {
    bool active;
    uint64_t from, reach;
  } ae_in;
  struct mb_consensus_info counters; /* only the counter fields are used */
};

/* io.c: fills c->io; io_log.c: the storage-facing methods. */
void mb_consensus__io_init(struct mb_consensus *c);
int mb_consensus__io_load(struct raft_io *io, raft_term *term,
                          raft_id *voted_for, struct raft_snapshot **snapshot,
                          raft_index *start_index, struct raft_entry *entries[],
                          size_t *n_entries);
int mb_consensus__io_append(struct raft_io *io, struct raft_io_append *req,
                            const struct raft_entry entries[], unsigned n,
                            raft_io_append_cb cb);
int mb_consensus__io_snapshot_put(struct raft_io *io, unsigned trailing,
                                  struct raft_io_snapshot_put *req,
                                  const struct raft_snapshot *snapshot,
                                  raft_io_snapshot_put_cb cb);
int mb_consensus__io_snapshot_get(struct raft_io *io,
                                  struct raft_io_snapshot_get *req,
                                  raft_io_snapshot_get_cb cb);
/* A storage code as a libraft code. */
int mb_consensus__raft_code(int rc);
/* The libraft snapshot of a stored one (raft_malloc'd, conf checked). */
int mb_consensus__snapshot_to_raft(const struct mb_consensus_snapshot *s,
                                   struct raft_snapshot **out);

/* completions.c */
/* Queues a copy of *proto; -ENOMEM. */
int mb_consensus__defer(struct mb_consensus *c, const struct completion *proto);
/* The end of every mb_consensus_* call: fires every queued completion (and
 * those they queue) with status 0, advances a voter replacement, then hands
 * the queued messages to the transport. */
void mb_consensus__flush(struct mb_consensus *c);
/* Fires every queued completion with status (RAFT_CANCELED at close). */
void mb_consensus__fire_all(struct mb_consensus *c, int status);
void mb_consensus__drop_outgoing(struct mb_consensus *c);

/* replace.c */
void mb_consensus__replace_advance(struct mb_consensus *c);

/* durable.c */
int mb_consensus__entry_copy(const struct mb_consensus_entry *src,
                             struct mb_consensus_entry *dst);
int mb_consensus__snapshot_copy(const struct mb_consensus_snapshot *src,
                                struct mb_consensus_snapshot *dst);

#endif
