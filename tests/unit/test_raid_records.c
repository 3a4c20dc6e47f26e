/*
 * Unit tests for the RAID publication records (kinds 23 array, 24 task,
 * 25 leader: src/gossip/wire/raid_*.c, channel/policy.c, eligible.c) on
 * the in-process mesh: what a coordinator signs reaches every member
 * intact; a certified member that is no coordinator publishes nothing
 * (offered or in gossip); an older version is refused; a record whose
 * `until` passed is refused, and dropped from every table once it
 * lapses; a body with a field missing, of the wrong type or past its
 * bound, a subject that is not what the body names, or a version that
 * is not the body's index is refused; the worst cases fit.
 */
#include "test_util.h"

#include <stdio.h>
#include <string.h>

#include "swim_fixture.h"

#define COORD 1 /* certified with the role "coordinator" */
#define PLAIN 2 /* certified, no coordinator: tries to publish anyway */
#define NAMED 3 /* a coordinator by name (swim_config.coordinator_names) */
#define NODES 4
#define WALL_S 1790000000 /* the fixture's wall clock at t = 0, seconds */

static uint64_t rejected(const struct fixture *fx, int i) {
  struct swim_stats st;
  swim_get_stats(fx->node[i], &st);
  return st.rejected[SWIM_REJ_RECORD];
}

static void start_mesh(struct fixture *fx) {
  fx_init(fx, NODES);
  fx->coordinator_role[COORD] = true;
  snprintf(fx->cfg.coordinator_names[0], MB_NAME_MAX + 1, "n%d", NAMED);
  snprintf(fx->cfg.coordinator_names[1], MB_NAME_MAX + 1, "n%d", FX_OUTSIDER);
  fx->cfg.n_coordinator_names = 2;
  fx_start_all(fx);
  fx_run_until(fx, 4000);
  assert_true(fx_converged(fx));
}

/* The largest array: 32 slots, a 63-byte name (21 three-byte
 * characters), every number at its widest. */
static void worst_array(struct mb_wire_raid_array *a) {
  memset(a, 0, sizeof(*a));
  a->term = a->index = a->size = UINT64_MAX;
  for (int i = 0; i < 21; i++)
    memcpy(a->name + 3 * i, "\xe2\x82\xac", 3); /* U+20AC */
  a->level = a->state = MB_WIRE_RAID_SMALL_MAX;
  a->data = 30, a->parity = 2;
  a->n_slots = MB_WIRE_RAID_SLOTS_MAX;
  for (size_t i = 0; i < a->n_slots; i++) {
    memset(a->slots[i].device, (int)i + 1, MB_NODE_REF_LEN);
    a->slots[i].state = MB_WIRE_RAID_SMALL_MAX;
  }
  a->removed = true;
}

static void worst_task(struct mb_wire_raid_task *t) {
  memset(t, 0, sizeof(*t));
  t->term = t->index = t->id = t->bytes = t->progress = UINT64_MAX;
  memset(t->array, 'a', MB_WIRE_RAID_NAME_MAX);
  t->slot = MB_WIRE_RAID_SLOTS_MAX - 1;
  t->kind = t->state = MB_WIRE_RAID_SMALL_MAX;
  memset(t->target, 0x7e, MB_NODE_REF_LEN);
  t->n_sources = MB_WIRE_RAID_SLOTS_MAX;
  for (size_t i = 0; i < t->n_sources; i++)
    memset(t->sources[i], (int)i + 1, MB_NODE_REF_LEN);
}

static void worst_leader(struct mb_wire_raid_leader *l) {
  memset(l, 0, sizeof(*l));
  l->term = l->index = l->arrays = l->tasks = UINT64_MAX;
  memset(l->leader, 0x5a, MB_NODE_ID_LEN);
  l->n_voters = MB_WIRE_RAID_VOTERS_MAX;
  for (size_t i = 0; i < l->n_voters; i++)
    memset(l->voters[i], (int)i + 1, MB_NODE_ID_LEN);
}

static void small_array(struct mb_wire_raid_array *a, const char *name,
                        uint64_t index) {
  memset(a, 0, sizeof(*a));
  a->term = 3, a->index = index, a->size = 1ull << 30;
  snprintf(a->name, sizeof(a->name), "%s", name);
  a->level = 5, a->data = 2, a->parity = 1, a->state = 1;
  a->n_slots = 3;
  for (size_t i = 0; i < a->n_slots; i++) {
    memset(a->slots[i].device, 0x30 + (int)i, MB_NODE_REF_LEN);
    a->slots[i].state = i == 2;
  }
}

/* A record of kind with body, about subject, at version (until_s 0:
 * never lapses). */
static size_t sign_rec(const struct mb_identity *by, enum mb_record_kind kind,
                       const uint8_t *subject, size_t subject_len,
                       uint64_t version, int64_t until_s, const uint8_t *body,
                       size_t body_len, uint8_t *out, size_t cap) {
  size_t n;
  assert_ok(mb_wire_channel_record_sign(
      by, FX_CLUSTER, kind, subject, subject_len, version,
      1790000000000 + (int64_t)version, until_s, body, body_len, out, cap, &n));
  return n;
}

static size_t array_rec(const struct mb_identity *by,
                        const struct mb_wire_raid_array *a, uint8_t *out,
                        size_t cap) {
  uint8_t body[MB_CHANNEL_BODY_MAX], subject[MB_WIRE_RAID_ARRAY_SUBJECT_LEN];
  size_t len;
  assert_ok(mb_wire_raid_array_body_encode(a, body, sizeof body, &len));
  mb_wire_raid_array_subject(a->name, subject);
  return sign_rec(by, MB_REC_RAID_ARRAY, subject, sizeof subject, a->index, 0,
                  body, len, out, cap);
}

static size_t task_rec(const struct mb_identity *by,
                       const struct mb_wire_raid_task *t, int64_t until_s,
                       uint8_t *out, size_t cap) {
  uint8_t body[MB_CHANNEL_BODY_MAX], subject[MB_WIRE_RAID_TASK_SUBJECT_LEN];
  size_t len;
  assert_ok(mb_wire_raid_task_body_encode(t, body, sizeof body, &len));
  mb_wire_raid_task_subject(t->id, subject);
  return sign_rec(by, MB_REC_RAID_TASK, subject, sizeof subject, t->index,
                  until_s, body, len, out, cap);
}

static size_t leader_rec(const struct mb_identity *by,
                         const struct mb_wire_raid_leader *l, uint8_t *out,
                         size_t cap) {
  uint8_t body[MB_CHANNEL_BODY_MAX];
  static const uint8_t subject[1] = {0};
  size_t len;
  assert_ok(mb_wire_raid_leader_body_encode(l, body, sizeof body, &len));
  return sign_rec(by, MB_REC_RAID_LEADER, subject, 1, l->index, 0, body, len,
                  out, cap);
}

/* The record of kind node i holds (asserts there is exactly one). */
static struct mb_record held(struct fixture *fx, int i,
                             enum mb_record_kind kind) {
  struct mb_record r;
  int found = 0;
  for (size_t k = 0; k < swim_record_count(fx->node[i]); k++) {
    struct swim_record_info info;
    struct mb_bytes raw;
    assert_ok(swim_record_get(fx->node[i], k, &info, &raw));
    if (info.kind == kind) {
      assert_ok(mb_wire_record_parse(raw.p, raw.len, &r));
      found++;
    }
  }
  assert_int_equal(found, 1);
  return r;
}

/* rec, gossiped to node `to` by the admitted outsider (which carries its
 * own certificate). */
static void gossip_to(struct fixture *fx, int to, const uint8_t *rec, size_t n,
                      uint64_t seq) {
  struct mb_msg msg = {.kind = MB_MSG_GOSSIP};
  struct mb_dgram_builder b;
  uint8_t dg[1400];
  size_t len;
  assert_ok(mb_dgram_init(&b, &fx->id[FX_OUTSIDER], (const uint8_t *)FX_CLUSTER,
                          strlen(FX_CLUSTER), 1400, seq, &msg));
  fx_bind(fx, &b, to);
  assert_ok(
      mb_dgram_add_cert(&b, fx->cert[FX_OUTSIDER], fx->cert_len[FX_OUTSIDER]));
  assert_ok(mb_dgram_add_record(&b, rec, n));
  assert_ok(mb_dgram_finish(&b, dg, sizeof dg, &len));
  fx_inject(fx, to, 0, dg, len);
}

/* The three kinds, the array and task at their largest, signed by the
 * coordinator by role and the one by name, handed to a member that is
 * neither: every member holds them, their bodies as they were signed. */
static void test_round_trip_between_cores(void **state) {
  (void)state;
  struct fixture fx;
  start_mesh(&fx);
  struct mb_wire_raid_array a, a2;
  struct mb_wire_raid_task t, t2;
  struct mb_wire_raid_leader l, l2;
  worst_array(&a);
  worst_task(&t);
  worst_leader(&l);
  uint8_t rec[MB_WIRE_MAX_RECORD];
  size_t n = array_rec(&fx.id[COORD], &a, rec, sizeof rec);
  assert_ok(swim_record_offer(fx.node[0], fx.now, rec, n));
  n = task_rec(&fx.id[NAMED], &t, 0, rec, sizeof rec);
  assert_ok(swim_record_offer(fx.node[0], fx.now, rec, n));
  n = leader_rec(&fx.id[COORD], &l, rec, sizeof rec);
  assert_ok(swim_record_offer(fx.node[0], fx.now, rec, n));
  fx_drain(&fx, 0);
  fx_run_until(&fx, fx.now + 3000);
  for (int i = 0; i < NODES; i++) {
    assert_int_equal(swim_record_count(fx.node[i]), 3);
    struct mb_record r = held(&fx, i, MB_REC_RAID_ARRAY);
    assert_ok(
        mb_wire_raid_array_body_decode(r.u.ch.body, r.u.ch.body_len, &a2));
    assert_memory_equal(&a, &a2, sizeof a);
    assert_memory_equal(r.envelope.kid, fx.id[COORD].pk, MB_NODE_ID_LEN);
    r = held(&fx, i, MB_REC_RAID_TASK);
    assert_ok(mb_wire_raid_task_body_decode(r.u.ch.body, r.u.ch.body_len, &t2));
    assert_memory_equal(&t, &t2, sizeof t);
    assert_memory_equal(r.envelope.kid, fx.id[NAMED].pk, MB_NODE_ID_LEN);
    r = held(&fx, i, MB_REC_RAID_LEADER);
    assert_ok(
        mb_wire_raid_leader_body_decode(r.u.ch.body, r.u.ch.body_len, &l2));
    assert_memory_equal(&l, &l2, sizeof l);
  }
  fx_free(&fx);
}

/* A certified member that is no coordinator publishes none of the three:
 * offered (even to its own core) each is MB_ESIGNER; in gossip each is
 * counted and dropped; nobody holds one after the mesh gossiped.  A
 * coordinator by listed name is known by the certificate it carries
 * before it is a member. */
static void test_non_coordinator_refused(void **state) {
  (void)state;
  struct fixture fx;
  start_mesh(&fx);
  struct mb_wire_raid_array a;
  struct mb_wire_raid_task t;
  struct mb_wire_raid_leader l;
  small_array(&a, "eu-1", 7);
  worst_task(&t);
  worst_leader(&l);
  uint8_t recs[3][MB_WIRE_MAX_RECORD];
  size_t n[3] = {array_rec(&fx.id[PLAIN], &a, recs[0], sizeof recs[0]),
                 task_rec(&fx.id[PLAIN], &t, 0, recs[1], sizeof recs[1]),
                 leader_rec(&fx.id[PLAIN], &l, recs[2], sizeof recs[2])};
  for (int k = 0; k < 3; k++) {
    assert_rc(swim_record_offer(fx.node[0], fx.now, recs[k], n[k]), MB_ESIGNER);
    assert_rc(swim_record_offer(fx.node[PLAIN], fx.now, recs[k], n[k]),
              MB_ESIGNER);
    uint64_t before = rejected(&fx, 0);
    gossip_to(&fx, 0, recs[k], n[k], (1u << 30) + (uint64_t)k);
    assert_int_equal(rejected(&fx, 0) - before, 1);
  }
  fx_run_until(&fx, fx.now + 3000);
  for (int i = 0; i < NODES; i++)
    assert_int_equal(swim_record_count(fx.node[i]), 0);

  /* The outsider, listed by name, never a member: its carried
   * certificate names it, and its record is taken. */
  size_t m = leader_rec(&fx.id[FX_OUTSIDER], &l, recs[0], sizeof recs[0]);
  gossip_to(&fx, 0, recs[0], m, (1u << 30) + 10);
  assert_int_equal(swim_record_count(fx.node[0]), 1);
  fx_free(&fx);
}

/* Newest version wins: an older one is MB_EOLDER, a newer replaces it on
 * every member. */
static void test_older_version_refused(void **state) {
  (void)state;
  struct fixture fx;
  start_mesh(&fx);
  struct mb_wire_raid_array a;
  uint8_t rec[MB_WIRE_MAX_RECORD];
  small_array(&a, "eu-1", 10);
  size_t n = array_rec(&fx.id[COORD], &a, rec, sizeof rec);
  assert_ok(swim_record_offer(fx.node[0], fx.now, rec, n));
  assert_rc(swim_record_offer(fx.node[0], fx.now, rec, n), MB_EHELD);
  small_array(&a, "eu-1", 9);
  n = array_rec(&fx.id[COORD], &a, rec, sizeof rec);
  assert_rc(swim_record_offer(fx.node[0], fx.now, rec, n), MB_EOLDER);
  small_array(&a, "eu-1", 11);
  a.state = 0;
  n = array_rec(&fx.id[NAMED], &a, rec, sizeof rec);
  assert_ok(swim_record_offer(fx.node[0], fx.now, rec, n));
  fx_drain(&fx, 0);
  fx_run_until(&fx, fx.now + 3000);
  for (int i = 0; i < NODES; i++) {
    struct mb_record r = held(&fx, i, MB_REC_RAID_ARRAY);
    assert_int_equal(r.u.ch.version, 11);
  }
  fx_free(&fx);
}

/* A finished task's record lapses at the `until` its publisher chose:
 * taken before, dropped from every member's table after (clock skew
 * allowed for), and refused when offered once lapsed. */
static void test_lapsed_dropped(void **state) {
  (void)state;
  struct fixture fx;
  start_mesh(&fx);
  struct mb_wire_raid_task t;
  worst_task(&t);
  t.id = 42, t.index = 50, t.state = 2; /* done */
  int64_t until_s = WALL_S + (int64_t)(fx.now / 1000) + 30;
  uint8_t rec[MB_WIRE_MAX_RECORD];
  size_t n = task_rec(&fx.id[COORD], &t, until_s, rec, sizeof rec);
  assert_ok(swim_record_offer(fx.node[0], fx.now, rec, n));
  fx_drain(&fx, 0);
  fx_run_until(&fx, fx.now + 3000);
  for (int i = 0; i < NODES; i++)
    assert_int_equal(swim_record_count(fx.node[i]), 1);
  uint64_t skew_ms = fx.cfg.cert_skew_s * 1000;
  fx_run_until(&fx, (uint64_t)(until_s - WALL_S) * 1000 + skew_ms + 20000);
  for (int i = 0; i < NODES; i++)
    assert_int_equal(swim_record_count(fx.node[i]), 0);
  t.index = 51;
  n = task_rec(&fx.id[COORD], &t, until_s, rec, sizeof rec);
  assert_rc(swim_record_offer(fx.node[0], fx.now, rec, n), MB_ELAPSED);
  fx_free(&fx);
}

/* Raw bodies: an array body with keys 1..9 (8 the last written when
 * skip_state), one unknown key 12, a slot array of n_slots. */
static size_t raw_array(uint8_t *out, size_t cap, bool skip_state,
                        bool name_as_bytes, size_t n_slots) {
  struct mb_cbor_writer w;
  mb_cw_init(&w, out, cap);
  mb_cw_map(&w, 9 - (size_t)skip_state + 1);
  mb_cw_uint(&w, 1), mb_cw_uint(&w, 3);
  mb_cw_uint(&w, 2), mb_cw_uint(&w, 7);
  mb_cw_uint(&w, 3);
  if (name_as_bytes)
    mb_cw_bytes(&w, "eu-1", 4);
  else
    mb_cw_textz(&w, "eu-1");
  mb_cw_uint(&w, 4), mb_cw_uint(&w, 5);
  mb_cw_uint(&w, 5), mb_cw_uint(&w, 2);
  mb_cw_uint(&w, 6), mb_cw_uint(&w, 1);
  mb_cw_uint(&w, 7), mb_cw_uint(&w, 4096);
  if (!skip_state)
    mb_cw_uint(&w, 8), mb_cw_uint(&w, 0);
  mb_cw_uint(&w, 9), mb_cw_array(&w, n_slots);
  for (size_t i = 0; i < n_slots; i++) {
    mb_cw_array(&w, 2);
    mb_cw_bytes(&w, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    mb_cw_uint(&w, 0);
  }
  mb_cw_uint(&w, 12), mb_cw_textz(&w, "a field of a later version");
  assert_ok(mb_cw_status(&w));
  return w.len;
}

static int offer_array_body(struct fixture *fx, const uint8_t *body, size_t len,
                            uint64_t version) {
  uint8_t subject[MB_WIRE_RAID_ARRAY_SUBJECT_LEN], rec[MB_WIRE_MAX_RECORD];
  mb_wire_raid_array_subject("eu-1", subject);
  size_t n = sign_rec(&fx->id[COORD], MB_REC_RAID_ARRAY, subject,
                      sizeof subject, version, 0, body, len, rec, sizeof rec);
  return swim_record_offer(fx->node[0], fx->now, rec, n);
}

/* A body with a field missing, of the wrong type or past its bound is
 * refused by the decoder and by the channel; an unknown key is skipped;
 * the subject must be what the body names and the version its index. */
static void test_bad_bodies_refused(void **state) {
  (void)state;
  struct fixture fx;
  start_mesh(&fx);
  uint8_t body[2 * MB_CHANNEL_BODY_MAX], rec[MB_WIRE_MAX_RECORD];
  struct mb_wire_raid_array a;
  size_t len = raw_array(body, sizeof body, true, false, 3);
  assert_rc(mb_wire_raid_array_body_decode(body, len, &a), MB_EMISSING);
  assert_rc(offer_array_body(&fx, body, len, 7), MB_EMISSING);
  len = raw_array(body, sizeof body, false, true, 3);
  assert_rc(mb_wire_raid_array_body_decode(body, len, &a), MB_ETYPE);
  assert_rc(offer_array_body(&fx, body, len, 7), MB_ETYPE);
  len = raw_array(body, sizeof body, false, false, MB_WIRE_RAID_SLOTS_MAX + 1);
  assert_rc(mb_wire_raid_array_body_decode(body, len, &a), MB_ETOOBIG);
  assert_rc(mb_wire_raid_array_body_decode(NULL, 0, &a), MB_EMISSING);
  assert_rc(offer_array_body(&fx, NULL, 0, 7), MB_EMISSING);
  assert_int_equal(swim_record_count(fx.node[0]), 0);

  /* The unknown key 12 is skipped; the version must be the index (7). */
  len = raw_array(body, sizeof body, false, false, 3);
  assert_ok(mb_wire_raid_array_body_decode(body, len, &a));
  assert_string_equal(a.name, "eu-1");
  assert_int_equal(a.n_slots, 3);
  assert_rc(offer_array_body(&fx, body, len, 8), MB_ERANGE);
  assert_ok(offer_array_body(&fx, body, len, 7));

  /* A subject that is not the body's: another array's, a task id that is
   * not the body's, a leader subject other than 0x00. */
  uint8_t subject[MB_WIRE_RAID_ARRAY_SUBJECT_LEN];
  mb_wire_raid_array_subject("eu-2", subject);
  size_t n = sign_rec(&fx.id[COORD], MB_REC_RAID_ARRAY, subject, sizeof subject,
                      7, 0, body, len, rec, sizeof rec);
  assert_rc(swim_record_offer(fx.node[0], fx.now, rec, n), MB_ESUBJECT);
  struct mb_wire_raid_task t;
  worst_task(&t);
  t.id = 5, t.index = 9;
  size_t tl;
  assert_ok(mb_wire_raid_task_body_encode(&t, body, sizeof body, &tl));
  mb_wire_raid_task_subject(6, subject);
  n = sign_rec(&fx.id[COORD], MB_REC_RAID_TASK, subject,
               MB_WIRE_RAID_TASK_SUBJECT_LEN, 9, 0, body, tl, rec, sizeof rec);
  assert_rc(swim_record_offer(fx.node[0], fx.now, rec, n), MB_ESUBJECT);
  struct mb_wire_raid_leader l;
  worst_leader(&l);
  l.index = 4;
  assert_ok(mb_wire_raid_leader_body_encode(&l, body, sizeof body, &tl));
  n = sign_rec(&fx.id[COORD], MB_REC_RAID_LEADER, (const uint8_t *)"\x01", 1, 4,
               0, body, tl, rec, sizeof rec);
  assert_rc(swim_record_offer(fx.node[0], fx.now, rec, n), MB_ESUBJECT);

  /* A leader body with a voter id one byte short; a task slot past 31. */
  struct mb_cbor_writer w;
  mb_cw_init(&w, body, sizeof body);
  mb_cw_map(&w, 6);
  mb_cw_uint(&w, 1), mb_cw_uint(&w, 1);
  mb_cw_uint(&w, 2), mb_cw_uint(&w, 1);
  mb_cw_uint(&w, 3), mb_cw_bytes(&w, l.leader, MB_NODE_ID_LEN);
  mb_cw_uint(&w, 4), mb_cw_array(&w, 1),
      mb_cw_bytes(&w, l.voters[0], MB_NODE_ID_LEN - 1);
  mb_cw_uint(&w, 5), mb_cw_uint(&w, 0);
  mb_cw_uint(&w, 6), mb_cw_uint(&w, 0);
  assert_ok(mb_cw_status(&w));
  assert_rc(mb_wire_raid_leader_body_decode(body, w.len, &l), MB_ERANGE);
  t.slot = MB_WIRE_RAID_SLOTS_MAX;
  assert_rc(mb_wire_raid_task_body_encode(&t, body, sizeof body, &tl),
            MB_EINVAL);
  assert_int_equal(swim_record_count(fx.node[0]), 1);
  fx_free(&fx);
}

/* The worst cases fit the channel's body (their sizes are in mb_wire.h
 * and docs/wire-format.md), and the signed records fit a record; one
 * more slot, a longer or broken name, or an eighth voter is refused. */
static void test_worst_case_sizes(void **state) {
  (void)state;
  uint8_t body[MB_CHANNEL_BODY_MAX];
  size_t len;
  struct mb_wire_raid_array a;
  worst_array(&a);
  assert_ok(mb_wire_raid_array_body_encode(&a, body, sizeof body, &len));
  assert_int_equal(len, 497);
  struct mb_wire_raid_task t;
  worst_task(&t);
  assert_ok(mb_wire_raid_task_body_encode(&t, body, sizeof body, &len));
  assert_int_equal(len, 427);
  struct mb_wire_raid_leader l;
  worst_leader(&l);
  assert_ok(mb_wire_raid_leader_body_encode(&l, body, sizeof body, &len));
  assert_int_equal(len, 316);

  struct mb_identity id;
  uint8_t seed[MB_SEED_LEN], rec[MB_WIRE_MAX_RECORD];
  test_seed(seed, 0x31);
  mb_identity_from_seed(&id, seed);
  size_t n = array_rec(&id, &a, rec, sizeof rec);
  assert_true(n <= MB_WIRE_MAX_RECORD);
  struct mb_record r;
  assert_ok(mb_wire_record_parse(rec, n, &r));
  assert_ok(mb_wire_raid_record_check(r.kind, &r.u.ch));

  a.n_slots = MB_WIRE_RAID_SLOTS_MAX + 1;
  assert_rc(mb_wire_raid_array_body_encode(&a, body, sizeof body, &len),
            MB_EINVAL);
  worst_array(&a);
  a.data = 31; /* data + parity 33 */
  assert_rc(mb_wire_raid_array_body_encode(&a, body, sizeof body, &len),
            MB_EINVAL);
  worst_array(&a);
  memset(a.name, 'x', MB_WIRE_RAID_NAME_MAX);
  a.name[MB_WIRE_RAID_NAME_MAX] = 'x'; /* 64 bytes, unterminated */
  assert_rc(mb_wire_raid_array_body_encode(&a, body, sizeof body, &len),
            MB_EINVAL);
  worst_array(&a);
  a.name[0] = (char)0xc0; /* not UTF-8 */
  assert_rc(mb_wire_raid_array_body_encode(&a, body, sizeof body, &len),
            MB_EINVAL);
  worst_leader(&l);
  l.n_voters = MB_WIRE_RAID_VOTERS_MAX + 1;
  assert_rc(mb_wire_raid_leader_body_encode(&l, body, sizeof body, &len),
            MB_EINVAL);
  worst_array(&a);
  assert_rc(mb_wire_raid_array_body_encode(&a, body, 100, &len), MB_ENOSPACE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip_between_cores),
      cmocka_unit_test(test_non_coordinator_refused),
      cmocka_unit_test(test_older_version_refused),
      cmocka_unit_test(test_lapsed_dropped),
      cmocka_unit_test(test_bad_bodies_refused),
      cmocka_unit_test(test_worst_case_sizes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
