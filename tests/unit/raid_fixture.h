/*
 * A small RAID world for the unit tests of src/raid: one replicated state,
 * the leader's planner, the leader's gossip view (one observation per
 * device) and a clock.  Every command goes through the codec and then
 * mb_raid_apply, and after every apply mb_raid_check must pass; a refused
 * command must leave the state's encoding exactly as it was.
 */
#ifndef MESHBEAT_RAID_FIXTURE_H
#define MESHBEAT_RAID_FIXTURE_H

#include "test_util.h"

#include "mb_raid.h"

#define FX_MAX_DEV 32
#define FX_GB UINT64_C(1000000000)

struct fx {
  struct mb_raid_state *s;
  /* When set, a second replica that applies every command too and must
   * answer each one alike. */
  struct mb_raid_state *replica;
  struct mb_raid_planner *p;
  struct mb_raid_params params;
  uint64_t index, now;
  size_t n_obs;
  struct mb_raid_observation obs[FX_MAX_DEV];
  /* Commands applied and refused so far, by kind. */
  uint64_t applied[16], refused[16];
  /* What the last fx_plan_apply proposed, and how many were refused. */
  size_t n_planned, n_refused;
  struct mb_raid_cmd planned[256];
};

struct fx *fx_new(void);
void fx_free(struct fx *f);
/* Device i's id: 32 bytes of value i + 1 (never all zero). */
const uint8_t *fx_id(unsigned i);
/* Adds device i (alive, incarnation 1) in a domain with that capacity, to
 * the view and, through a DEVICE_REPORT, to the ledger. */
void fx_device(struct fx *f, unsigned i, const char *domain, uint64_t capacity);
/* Applies one command (encoded and decoded on the way, as a log entry is)
 * and returns apply's code after the checks above. */
int fx_apply(struct fx *f, const struct mb_raid_cmd *c);
/* Creates an array on the listed devices; asserts it is applied. */
void fx_create(struct fx *f, const char *name, int level, unsigned data,
               unsigned parity, uint64_t size, const unsigned *devs);
/* Runs the planner at f->now and applies what it proposes; returns how
 * many commands it proposed. */
size_t fx_plan_apply(struct fx *f);
/* How many of the last plan's commands were of that kind. */
size_t fx_planned(const struct fx *f, int kind);
/* Gossip news about device i. */
void fx_dies(struct fx *f, unsigned i);
void fx_returns(struct fx *f, unsigned i);
/* The target of a live task reports `done` bytes of it. */
void fx_progress(struct fx *f, uint64_t task, uint64_t done);
/* Reports every live task finished and plans until none is live. */
void fx_finish_tasks(struct fx *f);

struct mb_raid_array_info fx_array(const struct fx *f, const char *name);
struct mb_raid_device_info fx_dev(const struct fx *f, unsigned i);
/* Live tasks, and the first one (asserts there is one). */
size_t fx_live_tasks(const struct fx *f);
struct mb_raid_task_info fx_first_live(const struct fx *f);
/* The index of the device with that id. */
unsigned fx_index_of(const uint8_t *id);

/* raid_property.c */
void raid_property_random_runs(void **state);

#endif
