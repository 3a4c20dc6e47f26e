/*
 * Unit tests for the record channel (src/gossip/channel/) and its first
 * user, revocation (channel/revocation.c): a
 * revocation the authority signed is taken, spread and acted on by every
 * member; forged, unsigned, wrongly signed, replayed and lapsed records
 * change nothing; the revoked node's datagrams, records and claims are
 * refused and counted; a member that missed the gossip, and a joiner, get
 * the record by anti-entropy.
 */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swim_fixture.h"

#define AAD ((const uint8_t *)FX_CLUSTER), strlen(FX_CLUSTER)
#define REVOKED 4 /* the node revoked in these tests, of 5 */

static uint64_t rejected(const struct fixture *fx, int i, enum swim_reject r) {
  struct swim_stats st;
  swim_get_stats(fx->node[i], &st);
  return st.rejected[r];
}

static struct swim_member_info member(struct fixture *fx, int i, int j) {
  struct swim_member_info info;
  long k = swim_member_find(fx->node[i], fx->id[j].pk);
  assert_true(k >= 0);
  assert_ok(swim_member_get(fx->node[i], (size_t)k, &info));
  return info;
}

/* Node i holds the revocation of j (version v). */
static bool holds_revocation(struct fixture *fx, int i, int j, uint64_t v) {
  for (size_t k = 0; k < swim_record_count(fx->node[i]); k++) {
    struct swim_record_info info;
    assert_ok(swim_record_get(fx->node[i], k, &info, NULL));
    if (info.kind == MB_REC_REVOCATION && info.version == v &&
        info.subject_len == MB_NODE_ID_LEN &&
        memcmp(info.subject, fx->id[j].pk, MB_NODE_ID_LEN) == 0)
      return true;
  }
  return false;
}

static void assert_others_alive(struct fixture *fx, int revoked) {
  for (int i = 0; i < fx->n; i++)
    for (int j = 0; j < fx->n; j++)
      if (i != revoked && j != revoked)
        assert_int_equal(fx_state(fx, i, j), SWIM_ALIVE);
}

/* The authority's revocation, handed to one member, reaches every member
 * within a second or two: the revoked node is dead there for good (reason
 * revoked), it learns of it itself and falls silent, and no one else is
 * so much as suspected. */
static void test_revocation_spreads(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 5);
  uint8_t rec[512];
  size_t n = fx_revocation(&fx, &fx.authority, REVOKED, 7, 0, rec, sizeof rec);
  uint64_t t0 = fx.now;
  assert_ok(swim_record_offer(fx.node[0], fx.now, rec, n));
  fx_drain(&fx, 0);
  assert_int_equal(fx.records_out[0], 1);
  fx_run_until(&fx, t0 + 2000);
  for (int i = 0; i < REVOKED; i++) {
    assert_true(holds_revocation(&fx, i, REVOKED, 7));
    struct swim_member_info m = member(&fx, i, REVOKED);
    assert_int_equal(m.state, SWIM_DEAD);
    assert_int_equal(m.reason, SWIM_R_REVOKED);
    assert_true(m.revoked);
    assert_int_equal(fx.records_out[i], 1); /* reported once */
  }
  assert_true(swim_self_revoked(fx.node[REVOKED]));
  assert_true(fx.revoked_out[REVOKED]);
  assert_int_equal(swim_next_deadline(fx.node[REVOKED]), UINT64_MAX);
  /* An hour on: still out, nobody else touched, and the revoked member
   * is never re-admitted. */
  fx.down[REVOKED] = true;
  fx_run_until(&fx, t0 + 60000);
  assert_others_alive(&fx, REVOKED);
  for (int j = 0; j < REVOKED; j++)
    assert_int_equal(fx_count_events(&fx, j, SWIM_SUSPECT), 0);
  for (int i = 0; i < REVOKED; i++)
    assert_int_equal(fx_state(&fx, i, REVOKED), SWIM_DEAD);
  fx_free(&fx);
}

/* What is not the authority's genuine, newer revocation changes nothing:
 * signed by a member, tampered with, for another cluster, garbage, an
 * older or the same version, lapsed, or in an open mesh. */
static void test_forged_records_refused(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 5);
  struct swim *s = fx.node[0];
  uint8_t rec[512], other[512];
  size_t n;

  n = fx_revocation(&fx, &fx.id[1], REVOKED, 7, 0, rec, sizeof rec);
  assert_rc(swim_record_offer(s, fx.now, rec, n), MB_ESIGNER);

  n = fx_revocation(&fx, &fx.authority, REVOKED, 7, 0, rec, sizeof rec);
  memcpy(other, rec, n);
  other[n - 10] ^= 0x40; /* in the signature */
  assert_rc(swim_record_offer(s, fx.now, other, n), MB_EBADSIG);
  memcpy(other, rec, n);
  other[n - 66 - 3] ^= 0x01; /* in the payload: the version */
  assert_failed(swim_record_offer(s, fx.now, other, n));

  struct mb_channel_record c = {
      .subject_len = MB_NODE_ID_LEN, .version = 7, .issued_ms = 1790000000000};
  memcpy(c.subject, fx.id[REVOKED].pk, MB_NODE_ID_LEN);
  size_t m;
  assert_ok(mb_wire_channel_sign(&fx.authority, (const uint8_t *)"other", 5,
                                 MB_REC_REVOCATION, &c, other, sizeof other,
                                 &m));
  assert_rc(swim_record_offer(s, fx.now, other, m), MB_EBADSIG);

  static const uint8_t garbage[] = {0xd2, 0x84, 0x43, 0xa1, 0x01, 0x27};
  assert_failed(swim_record_offer(s, fx.now, garbage, sizeof garbage));
  assert_failed(swim_record_offer(s, fx.now, rec, n - 1));

  /* A claim is no channel record. */
  struct mb_claim cl = {.incarnation = 1, .time_ms = 1790000000000};
  memcpy(cl.subject, fx.id[REVOKED].pk, MB_NODE_ID_LEN);
  assert_ok(mb_wire_claim_sign(&fx.authority, AAD, MB_REC_DEAD, &cl, other,
                               sizeof other, &m));
  assert_rc(swim_record_offer(s, fx.now, other, m), MB_EKIND);

  int64_t wall_s = (1790000000000 + (int64_t)fx.now) / 1000;
  m = fx_revocation(&fx, &fx.authority, REVOKED, 8, wall_s - 3600, other,
                    sizeof other);
  assert_rc(swim_record_offer(s, fx.now, other, m), MB_ELAPSED);

  assert_int_equal(swim_record_count(s), 0);
  assert_int_equal(fx.records_out[0], 0);
  assert_int_equal(fx_state(&fx, 0, REVOKED), SWIM_ALIVE);

  /* The genuine one; then the same again, and an older one. */
  assert_ok(swim_record_offer(s, fx.now, rec, n));
  assert_rc(swim_record_offer(s, fx.now, rec, n), MB_EHELD);
  m = fx_revocation(&fx, &fx.authority, REVOKED, 6, 0, other, sizeof other);
  assert_rc(swim_record_offer(s, fx.now, other, m), MB_EOLDER);
  assert_int_equal(swim_record_count(s), 1);
  fx_drain(&fx, 0);
  assert_int_equal(fx.records_out[0], 1);
  fx_free(&fx);

  /* An open mesh has no authority: nothing can revoke. */
  fx_init(&fx, 2);
  fx.cfg.require_cert = false;
  fx_start_all(&fx);
  n = fx_revocation(&fx, &fx.authority, 1, 7, 0, rec, sizeof rec);
  assert_rc(swim_record_offer(fx.node[0], fx.now, rec, n), MB_ESIGNER);
  fx_free(&fx);
}

/* A forged revocation in a datagram (a member's key, not the authority's)
 * is refused and counted; the genuine one arriving from the network is
 * taken as from an offer. */
static void test_forged_revocation_in_gossip(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 5);
  uint8_t rec[512], dg[1400];
  size_t n = fx_revocation(&fx, &fx.id[1], REVOKED, 7, 0, rec, sizeof rec);
  struct mb_msg msg = {.kind = MB_MSG_GOSSIP};
  struct mb_dgram_builder b;
  size_t len;
  assert_ok(mb_dgram_init(&b, &fx.id[FX_OUTSIDER], AAD, 1400, 1u << 30, &msg));
  fx_bind(&fx, &b, 0);
  assert_ok(
      mb_dgram_add_cert(&b, fx.cert[FX_OUTSIDER], fx.cert_len[FX_OUTSIDER]));
  assert_ok(mb_dgram_add_record(&b, rec, n));
  assert_ok(mb_dgram_finish(&b, dg, sizeof dg, &len));
  uint64_t before = rejected(&fx, 0, SWIM_REJ_RECORD);
  fx_inject(&fx, 0, 1, dg, len);
  assert_int_equal(rejected(&fx, 0, SWIM_REJ_RECORD) - before, 1);
  assert_int_equal(swim_record_count(fx.node[0]), 0);
  assert_int_equal(fx_state(&fx, 0, REVOKED), SWIM_ALIVE);

  n = fx_revocation(&fx, &fx.authority, REVOKED, 7, 0, rec, sizeof rec);
  assert_ok(
      mb_dgram_init(&b, &fx.id[FX_OUTSIDER], AAD, 1400, (1u << 30) + 1, &msg));
  fx_bind(&fx, &b, 0);
  assert_ok(
      mb_dgram_add_cert(&b, fx.cert[FX_OUTSIDER], fx.cert_len[FX_OUTSIDER]));
  assert_ok(mb_dgram_add_record(&b, rec, n));
  assert_ok(mb_dgram_finish(&b, dg, sizeof dg, &len));
  fx_inject(&fx, 0, 1, dg, len);
  assert_int_equal(swim_record_count(fx.node[0]), 1);
  assert_int_equal(fx_state(&fx, 0, REVOKED), SWIM_DEAD);
  fx_free(&fx);
}

/* After the revocation, everything the revoked node sends or signs is
 * refused before any signature is checked and counted as `revoked`: its
 * MACed and signed datagrams, its heartbeat record and its claims relayed
 * by others; and it is told of its revocation in answer. */
static void test_revoked_node_refused(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 5);
  uint8_t rec[512], dg[1400];
  size_t n = fx_revocation(&fx, &fx.authority, REVOKED, 7, 0, rec, sizeof rec);
  /* Node 1 takes it; what it tells the revoked node at once is lost, so
   * that the answer to a refused datagram is seen to tell it too. */
  fx.cut[1][REVOKED] = true;
  assert_ok(swim_record_offer(fx.node[1], fx.now, rec, n));
  fx_drain(&fx, 1);
  fx.cut[1][REVOKED] = false;

  /* A signed datagram by the revoked node, bound to node 1. */
  struct mb_msg ping = {.kind = MB_MSG_PING, .probe_id = 9};
  memcpy(ping.target, fx.id[1].pk, MB_NODE_REF_LEN);
  struct mb_dgram_builder b;
  size_t len;
  assert_ok(mb_dgram_init(&b, &fx.id[REVOKED], AAD, 1400, 1u << 30, &ping));
  fx_bind(&fx, &b, 1);
  assert_ok(mb_dgram_finish(&b, dg, sizeof dg, &len));
  struct mb_vcache_stats vs0, vs1;
  mb_vcache_get_stats(fx.vc, &vs0);
  uint64_t before = rejected(&fx, 1, SWIM_REJ_REVOKED);
  struct swim_stats st0, st1;
  swim_get_stats(fx.node[1], &st0);
  fx_inject(&fx, 1, REVOKED, dg, len);
  mb_vcache_get_stats(fx.vc, &vs1);
  assert_int_equal(rejected(&fx, 1, SWIM_REJ_REVOKED) - before, 1);
  assert_int_equal(vs1.misses, vs0.misses); /* nothing verified */
  swim_get_stats(fx.node[1], &st1);
  assert_int_equal(st1.sent_datagrams - st0.sent_datagrams, 1); /* told */

  /* The same MACed under the pair key. */
  uint8_t key[MB_PAIR_KEY_LEN];
  assert_ok(mb_pair_key(key, &fx.id[REVOKED], fx.id[1].pk));
  assert_ok(
      mb_dgram_init(&b, &fx.id[REVOKED], AAD, 1400, (1u << 30) + 1, &ping));
  fx_bind(&fx, &b, 1);
  assert_ok(mb_dgram_use_mac(&b, key));
  assert_ok(mb_dgram_finish(&b, dg, sizeof dg, &len));
  fx_inject(&fx, 1, REVOKED, dg, len);
  assert_int_equal(rejected(&fx, 1, SWIM_REJ_REVOKED) - before, 2);

  /* Its dead claim about node 2, relayed by an admitted outsider. */
  len = fx_claim_datagram(&fx, 1, REVOKED, 2, MB_REC_DEAD,
                          fx_incarnation(&fx, 1, 2), 1u << 30, dg, sizeof dg);
  fx_inject(&fx, 1, 3, dg, len);
  assert_int_equal(rejected(&fx, 1, SWIM_REJ_REVOKED) - before, 3);
  assert_int_equal(fx_state(&fx, 1, 2), SWIM_ALIVE);

  /* And the answer reached it: it knows it is revoked. */
  fx_run_until(&fx, fx.now + 100);
  assert_true(swim_self_revoked(fx.node[REVOKED]));
  fx_free(&fx);
}

/* The member that takes a revocation tells the revoked node at once,
 * even one that cannot be heard (mute): no datagram of its is needed to
 * draw the answer, and nobody gossips to a member dead in their view. */
static void test_revoked_node_told(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 5);
  for (int j = 0; j < fx.n; j++)
    fx.cut[REVOKED][j] = true;
  uint8_t rec[512];
  size_t n = fx_revocation(&fx, &fx.authority, REVOKED, 7, 0, rec, sizeof rec);
  assert_ok(swim_record_offer(fx.node[0], fx.now, rec, n));
  fx_drain(&fx, 0);
  fx_run_until(&fx, fx.now + 1000);
  assert_true(swim_self_revoked(fx.node[REVOKED]));
  fx_free(&fx);
}

/* Handed to the revoked node itself, the revocation still reaches every
 * member: the node passes it on before it falls silent. */
static void test_revocation_handed_to_revoked_node(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 5);
  uint8_t rec[512];
  size_t n = fx_revocation(&fx, &fx.authority, REVOKED, 7, 0, rec, sizeof rec);
  assert_ok(swim_record_offer(fx.node[REVOKED], fx.now, rec, n));
  fx_drain(&fx, REVOKED);
  assert_true(swim_self_revoked(fx.node[REVOKED]));
  fx_run_until(&fx, fx.now + 2000);
  for (int i = 0; i < REVOKED; i++) {
    assert_true(holds_revocation(&fx, i, REVOKED, 7));
    assert_int_equal(fx_state(&fx, i, REVOKED), SWIM_DEAD);
  }
  fx_free(&fx);
}

/* A record restored from the store is kept and acted on but neither
 * reported nor gossiped; the others get it by anti-entropy at the next
 * comparison of views (records digest, summary, push), and a joiner gets
 * it with its seed's view, before the revoked member's record. */
static void test_anti_entropy_and_joiners(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 4);
  uint8_t rec[512];
  size_t n =
      fx_revocation(&fx, &fx.authority, FX_OUTSIDER, 3, 0, rec, sizeof rec);
  assert_ok(swim_record_restore(fx.node[2], fx.now, rec, n));
  fx_drain(&fx, 2);
  assert_int_equal(fx.records_out[2], 0);
  /* Push-pull every 30 to 60 s: within two periods everyone has it.  It
   * left node 2 in a comparison of views (a reply, pushed or pulled);
   * the member that learned it so relays it as news (a healed partition
   * learns a revocation in seconds, not one comparison at a time). */
  fx_run_until(&fx, fx.now + 120000);
  for (int i = 0; i < 4; i++) {
    assert_true(holds_revocation(&fx, i, FX_OUTSIDER, 3));
    assert_int_equal(fx.records_out[i], i == 2 ? 0 : 1);
  }
  assert_true(fx.channel_records_by_kind[MB_MSG_PUSH_PULL_REPLY] >= 1);
  /* A newcomer joining through node 1 is given it in the view. */
  fx.n = 5;
  fx_start_node(&fx, 4, 1);
  struct mb_addr seed = fx_addr(1);
  swim_join(fx.node[4], fx.now, &seed, 1);
  fx_drain(&fx, 4);
  fx_run_until(&fx, fx.now + 2000);
  assert_true(holds_revocation(&fx, 4, FX_OUTSIDER, 3));
  assert_true(fx_converged(&fx));
  fx_free(&fx);
}

/* A member restarted with the revocation in its store refuses the revoked
 * member's stored record, so it never enters the view. */
static void test_restored_revocation_refuses_member(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 5);
  long k = swim_member_find(fx.node[0], fx.id[REVOKED].pk);
  struct mb_bytes hb, cert;
  assert_ok(swim_member_raw(fx.node[0], (size_t)k, &hb, &cert));
  uint8_t hb_copy[1024], cert_copy[MB_CERT_MAX_LEN], rec[512];
  memcpy(hb_copy, hb.p, hb.len);
  memcpy(cert_copy, cert.p, cert.len);
  size_t hb_len = hb.len, cert_len = cert.len;
  size_t n = fx_revocation(&fx, &fx.authority, REVOKED, 7, 0, rec, sizeof rec);
  fx_start_node(&fx, 0, 2); /* a fresh core for node 0, as after a restart */
  assert_ok(swim_record_restore(fx.node[0], fx.now, rec, n));
  assert_rc(
      swim_restore(fx.node[0], fx.now, hb_copy, hb_len, cert_copy, cert_len),
      MB_EREVOKED);
  assert_int_equal(swim_member_find(fx.node[0], fx.id[REVOKED].pk), -1);
  fx_free(&fx);

  /* Its own revocation restored: the node falls silent at once. */
  fx_init(&fx, 1);
  fx_start_node(&fx, 0, 1);
  n = fx_revocation(&fx, &fx.authority, 0, 7, 0, rec, sizeof rec);
  assert_ok(swim_record_restore(fx.node[0], fx.now, rec, n));
  assert_true(swim_self_revoked(fx.node[0]));
  assert_int_equal(swim_next_deadline(fx.node[0]), UINT64_MAX);
  fx_free(&fx);
}

/* A member's own kinds (a RAID task here): signed by a certified
 * coordinator, spread, replaced only by a higher version; a node with no
 * certificate here is refused, and a revoked coordinator's records too. */
static void test_member_signed_records(void **state) {
  (void)state;
  struct fixture fx;
  fx_init(&fx, 4);
  fx.coordinator_role[1] = true;
  fx_start_all(&fx);
  fx_run_until(&fx, 4000);
  assert_true(fx_converged(&fx));
  uint8_t rec[768];
  size_t n = fx_raid_task(&fx.id[1], 9, 100, 0, rec, sizeof rec);
  assert_ok(swim_record_offer(fx.node[0], fx.now, rec, n));
  fx_drain(&fx, 0);
  fx_run_until(&fx, fx.now + 2000);
  for (int i = 0; i < 4; i++) {
    assert_int_equal(swim_record_count(fx.node[i]), 1);
    struct swim_record_info info;
    assert_ok(swim_record_get(fx.node[i], 0, &info, NULL));
    assert_int_equal(info.kind, MB_REC_RAID_TASK);
    assert_int_equal(info.version, 100);
    assert_memory_equal(info.signer, fx.id[1].pk, MB_NODE_ID_LEN);
  }
  /* Signed by a node that holds no certificate here: refused. */
  struct mb_identity nobody;
  uint8_t seed[MB_SEED_LEN];
  test_seed(seed, 0x77);
  mb_identity_from_seed(&nobody, seed);
  n = fx_raid_task(&nobody, 9, 101, 0, rec, sizeof rec);
  assert_rc(swim_record_offer(fx.node[0], fx.now, rec, n), MB_ESIGNER);
  /* Revoke the signer: its next record is refused as revoked. */
  uint8_t rev[512];
  size_t rn = fx_revocation(&fx, &fx.authority, 1, 1, 0, rev, sizeof rev);
  assert_ok(swim_record_offer(fx.node[0], fx.now, rev, rn));
  n = fx_raid_task(&fx.id[1], 9, 101, 0, rec, sizeof rec);
  assert_rc(swim_record_offer(fx.node[0], fx.now, rec, n), MB_EREVOKED);
  fx_free(&fx);
}

/* A revocation of an arbitrary node id (not a fixture member). */
static size_t revoke_id(struct fixture *fx, const uint8_t *id, uint64_t version,
                        int64_t until_s, uint8_t *out, size_t cap) {
  struct mb_channel_record c = {.subject_len = MB_NODE_ID_LEN,
                                .version = version,
                                .issued_ms = 1790000000000,
                                .until_s = until_s};
  memcpy(c.subject, id, MB_NODE_ID_LEN);
  size_t len;
  assert_ok(mb_wire_channel_sign(&fx->authority, AAD, MB_REC_REVOCATION, &c,
                                 out, cap, &len));
  return len;
}

/* A member-signed record (a RAID task) by `by`, offered to s: what a
 * revoked signer gets is MB_EREVOKED, before any signature check. */
static int offer_task(struct fixture *fx, struct swim *s,
                      const struct mb_identity *by, uint64_t id,
                      uint64_t version) {
  uint8_t rec[768];
  size_t n = fx_raid_task(by, id, version, 0, rec, sizeof rec);
  return swim_record_offer(s, fx->now, rec, n);
}

static size_t held_of_kind(struct swim *s, enum mb_record_kind kind) {
  size_t n = 0;
  for (size_t k = 0; k < swim_record_count(s); k++) {
    struct swim_record_info info;
    assert_ok(swim_record_get(s, k, &info, NULL));
    n += info.kind == kind;
  }
  return n;
}

#define REVOCATIONS_HELD 1024 /* the revocation policy's limit */
#define REVOKED_IDS (REVOCATIONS_HELD + 24)
/* The RAID task policy's limit: there, the oldest gives way. */
#define TASKS_HELD 4096

/* Node 2 and REVOCATIONS_HELD - 1 other ids (the last one until soon). */
static void fill_revocations(struct fixture *fx, struct swim *s,
                             struct mb_identity *ids, int64_t soon_s) {
  uint8_t rec[512], seed[MB_SEED_LEN];
  size_t n = fx_revocation(fx, &fx->authority, 2, 1, 0, rec, sizeof rec);
  assert_ok(swim_record_offer(s, fx->now, rec, n));
  for (size_t i = 0; i < REVOKED_IDS; i++) {
    memset(seed, 0, sizeof seed);
    memcpy(seed, &i, sizeof i);
    seed[MB_SEED_LEN - 1] = 0xa5;
    mb_identity_from_seed(&ids[i], seed);
  }
  for (size_t i = 0; i + 1 < REVOCATIONS_HELD; i++) {
    bool last = i + 2 == REVOCATIONS_HELD;
    n = revoke_id(fx, ids[i].pk, 1, last ? soon_s : 0, rec, sizeof rec);
    assert_ok(swim_record_offer(s, fx->now, rec, n));
  }
}

/* Every id revoked so far is still refused at s. */
static void assert_all_refused(struct fixture *fx, struct swim *s,
                               const struct mb_identity *ids, size_t n) {
  for (size_t i = 0; i < n; i++)
    assert_rc(offer_task(fx, s, &ids[i], 0, 1), MB_EREVOKED);
  assert_rc(offer_task(fx, s, &fx->id[2], 0, 1), MB_EREVOKED);
  assert_true(member(fx, 0, 2).revoked);
  assert_int_equal(fx_state(fx, 0, 2), SWIM_DEAD);
}

/* A revocation is never evicted while in force (evicting one would admit
 * the revoked node again): the table holds REVOCATIONS_HELD of them, and
 * a further one is refused (MB_EFULL; counted as `channel-full` when it
 * comes in gossip) rather than pushing one out, however many records of
 * other kinds come and go (those evict their own oldest).  Only a
 * revocation whose `until` passed leaves, and makes room. */
static void test_revocations_never_evicted(void **state) {
  (void)state;
  struct fixture fx;
  fx_init(&fx, 3);
  fx.coordinator_role[1] = true; /* signs the RAID tasks below */
  fx_start_all(&fx);
  fx_run_until(&fx, 4000);
  assert_true(fx_converged(&fx));
  struct swim *s = fx.node[0];
  struct mb_identity *ids = calloc(REVOKED_IDS, sizeof(*ids));
  assert_non_null(ids);
  int64_t soon_s = 1790000000 + (int64_t)(fx.now / 1000) + 60;
  fill_revocations(&fx, s, ids, soon_s);
  assert_int_equal(held_of_kind(s, MB_REC_REVOCATION), REVOCATIONS_HELD);

  /* More revocations than the table holds: each refused, none evicted. */
  uint8_t rec[512], dg[1400];
  for (size_t i = REVOCATIONS_HELD; i < REVOKED_IDS; i++) {
    size_t n = revoke_id(&fx, ids[i].pk, 1, 0, rec, sizeof rec);
    assert_rc(swim_record_offer(s, fx.now, rec, n), MB_EFULL);
  }
  /* The same from a peer, in gossip: counted. */
  size_t n = revoke_id(&fx, ids[REVOCATIONS_HELD].pk, 1, 0, rec, sizeof rec);
  struct mb_msg msg = {.kind = MB_MSG_GOSSIP};
  struct mb_dgram_builder b;
  size_t len;
  assert_ok(
      mb_dgram_init(&b, &fx.id[1], AAD, 1400, swim_take_seq(fx.node[1]), &msg));
  fx_bind(&fx, &b, 0);
  assert_ok(mb_dgram_add_record(&b, rec, n));
  assert_ok(mb_dgram_finish(&b, dg, sizeof dg, &len));
  uint64_t full = rejected(&fx, 0, SWIM_REJ_CHANNEL_FULL);
  fx_inject(&fx, 0, 1, dg, len);
  assert_int_equal(rejected(&fx, 0, SWIM_REJ_CHANNEL_FULL) - full, 1);

  /* Other kinds past their own limits: they evict their own oldest. */
  for (unsigned k = 0; k < TASKS_HELD + 4; k++)
    assert_ok(offer_task(&fx, s, &fx.id[1], k, 1));
  assert_int_equal(held_of_kind(s, MB_REC_RAID_TASK), TASKS_HELD);
  assert_int_equal(held_of_kind(s, MB_REC_REVOCATION), REVOCATIONS_HELD);
  assert_all_refused(&fx, s, ids, REVOCATIONS_HELD - 1);

  /* Time passes, the mesh gossips them: still every one in force. */
  fx_run_until(&fx, fx.now + 30000);
  assert_all_refused(&fx, s, ids, REVOCATIONS_HELD - 1);
  assert_all_refused(&fx, fx.node[1], ids, REVOCATIONS_HELD - 1);

  /* Past the one `until` (and the clock skew allowed for): that one
   * lapsed, and only then is there room for another. */
  fx_run_until(&fx, fx.now + (60 + 300 + 20) * 1000);
  assert_int_equal(held_of_kind(s, MB_REC_REVOCATION), REVOCATIONS_HELD - 1);
  assert_int_equal(offer_task(&fx, s, &ids[REVOCATIONS_HELD - 2], 0, 1),
                   MB_ESIGNER); /* no longer revoked: merely uncertified */
  n = revoke_id(&fx, ids[REVOCATIONS_HELD].pk, 1, 0, rec, sizeof rec);
  assert_ok(swim_record_offer(s, fx.now, rec, n));
  assert_all_refused(&fx, s, ids, REVOCATIONS_HELD - 2);
  assert_rc(offer_task(&fx, s, &ids[REVOCATIONS_HELD], 0, 1), MB_EREVOKED);
  free(ids);
  fx_free(&fx);
}

/* At rest the channel costs a 16-byte digest per comparison of views and
 * nothing else: no summary while the digests agree. */
static void test_quiet_at_rest(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 4);
  uint8_t rec[512];
  size_t n =
      fx_revocation(&fx, &fx.authority, FX_OUTSIDER, 3, 0, rec, sizeof rec);
  assert_ok(swim_record_offer(fx.node[0], fx.now, rec, n));
  fx_drain(&fx, 0);
  fx_run_until(&fx, fx.now + 5000);
  for (int i = 0; i < 4; i++)
    assert_true(holds_revocation(&fx, i, FX_OUTSIDER, 3));
  uint64_t replies = fx.bytes_by_kind[MB_MSG_PUSH_PULL_REPLY];
  fx_run_until(&fx, fx.now + 120000);
  assert_int_equal(fx.bytes_by_kind[MB_MSG_PUSH_PULL_REPLY], replies);
  fx_free(&fx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_revocation_spreads),
      cmocka_unit_test(test_forged_records_refused),
      cmocka_unit_test(test_forged_revocation_in_gossip),
      cmocka_unit_test(test_revoked_node_refused),
      cmocka_unit_test(test_revoked_node_told),
      cmocka_unit_test(test_revocation_handed_to_revoked_node),
      cmocka_unit_test(test_anti_entropy_and_joiners),
      cmocka_unit_test(test_restored_revocation_refuses_member),
      cmocka_unit_test(test_member_signed_records),
      cmocka_unit_test(test_quiet_at_rest),
      cmocka_unit_test(test_revocations_never_evicted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
