/*
 * The RAID coordinator every device runs (docs/raid.md, The coordinator).
 *
 * Voters run mb_consensus (Raft over SWIM_APP_RAFT payloads) whose state
 * machine is mb_raid_apply on a replica; the Raft leader plans with
 * mb_raid_plan on every view change and tick and proposes what it returns,
 * and answers operators' requests, and publishes what was applied as
 * signed records (kinds 23-25) that every member keeps.  Every device
 * keeps the published view from those records (the queries of a device
 * without a replica answer from it), learns the tasks whose target it is
 * and reports their progress for its heartbeat.
 *
 * PURE like the gossip core: no clock reads, no sockets, no libuv, no
 * direct LMDB.  Time comes in as `now` (monotonic ms) and `wall_ms`; the
 * durable Raft state goes through the storage of cfg.raft; everything to
 * do comes out of mb_coord_poll.  The agent and the simulator drive the
 * same code.
 *
 * Ownership: the config is copied (the identity, cluster text and storage
 * stay the caller's and must outlive the object).  Output bytes are valid
 * until the next call into the object.  Queries copy into plain structs.
 *
 * Errors: 0 or a negative code from MB_ERRNO_MAP (mb_common.h):
 * MB_ENOTCOORD, MB_ENOTLEADER, MB_EINVAL, MB_ERAID*, -ENOMEM.
 */
#ifndef MESHBEAT_COORD_H
#define MESHBEAT_COORD_H

#include "mb_consensus.h"
#include "mb_raid.h"
#include "swim.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mb_coord_config {
  const struct mb_identity *id; /* borrowed: signs publication records */
  const char *cluster;          /* borrowed: records' external AAD */
  struct mb_raid_params params;
  /* Timeouts, seed, storage; fsm, net and id are set by the coordinator. */
  struct mb_consensus_config raft;
  /* The initial voters by certified name: every coordinator is given the
   * same list; only those bootstrap, with exactly these members' ids
   * (sorted), once every one is in the gossip view as an alive
   * coordinator.  Empty: this device never bootstraps. */
  char voters[MB_CONSENSUS_VOTERS_MAX][MB_NAME_MAX + 1];
  size_t n_voters;
  size_t max_fragment;      /* swim_app_max() */
  uint64_t publish_until_s; /* lapse for finished tasks / removed arrays */
};

void mb_coord_config_default(struct mb_coord_config *c);

struct mb_coord;

/* NULL on a bad config or no memory. */
struct mb_coord *mb_coord_new(const struct mb_coord_config *c, uint64_t now,
                              int64_t wall_ms);
/* Also what a crash is in the simulator: the storage keeps what is
 * durable.  NULL is fine. */
void mb_coord_free(struct mb_coord *c);

/* ---- inputs ------------------------------------------------------------- */

/* The whole gossip view, self included (swim_member_get for every i). */
void mb_coord_view(struct mb_coord *c, uint64_t now, int64_t wall_ms,
                   const struct swim_member_info *members, size_t n);
/* An SWIM_OUT_APP payload. */
void mb_coord_app(struct mb_coord *c, uint64_t now,
                  const uint8_t from[MB_NODE_ID_LEN], uint8_t channel,
                  const uint8_t *payload, size_t len);
/* An SWIM_OUT_RECORD of kinds 23-25, and every one restored at start:
 * decoded into the published view (published.c), the highest version per
 * subject; anything else, or older, changes nothing.  The gossip layer
 * checked the signature and that a coordinator signed it. */
void mb_coord_record(struct mb_coord *c, uint64_t now,
                     const struct swim_record_info *info, const uint8_t *bytes,
                     size_t len);
/* The executor's progress on a task of ours (bytes done). */
void mb_coord_task_progress(struct mb_coord *c, uint64_t now, uint64_t task,
                            uint64_t done);
/* The executor finished a task: result 0 is success (progress becomes the
 * task's bytes, which the leader commits as done); otherwise the task is
 * left to the stall timeout, which reassigns it. */
void mb_coord_task_finished(struct mb_coord *c, uint64_t now, uint64_t task,
                            int result);
void mb_coord_tick(struct mb_coord *c, uint64_t now, int64_t wall_ms);
uint64_t mb_coord_next_deadline(const struct mb_coord *c);

/*
 * An operator's request: ARRAY_CREATE (the leader fills in the placement
 * with mb_raid_place), ARRAY_REMOVE or DRAIN.  0: accepted, answered later
 * by an MB_COORD_OUT_ANSWER with the same req once the command is applied
 * (or refused, or lost with the leadership: MB_ENOTLEADER).  A coordinator
 * that does not lead forwards it to the leader it knows (app channel
 * SWIM_APP_RAID_ADMIN; the leader takes forwards from coordinators only)
 * and answers with the leader's answer, or MB_ENOTLEADER when none comes
 * within four election timeouts.  At once: MB_ENOTCOORD (not a
 * coordinator), MB_ENOTLEADER (no leader known: a coordinator that is no
 * voter knows the leader its last leader record names), MB_EINVAL
 * (another kind), or the placement's error (MB_ERAIDSPACE, MB_ERAIDLEVEL,
 * at the leader).
 */
int mb_coord_request(struct mb_coord *c, uint64_t now, uint64_t req,
                     const struct mb_raid_cmd *cmd);

/* ---- outputs ------------------------------------------------------------ */

enum mb_coord_out_kind {
  MB_COORD_OUT_APP,         /* to, channel, buf/len -> swim_app_send */
  MB_COORD_OUT_RECORD,      /* buf/len: signed record -> swim_record_offer */
  MB_COORD_OUT_TASK_START,  /* task -> the executor */
  MB_COORD_OUT_TASK_CANCEL, /* task.id -> the executor */
  MB_COORD_OUT_PROGRESS,    /* progress[n_progress] -> swim_set_task_progress */
  MB_COORD_OUT_ANSWER,      /* req, rc, text */
  MB_COORD_OUT_APPLIED,     /* index, cmd, rc: logs, events, checkers */
};

struct mb_coord_output {
  enum mb_coord_out_kind kind;
  uint8_t to[MB_NODE_ID_LEN]; /* APP */
  uint8_t channel;            /* APP */
  const uint8_t *buf;         /* APP, RECORD */
  size_t len;
  struct mb_raid_task_info task; /* TASK_START, TASK_CANCEL (id) */
  struct mb_task_progress progress[MB_HB_TASKS_MAX]; /* PROGRESS */
  size_t n_progress;
  uint64_t req; /* ANSWER */
  int rc;       /* ANSWER, APPLIED */
  char text[128];
  uint64_t index;         /* APPLIED */
  struct mb_raid_cmd cmd; /* APPLIED */
};

/* 1 with *out filled, 0 when nothing is pending. */
int mb_coord_poll(struct mb_coord *c, struct mb_coord_output *out);

/* ---- queries ------------------------------------------------------------ */

struct mb_coord_voter {
  uint8_t id[MB_NODE_ID_LEN];
  char name[MB_NAME_MAX + 1];
  char domain[MB_DOMAIN_MAX + 1];
  bool alive;
};

enum mb_coord_role {
  MB_COORD_NONE = 0,     /* not a coordinator */
  MB_COORD_WAITING = 1,  /* a coordinator without Raft yet */
  MB_COORD_FOLLOWER = 2, /* Raft follower or candidate */
  MB_COORD_LEADER = 3,
};

struct mb_coord_status {
  int role; /* enum mb_coord_role */
  bool is_voter;
  uint8_t leader[MB_NODE_ID_LEN]; /* zero: none known */
  uint64_t term, commit_index, applied_index, published_index;
  struct mb_coord_voter voters[MB_CONSENSUS_VOTERS_MAX];
  size_t n_voters;
  uint64_t proposals, proposals_lost;
  /* This device holds no replica: leader, term, commit_index (the
   * leader record's index), applied_index and published_index (the
   * highest version taken) and voters come from the published records. */
  bool from_publication;
};

void mb_coord_info(const struct mb_coord *c, struct mb_coord_status *out);
/* From the replica (voters), or on a device that holds none from the
 * published records: arrays (removed ones hidden) and tasks (finished
 * ones until their records lapse); the ledger is then one row per member
 * of the gossip view, capacity/available from its heartbeat, allocated
 * and reserved from the published arrays and live tasks, state down when
 * gossip says dead or left and out when a published slot of it is out. */
size_t mb_coord_array_count(const struct mb_coord *c);
int mb_coord_array_at(const struct mb_coord *c, size_t i,
                      struct mb_raid_array_info *out);
size_t mb_coord_task_count(const struct mb_coord *c);
int mb_coord_task_at(const struct mb_coord *c, size_t i,
                     struct mb_raid_task_info *out);
size_t mb_coord_ledger_count(const struct mb_coord *c);
int mb_coord_ledger_at(const struct mb_coord *c, size_t i,
                       struct mb_raid_device_info *out);
/* NULL when this device holds no replica (not a voter). */
const struct mb_raid_state *mb_coord_replica(const struct mb_coord *c);

#endif
