/*
 * The capacity ledger's arithmetic and what an array's slots say about its
 * state.  Integer only: every replica computes the same.
 */
#include "raid_internal.h"

uint64_t raid_slot_bytes(uint64_t size, unsigned data) {
  return size / data + (size % data != 0);
}

uint64_t raid_device_free(const struct raid_device *d) {
  uint64_t used = d->allocated + d->reserved;
  return used >= d->capacity ? 0 : d->capacity - used;
}

bool raid_device_fits(const struct raid_device *d, uint64_t bytes) {
  return bytes <= raid_device_free(d);
}

unsigned raid_array_lost(const struct raid_array *a) {
  unsigned lost = 0;
  for (unsigned i = 0; i < a->n_slots; i++)
    lost += a->slots[i].state == MB_RAID_SLOT_OUT ||
            a->slots[i].state == MB_RAID_SLOT_REBUILDING;
  return lost;
}

unsigned raid_array_up(const struct raid_array *a) {
  unsigned up = 0;
  for (unsigned i = 0; i < a->n_slots; i++)
    up += a->slots[i].state == MB_RAID_SLOT_UP;
  return up;
}

unsigned raid_array_sources_needed(const struct raid_array *a) {
  return a->level == MB_RAID_LEVEL_RAID1 ? 1u : a->data;
}

void raid_array_refresh(struct raid_array *a) {
  bool waiting = false, working = false;
  for (unsigned i = 0; i < a->n_slots; i++) {
    uint8_t st = a->slots[i].state;
    waiting |= st == MB_RAID_SLOT_DOWN || st == MB_RAID_SLOT_OUT;
    working |= st == MB_RAID_SLOT_REBUILDING || st == MB_RAID_SLOT_RESYNC;
  }
  if (a->failed)
    a->state = MB_RAID_ARRAY_FAILED;
  else if (waiting)
    a->state = MB_RAID_ARRAY_DEGRADED;
  else if (working)
    a->state = MB_RAID_ARRAY_REBUILDING;
  else
    a->state = MB_RAID_ARRAY_HEALTHY;
}
