/*
 * The body of a RAID task record (channel kind 24): one reconstruction
 * task as the coordinators' Raft log left it at `index`.  Its target
 * starts it from this record when it runs no Raft; a done or cancelled
 * task's record lapses (the publisher's `until`).
 *
 *   task body = {1: term, 2: index, 3: id, 4: array, 5: slot, 6: kind,
 *                7: state, 8: bstr .size 8, 9: [* bstr .size 8],
 *                10: bytes, 11: progress}
 *
 * 8 is the target's node ref, 9 the sources'.  Worst case (32 sources,
 * a 63-byte array name): 427 bytes.
 */
#include "wire_internal.h"

#include <string.h>

enum task_key {
  TSK_TERM = 1,
  TSK_INDEX = 2,
  TSK_ID = 3,
  TSK_ARRAY = 4,
  TSK_SLOT = 5,
  TSK_KIND = 6,
  TSK_STATE = 7,
  TSK_TARGET = 8,
  TSK_SOURCES = 9,
  TSK_BYTES = 10,
  TSK_PROGRESS = 11,
};

#define TASK_REQUIRED 0xffeu /* keys 1..11 */
#define TASK_MAX_PAIRS 16

static bool task_ok(const struct mb_wire_raid_task *t) {
  return wire_raid_name_ok(t->array) && t->slot < MB_WIRE_RAID_SLOTS_MAX &&
         t->n_sources <= MB_WIRE_RAID_SLOTS_MAX;
}

int mb_wire_raid_task_body_encode(const struct mb_wire_raid_task *t,
                                  uint8_t *out, size_t cap, size_t *len) {
  if (!task_ok(t))
    return MB_EINVAL;
  uint8_t scratch[MB_CHANNEL_BODY_MAX];
  struct mb_cbor_writer w;
  mb_cw_init(&w, scratch, sizeof(scratch));
  mb_cw_map(&w, 11);
  mb_cw_uint(&w, TSK_TERM), mb_cw_uint(&w, t->term);
  mb_cw_uint(&w, TSK_INDEX), mb_cw_uint(&w, t->index);
  mb_cw_uint(&w, TSK_ID), mb_cw_uint(&w, t->id);
  mb_cw_uint(&w, TSK_ARRAY), mb_cw_textz(&w, t->array);
  mb_cw_uint(&w, TSK_SLOT), mb_cw_uint(&w, t->slot);
  mb_cw_uint(&w, TSK_KIND), mb_cw_uint(&w, t->kind);
  mb_cw_uint(&w, TSK_STATE), mb_cw_uint(&w, t->state);
  mb_cw_uint(&w, TSK_TARGET), mb_cw_bytes(&w, t->target, MB_NODE_REF_LEN);
  mb_cw_uint(&w, TSK_SOURCES), mb_cw_array(&w, t->n_sources);
  for (size_t i = 0; i < t->n_sources; i++)
    mb_cw_bytes(&w, t->sources[i], MB_NODE_REF_LEN);
  mb_cw_uint(&w, TSK_BYTES), mb_cw_uint(&w, t->bytes);
  mb_cw_uint(&w, TSK_PROGRESS), mb_cw_uint(&w, t->progress);
  return wire_body_out(&w, out, cap, len);
}

static int read_sources(struct mb_cbor_reader *r, struct mb_wire_raid_task *t) {
  int rc = wire_read_count(r, MB_WIRE_RAID_SLOTS_MAX, &t->n_sources);
  for (size_t i = 0; rc == MB_OK && i < t->n_sources; i++)
    rc = wire_read_fixed(r, t->sources[i], MB_NODE_REF_LEN);
  return rc;
}

static int read_task_field(struct mb_cbor_reader *r, int64_t key, void *ctx) {
  struct mb_wire_raid_task *t = ctx;
  switch (key) {
  case TSK_TERM:
    return mb_cr_uint(r, &t->term);
  case TSK_INDEX:
    return mb_cr_uint(r, &t->index);
  case TSK_ID:
    return mb_cr_uint(r, &t->id);
  case TSK_ARRAY:
    return wire_read_raid_name(r, t->array);
  case TSK_SLOT:
    return wire_read_small(r, MB_WIRE_RAID_SLOTS_MAX - 1, &t->slot);
  case TSK_KIND:
    return wire_read_small(r, MB_WIRE_RAID_SMALL_MAX, &t->kind);
  case TSK_STATE:
    return wire_read_small(r, MB_WIRE_RAID_SMALL_MAX, &t->state);
  case TSK_TARGET:
    return wire_read_fixed(r, t->target, MB_NODE_REF_LEN);
  case TSK_SOURCES:
    return read_sources(r, t);
  case TSK_BYTES:
    return mb_cr_uint(r, &t->bytes);
  case TSK_PROGRESS:
    return mb_cr_uint(r, &t->progress);
  default:
    return mb_cr_skip(r);
  }
}

int mb_wire_raid_task_body_decode(const uint8_t *body, size_t len,
                                  struct mb_wire_raid_task *out) {
  return wire_read_raid_body(body, len, TASK_MAX_PAIRS, read_task_field,
                             TASK_REQUIRED, out, sizeof(*out));
}
