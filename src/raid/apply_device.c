/*
 * Commands about one device: its ledger row, down, up, out, drain.  A
 * device is down when gossip saw it dead (its slots go down at once), up
 * again only with a newer incarnation (a new life, not a stale message),
 * out only from down (its down slots then out, to be rebuilt elsewhere).
 */
#include "raid_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int raid_apply_report(struct mb_raid_state *s, const struct mb_raid_cmd *c) {
  if (!mb_text_ok(c->name, MB_RAID_NAME_MAX + 1) ||
      !mb_text_ok(c->domain, MB_RAID_DOMAIN_MAX + 1))
    return MB_EINVAL;
  struct raid_device *d = raid_device_find(s, c->device);
  if (d != NULL && d->allocated + d->reserved > c->capacity)
    return MB_ERAIDSPACE; /* it would be committed past its capacity */
  if (d == NULL) {
    if (s->n_dev >= MB_RAID_DEVICES_MAX)
      return MB_ETOOBIG;
    d = raid_device_insert(s, c->device);
    if (d == NULL)
      return -ENOMEM;
    d->state = MB_RAID_DEV_UP;
    d->incarnation = c->incarnation;
  }
  snprintf(d->name, sizeof d->name, "%s", c->name);
  snprintf(d->domain, sizeof d->domain, "%s", c->domain);
  d->capacity = c->capacity;
  d->available = c->available;
  return MB_OK;
}

/* Tasks that cannot go on without this device: those writing to it, and
 * moves reading the slot it holds. */
static bool task_needs(const struct mb_raid_state *s, const struct raid_task *t,
                       const uint8_t *id) {
  if (raid_id_equal(t->target, id))
    return true;
  if (t->kind != MB_RAID_TASK_MOVE)
    return false;
  const struct raid_array *a = raid_array_find(s, t->array);
  return a != NULL && raid_id_equal(a->slots[t->slot].device, id);
}

/* Slots of every array held by id in state `from` go to state `to`. */
static void slots_move(struct mb_raid_state *s, const uint8_t *id, uint8_t from,
                       uint8_t to) {
  for (size_t i = 0; i < s->n_arr; i++) {
    int k = raid_array_slot_of(&s->arr[i], id);
    if (k >= 0 && s->arr[i].slots[k].state == from)
      s->arr[i].slots[k].state = to;
  }
}

/* Its up slots go down; one that leaves an array too few up slots to take
 * writes keeps current data (raid_array.current). */
static void slots_down(struct mb_raid_state *s, const uint8_t *id) {
  for (size_t i = 0; i < s->n_arr; i++) {
    struct raid_array *a = &s->arr[i];
    int k = raid_array_slot_of(a, id);
    if (k < 0 || a->slots[k].state != MB_RAID_SLOT_UP)
      continue;
    a->slots[k].state = MB_RAID_SLOT_DOWN;
    if (raid_array_up(a) < raid_array_sources_needed(a))
      a->current |= UINT32_C(1) << k;
  }
}

/* Its down slots that hold current data are up again at once. */
static void current_slots_up(struct mb_raid_state *s, const uint8_t *id) {
  for (size_t i = 0; i < s->n_arr; i++) {
    struct raid_array *a = &s->arr[i];
    int k = raid_array_slot_of(a, id);
    if (k < 0 || a->slots[k].state != MB_RAID_SLOT_DOWN ||
        !(a->current & (UINT32_C(1) << k)))
      continue;
    a->slots[k].state = MB_RAID_SLOT_UP;
    a->current &= ~(UINT32_C(1) << k);
  }
}

int raid_apply_down(struct mb_raid_state *s, const struct mb_raid_cmd *c) {
  struct raid_device *d = raid_device_find(s, c->device);
  if (d == NULL)
    return MB_ERAIDDEVICE;
  if (d->state != MB_RAID_DEV_UP || c->incarnation < d->incarnation)
    return MB_ERAIDSTATE;
  d->state = MB_RAID_DEV_DOWN;
  d->incarnation = c->incarnation;
  for (size_t i = 0; i < s->n_task; i++)
    if (raid_task_live(&s->task[i]) && task_needs(s, &s->task[i], c->device))
      raid_task_cancel(s, &s->task[i]);
  slots_down(s, c->device);
  return MB_OK;
}

int raid_apply_up(struct mb_raid_state *s, const struct mb_raid_cmd *c) {
  struct raid_device *d = raid_device_find(s, c->device);
  if (d == NULL)
    return MB_ERAIDDEVICE;
  /* The same incarnation may come back: gossip takes a member seen dead
   * back when it is heard from again (a partition's far side), and only
   * a refutation it hears of bumps the number. */
  if (d->state == MB_RAID_DEV_UP || c->incarnation < d->incarnation)
    return MB_ERAIDSTATE;
  /* Its down slots stay down until a resync task has caught them up; out
   * slots not yet being rebuilt elsewhere are resynced too, which copies
   * less than a rebuild and heals a mesh with no other room.  A slot that
   * missed no write (it left once the array could take none) is up at
   * once: there is nothing to catch up, and nothing up to catch up from. */
  d->state = MB_RAID_DEV_UP;
  d->incarnation = c->incarnation;
  slots_move(s, c->device, MB_RAID_SLOT_OUT, MB_RAID_SLOT_DOWN);
  current_slots_up(s, c->device);
  return MB_OK;
}

int raid_apply_out(struct mb_raid_state *s, const struct mb_raid_cmd *c) {
  struct raid_device *d = raid_device_find(s, c->device);
  if (d == NULL)
    return MB_ERAIDDEVICE;
  if (d->state != MB_RAID_DEV_DOWN)
    return MB_ERAIDSTATE;
  d->state = MB_RAID_DEV_OUT;
  slots_move(s, c->device, MB_RAID_SLOT_DOWN, MB_RAID_SLOT_OUT);
  return MB_OK;
}

int raid_apply_drain(struct mb_raid_state *s, const struct mb_raid_cmd *c) {
  struct raid_device *d = raid_device_find(s, c->device);
  if (d == NULL)
    return MB_ERAIDDEVICE;
  if (d->draining == c->on)
    return MB_ERAIDSTATE;
  d->draining = c->on;
  return MB_OK;
}
