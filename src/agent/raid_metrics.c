/*
 * The RAID coordinator's Prometheus families (docs/operations.md,
 * Metrics): arrays by state and tasks by kind and state as this device
 * knows them (a voter's replica, elsewhere the leader's publication), its
 * Raft (term, commit and applied index, leader, voter, proposals), the
 * commands it applied or refused, the operators' requests it took and the
 * tasks its executor ran.
 */
#include "raid_state.h"

#define N_ARRAY_STATES 4 /* enum mb_raid_array_state */
#define N_TASK_KINDS 3   /* enum mb_raid_task_kind, from 1 */
#define N_TASK_STATES 4  /* enum mb_raid_task_state */

static void arrays(struct mb_coord *c, struct mb_prom *p) {
  uint64_t n[N_ARRAY_STATES] = {0};
  struct mb_raid_array_info ai;
  for (size_t i = 0; i < mb_coord_array_count(c); i++)
    if (mb_coord_array_at(c, i, &ai) == MB_OK && ai.state >= 0 &&
        ai.state < N_ARRAY_STATES)
      n[ai.state]++;
  mb_prom_family(p, "meshbeat_raid_arrays", "gauge",
                 "RAID arrays by state, as this device knows them.");
  for (int s = 0; s < N_ARRAY_STATES; s++) {
    struct mb_prom_label l = {"state", mb_raid_array_state_name(s)};
    mb_prom_u64(p, "meshbeat_raid_arrays", &l, 1, n[s]);
  }
}

static void tasks(struct mb_coord *c, struct mb_prom *p) {
  uint64_t n[N_TASK_KINDS][N_TASK_STATES] = {{0}};
  struct mb_raid_task_info t;
  for (size_t i = 0; i < mb_coord_task_count(c); i++)
    if (mb_coord_task_at(c, i, &t) == MB_OK && t.kind >= 1 &&
        t.kind <= N_TASK_KINDS && t.state >= 0 && t.state < N_TASK_STATES)
      n[t.kind - 1][t.state]++;
  mb_prom_family(p, "meshbeat_raid_tasks", "gauge",
                 "Reconstruction tasks by kind and state: live ones, and the "
                 "last 64 finished.");
  for (int k = 0; k < N_TASK_KINDS; k++)
    for (int s = 0; s < N_TASK_STATES; s++) {
      struct mb_prom_label l[2] = {{"kind", mb_raid_task_kind_name(k + 1)},
                                   {"state", mb_raid_task_state_name(s)}};
      mb_prom_u64(p, "meshbeat_raid_tasks", l, 2, n[k][s]);
    }
}

static void one(struct mb_prom *p, const char *name, const char *type,
                const char *help, uint64_t v) {
  mb_prom_family(p, name, type, help);
  mb_prom_u64(p, name, NULL, 0, v);
}

static void raft(struct mb_coord *c, struct mb_prom *p) {
  struct mb_coord_status st;
  mb_coord_info(c, &st);
  one(p, "meshbeat_raft_term", "gauge",
      "The Raft term this device knows (0: none yet).", st.term);
  one(p, "meshbeat_raft_commit_index", "gauge",
      "The highest Raft log index known committed.", st.commit_index);
  one(p, "meshbeat_raft_applied_index", "gauge",
      "The highest Raft log index applied to this device's replica.",
      st.applied_index);
  one(p, "meshbeat_raft_leader", "gauge",
      "1 while this device is the Raft leader (the coordinator that acts).",
      st.role == MB_COORD_LEADER);
  one(p, "meshbeat_raft_voter", "gauge",
      "1 while this device is a Raft voter (holds a replica).", st.is_voter);
  one(p, "meshbeat_raft_proposals_total", "counter",
      "Commands this device proposed as leader.", st.proposals);
  one(p, "meshbeat_raft_proposals_lost_total", "counter",
      "Proposals lost with the leadership or not applied in time.",
      st.proposals_lost);
}

static void counters(const struct agent_raid_counters *k, struct mb_prom *p) {
  static const char *const applied = "meshbeat_raid_commands_total";
  mb_prom_family(p, applied, "counter",
                 "Committed RAID commands this replica applied or refused "
                 "(refused: stale when applied, alike at every replica).");
  struct mb_prom_label ok = {"result", "applied"}, no = {"result", "refused"};
  mb_prom_u64(p, applied, &ok, 1, k->applied);
  mb_prom_u64(p, applied, &no, 1, k->refused);
  static const char *const req = "meshbeat_raid_requests_total";
  mb_prom_family(p, req, "counter",
                 "Operators' RAID requests taken here, by outcome.");
  struct mb_prom_label r[3] = {
      {"result", "submitted"}, {"result", "answered"}, {"result", "timeout"}};
  mb_prom_u64(p, req, &r[0], 1, k->requests);
  mb_prom_u64(p, req, &r[1], 1, k->answered);
  mb_prom_u64(p, req, &r[2], 1, k->timeouts);
  static const char *const run = "meshbeat_raid_executor_tasks_total";
  mb_prom_family(p, run, "counter",
                 "Tasks this device's executor started, finished or had "
                 "cancelled.");
  struct mb_prom_label e[4] = {{"result", "started"},
                               {"result", "done"},
                               {"result", "failed"},
                               {"result", "cancelled"}};
  mb_prom_u64(p, run, &e[0], 1, k->tasks_started);
  mb_prom_u64(p, run, &e[1], 1, k->tasks_done);
  mb_prom_u64(p, run, &e[2], 1, k->tasks_failed);
  mb_prom_u64(p, run, &e[3], 1, k->tasks_cancelled);
}

void agent_raid_metrics(struct agent *a, struct mb_prom *p) {
  struct agent_raid *r = a->raid;
  if (r == NULL || r->coord == NULL)
    return;
  arrays(r->coord, p);
  tasks(r->coord, p);
  raft(r->coord, p);
  counters(&r->counters, p);
}
