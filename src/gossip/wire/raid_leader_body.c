/*
 * The body of the RAID leader record (channel kind 25, subject 0x00):
 * who leads the coordinators' Raft at which term, how far it committed,
 * who votes, and how much there is, so a device that runs no Raft can
 * tell whether the arrays and tasks it holds are current.
 *
 *   leader body = {1: term, 2: index, 3: bstr .size 32,
 *                  4: [* bstr .size 32], 5: arrays, 6: live tasks}
 *
 * Worst case (7 voters): 316 bytes.
 */
#include "wire_internal.h"

#include <string.h>

enum leader_key {
  LDR_TERM = 1,
  LDR_INDEX = 2,
  LDR_LEADER = 3,
  LDR_VOTERS = 4,
  LDR_ARRAYS = 5,
  LDR_TASKS = 6,
};

#define LEADER_REQUIRED 0x7eu /* keys 1..6 */
#define LEADER_MAX_PAIRS 16

int mb_wire_raid_leader_body_encode(const struct mb_wire_raid_leader *l,
                                    uint8_t *out, size_t cap, size_t *len) {
  if (l->n_voters > MB_WIRE_RAID_VOTERS_MAX)
    return MB_EINVAL;
  uint8_t scratch[MB_CHANNEL_BODY_MAX];
  struct mb_cbor_writer w;
  mb_cw_init(&w, scratch, sizeof(scratch));
  mb_cw_map(&w, 6);
  mb_cw_uint(&w, LDR_TERM), mb_cw_uint(&w, l->term);
  mb_cw_uint(&w, LDR_INDEX), mb_cw_uint(&w, l->index);
  mb_cw_uint(&w, LDR_LEADER), mb_cw_bytes(&w, l->leader, MB_NODE_ID_LEN);
  mb_cw_uint(&w, LDR_VOTERS), mb_cw_array(&w, l->n_voters);
  for (size_t i = 0; i < l->n_voters; i++)
    mb_cw_bytes(&w, l->voters[i], MB_NODE_ID_LEN);
  mb_cw_uint(&w, LDR_ARRAYS), mb_cw_uint(&w, l->arrays);
  mb_cw_uint(&w, LDR_TASKS), mb_cw_uint(&w, l->tasks);
  return wire_body_out(&w, out, cap, len);
}

static int read_voters(struct mb_cbor_reader *r,
                       struct mb_wire_raid_leader *l) {
  int rc = wire_read_count(r, MB_WIRE_RAID_VOTERS_MAX, &l->n_voters);
  for (size_t i = 0; rc == MB_OK && i < l->n_voters; i++)
    rc = wire_read_fixed(r, l->voters[i], MB_NODE_ID_LEN);
  return rc;
}

static int read_leader_field(struct mb_cbor_reader *r, int64_t key, void *ctx) {
  struct mb_wire_raid_leader *l = ctx;
  switch (key) {
  case LDR_TERM:
    return mb_cr_uint(r, &l->term);
  case LDR_INDEX:
    return mb_cr_uint(r, &l->index);
  case LDR_LEADER:
    return wire_read_fixed(r, l->leader, MB_NODE_ID_LEN);
  case LDR_VOTERS:
    return read_voters(r, l);
  case LDR_ARRAYS:
    return mb_cr_uint(r, &l->arrays);
  case LDR_TASKS:
    return mb_cr_uint(r, &l->tasks);
  default:
    return mb_cr_skip(r);
  }
}

int mb_wire_raid_leader_body_decode(const uint8_t *body, size_t len,
                                    struct mb_wire_raid_leader *out) {
  return wire_read_raid_body(body, len, LEADER_MAX_PAIRS, read_leader_field,
                             LEADER_REQUIRED, out, sizeof(*out));
}
