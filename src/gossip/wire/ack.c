/*
 * Probe acks: what a target signs when a relay pings it on another
 * member's behalf, so the prober can tell the target answered.
 *
 *   ack = {0: 4, 1: prober's node ref, 2: the prober's probe id,
 *          3: time (ms since the Unix epoch)}
 *
 * The signer (the record's kid) is the target.  The probe id is random
 * per probe, so an old ack proves nothing about a new probe.
 */
#include "wire_internal.h"

#include <string.h>

enum ack_key {
  ACK_KIND = 0,
  ACK_PROBER = 1,
  ACK_PROBE_ID = 2,
  ACK_TIME = 3,
};

_Static_assert(WIRE_ACK_REQUIRED == (1u << ACK_KIND | 1u << ACK_PROBER |
                                     1u << ACK_PROBE_ID | 1u << ACK_TIME),
               "every key of an ack is required");

int mb_wire_ack_sign(const struct mb_identity *target, const uint8_t *aad,
                     size_t aad_len, const struct mb_probe_ack *a, uint8_t *out,
                     size_t cap, size_t *out_len) {
  uint8_t scratch[64];
  struct mb_cbor_writer w;
  mb_cw_init(&w, scratch, sizeof(scratch));
  mb_cw_map(&w, 4);
  mb_cw_uint(&w, ACK_KIND), mb_cw_uint(&w, MB_REC_ACK);
  mb_cw_uint(&w, ACK_PROBER), mb_cw_bytes(&w, a->prober, MB_NODE_REF_LEN);
  mb_cw_uint(&w, ACK_PROBE_ID), mb_cw_uint(&w, a->probe_id);
  mb_cw_uint(&w, ACK_TIME), mb_cw_int(&w, a->time_ms);
  return wire_sign_payload(target, aad, aad_len, &w, out, cap, out_len);
}

int wire_read_ack_field(struct mb_cbor_reader *r, int64_t key,
                        struct mb_probe_ack *a) {
  switch (key) {
  case ACK_PROBER: {
    const uint8_t *p;
    size_t n;
    int rc = mb_cr_bytes(r, &p, &n);
    if (rc == MB_OK && n != MB_NODE_REF_LEN)
      rc = MB_ERANGE;
    if (rc == MB_OK)
      memcpy(a->prober, p, n);
    return rc;
  }
  case ACK_PROBE_ID:
    return mb_cr_uint(r, &a->probe_id);
  case ACK_TIME:
    return mb_cr_int(r, &a->time_ms);
  default:
    return mb_cr_skip(r);
  }
}
