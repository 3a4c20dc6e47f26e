/*
 * Every signed record (heartbeats, claims, probe acks) is its encoded
 * payload wrapped in its signer's COSE_Sign1: the one place that does it.
 */
#include "wire_internal.h"

int wire_sign_payload(const struct mb_identity *signer, const uint8_t *aad,
                      size_t aad_len, const struct mb_cbor_writer *payload,
                      uint8_t *out, size_t cap, size_t *out_len) {
  int rc = mb_cw_status(payload);
  if (rc)
    return rc;
  struct mb_cbor_writer w;
  mb_cw_init(&w, out, cap);
  rc =
      mb_cose_sign1_write(&w, signer, aad, aad_len, payload->buf, payload->len);
  if (rc == MB_OK)
    *out_len = w.len;
  return rc;
}
