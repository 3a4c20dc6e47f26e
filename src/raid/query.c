/*
 * Read-only copies of the state for the CLI, JSON and the simulator's
 * checker: plain structs, no pointer into the state kept.
 */
#include "raid_internal.h"

#include <string.h>

size_t mb_raid_device_count(const struct mb_raid_state *s) {
  return s->n_dev;
}

static void device_info(const struct raid_device *d,
                        struct mb_raid_device_info *out) {
  memset(out, 0, sizeof *out);
  memcpy(out->id, d->id, MB_RAID_ID_LEN);
  memcpy(out->name, d->name, sizeof out->name);
  memcpy(out->domain, d->domain, sizeof out->domain);
  out->capacity = d->capacity;
  out->available = d->available;
  out->allocated = d->allocated;
  out->reserved = d->reserved;
  out->incarnation = d->incarnation;
  out->state = d->state;
  out->draining = d->draining;
}

int mb_raid_device_at(const struct mb_raid_state *s, size_t i,
                      struct mb_raid_device_info *out) {
  if (i >= s->n_dev)
    return MB_ERANGE;
  device_info(&s->dev[i], out);
  return MB_OK;
}

int mb_raid_device_find(const struct mb_raid_state *s,
                        const uint8_t id[MB_RAID_ID_LEN],
                        struct mb_raid_device_info *out) {
  const struct raid_device *d = raid_device_find(s, id);
  if (d == NULL)
    return MB_ERAIDDEVICE;
  device_info(d, out);
  return MB_OK;
}

size_t mb_raid_array_count(const struct mb_raid_state *s) {
  return s->n_arr;
}

static void array_info(const struct mb_raid_state *s,
                       const struct raid_array *a,
                       struct mb_raid_array_info *out) {
  memset(out, 0, sizeof *out);
  memcpy(out->name, a->name, sizeof out->name);
  out->level = a->level;
  out->data = a->data;
  out->parity = a->parity;
  out->size = a->size;
  out->slot_bytes = a->slot_bytes;
  out->state = a->state;
  out->n_slots = a->n_slots;
  for (unsigned i = 0; i < a->n_slots; i++) {
    const struct raid_device *d = raid_device_find(s, a->slots[i].device);
    memcpy(out->slots[i].device, a->slots[i].device, MB_RAID_ID_LEN);
    if (d != NULL)
      memcpy(out->slots[i].domain, d->domain, sizeof out->slots[i].domain);
    out->slots[i].state = a->slots[i].state;
  }
}

int mb_raid_array_at(const struct mb_raid_state *s, size_t i,
                     struct mb_raid_array_info *out) {
  if (i >= s->n_arr)
    return MB_ERANGE;
  array_info(s, &s->arr[i], out);
  return MB_OK;
}

int mb_raid_array_find(const struct mb_raid_state *s, const char *name,
                       struct mb_raid_array_info *out) {
  const struct raid_array *a = raid_array_find(s, name);
  if (a == NULL)
    return MB_ERAIDNAME;
  array_info(s, a, out);
  return MB_OK;
}

size_t mb_raid_task_count(const struct mb_raid_state *s) {
  return s->n_task;
}

static void task_info(const struct raid_task *t,
                      struct mb_raid_task_info *out) {
  memset(out, 0, sizeof *out);
  out->id = t->id;
  memcpy(out->array, t->array, sizeof out->array);
  out->slot = t->slot;
  out->kind = t->kind;
  out->state = t->state;
  memcpy(out->target, t->target, MB_RAID_ID_LEN);
  out->n_sources = t->n_sources;
  memcpy(out->sources, t->sources, sizeof out->sources);
  out->bytes = t->bytes;
  out->progress = t->progress;
}

int mb_raid_task_at(const struct mb_raid_state *s, size_t i,
                    struct mb_raid_task_info *out) {
  if (i >= s->n_task)
    return MB_ERANGE;
  task_info(&s->task[i], out);
  return MB_OK;
}

int mb_raid_task_find(const struct mb_raid_state *s, uint64_t id,
                      struct mb_raid_task_info *out) {
  const struct raid_task *t = raid_task_find(s, id);
  if (t == NULL)
    return MB_ERAIDTASK;
  task_info(t, out);
  return MB_OK;
}
