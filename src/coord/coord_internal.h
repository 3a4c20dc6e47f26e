/* The coordinator's object, shared by its files (see mb_coord.h). */
#ifndef MESHBEAT_COORD_INTERNAL_H
#define MESHBEAT_COORD_INTERNAL_H

#include "mb_coord.h"

/* The leader plans again at least this often (the planner's timers: down
 * since, stall) even when nothing in the view changed. */
#define COORD_PLAN_EVERY_MS 500
/* A progress report rides the heartbeat, which every call re-signs and
 * the whole mesh relays: at most one a second. */
#define COORD_PROGRESS_EVERY_MS 1000
/* Commands the leader proposes from one plan. */
#define COORD_PLAN_MAX 32

struct coord_out_item {
  struct mb_coord_output o;
  uint8_t *owned; /* o.buf's bytes, freed once polled past */
};

/* A command proposed and not yet seen applied (or refused). */
struct coord_proposal {
  uint8_t bytes[MB_RAID_CMD_MAX];
  size_t len;
  uint64_t at;
  bool has_req;
  uint64_t req;
  bool forwarded; /* the request came from origin over the app channel */
  uint8_t origin[MB_NODE_ID_LEN];
};

/* A request this coordinator forwarded to the leader, awaiting its answer. */
struct coord_forward {
  uint64_t req, at;
};

/* A task whose target is this device, as the executor runs it: started
 * once the leader's lease arrives, given up (abandoned) when the lease
 * runs out (lease.h). */
struct coord_local_task {
  uint64_t id, bytes, done;
  struct mb_raid_task_info info; /* what TASK_START hands the executor */
  bool started, abandoned;
  uint64_t lease_until;
};

/* No lease for this slot until then (lease_fence.c). */
struct coord_fence {
  char array[MB_RAID_NAME_MAX + 1];
  unsigned slot;
  uint64_t until;
};

struct mb_coord {
  struct mb_coord_config cfg;
  uint8_t self[MB_NODE_ID_LEN];
  uint64_t now;
  int64_t wall_ms;

  struct swim_member_info *view;
  size_t n_view, cap_view;
  bool coordinator; /* self, as the view says */
  char self_name[MB_NAME_MAX + 1];

  struct mb_consensus *raft; /* NULL until this device is a coordinator */
  bool bootstrap_settled;    /* bootstrapped, or the store already held Raft */
  struct mb_raid_state *replica;
  struct mb_raid_planner *planner;
  bool was_leader;

  struct coord_proposal *props;
  size_t n_props, cap_props;
  uint64_t lost_seen; /* consensus info.proposals_lost already handled */
  uint64_t proposals;
  bool replan;
  uint64_t next_plan;

  struct coord_forward *fwd;
  size_t n_fwd, cap_fwd;

  struct coord_out_item *out;
  size_t n_out, head_out, cap_out;
  uint8_t *polled; /* bytes of the output last polled */

  struct coord_local_task tasks[MB_HB_TASKS_MAX];
  size_t n_tasks;
  bool tasks_stale;     /* the replica changed: learn our tasks again */
  bool progress_dirty;  /* the heartbeat's list is out of date */
  bool progress_sent;   /* ever */
  uint64_t progress_at; /* when last sent */

  uint64_t next_ask;               /* this target asks for its leases then */
  struct mb_raid_task_info *pairs; /* live tasks before an apply */
  size_t n_pairs, cap_pairs;
  struct coord_fence *fences;
  size_t n_fences, cap_fences;
  uint64_t fence_all_until; /* after a snapshot: every slot */
};

/* outputs.c */
void coord_push(struct mb_coord *c, const struct mb_coord_output *o,
                const uint8_t *buf, size_t len);
void coord_answer(struct mb_coord *c, uint64_t req, int rc);
void coord_outputs_free(struct mb_coord *c);

/* raft.c */
void coord_raft_start(struct mb_coord *c);
void coord_raft_bootstrap(struct mb_coord *c);
const struct swim_member_info *coord_member_by_raft_id(const struct mb_coord *c,
                                                       uint64_t id);
const struct swim_member_info *coord_member(const struct mb_coord *c,
                                            const uint8_t id[MB_NODE_ID_LEN]);
bool coord_is_leader(const struct mb_coord *c);

/* leader.c */
void coord_leader_step(struct mb_coord *c);
void coord_leader_applied(struct mb_coord *c, const uint8_t *cmd, size_t len,
                          int rc);
void coord_leader_check(struct mb_coord *c);
/* Proposes cmd; a request's (has_req) answer goes to origin when not
 * NULL (forwarded), else out of this coordinator. */
int coord_propose(struct mb_coord *c, const struct mb_raid_cmd *cmd,
                  bool has_req, uint64_t req, const uint8_t *origin);
/* An operator's request at the leader: placed and proposed, or why not. */
int coord_leader_accept(struct mb_coord *c, const struct mb_raid_cmd *cmd,
                        uint64_t req, const uint8_t *origin);
/* How long a proposal or a forwarded request may wait for its outcome. */
uint64_t coord_patience(const struct mb_coord *c);

/* replace.c */
void coord_leader_replace(struct mb_coord *c);

/* forward.c */
int coord_forward_request(struct mb_coord *c, uint64_t req,
                          const struct mb_raid_cmd *cmd);
void coord_forward_receive(struct mb_coord *c, const uint8_t *from,
                           const uint8_t *payload, size_t len);
void coord_forward_answer(struct mb_coord *c, const uint8_t *to, uint64_t req,
                          int rc);
void coord_forward_expire(struct mb_coord *c);

/* tasks.c */
void coord_tasks_learn(struct mb_coord *c);
void coord_progress_flush(struct mb_coord *c);
long coord_local_task_find(const struct mb_coord *c, uint64_t id);

/* lease.c */
struct coord_lease_msg;
void coord_lease_ask(struct mb_coord *c);
void coord_lease_request(struct mb_coord *c,
                         const struct swim_member_info *from,
                         const struct coord_lease_msg *req);
void coord_lease_granted(struct mb_coord *c, const struct coord_lease_msg *m);
void coord_lease_receive(struct mb_coord *c,
                         const struct swim_member_info *from,
                         const uint8_t *payload, size_t len);
void coord_lease_expire(struct mb_coord *c);
void coord_lease_hold(struct mb_coord *c);
uint64_t coord_lease_deadline(const struct mb_coord *c);

/* lease_fence.c */
void coord_lease_before_apply(struct mb_coord *c);
void coord_lease_after_apply(struct mb_coord *c);
void coord_lease_fence_all(struct mb_coord *c);
bool coord_lease_fenced(struct mb_coord *c, const struct mb_raid_task_info *t);
void coord_lease_free(struct mb_coord *c);

/* After every input: what consensus did, then our tasks and the plan. */
void coord_settle(struct mb_coord *c);

void coord_copy_text(char *dst, size_t cap, const char *src);

#endif
