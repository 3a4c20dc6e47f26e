/* The coordinator's object, shared by its files (see mb_coord.h). */
#ifndef MESHBEAT_COORD_INTERNAL_H
#define MESHBEAT_COORD_INTERNAL_H

#include "mb_coord.h"
#include "mb_wire.h"

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

/* What the leader last published of one array or live task (term and
 * index zeroed), so it publishes only what changed (publish.c). */
struct coord_sent {
  struct mb_wire_raid_array *arrays; /* by name */
  size_t n_arrays, cap_arrays;
  struct mb_wire_raid_task *tasks; /* by id */
  size_t n_tasks, cap_tasks;
  uint64_t term; /* the term it published everything in; 0: not leading */
  bool dirty;    /* an entry was applied since */
  struct mb_wire_raid_leader leader; /* the last leader record, as sent */
  /* The leader record is looked at again only when Raft applied more
   * (counts, voters and the version it needs all move with that), or
   * when a voter was not in the view yet. */
  uint64_t leader_checked; /* Raft's last applied index when looked at */
  uint64_t gain_commit;    /* Raft's commit index as the term began */
  bool leader_retry;
};

/* The view of the published records every device keeps (published.c):
 * the highest version per subject; removed arrays and finished tasks
 * stay (hidden or shown as such) until their lapse, so an older record
 * cannot bring them back meanwhile. */
struct coord_pub_array {
  struct mb_wire_raid_array w;
  int64_t until_s;
};
struct coord_pub_task {
  struct mb_wire_raid_task w;
  int64_t until_s;
};
struct coord_pub {
  struct coord_pub_array *arrays; /* by name */
  size_t n_arrays, cap_arrays;
  struct coord_pub_task *tasks; /* by id */
  size_t n_tasks, cap_tasks;
  struct mb_wire_raid_leader leader; /* term 0: none taken */
  uint64_t top;                      /* the highest version taken */
  uint64_t lapse_checked;            /* when lapsed ones were looked for */
};

struct mb_coord {
  struct mb_coord_config cfg;
  uint8_t self[MB_NODE_ID_LEN];
  uint64_t now;
  int64_t wall_ms;

  struct swim_member_info *view;
  size_t n_view, cap_view;
  const struct swim_member_info **by_id; /* view in id order */
  bool coordinator;                      /* self, as the view says */
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

  struct coord_sent sent;
  struct coord_pub pub;
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

/* coord.c: the view by node ref (first bytes of the id), and in id order. */
const struct swim_member_info *coord_member_by_ref(const struct mb_coord *c,
                                                   const uint8_t *ref);
const struct swim_member_info *
coord_member_in_id_order(const struct mb_coord *c, size_t i);

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
bool coord_lease_any_fence(const struct mb_coord *c);
bool coord_lease_fenced(struct mb_coord *c, const struct mb_raid_task_info *t);
void coord_lease_free(struct mb_coord *c);

/* publish.c: the leader's records after what was applied. */
void coord_publish_step(struct mb_coord *c);
void coord_publish_free(struct mb_coord *c);
/* The wire forms of a replica's array and task (term, index zero). */
void coord_wire_array(const struct mb_raid_array_info *a,
                      struct mb_wire_raid_array *w);
void coord_wire_task(const struct mb_raid_task_info *t,
                     struct mb_wire_raid_task *w);

/* published.c and published_query.c: the published view. */
void coord_pub_free(struct mb_coord *c);
void coord_pub_lapse(struct mb_coord *c);
/* Does this device read the published view (it holds no replica)? */
bool coord_from_publication(const struct mb_coord *c);
/* The published leader's id; NULL when none is known. */
const uint8_t *coord_pub_leader(const struct mb_coord *c);
size_t coord_pub_array_count(const struct mb_coord *c);
int coord_pub_array_at(const struct mb_coord *c, size_t i,
                       struct mb_raid_array_info *out);
size_t coord_pub_task_count(const struct mb_coord *c);
int coord_pub_task_at(const struct mb_coord *c, size_t i,
                      struct mb_raid_task_info *out);
size_t coord_pub_ledger_count(const struct mb_coord *c);
int coord_pub_ledger_at(const struct mb_coord *c, size_t i,
                        struct mb_raid_device_info *out);
void coord_pub_info(const struct mb_coord *c, struct mb_coord_status *out);

/* After every input: what consensus did, then our tasks and the plan. */
void coord_settle(struct mb_coord *c);

void coord_copy_text(char *dst, size_t cap, const char *src);
/* Makes room for element n of *v (doubling, 16 at first): 0 or -ENOMEM. */
int coord_grow(void **v, size_t *cap, size_t n, size_t size);

#endif
