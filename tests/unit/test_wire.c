/*
 * Unit tests for src/gossip/wire: signed records (heartbeats, suspect and
 * dead claims) and datagrams (message, records, certificates, budget).
 *
 * Payloads the library would never write (unknown kinds, extra keys,
 * missing fields, another protocol version) are crafted here with the CBOR
 * writer and signed with mb_cose_sign1_write, so the decoder's tolerance and
 * strictness are tested on correctly signed input.
 */
#include "test_util.h"

#include <stdio.h>
#include <string.h>

#include "mb_wire.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define AAD(s) (const uint8_t *)(s), (sizeof(s) - 1)
#define CLUSTER AAD("cluster-a")

static void identity_of(struct mb_identity *id, uint8_t fill) {
  uint8_t seed[MB_SEED_LEN];
  test_seed(seed, fill);
  mb_identity_from_seed(id, seed);
}

/* ---- fixtures ---------------------------------------------------------- */

/* A heartbeat that uses every optional part except the domain. */
static void sample_hb(struct mb_heartbeat *hb) {
  static const uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                  0,    0,    0,    0,    0, 0, 0, 1};
  memset(hb, 0, sizeof(*hb));
  strcpy(hb->name, "nas-01");
  hb->addr.family = 6;
  memcpy(hb->addr.ip, ip6, 16);
  hb->addr.port = 7946;
  hb->incarnation = 3;
  hb->seq = 1234;
  hb->time_ms = 1700000000123;
  hb->capacity = 4000000000000u;
  hb->available = 1500000000000u;
  hb->status = MB_HB_LEFT;
  hb->health.have =
      MB_HEALTH_CPU | MB_HEALTH_MEM | MB_HEALTH_LOAD | MB_HEALTH_TEMP;
  hb->health.cpu_permille = 125;
  hb->health.mem_permille = 990;
  hb->health.load_x100 = 275;
  hb->health.temp_mc = -5500;
}

static size_t sign_hb(const struct mb_identity *id,
                      const struct mb_heartbeat *hb, uint8_t *buf, size_t cap) {
  size_t n = 0;
  assert_ok(mb_wire_heartbeat_sign(id, CLUSTER, hb, buf, cap, &n));
  assert_true(n > 0 && n <= cap);
  return n;
}

/* Signs whatever payload the writer holds as a record or datagram body. */
static size_t sign_crafted(const struct mb_identity *id,
                           const struct mb_cbor_writer *payload, uint8_t *out,
                           size_t cap) {
  struct mb_cbor_writer w;
  assert_ok(mb_cw_status(payload));
  mb_cw_init(&w, out, cap);
  assert_ok(mb_cose_sign1_write(&w, id, CLUSTER, payload->buf, payload->len));
  return w.len;
}

static void assert_addr_equal(const struct mb_addr *a,
                              const struct mb_addr *b) {
  assert_int_equal(a->family, b->family);
  assert_memory_equal(a->ip, b->ip, a->family == 6 ? 16 : 4);
  assert_int_equal(a->port, b->port);
}

static void assert_hb_equal(const struct mb_heartbeat *got,
                            const struct mb_heartbeat *want) {
  assert_string_equal(got->name, want->name);
  assert_addr_equal(&got->addr, &want->addr);
  assert_int_equal(got->incarnation, want->incarnation);
  assert_int_equal(got->seq, want->seq);
  assert_int_equal(got->time_ms, want->time_ms);
  assert_int_equal(got->capacity, want->capacity);
  assert_int_equal(got->available, want->available);
  assert_string_equal(got->domain, want->domain);
  assert_int_equal(got->status, want->status);
  assert_int_equal(got->health.have, want->health.have);
  if (want->health.have & MB_HEALTH_CPU)
    assert_int_equal(got->health.cpu_permille, want->health.cpu_permille);
  if (want->health.have & MB_HEALTH_MEM)
    assert_int_equal(got->health.mem_permille, want->health.mem_permille);
  if (want->health.have & MB_HEALTH_LOAD)
    assert_int_equal(got->health.load_x100, want->health.load_x100);
  if (want->health.have & MB_HEALTH_TEMP)
    assert_int_equal(got->health.temp_mc, want->health.temp_mc);
}

/* Bit set of the top-level keys (< 32) of a record's payload map. */
static unsigned payload_keys(const struct mb_record *rec) {
  struct mb_cbor_reader r;
  struct mb_cbor_map_iter it;
  int64_t key;
  unsigned keys = 0;
  int rc;
  mb_cr_init(&r, rec->envelope.payload, rec->envelope.payload_len);
  assert_ok(mb_cr_map_begin(&r, &it, 32));
  while ((rc = mb_cr_map_key(&r, &it, &key)) > 0) {
    assert_true(key >= 0 && key < 32);
    keys |= 1u << key;
    assert_ok(mb_cr_skip(&r));
  }
  assert_int_equal(rc, 0);
  return keys;
}

/* ---- heartbeat records ------------------------------------------------- */

static void test_heartbeat_round_trip(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_heartbeat hb;
  struct mb_record rec;
  uint8_t buf[MB_WIRE_MAX_RECORD];
  identity_of(&id, 1);
  sample_hb(&hb);
  size_t n = sign_hb(&id, &hb, buf, sizeof(buf));
  assert_ok(mb_wire_record_open(NULL, buf, n, CLUSTER, &rec));
  assert_int_equal(rec.kind, MB_REC_HEARTBEAT);
  assert_memory_equal(rec.u.hb.node_id, id.pk, MB_NODE_ID_LEN);
  assert_hb_equal(&rec.u.hb, &hb);
  /* Empty domain is left out; non-alive status is written. */
  unsigned keys = payload_keys(&rec);
  assert_false(keys & 1u << 8);
  assert_true(keys & 1u << 10);
  assert_true(keys & 1u << 9);
}

/* The other branches: IPv4, a domain, alive (status key omitted), part of
 * the health figures. */
static void test_heartbeat_round_trip_ipv4(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_heartbeat hb;
  struct mb_record rec;
  uint8_t buf[MB_WIRE_MAX_RECORD];
  identity_of(&id, 1);
  sample_hb(&hb);
  memset(&hb.addr, 0, sizeof(hb.addr));
  hb.addr.family = 4;
  memcpy(hb.addr.ip, "\xc0\xa8\x01\x0a", 4);
  hb.addr.port = 65535;
  strcpy(hb.domain, "rack-3");
  hb.status = MB_HB_ALIVE;
  hb.health.have = MB_HEALTH_CPU | MB_HEALTH_TEMP;
  hb.time_ms = -1; /* before the epoch: a signed field */
  size_t n = sign_hb(&id, &hb, buf, sizeof(buf));
  assert_ok(mb_wire_record_open(NULL, buf, n, CLUSTER, &rec));
  assert_hb_equal(&rec.u.hb, &hb);
  unsigned keys = payload_keys(&rec);
  assert_true(keys & 1u << 8);
  assert_false(keys & 1u << 10);
}

static void test_heartbeat_no_health(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_heartbeat hb;
  struct mb_record rec;
  uint8_t buf[MB_WIRE_MAX_RECORD];
  identity_of(&id, 1);
  sample_hb(&hb);
  hb.health.have = 0;
  size_t n = sign_hb(&id, &hb, buf, sizeof(buf));
  assert_ok(mb_wire_record_open(NULL, buf, n, CLUSTER, &rec));
  assert_int_equal(rec.u.hb.health.have, 0);
  assert_false(payload_keys(&rec) & 1u << 9);
}

/* Same input, same bytes: relays and caches rely on it. */
static void test_heartbeat_deterministic(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_heartbeat hb;
  uint8_t a[MB_WIRE_MAX_RECORD], b[MB_WIRE_MAX_RECORD];
  identity_of(&id, 1);
  sample_hb(&hb);
  size_t na = sign_hb(&id, &hb, a, sizeof(a));
  size_t nb = sign_hb(&id, &hb, b, sizeof(b));
  assert_int_equal(na, nb);
  assert_memory_equal(a, b, na);
}

static void test_heartbeat_sign_rejects_bad_input(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_heartbeat hb;
  uint8_t buf[MB_WIRE_MAX_RECORD];
  size_t n;
  identity_of(&id, 1);
  sample_hb(&hb);
  hb.addr.family = 5;
  assert_rc(mb_wire_heartbeat_sign(&id, CLUSTER, &hb, buf, sizeof(buf), &n),
            MB_EINVAL);
  sample_hb(&hb);
  memset(hb.name, 'x', sizeof(hb.name)); /* unterminated */
  assert_rc(mb_wire_heartbeat_sign(&id, CLUSTER, &hb, buf, sizeof(buf), &n),
            MB_EINVAL);
  sample_hb(&hb);
  hb.status = (enum mb_hb_status)2; /* every receiver would refuse it */
  assert_rc(mb_wire_heartbeat_sign(&id, CLUSTER, &hb, buf, sizeof(buf), &n),
            MB_EINVAL);
  sample_hb(&hb);
  strcpy(hb.name, "\xff\xfe"); /* not UTF-8: receivers would refuse it */
  assert_rc(mb_wire_heartbeat_sign(&id, CLUSTER, &hb, buf, sizeof(buf), &n),
            MB_EINVAL);
  sample_hb(&hb);
  assert_rc(mb_wire_heartbeat_sign(&id, CLUSTER, &hb, buf, 100, &n),
            MB_ENOSPACE);
}

static void test_record_wrong_aad_and_cache(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_heartbeat hb;
  struct mb_record rec;
  uint8_t buf[MB_WIRE_MAX_RECORD];
  struct mb_vcache_stats s;
  struct mb_vcache *vc = mb_vcache_new(16);
  assert_non_null(vc);
  identity_of(&id, 1);
  sample_hb(&hb);
  size_t n = sign_hb(&id, &hb, buf, sizeof(buf));
  assert_rc(mb_wire_record_open(vc, buf, n, AAD("cluster-b"), &rec),
            MB_EBADSIG);
  assert_ok(mb_wire_record_open(vc, buf, n, CLUSTER, &rec));
  assert_ok(mb_wire_record_open(vc, buf, n, CLUSTER, &rec));
  assert_hb_equal(&rec.u.hb, &hb); /* decoded on a cache hit too */
  mb_vcache_get_stats(vc, &s);
  assert_int_equal(s.hits, 1);
  assert_int_equal(s.misses, 2);
  mb_vcache_free(vc);
}

static void test_record_every_flip_fails(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_heartbeat hb;
  struct mb_record rec;
  uint8_t buf[MB_WIRE_MAX_RECORD], copy[MB_WIRE_MAX_RECORD];
  identity_of(&id, 1);
  sample_hb(&hb);
  size_t n = sign_hb(&id, &hb, buf, sizeof(buf));
  for (size_t i = 0; i < n; i++) {
    for (int bit = 0; bit < 8; bit++) {
      memcpy(copy, buf, n);
      copy[i] ^= (uint8_t)(1u << bit);
      if (mb_wire_record_open(NULL, copy, n, CLUSTER, &rec) == MB_OK)
        fail_msg("record with bit %d of byte %zu flipped opens", bit, i);
    }
  }
}

/* ---- claims ------------------------------------------------------------ */

static void check_claim_round_trip(enum mb_record_kind kind) {
  struct mb_identity author, subject;
  struct mb_claim c = {0}, *got;
  struct mb_record rec;
  uint8_t buf[256];
  size_t n = 0;
  identity_of(&author, 2);
  identity_of(&subject, 3);
  memcpy(c.subject, subject.pk, MB_NODE_ID_LEN);
  c.incarnation = 77;
  c.time_ms = 1700000000999;
  assert_ok(
      mb_wire_claim_sign(&author, CLUSTER, kind, &c, buf, sizeof(buf), &n));
  assert_ok(mb_wire_record_open(NULL, buf, n, CLUSTER, &rec));
  assert_int_equal(rec.kind, kind);
  got = &rec.u.claim;
  assert_memory_equal(got->author, author.pk, MB_NODE_ID_LEN);
  assert_memory_equal(got->subject, subject.pk, MB_NODE_ID_LEN);
  assert_int_equal(got->incarnation, 77);
  assert_int_equal(got->time_ms, 1700000000999);
}

static void test_claim_suspect_round_trip(void **state) {
  (void)state;
  check_claim_round_trip(MB_REC_SUSPECT);
}

static void test_claim_dead_round_trip(void **state) {
  (void)state;
  check_claim_round_trip(MB_REC_DEAD);
}

/* A target's signed ack for a relay's ping: who it answered, which probe. */
static void test_probe_ack_round_trip(void **state) {
  (void)state;
  struct mb_identity target;
  struct mb_record rec;
  struct mb_probe_ack a = {.probe_id = 0xdeadbeef, .time_ms = 1700000000123};
  uint8_t buf[256];
  size_t n = 0;
  identity_of(&target, 4);
  memset(a.prober, 0x5a, MB_NODE_REF_LEN);
  assert_ok(mb_wire_ack_sign(&target, CLUSTER, &a, buf, sizeof(buf), &n));
  assert_ok(mb_wire_record_open(NULL, buf, n, CLUSTER, &rec));
  assert_int_equal(rec.kind, MB_REC_ACK);
  assert_memory_equal(rec.envelope.kid, target.pk, MB_NODE_ID_LEN);
  assert_memory_equal(rec.u.ack.prober, a.prober, MB_NODE_REF_LEN);
  assert_int_equal(rec.u.ack.probe_id, 0xdeadbeef);
  assert_int_equal(rec.u.ack.time_ms, 1700000000123);
  assert_rc(mb_wire_record_open(NULL, buf, n, AAD("cluster-b"), &rec),
            MB_EBADSIG);
}

/* A relay's ping names whose probe it runs; a plain ping names none. */
static void test_ping_origin_round_trip(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_msg m = {.kind = MB_MSG_PING,
                     .probe_id = 9,
                     .has_origin = true,
                     .origin_probe_id = 4242};
  memset(m.target, 0x11, MB_NODE_REF_LEN);
  memset(m.origin, 0x22, MB_NODE_REF_LEN);
  identity_of(&id, 5);
  struct mb_dgram_builder b;
  uint8_t buf[512];
  size_t n;
  struct mb_datagram d;
  assert_ok(mb_dgram_init(&b, &id, CLUSTER, MB_WIRE_DEFAULT_BUDGET, 1, &m));
  assert_ok(mb_dgram_finish(&b, buf, sizeof(buf), &n));
  assert_ok(mb_wire_datagram_open(buf, n, CLUSTER, &d));
  assert_true(d.msg.has_origin);
  assert_memory_equal(d.msg.origin, m.origin, MB_NODE_REF_LEN);
  assert_int_equal(d.msg.origin_probe_id, 4242);
  m.has_origin = false;
  assert_ok(mb_dgram_init(&b, &id, CLUSTER, MB_WIRE_DEFAULT_BUDGET, 2, &m));
  assert_ok(mb_dgram_finish(&b, buf, sizeof(buf), &n));
  assert_ok(mb_wire_datagram_open(buf, n, CLUSTER, &d));
  assert_false(d.msg.has_origin);
}

static void test_claim_rejects_other_kinds(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_claim c = {0};
  uint8_t buf[256];
  size_t n;
  identity_of(&id, 2);
  assert_rc(mb_wire_claim_sign(&id, CLUSTER, MB_REC_HEARTBEAT, &c, buf,
                               sizeof(buf), &n),
            MB_EINVAL);
  assert_rc(
      mb_wire_claim_sign(&id, CLUSTER, MB_REC_OTHER, &c, buf, sizeof(buf), &n),
      MB_EINVAL);
}

/* ---- crafted records --------------------------------------------------- */

/* A newer peer's record kind: skipped over, not an error. */
static void test_record_unknown_kind(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_record rec;
  uint8_t payload[32], buf[256];
  struct mb_cbor_writer w;
  identity_of(&id, 4);
  mb_cw_init(&w, payload, sizeof(payload));
  mb_cw_map(&w, 2);
  mb_cw_uint(&w, 0), mb_cw_uint(&w, 99);
  mb_cw_uint(&w, 1), mb_cw_textz(&w, "x");
  size_t n = sign_crafted(&id, &w, buf, sizeof(buf));
  assert_ok(mb_wire_record_parse(buf, n, &rec));
  assert_int_equal(rec.kind, MB_REC_OTHER);
  assert_ok(mb_wire_record_open(NULL, buf, n, CLUSTER, &rec));
  assert_int_equal(rec.kind, MB_REC_OTHER);
  assert_memory_equal(rec.envelope.kid, id.pk, MB_NODE_ID_LEN);
}

enum hb_extra { EXTRA_NONE, EXTRA_KEY20, EXTRA_STATUS2 };

/* Writes a heartbeat payload by hand: every required key but `omit`, plus
 * one extra pair: key 20 holding a nested value (unknown to this version),
 * or status 2 (out of range).  Keys ascend as the encoding requires. */
static void craft_hb_payload(struct mb_cbor_writer *w, int omit,
                             enum hb_extra extra) {
  size_t pairs = 8 - (omit >= 0) + (extra != EXTRA_NONE);
  mb_cw_map(w, pairs);
  for (int key = 0; key <= 7; key++) {
    if (key == omit)
      continue;
    mb_cw_uint(w, (uint64_t)key);
    switch (key) {
    case 0:
      mb_cw_uint(w, MB_REC_HEARTBEAT);
      break;
    case 1:
      mb_cw_textz(w, "crafted");
      break;
    case 2:
      mb_cw_array(w, 2), mb_cw_bytes(w, "\x7f\x00\x00\x01", 4);
      mb_cw_uint(w, 7946);
      break;
    default:
      mb_cw_uint(w, (uint64_t)key * 100); /* 300, 400, ... 700 */
    }
  }
  if (extra == EXTRA_STATUS2)
    mb_cw_uint(w, 10), mb_cw_uint(w, 2);
  if (extra == EXTRA_KEY20) {
    mb_cw_uint(w, 20); /* [1, {2: "future"}] */
    mb_cw_array(w, 2), mb_cw_uint(w, 1);
    mb_cw_map(w, 1), mb_cw_uint(w, 2), mb_cw_textz(w, "future");
  }
}

static void test_heartbeat_ignores_unknown_key(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_record rec;
  uint8_t payload[128], buf[512];
  struct mb_cbor_writer w;
  identity_of(&id, 4);
  mb_cw_init(&w, payload, sizeof(payload));
  craft_hb_payload(&w, -1, EXTRA_KEY20);
  size_t n = sign_crafted(&id, &w, buf, sizeof(buf));
  assert_ok(mb_wire_record_open(NULL, buf, n, CLUSTER, &rec));
  assert_int_equal(rec.kind, MB_REC_HEARTBEAT);
  assert_string_equal(rec.u.hb.name, "crafted");
  assert_int_equal(rec.u.hb.addr.family, 4);
  assert_int_equal(rec.u.hb.addr.port, 7946);
  assert_int_equal(rec.u.hb.incarnation, 300);
  assert_int_equal(rec.u.hb.seq, 400);
  assert_int_equal(rec.u.hb.time_ms, 500);
  assert_int_equal(rec.u.hb.capacity, 600);
  assert_int_equal(rec.u.hb.available, 700);
  assert_memory_equal(rec.u.hb.node_id, id.pk, MB_NODE_ID_LEN);
}

/* A heartbeat's tasks (key 13): up to MB_HB_TASKS_MAX pairs, written
 * only when there are some, every value of a u64 kept. */
static void test_heartbeat_tasks_round_trip(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_heartbeat hb;
  struct mb_record rec;
  uint8_t buf[MB_WIRE_MAX_RECORD];
  identity_of(&id, 1);
  sample_hb(&hb);
  hb.n_tasks = MB_HB_TASKS_MAX;
  for (size_t i = 0; i < MB_HB_TASKS_MAX; i++)
    hb.tasks[i] =
        (struct mb_task_progress){.id = i == 0 ? UINT64_MAX : i * 7,
                                  .done = i == 1 ? UINT64_MAX : i << 30};
  size_t n = sign_hb(&id, &hb, buf, sizeof(buf));
  assert_ok(mb_wire_record_open(NULL, buf, n, CLUSTER, &rec));
  assert_hb_equal(&rec.u.hb, &hb);
  assert_int_equal(rec.u.hb.n_tasks, MB_HB_TASKS_MAX);
  for (size_t i = 0; i < MB_HB_TASKS_MAX; i++) {
    assert_int_equal(rec.u.hb.tasks[i].id, hb.tasks[i].id);
    assert_int_equal(rec.u.hb.tasks[i].done, hb.tasks[i].done);
  }
  assert_true(payload_keys(&rec) & 1u << 13);
  hb.n_tasks = 0;
  n = sign_hb(&id, &hb, buf, sizeof(buf));
  assert_ok(mb_wire_record_open(NULL, buf, n, CLUSTER, &rec));
  assert_int_equal(rec.u.hb.n_tasks, 0);
  assert_false(payload_keys(&rec) & 1u << 13);
  hb.n_tasks = MB_HB_TASKS_MAX + 1;
  assert_rc(mb_wire_heartbeat_sign(&id, CLUSTER, &hb, buf, sizeof(buf), &n),
            MB_EINVAL);
}

enum tasks_form { TASKS_ONE, TASKS_EMPTY, TASKS_NINE, TASKS_SHORT_PAIR };

/* A crafted heartbeat with key 13 in the given form, then key 20 (unknown
 * to this version), as a newer peer may write. */
static int open_hb_with_tasks(enum tasks_form form, struct mb_record *rec) {
  struct mb_identity id;
  uint8_t payload[256], buf[512];
  struct mb_cbor_writer w;
  identity_of(&id, 4);
  mb_cw_init(&w, payload, sizeof(payload));
  mb_cw_map(&w, 10);
  mb_cw_uint(&w, 0), mb_cw_uint(&w, MB_REC_HEARTBEAT);
  mb_cw_uint(&w, 1), mb_cw_textz(&w, "crafted");
  mb_cw_uint(&w, 2), mb_cw_array(&w, 2);
  mb_cw_bytes(&w, "\x7f\x00\x00\x01", 4), mb_cw_uint(&w, 7946);
  for (int key = 3; key <= 7; key++)
    mb_cw_uint(&w, (uint64_t)key), mb_cw_uint(&w, (uint64_t)key * 100);
  mb_cw_uint(&w, 13);
  size_t n = form == TASKS_EMPTY ? 0 : form == TASKS_NINE ? 9 : 1;
  mb_cw_array(&w, n);
  for (size_t i = 0; i < n; i++) {
    mb_cw_array(&w, form == TASKS_SHORT_PAIR ? 1 : 2);
    mb_cw_uint(&w, 41 + i);
    if (form != TASKS_SHORT_PAIR)
      mb_cw_uint(&w, 1000 * (i + 1));
  }
  mb_cw_uint(&w, 20), mb_cw_map(&w, 1), mb_cw_uint(&w, 1);
  mb_cw_textz(&w, "future");
  size_t len = sign_crafted(&id, &w, buf, sizeof(buf));
  return mb_wire_record_open(NULL, buf, len, CLUSTER, rec);
}

/* Key 13 decodes strictly (no empty list: it is left out; at most 8
 * pairs; pairs of two), and what follows it, unknown, is skipped. */
static void test_heartbeat_tasks_decoding(void **state) {
  (void)state;
  struct mb_record rec;
  assert_ok(open_hb_with_tasks(TASKS_ONE, &rec));
  assert_int_equal(rec.u.hb.n_tasks, 1);
  assert_int_equal(rec.u.hb.tasks[0].id, 41);
  assert_int_equal(rec.u.hb.tasks[0].done, 1000);
  assert_int_equal(rec.u.hb.available, 700);
  assert_rc(open_hb_with_tasks(TASKS_EMPTY, &rec), MB_ERANGE);
  assert_rc(open_hb_with_tasks(TASKS_NINE, &rec), MB_ETOOBIG);
  assert_rc(open_hb_with_tasks(TASKS_SHORT_PAIR, &rec), MB_ETYPE);
}

static void test_heartbeat_missing_each_field(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_record rec;
  uint8_t payload[128], buf[512];
  struct mb_cbor_writer w;
  identity_of(&id, 4);
  for (int omit = 0; omit <= 7; omit++) {
    mb_cw_init(&w, payload, sizeof(payload));
    craft_hb_payload(&w, omit, EXTRA_NONE);
    size_t n = sign_crafted(&id, &w, buf, sizeof(buf));
    int rc = mb_wire_record_open(NULL, buf, n, CLUSTER, &rec);
    if (rc != MB_EMISSING)
      fail_msg("heartbeat without key %d: got %s, want MB_EMISSING", omit,
               mb_errname(rc));
  }
}

static void test_claim_missing_field(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_record rec;
  uint8_t payload[128], buf[512];
  struct mb_cbor_writer w;
  identity_of(&id, 4);
  mb_cw_init(&w, payload, sizeof(payload)); /* {0: 2, 1: subject, 2: 1} */
  mb_cw_map(&w, 3);
  mb_cw_uint(&w, 0), mb_cw_uint(&w, MB_REC_SUSPECT);
  mb_cw_uint(&w, 1), mb_cw_bytes(&w, id.pk, MB_NODE_ID_LEN);
  mb_cw_uint(&w, 2), mb_cw_uint(&w, 1);
  size_t n = sign_crafted(&id, &w, buf, sizeof(buf));
  assert_rc(mb_wire_record_open(NULL, buf, n, CLUSTER, &rec), MB_EMISSING);
}

/* Strictness on signed input: bad values are refused, not truncated. */
static void test_record_rejects_bad_values(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_record rec;
  uint8_t payload[128], buf[512];
  struct mb_cbor_writer w;
  identity_of(&id, 4);

  mb_cw_init(&w, payload, sizeof(payload)); /* no kind at all */
  mb_cw_map(&w, 1), mb_cw_uint(&w, 1), mb_cw_textz(&w, "x");
  size_t n = sign_crafted(&id, &w, buf, sizeof(buf));
  assert_rc(mb_wire_record_parse(buf, n, &rec), MB_EMISSING);

  mb_cw_init(&w, payload, sizeof(payload)); /* status 2 */
  craft_hb_payload(&w, -1, EXTRA_STATUS2);
  n = sign_crafted(&id, &w, buf, sizeof(buf));
  assert_rc(mb_wire_record_parse(buf, n, &rec), MB_ERANGE);

  mb_cw_init(&w, payload, sizeof(payload)); /* the kind is not first */
  mb_cw_map(&w, 1);
  mb_cw_uint(&w, 3), mb_cw_uint(&w, 0);
  n = sign_crafted(&id, &w, buf, sizeof(buf));
  assert_rc(mb_wire_record_parse(buf, n, &rec), MB_EMISSING);

  mb_cw_init(&w, payload, sizeof(payload)); /* keys 0, 2, 1, 3 */
  mb_cw_map(&w, 4);
  mb_cw_uint(&w, 0), mb_cw_uint(&w, MB_REC_SUSPECT);
  mb_cw_uint(&w, 2), mb_cw_uint(&w, 1);
  mb_cw_uint(&w, 1), mb_cw_bytes(&w, id.pk, MB_NODE_ID_LEN);
  mb_cw_uint(&w, 3), mb_cw_uint(&w, 0);
  n = sign_crafted(&id, &w, buf, sizeof(buf));
  assert_rc(mb_wire_record_parse(buf, n, &rec), MB_EDUPKEY);

  mb_cw_init(&w, payload, sizeof(payload)); /* bytes after the map */
  craft_hb_payload(&w, -1, EXTRA_NONE);
  mb_cw_uint(&w, 0);
  n = sign_crafted(&id, &w, buf, sizeof(buf));
  assert_rc(mb_wire_record_parse(buf, n, &rec), MB_ETRAILING);

  mb_cw_init(&w, payload, sizeof(payload)); /* a 31-byte subject */
  mb_cw_map(&w, 4);
  mb_cw_uint(&w, 0), mb_cw_uint(&w, MB_REC_DEAD);
  mb_cw_uint(&w, 1), mb_cw_bytes(&w, id.pk, MB_NODE_ID_LEN - 1);
  mb_cw_uint(&w, 2), mb_cw_uint(&w, 1);
  mb_cw_uint(&w, 3), mb_cw_uint(&w, 0);
  n = sign_crafted(&id, &w, buf, sizeof(buf));
  assert_rc(mb_wire_record_parse(buf, n, &rec), MB_ERANGE);
}

static void test_record_too_big(void **state) {
  (void)state;
  struct mb_record rec;
  uint8_t buf[MB_WIRE_MAX_RECORD + 1] = {0};
  assert_rc(mb_wire_record_parse(buf, sizeof(buf), &rec), MB_ETOOBIG);
}

/* ---- datagrams: messages ----------------------------------------------- */

static size_t build(const struct mb_identity *id, uint64_t seq,
                    const struct mb_msg *msg, uint8_t *out, size_t cap) {
  struct mb_dgram_builder b;
  size_t n = 0;
  assert_ok(mb_dgram_init(&b, id, CLUSTER, MB_WIRE_DEFAULT_BUDGET, seq, msg));
  assert_ok(mb_dgram_finish(&b, out, cap, &n));
  assert_int_equal(n, mb_dgram_size(&b));
  return n;
}

/* An app message: its channel and payload, byte for byte, at any length
 * the message has room for, and an empty one. */
static void test_datagram_app_round_trip(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_datagram d;
  uint8_t payload[1000], buf[MB_WIRE_DEFAULT_BUDGET];
  identity_of(&id, 5);
  for (size_t i = 0; i < sizeof(payload); i++)
    payload[i] = (uint8_t)(i * 31 + 7);
  static const size_t lens[] = {0, 1, 23, 24, 255, 256, sizeof(payload)};
  for (size_t k = 0; k < LEN(lens); k++) {
    struct mb_msg msg = {.kind = MB_MSG_APP,
                         .app_channel = (uint8_t)(k == 0 ? 255 : 1),
                         .app_payload = lens[k] ? payload : NULL,
                         .app_len = lens[k]};
    size_t n = build(&id, 9, &msg, buf, sizeof(buf));
    assert_ok(mb_wire_datagram_open(buf, n, CLUSTER, &d));
    assert_int_equal(d.msg.kind, MB_MSG_APP);
    assert_int_equal(d.msg.app_channel, msg.app_channel);
    assert_int_equal(d.msg.app_len, lens[k]);
    if (lens[k] > 0)
      assert_memory_equal(d.msg.app_payload, payload, lens[k]);
  }
  assert_string_equal(mb_msg_kind_name(MB_MSG_APP), "app");
}

static void test_datagram_ping(void **state) {
  (void)state;
  struct mb_identity id, target;
  struct mb_msg msg = {.kind = MB_MSG_PING, .probe_id = 0xabcdef};
  struct mb_datagram d;
  uint8_t buf[MB_WIRE_DEFAULT_BUDGET];
  identity_of(&id, 5);
  identity_of(&target, 6);
  memcpy(msg.target, target.pk, MB_NODE_REF_LEN);
  size_t n = build(&id, 41, &msg, buf, sizeof(buf));
  assert_ok(mb_wire_datagram_open(buf, n, CLUSTER, &d));
  assert_int_equal(d.version, MB_WIRE_VERSION);
  assert_int_equal(d.seq, 41);
  assert_int_equal(d.msg.kind, MB_MSG_PING);
  assert_int_equal(d.msg.probe_id, 0xabcdef);
  assert_memory_equal(d.msg.target, target.pk, MB_NODE_REF_LEN);
  assert_memory_equal(d.envelope.kid, id.pk, MB_NODE_ID_LEN);
  assert_int_equal(d.n_records, 0);
  assert_int_equal(d.n_certs, 0);
}

/* A kind no receiver accepts must not produce a signed datagram at all. */
static void test_datagram_init_rejects_unknown_kind(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_dgram_builder b;
  identity_of(&id, 5);
  struct mb_msg zero = {.kind = (enum mb_msg_kind)0};
  struct mb_msg nine = {.kind = (enum mb_msg_kind)(MB_MSG_KIND_LAST + 1)};
  assert_rc(mb_dgram_init(&b, &id, CLUSTER, MB_WIRE_DEFAULT_BUDGET, 1, &zero),
            MB_EINVAL);
  assert_rc(mb_dgram_init(&b, &id, CLUSTER, MB_WIRE_DEFAULT_BUDGET, 1, &nine),
            MB_EINVAL);
}

static void test_datagram_ping_req(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_msg msg = {
      .kind = MB_MSG_PING_REQ, .probe_id = 9, .want_nack = true};
  struct mb_datagram d;
  uint8_t buf[MB_WIRE_DEFAULT_BUDGET];
  identity_of(&id, 5);
  memset(msg.target, 0x77, MB_NODE_REF_LEN);
  msg.target_addr.family = 6;
  memset(msg.target_addr.ip, 0xfe, 16);
  msg.target_addr.port = 1;
  size_t n = build(&id, UINT64_MAX, &msg, buf, sizeof(buf));
  assert_ok(mb_wire_datagram_open(buf, n, CLUSTER, &d));
  assert_int_equal(d.seq, UINT64_MAX);
  assert_int_equal(d.msg.kind, MB_MSG_PING_REQ);
  assert_int_equal(d.msg.probe_id, 9);
  assert_true(d.msg.want_nack);
  assert_memory_equal(d.msg.target, msg.target, MB_NODE_REF_LEN);
  assert_addr_equal(&d.msg.target_addr, &msg.target_addr);

  msg.want_nack = false;
  msg.target_addr.family = 4;
  n = build(&id, 0, &msg, buf, sizeof(buf));
  assert_ok(mb_wire_datagram_open(buf, n, CLUSTER, &d));
  assert_false(d.msg.want_nack);
  assert_addr_equal(&d.msg.target_addr, &msg.target_addr);
}

static void test_datagram_ack_nack_leave(void **state) {
  (void)state;
  static const enum mb_msg_kind kinds[] = {MB_MSG_ACK, MB_MSG_NACK,
                                           MB_MSG_LEAVE, MB_MSG_GOSSIP};
  struct mb_identity id;
  struct mb_datagram d;
  uint8_t buf[MB_WIRE_DEFAULT_BUDGET];
  identity_of(&id, 5);
  for (size_t i = 0; i < LEN(kinds); i++) {
    struct mb_msg msg = {.kind = kinds[i], .probe_id = 1000 + i};
    size_t n = build(&id, 7, &msg, buf, sizeof(buf));
    assert_ok(mb_wire_datagram_open(buf, n, CLUSTER, &d));
    assert_int_equal(d.msg.kind, kinds[i]);
    if (kinds[i] == MB_MSG_ACK || kinds[i] == MB_MSG_NACK)
      assert_int_equal(d.msg.probe_id, 1000 + i);
  }
}

static void test_datagram_paging(void **state) {
  (void)state;
  static const enum mb_msg_kind kinds[] = {MB_MSG_PUSH_PULL,
                                           MB_MSG_PUSH_PULL_REPLY, MB_MSG_JOIN};
  struct mb_identity id;
  struct mb_datagram d;
  uint8_t buf[MB_WIRE_DEFAULT_BUDGET];
  identity_of(&id, 5);
  for (size_t i = 0; i < LEN(kinds); i++) {
    struct mb_msg msg = {.kind = kinds[i], .part = 2, .parts = 5};
    size_t n = build(&id, 8, &msg, buf, sizeof(buf));
    assert_ok(mb_wire_datagram_open(buf, n, CLUSTER, &d));
    assert_int_equal(d.msg.kind, kinds[i]);
    assert_int_equal(d.msg.part, 2);
    assert_int_equal(d.msg.parts, 5);
  }
  /* The last page is parts - 1; a page past it does not exist. */
  struct mb_msg last = {.kind = MB_MSG_PUSH_PULL, .part = 4, .parts = 5};
  size_t n = build(&id, 8, &last, buf, sizeof(buf));
  assert_ok(mb_wire_datagram_open(buf, n, CLUSTER, &d));
  struct mb_msg past = {.kind = MB_MSG_PUSH_PULL, .part = 5, .parts = 5};
  n = build(&id, 8, &past, buf, sizeof(buf));
  assert_rc(mb_wire_datagram_open(buf, n, CLUSTER, &d), MB_ERANGE);
  struct mb_msg none = {.kind = MB_MSG_JOIN, .part = 0, .parts = 0};
  n = build(&id, 8, &none, buf, sizeof(buf));
  assert_rc(mb_wire_datagram_open(buf, n, CLUSTER, &d), MB_ERANGE);
}

/* A push-pull may open with a view digest; it round-trips exactly and is
 * absent unless set. */
static void test_datagram_view_digest(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_datagram d;
  uint8_t buf[MB_WIRE_DEFAULT_BUDGET];
  identity_of(&id, 5);
  struct mb_msg msg = {
      .kind = MB_MSG_PUSH_PULL, .parts = 1, .has_digest = true};
  for (int i = 0; i < MB_VIEW_DIGEST_LEN; i++)
    msg.digest[i] = (uint8_t)(0xd0 + i);
  size_t n = build(&id, 9, &msg, buf, sizeof(buf));
  assert_ok(mb_wire_datagram_open(buf, n, CLUSTER, &d));
  assert_true(d.msg.has_digest);
  assert_memory_equal(d.msg.digest, msg.digest, MB_VIEW_DIGEST_LEN);
  msg.has_digest = false;
  size_t m = build(&id, 9, &msg, buf, sizeof(buf));
  assert_true(n - m >= 1 + 1 + MB_VIEW_DIGEST_LEN); /* key, head, bytes */
  assert_ok(mb_wire_datagram_open(buf, m, CLUSTER, &d));
  assert_false(d.msg.has_digest);
}

/* Summary, range and pull lists round-trip; lengths that are not whole
 * entries are refused. */
static void test_datagram_reconcile_fields(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_datagram d;
  uint8_t buf[MB_WIRE_DEFAULT_BUDGET];
  uint8_t summary[3 * MB_SUMMARY_ENTRY_LEN], pull[2 * MB_NODE_REF_LEN];
  identity_of(&id, 5);
  for (size_t i = 0; i < sizeof(summary); i++)
    summary[i] = (uint8_t)i;
  memset(pull, 0x5a, sizeof(pull));
  struct mb_msg msg = {.kind = MB_MSG_PUSH_PULL_REPLY,
                       .parts = 1,
                       .summary = summary,
                       .summary_len = sizeof(summary),
                       .has_range = true};
  memset(msg.range_lo, 0x01, MB_NODE_REF_LEN);
  memset(msg.range_hi, 0xfe, MB_NODE_REF_LEN);
  size_t n = build(&id, 9, &msg, buf, sizeof(buf));
  assert_ok(mb_wire_datagram_open(buf, n, CLUSTER, &d));
  assert_int_equal(d.msg.summary_len, sizeof(summary));
  assert_memory_equal(d.msg.summary, summary, sizeof(summary));
  assert_true(d.msg.has_range);
  assert_memory_equal(d.msg.range_lo, msg.range_lo, MB_NODE_REF_LEN);
  assert_memory_equal(d.msg.range_hi, msg.range_hi, MB_NODE_REF_LEN);
  struct mb_msg req = {.kind = MB_MSG_PUSH_PULL,
                       .parts = 1,
                       .pull = pull,
                       .pull_len = sizeof(pull)};
  n = build(&id, 10, &req, buf, sizeof(buf));
  assert_ok(mb_wire_datagram_open(buf, n, CLUSTER, &d));
  assert_int_equal(d.msg.pull_len, sizeof(pull));
  assert_memory_equal(d.msg.pull, pull, sizeof(pull));
  req.pull_len = sizeof(pull) - 1; /* not a whole node ref */
  n = build(&id, 11, &req, buf, sizeof(buf));
  assert_rc(mb_wire_datagram_open(buf, n, CLUSTER, &d), MB_ERANGE);
  msg.summary_len = MB_SUMMARY_ENTRY_LEN + 3;
  n = build(&id, 12, &msg, buf, sizeof(buf));
  assert_rc(mb_wire_datagram_open(buf, n, CLUSTER, &d), MB_ERANGE);
  /* Gossip carries news as summary entries, held to the same rule. */
  struct mb_msg news = {.kind = MB_MSG_GOSSIP,
                        .summary = summary,
                        .summary_len = sizeof(summary)};
  n = build(&id, 13, &news, buf, sizeof(buf));
  assert_ok(mb_wire_datagram_open(buf, n, CLUSTER, &d));
  assert_int_equal(d.msg.kind, MB_MSG_GOSSIP);
  assert_int_equal(d.msg.summary_len, sizeof(summary));
  assert_memory_equal(d.msg.summary, summary, sizeof(summary));
  news.summary_len = 2 * MB_SUMMARY_ENTRY_LEN - 1;
  n = build(&id, 14, &news, buf, sizeof(buf));
  assert_rc(mb_wire_datagram_open(buf, n, CLUSTER, &d), MB_ERANGE);
}

static void test_datagram_records_and_certs(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_heartbeat hb;
  struct mb_dgram_builder b;
  struct mb_datagram d;
  struct mb_record rec;
  struct mb_msg msg = {.kind = MB_MSG_ACK, .probe_id = 5};
  uint8_t r1[MB_WIRE_MAX_RECORD], out[MB_WIRE_DEFAULT_BUDGET];
  static const uint8_t cert[] = "pretend certificate bytes";
  size_t n;
  identity_of(&id, 5);
  sample_hb(&hb);
  size_t r1_len = sign_hb(&id, &hb, r1, sizeof(r1));
  assert_ok(mb_dgram_init(&b, &id, CLUSTER, MB_WIRE_DEFAULT_BUDGET, 3, &msg));
  assert_ok(mb_dgram_add_record(&b, r1, r1_len));
  assert_ok(mb_dgram_add_cert(&b, cert, sizeof(cert)));
  assert_ok(mb_dgram_finish(&b, out, sizeof(out), &n));
  assert_int_equal(n, mb_dgram_size(&b));
  assert_ok(mb_wire_datagram_open(out, n, CLUSTER, &d));
  assert_int_equal(d.n_records, 1);
  assert_int_equal(d.records[0].len, r1_len);
  assert_memory_equal(d.records[0].p, r1, r1_len);
  assert_int_equal(d.n_certs, 1);
  assert_memory_equal(d.certs[0].p, cert, sizeof(cert));
  /* The relayed record still opens on its own signature. */
  assert_ok(mb_wire_record_open(NULL, d.records[0].p, d.records[0].len, CLUSTER,
                                &rec));
  assert_hb_equal(&rec.u.hb, &hb);
}

/* ---- datagrams: budget ------------------------------------------------- */

#define N_RECS MB_WIRE_MAX_RECORDS

struct rec_set {
  uint8_t buf[N_RECS][MB_WIRE_MAX_RECORD];
  size_t len[N_RECS];
};

/* Distinct heartbeat records from distinct nodes. */
static void make_heartbeats(struct rec_set *s) {
  for (size_t i = 0; i < N_RECS; i++) {
    struct mb_identity id;
    struct mb_heartbeat hb;
    identity_of(&id, (uint8_t)(0x40 + i));
    sample_hb(&hb);
    snprintf(hb.name, sizeof(hb.name), "node-%02zu", i);
    hb.seq = i;
    s->len[i] = sign_hb(&id, &hb, s->buf[i], sizeof(s->buf[i]));
  }
}

/* Suspect claims: smaller than heartbeats, so one fits a 300-byte ack. */
static void make_claims(struct rec_set *s) {
  struct mb_identity author;
  identity_of(&author, 0x3f);
  for (size_t i = 0; i < N_RECS; i++) {
    struct mb_claim c = {.incarnation = i, .time_ms = 1700000000000};
    memset(c.subject, (int)i, MB_NODE_ID_LEN);
    assert_ok(mb_wire_claim_sign(&author, CLUSTER, MB_REC_SUSPECT, &c,
                                 s->buf[i], sizeof(s->buf[i]), &s->len[i]));
  }
}

/* Size of a datagram holding records [0, n] (one more than was accepted),
 * measured by encoding it without a budget: the refusal must have been
 * necessary, not just cautious. */
static size_t size_with_one_more(const struct mb_identity *id,
                                 const struct mb_msg *msg,
                                 const struct rec_set *s, size_t n) {
  static uint8_t out[MB_WIRE_MAX_DATAGRAM];
  struct mb_dgram_builder b;
  size_t len = 0;
  assert_ok(mb_dgram_init(&b, id, CLUSTER, MB_WIRE_MAX_DATAGRAM, 1, msg));
  for (size_t i = 0; i <= n; i++)
    assert_ok(mb_dgram_add_record(&b, s->buf[i], s->len[i]));
  assert_ok(mb_dgram_finish(&b, out, sizeof(out), &len));
  return len;
}

static void check_budget(const struct rec_set *s, enum mb_msg_kind kind,
                         size_t budget) {
  struct mb_identity id;
  struct mb_msg msg = {.kind = kind, .probe_id = 1};
  struct mb_dgram_builder b;
  struct mb_datagram d;
  uint8_t out[MB_WIRE_DEFAULT_BUDGET];
  size_t added = 0, n = 0;
  int rc;
  identity_of(&id, 5);
  assert_ok(mb_dgram_init(&b, &id, CLUSTER, budget, 1, &msg));
  while ((rc = mb_dgram_add_record(&b, s->buf[added], s->len[added])) ==
         MB_OK) {
    added++;
    assert_true(mb_dgram_size(&b) <= budget);
    assert_true(added < N_RECS); /* the budget must run out first */
  }
  assert_rc(rc, MB_ENOSPACE);
  size_t before = mb_dgram_size(&b);
  assert_rc(mb_dgram_add_record(&b, s->buf[added], s->len[added]), MB_ENOSPACE);
  assert_int_equal(mb_dgram_size(&b), before); /* refusal changed nothing */
  assert_true(size_with_one_more(&id, &msg, s, added) > budget);

  assert_ok(mb_dgram_finish(&b, out, sizeof(out), &n));
  assert_int_equal(n, mb_dgram_size(&b));
  assert_true(n <= budget);
  assert_ok(mb_wire_datagram_open(out, n, CLUSTER, &d));
  assert_int_equal(d.n_records, added);
  for (size_t i = 0; i < added; i++)
    assert_memory_equal(d.records[i].p, s->buf[i], s->len[i]);
  print_message("%s, budget %zu: %zu records, %zu bytes\n",
                mb_msg_kind_name(kind), budget, added, n);
}

static void test_datagram_budget(void **state) {
  (void)state;
  static struct rec_set s;
  make_heartbeats(&s);
  check_budget(&s, MB_MSG_PING, MB_WIRE_DEFAULT_BUDGET);
  check_budget(&s, MB_MSG_PING, 512);
  check_budget(&s, MB_MSG_PING, 300);
  make_claims(&s);
  check_budget(&s, MB_MSG_ACK, MB_WIRE_DEFAULT_BUDGET);
  check_budget(&s, MB_MSG_ACK, 512);
  check_budget(&s, MB_MSG_ACK, 300);
}

/* A budget smaller than the bare message is refused up front. */
static void test_datagram_budget_too_small(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_msg msg = {.kind = MB_MSG_ACK, .probe_id = 1};
  struct mb_dgram_builder b;
  identity_of(&id, 5);
  assert_rc(mb_dgram_init(&b, &id, CLUSTER, 100, 1, &msg), MB_ENOSPACE);
}

static void test_datagram_max_records(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_msg msg = {.kind = MB_MSG_ACK, .probe_id = 1};
  struct mb_dgram_builder b;
  identity_of(&id, 5);
  assert_ok(mb_dgram_init(&b, &id, CLUSTER, MB_WIRE_MAX_DATAGRAM, 1, &msg));
  for (size_t i = 0; i < MB_WIRE_MAX_RECORDS; i++)
    assert_ok(mb_dgram_add_record(&b, (const uint8_t *)"r", 1));
  assert_rc(mb_dgram_add_record(&b, (const uint8_t *)"r", 1), MB_ENOSPACE);
  for (size_t i = 0; i < MB_WIRE_MAX_CERTS; i++)
    assert_ok(mb_dgram_add_cert(&b, (const uint8_t *)"c", 1));
  assert_rc(mb_dgram_add_cert(&b, (const uint8_t *)"c", 1), MB_ENOSPACE);
}

/*
 * The builder's size arithmetic against real encodings: grow a datagram one
 * record at a time until the largest datagram is full, through every
 * head-size step on the way (record count past 23, record and certificate
 * lengths past 23 and 255, body past 255 bytes, seq of every
 * head size), comparing mb_dgram_size with the finished length each time.
 */
static void test_datagram_size_is_exact(void **state) {
  (void)state;
  static uint8_t recs[MB_WIRE_MAX_RECORDS][1100], cert[2048];
  static uint8_t out[MB_WIRE_MAX_DATAGRAM];
  static const uint64_t seqs[] = {0, 23, 24, 255, 256, 0x10000, UINT64_MAX};
  struct mb_identity id;
  identity_of(&id, 5);
  memset(recs, 0x5a, sizeof(recs));
  memset(cert, 0xc5, sizeof(cert));
  for (size_t si = 0; si < LEN(seqs); si++) {
    struct mb_msg msg = {.kind = MB_MSG_PUSH_PULL, .part = 0, .parts = 1};
    struct mb_dgram_builder b;
    size_t n = 0;
    assert_ok(
        mb_dgram_init(&b, &id, CLUSTER, MB_WIRE_MAX_DATAGRAM, seqs[si], &msg));
    for (size_t i = 0; i < MB_WIRE_MAX_RECORDS; i++) {
      size_t len = 1 + (i * i * 37 + si * 11) % 1099; /* 1 .. 1099 bytes */
      if (mb_dgram_add_record(&b, recs[i], len) != MB_OK)
        break;
      if (i % 5 == 0) /* may be refused near the end: that is fine */
        (void)mb_dgram_add_cert(&b, cert, 30 * i);
      assert_ok(mb_dgram_finish(&b, out, sizeof(out), &n));
      if (n != mb_dgram_size(&b))
        fail_msg("seq %llu, %zu records: finished %zu bytes, size says %zu",
                 (unsigned long long)seqs[si], i + 1, n, mb_dgram_size(&b));
    }
  }
}

static void test_datagram_finish_enospace(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_msg msg = {.kind = MB_MSG_ACK, .probe_id = 1};
  struct mb_dgram_builder b;
  uint8_t out[MB_WIRE_DEFAULT_BUDGET];
  size_t n;
  identity_of(&id, 5);
  assert_ok(mb_dgram_init(&b, &id, CLUSTER, MB_WIRE_DEFAULT_BUDGET, 1, &msg));
  size_t size = mb_dgram_size(&b);
  assert_rc(mb_dgram_finish(&b, out, size - 1, &n), MB_ENOSPACE);
  assert_ok(mb_dgram_finish(&b, out, size, &n));
  assert_int_equal(n, size);
}

/* ---- datagrams: integrity ---------------------------------------------- */

static size_t build_full(const struct mb_identity *id, uint8_t *out,
                         size_t cap) {
  struct mb_heartbeat hb;
  struct mb_dgram_builder b;
  struct mb_msg msg = {.kind = MB_MSG_PING, .probe_id = 77};
  uint8_t rec[MB_WIRE_MAX_RECORD];
  size_t n = 0;
  sample_hb(&hb);
  size_t rec_len = sign_hb(id, &hb, rec, sizeof(rec));
  memset(msg.target, 0x33, MB_NODE_REF_LEN);
  assert_ok(mb_dgram_init(&b, id, CLUSTER, MB_WIRE_DEFAULT_BUDGET, 99, &msg));
  assert_ok(mb_dgram_add_record(&b, rec, rec_len));
  assert_ok(mb_dgram_finish(&b, out, cap, &n));
  return n;
}

static void test_datagram_wrong_cluster(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_datagram d;
  uint8_t buf[MB_WIRE_DEFAULT_BUDGET];
  identity_of(&id, 5);
  size_t n = build_full(&id, buf, sizeof(buf));
  assert_ok(mb_wire_datagram_open(buf, n, CLUSTER, &d));
  assert_rc(mb_wire_datagram_open(buf, n, AAD("cluster-b"), &d), MB_EBADSIG);
  /* parse alone does not look at the signature */
  assert_ok(mb_wire_datagram_parse(buf, n, &d));
  assert_rc(mb_wire_datagram_verify(&d, AAD("cluster-b")), MB_EBADSIG);
}

static void test_datagram_trailing_and_truncated(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_datagram d;
  uint8_t buf[MB_WIRE_DEFAULT_BUDGET + 1];
  identity_of(&id, 5);
  size_t n = build_full(&id, buf, sizeof(buf) - 1);
  buf[n] = 0x00;
  assert_rc(mb_wire_datagram_open(buf, n + 1, CLUSTER, &d), MB_ETRAILING);
  for (size_t k = 0; k < n; k++)
    assert_failed(mb_wire_datagram_open(buf, k, CLUSTER, &d));
}

static void test_datagram_every_flip_fails(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_datagram d;
  uint8_t buf[MB_WIRE_DEFAULT_BUDGET], copy[MB_WIRE_DEFAULT_BUDGET];
  identity_of(&id, 5);
  size_t n = build_full(&id, buf, sizeof(buf));
  for (size_t i = 0; i < n; i++) {
    for (int bit = 0; bit < 8; bit++) {
      memcpy(copy, buf, n);
      copy[i] ^= (uint8_t)(1u << bit);
      if (mb_wire_datagram_open(copy, n, CLUSTER, &d) == MB_OK)
        fail_msg("datagram with bit %d of byte %zu flipped opens", bit, i);
    }
  }
}

static void test_datagram_deterministic(void **state) {
  (void)state;
  struct mb_identity id;
  uint8_t a[MB_WIRE_DEFAULT_BUDGET], b[MB_WIRE_DEFAULT_BUDGET];
  identity_of(&id, 5);
  size_t na = build_full(&id, a, sizeof(a));
  size_t nb = build_full(&id, b, sizeof(b));
  assert_int_equal(na, nb);
  assert_memory_equal(a, b, na);
}

/* ---- datagrams: crafted bodies ----------------------------------------- */

/* {1: version, 2: 7, 3: {0: 1, 1: 5, 2: target}} plus optional extras. */
static void craft_ping_body(struct mb_cbor_writer *w, uint64_t version,
                            bool with_seq, bool extra_key) {
  uint8_t target[MB_NODE_REF_LEN];
  memset(target, 0x33, sizeof(target));
  mb_cw_map(w, 2 + (size_t)with_seq + (size_t)extra_key);
  mb_cw_uint(w, MB_DG_VERSION), mb_cw_uint(w, version);
  if (with_seq)
    mb_cw_uint(w, MB_DG_SEQ), mb_cw_uint(w, 7);
  mb_cw_uint(w, MB_DG_MESSAGE);
  mb_cw_map(w, 3);
  mb_cw_uint(w, 0), mb_cw_uint(w, MB_MSG_PING);
  mb_cw_uint(w, 1), mb_cw_uint(w, 5);
  mb_cw_uint(w, 2), mb_cw_bytes(w, target, sizeof(target));
  if (extra_key)
    mb_cw_uint(w, 9), mb_cw_textz(w, "from the future");
}

/* Signs a crafted ping body (with a stray 0x00 after it when trailing)
 * and opens it as a datagram. */
static int open_crafted_body(uint64_t version, bool with_seq, bool extra_key,
                             bool trailing) {
  struct mb_identity id;
  struct mb_datagram d;
  uint8_t body[128], buf[512];
  struct mb_cbor_writer w;
  identity_of(&id, 5);
  mb_cw_init(&w, body, sizeof(body));
  craft_ping_body(&w, version, with_seq, extra_key);
  if (trailing)
    mb_cw_uint(&w, 0);
  size_t n = sign_crafted(&id, &w, buf, sizeof(buf));
  return mb_wire_datagram_open(buf, n, CLUSTER, &d);
}

static void test_datagram_version_2(void **state) {
  (void)state;
  assert_ok(open_crafted_body(1, true, false, false)); /* the control */
  assert_rc(open_crafted_body(2, true, false, false), MB_EVERSION);
  assert_rc(open_crafted_body(0, true, false, false), MB_EVERSION);
}

static void test_datagram_body_fields(void **state) {
  (void)state;
  assert_rc(open_crafted_body(1, false, false, false), MB_EMISSING);
  assert_ok(open_crafted_body(1, true, true, false)); /* unknown key skipped */
  /* Bytes after the body map, inside the signed payload: still refused. */
  assert_rc(open_crafted_body(1, true, false, true), MB_ETRAILING);
}

/* The builder writes exactly the body a reader of the CDDL would expect:
 * a hand-made body signed by the same key gives the same bytes. */
static void test_datagram_matches_hand_encoding(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_msg msg = {.kind = MB_MSG_PING, .probe_id = 5};
  uint8_t body[128], want[512], got[MB_WIRE_DEFAULT_BUDGET];
  struct mb_cbor_writer w;
  identity_of(&id, 5);
  memset(msg.target, 0x33, MB_NODE_REF_LEN);
  mb_cw_init(&w, body, sizeof(body));
  craft_ping_body(&w, 1, true, false);
  size_t want_len = sign_crafted(&id, &w, want, sizeof(want));
  size_t got_len = build(&id, 7, &msg, got, sizeof(got));
  assert_int_equal(got_len, want_len);
  assert_memory_equal(got, want, want_len);
}

/* Wraps an encoded message map in an otherwise valid, signed body. */
static int open_with_message(const uint8_t *msg, size_t msg_len) {
  struct mb_identity id;
  struct mb_datagram d;
  uint8_t body[256], buf[512];
  struct mb_cbor_writer w;
  identity_of(&id, 5);
  mb_cw_init(&w, body, sizeof(body));
  mb_cw_map(&w, 3);
  mb_cw_uint(&w, MB_DG_VERSION), mb_cw_uint(&w, MB_WIRE_VERSION);
  mb_cw_uint(&w, MB_DG_SEQ), mb_cw_uint(&w, 1);
  mb_cw_uint(&w, MB_DG_MESSAGE), mb_cw_raw(&w, msg, msg_len);
  size_t n = sign_crafted(&id, &w, buf, sizeof(buf));
  return mb_wire_datagram_open(buf, n, CLUSTER, &d);
}

static void test_datagram_bad_messages(void **state) {
  (void)state;
  static const uint8_t kind11[] = {0xa1, 0x00, 0x0b}; /* one past app */
  static const uint8_t kind0[] = {0xa1, 0x00, 0x00};
  static const uint8_t no_kind[] = {0xa1, 0x01, 0x05};
  static const uint8_t ack_no_id[] = {0xa1, 0x00, 0x02};
  static const uint8_t leave[] = {0xa1, 0x00, 0x08};
  assert_rc(open_with_message(kind11, sizeof(kind11)), MB_EKIND);
  /* app: channel and payload required, the channel one byte, the
   * payload bytes. */
  static const uint8_t app_no_payload[] = {0xa2, 0x00, 0x0a, 0x01, 0x01};
  static const uint8_t app_no_channel[] = {0xa2, 0x00, 0x0a, 0x02, 0x40};
  static const uint8_t app_channel256[] = {0xa3, 0x00, 0x0a, 0x01, 0x19,
                                           0x01, 0x00, 0x02, 0x40};
  static const uint8_t app_text[] = {0xa3, 0x00, 0x0a, 0x01,
                                     0x01, 0x02, 0x61, 0x78};
  static const uint8_t app_ok[] = {0xa3, 0x00, 0x0a, 0x01,
                                   0x01, 0x02, 0x41, 0x78};
  assert_rc(open_with_message(app_no_payload, sizeof(app_no_payload)),
            MB_EMISSING);
  assert_rc(open_with_message(app_no_channel, sizeof(app_no_channel)),
            MB_EMISSING);
  assert_rc(open_with_message(app_channel256, sizeof(app_channel256)),
            MB_ERANGE);
  assert_rc(open_with_message(app_text, sizeof(app_text)), MB_ETYPE);
  assert_ok(open_with_message(app_ok, sizeof(app_ok)));
  assert_rc(open_with_message(kind0, sizeof(kind0)), MB_EKIND);
  assert_rc(open_with_message(no_kind, sizeof(no_kind)), MB_EMISSING);
  assert_rc(open_with_message(ack_no_id, sizeof(ack_no_id)), MB_EMISSING);
  assert_ok(open_with_message(leave, sizeof(leave)));
}

/* An empty list is written by leaving the key out, so [] is malformed. */
static void test_datagram_empty_list(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_datagram d;
  uint8_t body[128], buf[512];
  struct mb_cbor_writer w;
  identity_of(&id, 5);
  mb_cw_init(&w, body, sizeof(body));
  mb_cw_map(&w, 4);
  mb_cw_uint(&w, 1), mb_cw_uint(&w, 1);
  mb_cw_uint(&w, 2), mb_cw_uint(&w, 1);
  mb_cw_uint(&w, 3), mb_cw_map(&w, 1), mb_cw_uint(&w, 0), mb_cw_uint(&w, 8);
  mb_cw_uint(&w, 4), mb_cw_array(&w, 0);
  size_t n = sign_crafted(&id, &w, buf, sizeof(buf));
  assert_rc(mb_wire_datagram_open(buf, n, CLUSTER, &d), MB_ERANGE);
}

/* ---- names and helpers ------------------------------------------------- */

static void test_kind_names(void **state) {
  (void)state;
  assert_string_equal(mb_msg_kind_name(MB_MSG_PING), "ping");
  assert_string_equal(mb_msg_kind_name(MB_MSG_PING_REQ), "ping-req");
  assert_string_equal(mb_msg_kind_name(MB_MSG_PUSH_PULL_REPLY),
                      "push-pull-reply");
  assert_string_equal(mb_msg_kind_name((enum mb_msg_kind)99), "unknown");
  assert_string_equal(mb_record_kind_name(MB_REC_HEARTBEAT), "heartbeat");
  assert_string_equal(mb_record_kind_name(MB_REC_DEAD), "dead");
  assert_string_equal(mb_record_kind_name(MB_REC_OTHER), "unknown");
}

/* mb_cbor_head_len agrees with what the writer actually emits. */
static void test_head_len_matches_writer(void **state) {
  (void)state;
  static const uint64_t v[] = {
      0, 23, 24, 255, 256, 65535, 65536, 0xffffffffu, 1ull << 32, UINT64_MAX};
  for (size_t i = 0; i < LEN(v); i++) {
    uint8_t buf[16];
    struct mb_cbor_writer w;
    mb_cw_init(&w, buf, sizeof(buf));
    mb_cw_uint(&w, v[i]);
    assert_int_equal(mb_cbor_head_len(v[i]), w.len);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_heartbeat_round_trip),
      cmocka_unit_test(test_heartbeat_round_trip_ipv4),
      cmocka_unit_test(test_heartbeat_no_health),
      cmocka_unit_test(test_heartbeat_deterministic),
      cmocka_unit_test(test_heartbeat_sign_rejects_bad_input),
      cmocka_unit_test(test_record_wrong_aad_and_cache),
      cmocka_unit_test(test_record_every_flip_fails),
      cmocka_unit_test(test_claim_suspect_round_trip),
      cmocka_unit_test(test_claim_dead_round_trip),
      cmocka_unit_test(test_claim_rejects_other_kinds),
      cmocka_unit_test(test_record_unknown_kind),
      cmocka_unit_test(test_heartbeat_ignores_unknown_key),
      cmocka_unit_test(test_heartbeat_tasks_round_trip),
      cmocka_unit_test(test_heartbeat_tasks_decoding),
      cmocka_unit_test(test_heartbeat_missing_each_field),
      cmocka_unit_test(test_claim_missing_field),
      cmocka_unit_test(test_record_rejects_bad_values),
      cmocka_unit_test(test_record_too_big),
      cmocka_unit_test(test_datagram_ping),
      cmocka_unit_test(test_datagram_app_round_trip),
      cmocka_unit_test(test_datagram_init_rejects_unknown_kind),
      cmocka_unit_test(test_datagram_ping_req),
      cmocka_unit_test(test_datagram_ack_nack_leave),
      cmocka_unit_test(test_datagram_paging),
      cmocka_unit_test(test_datagram_view_digest),
      cmocka_unit_test(test_datagram_reconcile_fields),
      cmocka_unit_test(test_datagram_records_and_certs),
      cmocka_unit_test(test_datagram_budget),
      cmocka_unit_test(test_datagram_budget_too_small),
      cmocka_unit_test(test_datagram_max_records),
      cmocka_unit_test(test_datagram_size_is_exact),
      cmocka_unit_test(test_datagram_finish_enospace),
      cmocka_unit_test(test_datagram_wrong_cluster),
      cmocka_unit_test(test_datagram_trailing_and_truncated),
      cmocka_unit_test(test_datagram_every_flip_fails),
      cmocka_unit_test(test_datagram_deterministic),
      cmocka_unit_test(test_datagram_version_2),
      cmocka_unit_test(test_datagram_body_fields),
      cmocka_unit_test(test_datagram_matches_hand_encoding),
      cmocka_unit_test(test_datagram_bad_messages),
      cmocka_unit_test(test_datagram_empty_list),
      cmocka_unit_test(test_kind_names),
      cmocka_unit_test(test_probe_ack_round_trip),
      cmocka_unit_test(test_ping_origin_round_trip),
      cmocka_unit_test(test_head_len_matches_writer),
  };
  return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
