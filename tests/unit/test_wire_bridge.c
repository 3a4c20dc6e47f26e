/*
 * Unit tests for the bodies of the bridge's channel records
 * (src/gossip/wire/cursor_body.c, instruction_body.c) and the
 * heartbeat's draining flag: round trips, the bounds every decoder
 * keeps (counts, lengths, the body's 512 bytes), malformed input refused
 * with a clear code, and old and new heartbeats read alike.
 */
#include "test_util.h"

#include "mb_wire.h"

#define CLUSTER ((const uint8_t *)"test-cluster"), 12

static struct mb_bridge_cursor sample_cursor(size_t events, size_t episodes) {
  struct mb_bridge_cursor c;
  memset(&c, 0, sizeof(c));
  c.n_events = events;
  for (size_t i = 0; i < events; i++)
    memset(c.events[i], (int)(0x10 + i), MB_CURSOR_EVENT_ID_LEN);
  c.delivered = 123456;
  c.pending = 7;
  c.n_episodes = episodes;
  for (size_t i = 0; i < episodes; i++) {
    memset(c.episodes[i].member, (int)(0xa0 + i), MB_NODE_REF_LEN);
    c.episodes[i].incarnation = 3 + i;
  }
  return c;
}

static void assert_cursor_equal(const struct mb_bridge_cursor *a,
                                const struct mb_bridge_cursor *b) {
  assert_int_equal(a->n_events, b->n_events);
  assert_memory_equal(a->events, b->events,
                      a->n_events * MB_CURSOR_EVENT_ID_LEN);
  assert_int_equal(a->delivered, b->delivered);
  assert_int_equal(a->pending, b->pending);
  assert_int_equal(a->n_episodes, b->n_episodes);
  for (size_t i = 0; i < a->n_episodes; i++) {
    assert_memory_equal(a->episodes[i].member, b->episodes[i].member,
                        MB_NODE_REF_LEN);
    assert_int_equal(a->episodes[i].incarnation, b->episodes[i].incarnation);
  }
}

static void test_cursor_round_trip(void **state) {
  (void)state;
  static const size_t shapes[][2] = {{0, 0}, {1, 0}, {16, 0}, {3, 1}, {16, 11}};
  for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
    struct mb_bridge_cursor c = sample_cursor(shapes[k][0], shapes[k][1]), d;
    uint8_t body[MB_CHANNEL_BODY_MAX];
    size_t len;
    assert_ok(mb_wire_cursor_body(&c, body, sizeof(body), &len));
    assert_true(len <= MB_CHANNEL_BODY_MAX);
    assert_ok(mb_wire_cursor_parse(body, len, &d));
    assert_cursor_equal(&c, &d);
  }
  /* No episodes: key 4 left out. */
  struct mb_bridge_cursor c = sample_cursor(0, 0);
  uint8_t body[64];
  size_t len;
  assert_ok(mb_wire_cursor_body(&c, body, sizeof(body), &len));
  static const uint8_t want[] = {0xa3, 0x01, 0x80, 0x02, 0x1a, 0x00,
                                 0x01, 0xe2, 0x40, 0x03, 0x07};
  assert_int_equal(len, sizeof(want));
  assert_memory_equal(body, want, sizeof(want));
}

/* Counts past their bounds are refused by the encoder, and so is a body
 * that would not fit in a channel record; the caller's buffer too small
 * is MB_ENOSPACE. */
static void test_cursor_body_bounds(void **state) {
  (void)state;
  uint8_t body[MB_CHANNEL_BODY_MAX];
  size_t len;
  struct mb_bridge_cursor c = sample_cursor(MB_CURSOR_MAX_EVENTS, 0);
  c.n_events++;
  assert_rc(mb_wire_cursor_body(&c, body, sizeof(body), &len), MB_EINVAL);
  c = sample_cursor(0, MB_CURSOR_MAX_EPISODES);
  c.n_episodes++;
  assert_rc(mb_wire_cursor_body(&c, body, sizeof(body), &len), MB_EINVAL);
  c = sample_cursor(MB_CURSOR_MAX_EVENTS, MB_CURSOR_MAX_EPISODES);
  for (size_t i = 0; i < c.n_episodes; i++)
    c.episodes[i].incarnation = UINT64_MAX;
  assert_rc(mb_wire_cursor_body(&c, body, sizeof(body), &len), MB_ETOOBIG);
  c = sample_cursor(2, 2);
  assert_rc(mb_wire_cursor_body(&c, body, 10, &len), MB_ENOSPACE);
  /* 24 episodes fit when the ids are few. */
  c = sample_cursor(0, MB_CURSOR_MAX_EPISODES);
  assert_ok(mb_wire_cursor_body(&c, body, sizeof(body), &len));
}

static int parse_hex_cursor(const char *hex) {
  uint8_t bin[1024];
  size_t n = strlen(hex) / 2;
  assert_true(n <= sizeof(bin));
  assert_ok(mb_hex_decode(bin, n, hex));
  struct mb_bridge_cursor c;
  int rc = mb_wire_cursor_parse(bin, n, &c);
  if (rc != MB_OK) { /* nothing half-decoded is left behind */
    struct mb_bridge_cursor zero;
    memset(&zero, 0, sizeof(zero));
    assert_memory_equal(&c, &zero, sizeof(c));
  }
  return rc;
}

static void test_cursor_malformed(void **state) {
  (void)state;
  struct mb_bridge_cursor c;
  assert_rc(mb_wire_cursor_parse(NULL, 0, &c), MB_EMISSING);
  /* valid: {1: [], 2: 0, 3: 0} */
  assert_ok(parse_hex_cursor("a30180020003"
                             "00"));
  /* a required key missing */
  assert_rc(parse_hex_cursor("a201800200"), MB_EMISSING);
  /* an id of 15 bytes; a node ref of 7 */
  assert_rc(parse_hex_cursor("a301814f"
                             "000000000000000000000000000000"
                             "02000300"),
            MB_ERANGE);
  assert_rc(parse_hex_cursor("a4018002000300"
                             "0481824700000000000000"
                             "01"),
            MB_ERANGE);
  /* an episode of three items */
  assert_rc(parse_hex_cursor("a4018002000300"
                             "048183480000000000000000"
                             "0101"),
            MB_ERANGE);
  /* 17 ids, 25 episodes: refused on the count, before reading them */
  assert_rc(parse_hex_cursor("a3019100"), MB_ETOOBIG);
  assert_rc(parse_hex_cursor("a40180020003000498190000"), MB_ETOOBIG);
  /* wrong types, unordered keys, trailing bytes, truncation */
  assert_rc(parse_hex_cursor("a301a00200"
                             "0300"),
            MB_ETYPE);
  assert_rc(parse_hex_cursor("a3020001800300"), MB_EDUPKEY);
  assert_rc(parse_hex_cursor("a30180020003"
                             "0000"),
            MB_ETRAILING);
  assert_rc(parse_hex_cursor("a301800200"), MB_ETRUNCATED);
  /* an unknown key is skipped */
  assert_ok(parse_hex_cursor("a40180020003000763666f6f"));
  /* longer than a channel body may be */
  uint8_t big[MB_CHANNEL_BODY_MAX + 1];
  memset(big, 0, sizeof(big));
  assert_rc(mb_wire_cursor_parse(big, sizeof(big), &c), MB_ETOOBIG);
}

static void test_instruction_round_trip(void **state) {
  (void)state;
  uint8_t body[MB_CHANNEL_BODY_MAX];
  size_t len;
  struct mb_instruction in = {.op = MB_INSTR_DRAIN}, out;
  assert_ok(mb_wire_instruction_body(&in, body, sizeof(body), &len));
  static const uint8_t drain[] = {0xa1, 0x01, 0x65, 'd', 'r', 'a', 'i', 'n'};
  assert_int_equal(len, sizeof(drain));
  assert_memory_equal(body, drain, sizeof(drain));
  assert_ok(mb_wire_instruction_parse(body, len, &out));
  assert_int_equal(out.op, MB_INSTR_DRAIN);
  assert_string_equal(out.name, "drain");
  assert_string_equal(out.id, "");

  in = (struct mb_instruction){.op = MB_INSTR_UNDRAIN};
  memset(in.id, 'x', MB_INSTRUCTION_ID_MAX);
  assert_ok(mb_wire_instruction_body(&in, body, sizeof(body), &len));
  assert_ok(mb_wire_instruction_parse(body, len, &out));
  assert_int_equal(out.op, MB_INSTR_UNDRAIN);
  assert_string_equal(out.id, in.id);

  /* An op this version does not know: kept as written, meaning nothing. */
  in = (struct mb_instruction){.op = MB_INSTR_OTHER};
  strcpy(in.name, "reboot");
  strcpy(in.id, "ins-9");
  assert_ok(mb_wire_instruction_body(&in, body, sizeof(body), &len));
  assert_ok(mb_wire_instruction_parse(body, len, &out));
  assert_int_equal(out.op, MB_INSTR_OTHER);
  assert_string_equal(out.name, "reboot");
  assert_string_equal(out.id, "ins-9");
  assert_string_equal(mb_instruction_op_name(MB_INSTR_UNDRAIN), "undrain");
}

static void test_instruction_malformed(void **state) {
  (void)state;
  uint8_t body[MB_CHANNEL_BODY_MAX];
  size_t len;
  struct mb_instruction in = {.op = MB_INSTR_OTHER}, out;
  assert_rc(mb_wire_instruction_body(&in, body, sizeof(body), &len),
            MB_EINVAL); /* no op at all */
  in.op = MB_INSTR_DRAIN;
  strcpy(in.id, "\xff\xfe"); /* not UTF-8 */
  assert_rc(mb_wire_instruction_body(&in, body, sizeof(body), &len), MB_EINVAL);
  in.id[0] = '\0';
  assert_rc(mb_wire_instruction_body(&in, body, 4, &len), MB_ENOSPACE);

  assert_rc(mb_wire_instruction_parse(NULL, 0, &out), MB_EMISSING);
  static const uint8_t no_op[] = {0xa1, 0x02, 0x61, 'x'};
  assert_rc(mb_wire_instruction_parse(no_op, sizeof(no_op), &out), MB_EMISSING);
  static const uint8_t op_bytes[] = {0xa1, 0x01, 0x41, 'x'};
  assert_rc(mb_wire_instruction_parse(op_bytes, sizeof(op_bytes), &out),
            MB_ETYPE);
  uint8_t long_id[8 + MB_INSTRUCTION_ID_MAX + 1] = {0xa2, 0x01, 0x61, 'x',
                                                    0x02, 0x78, 65};
  memset(long_id + 7, 'i', 65);
  assert_rc(mb_wire_instruction_parse(long_id, 7 + 65, &out), MB_ETOOBIG);
  long_id[6] = 64;
  assert_ok(mb_wire_instruction_parse(long_id, 7 + 64, &out));
  static const uint8_t nul[] = {0xa1, 0x01, 0x62, 'a', 0x00};
  assert_rc(mb_wire_instruction_parse(nul, sizeof(nul), &out), MB_ERANGE);
  static const uint8_t trailing[] = {0xa1, 0x01, 0x61, 'x', 0x00};
  assert_rc(mb_wire_instruction_parse(trailing, sizeof(trailing), &out),
            MB_ETRAILING);
}

/* The draining flag: written (key 12, true) only when set, read back; a
 * heartbeat without it reads as not draining. */
static void test_heartbeat_draining(void **state) {
  (void)state;
  struct mb_identity id;
  uint8_t seed[MB_SEED_LEN];
  memset(seed, 7, sizeof(seed));
  mb_identity_from_seed(&id, seed);
  struct mb_heartbeat hb = {.incarnation = 1, .seq = 1, .time_ms = 1};
  strcpy(hb.name, "n");
  hb.addr.family = 4;
  uint8_t buf[MB_WIRE_MAX_RECORD], plain[MB_WIRE_MAX_RECORD];
  size_t n, plain_n;
  struct mb_record rec;
  assert_ok(mb_wire_heartbeat_sign(&id, CLUSTER, &hb, plain, sizeof(plain),
                                   &plain_n));
  assert_ok(mb_wire_record_open(NULL, plain, plain_n, CLUSTER, &rec));
  assert_false(rec.u.hb.draining);
  hb.draining = true;
  assert_ok(mb_wire_heartbeat_sign(&id, CLUSTER, &hb, buf, sizeof(buf), &n));
  assert_int_equal(n, plain_n + 2); /* key 12, true */
  assert_ok(mb_wire_record_open(NULL, buf, n, CLUSTER, &rec));
  assert_true(rec.u.hb.draining);
  static const uint8_t tail[] = {0x0c, 0xf5};
  const uint8_t *payload = rec.envelope.payload;
  assert_memory_equal(payload + rec.envelope.payload_len - 2, tail, 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cursor_round_trip),
      cmocka_unit_test(test_cursor_body_bounds),
      cmocka_unit_test(test_cursor_malformed),
      cmocka_unit_test(test_instruction_round_trip),
      cmocka_unit_test(test_instruction_malformed),
      cmocka_unit_test(test_heartbeat_draining),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
