/*
 * The whole state as one CBOR item: the Raft snapshot, and what the leader
 * publishes to members (docs/raid.md, "Snapshot").  Only what apply
 * decides is written; the ledger sums and array states are derived and
 * recomputed by the decoder.
 */
#include "raid_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void write_device(struct mb_cbor_writer *w,
                         const struct raid_device *d) {
  mb_cw_map(w, 8);
  mb_cw_uint(w, 1);
  mb_cw_bytes(w, d->id, MB_RAID_ID_LEN);
  mb_cw_uint(w, 2);
  mb_cw_textz(w, d->name);
  mb_cw_uint(w, 3);
  mb_cw_textz(w, d->domain);
  mb_cw_uint(w, 4);
  mb_cw_uint(w, d->capacity);
  mb_cw_uint(w, 5);
  mb_cw_uint(w, d->available);
  mb_cw_uint(w, 6);
  mb_cw_uint(w, d->incarnation);
  mb_cw_uint(w, 7);
  mb_cw_uint(w, d->state);
  mb_cw_uint(w, 8);
  mb_cw_bool(w, d->draining);
}

static void write_array(struct mb_cbor_writer *w, const struct raid_array *a) {
  mb_cw_map(w, a->current ? 8 : 7);
  mb_cw_uint(w, 1);
  mb_cw_textz(w, a->name);
  mb_cw_uint(w, 2);
  mb_cw_uint(w, a->level);
  mb_cw_uint(w, 3);
  mb_cw_uint(w, a->data);
  mb_cw_uint(w, 4);
  mb_cw_uint(w, a->parity);
  mb_cw_uint(w, 5);
  mb_cw_uint(w, a->size);
  mb_cw_uint(w, 6);
  mb_cw_bool(w, a->failed);
  mb_cw_uint(w, 7);
  mb_cw_array(w, a->n_slots);
  for (unsigned i = 0; i < a->n_slots; i++) {
    mb_cw_array(w, 2);
    mb_cw_bytes(w, a->slots[i].device, MB_RAID_ID_LEN);
    mb_cw_uint(w, a->slots[i].state);
  }
  if (a->current) { /* key 8 only when set: older snapshots lack it */
    mb_cw_uint(w, 8);
    mb_cw_uint(w, a->current);
  }
}

static void write_task(struct mb_cbor_writer *w, const struct raid_task *t) {
  mb_cw_map(w, 9);
  mb_cw_uint(w, 1);
  mb_cw_uint(w, t->id);
  mb_cw_uint(w, 2);
  mb_cw_textz(w, t->array);
  mb_cw_uint(w, 3);
  mb_cw_uint(w, t->slot);
  mb_cw_uint(w, 4);
  mb_cw_uint(w, t->kind);
  mb_cw_uint(w, 5);
  mb_cw_uint(w, t->state);
  mb_cw_uint(w, 6);
  mb_cw_bytes(w, t->target, MB_RAID_ID_LEN);
  mb_cw_uint(w, 7);
  raid_cw_ids(w, (const uint8_t(*)[MB_RAID_ID_LEN])t->sources, t->n_sources);
  mb_cw_uint(w, 8);
  mb_cw_uint(w, t->bytes);
  mb_cw_uint(w, 9);
  mb_cw_uint(w, t->progress);
}

static int write_state(const struct mb_raid_state *s, uint8_t *buf, size_t cap,
                       size_t *len) {
  struct mb_cbor_writer w;
  mb_cw_init(&w, buf, cap);
  mb_cw_map(&w, 5);
  mb_cw_uint(&w, 1);
  mb_cw_uint(&w, s->applied);
  mb_cw_uint(&w, 2);
  mb_cw_uint(&w, s->next_task_id);
  mb_cw_uint(&w, 3);
  mb_cw_array(&w, s->n_dev);
  for (size_t i = 0; i < s->n_dev; i++)
    write_device(&w, &s->dev[i]);
  mb_cw_uint(&w, 4);
  mb_cw_array(&w, s->n_arr);
  for (size_t i = 0; i < s->n_arr; i++)
    write_array(&w, &s->arr[i]);
  mb_cw_uint(&w, 5);
  mb_cw_array(&w, s->n_task);
  for (size_t i = 0; i < s->n_task; i++)
    write_task(&w, &s->task[i]);
  *len = w.len;
  return mb_cw_status(&w);
}

/* An upper bound of the encoding, so one pass is enough. */
static size_t size_bound(const struct mb_raid_state *s) {
  size_t per_dev =
      16 + MB_RAID_ID_LEN + MB_RAID_NAME_MAX + MB_RAID_DOMAIN_MAX + 4 * 9 + 8;
  size_t per_arr = 32 + MB_RAID_NAME_MAX + 9 + MB_RAID_SLOTS_MAX * 40;
  size_t per_task = 32 + MB_RAID_NAME_MAX + 4 * 9 + 36 +
                    MB_RAID_SLOTS_MAX * (MB_RAID_ID_LEN + 2);
  return 64 + s->n_dev * per_dev + s->n_arr * per_arr + s->n_task * per_task;
}

int mb_raid_state_encode(const struct mb_raid_state *s, uint8_t **buf,
                         size_t *len) {
  size_t cap = size_bound(s);
  uint8_t *p = malloc(cap);
  if (p == NULL)
    return -ENOMEM;
  int rc = write_state(s, p, cap, len);
  if (rc != MB_OK) {
    free(p);
    return rc;
  }
  *buf = p;
  return MB_OK;
}
