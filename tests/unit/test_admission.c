/*
 * Unit tests for admission (src/gossip/admission.c): a datagram makes the
 * core verify at most its sender's certificate before it is
 * authenticated, strangers' certificates are checked within a budget, and
 * a flood of forgeries from one source does not keep a genuine newcomer
 * out.  Checks are counted by the core (stranger_checks), and as the
 * shared verified-record cache's misses: everything the core verifies
 * goes through it.
 */
#include "test_util.h"

#include <string.h>

#include "swim_fixture.h"

static uint64_t verifies(struct fixture *fx) {
  struct mb_vcache_stats st;
  mb_vcache_get_stats(fx->vc, &st);
  return st.misses;
}

/* A certificate for `who`, from the real authority, with its signature
 * spoiled: well-formed, so checking it costs a whole verify. */
static size_t forged_cert(struct fixture *fx, const struct mb_identity *who,
                          uint8_t *out) {
  struct mb_cert c = {.issued_at = 1700000000, .expires_at = 4000000000};
  memcpy(c.node_id, who->pk, MB_NODE_ID_LEN);
  strcpy(c.name, "forged");
  size_t len;
  assert_ok(mb_cert_issue(&fx->authority, &c, out, MB_CERT_MAX_LEN, &len));
  out[len - 64 + 5] ^= 0x01; /* in R: S stays canonical */
  return len;
}

/* A ping from `from` carrying `n` forged certificates naming `named`. */
static size_t forged_ping(struct fixture *fx, int to,
                          const struct mb_identity *from,
                          const struct mb_identity *named, int n, uint64_t seq,
                          uint8_t *out, size_t cap) {
  static uint8_t certs[16][MB_CERT_MAX_LEN];
  size_t lens[16];
  struct mb_msg ping = {.kind = MB_MSG_PING, .probe_id = 7};
  memcpy(ping.target, fx->id[0].pk, MB_NODE_REF_LEN);
  struct mb_dgram_builder b;
  assert_ok(mb_dgram_init(&b, from, (const uint8_t *)FX_CLUSTER,
                          strlen(FX_CLUSTER), 65000, seq, &ping));
  fx_bind(fx, &b, to);
  for (int i = 0; i < n; i++) {
    lens[i] = forged_cert(fx, named, certs[i]);
    assert_ok(mb_dgram_add_cert(&b, certs[i], lens[i]));
  }
  size_t len;
  assert_ok(mb_dgram_finish(&b, out, cap, &len));
  return len;
}

/* Sixteen forged certificates that do not name the sender cost nothing:
 * the sender is not admitted, and nothing else is looked at. */
static void test_certificates_of_others_never_checked(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 3);
  struct mb_identity stranger, other;
  mb_identity_generate(&stranger);
  mb_identity_generate(&other);
  static uint8_t dg[65000];
  uint64_t before = verifies(&fx);
  struct swim_stats st;
  swim_get_stats(fx.node[0], &st);
  uint64_t refused = st.rejected[SWIM_REJ_ADMISSION];
  for (int k = 0; k < 20; k++) {
    size_t n = forged_ping(&fx, 0, &stranger, &other, 16, (uint64_t)k + 1, dg,
                           sizeof(dg));
    fx_inject(&fx, 0, 1, dg, n);
  }
  assert_int_equal(verifies(&fx) - before, 0);
  swim_get_stats(fx.node[0], &st);
  assert_int_equal(st.rejected[SWIM_REJ_ADMISSION] - refused, 20);
  fx_free(&fx);
}

/* Forged certificates naming the sender: one is checked per datagram, and
 * after a few failures from one source none at all; a genuine newcomer at
 * another address is still admitted. */
static void test_forgeries_from_one_source_are_throttled(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 3);
  static uint8_t dg[65000];
  struct swim_stats st;
  swim_get_stats(fx.node[0], &st);
  uint64_t before = st.stranger_checks;
  for (int k = 0; k < 50; k++) {
    struct mb_identity stranger;
    mb_identity_generate(&stranger);
    size_t n = forged_ping(&fx, 0, &stranger, &stranger, 16, 1, dg, sizeof(dg));
    fx_inject(&fx, 0, 1, dg, n);
  }
  swim_get_stats(fx.node[0], &st);
  uint64_t spent = st.stranger_checks - before;
  print_message("50 datagrams with 16 forged certificates each: %llu "
                "verifies\n",
                (unsigned long long)spent);
  assert_true(spent >= 1 && spent <= 4);
  /* A genuine newcomer, a stranger to node 0, from its own address. */
  fx.n = 4;
  fx_start_node(&fx, 3, 1);
  struct mb_addr seed = fx_addr(0);
  swim_join(fx.node[3], fx.now, &seed, 1);
  fx_drain(&fx, 3);
  fx_run_until(&fx, fx.now + 5000);
  assert_true(fx_converged(&fx));
  fx_free(&fx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_certificates_of_others_never_checked),
      cmocka_unit_test(test_forgeries_from_one_source_are_throttled),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
