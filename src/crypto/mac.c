/*
 * COSE_Mac0 (RFC 9052 §6.2) with HMAC 256/64 (RFC 9053 §3.1) under the
 * key a pair of members shares (mb_pair_key).
 *
 * What is MACed is exactly the RFC's MAC_structure:
 *   ["MAC0", body_protected, external_aad, payload]
 * so any COSE implementation, given the pair's key and the external AAD
 * (docs/wire-format.md), can check a meshbeat datagram.  HMAC-SHA-256 is
 * computed incrementally over the structure's pieces: a datagram is never
 * copied to be authenticated.
 */
#include "mb_crypto.h"

#include <sodium.h>
#include <string.h>

static const uint8_t protected_hmac[] = {0xa1, 0x01, 0x04};
/* The MAC_structure's array head and its context string, "MAC0". */
static const uint8_t structure_head[] = {0x84, 0x64, 'M', 'A', 'C', '0'};

int mb_pair_key(uint8_t key[MB_PAIR_KEY_LEN], const struct mb_identity *self,
                const uint8_t peer[MB_NODE_ID_LEN]) {
  const struct mb_sig_scheme *s = self->scheme ? self->scheme : &mb_sig_ed25519;
  return s->agree(key, self->sk, peer) == 0 ? MB_OK : MB_EKID;
}

/* Feeds one CBOR byte string (head and content) to the HMAC. */
static void hmac_bytes(crypto_auth_hmacsha256_state *st, const uint8_t *p,
                       size_t n) {
  uint8_t head[9];
  struct mb_cbor_writer w;
  mb_cw_init(&w, head, sizeof(head));
  mb_cw_bytes_head(&w, n);
  crypto_auth_hmacsha256_update(st, head, w.len);
  if (n > 0)
    crypto_auth_hmacsha256_update(st, p, n);
}

static void compute_tag(uint8_t tag[MB_MAC_TAG_LEN],
                        const uint8_t key[MB_PAIR_KEY_LEN], const uint8_t *prot,
                        size_t prot_len, const uint8_t *aad, size_t aad_len,
                        const uint8_t *payload, size_t payload_len) {
  crypto_auth_hmacsha256_state st;
  uint8_t full[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_init(&st, key, MB_PAIR_KEY_LEN);
  crypto_auth_hmacsha256_update(&st, structure_head, sizeof(structure_head));
  hmac_bytes(&st, prot, prot_len);
  hmac_bytes(&st, aad, aad_len);
  hmac_bytes(&st, payload, payload_len);
  crypto_auth_hmacsha256_final(&st, full);
  memcpy(tag, full, MB_MAC_TAG_LEN);
  sodium_memzero(&st, sizeof(st));
}

int mb_cose_mac0_write(struct mb_cbor_writer *w,
                       const uint8_t key[MB_PAIR_KEY_LEN],
                       const uint8_t kid[MB_MAC_KID_LEN], const uint8_t *aad,
                       size_t aad_len, const uint8_t *payload,
                       size_t payload_len) {
  uint8_t tag[MB_MAC_TAG_LEN];
  compute_tag(tag, key, protected_hmac, sizeof(protected_hmac), aad, aad_len,
              payload, payload_len);
  mb_cw_tag(w, MB_COSE_TAG_MAC0);
  mb_cw_array(w, 4);
  mb_cw_bytes(w, protected_hmac, sizeof(protected_hmac));
  mb_cw_map(w, 1);
  mb_cw_uint(w, MB_COSE_HDR_KID);
  mb_cw_bytes(w, kid, MB_MAC_KID_LEN);
  mb_cw_bytes(w, payload, payload_len);
  mb_cw_bytes(w, tag, MB_MAC_TAG_LEN);
  return mb_cw_status(w);
}

static int read_unprotected_field(struct mb_cbor_reader *r, int64_t key,
                                  void *ctx) {
  struct mb_cose_mac0 *out = ctx;
  if (key != MB_COSE_HDR_KID)
    return mb_cr_skip(r);
  size_t n;
  int rc = mb_cr_bytes(r, &out->kid, &n);
  return rc || n != MB_MAC_KID_LEN ? MB_EKID : MB_OK;
}

int mb_cose_mac0_parse(const uint8_t *buf, size_t len,
                       struct mb_cose_mac0 *out) {
  struct mb_cbor_reader r;
  struct mb_cbor_token t;
  size_t tag_len;
  memset(out, 0, sizeof(*out));
  mb_cr_init(&r, buf, len);
  int rc = mb_cr_expect(&r, MB_CBOR_TAG, &t);
  if (rc == MB_OK && t.u != MB_COSE_TAG_MAC0)
    rc = MB_ETYPE;
  if (rc == MB_OK)
    rc = mb_cr_expect(&r, MB_CBOR_ARRAY, &t);
  if (rc == MB_OK && t.u != 4)
    rc = MB_ETYPE;
  if (rc == MB_OK)
    rc = mb_cr_bytes(&r, &out->protected_hdr, &out->protected_len);
  if (rc == MB_OK)
    rc = mb_cose_check_protected(out->protected_hdr, out->protected_len,
                                 MB_COSE_ALG_HMAC256_64);
  if (rc == MB_OK)
    rc = mb_cr_map_walk(&r, 16, read_unprotected_field, out, NULL);
  if (rc == MB_OK && out->kid == NULL)
    rc = MB_EKID;
  if (rc == MB_OK)
    rc = mb_cr_bytes(&r, &out->payload, &out->payload_len);
  if (rc == MB_OK)
    rc = mb_cr_bytes(&r, &out->tag, &tag_len);
  if (rc == MB_OK && tag_len != MB_MAC_TAG_LEN)
    rc = MB_EBADSIG;
  if (rc == MB_OK && !mb_cr_done(&r))
    rc = MB_ETRAILING;
  return rc;
}

int mb_cose_mac0_verify(const struct mb_cose_mac0 *m,
                        const uint8_t key[MB_PAIR_KEY_LEN], const uint8_t *aad,
                        size_t aad_len) {
  uint8_t want[MB_MAC_TAG_LEN];
  compute_tag(want, key, m->protected_hdr, m->protected_len, aad, aad_len,
              m->payload, m->payload_len);
  return sodium_memcmp(want, m->tag, MB_MAC_TAG_LEN) == 0 ? MB_OK : MB_EBADSIG;
}
