/*
 * Signed records, of every kind: their names, and parsing, which reads
 * key 0 (the kind) and hands every other key to the kind's reader:
 * heartbeats (heartbeat.c), suspect/dead claims (claim.c), probe acks
 * (ack.c), channel records (kinds 20..31, channel.c).
 */
#include "wire_internal.h"

#include <string.h>

const char *mb_record_kind_name(enum mb_record_kind k) {
  switch (k) {
  case MB_REC_HEARTBEAT:
    return "heartbeat";
  case MB_REC_SUSPECT:
    return "suspect";
  case MB_REC_DEAD:
    return "dead";
  case MB_REC_ACK:
    return "ack";
  case MB_REC_REVOCATION:
    return "revocation";
  case MB_REC_BRIDGE_CURSOR:
    return "bridge-cursor";
  case MB_REC_INSTRUCTION:
    return "instruction";
  case MB_REC_RAID_ARRAY:
    return "raid-array";
  case MB_REC_RAID_TASK:
    return "raid-task";
  case MB_REC_RAID_LEADER:
    return "raid-leader";
  case MB_REC_OTHER:
    break;
  }
  return "unknown";
}

static enum mb_record_kind known_kind(uint64_t k) {
  switch (k) {
  case MB_REC_HEARTBEAT:
  case MB_REC_SUSPECT:
  case MB_REC_DEAD:
  case MB_REC_ACK:
    return (enum mb_record_kind)k;
  default:
    return k <= MB_REC_CHANNEL_LAST &&
                   mb_record_kind_is_channel((enum mb_record_kind)k)
               ? (enum mb_record_kind)k
               : MB_REC_OTHER;
  }
}

/* Key 0, the kind, sorts first, so later keys can dispatch on it. */
static int read_record_field(struct mb_cbor_reader *r, int64_t key, void *ctx) {
  struct mb_record *rec = ctx;
  uint64_t kind;
  if (key == 0) {
    int rc = mb_cr_uint(r, &kind);
    if (rc == MB_OK)
      rec->kind = known_kind(kind);
    return rc;
  }
  if (rec->kind == MB_REC_HEARTBEAT)
    return wire_read_heartbeat_field(r, key, &rec->u.hb);
  if (rec->kind == MB_REC_SUSPECT || rec->kind == MB_REC_DEAD)
    return wire_read_claim_field(r, key, &rec->u.claim);
  if (rec->kind == MB_REC_ACK)
    return wire_read_ack_field(r, key, &rec->u.ack);
  if (mb_record_kind_is_channel(rec->kind))
    return wire_read_channel_field(r, key, &rec->u.ch);
  return mb_cr_skip(r);
}

static uint32_t required_record_keys(enum mb_record_kind kind) {
  switch (kind) {
  case MB_REC_HEARTBEAT:
    return WIRE_HEARTBEAT_REQUIRED;
  case MB_REC_SUSPECT:
  case MB_REC_DEAD:
    return WIRE_CLAIM_REQUIRED;
  case MB_REC_ACK:
    return WIRE_ACK_REQUIRED;
  case MB_REC_REVOCATION:
  case MB_REC_BRIDGE_CURSOR:
  case MB_REC_INSTRUCTION:
  case MB_REC_RAID_ARRAY:
  case MB_REC_RAID_TASK:
  case MB_REC_RAID_LEADER:
    return WIRE_CHANNEL_REQUIRED;
  default:
    return 1u; /* the kind */
  }
}

int mb_wire_record_parse(const uint8_t *buf, size_t len,
                         struct mb_record *out) {
  memset(out, 0, sizeof(*out));
  if (len > MB_WIRE_MAX_RECORD)
    return MB_ETOOBIG;
  int rc = mb_cose_sign1_parse(buf, len, false, &out->envelope);
  if (rc)
    return rc;
  uint32_t seen, need;
  rc = mb_cr_map_walk_all(out->envelope.payload, out->envelope.payload_len, 32,
                          read_record_field, out, &seen);
  if (rc)
    return rc;
  need = required_record_keys(out->kind);
  if (!(seen & 1u) || (seen & need) != need)
    return MB_EMISSING;
  if (out->kind == MB_REC_HEARTBEAT)
    memcpy(out->u.hb.node_id, out->envelope.kid, MB_NODE_ID_LEN);
  else if (out->kind == MB_REC_SUSPECT || out->kind == MB_REC_DEAD)
    memcpy(out->u.claim.author, out->envelope.kid, MB_NODE_ID_LEN);
  return MB_OK;
}

int mb_wire_record_open(struct mb_vcache *vc, const uint8_t *buf, size_t len,
                        const uint8_t *aad, size_t aad_len,
                        struct mb_record *out) {
  int rc = mb_wire_record_parse(buf, len, out);
  if (rc)
    return rc;
  return mb_cose_sign1_verify_cached(vc, &out->envelope, buf, len, aad, aad_len,
                                     out->envelope.kid);
}
