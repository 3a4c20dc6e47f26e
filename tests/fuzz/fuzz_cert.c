/*
 * libFuzzer target: admission certificates, decoded for display and verified
 * against the cluster authority at a fixed time.  Only a certificate that
 * decodes may verify, and verifying must fill in exactly what decoding does.
 */
#include "fuzz_common.h"

static struct mb_identity authority;
static int have_authority;

static void check_text(const char *s, size_t max) {
  FUZZ_CHECK(strnlen(s, max + 1) <= max);
}

static void check_cert(const struct mb_cert *c) {
  check_text(c->name, MB_NAME_MAX);
  FUZZ_CHECK(c->name[0] != '\0');
  check_text(c->domain, MB_DOMAIN_MAX);
  FUZZ_CHECK(c->n_roles <= MB_CERT_MAX_ROLES);
  for (size_t i = 0; i < c->n_roles; i++)
    check_text(c->roles[i], MB_ROLE_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!have_authority) {
    fuzz_identity(&authority, FUZZ_KEY_AUTHORITY);
    have_authority = 1;
  }
  struct mb_cert decoded, verified;
  int rc_dec = mb_cert_decode(data, size, &decoded);
  int rc_ver = mb_cert_verify(data, size, authority.pk, FUZZ_NOW_S, FUZZ_SKEW_S,
                              &verified);
  if (rc_dec != MB_OK) {
    FUZZ_CHECK(rc_ver == rc_dec);
    return 0;
  }
  check_cert(&decoded);
  /* Whatever the verdict, verify decoded the same fields (the struct has no
   * padding and both start from zeroed memory). */
  FUZZ_CHECK(memcmp(&verified, &decoded, sizeof(decoded)) == 0);
  if (rc_ver == MB_OK)
    FUZZ_CHECK(memcmp(verified.authority, authority.pk, MB_NODE_ID_LEN) == 0);
  return 0;
}
