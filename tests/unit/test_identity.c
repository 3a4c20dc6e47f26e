/*
 * Unit tests for what a certificate binds besides the node id: the name
 * and failure domain in a member's records must be its certificate's
 * (src/gossip/admission.c, swim_identity_ok), whoever signed the record;
 * and a renewed certificate (swim_set_cert) replaces the old one at every
 * peer.  Crafted datagrams come from the fixture's outsider, an admitted
 * node that never runs.
 */
#include "test_util.h"

#include <stdio.h>
#include <string.h>

#include "swim_fixture.h"

static uint64_t rejected(struct fixture *fx, int i, enum swim_reject r) {
  struct swim_stats st;
  swim_get_stats(fx->node[i], &st);
  return st.rejected[r];
}

struct hb_spec {
  int author;
  const char *name, *domain;
  uint64_t incarnation;
  bool with_cert; /* the author's certificate rides along */
};

/* A gossip datagram from the outsider, bound to `to`, carrying a signed
 * record and, when cert is not NULL, a certificate. */
static size_t wrap(struct fixture *fx, int to, const uint8_t *rec,
                   size_t rec_len, const uint8_t *cert, size_t cert_len,
                   uint64_t seq, uint8_t *out, size_t cap) {
  const uint8_t *aad = (const uint8_t *)FX_CLUSTER;
  struct mb_msg msg = {.kind = MB_MSG_GOSSIP};
  struct mb_dgram_builder b;
  size_t len;
  assert_ok(mb_dgram_init(&b, &fx->id[FX_OUTSIDER], aad, strlen(FX_CLUSTER),
                          1400, seq, &msg));
  fx_bind(fx, &b, to);
  assert_ok(
      mb_dgram_add_cert(&b, fx->cert[FX_OUTSIDER], fx->cert_len[FX_OUTSIDER]));
  if (cert != NULL)
    assert_ok(mb_dgram_add_cert(&b, cert, cert_len));
  assert_ok(mb_dgram_add_record(&b, rec, rec_len));
  assert_ok(mb_dgram_finish(&b, out, cap, &len));
  return len;
}

/* The same with a heartbeat record signed by spec->author. */
static void inject(struct fixture *fx, int to, const struct hb_spec *spec,
                   uint64_t seq) {
  struct mb_heartbeat hb = {.incarnation = spec->incarnation,
                            .seq = seq,
                            .time_ms = 1790000000000 + (int64_t)fx->now,
                            .status = MB_HB_ALIVE,
                            .epoch = 77};
  memcpy(hb.node_id, fx->id[spec->author].pk, MB_NODE_ID_LEN);
  snprintf(hb.name, sizeof(hb.name), "%s", spec->name);
  snprintf(hb.domain, sizeof(hb.domain), "%s", spec->domain);
  hb.addr = fx_addr(spec->author);
  uint8_t rec[MB_WIRE_MAX_RECORD], dg[2048];
  size_t rec_len;
  assert_ok(mb_wire_heartbeat_sign(
      &fx->id[spec->author], (const uint8_t *)FX_CLUSTER, strlen(FX_CLUSTER),
      &hb, rec, sizeof(rec), &rec_len));
  int a = spec->author;
  size_t n = wrap(fx, to, rec, rec_len, spec->with_cert ? fx->cert[a] : NULL,
                  fx->cert_len[a], seq, dg, sizeof(dg));
  fx_inject(fx, to, FX_OUTSIDER, dg, n);
}

static struct swim_member_info member(struct fixture *fx, int i, int j) {
  struct swim_member_info info;
  long k = swim_member_find(fx->node[i], fx->id[j].pk);
  assert_true(k >= 0);
  assert_ok(swim_member_get(fx->node[i], (size_t)k, &info));
  return info;
}

/* A newcomer certified as n3 (no domain) whose record says otherwise is
 * not admitted into the view, and the refusal is counted; the same
 * newcomer naming itself as certified is. */
static void test_newcomer_contradicting_its_certificate(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 3);
  uint64_t before = rejected(&fx, 0, SWIM_REJ_IDENTITY);
  inject(&fx, 0, &(struct hb_spec){3, "notS1", "", 1, true}, 1);
  inject(&fx, 0, &(struct hb_spec){3, "n3", "r9", 1, true}, 2);
  assert_int_equal(rejected(&fx, 0, SWIM_REJ_IDENTITY) - before, 2);
  assert_true(swim_member_find(fx.node[0], fx.id[3].pk) < 0);
  inject(&fx, 0, &(struct hb_spec){3, "n3", "", 1, true}, 3);
  assert_int_equal(rejected(&fx, 0, SWIM_REJ_IDENTITY) - before, 2);
  struct swim_member_info m = member(&fx, 0, 3);
  assert_string_equal(m.name, "n3");
  assert_int_equal(m.state, SWIM_ALIVE);
  fx_free(&fx);
}

/* A member whose certificate we hold signs a newer record under another
 * name or domain (a modified binary): refused, its entry unchanged. */
static void test_member_renaming_itself_refused(void **state) {
  (void)state;
  struct fixture fx;
  fx_init(&fx, 3);
  fx.domains = 2; /* n1 in rack1 */
  fx_start_all(&fx);
  fx_run_until(&fx, 4000);
  assert_true(fx_converged(&fx));
  uint64_t inc = fx_incarnation(&fx, 0, 1);
  uint64_t before = rejected(&fx, 0, SWIM_REJ_IDENTITY);
  inject(&fx, 0, &(struct hb_spec){1, "n1", "r9", inc + 5, false}, 1);
  inject(&fx, 0, &(struct hb_spec){1, "notS1", "rack1", inc + 5, false}, 2);
  assert_int_equal(rejected(&fx, 0, SWIM_REJ_IDENTITY) - before, 2);
  struct swim_member_info m = member(&fx, 0, 1);
  assert_int_equal(m.incarnation, inc);
  assert_string_equal(m.name, "n1");
  assert_string_equal(m.domain, "rack1");
  inject(&fx, 0, &(struct hb_spec){1, "n1", "rack1", inc + 5, false}, 3);
  assert_int_equal(member(&fx, 0, 1).incarnation, inc + 5);
  fx_free(&fx);
}

/* A record restored from the store is checked the same way. */
static void test_restored_record_contradicting_certificate(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 2);
  struct mb_heartbeat hb = {.incarnation = 1,
                            .seq = 1,
                            .time_ms = 1790000000000,
                            .status = MB_HB_ALIVE,
                            .epoch = 5};
  memcpy(hb.node_id, fx.id[5].pk, MB_NODE_ID_LEN);
  strcpy(hb.name, "someone-else");
  hb.addr = fx_addr(5);
  uint8_t rec[MB_WIRE_MAX_RECORD];
  size_t len;
  assert_ok(mb_wire_heartbeat_sign(&fx.id[5], (const uint8_t *)FX_CLUSTER,
                                   strlen(FX_CLUSTER), &hb, rec, sizeof(rec),
                                   &len));
  assert_rc(
      swim_restore(fx.node[0], fx.now, rec, len, fx.cert[5], fx.cert_len[5]),
      MB_ECERTNAME);
  assert_true(swim_member_find(fx.node[0], fx.id[5].pk) < 0);
  fx_free(&fx);
}

static size_t certify(struct fixture *fx, const struct mb_identity *authority,
                      int node, const char *name, const char *domain,
                      int64_t expires_at, uint8_t *out) {
  struct mb_cert c = {.issued_at = 1700000000, .expires_at = expires_at};
  memcpy(c.node_id, fx->id[node].pk, MB_NODE_ID_LEN);
  strcpy(c.name, name);
  strcpy(c.domain, domain);
  size_t len;
  assert_ok(mb_cert_issue(authority, &c, out, MB_CERT_MAX_LEN, &len));
  return len;
}

static bool holds_cert(struct fixture *fx, int observer, int subject,
                       const uint8_t *cert, size_t len) {
  struct mb_bytes rec, held;
  long k = swim_member_find(fx->node[observer], fx->id[subject].pk);
  return k >= 0 &&
         swim_member_raw(fx->node[observer], (size_t)k, &rec, &held) == MB_OK &&
         held.len == len && memcmp(held.p, cert, len) == 0;
}

/* A renewed certificate reaches every peer within seconds, without a
 * restart and without any change of state, also one the renewed node
 * cannot send to: relays carry it with every copy of the record re-signed
 * for it.  Certificates that name another node,
 * name or domain, or come from another authority, or have expired, are
 * refused and the old one kept. */
static void test_renewed_certificate_reaches_every_peer(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 5);
  int64_t wall = 1790000000000 + (int64_t)fx.now;
  uint8_t renewed[MB_CERT_MAX_LEN], bad[MB_CERT_MAX_LEN];
  size_t len = certify(&fx, &fx.authority, 1, "n1", "", 4100000000, renewed);
  struct mb_identity other;
  mb_identity_generate(&other);
  size_t n = certify(&fx, &fx.authority, 2, "n2", "", 4100000000, bad);
  assert_rc(swim_set_cert(fx.node[1], fx.now, wall, bad, n), MB_ECERTNODE);
  n = certify(&fx, &fx.authority, 1, "notS1", "", 4100000000, bad);
  assert_rc(swim_set_cert(fx.node[1], fx.now, wall, bad, n), MB_ECERTNAME);
  n = certify(&fx, &fx.authority, 1, "n1", "r9", 4100000000, bad);
  assert_rc(swim_set_cert(fx.node[1], fx.now, wall, bad, n), MB_ECERTNAME);
  n = certify(&fx, &other, 1, "n1", "", 4100000000, bad);
  assert_rc(swim_set_cert(fx.node[1], fx.now, wall, bad, n), MB_EAUTHORITY);
  n = certify(&fx, &fx.authority, 1, "n1", "", 1780000000, bad);
  assert_rc(swim_set_cert(fx.node[1], fx.now, wall, bad, n), MB_EEXPIRED);
  assert_true(holds_cert(&fx, 1, 1, fx.cert[1], fx.cert_len[1]));
  uint64_t inc = fx_incarnation(&fx, 0, 1);
  size_t events = fx.n_events;

  fx.cut[1][4] = true;
  assert_ok(swim_set_cert(fx.node[1], fx.now, wall, renewed, len));
  fx_drain(&fx, 1);
  assert_true(holds_cert(&fx, 1, 1, renewed, len));
  fx_run_until(&fx, fx.now + 3000);
  for (int i = 0; i < 5; i++)
    assert_true(holds_cert(&fx, i, 1, renewed, len));
  assert_int_equal(fx_incarnation(&fx, 0, 1), inc);
  for (size_t k = events; k < fx.n_events; k++)
    assert_int_equal(fx.events[k].ev.reason, SWIM_R_UPDATED);
  assert_true(fx_converged(&fx));
  fx_free(&fx);
}

/* A member that got the re-signed record bare takes the renewed
 * certificate from any later copy of it (or from a view compared, which
 * carries the same); an older certificate never replaces a later one. */
static void test_later_certificate_taken_from_any_copy(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 3);
  int64_t wall = 1790000000000 + (int64_t)fx.now;
  uint8_t renewed[MB_CERT_MAX_LEN], dg[2048];
  size_t len = certify(&fx, &fx.authority, 1, "n1", "", 4100000000, renewed);
  for (int i = 0; i < 3; i++)
    fx.cut[1][i] = true; /* n1's own datagrams reach nobody */
  assert_ok(swim_set_cert(fx.node[1], fx.now, wall, renewed, len));
  fx_drain(&fx, 1);
  struct mb_bytes rec, cert;
  assert_ok(swim_member_raw(fx.node[1],
                            (size_t)swim_member_find(fx.node[1], fx.id[1].pk),
                            &rec, &cert));
  uint8_t record[MB_WIRE_MAX_RECORD];
  size_t rec_len = rec.len;
  memcpy(record, rec.p, rec.len);
  size_t n = wrap(&fx, 0, record, rec_len, NULL, 0, 1, dg, sizeof(dg));
  fx_inject(&fx, 0, FX_OUTSIDER, dg, n);
  assert_true(holds_cert(&fx, 0, 1, fx.cert[1], fx.cert_len[1]));
  n = wrap(&fx, 0, record, rec_len, renewed, len, 2, dg, sizeof(dg));
  fx_inject(&fx, 0, FX_OUTSIDER, dg, n);
  assert_true(holds_cert(&fx, 0, 1, renewed, len));
  n = wrap(&fx, 0, record, rec_len, fx.cert[1], fx.cert_len[1], 3, dg,
           sizeof(dg));
  fx_inject(&fx, 0, FX_OUTSIDER, dg, n);
  assert_true(holds_cert(&fx, 0, 1, renewed, len));
  fx_free(&fx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_newcomer_contradicting_its_certificate),
      cmocka_unit_test(test_member_renaming_itself_refused),
      cmocka_unit_test(test_restored_record_contradicting_certificate),
      cmocka_unit_test(test_renewed_certificate_reaches_every_peer),
      cmocka_unit_test(test_later_certificate_taken_from_any_copy),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
