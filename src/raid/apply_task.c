/*
 * Reconstruction tasks: started with a reservation on the target, moved to
 * another target when stalled, finished by turning the reservation into the
 * slot's allocation (and releasing the old holder's), or cancelled.  Each
 * command names the target it expects, so one planned against an older
 * state is refused.
 */
#include "raid_internal.h"

#include <errno.h>
#include <string.h>

static bool reserves(const struct raid_task *t) {
  return t->kind == MB_RAID_TASK_REBUILD || t->kind == MB_RAID_TASK_MOVE;
}

bool raid_array_targets(const struct mb_raid_state *s,
                        const struct raid_array *a, const uint8_t *id) {
  for (size_t i = 0; i < s->n_task; i++) {
    const struct raid_task *t = &s->task[i];
    if (raid_task_live(t) && reserves(t) && raid_id_equal(t->target, id) &&
        strcmp(t->array, a->name) == 0)
      return true;
  }
  return false;
}

int raid_task_target_ok(const struct mb_raid_state *s,
                        const struct raid_array *a, const uint8_t *target,
                        uint64_t bytes) {
  const struct raid_device *d = raid_device_find(s, target);
  if (d == NULL)
    return MB_ERAIDDEVICE;
  if (d->state != MB_RAID_DEV_UP || d->draining ||
      raid_array_slot_of(a, target) >= 0 || raid_array_targets(s, a, target))
    return MB_ERAIDPLACE;
  return raid_device_fits(d, bytes) ? MB_OK : MB_ERAIDSPACE;
}

int raid_task_sources_ok(const struct mb_raid_state *s,
                         const struct raid_array *a,
                         const struct mb_raid_cmd *c) {
  (void)s;
  if (c->n_devices == 0 || c->n_devices > a->n_slots)
    return MB_ERAIDPLACE;
  for (unsigned i = 0; i < c->n_devices; i++) {
    int k = raid_array_slot_of(a, c->devices[i]);
    if (k < 0 || a->slots[k].state != MB_RAID_SLOT_UP)
      return MB_ERAIDPLACE;
    for (unsigned j = 0; j < i; j++)
      if (raid_id_equal(c->devices[j], c->devices[i]))
        return MB_ERAIDPLACE;
  }
  return MB_OK;
}

/* What the slot must be for a task of this kind, and where it may go. */
static int start_slot_ok(const struct mb_raid_state *s,
                         const struct raid_array *a,
                         const struct mb_raid_cmd *c) {
  const struct raid_slot *slot = &a->slots[c->slot];
  const struct raid_device *holder = raid_device_find(s, slot->device);
  switch (c->task_kind) {
  case MB_RAID_TASK_REBUILD:
    if (slot->state != MB_RAID_SLOT_OUT)
      return MB_ERAIDSTATE;
    return raid_task_target_ok(s, a, c->target, a->slot_bytes);
  case MB_RAID_TASK_MOVE:
    if (slot->state != MB_RAID_SLOT_UP)
      return MB_ERAIDSTATE;
    return raid_task_target_ok(s, a, c->target, a->slot_bytes);
  case MB_RAID_TASK_RESYNC:
    if (slot->state != MB_RAID_SLOT_DOWN || holder->state != MB_RAID_DEV_UP)
      return MB_ERAIDSTATE;
    return raid_id_equal(c->target, slot->device) ? MB_OK : MB_ERAIDPLACE;
  default:
    return MB_EINVAL;
  }
}

static int start_ok(const struct mb_raid_state *s, const struct raid_array *a,
                    const struct mb_raid_cmd *c) {
  if (a == NULL)
    return MB_ERAIDNAME;
  if (a->failed)
    return MB_ERAIDFAILED;
  if (c->slot >= a->n_slots)
    return MB_EINVAL;
  if (raid_slot_task(s, a->name, c->slot) != NULL)
    return MB_ERAIDSTATE;
  if (s->n_task >= MB_RAID_TASKS_LIVE_MAX + MB_RAID_TASK_HISTORY)
    return MB_ETOOBIG;
  int rc = start_slot_ok(s, a, c);
  return rc == MB_OK ? raid_task_sources_ok(s, a, c) : rc;
}

static void set_sources(struct raid_task *t, const struct mb_raid_cmd *c) {
  t->n_sources = c->n_devices;
  memcpy(t->sources, c->devices, sizeof t->sources);
}

int raid_apply_start(struct mb_raid_state *s, const struct mb_raid_cmd *c) {
  struct raid_array *a = raid_array_find(s, c->array);
  int rc = start_ok(s, a, c);
  if (rc != MB_OK)
    return rc;
  struct raid_task *t = raid_task_append(s);
  if (t == NULL)
    return -ENOMEM;
  memcpy(t->array, a->name, sizeof t->array);
  t->slot = c->slot;
  t->kind = c->task_kind;
  t->state = MB_RAID_TASK_QUEUED;
  memcpy(t->target, c->target, MB_RAID_ID_LEN);
  set_sources(t, c);
  t->bytes = a->slot_bytes;
  if (reserves(t))
    raid_device_find(s, t->target)->reserved += t->bytes;
  if (t->kind == MB_RAID_TASK_REBUILD)
    a->slots[t->slot].state = MB_RAID_SLOT_REBUILDING;
  else if (t->kind == MB_RAID_TASK_RESYNC)
    a->slots[t->slot].state = MB_RAID_SLOT_RESYNC;
  return MB_OK;
}

/* The live task the command names, still at the target it expects. */
static int live_at(const struct mb_raid_state *s, const struct mb_raid_cmd *c,
                   const uint8_t *expected_target, struct raid_task **out) {
  struct raid_task *t = raid_task_find(s, c->task);
  if (t == NULL || !raid_task_live(t))
    return MB_ERAIDTASK;
  if (expected_target != NULL && !raid_id_equal(t->target, expected_target))
    return MB_ERAIDSTATE;
  *out = t;
  return MB_OK;
}

int raid_apply_progress(struct mb_raid_state *s, const struct mb_raid_cmd *c) {
  struct raid_task *t;
  int rc = live_at(s, c, c->target, &t);
  if (rc != MB_OK)
    return rc;
  if (c->progress > t->bytes)
    return MB_ERANGE;
  if (c->progress <= t->progress)
    return MB_ERAIDSTATE; /* older news than what is recorded */
  t->progress = c->progress;
  t->state = MB_RAID_TASK_RUNNING;
  return MB_OK;
}

int raid_apply_done(struct mb_raid_state *s, const struct mb_raid_cmd *c) {
  struct raid_task *t;
  int rc = live_at(s, c, c->target, &t);
  if (rc != MB_OK)
    return rc;
  struct raid_array *a = raid_array_find(s, t->array);
  struct raid_slot *slot = &a->slots[t->slot];
  if (reserves(t)) {
    struct raid_device *to = raid_device_find(s, t->target);
    to->reserved -= t->bytes;
    to->allocated += t->bytes;
    raid_device_find(s, slot->device)->allocated -= a->slot_bytes;
    memcpy(slot->device, t->target, MB_RAID_ID_LEN);
  }
  slot->state = MB_RAID_SLOT_UP;
  t->progress = t->bytes;
  t->state = MB_RAID_TASK_DONE;
  return MB_OK;
}

static int reassign_ok(const struct mb_raid_state *s, const struct raid_task *t,
                       const struct mb_raid_cmd *c) {
  if (!reserves(t))
    return MB_ERAIDSTATE; /* a resync belongs to its slot's device */
  const struct raid_array *a = raid_array_find(s, t->array);
  if (raid_id_equal(c->target, t->target))
    return MB_ERAIDPLACE;
  int rc = raid_task_target_ok(s, a, c->target, t->bytes);
  return rc == MB_OK ? raid_task_sources_ok(s, a, c) : rc;
}

int raid_apply_reassign(struct mb_raid_state *s, const struct mb_raid_cmd *c) {
  struct raid_task *t;
  int rc = live_at(s, c, c->device, &t);
  if (rc == MB_OK)
    rc = reassign_ok(s, t, c);
  if (rc != MB_OK)
    return rc;
  raid_device_find(s, t->target)->reserved -= t->bytes;
  raid_device_find(s, c->target)->reserved += t->bytes;
  memcpy(t->target, c->target, MB_RAID_ID_LEN);
  set_sources(t, c);
  t->progress = 0;
  t->state = MB_RAID_TASK_QUEUED;
  return MB_OK;
}

int raid_apply_cancel(struct mb_raid_state *s, const struct mb_raid_cmd *c) {
  struct raid_task *t;
  int rc = live_at(s, c, NULL, &t);
  if (rc == MB_OK)
    raid_task_cancel(s, t);
  return rc;
}

void raid_task_cancel(struct mb_raid_state *s, struct raid_task *t) {
  struct raid_array *a = raid_array_find(s, t->array);
  if (reserves(t))
    raid_device_find(s, t->target)->reserved -= t->bytes;
  if (t->kind == MB_RAID_TASK_REBUILD)
    a->slots[t->slot].state = MB_RAID_SLOT_OUT;
  else if (t->kind == MB_RAID_TASK_RESYNC)
    a->slots[t->slot].state = MB_RAID_SLOT_DOWN;
  t->state = MB_RAID_TASK_CANCELLED;
}
