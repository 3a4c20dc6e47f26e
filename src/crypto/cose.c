/*
 * COSE_Sign1 (RFC 9052 §4.2) with EdDSA/Ed25519 (RFC 9053 §2.2).
 *
 * What is signed is exactly the RFC's Sig_structure:
 *   ["Signature1", body_protected, external_aad, payload]
 * so any COSE implementation, given the cluster name as external AAD, can
 * verify a meshbeat message.  We always emit the same protected header,
 * h'a10127' ({1: -8}), but verify over the bytes received, as the RFC says.
 */
#include "mb_crypto.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>

static const uint8_t protected_eddsa[] = {0xa1, 0x01, 0x27};
static const char sig_context[] = "Signature1";

/* Encodes the Sig_structure into w; fails sticky when it does not fit. */
static void write_sig_structure(struct mb_cbor_writer *w, const uint8_t *prot,
                                size_t prot_len, const uint8_t *aad,
                                size_t aad_len, const uint8_t *payload,
                                size_t payload_len) {
  mb_cw_array(w, 4);
  mb_cw_text(w, sig_context, sizeof(sig_context) - 1);
  mb_cw_bytes(w, prot, prot_len);
  mb_cw_bytes(w, aad, aad_len);
  mb_cw_bytes(w, payload, payload_len);
}

/* Worst-case size of a Sig_structure: four 9-byte heads plus contents. */
static size_t sig_structure_max(size_t prot_len, size_t aad_len,
                                size_t payload_len) {
  return 1 + 9 + sizeof(sig_context) + 9 + prot_len + 9 + aad_len + 9 +
         payload_len;
}

/*
 * Builds the Sig_structure on the stack when small (the common case: every
 * datagram) and on the heap otherwise, then hands it to fn.
 */
typedef int (*tbs_fn)(const uint8_t *tbs, size_t len, void *arg);

static int with_sig_structure(const uint8_t *prot, size_t prot_len,
                              const uint8_t *aad, size_t aad_len,
                              const uint8_t *payload, size_t payload_len,
                              tbs_fn fn, void *arg) {
  uint8_t stack[MB_COSE_STACK_MAX + 128];
  size_t need = sig_structure_max(prot_len, aad_len, payload_len);
  uint8_t *buf = stack;
  if (need > sizeof(stack)) {
    buf = malloc(need);
    if (buf == NULL)
      return -ENOMEM;
  }
  struct mb_cbor_writer w;
  mb_cw_init(&w, buf, need);
  write_sig_structure(&w, prot, prot_len, aad, aad_len, payload, payload_len);
  int rc = mb_cw_status(&w);
  if (rc == MB_OK)
    rc = fn(buf, w.len, arg);
  if (buf != stack)
    free(buf);
  return rc;
}

struct sign_arg {
  const struct mb_identity *signer;
  uint8_t sig[MB_SIG_LEN];
};

static int sign_tbs(const uint8_t *tbs, size_t len, void *arg) {
  struct sign_arg *a = arg;
  const struct mb_sig_scheme *s =
      a->signer->scheme ? a->signer->scheme : &mb_sig_ed25519;
  s->sign(a->sig, tbs, len, a->signer->sk);
  return MB_OK;
}

int mb_cose_sign1_write(struct mb_cbor_writer *w,
                        const struct mb_identity *signer, const uint8_t *aad,
                        size_t aad_len, const uint8_t *payload,
                        size_t payload_len) {
  struct sign_arg a = {.signer = signer};
  int rc = with_sig_structure(protected_eddsa, sizeof(protected_eddsa), aad,
                              aad_len, payload, payload_len, sign_tbs, &a);
  if (rc)
    return rc;
  mb_cw_tag(w, MB_COSE_TAG_SIGN1);
  mb_cw_array(w, 4);
  mb_cw_bytes(w, protected_eddsa, sizeof(protected_eddsa));
  mb_cw_map(w, 1);
  mb_cw_uint(w, MB_COSE_HDR_KID);
  mb_cw_bytes(w, signer->pk, MB_NODE_ID_LEN);
  mb_cw_bytes(w, payload, payload_len);
  mb_cw_bytes(w, a.sig, MB_SIG_LEN);
  return mb_cw_status(w);
}

static int read_protected_field(struct mb_cbor_reader *r, int64_t key,
                                void *ctx) {
  const int64_t *want = ctx;
  int64_t alg;
  switch (key) {
  case MB_COSE_HDR_ALG: {
    int rc = mb_cr_int(r, &alg);
    if (rc)
      return rc == MB_ETYPE ? MB_EALG : rc;
    return alg == *want ? MB_OK : MB_EALG;
  }
  case MB_COSE_HDR_CRIT:
    return MB_EALG; /* we understand no critical extension */
  default:
    return mb_cr_skip(r);
  }
}

int mb_cose_check_protected(const uint8_t *p, size_t n, int64_t alg) {
  uint32_t seen;
  if (n == 0)
    return MB_EALG;
  int rc = mb_cr_map_walk_all(p, n, 16, read_protected_field, &alg, &seen);
  if (rc == MB_OK && !(seen & 1u << MB_COSE_HDR_ALG))
    rc = MB_EALG;
  return rc;
}

static int read_unprotected_field(struct mb_cbor_reader *r, int64_t key,
                                  void *ctx) {
  struct mb_cose_sign1 *out = ctx;
  if (key != MB_COSE_HDR_KID)
    return mb_cr_skip(r);
  size_t n;
  int rc = mb_cr_bytes(r, &out->kid, &n);
  return rc || n != MB_NODE_ID_LEN ? MB_EKID : MB_OK;
}

static int parse_unprotected(struct mb_cbor_reader *r,
                             struct mb_cose_sign1 *out) {
  out->kid = NULL;
  int rc = mb_cr_map_walk(r, 16, read_unprotected_field, out, NULL);
  if (rc == MB_OK && out->kid == NULL)
    rc = MB_EKID;
  return rc;
}

static int parse_tags(struct mb_cbor_reader *r, bool allow_cwt_tag,
                      struct mb_cose_sign1 *out) {
  struct mb_cbor_token t;
  int rc = mb_cr_expect(r, MB_CBOR_TAG, &t);
  if (rc)
    return rc;
  out->cwt_tagged = false;
  if (t.u == MB_CWT_TAG && allow_cwt_tag) {
    out->cwt_tagged = true;
    rc = mb_cr_expect(r, MB_CBOR_TAG, &t);
    if (rc)
      return rc;
  }
  return t.u == MB_COSE_TAG_SIGN1 ? MB_OK : MB_ETYPE;
}

int mb_cose_sign1_parse(const uint8_t *buf, size_t len, bool allow_cwt_tag,
                        struct mb_cose_sign1 *out) {
  struct mb_cbor_reader r;
  struct mb_cbor_token t;
  size_t sig_len;
  mb_cr_init(&r, buf, len);
  int rc = parse_tags(&r, allow_cwt_tag, out);
  if (rc == MB_OK)
    rc = mb_cr_expect(&r, MB_CBOR_ARRAY, &t);
  if (rc == MB_OK && t.u != 4)
    rc = MB_ETYPE;
  if (rc == MB_OK)
    rc = mb_cr_bytes(&r, &out->protected_hdr, &out->protected_len);
  if (rc == MB_OK)
    rc = mb_cose_check_protected(out->protected_hdr, out->protected_len,
                                 MB_COSE_ALG_EDDSA);
  if (rc == MB_OK)
    rc = parse_unprotected(&r, out);
  if (rc == MB_OK)
    rc = mb_cr_bytes(&r, &out->payload, &out->payload_len);
  if (rc == MB_OK)
    rc = mb_cr_bytes(&r, &out->signature, &sig_len);
  if (rc == MB_OK && sig_len != MB_SIG_LEN)
    rc = MB_EBADSIG;
  if (rc == MB_OK && !mb_cr_done(&r))
    rc = MB_ETRAILING;
  return rc;
}

struct verify_arg {
  const struct mb_sig_scheme *scheme;
  const uint8_t *sig;
  const uint8_t *pk;
};

static int verify_tbs(const uint8_t *tbs, size_t len, void *arg) {
  struct verify_arg *a = arg;
  return a->scheme->verify(a->sig, tbs, len, a->pk) == 0 ? MB_OK : MB_EBADSIG;
}

int mb_cose_sign1_verify_scheme(const struct mb_sig_scheme *scheme,
                                const struct mb_cose_sign1 *m,
                                const uint8_t *aad, size_t aad_len,
                                const uint8_t pk[MB_NODE_ID_LEN]) {
  struct verify_arg a = {.scheme = scheme ? scheme : &mb_sig_ed25519,
                         .sig = m->signature,
                         .pk = pk};
  return with_sig_structure(m->protected_hdr, m->protected_len, aad, aad_len,
                            m->payload, m->payload_len, verify_tbs, &a);
}

int mb_cose_sign1_verify(const struct mb_cose_sign1 *m, const uint8_t *aad,
                         size_t aad_len, const uint8_t pk[MB_NODE_ID_LEN]) {
  return mb_cose_sign1_verify_scheme(NULL, m, aad, aad_len, pk);
}

int mb_cose_sign1_verify_cached(struct mb_vcache *c,
                                const struct mb_cose_sign1 *m,
                                const uint8_t *buf, size_t len,
                                const uint8_t *aad, size_t aad_len,
                                const uint8_t pk[MB_NODE_ID_LEN]) {
  static const uint8_t none[] = "";
  if (aad == NULL)
    aad = none;
  if (c != NULL && mb_vcache_lookup(c, aad, aad_len, buf, len))
    return MB_OK;
  int rc = mb_cose_sign1_verify_scheme(c ? mb_vcache_scheme(c) : NULL, m, aad,
                                       aad_len, pk);
  if (rc == MB_OK && c != NULL)
    mb_vcache_insert(c, aad, aad_len, buf, len);
  return rc;
}

int mb_cose_verify_cached(struct mb_vcache *c, const uint8_t *buf, size_t len,
                          const uint8_t *aad, size_t aad_len,
                          struct mb_cose_sign1 *out) {
  int rc = mb_cose_sign1_parse(buf, len, false, out);
  if (rc)
    return rc;
  return mb_cose_sign1_verify_cached(c, out, buf, len, aad, aad_len, out->kid);
}
