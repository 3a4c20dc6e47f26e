/*
 * The body of a RAID array record (channel kind 23): one array as the
 * coordinators' Raft log left it at `index`, for devices that run no
 * Raft.  A removed array's record says so (key 10) and lapses
 * (the publisher's `until`), so tables do not grow forever.
 *
 *   array body = {1: term, 2: index, 3: name, 4: level, 5: data,
 *                 6: parity, 7: size, 8: state,
 *                 9: [* [bstr .size 8, slot state]], ?10: true}
 *
 * Bounded on both sides: 32 slots at most, data + parity no more, a
 * name of 1..63 bytes of UTF-8, small numbers below 256; the worst case
 * is 497 bytes, within MB_CHANNEL_BODY_MAX.
 */
#include "wire_internal.h"

#include <string.h>

enum array_key {
  ARR_TERM = 1,
  ARR_INDEX = 2,
  ARR_NAME = 3,
  ARR_LEVEL = 4,
  ARR_DATA = 5,
  ARR_PARITY = 6,
  ARR_SIZE = 7,
  ARR_STATE = 8,
  ARR_SLOTS = 9,
  ARR_REMOVED = 10,
};

#define ARRAY_REQUIRED 0x3feu /* keys 1..9 */
#define ARRAY_MAX_PAIRS 16

static bool array_ok(const struct mb_wire_raid_array *a) {
  return wire_raid_name_ok(a->name) && a->n_slots <= MB_WIRE_RAID_SLOTS_MAX &&
         (unsigned)a->data + a->parity <= MB_WIRE_RAID_SLOTS_MAX;
}

int mb_wire_raid_array_body_encode(const struct mb_wire_raid_array *a,
                                   uint8_t *out, size_t cap, size_t *len) {
  if (!array_ok(a))
    return MB_EINVAL;
  uint8_t scratch[MB_CHANNEL_BODY_MAX];
  struct mb_cbor_writer w;
  mb_cw_init(&w, scratch, sizeof(scratch));
  mb_cw_map(&w, 9 + (size_t)a->removed);
  mb_cw_uint(&w, ARR_TERM), mb_cw_uint(&w, a->term);
  mb_cw_uint(&w, ARR_INDEX), mb_cw_uint(&w, a->index);
  mb_cw_uint(&w, ARR_NAME), mb_cw_textz(&w, a->name);
  mb_cw_uint(&w, ARR_LEVEL), mb_cw_uint(&w, a->level);
  mb_cw_uint(&w, ARR_DATA), mb_cw_uint(&w, a->data);
  mb_cw_uint(&w, ARR_PARITY), mb_cw_uint(&w, a->parity);
  mb_cw_uint(&w, ARR_SIZE), mb_cw_uint(&w, a->size);
  mb_cw_uint(&w, ARR_STATE), mb_cw_uint(&w, a->state);
  mb_cw_uint(&w, ARR_SLOTS), mb_cw_array(&w, a->n_slots);
  for (size_t i = 0; i < a->n_slots; i++) {
    mb_cw_array(&w, 2);
    mb_cw_bytes(&w, a->slots[i].device, MB_NODE_REF_LEN);
    mb_cw_uint(&w, a->slots[i].state);
  }
  if (a->removed)
    mb_cw_uint(&w, ARR_REMOVED), mb_cw_bool(&w, true);
  return wire_body_out(&w, out, cap, len);
}

/* [device ref, slot state]: exactly two items. */
static int read_slot(struct mb_cbor_reader *r, struct mb_wire_raid_slot *s) {
  struct mb_cbor_token t;
  int rc = mb_cr_expect(r, MB_CBOR_ARRAY, &t);
  if (rc == MB_OK && t.u != 2)
    rc = MB_ERANGE;
  if (rc == MB_OK)
    rc = wire_read_fixed(r, s->device, MB_NODE_REF_LEN);
  if (rc == MB_OK)
    rc = wire_read_small(r, MB_WIRE_RAID_SMALL_MAX, &s->state);
  return rc;
}

static int read_slots(struct mb_cbor_reader *r, struct mb_wire_raid_array *a) {
  int rc = wire_read_count(r, MB_WIRE_RAID_SLOTS_MAX, &a->n_slots);
  for (size_t i = 0; rc == MB_OK && i < a->n_slots; i++)
    rc = read_slot(r, &a->slots[i]);
  return rc;
}

/* Only `true` is written; false would be a second way to say "absent". */
static int read_removed(struct mb_cbor_reader *r, bool *removed) {
  int rc = mb_cr_bool(r, removed);
  return rc == MB_OK && !*removed ? MB_ERANGE : rc;
}

static int read_array_field(struct mb_cbor_reader *r, int64_t key, void *ctx) {
  struct mb_wire_raid_array *a = ctx;
  switch (key) {
  case ARR_TERM:
    return mb_cr_uint(r, &a->term);
  case ARR_INDEX:
    return mb_cr_uint(r, &a->index);
  case ARR_NAME:
    return wire_read_raid_name(r, a->name);
  case ARR_LEVEL:
    return wire_read_small(r, MB_WIRE_RAID_SMALL_MAX, &a->level);
  case ARR_DATA:
    return wire_read_small(r, MB_WIRE_RAID_SLOTS_MAX, &a->data);
  case ARR_PARITY:
    return wire_read_small(r, MB_WIRE_RAID_SLOTS_MAX, &a->parity);
  case ARR_SIZE:
    return mb_cr_uint(r, &a->size);
  case ARR_STATE:
    return wire_read_small(r, MB_WIRE_RAID_SMALL_MAX, &a->state);
  case ARR_SLOTS:
    return read_slots(r, a);
  case ARR_REMOVED:
    return read_removed(r, &a->removed);
  default:
    return mb_cr_skip(r);
  }
}

int mb_wire_raid_array_body_decode(const uint8_t *body, size_t len,
                                   struct mb_wire_raid_array *out) {
  int rc = wire_read_raid_body(body, len, ARRAY_MAX_PAIRS, read_array_field,
                               ARRAY_REQUIRED, out, sizeof(*out));
  if (rc == MB_OK && !array_ok(out)) {
    memset(out, 0, sizeof(*out));
    rc = MB_ERANGE;
  }
  return rc;
}
