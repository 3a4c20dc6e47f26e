/*
 * The channel's table: the records held, in a dense array (stable
 * iteration for relays and pages), indexed by their ref, a hash of (kind,
 * subject), with open addressing.  Whoever holds a swim holds one table
 * (s->records), made by swim_records_init and freed with the core.
 */
#include "channel_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int swim_records_init(struct swim *s) {
  s->records = calloc(1, sizeof(*s->records));
  return s->records ? MB_OK : -ENOMEM;
}

void swim_records_free(struct swim *s) {
  struct swim_records *r = s->records;
  if (r == NULL)
    return;
  for (size_t i = 0; i < r->n; i++)
    swim_bytes_free(s, &r->v[i].raw);
  free(r->v);
  free(r->slots);
  free(r);
  s->records = NULL;
}

static size_t slot_of(const struct swim_records *r, const uint8_t *ref) {
  uint64_t h;
  memcpy(&h, ref, sizeof(h));
  return (size_t)((h * 0x9e3779b97f4a7c15ull) >> 32) & (r->n_slots - 1);
}

long channel_find_ref(const struct swim_records *r, const uint8_t *ref) {
  if (r->n_slots == 0)
    return -1;
  for (size_t i = slot_of(r, ref); r->slots[i] >= 0;
       i = (i + 1) & (r->n_slots - 1))
    if (memcmp(r->v[r->slots[i]].ref, ref, MB_RECORD_REF_LEN) == 0)
      return r->slots[i];
  return -1;
}

static int index_rebuild(struct swim_records *r, size_t n_slots) {
  int32_t *slots = malloc(n_slots * sizeof(*slots));
  if (slots == NULL)
    return -ENOMEM;
  free(r->slots);
  r->slots = slots;
  r->n_slots = n_slots;
  memset(slots, 0xff, n_slots * sizeof(*slots));
  for (size_t k = 0; k < r->n; k++) {
    size_t i = slot_of(r, r->v[k].ref);
    while (slots[i] >= 0)
      i = (i + 1) & (n_slots - 1);
    slots[i] = (int32_t)k;
  }
  return MB_OK;
}

struct held *channel_find(struct swim_records *r, enum mb_record_kind kind,
                          const uint8_t *subject, size_t len) {
  uint8_t ref[MB_RECORD_REF_LEN];
  mb_wire_record_ref(kind, subject, len, ref);
  long i = channel_find_ref(r, ref);
  return i >= 0 ? &r->v[i] : NULL;
}

void channel_remove(struct swim_records *r, size_t i) {
  r->v[i] = r->v[--r->n];
  index_rebuild(r, r->n_slots);
}

struct held *channel_add(struct swim *s, const uint8_t *ref) {
  struct swim_records *r = s->records;
  if (r->n == r->cap) {
    size_t cap = r->cap ? 2 * r->cap : 8;
    struct held *v = realloc(r->v, cap * sizeof(*v));
    if (v == NULL)
      return NULL;
    r->v = v;
    r->cap = cap;
  }
  struct held *h = &r->v[r->n++];
  memset(h, 0, sizeof(*h));
  memcpy(h->ref, ref, MB_RECORD_REF_LEN);
  if (r->n_slots < 2 * r->cap && index_rebuild(r, 4 * r->cap) != MB_OK) {
    r->n--;
    return NULL;
  }
  size_t i = slot_of(r, ref);
  while (r->slots[i] >= 0)
    i = (i + 1) & (r->n_slots - 1);
  r->slots[i] = (int32_t)(r->n - 1);
  return h;
}
