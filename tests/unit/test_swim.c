/*
 * Unit tests for src/gossip (the SWIM + Lifeguard core), driven through the
 * in-process fixture (virtual clock, fixed-latency network) and with crafted
 * datagrams.
 */
#include "test_util.h"

#include <string.h>

#include "swim_fixture.h"

static void test_five_nodes_converge(void **state) {
  (void)state;
  struct fixture fx;
  fx_init(&fx, 5);
  fx_start_all(&fx);
  fx_run_until(&fx, 3000);
  assert_true(fx_converged(&fx));
  fx_free(&fx);
}

/* Time at which every running node but the victim sees it dead. */
static uint64_t all_dead_at(struct fixture *fx, int victim, uint64_t until) {
  while (fx->now < until) {
    fx_run_until(fx, fx->now + 50);
    bool all = true;
    for (int i = 0; i < fx->n; i++)
      if (i != victim && !fx->down[i] && fx_state(fx, i, victim) != SWIM_DEAD)
        all = false;
    if (all)
      return fx->now;
  }
  return UINT64_MAX;
}

static void test_crash_detected_by_all(void **state) {
  (void)state;
  struct fixture fx;
  fx_init(&fx, 8);
  fx_start_all(&fx);
  fx_run_until(&fx, 5000);
  assert_true(fx_converged(&fx));
  fx.down[7] = true;
  uint64_t killed = fx.now;
  uint64_t t = all_dead_at(&fx, 7, killed + 60000);
  print_message("all-dead after %llu ms\n", (unsigned long long)(t - killed));
  assert_true(t != UINT64_MAX);
  /* Bound: a full probe round (8 periods) + indirect + min suspicion
   * (4 s at n < 10) + dissemination. */
  assert_true(t - killed <= 8000 + 1000 + 4000 + 1000);
  for (int j = 0; j < 7; j++)
    assert_int_equal(fx_count_events(&fx, j, SWIM_DEAD), 0);
  fx_free(&fx);
}

/* ---- helpers ----------------------------------------------------------- */

/* ---- transitions -------------------------------------------------------- */

/* SWIM §4.2: a live member accused at its incarnation refutes with a higher
 * one and every observer sees it alive again. */
static void test_suspected_member_refutes(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 5);
  uint64_t before = fx_incarnation(&fx, 1, 3);
  uint8_t dg[1400];
  size_t n = fx_claim_datagram(&fx, 1, 2, 3, MB_REC_SUSPECT, before, 1ull << 40,
                               dg, sizeof(dg));
  fx_inject(&fx, 1, 2, dg, n);
  assert_int_equal(fx_state(&fx, 1, 3), SWIM_SUSPECT);
  fx_run_until(&fx, fx.now + 3000);
  for (int i = 0; i < 5; i++)
    if (i != 3) {
      assert_int_equal(fx_state(&fx, i, 3), SWIM_ALIVE);
      assert_true(fx_incarnation(&fx, i, 3) > before);
    }
  assert_true(swim_self_incarnation(fx.node[3]) > before);
  assert_int_equal(fx_count_events(&fx, 3, SWIM_DEAD), 0);
  fx_free(&fx);
}

/* A dead claim is one accusation, not a verdict: its receiver suspects,
 * the member refutes, and nobody ever holds it dead. */
static void test_dead_claim_about_live_member_refuted(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 5);
  uint64_t before = fx_incarnation(&fx, 0, 4);
  uint8_t dg[1400];
  size_t n = fx_claim_datagram(&fx, 0, 1, 4, MB_REC_DEAD, before, 1ull << 40,
                               dg, sizeof(dg));
  fx_inject(&fx, 0, 1, dg, n);
  assert_int_equal(fx_state(&fx, 0, 4), SWIM_SUSPECT);
  fx_run_until(&fx, fx.now + 8000);
  for (int i = 0; i < 4; i++)
    assert_int_equal(fx_state(&fx, i, 4), SWIM_ALIVE);
  assert_true(swim_self_incarnation(fx.node[4]) > before);
  assert_int_equal(fx_count_events(&fx, 4, SWIM_DEAD), 0);
  fx_free(&fx);
}

/* Lifeguard: independent confirmations shorten the suspicion timeout. */
static uint64_t time_to_dead(int accusers) {
  struct fixture fx;
  fx_start_converged(&fx, 6);
  fx.down[5] = true;
  fx.cfg.seed = 0;
  uint64_t inc = fx_incarnation(&fx, 0, 5);
  uint64_t t0 = fx.now;
  uint8_t dg[1400];
  for (int a = 1; a <= accusers; a++) {
    size_t n = fx_claim_datagram(&fx, 0, a, 5, MB_REC_SUSPECT, inc,
                                 (1ull << 40) + (uint64_t)a, dg, sizeof(dg));
    fx_inject(&fx, 0, a, dg, n);
  }
  /* Node 0 alone judges: cut it off from the others' verdicts. */
  for (int i = 1; i < 6; i++)
    fx.cut[i][0] = true;
  while (fx_state(&fx, 0, 5) != SWIM_DEAD && fx.now < t0 + 120000)
    fx_run_until(&fx, fx.now + 10);
  uint64_t t = fx.now - t0;
  fx_free(&fx);
  return t;
}

static void test_confirmations_shrink_timeout(void **state) {
  (void)state;
  uint64_t one = time_to_dead(1), three = time_to_dead(3);
  print_message("dead after %llu ms with 1 accuser, %llu ms with 3\n",
                (unsigned long long)one, (unsigned long long)three);
  /* n = 6 < 10: min = 4 * 1 * 200 ms = 800 ms, max = 6 * min, K = 1: three
   * accusers reach the minimum.  One accuser is no quorum: node 0 waits
   * until its own probe of the dead member fails (evidence.c). */
  assert_in_range(three, 800, 900);
  assert_true(one > 2 * three);
}

static void test_graceful_leave(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 6);
  swim_leave(fx.node[2], fx.now);
  fx_drain(&fx, 2);
  fx_run_until(&fx, fx.now + 3000);
  fx.down[2] = true;
  for (int i = 0; i < 6; i++)
    if (i != 2)
      assert_int_equal(fx_state(&fx, i, 2), SWIM_LEFT);
  assert_int_equal(fx_count_events(&fx, 2, SWIM_DEAD), 0);
  assert_int_equal(fx_count_events(&fx, 2, SWIM_SUSPECT), 0);
  fx_free(&fx);
}

/* Two halves that declared each other dead re-merge on their own. */
static void test_partition_heals_without_join(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 6);
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 6; j++)
      fx.cut[i][j] = (i < 3) != (j < 3);
  fx_run_until(&fx, fx.now + 60000);
  assert_int_equal(fx_state(&fx, 0, 5), SWIM_DEAD);
  assert_int_equal(fx_state(&fx, 5, 0), SWIM_DEAD);
  memset(fx.cut, 0, sizeof(fx.cut));
  uint64_t healed = fx.now;
  while (!fx_converged(&fx) && fx.now < healed + 60000)
    fx_run_until(&fx, fx.now + 100);
  print_message("re-merged %llu ms after the heal\n",
                (unsigned long long)(fx.now - healed));
  assert_true(fx_converged(&fx));
  /* Reconnect attempts run every 5 s: well within two of them. */
  assert_true(fx.now - healed <= 2 * 5000 + 2000);
  fx_free(&fx);
}

/* A member restarting with the incarnation it had before refutes whatever
 * the mesh remembers of its earlier life and stays alive. */
static void test_restart_with_old_incarnation(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 5);
  uint64_t old = fx_incarnation(&fx, 0, 4);
  /* Make the mesh hold a newer incarnation than the restart will use. */
  uint8_t dg[1400];
  size_t n = fx_claim_datagram(&fx, 0, 1, 4, MB_REC_SUSPECT, old, 1ull << 40,
                               dg, sizeof(dg));
  fx_inject(&fx, 0, 1, dg, n);
  fx_run_until(&fx, fx.now + 3000);
  uint64_t held = fx_incarnation(&fx, 0, 4);
  assert_true(held > old);
  fx_start_node(&fx, 4, old); /* restart, state wiped, old incarnation */
  struct mb_addr seed = fx_addr(0);
  swim_join(fx.node[4], fx.now, &seed, 1);
  fx_drain(&fx, 4);
  fx_run_until(&fx, fx.now + 5000);
  assert_true(swim_self_incarnation(fx.node[4]) > held);
  assert_true(fx_converged(&fx));
  fx_free(&fx);
}

/* ---- bad input ----------------------------------------------------------- */

static size_t packets_from(struct fixture *fx, int node) {
  size_t c = 0;
  for (size_t k = 0; k < fx->n_inflight; k++)
    c += fx->inflight[k].from == node;
  return c;
}

/* Forged, unsigned, replayed and foreign datagrams change nothing and get
 * no answer, and each is counted under its reason. */
static void test_bad_datagrams_change_nothing(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 4);
  uint64_t inc = fx_incarnation(&fx, 0, 2);
  uint8_t dg[1400];
  size_t n = fx_claim_datagram(&fx, 0, 1, 2, MB_REC_SUSPECT, inc, 1ull << 41,
                               dg, sizeof(dg));
  uint8_t forged[1400];
  memcpy(forged, dg, n);
  forged[n - 5] ^= 0x40; /* inside the signature */
  fx.n_inflight = 0;
  fx_inject(&fx, 0, 1, forged, n);
  uint8_t junk[] = {0xd2, 0x84, 0x43, 0xa1};
  fx_inject(&fx, 0, 1, junk, sizeof(junk));
  /* Another cluster's datagram: same keys, other AAD. */
  struct mb_msg ping = {.kind = MB_MSG_PING, .probe_id = 1};
  memcpy(ping.target, fx.id[0].pk, MB_NODE_REF_LEN);
  struct mb_dgram_builder b;
  size_t flen;
  uint8_t foreign[1400];
  assert_ok(mb_dgram_init(&b, &fx.id[1], (const uint8_t *)"other", 5, 1400,
                          UINT64_MAX - 7, &ping)); /* above any real seq */
  fx_bind(&fx, &b, 0);
  assert_ok(mb_dgram_finish(&b, foreign, sizeof(foreign), &flen));
  fx_inject(&fx, 0, 1, foreign, flen);
  /* An unadmitted key: valid signature, no certificate anywhere. */
  struct mb_identity stranger;
  mb_identity_generate(&stranger);
  assert_ok(mb_dgram_init(&b, &stranger, (const uint8_t *)FX_CLUSTER,
                          strlen(FX_CLUSTER), 1400, 1, &ping));
  fx_bind(&fx, &b, 0);
  assert_ok(mb_dgram_finish(&b, foreign, sizeof(foreign), &flen));
  fx_inject(&fx, 0, 1, foreign, flen);
  /* A member's genuine ping, but bound to another receiver, to this one
   * before its restart (another epoch), or to no one. */
  uint64_t seq = UINT64_MAX - 100;
  assert_ok(mb_dgram_init(&b, &fx.id[1], (const uint8_t *)FX_CLUSTER,
                          strlen(FX_CLUSTER), 1400, seq++, &ping));
  fx_bind(&fx, &b, 2);
  assert_ok(mb_dgram_finish(&b, foreign, sizeof(foreign), &flen));
  fx_inject(&fx, 0, 1, foreign, flen);
  assert_ok(mb_dgram_init(&b, &fx.id[1], (const uint8_t *)FX_CLUSTER,
                          strlen(FX_CLUSTER), 1400, seq++, &ping));
  mb_dgram_bind(&b, fx.id[0].pk, swim_self_epoch(fx.node[0]) + 2);
  assert_ok(mb_dgram_finish(&b, foreign, sizeof(foreign), &flen));
  fx_inject(&fx, 0, 1, foreign, flen);
  assert_ok(mb_dgram_init(&b, &fx.id[1], (const uint8_t *)FX_CLUSTER,
                          strlen(FX_CLUSTER), 1400, seq++, &ping));
  assert_ok(mb_dgram_finish(&b, foreign, sizeof(foreign), &flen));
  fx_inject(&fx, 0, 1, foreign, flen);
  assert_int_equal(packets_from(&fx, 0), 0);
  assert_int_equal(fx_state(&fx, 0, 2), SWIM_ALIVE);
  /* The genuine one is accepted once; its replay is not. */
  fx_inject(&fx, 0, 1, dg, n);
  assert_int_equal(fx_state(&fx, 0, 2), SWIM_SUSPECT);
  struct swim_stats st;
  swim_get_stats(fx.node[0], &st);
  uint64_t replays = st.rejected[SWIM_REJ_REPLAY];
  fx_inject(&fx, 0, 1, dg, n);
  swim_get_stats(fx.node[0], &st);
  assert_int_equal(st.rejected[SWIM_REJ_REPLAY], replays + 1);
  assert_true(st.rejected[SWIM_REJ_SIGNATURE] >= 3);
  assert_true(st.rejected[SWIM_REJ_BINDING] >= 2);
  assert_true(st.rejected[SWIM_REJ_MALFORMED] >= 1);
  assert_true(st.rejected[SWIM_REJ_ADMISSION] >= 1);
  fx_free(&fx);
}

/* Every datagram any node sends stays within the budget, even while news
 * of many members is queued at once (a join storm). */
static void test_budget_never_exceeded(void **state) {
  (void)state;
  struct fixture fx;
  fx_init(&fx, 16);
  fx.cfg.budget = SWIM_MIN_BUDGET;
  fx_start_all(&fx);
  fx_run_until(&fx, 10000);
  print_message("%llu datagrams, largest %zu bytes\n",
                (unsigned long long)fx.sent, fx.max_sent_len);
  assert_true(fx.sent > 300);
  assert_in_range(fx.max_sent_len, 800,
                  SWIM_MIN_BUDGET); /* full, yet within budget */
  assert_true(fx_converged(&fx));
  fx_free(&fx);
}

/* A newcomer's record is not relayed λ·log(n) times by every member: the
 * relays send 17-byte news, and each member pulls the record about once. */
static void test_join_spreads_as_news(void **state) {
  (void)state;
  struct fixture fx;
  enum { OLD = 24, NEW = 24 };
  fx_init(&fx, OLD + 1);
  struct mb_addr seed = fx_addr(0);
  fx.down[NEW] = true;
  for (int i = 0; i < OLD; i++) {
    fx_start_node(&fx, i, 1);
    if (i > 0)
      swim_join(fx.node[i], fx.now, &seed, 1);
    fx_drain(&fx, i);
  }
  fx_run_until(&fx, 20000);
  assert_true(fx_converged(&fx));
  uint64_t gossip_before = fx.bytes_by_kind[MB_MSG_GOSSIP];
  fx_start_node(&fx, NEW, 1);
  swim_join(fx.node[NEW], fx.now, &seed, 1);
  fx_drain(&fx, NEW);
  fx_run_until(&fx, 26000);
  assert_true(fx_converged(&fx));
  /* Each of the 24 needs it once: the newcomer's own first datagrams carry
   * it to some, the rest pull it from a relay, and a few pulls cross.
   * Relaying the record itself would cost λ·⌈log10(26)⌉ = 8 sends per
   * member: about 190. */
  print_message(
      "heartbeats about the newcomer sent by others: %llu, news "
      "entries %llu, gossip bytes %llu\n",
      (unsigned long long)fx.heartbeats_about[NEW],
      (unsigned long long)fx.news_about[NEW],
      (unsigned long long)(fx.bytes_by_kind[MB_MSG_GOSSIP] - gossip_before));
  assert_in_range(fx.heartbeats_about[NEW], OLD / 2, 2 * OLD);
  /* Every relay telling it 8 times would be 24 * 8 = 192 entries; copies
   * heard from others retire it sooner (news.c). */
  assert_in_range(fx.news_about[NEW], OLD / 2, OLD * 8 * 5 / 6);
  fx_free(&fx);
}

/* Probes and gossip to `to` that carried their sender's certificate. */
static uint32_t certs_to(struct fixture *fx, int to) {
  uint32_t c = 0;
  for (int i = 0; i < fx->n; i++)
    c += i != to ? fx->certs_sent[i][to] : 0;
  return c;
}

/* Once a member's record is old news everyone holds its certificate, so
 * its datagrams go without, even to a member that has not answered it
 * yet; a member whose direct probe went unanswered sends it again (and
 * the indirect probes keep the silent member from being suspected). */
static void test_certificate_only_while_needed(void **state) {
  (void)state;
  struct fixture fx;
  enum { N = 8, LATE = N - 1 };
  fx_start_converged(&fx, N);
  fx_run_until(&fx, 40000); /* every record is old news by now */
  /* LATE comes back as a new life: everyone has forgotten it answered,
   * and it gets everyone's record and certificate from its seed. */
  fx_start_node(&fx, LATE, 2);
  struct mb_addr seed = fx_addr(0);
  swim_join(fx.node[LATE], fx.now, &seed, 1);
  fx_drain(&fx, LATE);
  memset(fx.certs_sent, 0, sizeof(fx.certs_sent));
  fx_run_until(&fx, 60000);
  assert_true(fx_converged(&fx));
  assert_int_equal(certs_to(&fx, LATE), 0);
  uint32_t introductions = 0; /* its own record is fresh news */
  for (int i = 0; i < LATE; i++)
    introductions += fx.certs_sent[LATE][i];
  assert_true(introductions > 0);
  /* Its answers to node 3 are lost for a while. */
  fx.cut[LATE][3] = true;
  fx_run_until(&fx, 80000);
  fx.cut[LATE][3] = false;
  fx_run_until(&fx, 90000);
  print_message("certificates to the late member: %u from node 3, %u "
                "from the others\n",
                fx.certs_sent[3][LATE],
                certs_to(&fx, LATE) - fx.certs_sent[3][LATE]);
  assert_true(fx.certs_sent[3][LATE] > 0);
  assert_int_equal(certs_to(&fx, LATE), fx.certs_sent[3][LATE]);
  assert_int_equal(fx_count_events(&fx, LATE, SWIM_SUSPECT), 0);
  assert_true(fx_converged(&fx));
  fx_free(&fx);
}

/* A restarted agent puts its stored view back: records are checked as if
 * received, so a flipped byte is refused and changes nothing. */
static void test_restore_checks_records(void **state) {
  (void)state;
  struct fixture fx;
  fx_init(&fx, 3);
  fx_start_all(&fx);
  fx_run_until(&fx, 5000);
  assert_true(fx_converged(&fx));
  long i = swim_member_find(fx.node[0], fx.id[1].pk);
  assert_true(i >= 0);
  struct mb_bytes rec, cert;
  assert_int_equal(swim_member_raw(fx.node[0], (size_t)i, &rec, &cert), MB_OK);
  assert_true(rec.len > 0 && cert.len > 0);
  uint8_t r[MB_WIRE_MAX_RECORD], c[MB_CERT_MAX_LEN];
  memcpy(r, rec.p, rec.len);
  memcpy(c, cert.p, cert.len);
  size_t rlen = rec.len, clen = cert.len;
  fx_start_node(&fx, 2, 5); /* a fresh core: knows only itself */
  assert_int_equal(swim_member_count(fx.node[2]), 1);
  r[rlen / 2] ^= 1;
  assert_true(swim_restore(fx.node[2], fx.now, r, rlen, c, clen) < 0);
  assert_int_equal(swim_member_count(fx.node[2]), 1);
  r[rlen / 2] ^= 1;
  assert_true(swim_restore(fx.node[2], fx.now, r, rlen, NULL, 0) < 0);
  assert_int_equal(swim_restore(fx.node[2], fx.now, r, rlen, c, clen), MB_OK);
  assert_int_equal(fx_state(&fx, 2, 1), SWIM_ALIVE);
  fx_free(&fx);
}

/* The events that bring a member into a view: first heard of is a join,
 * put back from the store is a restore; neither claims the member was
 * dead before (a restart used to log one fake dead->alive per member). */
static struct swim_event first_event(struct fixture *fx, int observer,
                                     int subject, size_t from_k) {
  for (size_t k = from_k; k < fx->n_events; k++)
    if (fx->events[k].observer == observer &&
        memcmp(fx->events[k].ev.id, fx->id[subject].pk, MB_NODE_ID_LEN) == 0)
      return fx->events[k].ev;
  fail_msg("node %d has no event about node %d", observer, subject);
  return (struct swim_event){0};
}

static void test_first_heard_and_restored_events(void **state) {
  (void)state;
  struct fixture fx;
  fx_init(&fx, 3);
  fx_start_all(&fx);
  fx_run_until(&fx, 5000);
  assert_true(fx_converged(&fx));
  struct swim_event ev = first_event(&fx, 0, 1, 0);
  assert_int_equal(ev.from, SWIM_NONE);
  assert_int_equal(ev.to, SWIM_ALIVE);
  assert_int_equal(ev.reason, SWIM_R_JOINED);
  for (size_t k = 0; k < fx.n_events; k++)
    assert_false(fx.events[k].ev.from == SWIM_DEAD);
  assert_string_equal(swim_state_name(SWIM_NONE), "none");
  assert_string_equal(swim_reason_name(SWIM_R_RESTORED), "restored");

  long i = swim_member_find(fx.node[0], fx.id[1].pk);
  struct mb_bytes rec, cert;
  assert_int_equal(swim_member_raw(fx.node[0], (size_t)i, &rec, &cert), MB_OK);
  uint8_t r[MB_WIRE_MAX_RECORD], c[MB_CERT_MAX_LEN];
  memcpy(r, rec.p, rec.len);
  memcpy(c, cert.p, cert.len);
  size_t rlen = rec.len, clen = cert.len, before = fx.n_events;
  fx_start_node(&fx, 2, 5); /* a restart: the store puts node 1 back */
  assert_int_equal(swim_restore(fx.node[2], fx.now, r, rlen, c, clen), MB_OK);
  fx_drain(&fx, 2);
  ev = first_event(&fx, 2, 1, before);
  assert_int_equal(ev.from, SWIM_NONE);
  assert_int_equal(ev.to, SWIM_ALIVE);
  assert_int_equal(ev.reason, SWIM_R_RESTORED);
  fx_free(&fx);
}

static uint32_t confirmations_seen(struct fixture *fx, int observer,
                                   int subject) {
  long i = swim_member_find(fx->node[observer], fx->id[subject].pk);
  struct swim_member_info info;
  assert_true(i >= 0);
  assert_int_equal(swim_member_get(fx->node[observer], (size_t)i, &info),
                   MB_OK);
  return info.confirmations;
}

/* Confirmations count accusers of the current suspicion: a member alive
 * again has none (it used to keep showing the last suspicion's count). */
static void test_confirmations_reset_when_alive_again(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 5);
  uint64_t inc = fx_incarnation(&fx, 0, 3);
  uint8_t dg[1400];
  for (int a = 1; a <= 2; a++) {
    size_t n = fx_claim_datagram(&fx, 0, a, 3, MB_REC_SUSPECT, inc,
                                 (1ull << 40) + (uint64_t)a, dg, sizeof(dg));
    fx_inject(&fx, 0, a, dg, n);
  }
  assert_int_equal(fx_state(&fx, 0, 3), SWIM_SUSPECT);
  assert_int_equal(confirmations_seen(&fx, 0, 3), 1);
  fx_run_until(&fx, fx.now + 3000);
  assert_int_equal(fx_state(&fx, 0, 3), SWIM_ALIVE);
  assert_int_equal(confirmations_seen(&fx, 0, 3), 0);
  fx_free(&fx);
}

static struct swim_seed_info seed_of(struct fixture *fx, int node, size_t i) {
  struct swim_seed_info si;
  assert_int_equal(swim_join_seed(fx->node[node], i, &si), MB_OK);
  return si;
}

/* What a driver reports of a join: requests sent to each seed, answers
 * heard from it, and whether the view arrived or the joiner gave up. */
static void test_join_progress_reported(void **state) {
  (void)state;
  struct fixture fx;
  fx_init(&fx, 3);
  fx_start_node(&fx, 0, 1);
  fx_start_node(&fx, 1, 1);
  struct mb_addr nobody = fx_addr(40), seed0 = fx_addr(0);
  swim_join(fx.node[1], fx.now, &nobody, 1);
  fx_drain(&fx, 1);
  struct swim_join_info ji;
  swim_join_get(fx.node[1], &ji);
  assert_int_equal(ji.n_seeds, 1);
  assert_int_equal(ji.attempts, 1);
  assert_false(ji.joined);
  assert_int_equal(seed_of(&fx, 1, 0).requests, 1);
  assert_int_equal(swim_join_seed(fx.node[1], 1, &(struct swim_seed_info){0}),
                   MB_EINVAL);
  fx_run_until(&fx, 600000);
  swim_join_get(fx.node[1], &ji);
  assert_true(ji.gave_up);
  assert_false(ji.joined);
  assert_int_equal(ji.attempts, SWIM_JOIN_MAX_ATTEMPTS);
  assert_int_equal(seed_of(&fx, 1, 0).requests, SWIM_JOIN_MAX_ATTEMPTS);
  assert_int_equal(seed_of(&fx, 1, 0).answers, 0);
  /* Given up, the core stays idle: its next deadline is not overdue. */
  assert_true(swim_next_deadline(fx.node[1]) > fx.now);

  uint64_t changes = ji.changes, t0 = fx.now;
  struct mb_addr two[2] = {nobody, seed0};
  swim_join(fx.node[1], fx.now, two, 2);
  fx_drain(&fx, 1);
  fx_run_until(&fx, fx.now + 5000);
  swim_join_get(fx.node[1], &ji);
  assert_true(ji.changes > changes);
  assert_true(ji.joined && !ji.gave_up);
  assert_true(ji.started_at == t0 && ji.joined_at >= t0);
  assert_int_equal(seed_of(&fx, 1, 0).answers, 0);
  struct swim_seed_info s0 = seed_of(&fx, 1, 1);
  assert_true(s0.requests >= 1 && s0.answers >= 1);
  assert_true(s0.last_answer_at >= s0.last_request_at);
  assert_int_equal(fx_state(&fx, 1, 0), SWIM_ALIVE);
  fx_free(&fx);
}

/* Seeds learnt one at a time (host names resolving late) are added to the
 * join: the seed given first is still asked, and it is the one that
 * answers here. */
static void test_join_add_keeps_seeds(void **state) {
  (void)state;
  struct fixture fx;
  fx_init(&fx, 3);
  fx_start_node(&fx, 1, 1);
  struct mb_addr seed0 = fx_addr(0), nobody = fx_addr(40);
  swim_join(fx.node[1], fx.now, &seed0, 1); /* node 0 is not up yet */
  fx_drain(&fx, 1);
  fx_run_until(&fx, fx.now + 500);
  swim_join_add(fx.node[1], fx.now, &nobody, 1);
  swim_join_add(fx.node[1], fx.now, &nobody, 1); /* known: no change */
  fx_drain(&fx, 1);
  struct swim_join_info ji;
  swim_join_get(fx.node[1], &ji);
  assert_int_equal(ji.n_seeds, 2);
  assert_int_equal(seed_of(&fx, 1, 1).requests, 1); /* the new one, at once */
  uint32_t asked = seed_of(&fx, 1, 0).requests;
  assert_true(asked >= 1);
  fx_start_node(&fx, 0, 1);
  fx_run_until(&fx, fx.now + 10000);
  assert_true(seed_of(&fx, 1, 0).requests > asked);
  assert_true(seed_of(&fx, 1, 0).answers >= 1);
  swim_join_get(fx.node[1], &ji);
  assert_true(ji.joined);
  assert_int_equal(fx_state(&fx, 1, 0), SWIM_ALIVE);
  assert_int_equal(fx_state(&fx, 0, 1), SWIM_ALIVE);

  /* Joined: a seed added later is asked, and the join ends again. */
  uint64_t changes = ji.changes;
  fx_start_node(&fx, 2, 1);
  struct mb_addr seed2 = fx_addr(2);
  swim_join_add(fx.node[1], fx.now, &seed2, 1);
  fx_drain(&fx, 1);
  fx_run_until(&fx, fx.now + 5000);
  swim_join_get(fx.node[1], &ji);
  assert_true(ji.joined && ji.changes > changes);
  assert_int_equal(ji.n_seeds, 3);
  assert_true(seed_of(&fx, 1, 2).answers >= 1);
  assert_int_equal(fx_state(&fx, 2, 1), SWIM_ALIVE);
  fx_free(&fx);
}

static uint64_t available_seen(struct fixture *fx, int observer, int subject) {
  long i = swim_member_find(fx->node[observer], fx->id[subject].pk);
  struct swim_member_info info;
  if (i < 0 || swim_member_get(fx->node[observer], (size_t)i, &info) != MB_OK)
    return 0;
  return info.available;
}

/* An announced payload reaches everyone, though it changes neither the
 * member's incarnation nor its state (so a 17-byte news entry could not
 * say it is newer). */
static void test_payload_updates(void **state) {
  (void)state;
  struct fixture fx;
  fx_init(&fx, 12);
  fx_start_all(&fx);
  fx_run_until(&fx, 30000);
  assert_true(fx_converged(&fx));
  swim_set_payload(fx.node[3], fx.now, 1790000000000 + (int64_t)fx.now, 1000000,
                   424242, NULL, true);
  fx_drain(&fx, 3);
  fx_run_until(&fx, fx.now + 5000);
  int got = 0;
  for (int i = 0; i < fx.n; i++)
    got += available_seen(&fx, i, 3) == 424242;
  print_message("%d of %d hold the announced payload\n", got, fx.n);
  for (int i = 0; i < fx.n; i++)
    if (i != 3)
      assert_int_equal(available_seen(&fx, i, 3), 424242);
  fx_free(&fx);
}

/* Buddy system: the next probe to a suspect carries the suspicion. */
static void test_buddy_system_tells_the_suspect(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 3);
  uint64_t inc = fx_incarnation(&fx, 0, 2);
  uint8_t dg[1400];
  size_t n = fx_claim_datagram(&fx, 0, 1, 2, MB_REC_SUSPECT, inc, 1ull << 40,
                               dg, sizeof(dg));
  fx_inject(&fx, 0, 1, dg, n);
  /* Node 2 hears only from node 0 from now on. */
  fx.cut[1][2] = true;
  fx_run_until(&fx, fx.now + 4000);
  assert_true(swim_self_incarnation(fx.node[2]) > inc);
  assert_int_equal(fx_state(&fx, 0, 2), SWIM_ALIVE);
  fx_free(&fx);
}

/* A timer run late (the driver's loop starved of CPU) counts against our
 * own health: the late node probes less often; a small delay does not. */
static void test_late_timer_stretches_probes(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 5);
  assert_int_equal(swim_awareness(fx.node[0]), 0);
  swim_note_lateness(fx.node[0], fx.now, 100);
  assert_int_equal(swim_awareness(fx.node[0]), 0);
  for (int i = 0; i < 3; i++)
    swim_note_lateness(fx.node[0], fx.now, 600);
  assert_int_equal(swim_awareness(fx.node[0]), 3);
  struct swim_stats late0, late1, healthy0, healthy1;
  swim_get_stats(fx.node[0], &late0);
  swim_get_stats(fx.node[1], &healthy0);
  fx_run_until(&fx, fx.now + 4000);
  swim_get_stats(fx.node[0], &late1);
  swim_get_stats(fx.node[1], &healthy1);
  print_message("probes in 4 s: late %llu, healthy %llu\n",
                (unsigned long long)(late1.probes - late0.probes),
                (unsigned long long)(healthy1.probes - healthy0.probes));
  assert_true(late1.probes - late0.probes < healthy1.probes - healthy0.probes);
  fx_free(&fx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_five_nodes_converge),
      cmocka_unit_test(test_crash_detected_by_all),
      cmocka_unit_test(test_suspected_member_refutes),
      cmocka_unit_test(test_dead_claim_about_live_member_refuted),
      cmocka_unit_test(test_confirmations_shrink_timeout),
      cmocka_unit_test(test_graceful_leave),
      cmocka_unit_test(test_partition_heals_without_join),
      cmocka_unit_test(test_restart_with_old_incarnation),
      cmocka_unit_test(test_bad_datagrams_change_nothing),
      cmocka_unit_test(test_budget_never_exceeded),
      cmocka_unit_test(test_buddy_system_tells_the_suspect),
      cmocka_unit_test(test_join_spreads_as_news),
      cmocka_unit_test(test_certificate_only_while_needed),
      cmocka_unit_test(test_restore_checks_records),
      cmocka_unit_test(test_first_heard_and_restored_events),
      cmocka_unit_test(test_confirmations_reset_when_alive_again),
      cmocka_unit_test(test_join_progress_reported),
      cmocka_unit_test(test_join_add_keeps_seeds),
      cmocka_unit_test(test_payload_updates),
      cmocka_unit_test(test_late_timer_stretches_probes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
