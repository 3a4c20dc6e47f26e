/*
 * Admission certificates: a CWT (RFC 8392) signed by the cluster authority.
 *
 *   61(18([h'a10127', {4: authority id}, bstr .cbor claims, signature]))
 *   claims = {2: name, 4: exp, ?5: nbf, 6: iat,
 *             8: {1: {1: 1, -1: 6, -2: node id}},   ; cnf: OKP Ed25519 key
 *             ?-65537: domain, ?-65538: [* role]}
 *
 * The external AAD is empty: the authority key is already specific to one
 * cluster, and a certificate is checked outside any datagram context.
 */
#include "mb_crypto.h"

#include <string.h>

#define COSE_KEY_KTY 1
#define COSE_KEY_CRV (-1)
#define COSE_KEY_X (-2)
#define COSE_KTY_OKP 1
#define COSE_CRV_ED25519 6
#define CNF_COSE_KEY 1

static void write_cnf(struct mb_cbor_writer *w, const uint8_t *node_id) {
  mb_cw_map(w, 1);
  mb_cw_uint(w, CNF_COSE_KEY);
  mb_cw_map(w, 3);
  mb_cw_int(w, COSE_KEY_KTY);
  mb_cw_uint(w, COSE_KTY_OKP);
  mb_cw_int(w, COSE_KEY_CRV);
  mb_cw_uint(w, COSE_CRV_ED25519);
  mb_cw_int(w, COSE_KEY_X);
  mb_cw_bytes(w, node_id, MB_NODE_ID_LEN);
}

static void write_claims(struct mb_cbor_writer *w, const struct mb_cert *c) {
  bool has_nbf = c->not_before != 0;
  bool has_domain = c->domain[0] != '\0';
  bool has_roles = c->n_roles > 0;
  mb_cw_map(w, 4 + (size_t)has_nbf + (size_t)has_domain + (size_t)has_roles);
  mb_cw_uint(w, MB_CWT_SUB);
  mb_cw_textz(w, c->name);
  mb_cw_uint(w, MB_CWT_EXP);
  mb_cw_int(w, c->expires_at);
  if (has_nbf) {
    mb_cw_uint(w, MB_CWT_NBF);
    mb_cw_int(w, c->not_before);
  }
  mb_cw_uint(w, MB_CWT_IAT);
  mb_cw_int(w, c->issued_at);
  mb_cw_uint(w, MB_CWT_CNF);
  write_cnf(w, c->node_id);
  if (has_domain) {
    mb_cw_int(w, MB_CWT_DOMAIN);
    mb_cw_textz(w, c->domain);
  }
  if (has_roles) {
    mb_cw_int(w, MB_CWT_ROLES);
    mb_cw_array(w, c->n_roles);
    for (size_t i = 0; i < c->n_roles; i++)
      mb_cw_textz(w, c->roles[i]);
  }
}

int mb_cert_issue(const struct mb_identity *authority, const struct mb_cert *c,
                  uint8_t *out, size_t cap, size_t *out_len) {
  if (c->name[0] == '\0' || !mb_text_ok(c->name, MB_NAME_MAX) ||
      !mb_text_ok(c->domain, MB_DOMAIN_MAX) || c->n_roles > MB_CERT_MAX_ROLES)
    return MB_EINVAL;
  for (size_t i = 0; i < c->n_roles; i++)
    if (!mb_text_ok(c->roles[i], MB_ROLE_MAX))
      return MB_EINVAL;
  uint8_t claims[MB_CERT_MAX_LEN];
  struct mb_cbor_writer cw;
  mb_cw_init(&cw, claims, sizeof(claims));
  write_claims(&cw, c);
  int rc = mb_cw_status(&cw);
  if (rc)
    return rc;
  struct mb_cbor_writer w;
  mb_cw_init(&w, out, cap);
  mb_cw_tag(&w, MB_CWT_TAG);
  rc = mb_cose_sign1_write(&w, authority, NULL, 0, claims, cw.len);
  if (rc == MB_OK)
    *out_len = w.len;
  return rc;
}

/* What a COSE_Key must say to be an Ed25519 node key. */
struct okp_key {
  uint8_t *node_id;
  bool okp, ed25519, have_x;
};

static int read_okp_field(struct mb_cbor_reader *r, int64_t key, void *ctx) {
  struct okp_key *k = ctx;
  const uint8_t *x;
  size_t n;
  int64_t v;
  int rc;
  switch (key) {
  case COSE_KEY_KTY:
    rc = mb_cr_int(r, &v);
    k->okp = rc == MB_OK && v == COSE_KTY_OKP;
    return rc;
  case COSE_KEY_CRV:
    rc = mb_cr_int(r, &v);
    k->ed25519 = rc == MB_OK && v == COSE_CRV_ED25519;
    return rc;
  case COSE_KEY_X:
    rc = mb_cr_bytes(r, &x, &n);
    if (rc == MB_OK && n != MB_NODE_ID_LEN)
      return MB_EKID;
    if (rc == MB_OK)
      memcpy(k->node_id, x, MB_NODE_ID_LEN), k->have_x = true;
    return rc;
  default:
    return mb_cr_skip(r);
  }
}

static int read_cnf_field(struct mb_cbor_reader *r, int64_t key, void *ctx) {
  if (key != CNF_COSE_KEY)
    return mb_cr_skip(r);
  struct okp_key k = {.node_id = ctx};
  int rc = mb_cr_map_walk(r, 8, read_okp_field, &k, NULL);
  if (rc == MB_OK && !(k.okp && k.ed25519 && k.have_x))
    rc = MB_EKID;
  return rc;
}

static int read_roles(struct mb_cbor_reader *r, struct mb_cert *c) {
  struct mb_cbor_token t;
  int rc = mb_cr_expect(r, MB_CBOR_ARRAY, &t);
  if (rc)
    return rc;
  if (t.u > MB_CERT_MAX_ROLES)
    return MB_ETOOBIG;
  c->n_roles = (size_t)t.u;
  for (size_t i = 0; i < c->n_roles && rc == MB_OK; i++)
    rc = mb_cr_text_copy(r, c->roles[i], MB_ROLE_MAX);
  return rc;
}

static int read_claim(struct mb_cbor_reader *r, int64_t key, void *ctx) {
  struct mb_cert *c = ctx;
  uint32_t cnf_keys;
  switch (key) {
  case MB_CWT_SUB:
    return mb_cr_text_copy(r, c->name, MB_NAME_MAX);
  case MB_CWT_EXP:
    return mb_cr_int(r, &c->expires_at);
  case MB_CWT_NBF:
    return mb_cr_int(r, &c->not_before);
  case MB_CWT_IAT:
    return mb_cr_int(r, &c->issued_at);
  case MB_CWT_CNF: {
    int rc = mb_cr_map_walk(r, 4, read_cnf_field, c->node_id, &cnf_keys);
    return rc == MB_OK && !(cnf_keys & 1u << CNF_COSE_KEY) ? MB_EKID : rc;
  }
  case MB_CWT_DOMAIN:
    return mb_cr_text_copy(r, c->domain, MB_DOMAIN_MAX);
  case MB_CWT_ROLES:
    return read_roles(r, c);
  default:
    return mb_cr_skip(r); /* unknown claims: forward compatibility */
  }
}

#define REQUIRED_CLAIMS                                                        \
  (1u << MB_CWT_SUB | 1u << MB_CWT_EXP | 1u << MB_CWT_IAT | 1u << MB_CWT_CNF)

static int decode_claims(const uint8_t *p, size_t n, struct mb_cert *c) {
  uint32_t seen;
  int rc = mb_cr_map_walk_all(p, n, 32, read_claim, c, &seen);
  if (rc)
    return rc;
  if ((seen & REQUIRED_CLAIMS) != REQUIRED_CLAIMS || c->name[0] == '\0')
    return MB_EMISSING;
  return MB_OK;
}

static int decode_envelope(const uint8_t *buf, size_t len, struct mb_cert *out,
                           struct mb_cose_sign1 *m) {
  memset(out, 0, sizeof(*out));
  int rc = mb_cose_sign1_parse(buf, len, true, m);
  if (rc)
    return rc;
  memcpy(out->authority, m->kid, MB_NODE_ID_LEN);
  return decode_claims(m->payload, m->payload_len, out);
}

int mb_cert_decode(const uint8_t *buf, size_t len, struct mb_cert *out) {
  struct mb_cose_sign1 m;
  return decode_envelope(buf, len, out, &m);
}

int mb_cert_verify(const uint8_t *buf, size_t len,
                   const uint8_t authority_pk[MB_NODE_ID_LEN], int64_t now_s,
                   int64_t skew_s, struct mb_cert *out) {
  return mb_cert_verify_cached(NULL, buf, len, authority_pk, now_s, skew_s,
                               out);
}

int mb_cert_verify_cached(struct mb_vcache *vc, const uint8_t *buf, size_t len,
                          const uint8_t authority_pk[MB_NODE_ID_LEN],
                          int64_t now_s, int64_t skew_s, struct mb_cert *out) {
  struct mb_cose_sign1 m;
  int rc = decode_envelope(buf, len, out, &m);
  if (rc)
    return rc;
  if (memcmp(m.kid, authority_pk, MB_NODE_ID_LEN) != 0)
    return MB_EAUTHORITY;
  /* The dates first: they cost nothing, the signature a verify.
   * Arithmetic on our clock only: exp + skew overflows for exp = INT64_MAX. */
  if (now_s - skew_s > out->expires_at)
    return MB_EEXPIRED;
  if (now_s + skew_s < out->issued_at ||
      (out->not_before != 0 && now_s + skew_s < out->not_before))
    return MB_ENOTYET;
  return mb_cose_sign1_verify_cached(vc, &m, buf, len, NULL, 0, authority_pk);
}
