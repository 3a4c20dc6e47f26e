/*
 * The RAID coordinator in the agent (docs/raid.md, The coordinator; docs/
 * design.md, The agent's layout): an mb_coord driven as one core of the
 * pump, its Raft on the agent's LMDB store, its tasks run by the executor
 * (executor.h), its operators' requests answered later through the admin
 * socket's deferred answers.  For the agent's files alone.
 *
 *   raid_core.c     the core: made at start, fed (view, app payloads,
 *                   records), ticked, stopped and freed
 *   raid_outputs.c  the coordinator's outputs routed: app payloads and
 *                   records to the gossip core, tasks to the executor,
 *                   progress to our heartbeat, answers, applied commands
 *   raid_exec.c     tasks to the executor and its progress back
 *   raid_pending.c  requests waiting for their answers
 *   raid_drain.c    drain and undrain as signed instructions
 *   raid_events.c   arrays' and tasks' changes as events and log lines
 *   sink_raid.c     the gossip core's events and RAID records, in
 *   raid_commands.c raid create/remove/drain/list/show, tasks, ledger,
 *                   coordinator (the admin commands)
 *   raid_json.c     the coordinator's queries as JSON
 *   raid_metrics.c  its Prometheus families
 *
 * Ownership: the agent owns the object (a->raid); the coordinator, the
 * executor and the view buffer are its.  The executor is closed at the
 * stop (agent_raid_stop), the coordinator freed after the loop
 * (agent_raid_free), before the store closes.
 */
#ifndef MESHBEAT_AGENT_RAID_STATE_H
#define MESHBEAT_AGENT_RAID_STATE_H

#include "agent_state.h"
#include "executor.h"
#include "mb_coord.h"

/* How often the coordinator is given the whole view when no membership
 * event asked for it: capacity, available space and task progress change
 * in heartbeats the gossip core reports no event for. */
#define AGENT_RAID_VIEW_MS 500
/* An operator's request the coordinator has not answered by then is
 * answered with a timeout error (the coordinator itself gives up on a
 * forward after four election timeouts, 8 s by default). */
#define AGENT_RAID_ANSWER_MS 15000
#define AGENT_RAID_PENDING_MAX 32

struct agent_raid_seen;

/* A request waiting for the coordinator's answer. */
struct agent_raid_pending {
  uint64_t req;   /* mb_coord_request's; 0: a free entry */
  uint64_t token; /* the admin socket's deferred answer */
  uint64_t due;   /* monotonic ms: answered with a timeout then */
  bool watch;     /* not the coordinator's request: answered once the
                     ledger shows cmd done (a drain, raid_drain.c) */
  struct mb_raid_cmd cmd;
};

/* Counted for the metrics since start. */
struct agent_raid_counters {
  uint64_t applied, refused;             /* commands applied / refused */
  uint64_t requests, answered, timeouts; /* operators' requests */
  uint64_t tasks_started, tasks_cancelled, tasks_done, tasks_failed;
};

struct agent_raid {
  struct agent *a;
  struct mb_coord *coord;
  struct agent_executor *x; /* NULL once closed */
  struct agent_core core;
  struct swim_member_info *view;
  size_t cap_view;
  bool view_dirty; /* a membership event since the last feed */
  bool input;      /* an app payload or record since the last flush */
  bool changed;    /* applied or published: arrays and tasks compared */
  struct agent_raid_seen *seen; /* raid_events.c: as last compared */
  uint64_t view_due;
  bool draining, drain_again; /* raid_outputs.c: re-entry guard */
  bool stopping;
  int role;                        /* as last logged */
  uint8_t leader[MB_NODE_ID_LEN];  /* as last logged */
  void (*closed)(struct agent *a); /* agent_raid_close's */
  uint64_t next_req;
  struct agent_raid_pending pending[AGENT_RAID_PENDING_MAX];
  struct agent_raid_counters counters;
};

/* raid_core.c */
int agent_raid_open(struct agent *a);
/* Leaving: no more ticks, pending requests answered, the executor's
 * tasks cancelled (hooks get SIGTERM). */
void agent_raid_stop(struct agent *a);
/* Calls then(a) once the executor has closed (at once when it has). */
void agent_raid_close(struct agent *a, void (*then)(struct agent *a));
/* After the loop, before the store closes. */
void agent_raid_free(struct agent *a);
/* After an input to the coordinator: its outputs routed, the pump
 * re-armed. */
void agent_raid_flush(struct agent *a);
/* The gossip view changed (a membership event): given to the coordinator
 * at the next tick. */
void agent_raid_view_changed(struct agent *a);

/* raid_pending.c: cmd to the coordinator as an operator's request of the
 * admin command running now: MB_ADMIN_DEFERRED (answered later), or
 * why not with err filled. */
int agent_raid_submit(struct agent_raid *r, const struct mb_raid_cmd *cmd,
                      struct mb_admin_error *err);
/* Defers the admin command running now until the ledger shows cmd (a
 * DRAIN) done: MB_ADMIN_DEFERRED, or busy.  _watch answers those done. */
int agent_raid_wait_for(struct agent_raid *r, const struct mb_raid_cmd *cmd,
                        struct mb_admin_error *err);
void agent_raid_watch(struct agent_raid *r);
/* raid_drain.c: a drain or undrain of m as a signed instruction, the
 * answer deferred until the ledger shows it; _done: does it? */
int agent_raid_drain(struct agent_raid *r, const struct swim_member_info *m,
                     bool on, struct mb_admin_error *err);
bool agent_raid_drain_done(struct agent_raid *r, const struct mb_raid_cmd *c);
/* A coordinator's code (and text) as the admin API's error. */
int agent_raid_error(struct agent *a, int rc, const char *text,
                     struct mb_admin_error *err);

/* raid_outputs.c: routes everything the coordinator has queued. */
void agent_raid_route(struct agent_raid *r);
/* raid_pending.c: the answer (0 or a negative code, text) to pending
 * request req; pending requests due by now get a timeout error (returns
 * the earliest due left). */
void agent_raid_answer(struct agent_raid *r, uint64_t req, int rc,
                       const char *text);
uint64_t agent_raid_expire(struct agent_raid *r, uint64_t now);

/* raid_exec.c */
int agent_raid_exec_open(struct agent_raid *r);
void agent_raid_task_start(struct agent_raid *r,
                           const struct mb_raid_task_info *t);
void agent_raid_task_cancel(struct agent_raid *r, uint64_t task);

/* raid_events.c: the arrays' and tasks' changes since the last call, to
 * the events stream, the log and the bridge; _free at the end. */
void agent_raid_events(struct agent_raid *r);
void agent_raid_events_free(struct agent_raid *r);

/* raid_json.c: a member's name by id ("" when unknown), then the
 * coordinator's queries as the admin API shows them. */
void agent_raid_name_of(struct agent *a, const uint8_t id[MB_NODE_ID_LEN],
                        char *out, size_t cap);
json_t *agent_raid_array_json(struct agent *a,
                              const struct mb_raid_array_info *ai);
json_t *agent_raid_task_json(struct agent *a,
                             const struct mb_raid_task_info *t);
json_t *agent_raid_arrays_json(struct agent *a);
json_t *agent_raid_tasks_json(struct agent *a, const char *array);
json_t *agent_raid_ledger_json(struct agent *a);
json_t *agent_raid_coordinator_json(struct agent *a);

/* raid_json.c: the arrays and tasks now, malloc'd (empty lists when the
 * coordinator is gone), for the bridge's view. */
struct agent_raid_snapshot {
  struct mb_raid_array_info *arrays;
  size_t n_arrays;
  struct mb_raid_task_info *tasks;
  size_t n_tasks;
};
int agent_raid_snapshot(struct agent *a, struct agent_raid_snapshot *out);
void agent_raid_snapshot_free(struct agent_raid_snapshot *s);

/* raid_commands.c: the admin commands (commands.c's table). */
#define AGENT_RAID_COMMAND(name)                                               \
  int agent_cmd_##name(void *ctx, const json_t *req, json_t **result,          \
                       struct mb_admin_error *err)
AGENT_RAID_COMMAND(raid_create);
AGENT_RAID_COMMAND(raid_remove);
AGENT_RAID_COMMAND(raid_drain);
AGENT_RAID_COMMAND(raid_undrain);
AGENT_RAID_COMMAND(raid_list);
AGENT_RAID_COMMAND(raid_show);
AGENT_RAID_COMMAND(tasks);
AGENT_RAID_COMMAND(ledger);
AGENT_RAID_COMMAND(coordinator);

/* raid_metrics.c */
void agent_raid_metrics(struct agent *a, struct mb_prom *p);

#endif
