/*
 * mb_raid_check: the invariants every applied command must keep, checked
 * from scratch (the ledger sums recomputed, not trusted).  Tests run it
 * after every apply; decode runs it on every snapshot.
 */
#include "raid_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int broken(char *why, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int broken(char *why, size_t cap, const char *fmt, ...) {
  if (why != NULL && cap > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
  }
  return MB_ERAIDCHECK;
}

static int check_order(const struct mb_raid_state *s, char *why, size_t cap) {
  if (s->next_task_id == 0)
    return broken(why, cap, "task ids start at 1");
  for (size_t i = 1; i < s->n_dev; i++)
    if (memcmp(s->dev[i - 1].id, s->dev[i].id, MB_RAID_ID_LEN) >= 0)
      return broken(why, cap, "devices out of order at %zu", i);
  for (size_t i = 1; i < s->n_arr; i++)
    if (strcmp(s->arr[i - 1].name, s->arr[i].name) >= 0)
      return broken(why, cap, "arrays out of order at %zu", i);
  for (size_t i = 0; i < s->n_task; i++)
    if ((i > 0 && s->task[i - 1].id >= s->task[i].id) ||
        s->task[i].id >= s->next_task_id)
      return broken(why, cap, "task ids out of order at %zu", i);
  return MB_OK;
}

static int check_slot(const struct mb_raid_state *s, const struct raid_array *a,
                      unsigned k, char *why, size_t cap) {
  const struct raid_slot *slot = &a->slots[k];
  const struct raid_device *d = raid_device_find(s, slot->device);
  if (d == NULL)
    return broken(why, cap, "%s slot %u: no such device", a->name, k);
  if (raid_array_slot_of(a, slot->device) != (int)k)
    return broken(why, cap, "%s: two slots on one device", a->name);
  const struct raid_task *t = raid_slot_task(s, a->name, k);
  bool ok;
  switch (slot->state) {
  case MB_RAID_SLOT_UP:
    ok = d->state == MB_RAID_DEV_UP;
    break;
  case MB_RAID_SLOT_DOWN:
    ok = d->state != MB_RAID_DEV_OUT && t == NULL;
    break;
  case MB_RAID_SLOT_OUT: /* its device may be back, or down again */
    ok = t == NULL;
    break;
  case MB_RAID_SLOT_REBUILDING:
    ok = t != NULL && t->kind == MB_RAID_TASK_REBUILD;
    break;
  case MB_RAID_SLOT_RESYNC:
    ok = t != NULL && t->kind == MB_RAID_TASK_RESYNC;
    break;
  default:
    ok = false;
  }
  if (!ok)
    return broken(why, cap, "%s slot %u: state %s disagrees", a->name, k,
                  mb_raid_slot_state_name(slot->state));
  return MB_OK;
}

/* Current marks only down slots, and only while the array takes no writes. */
static bool current_wrong(const struct raid_array *a) {
  if (a->current == 0)
    return false;
  if (a->n_slots < 32 && a->current >> a->n_slots != 0)
    return true;
  for (unsigned k = 0; k < a->n_slots; k++)
    if ((a->current & (UINT32_C(1) << k)) &&
        a->slots[k].state != MB_RAID_SLOT_DOWN &&
        a->slots[k].state != MB_RAID_SLOT_OUT)
      return true;
  return raid_array_up(a) >= raid_array_sources_needed(a);
}

static int check_array(const struct mb_raid_state *s,
                       const struct raid_array *a, char *why, size_t cap) {
  if (a->name[0] == '\0' || !mb_text_ok(a->name, sizeof a->name))
    return broken(why, cap, "an array has a bad name");
  if (mb_raid_level_check(a->level, a->data, a->parity) != MB_OK ||
      a->n_slots != a->data + a->parity || a->size == 0 ||
      a->slot_bytes != raid_slot_bytes(a->size, a->data))
    return broken(why, cap, "%s: shape does not fit its level", a->name);
  if (a->failed != (a->state == MB_RAID_ARRAY_FAILED))
    return broken(why, cap, "%s: failed flag and state disagree", a->name);
  if (!a->failed && raid_array_lost(a) > a->parity)
    return broken(why, cap, "%s: lost more than its parity, not failed",
                  a->name);
  if (current_wrong(a))
    return broken(why, cap, "%s: current slots that are not down", a->name);
  for (unsigned k = 0; k < a->n_slots; k++) {
    int rc = check_slot(s, a, k, why, cap);
    if (rc != MB_OK)
      return rc;
  }
  struct raid_array copy = *a;
  raid_array_refresh(&copy);
  if (copy.state != a->state)
    return broken(why, cap, "%s: state %s, its slots say %s", a->name,
                  mb_raid_array_state_name(a->state),
                  mb_raid_array_state_name(copy.state));
  return MB_OK;
}

static int check_task(const struct mb_raid_state *s, const struct raid_task *t,
                      char *why, size_t cap) {
  if (t->progress > t->bytes || t->state > MB_RAID_TASK_CANCELLED)
    return broken(why, cap, "task %llu: progress or state out of range",
                  (unsigned long long)t->id);
  if (!raid_task_live(t))
    return MB_OK; /* history: its array may be gone */
  const struct raid_array *a = raid_array_find(s, t->array);
  if (a == NULL || a->failed || t->slot >= a->n_slots ||
      t->bytes != a->slot_bytes)
    return broken(why, cap, "task %llu: no such array or slot, or failed",
                  (unsigned long long)t->id);
  if (raid_slot_task(s, t->array, t->slot) != t)
    return broken(why, cap, "task %llu: two live tasks for one slot",
                  (unsigned long long)t->id);
  const struct raid_device *d = raid_device_find(s, t->target);
  bool resync = t->kind == MB_RAID_TASK_RESYNC;
  bool target_ok = d != NULL && d->state == MB_RAID_DEV_UP &&
                   (resync ? raid_id_equal(t->target, a->slots[t->slot].device)
                           : t->kind <= MB_RAID_TASK_MOVE && t->kind >= 1 &&
                                 raid_array_slot_of(a, t->target) < 0);
  if (!target_ok)
    return broken(why, cap, "task %llu: its target may not hold the slot",
                  (unsigned long long)t->id);
  for (unsigned i = 0; i < t->n_sources; i++)
    if (raid_device_find(s, t->sources[i]) == NULL)
      return broken(why, cap, "task %llu: a source is no device",
                    (unsigned long long)t->id);
  for (const struct raid_task *u = t + 1; u < s->task + s->n_task; u++)
    if (raid_task_live(u) && !resync && u->kind != MB_RAID_TASK_RESYNC &&
        raid_id_equal(u->target, t->target) && strcmp(u->array, t->array) == 0)
      return broken(why, cap, "tasks %llu and %llu: one device, two slots",
                    (unsigned long long)t->id, (unsigned long long)u->id);
  return MB_OK;
}

/* Adds what the arrays hold and the live tasks reserve to each device's
 * sums (sums[2i] allocated, sums[2i+1] reserved); false on overflow. */
static bool sum_ledger(const struct mb_raid_state *s, uint64_t *sums) {
  bool ok = true;
  for (size_t j = 0; j < s->n_arr; j++)
    for (unsigned k = 0; k < s->arr[j].n_slots; k++) {
      const struct raid_device *d =
          raid_device_find(s, s->arr[j].slots[k].device);
      uint64_t *sum = &sums[2 * (size_t)(d - s->dev)];
      ok &= !__builtin_add_overflow(*sum, s->arr[j].slot_bytes, sum);
    }
  for (size_t j = 0; j < s->n_task; j++) {
    const struct raid_task *t = &s->task[j];
    if (!raid_task_live(t) || t->kind == MB_RAID_TASK_RESYNC)
      continue;
    const struct raid_device *d = raid_device_find(s, t->target);
    uint64_t *sum = &sums[2 * (size_t)(d - s->dev) + 1];
    ok &= !__builtin_add_overflow(*sum, t->bytes, sum);
  }
  return ok;
}

static int check_device(const struct raid_device *d, const uint64_t *sum,
                        char *why, size_t cap) {
  if (sum[0] != d->allocated || sum[1] != d->reserved)
    return broken(why, cap, "device %s: ledger does not balance", d->name);
  if (sum[0] > d->capacity || sum[1] > d->capacity - sum[0])
    return broken(why, cap, "device %s: committed past its capacity", d->name);
  if (d->state > MB_RAID_DEV_OUT || !mb_text_ok(d->name, sizeof d->name) ||
      !mb_text_ok(d->domain, sizeof d->domain))
    return broken(why, cap, "a device has a bad state or text");
  return MB_OK;
}

/* Runs after the slot and task checks: every device they name exists. */
static int check_ledger(const struct mb_raid_state *s, char *why, size_t cap) {
  uint64_t *sums = calloc(2 * s->n_dev + 2, sizeof *sums);
  if (sums == NULL)
    return -ENOMEM;
  int rc =
      sum_ledger(s, sums) ? MB_OK : broken(why, cap, "the ledger overflows");
  for (size_t i = 0; rc == MB_OK && i < s->n_dev; i++)
    rc = check_device(&s->dev[i], &sums[2 * i], why, cap);
  free(sums);
  return rc;
}

int mb_raid_check(const struct mb_raid_state *s, char *why, size_t cap) {
  int rc = check_order(s, why, cap);
  for (size_t i = 0; rc == MB_OK && i < s->n_arr; i++)
    rc = check_array(s, &s->arr[i], why, cap);
  for (size_t i = 0; rc == MB_OK && i < s->n_task; i++)
    rc = check_task(s, &s->task[i], why, cap);
  if (rc == MB_OK)
    rc = check_ledger(s, why, cap);
  return rc;
}
