/*
 * An in-process mesh of gossip cores and coordinators (mb_coord) on the
 * swim fixture's virtual clock, driven in fixed 10 ms steps in node order
 * (deterministic), each node with its own memory storage for Raft and a
 * stand-in executor that copies at a fixed rate and reports progress the
 * way the agent's does.  The first driver of src/coord.
 */
#ifndef MESHBEAT_COORD_FIXTURE_H
#define MESHBEAT_COORD_FIXTURE_H

#include "mb_coord.h"
#include "swim_fixture.h"

#define CFX_NODES 6
#define CFX_DOMAINS 3
#define CFX_STEP_MS 10
#define CFX_CAPACITY (1ull << 30)
#define CFX_EXEC_MAX 8

struct cfx_exec {
  uint64_t id, bytes, done;
  int kind;
  bool finished;
};

struct cfx {
  struct fixture fx;
  struct mb_coord_config base; /* copied for each node, voters set */
  struct mb_coord *coord[CFX_NODES];
  struct mb_consensus_storage *storage[CFX_NODES];
  uint64_t rate; /* executor bytes per second */
  struct cfx_exec exec[CFX_NODES][CFX_EXEC_MAX];
  size_t n_exec[CFX_NODES];
  uint32_t starts[CFX_NODES], cancels[CFX_NODES], progress_out[CFX_NODES];
  /* Commands each node applied successfully, by kind, and task starts by
   * task kind (so a resync is told from a rebuild). */
  uint32_t applied[CFX_NODES][16];
  uint32_t task_starts[CFX_NODES][4];
  uint32_t refused[CFX_NODES]; /* commands applied as refused (stale) */
  /* The last forwarded-request payload each node received (answers). */
  uint8_t admin_last[CFX_NODES][16];
  size_t admin_len[CFX_NODES];
  /* Publication: records each node's coordinator emitted, and how many
   * of them its gossip core refused; records (kinds 23-25) fed to each. */
  uint32_t published[CFX_NODES], publish_refused[CFX_NODES];
  uint32_t records_in[CFX_NODES];
  bool answered;
  uint64_t answer_req;
  int answer_rc;
};

/* Nodes n0..n5 in rack0..rack2 (node i in rack i % 3); n0..n4 certified
 * coordinators, n0..n2 the configured voters; capacity CFX_CAPACITY each.
 * Started and gossip converged; coordinators not yet driven. */
void cfx_init(struct cfx *c, uint64_t down_out_ms);
/* Node i's heartbeat reports `bytes` of capacity, all available. */
void cfx_set_capacity(struct cfx *c, int i, uint64_t bytes);
/* Voters (n0..n2) report half the capacity, so placement prefers the
 * other devices (publication's tests put slots and targets there). */
void cfx_prefer_non_voters(struct cfx *c);
/* Starts the coordinators of every running node. */
void cfx_start_coords(struct cfx *c);
void cfx_run(struct cfx *c, uint64_t ms);
/* Runs until pred(c, arg) or `ms` more pass; returns pred's last value. */
bool cfx_run_until(struct cfx *c, uint64_t ms,
                   bool (*pred)(struct cfx *c, void *arg), void *arg);
/* A crash: the core and the coordinator stop being driven (the storage
 * stays, as a disk does). */
void cfx_kill(struct cfx *c, int i);
/* Back with a newer incarnation, joining through a running node. */
void cfx_restart(struct cfx *c, int i);
/* The one running node whose coordinator leads (-1: none or several). */
int cfx_leader(struct cfx *c);
int cfx_node_of(const struct cfx *c, const uint8_t id[MB_NODE_ID_LEN]);
void cfx_free(struct cfx *c);
/* Predicates for cfx_run_until: one leader; an answer came. */
bool cfx_has_leader(struct cfx *c, void *arg);
bool cfx_answered(struct cfx *c, void *arg);
/* ARRAY_CREATE of a mirror of `copies` 64 MiB slots. */
struct mb_raid_cmd cfx_raid1(const char *name, unsigned copies);

#endif
