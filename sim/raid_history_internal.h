/*
 * Shared by the history checker's files: raid_history.c (the log, Raft
 * durability, executors, faults, verdicts) and raid_history_model.c (the
 * checker's own model of arrays, slots, tasks and the ledger).
 */
#ifndef MESHBEAT_SIM_RAID_HISTORY_INTERNAL_H
#define MESHBEAT_SIM_RAID_HISTORY_INTERNAL_H

#include "mb_raid.h"
#include "raid_history.h"

_Static_assert(RAID_HISTORY_NAME_MAX == MB_RAID_NAME_MAX,
               "task log names hold array names");

enum rh_slot { RH_UP, RH_DOWN, RH_OUT, RH_REBUILDING, RH_RESYNC };
enum rh_dev { RH_DEV_UP, RH_DEV_DOWN, RH_DEV_OUT };

struct rh_device {
  uint8_t id[RAID_HISTORY_ID_LEN];
  int state; /* enum rh_dev */
  char domain[MB_RAID_DOMAIN_MAX + 1];
  bool draining;
  bool over; /* over-committed: reported once until it is not */
  uint64_t capacity, allocated, reserved;
};

struct rh_array {
  char name[MB_RAID_NAME_MAX + 1];
  unsigned parity, n_slots;
  uint64_t slot_bytes;
  size_t holder[MB_RAID_SLOTS_MAX]; /* device index */
  uint8_t state[MB_RAID_SLOTS_MAX]; /* enum rh_slot */
  /* Up slots the array needs to take writes (one mirror copy, or data);
   * a slot that went down when fewer were left missed no write. */
  unsigned writes_need;
  bool missed_none[MB_RAID_SLOTS_MAX];
  bool failed, removed;
  bool healthy;
  uint64_t healthy_since_us;
  int array_state; /* enum mb_raid_array_state */
  uint64_t array_state_since_us;
};

struct rh_task {
  uint64_t id;
  size_t array; /* index in arrays */
  unsigned slot;
  int kind; /* enum mb_raid_task_kind */
  size_t target;
  uint64_t bytes;
};

struct rh_model {
  struct rh_device *dev;
  size_t n_dev, cap_dev;
  struct rh_array *arr;
  size_t n_arr, cap_arr;
  struct rh_task *task; /* live tasks only */
  size_t n_task, cap_task;
  uint64_t next_task_id;
  struct raid_history_counts counts;
  struct raid_history_task *log; /* every task started, for the report */
  size_t n_log, cap_log;
};

struct rh_index {
  bool seen;
  int rc;
  uint32_t node;
  uint64_t hash;
};

struct rh_entry {
  bool has;
  uint64_t term, hash;
};

struct rh_log {
  struct rh_entry *e; /* by index */
  size_t cap;
};

struct rh_config {
  uint64_t from_index;
  uint32_t *voters;
  size_t n;
};

struct rh_exec {
  uint32_t node;
  uint64_t task;
  char array[MB_RAID_NAME_MAX + 1];
  unsigned slot;
};

struct raid_history {
  uint32_t n_nodes;
  uint8_t (*ids)[RAID_HISTORY_ID_LEN];
  bool *has_id;
  struct rh_log *logs; /* per node */
  struct rh_index *applied;
  size_t cap_applied;
  uint64_t last_first_index;
  struct rh_config *cfg;
  size_t n_cfg;
  struct rh_exec *exec;
  size_t n_exec, cap_exec;
  unsigned faults_open;
  bool any_fault;
  uint64_t faults_end_us;
  struct rh_model m;
  size_t n_viol;
  struct raid_violation viol[RAID_HISTORY_KEEP];
};

__attribute__((format(printf, 4, 5))) void rh_violation(struct raid_history *h,
                                                        uint64_t t_us,
                                                        uint32_t node,
                                                        const char *fmt, ...);
/* Grows *buf (elements of size) to hold at least want; false when out of
 * memory (recorded by the caller). */
bool rh_grow(void **buf, size_t *cap, size_t want, size_t size);

/* The model: one accepted command, first applied by node at t_us. */
void rh_model_apply(struct raid_history *h, uint64_t t_us, uint32_t node,
                    const struct mb_raid_cmd *c);
void rh_model_free(struct rh_model *m);

#endif
