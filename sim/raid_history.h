/*
 * The independent history checker of the simulated RAID coordinators
 * (docs/sim.md "RAID history checker").  The simulator's driver tells it
 * what happened, event by event, in virtual time; it keeps its OWN minimal
 * model of arrays, slots, tasks and the ledger, built from the applied
 * commands alone, and records every broken property.  It shares nothing with
 * src/raid but the command decoder (mb_raid_cmd_decode): a bug in the state
 * machine's apply, check or planner cannot hide itself here.
 *
 * Properties:
 *  - one command per index: no two nodes applied different commands (or the
 *    same command with a different outcome) at one log index;
 *  - every entry applied anywhere was durable at a majority of the voters of
 *    its configuration when it was first applied;
 *  - never two devices holding one slot (a create over a live array, a
 *    device given two slots of one array, a task finished that was not live
 *    at that target);
 *  - never two live tasks for one slot, and never two targets executing a
 *    task for one slot at the same time (from the executors' start/stop);
 *  - the ledger never over-committed: per device, the model's own sum of
 *    slot bytes held plus bytes reserved by live tasks <= the capacity its
 *    last applied DEVICE_REPORT gave;
 *  - every array whose failures stayed within its parity (never marked
 *    failed by the model) is healthy (every slot up) again within D of the
 *    end of the last fault (raid_history_finish).
 *
 * The model follows only commands applied with rc 0, in the order of their
 * first application (which is index order: whoever applies i+1 first
 * applied i before).  Task ids are assigned as the log's contract says:
 * 1, 2, ... at each accepted TASK_START.
 *
 * Ownership: raid_history_new allocates, raid_history_free releases.  Inputs
 * never fail: out of memory is itself recorded as a violation (the verdict
 * must not pass on an incomplete history).  Violations keep time, node and a
 * one-line description; the first RAID_HISTORY_KEEP are kept, all counted.
 */
#ifndef MESHBEAT_SIM_RAID_HISTORY_H
#define MESHBEAT_SIM_RAID_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RAID_HISTORY_KEEP 16
#define RAID_HISTORY_ID_LEN 32
#define RAID_HISTORY_NO_NODE UINT32_MAX

struct raid_violation {
  uint64_t t_us;
  uint32_t node; /* RAID_HISTORY_NO_NODE when no single node */
  char what[160];
};

struct raid_history;

struct raid_history *raid_history_new(uint32_t n_nodes);
void raid_history_free(struct raid_history *h);

/* The hash the driver gives for durable entries; an applied command's bytes
 * hash the same way, so the two can be matched. */
uint64_t raid_history_hash(const uint8_t *buf, size_t len);

/* Node `node` is the device with this id (the commands name ids; the
 * violations name nodes where they can). */
void raid_history_node_id(struct raid_history *h, uint32_t node,
                          const uint8_t id[RAID_HISTORY_ID_LEN]);

/* Raft side.  The voters of entries from `from_index` on (a configuration
 * entry at that index, or the bootstrap one at 1); the latest reported for
 * an index wins. */
void raid_history_voters(struct raid_history *h, uint64_t t_us,
                         uint64_t from_index, const uint32_t *voters, size_t n);
/* Node's storage made entry `index` durable (before the append returned). */
void raid_history_durable(struct raid_history *h, uint64_t t_us, uint32_t node,
                          uint64_t index, uint64_t term, uint64_t hash);
/* Node's storage dropped its entries from `index` on (a conflict). */
void raid_history_truncate(struct raid_history *h, uint64_t t_us, uint32_t node,
                           uint64_t index);
/* Node's state machine applied entry `index`: the command's bytes and what
 * mb_raid_apply returned (0 applied, else refused). */
void raid_history_applied(struct raid_history *h, uint64_t t_us, uint32_t node,
                          uint64_t index, const uint8_t *cmd, size_t len,
                          int rc);

/* Executors at targets. */
void raid_history_exec_start(struct raid_history *h, uint64_t t_us,
                             uint32_t node, uint64_t task, const char *array,
                             unsigned slot);
void raid_history_exec_stop(struct raid_history *h, uint64_t t_us,
                            uint32_t node, uint64_t task);
/* Node crashed: every task it executed stopped. */
void raid_history_exec_stop_node(struct raid_history *h, uint64_t t_us,
                                 uint32_t node);

/* Injected faults (crash, partition, loss ...): healing is judged from the
 * end of the last one. */
void raid_history_fault(struct raid_history *h, uint64_t t_us, bool begins);

/* End of the run: judges healing, within_us after the last fault ended. */
void raid_history_finish(struct raid_history *h, uint64_t t_us,
                         uint64_t within_us);

/* What the committed log did, for the raid_* counting expectations.
 * domain_misses: rebuild or move targets placed in a failure domain another
 * slot of the array holds while a device the model knows as up, not
 * draining, holding nothing of the array and with room sat in a domain the
 * array does not use (a throttled device counts as such a candidate: judge
 * it in scenarios with one reconstruction at a time). */
struct raid_history_counts {
  uint64_t rebuilds, resyncs, moves, outs, domain_misses;
};
void raid_history_counts(const struct raid_history *h,
                         struct raid_history_counts *out);
/* The array's state (enum mb_raid_array_state: healthy, degraded = a lost
 * slot without a task, rebuilding = every lost slot has one, failed) in the
 * model, and since when; -1 when no array has that name now. */
int raid_history_array_state(const struct raid_history *h, const char *name,
                             uint64_t *since_us);

/* Every task the committed log started, in start order, with how it
 * ended in the model: done (TASK_DONE), cancelled (TASK_CANCEL, or dropped
 * with its target's device down, its array failed or removed) or still
 * live at the end of the run.  For the report's pictures. */
enum raid_history_task_end {
  RAID_HISTORY_TASK_LIVE,
  RAID_HISTORY_TASK_DONE,
  RAID_HISTORY_TASK_CANCELLED
};
#define RAID_HISTORY_NAME_MAX 63 /* MB_RAID_NAME_MAX */
struct raid_history_task {
  uint64_t id;
  char array[RAID_HISTORY_NAME_MAX + 1];
  unsigned slot;
  int kind;                  /* enum mb_raid_task_kind */
  uint32_t target;           /* node, or RAID_HISTORY_NO_NODE (the first one) */
  uint32_t reassigned;       /* times TASK_REASSIGN moved it */
  uint64_t start_us, end_us; /* end_us: UINT64_MAX while live */
  enum raid_history_task_end end;
};
size_t raid_history_task_count(const struct raid_history *h);
/* The i-th task (i < count), or NULL. */
const struct raid_history_task *raid_history_task(const struct raid_history *h,
                                                  size_t i);

size_t raid_history_violation_count(const struct raid_history *h);
/* The i-th kept violation (i < min(count, RAID_HISTORY_KEEP)), or NULL. */
const struct raid_violation *
raid_history_violation(const struct raid_history *h, size_t i);

#endif
