/*
 * meshbeat consensus layer: Debian's libraft 0.15 driven through our own
 * struct raft_io (io.c).  A pure-ish state machine like the gossip core: no
 * clock reads, no sockets, no libuv.  Time comes in as `now` (monotonic ms)
 * on every call; randomness comes from a generator seeded by the config;
 * durable state goes through the storage ops below (memory here, LMDB in
 * storage_lmdb.c); messages leave through the transport as fragments no
 * larger than net.max_fragment and come back through mb_consensus_receive.
 *
 * libraft expects its I/O requests (append, send, snapshot put/get) to
 * complete asynchronously.  The storage work is done when libraft asks, but
 * the completion callbacks are queued and fired at the end of each
 * mb_consensus_* call, never inside the libraft call that requested them;
 * outgoing fragments are handed to net.send after that, also at the end.
 *
 * Ownership: the object copies the config (the fsm, storage and transport
 * contexts stay the caller's and must outlive it).  Commands passed to
 * propose are copied.  fsm.snapshot returns a malloc'd buffer that consensus
 * frees; fsm.apply and fsm.restore get buffers they must not keep.
 *
 * Errors: 0 or a negative code from MB_ERRNO_MAP (mb_common.h): MB_ENOTLEADER,
 * MB_EBUSY, MB_ERAFT (libraft refused; see the info's errmsg), MB_EINVAL,
 * MB_ENOENT, MB_ECORRUPT (storage or message that does not decode), -ENOMEM.
 */
#ifndef MESHBEAT_CONSENSUS_H
#define MESHBEAT_CONSENSUS_H

#include <stddef.h>
#include <stdint.h>

#include "mb_common.h"

struct mb_store;

/* Raft id of a node: the first 8 bytes of its node id, big-endian, 1 when
 * those are all zero (libraft reserves 0). */
uint64_t mb_consensus_id_of(const uint8_t node_id[32]);

/* ---- durable state and its storage ------------------------------------- */

struct mb_consensus_entry {
  uint64_t term;
  uint8_t type; /* libraft's RAFT_COMMAND, RAFT_BARRIER, RAFT_CHANGE */
  uint8_t *data;
  size_t len;
};

struct mb_consensus_snapshot {
  uint64_t index, term, conf_index;
  uint8_t *conf; /* raft_configuration_encode bytes */
  size_t conf_len;
  uint8_t *data;
  size_t data_len;
};

struct mb_consensus_durable {
  uint64_t term, vote;
  struct mb_consensus_snapshot *snapshot; /* NULL: none */
  uint64_t start_index;                   /* index of entries[0] */
  struct mb_consensus_entry *entries;
  size_t n_entries;
};

/* Free what load malloc'd (every pointer inside, and the snapshot struct). */
void mb_consensus_durable_clear(struct mb_consensus_durable *d);
/* Free the conf and data a snapshot_get malloc'd; the struct stays. */
void mb_consensus_snapshot_clear(struct mb_consensus_snapshot *s);

/* Every call is durable before it returns (Raft's contract with its disk).
 * Everything handed in is only borrowed; everything handed out is malloc'd
 * for the caller. */
struct mb_consensus_storage_ops {
  /* Empty store: all zero. */
  int (*load)(void *ctx, struct mb_consensus_durable *out);
  /* Also clears the vote, atomically. */
  int (*set_term)(void *ctx, uint64_t term);
  int (*set_vote)(void *ctx, uint64_t server_id);
  /* first_index is at most one past the last entry; entries from first_index
   * on are replaced. */
  int (*append)(void *ctx, uint64_t first_index,
                const struct mb_consensus_entry *e, size_t n);
  /* Deletes entries >= index. */
  int (*truncate)(void *ctx, uint64_t index);
  /* Keeps it (replacing any older one); deletes entries <= s->index -
   * trailing (none if trailing >= index). */
  int (*snapshot_put)(void *ctx, const struct mb_consensus_snapshot *s,
                      uint64_t trailing);
  /* MB_ENOENT: none; conf and data malloc'd (mb_consensus_snapshot_clear). */
  int (*snapshot_get)(void *ctx, struct mb_consensus_snapshot *out);
};

struct mb_consensus_storage {
  void *ctx;
  const struct mb_consensus_storage_ops *ops;
};

/* In-memory storage (simulator, unit tests): survives mb_consensus_free, as
 * a disk survives a crash.  NULL when out of memory. */
struct mb_consensus_storage *mb_consensus_memory_new(void);
void mb_consensus_memory_free(struct mb_consensus_storage *s);

/* LMDB storage on the agent's store (storage_lmdb.c). */
int mb_consensus_lmdb_storage(struct mb_store *st,
                              struct mb_consensus_storage *out);

/* ---- the driver's side ------------------------------------------------- */

struct mb_consensus_fsm {
  void *ctx;
  /* Each committed command once, in index order (a new object on the same
   * storage restores the last snapshot and applies from there).  The
   * return value is the command's own result (a stale RAID command is
   * refused alike at every replica): the log goes on either way. */
  int (*apply)(void *ctx, uint64_t index, const uint8_t *cmd, size_t len);
  /* malloc'd, consensus frees.  NULL with restore NULL: never snapshot. */
  int (*snapshot)(void *ctx, uint8_t **buf, size_t *len);
  int (*restore)(void *ctx, const uint8_t *buf, size_t len);
};

struct mb_consensus_transport {
  void *ctx;
  /* One datagram's payload to the server with that Raft id; best effort. */
  int (*send)(void *ctx, uint64_t to, const uint8_t *frag, size_t len);
  size_t max_fragment; /* the driver passes swim_app_max() */
};

/* Largest message (an AppendEntries batch or a snapshot, encoded) sent or
 * reassembled; a larger one is refused to libraft as RAFT_TOOBIG. */
#define MB_CONSENSUS_MESSAGE_MAX (8u << 20)
/* Smallest max_fragment: a header and enough payload that the largest
 * message needs at most 65535 fragments. */
#define MB_CONSENSUS_FRAGMENT_MIN 256
/* Voters reported by mb_consensus_get_info. */
#define MB_CONSENSUS_VOTERS_MAX 7

struct mb_consensus_config {
  uint64_t id;
  uint32_t tick_ms;              /* 100 */
  uint32_t heartbeat_timeout_ms; /* 200 */
  uint32_t election_timeout_ms;  /* 2000 */
  uint32_t snapshot_threshold;   /* 1024 */
  uint32_t snapshot_trailing;    /* 128; 0 counts as 1 */
  uint64_t seed;
  struct mb_consensus_fsm fsm;
  struct mb_consensus_storage storage;
  struct mb_consensus_transport net;
};

void mb_consensus_config_default(struct mb_consensus_config *c);

struct mb_consensus;

/* Loads the durable state and starts libraft.  NULL on a bad config,
 * unreadable storage or no memory (why: *err when err is not NULL). */
struct mb_consensus *mb_consensus_new(const struct mb_consensus_config *c,
                                      uint64_t now);
struct mb_consensus *mb_consensus_new_err(const struct mb_consensus_config *c,
                                          uint64_t now, int *err);
/* Writes the first configuration (these voters) to an empty store and
 * restarts libraft on it.  MB_EINVAL when the store is not empty or the
 * voters are not 1..MB_CONSENSUS_VOTERS_MAX distinct non-zero ids. */
int mb_consensus_bootstrap(struct mb_consensus *c, const uint64_t *voters,
                           size_t n);
/* One fragment from the server `from` (authenticated by the transport). */
void mb_consensus_receive(struct mb_consensus *c, uint64_t now, uint64_t from,
                          const uint8_t *frag, size_t len);
void mb_consensus_tick(struct mb_consensus *c, uint64_t now);
/* When mb_consensus_tick wants to be called next. */
uint64_t mb_consensus_next_deadline(const struct mb_consensus *c);
/* Appends cmd to the log if this server leads: 0 (committed and applied
 * later, or lost with the leadership: info.proposals_lost), MB_ENOTLEADER,
 * MB_EINVAL (empty or larger than a message), MB_ERAFT. */
int mb_consensus_propose(struct mb_consensus *c, uint64_t now,
                         const uint8_t *cmd, size_t len);
/* Adds new_id as a voter (it catches up first), then removes old_id: one
 * replacement at a time, MB_EBUSY while one is under way; MB_ENOTLEADER;
 * MB_EINVAL when old_id is not a voter or new_id already is one. */
int mb_consensus_replace_voter(struct mb_consensus *c, uint64_t now,
                               uint64_t old_id, uint64_t new_id);

struct mb_consensus_info {
  uint64_t id, leader, term, commit_index, last_applied;
  int role; /* 0 follower, 1 candidate, 2 leader, 3 unavailable */
  uint64_t voters[MB_CONSENSUS_VOTERS_MAX];
  size_t n_voters;
  /* Counters since mb_consensus_new. */
  uint64_t proposals_lost;    /* accepted, then lost with the leadership */
  uint64_t replacements_done; /* voter replacements completed */
  uint64_t replacements_failed;
  uint64_t fragments_dropped; /* refused by reassembly or the decoder */
  uint64_t snapshots_taken, snapshots_installed;
  int replace_busy; /* 1 while a voter replacement is under way */
};

void mb_consensus_get_info(const struct mb_consensus *c,
                           struct mb_consensus_info *out);
/* Stops libraft and frees everything; the storage keeps what was durable.
 * In the simulator this is also what a crash is.  NULL is fine. */
void mb_consensus_free(struct mb_consensus *c);

#endif
