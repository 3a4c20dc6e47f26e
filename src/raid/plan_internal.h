/*
 * The planner's parts (plan*.c, planner.c): its local timers and the
 * context one mb_raid_plan call passes between the rules.
 */
#ifndef MESHBEAT_RAID_PLAN_INTERNAL_H
#define MESHBEAT_RAID_PLAN_INTERNAL_H

#include "raid_internal.h"

/* Since when this leader has seen a device down. */
struct planner_down {
  uint8_t id[MB_RAID_ID_LEN];
  uint64_t since;
};

/* A live task's last progress and when it last moved, at its target. */
struct planner_task {
  uint64_t id;
  uint8_t target[MB_RAID_ID_LEN];
  uint64_t progress, since;
};

struct mb_raid_planner {
  struct planner_down *down;
  size_t n_down;
  struct planner_task *task;
  size_t n_task;
};

struct plan_ctx {
  struct mb_raid_planner *p;
  const struct mb_raid_state *s;
  const struct mb_raid_params *params;
  uint64_t now;
  const struct mb_raid_observation **obs; /* sorted by id */
  size_t n_obs;
  struct mb_raid_cmd *out;
  size_t n_out, cap_out;
  /* Live tasks per device (index in s->dev) writing to and reading from
   * it, and in the whole mesh, counting what this call proposes. */
  unsigned *in, *from, mesh;
};

/* planner.c: brings the timers up to the state (new entries at now, gone
 * devices and tasks dropped); -ENOMEM. */
int planner_sync(struct plan_ctx *c);
struct planner_down *planner_down_of(const struct mb_raid_planner *p,
                                     const uint8_t *id);
struct planner_task *planner_task_of(const struct mb_raid_planner *p,
                                     uint64_t id);

/* plan_ctx.c */
const struct mb_raid_observation *plan_obs(const struct plan_ctx *c,
                                           const uint8_t *id);
/* Adds a command; false when the output is full. */
bool plan_emit(struct plan_ctx *c, const struct mb_raid_cmd *cmd);
/* Whether gossip sees the device alive now (observed, alive, not held). */
bool plan_alive(const struct plan_ctx *c, const uint8_t *id);
/* Index of a device in s->dev (it must exist). */
size_t plan_dev_index(const struct plan_ctx *c, const uint8_t *id);

/* The rules, in the order mb_raid_plan runs them. */
void plan_devices(struct plan_ctx *c);  /* plan_devices.c */
void plan_outs(struct plan_ctx *c);     /* plan_out.c */
void plan_progress(struct plan_ctx *c); /* plan_progress.c */
int plan_new_tasks(struct plan_ctx *c); /* plan_start.c */
/* plan_sources.c: picks sources and a target for a slot of a; false when
 * the throttles or the ledger allow none now. */
bool plan_sources(struct plan_ctx *c, const struct raid_array *a,
                  struct mb_raid_cmd *cmd);
bool plan_target(struct plan_ctx *c, const struct raid_array *a, unsigned slot,
                 const uint8_t *avoid, uint8_t *target);
/* Counts a task's target and sources in the throttles. */
void plan_count(struct plan_ctx *c, const uint8_t *target,
                const uint8_t (*sources)[MB_RAID_ID_LEN], size_t n_sources);
void plan_uncount(struct plan_ctx *c, const uint8_t *target,
                  const uint8_t (*sources)[MB_RAID_ID_LEN], size_t n_sources);

#endif
