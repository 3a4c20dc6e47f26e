/*
 * Webhook secrets and signatures, the parts Python's check
 * (tests/bridge/test_webhook_sign.py) cannot see from outside: the header
 * grows one signature per secret, a short buffer is refused whole, and a
 * change of id, timestamp, body or key changes the signature.
 */
#include "bridge_fixture.h"

#include <sodium.h>

static int secret_text(char *out, size_t cap, uint8_t fill, size_t len) {
  uint8_t key[MB_WEBHOOK_SECRET_MAX + 8];
  memset(key, fill, sizeof(key));
  memcpy(out, "whsec_", 6);
  sodium_bin2base64(out + 6, cap - 6, key, len, sodium_base64_VARIANT_ORIGINAL);
  return 0;
}

static void secrets_parse_one_or_several(void **state) {
  (void)state;
  char a[128], b[128], text[300];
  secret_text(a, sizeof(a), 0x11, 32);
  secret_text(b, sizeof(b), 0x22, 24);
  snprintf(text, sizeof(text), "  %s\n\t%s\n", a, b);
  struct mb_webhook_secret s[MB_WEBHOOK_MAX_SECRETS];
  assert_int_equal(mb_webhook_secrets_parse(text, s, MB_WEBHOOK_MAX_SECRETS),
                   2);
  assert_int_equal(s[0].len, 32);
  assert_int_equal(s[0].key[31], 0x11);
  assert_int_equal(s[1].len, 24);
  assert_rc(mb_webhook_secrets_parse(text, s, 1), MB_ETOOBIG);
}

static void secrets_of_the_wrong_size_or_form_are_refused(void **state) {
  (void)state;
  char text[200];
  struct mb_webhook_secret s[2];
  secret_text(text, sizeof(text), 1, MB_WEBHOOK_SECRET_MIN - 1);
  assert_rc(mb_webhook_secrets_parse(text, s, 2), MB_ERANGE);
  secret_text(text, sizeof(text), 1, MB_WEBHOOK_SECRET_MAX + 1);
  assert_rc(mb_webhook_secrets_parse(text, s, 2), MB_ERANGE);
  secret_text(text, sizeof(text), 1, MB_WEBHOOK_SECRET_MAX);
  assert_int_equal(mb_webhook_secrets_parse(text, s, 2), 1);
  assert_rc(mb_webhook_secrets_parse("", s, 2), MB_EINVAL);
  assert_rc(mb_webhook_secrets_parse("whsec_", s, 2), MB_EINVAL);
  assert_rc(mb_webhook_secrets_parse("whsec_%%%%", s, 2), MB_EINVAL);
  text[0] = 'W'; /* the prefix is case-sensitive */
  assert_rc(mb_webhook_secrets_parse(text, s, 2), MB_EINVAL);
}

static void the_header_has_one_signature_per_secret(void **state) {
  (void)state;
  struct mb_webhook_secret s[3];
  for (int i = 0; i < 3; i++) {
    memset(s[i].key, 0x30 + i, 32);
    s[i].len = 32;
  }
  const uint8_t body[] = "{\"type\":\"machine.offline\"}";
  char one[MB_WEBHOOK_SIG_LEN + 1], three[3 * (MB_WEBHOOK_SIG_LEN + 1)];
  assert_ok(mb_webhook_sign(s, 1, "evt_1", 1700000000, body, sizeof(body) - 1,
                            one, sizeof(one)));
  assert_int_equal(strlen(one), MB_WEBHOOK_SIG_LEN);
  assert_memory_equal(one, "v1,", 3);
  assert_ok(mb_webhook_sign(s, 3, "evt_1", 1700000000, body, sizeof(body) - 1,
                            three, sizeof(three)));
  assert_int_equal(strlen(three), 3 * MB_WEBHOOK_SIG_LEN + 2);
  /* the first is the same signature as alone; the others differ */
  assert_memory_equal(three, one, MB_WEBHOOK_SIG_LEN);
  assert_int_equal(three[MB_WEBHOOK_SIG_LEN], ' ');
  assert_memory_not_equal(three + MB_WEBHOOK_SIG_LEN + 1, one,
                          MB_WEBHOOK_SIG_LEN);
  assert_rc(mb_webhook_sign(s, 3, "evt_1", 1700000000, body, sizeof(body) - 1,
                            three, sizeof(three) - 1),
            MB_ENOSPACE);
  assert_string_equal(three, "");
}

static void every_signed_part_counts(void **state) {
  (void)state;
  struct mb_webhook_secret s = {.len = 32}, t = {.len = 32};
  memset(s.key, 7, 32), memset(t.key, 7, 32);
  t.key[31] = 8;
  const uint8_t body[] = "{}", body2[] = "{ }";
  char base[64], other[64];
  assert_ok(mb_webhook_sign(&s, 1, "evt_a", 5, body, 2, base, sizeof(base)));
  assert_ok(mb_webhook_sign(&s, 1, "evt_b", 5, body, 2, other, sizeof(other)));
  assert_string_not_equal(base, other);
  assert_ok(mb_webhook_sign(&s, 1, "evt_a", 6, body, 2, other, sizeof(other)));
  assert_string_not_equal(base, other);
  assert_ok(mb_webhook_sign(&s, 1, "evt_a", 5, body2, 3, other, sizeof(other)));
  assert_string_not_equal(base, other);
  assert_ok(mb_webhook_sign(&t, 1, "evt_a", 5, body, 2, other, sizeof(other)));
  assert_string_not_equal(base, other);
  assert_ok(mb_webhook_sign(&s, 1, "evt_a", 5, body, 2, other, sizeof(other)));
  assert_string_equal(base, other);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(secrets_parse_one_or_several),
      cmocka_unit_test(secrets_of_the_wrong_size_or_form_are_refused),
      cmocka_unit_test(the_header_has_one_signature_per_secret),
      cmocka_unit_test(every_signed_part_counts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
