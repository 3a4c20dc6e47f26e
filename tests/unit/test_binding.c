/*
 * Unit tests for datagram authentication between members (docs/protocol.md,
 * Datagram authentication): a MAC under a pair key that names one member
 * but was not made with that key is refused; the replay window spans 256
 * of the sender's datagrams, whose numbers go up by one per datagram; an
 * unbound join draws an answer no larger than itself and never the view;
 * and a member that restarted with a new epoch is found again through
 * introductions, without joining.
 */
#include "test_util.h"

#include <string.h>

#include "swim_fixture.h"

#define AAD ((const uint8_t *)FX_CLUSTER), strlen(FX_CLUSTER)

/* Datagrams from node `from` to node `to` still in flight, and their
 * bytes. */
static size_t packets(const struct fixture *fx, int from, int to,
                      size_t *bytes) {
  size_t n = 0, b = 0;
  for (size_t k = 0; k < fx->n_inflight; k++)
    if (fx->inflight[k].from == from && fx->inflight[k].to == to)
      n++, b += fx->inflight[k].len;
  if (bytes != NULL)
    *bytes = b;
  return n;
}

static uint64_t rejected(const struct fixture *fx, int i, enum swim_reject r) {
  struct swim_stats st;
  swim_get_stats(fx->node[i], &st);
  return st.rejected[r];
}

/* A ping by `from` to `to`, bound to it, MACed under `key` (NULL: signed).
 * A test's sequence numbers sit far above a real node's. */
static size_t ping(struct fixture *fx, int from, int to, uint64_t seq,
                   const uint8_t *key, uint8_t *out) {
  struct mb_msg m = {.kind = MB_MSG_PING, .probe_id = 7};
  memcpy(m.target, fx->id[to].pk, MB_NODE_REF_LEN);
  struct mb_dgram_builder b;
  size_t len;
  assert_ok(mb_dgram_init(&b, &fx->id[from], AAD, 1400, seq, &m));
  fx_bind(fx, &b, to);
  if (key != NULL)
    assert_ok(mb_dgram_use_mac(&b, key));
  assert_ok(mb_dgram_finish(&b, out, 1400, &len));
  return len;
}

/* A member's MAC is checked under the key of the pair it names: a tag
 * changed, or made under another pair's key, is refused (signature), and
 * so is one bound to another receiver (binding); none is answered. */
static void test_forged_mac_refused(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 4);
  uint8_t key10[MB_PAIR_KEY_LEN], key20[MB_PAIR_KEY_LEN];
  uint8_t key12[MB_PAIR_KEY_LEN], dg[1400];
  assert_ok(mb_pair_key(key10, &fx.id[1], fx.id[0].pk));
  assert_ok(mb_pair_key(key20, &fx.id[2], fx.id[0].pk));
  assert_ok(mb_pair_key(key12, &fx.id[1], fx.id[2].pk));
  /* Both ends derive the same key. */
  uint8_t key01[MB_PAIR_KEY_LEN];
  assert_ok(mb_pair_key(key01, &fx.id[0], fx.id[1].pk));
  assert_memory_equal(key01, key10, MB_PAIR_KEY_LEN);
  uint64_t seq = UINT64_MAX - 1000;
  uint64_t sig = rejected(&fx, 0, SWIM_REJ_SIGNATURE);
  uint64_t bind = rejected(&fx, 0, SWIM_REJ_BINDING);
  fx.n_inflight = 0;
  size_t n = ping(&fx, 1, 0, seq++, key10, dg);
  assert_int_equal(dg[0], 0xd1); /* tag 17: COSE_Mac0 */
  dg[n - 1] ^= 0x01;             /* inside the tag */
  fx_inject(&fx, 0, 1, dg, n);
  n = ping(&fx, 1, 0, seq++, key20, dg); /* 1's ref, 2's key */
  fx_inject(&fx, 0, 1, dg, n);
  n = ping(&fx, 1, 2, seq++, key12, dg); /* genuine, for node 2 */
  fx_inject(&fx, 0, 1, dg, n);
  assert_int_equal(packets(&fx, 0, 1, NULL), 0);
  assert_int_equal(rejected(&fx, 0, SWIM_REJ_SIGNATURE), sig + 2);
  assert_int_equal(rejected(&fx, 0, SWIM_REJ_BINDING), bind + 1);
  /* The genuine one is answered. */
  n = ping(&fx, 1, 0, seq++, key10, dg);
  fx_inject(&fx, 0, 1, dg, n);
  assert_int_equal(packets(&fx, 0, 1, NULL), 1);
  fx_free(&fx);
}

/* Signed datagrams naming a member with a bad signature, 2000 within one
 * second: at most 400 are verified, the rest refused unread (budget), and
 * the member's MACed pings are still answered all along. */
static void test_forged_signatures_within_budget(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 4);
  uint8_t key[MB_PAIR_KEY_LEN], dg[1400];
  assert_ok(mb_pair_key(key, &fx.id[1], fx.id[0].pk));
  uint64_t seq = UINT64_MAX - 100000;
  uint64_t sig = rejected(&fx, 0, SWIM_REJ_SIGNATURE);
  uint64_t budget = rejected(&fx, 0, SWIM_REJ_BUDGET);
  fx.n_inflight = 0;
  size_t answered = 0;
  for (int k = 0; k < 2000; k++) {
    size_t n = ping(&fx, 1, 0, seq++, NULL, dg);
    dg[n - 3] ^= 0x40; /* inside the signature */
    fx_inject(&fx, 0, 1, dg, n);
    if (k % 100 == 99) {
      n = ping(&fx, 1, 0, seq++, key, dg);
      fx_inject(&fx, 0, 1, dg, n);
      answered++;
    }
  }
  uint64_t checked = rejected(&fx, 0, SWIM_REJ_SIGNATURE) - sig;
  print_message(
      "2000 forged signatures: %llu verified, %llu over budget\n",
      (unsigned long long)checked,
      (unsigned long long)(rejected(&fx, 0, SWIM_REJ_BUDGET) - budget));
  assert_true(checked <= 400);
  assert_int_equal(rejected(&fx, 0, SWIM_REJ_BUDGET) - budget, 2000 - checked);
  assert_int_equal(packets(&fx, 0, 1, NULL), answered);
  fx_free(&fx);
}

/* An app datagram from `from` to `to` (bound to it unless to < 0),
 * MACed under `key` (NULL: signed, carrying `from`'s certificate). */
static size_t app_dgram(struct fixture *fx, int from, int to, uint64_t seq,
                        const uint8_t *key, const char *text, uint8_t *out) {
  struct mb_msg m = {.kind = MB_MSG_APP,
                     .app_channel = SWIM_APP_RAFT,
                     .app_payload = (const uint8_t *)text,
                     .app_len = strlen(text)};
  struct mb_dgram_builder b;
  size_t len;
  assert_ok(mb_dgram_init(&b, &fx->id[from], AAD, 1400, seq, &m));
  if (to >= 0)
    fx_bind(fx, &b, to);
  if (key != NULL)
    assert_ok(mb_dgram_use_mac(&b, key));
  else
    assert_ok(mb_dgram_add_cert(&b, fx->cert[from], fx->cert_len[from]));
  assert_ok(mb_dgram_finish(&b, out, 1400, &len));
  return len;
}

static uint64_t app_stat(const struct fixture *fx, int i, int which) {
  struct swim_stats st;
  swim_get_stats(fx->node[i], &st);
  return which == 0   ? st.app_received
         : which == 1 ? st.app_not_member
                      : st.app_unknown_channel;
}

/* An app datagram is delivered only as every other is accepted: a forged
 * MAC (signature), one bound to another member (binding), an unbound one
 * (binding), a replay of a delivered one (replay), a stranger's, though
 * admitted (not a member), all yield nothing and draw no answer; the
 * genuine one is delivered once.  A forged MAC costs one HMAC, as a
 * forged ping does. */
static void test_app_only_from_members(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 4);
  uint8_t key10[MB_PAIR_KEY_LEN], key12[MB_PAIR_KEY_LEN], dg[1400];
  uint8_t genuine[1400];
  assert_ok(mb_pair_key(key10, &fx.id[1], fx.id[0].pk));
  assert_ok(mb_pair_key(key12, &fx.id[1], fx.id[2].pk));
  uint64_t seq = UINT64_MAX - 5000;
  uint64_t sig = rejected(&fx, 0, SWIM_REJ_SIGNATURE);
  uint64_t bind = rejected(&fx, 0, SWIM_REJ_BINDING);
  uint64_t replay = rejected(&fx, 0, SWIM_REJ_REPLAY);
  fx.n_inflight = 0;
  fx.n_apps = 0;
  size_t n = app_dgram(&fx, 1, 0, seq++, key10, "forged", dg);
  dg[n - 1] ^= 0x01; /* inside the tag */
  fx_inject(&fx, 0, 1, dg, n);
  n = app_dgram(&fx, 1, 2, seq++, key12, "for node 2", dg);
  fx_inject(&fx, 0, 1, dg, n);
  n = app_dgram(&fx, 1, -1, seq++, NULL, "unbound", dg);
  fx_inject(&fx, 0, 1, dg, n);
  assert_int_equal(fx.n_apps, 0);
  assert_int_equal(rejected(&fx, 0, SWIM_REJ_SIGNATURE), sig + 1);
  assert_int_equal(rejected(&fx, 0, SWIM_REJ_BINDING), bind + 2);
  /* The genuine one, then its replay. */
  size_t g = app_dgram(&fx, 1, 0, seq++, key10, "genuine", genuine);
  fx_inject(&fx, 0, 1, genuine, g);
  fx_inject(&fx, 0, 1, genuine, g);
  assert_int_equal(fx.n_apps, 1);
  assert_int_equal(fx.apps[0].from, 1);
  assert_memory_equal(fx.apps[0].buf, "genuine", 7);
  assert_int_equal(rejected(&fx, 0, SWIM_REJ_REPLAY), replay + 1);
  /* An admitted node that is no member of 0's view. */
  n = app_dgram(&fx, FX_OUTSIDER, 0, seq++, NULL, "stranger", dg);
  fx_inject(&fx, 0, FX_OUTSIDER, dg, n);
  assert_int_equal(fx.n_apps, 1);
  assert_int_equal(app_stat(&fx, 0, 0), 1);
  assert_int_equal(app_stat(&fx, 0, 1), 1);
  assert_int_equal(packets(&fx, 0, 1, NULL), 0);
  assert_int_equal(packets(&fx, 0, FX_OUTSIDER, NULL), 0);
  /* A channel the core does not know: counted, not delivered. */
  struct mb_msg m = {.kind = MB_MSG_APP, .app_channel = 200};
  struct mb_dgram_builder b;
  assert_ok(mb_dgram_init(&b, &fx.id[1], AAD, 1400, seq++, &m));
  fx_bind(&fx, &b, 0);
  assert_ok(mb_dgram_use_mac(&b, key10));
  assert_ok(mb_dgram_finish(&b, dg, sizeof dg, &n));
  fx_inject(&fx, 0, 1, dg, n);
  assert_int_equal(fx.n_apps, 1);
  assert_int_equal(app_stat(&fx, 0, 2), 1);
  fx_free(&fx);
}

/* A node numbers its datagrams one after the other, whoever receives
 * them. */
static void test_sequence_counts_datagrams(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 6);
  fx.n_inflight = 0;
  fx.latency_ms = 60000; /* nothing arrives: all stay in flight, in order */
  fx_run_until(&fx, fx.now + 5000);
  uint64_t last = 0;
  size_t seen = 0;
  for (size_t k = 0; k < fx.n_inflight; k++) {
    struct mb_datagram d;
    if (fx.inflight[k].from != 1)
      continue;
    assert_ok(
        mb_wire_datagram_parse(fx.inflight[k].buf, fx.inflight[k].len, &d));
    if (seen++ > 0)
      assert_true(d.seq == last + 1);
    last = d.seq;
  }
  assert_true(seen >= 5);
  fx_free(&fx);
}

/* The window spans 256 of the sender's numbers: reordered within it each
 * datagram is accepted once; one 256 or more below the highest is not. */
static void test_window_spans_256_datagrams(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 3);
  uint8_t key[MB_PAIR_KEY_LEN], dg[1400];
  assert_ok(mb_pair_key(key, &fx.id[1], fx.id[0].pk));
  uint64_t base = UINT64_MAX - 100000;
  uint64_t replays = rejected(&fx, 0, SWIM_REJ_REPLAY);
  fx.n_inflight = 0;
  const uint64_t order[] = {300, 299, 45, 44, 45, 1000, 745, 744};
  const bool accepted[] = {true, true, true, false, false, true, true, false};
  size_t answered = 0;
  for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
    size_t n = ping(&fx, 1, 0, base + order[i], key, dg);
    fx_inject(&fx, 0, 1, dg, n);
    answered += accepted[i];
    assert_int_equal(packets(&fx, 0, 1, NULL), answered);
  }
  assert_int_equal(rejected(&fx, 0, SWIM_REJ_REPLAY), replays + 3);
  fx_free(&fx);
}

/* A join by member `from`, carrying its certificate and its own current
 * record as a real one does: a request (parts 1) or an introduction (2),
 * bound to `to` or not, padded to `pad` bytes (0: not). */
static size_t join_with(struct fixture *fx, int from, int to, uint32_t parts,
                        bool bound, size_t pad, uint64_t seq,
                        const uint8_t *cookie, uint8_t *out) {
  struct mb_msg m = {.kind = MB_MSG_JOIN, .parts = parts};
  if (cookie != NULL) {
    memcpy(m.digest, cookie, MB_VIEW_DIGEST_LEN);
    m.has_digest = true;
  }
  struct mb_dgram_builder b;
  struct mb_bytes rec, cert;
  size_t len;
  long self = swim_member_find(fx->node[from], fx->id[from].pk);
  assert_true(self >= 0);
  assert_ok(swim_member_raw(fx->node[from], (size_t)self, &rec, &cert));
  assert_ok(mb_dgram_init(&b, &fx->id[from], AAD, 1400, seq, &m));
  if (bound)
    fx_bind(fx, &b, to);
  assert_ok(mb_dgram_add_cert(&b, fx->cert[from], fx->cert_len[from]));
  assert_ok(mb_dgram_add_record(&b, rec.p, rec.len));
  if (pad > 0)
    mb_dgram_pad(&b, pad);
  assert_ok(mb_dgram_finish(&b, out, 1400, &len));
  return len;
}

static size_t join(struct fixture *fx, int from, int to, uint32_t parts,
                   bool bound, size_t pad, uint64_t seq, uint8_t *out) {
  return join_with(fx, from, to, parts, bound, pad, seq, NULL, out);
}

/* An unbound join, from whatever address it claims, is answered with one
 * bound introduction no larger than itself, or not at all; the view goes
 * only to a bound request. */
static void test_join_answer_no_larger(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 8);
  uint8_t dg[1400];
  uint64_t seq = UINT64_MAX - 1000;
  const int victim = 5; /* the address a spoofed join claims */
  size_t bytes;
  fx.n_inflight = 0;
  /* Unpadded: the introduction would be larger, so none. */
  size_t n = join(&fx, 1, 0, 1, false, 0, seq++, dg);
  fx_inject(&fx, 0, victim, dg, n);
  assert_int_equal(packets(&fx, 0, victim, NULL), 0);
  /* Padded to 1200: one bound introduction, no larger. */
  n = join(&fx, 1, 0, 1, false, 1200, seq++, dg);
  assert_int_equal(n, 1200);
  fx_inject(&fx, 0, victim, dg, n);
  assert_int_equal(packets(&fx, 0, victim, &bytes), 1);
  assert_true(bytes <= n);
  struct mb_datagram d;
  assert_ok(mb_wire_datagram_parse(fx.inflight[0].buf, fx.inflight[0].len, &d));
  assert_int_equal(d.msg.kind, MB_MSG_JOIN);
  assert_int_equal(d.msg.parts, 2);
  assert_non_null(d.to);
  assert_memory_equal(d.to, fx.id[1].pk, MB_NODE_REF_LEN);
  /* The introduction carries a cookie for the address it went to. */
  assert_true(d.msg.has_digest);
  uint8_t cookie_victim[MB_VIEW_DIGEST_LEN], cookie[MB_VIEW_DIGEST_LEN];
  memcpy(cookie_victim, d.msg.digest, sizeof(cookie_victim));
  /* A bound request whose cookie is not for the address in the member's
   * record (nor none at all): no view, an introduction with a cookie for
   * where the request came from, no larger than the request. */
  fx_run_until(&fx, fx.now + 4100);
  for (int with = 0; with < 2; with++) {
    fx.n_inflight = 0;
    n = join_with(&fx, 1, 0, 1, true, with ? 0 : 1200, seq++,
                  with ? cookie_victim : NULL, dg);
    fx_inject(&fx, 0, 1, dg, n);
    assert_int_equal(packets(&fx, 0, 1, &bytes), 1);
    assert_true(bytes <= n);
    assert_ok(
        mb_wire_datagram_parse(fx.inflight[0].buf, fx.inflight[0].len, &d));
    assert_int_equal(d.msg.kind, MB_MSG_JOIN);
    assert_int_equal(d.msg.parts, 2);
    assert_true(d.msg.has_digest);
  }
  memcpy(cookie, d.msg.digest, sizeof(cookie));
  /* With the cookie for its own address: the whole view. */
  fx.n_inflight = 0;
  n = join_with(&fx, 1, 0, 1, true, 0, seq++, cookie, dg);
  fx_inject(&fx, 0, 1, dg, n);
  assert_true(packets(&fx, 0, 1, &bytes) >= 1);
  assert_true(bytes > n);
  assert_ok(mb_wire_datagram_parse(fx.inflight[0].buf, fx.inflight[0].len, &d));
  assert_int_equal(d.msg.kind, MB_MSG_PUSH_PULL_REPLY);
  /* Asked again at once (its request crossed our view): no second view. */
  fx.n_inflight = 0;
  n = join_with(&fx, 1, 0, 1, true, 0, seq++, cookie, dg);
  fx_inject(&fx, 0, 1, dg, n);
  assert_int_equal(packets(&fx, 0, 1, NULL), 0);
  /* The same request from a forged source, seconds later: the view still
   * goes to the address the member signed into its record, none to the
   * victim. */
  fx_run_until(&fx, fx.now + 4100);
  fx.n_inflight = 0;
  n = join_with(&fx, 1, 0, 1, true, 0, seq++, cookie, dg);
  fx_inject(&fx, 0, victim, dg, n);
  assert_int_equal(packets(&fx, 0, victim, NULL), 0);
  assert_true(packets(&fx, 0, 1, NULL) >= 1);
  fx_free(&fx);
}

/* A member restarts with a new epoch and joins no one: every datagram
 * bound to its old epoch is refused, its probes fail, and the
 * introductions that follow bring its new record to every member. */
static void test_restart_found_by_introductions(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 5);
  uint64_t old = swim_self_epoch(fx.node[4]);
  fx.cfg.seed += 77; /* another draw: another epoch */
  fx_start_node(&fx, 4, 1);
  fx_drain(&fx, 4);
  assert_true(swim_self_epoch(fx.node[4]) != old);
  fx_run_until(&fx, fx.now + 30000);
  assert_true(rejected(&fx, 4, SWIM_REJ_SIGNATURE) > 0); /* old epoch */
  assert_true(fx_converged(&fx));
  fx_free(&fx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_forged_mac_refused),
      cmocka_unit_test(test_forged_signatures_within_budget),
      cmocka_unit_test(test_app_only_from_members),
      cmocka_unit_test(test_sequence_counts_datagrams),
      cmocka_unit_test(test_window_spans_256_datagrams),
      cmocka_unit_test(test_join_answer_no_larger),
      cmocka_unit_test(test_restart_found_by_introductions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
