/*
 * libFuzzer target: the COSE_Sign1 envelope alone, the one decoder every
 * datagram, record and certificate passes through.  Parses strictly (tag 18
 * only) and leniently (tag 61 around it, as certificates are sent), checks
 * that the two agree, and verifies the signature with the message's own kid.
 */
#include "fuzz_common.h"

static void check_envelope(const struct mb_cose_sign1 *m, const uint8_t *buf,
                           size_t len) {
  FUZZ_CHECK(fuzz_within(m->protected_hdr, m->protected_len, buf, len));
  FUZZ_CHECK(fuzz_within(m->kid, MB_NODE_ID_LEN, buf, len));
  FUZZ_CHECK(fuzz_within(m->payload, m->payload_len, buf, len));
  FUZZ_CHECK(fuzz_within(m->signature, MB_SIG_LEN, buf, len));
}

/* Whatever the strict parse accepts, the lenient one must accept the same
 * way: the CWT tag is an addition, never a change of meaning. */
static void check_agree(const struct mb_cose_sign1 *strict,
                        const struct mb_cose_sign1 *lax) {
  FUZZ_CHECK(!strict->cwt_tagged && !lax->cwt_tagged);
  FUZZ_CHECK(strict->protected_hdr == lax->protected_hdr);
  FUZZ_CHECK(strict->kid == lax->kid);
  FUZZ_CHECK(strict->payload == lax->payload);
  FUZZ_CHECK(strict->payload_len == lax->payload_len);
  FUZZ_CHECK(strict->signature == lax->signature);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct mb_cose_sign1 strict, lax;
  int rc_strict = mb_cose_sign1_parse(data, size, false, &strict);
  int rc_lax = mb_cose_sign1_parse(data, size, true, &lax);
  if (rc_strict == MB_OK) {
    FUZZ_CHECK(rc_lax == MB_OK);
    check_agree(&strict, &lax);
  }
  if (rc_lax != MB_OK)
    return 0;
  check_envelope(&lax, data, size);
  /* Certificates are signed without AAD, gossip under the cluster name. */
  const uint8_t *aad = lax.cwt_tagged ? NULL : fuzz_aad();
  size_t aad_len = lax.cwt_tagged ? 0 : FUZZ_AAD_LEN;
  int rc = mb_cose_sign1_verify(&lax, aad, aad_len, lax.kid);
  FUZZ_CHECK(rc == MB_OK || rc == MB_EBADSIG);
  return 0;
}
