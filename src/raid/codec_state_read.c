/*
 * Decoding a snapshot: bounds-checked like every decoder (a count is never
 * believed beyond the bytes that are left), then the derived parts
 * recomputed and the whole checked with mb_raid_check, so a damaged or
 * forged snapshot is refused, never half-loaded.  Fuzzed: fuzz_raid_state.
 */
#include "raid_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ALL_KEYS(n) ((((uint32_t)1 << ((n) + 1)) - 1) & ~(uint32_t)1)

static int device_field(struct mb_cbor_reader *r, int64_t key, void *ctx) {
  struct raid_device *d = ctx;
  switch (key) {
  case 1:
    return raid_cr_id(r, d->id);
  case 2:
    return mb_cr_text_copy(r, d->name, MB_RAID_NAME_MAX);
  case 3:
    return mb_cr_text_copy(r, d->domain, MB_RAID_DOMAIN_MAX);
  case 4:
    return mb_cr_uint(r, &d->capacity);
  case 5:
    return mb_cr_uint(r, &d->available);
  case 6:
    return mb_cr_uint(r, &d->incarnation);
  case 7:
    return raid_cr_u8(r, &d->state);
  case 8:
    return mb_cr_bool(r, &d->draining);
  default:
    return mb_cr_skip(r);
  }
}

static int read_slots(struct mb_cbor_reader *r, struct raid_array *a) {
  struct mb_cbor_token t;
  int rc = mb_cr_expect(r, MB_CBOR_ARRAY, &t);
  if (rc == MB_OK && t.u > MB_RAID_SLOTS_MAX)
    rc = MB_ETOOBIG;
  for (uint64_t i = 0; rc == MB_OK && i < t.u; i++) {
    struct mb_cbor_token pair;
    rc = mb_cr_expect(r, MB_CBOR_ARRAY, &pair);
    if (rc == MB_OK && pair.u != 2)
      rc = MB_ERANGE;
    if (rc == MB_OK)
      rc = raid_cr_id(r, a->slots[i].device);
    if (rc == MB_OK)
      rc = raid_cr_u8(r, &a->slots[i].state);
  }
  if (rc == MB_OK)
    a->n_slots = (uint8_t)t.u;
  return rc;
}

static int array_field(struct mb_cbor_reader *r, int64_t key, void *ctx) {
  struct raid_array *a = ctx;
  switch (key) {
  case 1:
    return mb_cr_text_copy(r, a->name, MB_RAID_NAME_MAX);
  case 2:
    return raid_cr_u8(r, &a->level);
  case 3:
    return raid_cr_u8(r, &a->data);
  case 4:
    return raid_cr_u8(r, &a->parity);
  case 5:
    return mb_cr_uint(r, &a->size);
  case 6:
    return mb_cr_bool(r, &a->failed);
  case 7:
    return read_slots(r, a);
  case 8: {
    uint64_t v;
    int rc = mb_cr_uint(r, &v);
    if (rc == MB_OK && v > UINT32_MAX)
      rc = MB_ERANGE;
    a->current = rc == MB_OK ? (uint32_t)v : 0;
    return rc;
  }
  default:
    return mb_cr_skip(r);
  }
}

static int task_field(struct mb_cbor_reader *r, int64_t key, void *ctx) {
  struct raid_task *t = ctx;
  switch (key) {
  case 1:
    return mb_cr_uint(r, &t->id);
  case 2:
    return mb_cr_text_copy(r, t->array, MB_RAID_NAME_MAX);
  case 3:
    return raid_cr_u8(r, &t->slot);
  case 4:
    return raid_cr_u8(r, &t->kind);
  case 5:
    return raid_cr_u8(r, &t->state);
  case 6:
    return raid_cr_id(r, t->target);
  case 7:
    return raid_cr_ids(r, t->sources, &t->n_sources);
  case 8:
    return mb_cr_uint(r, &t->bytes);
  case 9:
    return mb_cr_uint(r, &t->progress);
  default:
    return mb_cr_skip(r);
  }
}

/* One table: an array of maps, each with all of its fields 1..keys. */
struct table {
  size_t elem, max;
  unsigned keys;
  mb_cr_field_fn field;
};

/* The table's items, calloc'd (*n of them, room for at least one). */
static int read_table(struct mb_cbor_reader *r, const struct table *tb,
                      void **out, size_t *n) {
  struct mb_cbor_token t;
  int rc = mb_cr_expect(r, MB_CBOR_ARRAY, &t);
  if (rc != MB_OK)
    return rc;
  if (t.u > tb->max || t.u > (uint64_t)(r->end - r->p))
    return MB_ETOOBIG; /* each item takes at least one byte */
  uint8_t *items = calloc(t.u ? t.u : 1, tb->elem);
  if (items == NULL)
    return -ENOMEM;
  for (uint64_t i = 0; rc == MB_OK && i < t.u; i++) {
    uint32_t seen;
    rc = mb_cr_map_walk(r, 16, tb->field, items + i * tb->elem, &seen);
    if (rc == MB_OK && (seen & ALL_KEYS(tb->keys)) != ALL_KEYS(tb->keys))
      rc = MB_EMISSING;
  }
  if (rc != MB_OK) {
    free(items);
    return rc;
  }
  *out = items;
  *n = t.u;
  return MB_OK;
}

static const struct table devices_table = {
    sizeof(struct raid_device), MB_RAID_DEVICES_MAX, 8, device_field};
static const struct table arrays_table = {sizeof(struct raid_array),
                                          MB_RAID_ARRAYS_MAX, 7, array_field};
static const struct table tasks_table = {
    sizeof(struct raid_task), MB_RAID_TASKS_LIVE_MAX + MB_RAID_TASK_HISTORY, 9,
    task_field};

static int state_field(struct mb_cbor_reader *r, int64_t key, void *ctx) {
  struct mb_raid_state *s = ctx;
  void *items = NULL;
  size_t n = 0;
  int rc;
  switch (key) {
  case 1:
    return mb_cr_uint(r, &s->applied);
  case 2:
    return mb_cr_uint(r, &s->next_task_id);
  case 3:
    rc = read_table(r, &devices_table, &items, &n);
    if (rc == MB_OK)
      s->dev = items, s->n_dev = s->cap_dev = n;
    return rc;
  case 4:
    rc = read_table(r, &arrays_table, &items, &n);
    if (rc == MB_OK)
      s->arr = items, s->n_arr = s->cap_arr = n;
    return rc;
  case 5:
    rc = read_table(r, &tasks_table, &items, &n);
    if (rc == MB_OK)
      s->task = items, s->n_task = s->cap_task = n;
    return rc;
  default:
    return mb_cr_skip(r);
  }
}

/* The ledger sums and array states from the arrays and live tasks. */
int raid_recount(struct mb_raid_state *s) {
  for (size_t i = 0; i < s->n_arr; i++) {
    struct raid_array *a = &s->arr[i];
    if (a->data == 0)
      return MB_ERAIDCHECK;
    a->slot_bytes = raid_slot_bytes(a->size, a->data);
    for (unsigned k = 0; k < a->n_slots; k++) {
      struct raid_device *d = raid_device_find(s, a->slots[k].device);
      if (d == NULL ||
          __builtin_add_overflow(d->allocated, a->slot_bytes, &d->allocated))
        return MB_ERAIDCHECK;
    }
    raid_array_refresh(a);
  }
  for (size_t i = 0; i < s->n_task; i++) {
    struct raid_task *t = &s->task[i];
    if (!raid_task_live(t) || t->kind == MB_RAID_TASK_RESYNC)
      continue;
    struct raid_device *d = raid_device_find(s, t->target);
    if (d == NULL ||
        __builtin_add_overflow(d->reserved, t->bytes, &d->reserved))
      return MB_ERAIDCHECK;
  }
  return MB_OK;
}

int mb_raid_state_decode(const uint8_t *buf, size_t len,
                         struct mb_raid_state **out) {
  *out = NULL;
  struct mb_raid_state *s = mb_raid_state_new();
  if (s == NULL)
    return -ENOMEM;
  uint32_t seen;
  int rc = mb_cr_map_walk_all(buf, len, 16, state_field, s, &seen);
  if (rc == MB_OK && (seen & ALL_KEYS(5)) != ALL_KEYS(5))
    rc = MB_EMISSING;
  if (rc == MB_OK)
    rc = raid_recount(s);
  if (rc == MB_OK)
    rc = mb_raid_check(s, NULL, 0);
  if (rc != MB_OK) {
    mb_raid_state_free(s);
    return rc;
  }
  *out = s;
  return MB_OK;
}
