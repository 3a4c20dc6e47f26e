/*
 * The RAID coordinators run inside the simulator (docs/sim.md "RAID"): every
 * running node drives its own mb_coord (src/coord/mb_coord.h) exactly as the
 * agent does -- its core's whole view after a step that changed it, every
 * SWIM_OUT_APP payload, every SWIM_OUT_RECORD of kinds 23-25, a tick at
 * mb_coord_next_deadline on the node's clock -- and hands what comes out to
 * its core (APP, RECORD, PROGRESS), to a built-in executor (TASK_START,
 * TASK_CANCEL), to the scenario's requests (ANSWER) and to the independent
 * history checker (APPLIED; sim/raid_history.h).
 *
 * Raft's storage is one mb_consensus_memory_new per node, kept across
 * crashes (a crash is mb_coord_free and the executor dropped; a restart is
 * mb_coord_new on the same storage), behind a wrapper that tells the
 * history checker every entry made durable and every truncation.
 *
 * Files: raid.c (life and driving), raid_store.c (the storage wrapper),
 * raid_exec.c (the executor), raid_request.c (operators' requests),
 * raid_expect.c (verdicts, summary, report).
 *
 * Ownership: sim_raid_new allocates everything hung on s->raid;
 * sim_raid_free releases it.  Errors go through sim_fail.
 */
#ifndef MESHBEAT_SIM_RAID_H
#define MESHBEAT_SIM_RAID_H

#include "mb_coord.h"
#include "raid_history.h"
#include "sim.h"

#include <jansson.h>

/* A node's core view is given to its coordinator at most this often: a
 * join storm changes every view thousands of times a second, and the agent's
 * pump coalesces the same way (the RAID decisions work in seconds). */
#define SIM_RAID_VIEW_EVERY_US 100000u
/* The core emits changes of members' states, not of their payloads
 * (capacity, draining, tasks' progress), which the leader plans from: the
 * coordinator that leads is also given its view this often (its planner's
 * own period, COORD_PLAN_EVERY_MS).  Others read nothing of a payload that
 * they act on. */
#define SIM_RAID_REFRESH_US 500000u
/* The built-in executor reports progress this often (virtual time). */
#define SIM_RAID_EXEC_STEP_US 1000000u
/* An operator retries a request refused for want of a leader this often,
 * this many times (`meshbeat raid create` in a loop, as scripts do). */
#define SIM_RAID_RETRY_US 2000000u
#define SIM_RAID_RETRIES 60
/* The executor's rate without a `raid executor rate` line. */
#define SIM_RAID_DEFAULT_RATE (100ull << 20)

/* The storage wrapper's context: where a node's durable writes go. */
struct sim_raid_store {
  struct sim *s;
  uint32_t node;
  struct mb_consensus_storage *inner; /* the memory storage, kept */
};

/* One task the executor of a node runs. */
struct sim_raid_exec {
  uint64_t id, bytes, done;
  char array[MB_RAID_NAME_MAX + 1];
  unsigned slot;
};

struct sim_raid_node {
  struct mb_coord *coord; /* NULL while the node does not run */
  struct mb_identity id;  /* borrowed by the coordinator */
  struct sim_raid_store store;
  uint64_t capacity; /* what its device reports; 0 none */
  uint32_t lives;    /* coordinators made: seeds each one's Raft */
  uint32_t tick_gen, view_gen, exec_gen;
  uint64_t tick_at; /* virtual time of the live tick event, or NEVER */
  bool view_pending;
  uint64_t view_at;   /* of the pending view event */
  uint64_t view_last; /* when it was last given its view */
  bool exec_armed;
  size_t n_exec, cap_exec;
  struct sim_raid_exec *exec;
};

/* An operator's request of the scenario (one per device for drain). */
struct sim_raid_req {
  uint32_t action; /* index of the scenario action */
  uint64_t id;     /* the req given to mb_coord_request */
  struct mb_raid_cmd cmd;
  uint32_t asked; /* the coordinator asked last, or SIM_NONE */
  uint32_t tries;
  bool pending; /* waiting for an ANSWER */
  bool done;    /* answered for good */
  int rc;       /* the last answer */
  uint64_t at, answered_at;
};

/* What the run did, beside the history checker's model. */
struct sim_raid_counts {
  uint64_t views, ticks, apps_in, records_in, apps_out, app_send_errors;
  uint64_t records_out, record_refusals, progress_out;
  uint64_t applied, refused_applies, task_starts, task_cancels, tasks_finished;
  uint64_t exec_bytes;
  uint64_t durable_entries, truncations;
};

struct sim_raid {
  struct mb_coord_config base; /* copied for each node */
  struct raid_history *hist;
  struct sim_raid_node *node;
  uint32_t voters[MB_CONSENSUS_VOTERS_MAX]; /* node indexes, ascending */
  size_t n_voters;
  uint64_t rate;
  struct swim_member_info *view; /* scratch [n] */
  size_t n_reqs, cap_reqs;
  struct sim_raid_req *reqs;
  uint64_t next_req_id;
  int *sampled;            /* [n_expects]: raid_state at T, -2 not yet */
  size_t history_viol;     /* violations before healing was judged */
  size_t *healing_viol;    /* [n_expects]: added by each healing verdict */
  uint64_t last_action_us; /* of the file's actions, for `within D` */
  bool fault_open;         /* the checker was told a fault began */
  uint32_t crashed_leader; /* by `crash raid leader`, or SIM_NONE */
  uint64_t timeline_index; /* the last index written to the timeline */
  struct sim_raid_counts c;
};

/* Whether the scenario runs the coordinators: any raid line. */
bool sim_raid_wanted(const struct scenario *scn);
/* Sets the coordinators' names in s->cfg (before any core exists) and
 * builds everything else. */
int sim_raid_new(struct sim *s);
void sim_raid_free(struct sim *s);

/* Node i's core is new (start, restart wipe): its device's capacity goes
 * into its record before it joins. */
void sim_raid_core_new(struct sim *s, uint32_t i);
/* Node i runs again (start, restart): a coordinator on its storage. */
void sim_raid_up(struct sim *s, uint32_t i);
/* Node i crashed or left: coordinator freed, executor dropped. */
void sim_raid_down(struct sim *s, uint32_t i);
/* `crash raid leader` (crash): the running node whose coordinator leads
 * now; `restart raid leader`: the last node crashed so.  SIM_NONE if none. */
uint32_t sim_raid_leader_target(struct sim *s, bool crash);
/* Node i thawed: its coordinator's timer runs again. */
void sim_raid_thaw(struct sim *s, uint32_t i);

/* From sim_node_drain, while polling node i's core. */
void sim_raid_app(struct sim *s, uint32_t i, const struct swim_output *o);
void sim_raid_record(struct sim *s, uint32_t i, const struct swim_output *o);
/* After the poll: the view changed (events), and whatever the app or
 * record inputs made the coordinator want done. */
void sim_raid_after_core(struct sim *s, uint32_t i, bool view_changed);

/* Events (SIM_EV_RAID_*). */
void sim_raid_tick_event(struct sim *s, uint32_t i, uint32_t gen);
void sim_raid_view_event(struct sim *s, uint32_t i, uint32_t gen);
void sim_raid_exec_event(struct sim *s, uint32_t i, uint32_t gen);
void sim_raid_sample_event(struct sim *s, uint32_t expect);
void sim_raid_retry_event(struct sim *s, uint32_t req);

/* Polls node i's coordinator and hands out everything (raid.c). */
void sim_raid_drain(struct sim *s, uint32_t i);
/* (Re)schedules node i's coordinator tick at its deadline. */
void sim_raid_arm(struct sim *s, uint32_t i);

/* raid_store.c: the wrapper's storage for node i. */
void sim_raid_store_init(struct sim *s, uint32_t i,
                         struct mb_consensus_storage *out);

/* raid_exec.c */
void sim_raid_exec_start(struct sim *s, uint32_t i,
                         const struct mb_raid_task_info *t);
void sim_raid_exec_cancel(struct sim *s, uint32_t i, uint64_t task);
void sim_raid_exec_drop(struct sim *s, uint32_t i);

/* raid_request.c: a `raid create|remove|drain|undrain` action. */
int sim_raid_action(struct sim *s, uint32_t action);
void sim_raid_answer(struct sim *s, uint32_t i, uint64_t req, int rc);
/* Node i's coordinator is gone: its pending requests are asked again. */
void sim_raid_requests_lost(struct sim *s, uint32_t i);

/* raid_faults.c: the network or a node changed (faults.c): the checker
 * hears when the faults open and close; a crash or restart is a fault of
 * an instant.  No-ops without coordinators. */
void sim_raid_fault_sync(struct sim *s);
void sim_raid_fault_instant(struct sim *s);

/* raid_expect.c: verdicts (measure: have, value, note), the summary and
 * the report's `raid` object. */
void sim_raid_finish(struct sim *s);
void sim_raid_measure(const struct sim *s, size_t expect, bool *have, double *v,
                      char *note, size_t note_cap);
void sim_raid_summary(const struct sim *s, FILE *out);
json_t *sim_raid_json(const struct sim *s);

#endif
