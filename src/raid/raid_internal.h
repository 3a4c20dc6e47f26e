/*
 * The RAID state's representation, shared by the files of src/raid only.
 * Devices are kept sorted by id, arrays by name, tasks by id (their order of
 * creation), so every walk is in the same order on every replica and a
 * lookup is a binary search.  allocated/reserved of each device and the
 * state of each array are kept up to date by apply; check.c recomputes
 * them from scratch and compares.
 */
#ifndef MESHBEAT_RAID_INTERNAL_H
#define MESHBEAT_RAID_INTERNAL_H

#include "mb_raid.h"

struct raid_device {
  uint8_t id[MB_RAID_ID_LEN];
  char name[MB_RAID_NAME_MAX + 1];
  char domain[MB_RAID_DOMAIN_MAX + 1];
  uint64_t capacity, available, incarnation;
  uint64_t allocated, reserved;
  uint8_t state;
  bool draining;
};

struct raid_slot {
  uint8_t device[MB_RAID_ID_LEN]; /* the holder; the old one while rebuilt */
  uint8_t state;
};

struct raid_array {
  char name[MB_RAID_NAME_MAX + 1];
  uint8_t level, data, parity, n_slots;
  uint64_t size, slot_bytes;
  uint8_t state;
  bool failed; /* sticky: once failed, always failed */
  /* Bit k: slot k is not up, but its data is current -- it went down once
   * the array could take no more writes (fewer up slots than a
   * reconstruction reads), so its device's return brings it straight
   * back up.  Cleared as soon as the array can take writes again. */
  uint32_t current;
  struct raid_slot slots[MB_RAID_SLOTS_MAX];
};

struct raid_task {
  uint64_t id;
  char array[MB_RAID_NAME_MAX + 1];
  uint8_t slot, kind, state, n_sources;
  uint8_t target[MB_RAID_ID_LEN];
  uint8_t sources[MB_RAID_SLOTS_MAX][MB_RAID_ID_LEN];
  uint64_t bytes, progress;
};

struct mb_raid_state {
  uint64_t applied, next_task_id;
  struct raid_device *dev;
  size_t n_dev, cap_dev;
  struct raid_array *arr;
  size_t n_arr, cap_arr;
  struct raid_task *task;
  size_t n_task, cap_task;
};

/* state.c: lookups return NULL when absent; inserts keep the order and
 * return NULL on ENOMEM. */
struct raid_device *raid_device_find(const struct mb_raid_state *s,
                                     const uint8_t id[MB_RAID_ID_LEN]);
struct raid_device *raid_device_insert(struct mb_raid_state *s,
                                       const uint8_t id[MB_RAID_ID_LEN]);
struct raid_array *raid_array_find(const struct mb_raid_state *s,
                                   const char *name);
struct raid_array *raid_array_insert(struct mb_raid_state *s, const char *name);
void raid_array_delete(struct mb_raid_state *s, struct raid_array *a);
struct raid_task *raid_task_find(const struct mb_raid_state *s, uint64_t id);
/* Appends (ids only grow); NULL on ENOMEM. */
struct raid_task *raid_task_append(struct mb_raid_state *s);
/* Drops finished tasks beyond MB_RAID_TASK_HISTORY, oldest first. */
void raid_task_prune(struct mb_raid_state *s);
/* The live task of a slot, or NULL. */
struct raid_task *raid_slot_task(const struct mb_raid_state *s,
                                 const char *array, unsigned slot);
bool raid_task_live(const struct raid_task *t);
/* Index of the slot on that device, or -1. */
int raid_array_slot_of(const struct raid_array *a,
                       const uint8_t id[MB_RAID_ID_LEN]);
bool raid_id_equal(const uint8_t *a, const uint8_t *b);

/* ledger.c */
uint64_t raid_slot_bytes(uint64_t size, unsigned data);
uint64_t raid_device_free(const struct raid_device *d);
/* Whether a device can take `bytes` more without passing its capacity. */
bool raid_device_fits(const struct raid_device *d, uint64_t bytes);
/* Slots that hold no current copy (down, out, rebuilding, resync). */
/* Slots whose data is given up: out, or being rebuilt elsewhere.  More
 * than the parity: failed.  (Down slots may come back with their data.) */
unsigned raid_array_lost(const struct raid_array *a);
unsigned raid_array_up(const struct raid_array *a);
/* Up slots a reconstruction reads, and so what the array needs to take
 * writes: one copy of a mirror, `data` slots otherwise. */
unsigned raid_array_sources_needed(const struct raid_array *a);
/* Recomputes a.state from its slots and tasks (failed stays failed). */
void raid_array_refresh(struct raid_array *a);

/* apply_task.c: ends a live task (done or cancelled) and releases what it
 * reserved; the slot goes back to what it was without the task. */
void raid_task_cancel(struct mb_raid_state *s, struct raid_task *t);
/* apply_array.c: marks failed every array that lost more than its parity
 * and cancels its tasks; refreshes every array's state. */
void raid_arrays_settle(struct mb_raid_state *s);

/* The apply handlers, each validating everything before changing anything. */
int raid_apply_report(struct mb_raid_state *s, const struct mb_raid_cmd *c);
int raid_apply_down(struct mb_raid_state *s, const struct mb_raid_cmd *c);
int raid_apply_up(struct mb_raid_state *s, const struct mb_raid_cmd *c);
int raid_apply_out(struct mb_raid_state *s, const struct mb_raid_cmd *c);
int raid_apply_drain(struct mb_raid_state *s, const struct mb_raid_cmd *c);
int raid_apply_create(struct mb_raid_state *s, const struct mb_raid_cmd *c);
int raid_apply_remove(struct mb_raid_state *s, const struct mb_raid_cmd *c);
int raid_apply_start(struct mb_raid_state *s, const struct mb_raid_cmd *c);
int raid_apply_progress(struct mb_raid_state *s, const struct mb_raid_cmd *c);
int raid_apply_done(struct mb_raid_state *s, const struct mb_raid_cmd *c);
int raid_apply_reassign(struct mb_raid_state *s, const struct mb_raid_cmd *c);
int raid_apply_cancel(struct mb_raid_state *s, const struct mb_raid_cmd *c);

/* Whether a live rebuild or move of the array is writing to that device
 * (which will then hold a slot of it). */
bool raid_array_targets(const struct mb_raid_state *s,
                        const struct raid_array *a, const uint8_t *id);
/* Checks a task's target and sources against the array (apply_task.c):
 * target up, not draining, holding no slot of the array and not about to,
 * room for bytes;
 * sources distinct holders of up slots. */
int raid_task_target_ok(const struct mb_raid_state *s,
                        const struct raid_array *a, const uint8_t *target,
                        uint64_t bytes);
int raid_task_sources_ok(const struct mb_raid_state *s,
                         const struct raid_array *a,
                         const struct mb_raid_cmd *c);

/* codec_util.c: an unsigned that fits 8 bits, a device id (exactly 32
 * bytes), an array of at most MB_RAID_SLOTS_MAX ids. */
int raid_cr_u8(struct mb_cbor_reader *r, uint8_t *out);
int raid_cr_id(struct mb_cbor_reader *r, uint8_t *out);
int raid_cr_ids(struct mb_cbor_reader *r, uint8_t (*out)[MB_RAID_ID_LEN],
                uint8_t *n);
void raid_cw_ids(struct mb_cbor_writer *w, const uint8_t (*ids)[MB_RAID_ID_LEN],
                 size_t n);

/* codec_state_read.c: recompute after a decode (ledger sums, array states);
 * MB_ERAIDCHECK when a slot or task names a device that does not exist. */
int raid_recount(struct mb_raid_state *s);

#endif
