/*
 * Arrays: created with the placement the proposer chose (checked again
 * here against the ledger as it is now), removed with everything they hold,
 * and marked failed once they have lost more slots than their parity.
 */
#include "raid_internal.h"

#include <errno.h>
#include <string.h>

/* The placement must still be valid: devices known, up, not draining,
 * distinct, each with room for one slot. */
static int placement_ok(const struct mb_raid_state *s,
                        const struct mb_raid_cmd *c, uint64_t slot_bytes) {
  for (unsigned i = 0; i < c->n_devices; i++) {
    const struct raid_device *d = raid_device_find(s, c->devices[i]);
    if (d == NULL)
      return MB_ERAIDDEVICE;
    if (d->state != MB_RAID_DEV_UP || d->draining)
      return MB_ERAIDPLACE;
    for (unsigned j = 0; j < i; j++)
      if (raid_id_equal(c->devices[j], c->devices[i]))
        return MB_ERAIDPLACE;
    if (!raid_device_fits(d, slot_bytes))
      return MB_ERAIDSPACE;
  }
  return MB_OK;
}

static int create_ok(const struct mb_raid_state *s,
                     const struct mb_raid_cmd *c) {
  if (c->array[0] == '\0' || !mb_text_ok(c->array, MB_RAID_NAME_MAX + 1) ||
      c->size == 0)
    return MB_EINVAL;
  if (raid_array_find(s, c->array) != NULL)
    return MB_ERAIDEXISTS;
  if (s->n_arr >= MB_RAID_ARRAYS_MAX)
    return MB_ETOOBIG;
  int rc = mb_raid_level_check(c->level, c->data, c->parity);
  if (rc == MB_OK && c->n_devices != c->data + c->parity)
    rc = MB_ERAIDLEVEL;
  if (rc == MB_OK)
    rc = placement_ok(s, c, raid_slot_bytes(c->size, c->data));
  return rc;
}

int raid_apply_create(struct mb_raid_state *s, const struct mb_raid_cmd *c) {
  int rc = create_ok(s, c);
  if (rc != MB_OK)
    return rc;
  struct raid_array *a = raid_array_insert(s, c->array);
  if (a == NULL)
    return -ENOMEM;
  a->level = c->level;
  a->data = c->data;
  a->parity = c->parity;
  a->size = c->size;
  a->slot_bytes = raid_slot_bytes(c->size, c->data);
  a->n_slots = c->n_devices;
  for (unsigned i = 0; i < a->n_slots; i++) {
    memcpy(a->slots[i].device, c->devices[i], MB_RAID_ID_LEN);
    a->slots[i].state = MB_RAID_SLOT_UP;
    raid_device_find(s, c->devices[i])->allocated += a->slot_bytes;
  }
  a->state = MB_RAID_ARRAY_HEALTHY;
  return MB_OK;
}

static void cancel_tasks_of(struct mb_raid_state *s, const char *name) {
  for (size_t i = 0; i < s->n_task; i++) {
    struct raid_task *t = &s->task[i];
    if (raid_task_live(t) && strcmp(t->array, name) == 0)
      raid_task_cancel(s, t);
  }
}

int raid_apply_remove(struct mb_raid_state *s, const struct mb_raid_cmd *c) {
  struct raid_array *a = raid_array_find(s, c->array);
  if (a == NULL)
    return MB_ERAIDNAME;
  cancel_tasks_of(s, a->name);
  for (unsigned i = 0; i < a->n_slots; i++)
    raid_device_find(s, a->slots[i].device)->allocated -= a->slot_bytes;
  raid_array_delete(s, a);
  return MB_OK;
}

void raid_arrays_settle(struct mb_raid_state *s) {
  for (size_t i = 0; i < s->n_arr; i++) {
    struct raid_array *a = &s->arr[i];
    if (raid_array_up(a) >= raid_array_sources_needed(a))
      a->current = 0; /* it takes writes again: down slots fall behind */
    if (!a->failed && raid_array_lost(a) > a->parity) {
      a->failed = true; /* never rebuilt from nothing */
      cancel_tasks_of(s, a->name);
    }
    raid_array_refresh(a);
  }
}
