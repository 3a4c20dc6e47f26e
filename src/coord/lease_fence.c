/*
 * Slot fences for task leases (lease.h).  When a task stops being live at
 * its target without being done (cancelled, moved to another target, its
 * target down, its array removed), that target may still hold a lease: for
 * at most stall_timeout_ms / 2 from the last grant, and a deposed leader
 * may go on granting it for up to an election timeout after the new
 * majority committed the end.  So no lease is granted for that slot until
 * both have passed since this voter applied the end.  Every voter keeps
 * its own fences from what it applies, so a new leader has them; one that
 * restored a snapshot (and so did not see the ends in it) fences every
 * slot for as long.
 */
#include "coord_internal.h"

#include <stdlib.h>
#include <string.h>

static uint64_t fence_len(const struct mb_coord *c) {
  return c->cfg.raft.election_timeout_ms + c->cfg.params.stall_timeout_ms / 2;
}

static bool live(const struct mb_raid_task_info *t) {
  return t->state == MB_RAID_TASK_QUEUED || t->state == MB_RAID_TASK_RUNNING;
}

void coord_lease_before_apply(struct mb_coord *c) {
  c->n_pairs = 0;
  size_t n = mb_raid_task_count(c->replica);
  for (size_t i = 0; i < n; i++) {
    struct mb_raid_task_info t;
    if (mb_raid_task_at(c->replica, i, &t) != 0 || !live(&t) ||
        coord_grow((void **)&c->pairs, &c->cap_pairs, c->n_pairs,
                   sizeof(*c->pairs)) != 0)
      continue;
    c->pairs[c->n_pairs++] = t;
  }
}

static void fence(struct mb_coord *c, const struct mb_raid_task_info *t) {
  uint64_t until = c->now + fence_len(c);
  for (size_t i = 0; i < c->n_fences; i++)
    if (c->fences[i].slot == t->slot &&
        strcmp(c->fences[i].array, t->array) == 0) {
      c->fences[i].until = until;
      return;
    }
  if (coord_grow((void **)&c->fences, &c->cap_fences, c->n_fences,
                 sizeof(*c->fences)) != 0) {
    c->fence_all_until = until; /* no memory: fence everything instead */
    return;
  }
  struct coord_fence *f = &c->fences[c->n_fences++];
  memcpy(f->array, t->array, sizeof(f->array));
  f->slot = t->slot;
  f->until = until;
}

void coord_lease_after_apply(struct mb_coord *c) {
  for (size_t i = 0; i < c->n_pairs; i++) {
    const struct mb_raid_task_info *was = &c->pairs[i];
    struct mb_raid_task_info now;
    bool same =
        mb_raid_task_find(c->replica, was->id, &now) == 0 &&
        (now.state == MB_RAID_TASK_DONE ||
         (live(&now) && memcmp(now.target, was->target, MB_RAID_ID_LEN) == 0));
    if (!same)
      fence(c, was);
  }
  c->n_pairs = 0;
}

void coord_lease_fence_all(struct mb_coord *c) {
  c->fence_all_until = c->now + fence_len(c);
}

bool coord_lease_any_fence(const struct mb_coord *c) {
  return c->n_fences > 0 || c->now < c->fence_all_until;
}

/* Until when the task's slot is fenced (0: it is not). */
static uint64_t fenced_until(struct mb_coord *c,
                             const struct mb_raid_task_info *t) {
  uint64_t until = c->now < c->fence_all_until ? c->fence_all_until : 0;
  for (size_t i = 0; i < c->n_fences; i++) {
    struct coord_fence *f = &c->fences[i];
    if (f->until <= c->now) { /* past: forget it */
      *f = c->fences[--c->n_fences];
      i--;
      continue;
    }
    if (f->slot == t->slot && strcmp(f->array, t->array) == 0 &&
        f->until > until)
      until = f->until;
  }
  return until;
}

/* While fenced, the task's target may not start, so the leader's stall
 * clock for it waits too. */
bool coord_lease_fenced(struct mb_coord *c, const struct mb_raid_task_info *t) {
  uint64_t until = fenced_until(c, t);
  if (until == 0)
    return false;
  mb_raid_planner_task_hold(c->planner, t->id, until);
  return true;
}

void coord_lease_free(struct mb_coord *c) {
  free(c->pairs);
  free(c->fences);
}
