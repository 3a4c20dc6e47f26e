/*
 * Unit tests for what a dead verdict needs (src/gossip/evidence.c,
 * suspicion.c, probe.c): no member dies on one accuser's word, whether
 * that accuser is malicious, cut off, or speaking from a merged view; a
 * claim cannot name an incarnation its subject never signed; an ack
 * counts only from the target or a relay we asked; nacks prove our own
 * health.  Each test fails on the core as it was before these rules.
 */
#include "test_util.h"

#include <string.h>

#include "swim_fixture.h"

static size_t dead_events_about_others(struct fixture *fx, int except) {
  size_t n = 0;
  for (int j = 0; j < fx->n; j++)
    if (j != except)
      n += fx_count_events(fx, j, SWIM_DEAD);
  return n;
}

/* Cuts node i off from everyone, or reconnects it. */
static void isolate(struct fixture *fx, int i, bool cut) {
  for (int j = 0; j < fx->n; j++) {
    fx->cut[i][j] = cut;
    fx->cut[j][i] = cut;
  }
}

/* One member's links drop everything for 6 s of every 10 (a flapping
 * member; 6 s is past the maximum suspicion timeout of 4.8 s at n = 8).
 * While cut off it suspects healthy members, and its suspicions time out
 * with nobody to confirm them: before, it signed dead claims that every
 * other member took at once on reconnect. */
static void test_isolated_accuser_kills_nobody(void **state) {
  (void)state;
  struct fixture fx;
  fx_init(&fx, 8);
  fx.cfg.flap_hold_ms = 0; /* node 0 dies every cycle: no damping here */
  fx_start_all(&fx);
  fx_run_until(&fx, 4000);
  assert_true(fx_converged(&fx));
  for (int cycle = 0; cycle < 6; cycle++) {
    isolate(&fx, 0, true);
    fx_run_until(&fx, fx.now + 6000);
    isolate(&fx, 0, false);
    fx_run_until(&fx, fx.now + 4000);
  }
  struct swim_stats st;
  swim_get_stats(fx.node[0], &st);
  print_message("node 0: %llu suspicions due without a quorum\n",
                (unsigned long long)st.unbacked_timeouts);
  assert_int_equal(dead_events_about_others(&fx, 0), 0);
  fx_run_until(&fx, fx.now + 5000);
  assert_true(fx_converged(&fx));
  fx_free(&fx);
}

/* A member whose outbound traffic is lost for 12 s hears everyone and
 * reaches no one: its probes fail, its suspicions time out with nobody to
 * confirm them, and on reconnect its view (dead claims included) merges
 * into everyone's.  Before, every member took those claims as verdicts. */
static void test_mute_member_kills_nobody(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 8);
  for (int j = 0; j < fx.n; j++)
    fx.cut[0][j] = true;
  fx_run_until(&fx, fx.now + 12000);
  for (int j = 0; j < fx.n; j++)
    fx.cut[0][j] = false;
  fx_run_until(&fx, fx.now + 20000);
  assert_int_equal(dead_events_about_others(&fx, 0), 0);
  assert_true(fx_converged(&fx));
  fx_free(&fx);
}

/* A certified member (node 1) signing a dead claim every second about a
 * healthy one: before, every observer held it dead at once. */
static void test_malicious_dead_claims_kill_nobody(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 6);
  uint8_t dg[1400];
  for (int k = 0; k < 10; k++) {
    uint64_t inc = swim_self_incarnation(fx.node[3]);
    for (int o = 0; o < 6; o++) {
      if (o == 1 || o == 3)
        continue;
      size_t n = fx_claim_datagram(
          &fx, o, 1, 3, MB_REC_DEAD, inc,
          (1ull << 40) + 16 * (uint64_t)k + (uint64_t)o, dg, sizeof(dg));
      fx_inject(&fx, o, 1, dg, n);
    }
    fx_run_until(&fx, fx.now + 1000);
  }
  assert_int_equal(fx_count_events(&fx, 3, SWIM_DEAD), 0);
  fx_run_until(&fx, fx.now + 3000);
  assert_true(fx_converged(&fx));
  fx_free(&fx);
}

/* A claim at 2^64 - 1: refuting it wrapped the incarnation to 0, below
 * every later claim, and the member stayed dead for good. */
static void test_claim_above_signed_incarnation_refused(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 4);
  uint64_t inc = swim_self_incarnation(fx.node[2]);
  uint8_t dg[1400];
  size_t n = fx_claim_datagram(&fx, 0, 1, 2, MB_REC_SUSPECT, UINT64_MAX,
                               1ull << 40, dg, sizeof(dg));
  fx_inject(&fx, 0, 1, dg, n);
  assert_int_equal(fx_state(&fx, 0, 2), SWIM_ALIVE);
  n = fx_claim_datagram(&fx, 2, 1, 2, MB_REC_SUSPECT, UINT64_MAX, 1ull << 40,
                        dg, sizeof(dg));
  fx_inject(&fx, 2, 1, dg, n);
  assert_int_equal(swim_self_incarnation(fx.node[2]), inc);
  struct swim_stats st;
  swim_get_stats(fx.node[0], &st);
  assert_int_equal(st.rejected[SWIM_REJ_CLAIM], 1);
  swim_get_stats(fx.node[2], &st);
  assert_int_equal(st.rejected[SWIM_REJ_CLAIM], 1);
  /* A claim at its real incarnation is still refuted, upwards. */
  n = fx_claim_datagram(&fx, 2, 1, 2, MB_REC_SUSPECT, inc, (1ull << 40) + 1, dg,
                        sizeof(dg));
  fx_inject(&fx, 2, 1, dg, n);
  assert_int_equal(swim_self_incarnation(fx.node[2]), inc + 1);
  fx_free(&fx);
}

/* Probe ids of pings and ping-reqs in flight to `target`, with who sent
 * them. */
static size_t probes_to(struct fixture *fx, int target, uint64_t *ids,
                        int *from, size_t max) {
  size_t k = 0;
  for (size_t i = 0; i < fx->n_inflight && k < max; i++) {
    struct fx_packet *p = &fx->inflight[i];
    struct mb_datagram d;
    if (mb_wire_datagram_parse(p->buf, p->len, &d) != MB_OK ||
        d.msg.kind != MB_MSG_PING ||
        memcmp(d.msg.target, fx->id[target].pk, MB_NODE_REF_LEN) != 0)
      continue;
    ids[k] = d.msg.probe_id;
    from[k++] = p->from;
  }
  return k;
}

static size_t ack_datagram(struct fixture *fx, int to, uint64_t probe_id,
                           uint64_t seq, uint8_t *out, size_t cap) {
  struct mb_msg msg = {.kind = MB_MSG_ACK, .probe_id = probe_id};
  struct mb_dgram_builder b;
  size_t len;
  assert_ok(mb_dgram_init(&b, &fx->id[FX_OUTSIDER], (const uint8_t *)FX_CLUSTER,
                          strlen(FX_CLUSTER), 1400, seq, &msg));
  fx_bind(fx, &b, to);
  assert_ok(
      mb_dgram_add_cert(&b, fx->cert[FX_OUTSIDER], fx->cert_len[FX_OUTSIDER]));
  assert_ok(mb_dgram_finish(&b, out, cap, &len));
  return len;
}

/* A member on the path sees every ping to a crashed member and acks it
 * with the right probe id: before, any ack with the id counted, and the
 * crash was never detected. */
static void test_forged_acks_hide_no_crash(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 6);
  fx.down[5] = true;
  uint64_t killed = fx.now, seq = 1ull << 40, forged = 0;
  bool all_dead = false;
  while (!all_dead && fx.now < killed + 30000) {
    uint64_t ids[64];
    int from[64];
    size_t k = probes_to(&fx, 5, ids, from, 64);
    for (size_t i = 0; i < k; i++) {
      uint8_t dg[1400];
      size_t n = ack_datagram(&fx, from[i], ids[i], seq++, dg, sizeof(dg));
      fx_inject(&fx, from[i], 5, dg, n);
      forged++;
    }
    fx_run_until(&fx, fx.now + 1);
    all_dead = true;
    for (int o = 0; o < 5; o++)
      all_dead &= fx_state(&fx, o, 5) == SWIM_DEAD;
  }
  print_message("%llu forged acks; all dead after %llu ms\n",
                (unsigned long long)forged,
                (unsigned long long)(fx.now - killed));
  assert_true(forged > 0);
  assert_true(all_dead);
  fx_free(&fx);
}

/* Ping-reqs in flight to `relay` about `target`: who asked, and its id. */
static size_t ping_reqs_to(struct fixture *fx, int relay, int target,
                           uint64_t *ids, int *from, size_t max) {
  size_t k = 0;
  for (size_t i = 0; i < fx->n_inflight && k < max; i++) {
    struct fx_packet *p = &fx->inflight[i];
    struct mb_datagram d;
    if (p->to != relay || mb_wire_datagram_parse(p->buf, p->len, &d) != MB_OK ||
        d.msg.kind != MB_MSG_PING_REQ ||
        memcmp(d.msg.target, fx->id[target].pk, MB_NODE_REF_LEN) != 0)
      continue;
    ids[k] = d.msg.probe_id;
    from[k++] = p->from;
  }
  return k;
}

/* An ack from member `from` to `to`, MACed and bound as a member's is. */
static size_t member_ack(struct fixture *fx, int from, int to,
                         uint64_t probe_id, uint8_t *out, size_t cap) {
  struct mb_msg msg = {.kind = MB_MSG_ACK, .probe_id = probe_id};
  struct mb_dgram_builder b;
  uint8_t key[MB_PAIR_KEY_LEN];
  size_t len;
  assert_ok(mb_pair_key(key, &fx->id[from], fx->id[to].pk));
  assert_ok(mb_dgram_init(&b, &fx->id[from], (const uint8_t *)FX_CLUSTER,
                          strlen(FX_CLUSTER), 1400,
                          swim_take_seq(fx->node[from]), &msg));
  fx_bind(fx, &b, to);
  assert_ok(mb_dgram_use_mac(&b, key));
  assert_ok(mb_dgram_finish(&b, out, cap, &len));
  return len;
}

/* A member asked to probe a crashed one acks at once instead: before, an
 * ack from an asked relay counted, so the asker's probe never failed.
 * Now it needs the target's signed proof, which the relay cannot make.
 * Four members: every indirect probe of the crashed one asks the liar. */
static void test_relay_cannot_invent_acks(void **state) {
  (void)state;
  struct fixture fx;
  enum { LIAR = 2, CRASHED = 3 };
  fx_start_converged(&fx, 4);
  fx.down[CRASHED] = true;
  uint64_t killed = fx.now, forged = 0;
  bool all_dead = false;
  while (!all_dead && fx.now < killed + 30000) {
    uint64_t ids[64];
    int from[64];
    size_t k = ping_reqs_to(&fx, LIAR, CRASHED, ids, from, 64);
    for (size_t i = 0; i < k; i++) {
      uint8_t dg[1400];
      size_t n = member_ack(&fx, LIAR, from[i], ids[i], dg, sizeof(dg));
      fx_inject(&fx, from[i], LIAR, dg, n);
      forged++;
    }
    fx_run_until(&fx, fx.now + 1);
    all_dead = true;
    for (int o = 0; o < CRASHED; o++)
      all_dead &= o == LIAR || fx_state(&fx, o, CRASHED) == SWIM_DEAD;
  }
  uint64_t unproven = 0;
  for (int o = 0; o < CRASHED; o++) {
    struct swim_stats st;
    swim_get_stats(fx.node[o], &st);
    unproven += st.unproven_acks;
  }
  print_message("%llu invented relay acks, %llu refused; all dead after "
                "%llu ms\n",
                (unsigned long long)forged, (unsigned long long)unproven,
                (unsigned long long)(fx.now - killed));
  assert_true(forged > 0);
  assert_true(unproven > 0);
  assert_true(all_dead);
  fx_free(&fx);
}

/* The other side: with the direct path cut, the target's signed ack
 * comes back through the relays, and the target is never suspected. */
static void test_relayed_proof_keeps_target_alive(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 6);
  fx.cut[0][3] = fx.cut[3][0] = true;
  fx_run_until(&fx, fx.now + 60000);
  struct swim_stats st;
  swim_get_stats(fx.node[0], &st);
  print_message("node 0: %llu probes, %llu failed, %llu unproven acks\n",
                (unsigned long long)st.probes,
                (unsigned long long)st.probe_failures,
                (unsigned long long)st.unproven_acks);
  assert_int_equal(fx_count_events(&fx, 3, SWIM_SUSPECT), 0);
  assert_int_equal(st.unproven_acks, 0);
  fx_free(&fx);
}

/* Two thirds of the probes fail on one side of a partition, with every
 * relay sending its nack: that proves our own health, and awareness must
 * not climb (before, +1 per failed probe slowed detection to a crawl). */
static void test_nacks_prove_our_health(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 9);
  for (int i = 0; i < 9; i++)
    for (int j = 0; j < 9; j++)
      fx.cut[i][j] = (i < 6) != (j < 6);
  uint32_t worst = 0;
  for (int t = 0; t < 80; t++) {
    fx_run_until(&fx, fx.now + 100);
    for (int i = 0; i < 6; i++)
      if (swim_awareness(fx.node[i]) > worst)
        worst = swim_awareness(fx.node[i]);
  }
  print_message("worst awareness on the larger side: %u\n", worst);
  assert_true(worst <= 1);
  fx_free(&fx);
}

/* Time for node 0, cut off from everyone else's verdicts, to hold node 5
 * (crashed) dead after two claims about it arrive, gossiped or merged. */
static uint64_t time_to_dead(bool merged) {
  struct fixture fx;
  fx_start_converged(&fx, 6);
  fx.down[5] = true;
  uint64_t inc = fx_incarnation(&fx, 0, 5), t0 = fx.now;
  for (int a = 1; a <= 2; a++) {
    uint8_t dg[1400];
    uint64_t seq = (1ull << 40) + (uint64_t)a;
    size_t n = merged ? fx_merged_claim_datagram(&fx, 0, a, 5, MB_REC_DEAD, inc,
                                                 seq, dg, sizeof(dg))
                      : fx_claim_datagram(&fx, 0, a, 5, MB_REC_DEAD, inc, seq,
                                          dg, sizeof(dg));
    fx_inject(&fx, 0, a, dg, n);
  }
  assert_int_equal(fx_state(&fx, 0, 5), SWIM_SUSPECT);
  for (int i = 1; i < 6; i++)
    fx.cut[i][0] = true;
  while (fx_state(&fx, 0, 5) != SWIM_DEAD && fx.now < t0 + 60000)
    fx_run_until(&fx, fx.now + 10);
  uint64_t t = fx.now - t0;
  fx_free(&fx);
  return t;
}

/* Claims in a merged view (push-pull, the reconnect after a heal) are old
 * news: together they are one accuser for the timeout, so they alone
 * never reach the minimum; here the verdict waits for node 0's own probe
 * of the suspect (due one to three minimum timeouts after the suspicion,
 * judged a probe period later).  Gossiped now, two claims reach the
 * minimum at once.  Both end in a verdict for a member that is gone. */
static void test_merged_claims_leave_time_to_refute(void **state) {
  (void)state;
  uint64_t gossiped = time_to_dead(false), merged = time_to_dead(true);
  print_message("dead after %llu ms gossiped, %llu ms merged\n",
                (unsigned long long)gossiped, (unsigned long long)merged);
  /* n = 6: min 800 ms (suspicion.c); the check: >= 800 + 1000 ms. */
  assert_in_range(gossiped, 800, 900);
  assert_true(merged >= 1800);
}

/* In a mesh of two failure domains, two accusers of one domain are not
 * enough; one more from the other domain is. */
static void test_quorum_spans_two_domains(void **state) {
  (void)state;
  struct fixture fx;
  fx_init(&fx, 7);
  fx.domains = 2; /* node i in rack(i % 2) */
  fx_start_all(&fx);
  fx_run_until(&fx, 4000);
  assert_true(fx_converged(&fx));
  fx.down[6] = true;
  uint64_t inc = fx_incarnation(&fx, 0, 6);
  for (int i = 1; i < 7; i++)
    fx.cut[i][0] = true; /* node 0 judges alone */
  /* Node 0 (rack0) with accusers 2 and 4, all of rack0. */
  uint8_t dg[1400];
  for (int a = 2; a <= 4; a += 2) {
    size_t n = fx_claim_datagram(&fx, 0, a, 6, MB_REC_SUSPECT, inc,
                                 (1ull << 40) + (uint64_t)a, dg, sizeof(dg));
    fx_inject(&fx, 0, a, dg, n);
  }
  uint64_t t0 = fx.now;
  fx_run_until(&fx, t0 + 900); /* past the minimum timeout */
  assert_int_equal(fx_state(&fx, 0, 6), SWIM_SUSPECT);
  size_t n = fx_claim_datagram(&fx, 0, 3, 6, MB_REC_SUSPECT, inc,
                               (1ull << 40) + 3, dg, sizeof(dg));
  fx_inject(&fx, 0, 3, dg, n);
  assert_int_equal(fx_state(&fx, 0, 6), SWIM_DEAD);
  fx_free(&fx);
}

/* Deaths of node 0 seen by node 1, its cycles of 9 s cut off and 5 s back
 * repeated `cycles` times, then 150 s of peace (its fourth death is held
 * 120 s); and whether all is well
 * at the end. */
static size_t flaps_seen(uint32_t hold_ms, int cycles, bool *converged) {
  struct fixture fx;
  fx_init(&fx, 8);
  fx.cfg.flap_hold_ms = hold_ms;
  fx_start_all(&fx);
  fx_run_until(&fx, 4000);
  for (int cycle = 0; cycle < cycles; cycle++) {
    isolate(&fx, 0, true);
    fx_run_until(&fx, fx.now + 9000);
    isolate(&fx, 0, false);
    fx_run_until(&fx, fx.now + 5000);
  }
  fx_run_until(&fx, fx.now + 150000);
  size_t deaths = 0;
  for (size_t e = 0; e < fx.n_events; e++)
    deaths += fx.events[e].observer == 1 && fx.events[e].ev.to == SWIM_DEAD &&
              memcmp(fx.events[e].ev.id, fx.id[0].pk, MB_NODE_ID_LEN) == 0;
  *converged = fx_converged(&fx);
  fx_free(&fx);
  return deaths;
}

/* A member that keeps dying and coming back is held out after its third
 * death (flap.c) instead of flipping in every view every cycle, and let
 * back in once the hold is over. */
static void test_flapping_member_held_out(void **state) {
  (void)state;
  bool calm, damped_calm;
  size_t undamped = flaps_seen(0, 8, &calm);
  size_t damped = flaps_seen(60000, 8, &damped_calm);
  print_message("deaths of the flapping member: %zu undamped, %zu damped\n",
                undamped, damped);
  assert_true(undamped >= 7);
  assert_true(damped <= 4);
  assert_true(calm && damped_calm);
}

/* The quorum shrinks to what a tiny mesh has: of two nodes, the survivor
 * still declares the other dead. */
static void test_two_nodes_still_detect(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 2);
  fx.down[1] = true;
  uint64_t t0 = fx.now;
  while (fx_state(&fx, 0, 1) != SWIM_DEAD && fx.now < t0 + 30000)
    fx_run_until(&fx, fx.now + 50);
  print_message("dead after %llu ms\n", (unsigned long long)(fx.now - t0));
  assert_int_equal(fx_state(&fx, 0, 1), SWIM_DEAD);
  fx_free(&fx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_isolated_accuser_kills_nobody),
      cmocka_unit_test(test_mute_member_kills_nobody),
      cmocka_unit_test(test_malicious_dead_claims_kill_nobody),
      cmocka_unit_test(test_claim_above_signed_incarnation_refused),
      cmocka_unit_test(test_forged_acks_hide_no_crash),
      cmocka_unit_test(test_relay_cannot_invent_acks),
      cmocka_unit_test(test_relayed_proof_keeps_target_alive),
      cmocka_unit_test(test_nacks_prove_our_health),
      cmocka_unit_test(test_merged_claims_leave_time_to_refute),
      cmocka_unit_test(test_quorum_spans_two_domains),
      cmocka_unit_test(test_two_nodes_still_detect),
      cmocka_unit_test(test_flapping_member_held_out),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
