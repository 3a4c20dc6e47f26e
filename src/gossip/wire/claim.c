/*
 * Suspect and dead claims: what an accuser signs about another member.
 *
 *   claim = {0: 2 (suspect) / 3 (dead), 1: subject, 2: incarnation,
 *            3: time-ms}
 *
 * Parsing dispatches here on the kind (record.c).
 */
#include "wire_internal.h"

enum claim_key {
  CLAIM_KIND = 0,
  CLAIM_SUBJECT = 1,
  CLAIM_INCARNATION = 2,
  CLAIM_TIME = 3,
};

_Static_assert(WIRE_CLAIM_REQUIRED ==
                   (1u << CLAIM_KIND | 1u << CLAIM_SUBJECT |
                    1u << CLAIM_INCARNATION | 1u << CLAIM_TIME),
               "every key of a claim is required");

int mb_wire_claim_sign(const struct mb_identity *author, const uint8_t *aad,
                       size_t aad_len, enum mb_record_kind kind,
                       const struct mb_claim *c, uint8_t *out, size_t cap,
                       size_t *out_len) {
  if (kind != MB_REC_SUSPECT && kind != MB_REC_DEAD)
    return MB_EINVAL;
  uint8_t scratch[128];
  struct mb_cbor_writer w;
  mb_cw_init(&w, scratch, sizeof(scratch));
  mb_cw_map(&w, 4);
  mb_cw_uint(&w, CLAIM_KIND), mb_cw_uint(&w, (uint64_t)kind);
  mb_cw_uint(&w, CLAIM_SUBJECT), mb_cw_bytes(&w, c->subject, MB_NODE_ID_LEN);
  mb_cw_uint(&w, CLAIM_INCARNATION), mb_cw_uint(&w, c->incarnation);
  mb_cw_uint(&w, CLAIM_TIME), mb_cw_int(&w, c->time_ms);
  return wire_sign_payload(author, aad, aad_len, &w, out, cap, out_len);
}

int wire_read_claim_field(struct mb_cbor_reader *r, int64_t key,
                          struct mb_claim *c) {
  switch (key) {
  case CLAIM_SUBJECT:
    return wire_read_node_id(r, c->subject);
  case CLAIM_INCARNATION:
    return mb_cr_uint(r, &c->incarnation);
  case CLAIM_TIME:
    return mb_cr_int(r, &c->time_ms);
  default:
    return mb_cr_skip(r);
  }
}
