/*
 * The store's value decoders fed damaged values, as network input is: every
 * truncation, every flipped byte, and the hand-made shapes a damaged or
 * foreign value can take.  A decoder must answer with an error code and
 * never read outside its input (ASan sees to that in the sanitizer build);
 * what decodes must be within the limits the store promises its callers.
 */
#include "store_fixture.h"
#include "store_internal.h"

#include <stdlib.h>

static const uint8_t record[300] = {1, 2, 3};
static const uint8_t cert[200] = {9, 8, 7};

static size_t good_member(uint8_t *buf, size_t cap) {
  struct mb_store_member m = {.state = MB_STORE_SUSPECT,
                              .since_ms = 1700000000123,
                              .incarnation = 77,
                              .record = record,
                              .record_len = sizeof record,
                              .cert = cert,
                              .cert_len = sizeof cert};
  size_t n = mb_store__member_encode(buf, cap, &m);
  assert_true(n > 0);
  return n;
}

static size_t good_event(uint8_t *buf, size_t cap) {
  struct mb_store_event ev = {.time_ms = 1700000000999,
                              .from = MB_STORE_ALIVE,
                              .to = MB_STORE_DEAD,
                              .reason = 4,
                              .incarnation = 12};
  memset(ev.id, 0x5a, sizeof ev.id);
  snprintf(ev.name, sizeof ev.name, "store-07");
  size_t n = mb_store__event_encode(buf, cap, &ev);
  assert_true(n > 0);
  return n;
}

/* Decoded fields stay inside the promises of mb_store.h. */
static void check_member(const struct mb_store_member *m, const uint8_t *buf,
                         size_t n) {
  assert_true(m->state <= MB_STORE_LEFT);
  assert_true(m->record_len <= MB_STORE_RECORD_MAX);
  assert_true(m->record >= buf && m->record + m->record_len <= buf + n);
  assert_true(m->cert_len <= MB_STORE_CERT_MAX);
  if (m->cert != NULL)
    assert_true(m->cert >= buf && m->cert + m->cert_len <= buf + n);
}

static void check_event(const struct mb_store_event *ev) {
  assert_true(strnlen(ev->name, sizeof ev->name) <= MB_STORE_NAME_MAX);
}

/* Each input gets a heap copy of exactly its size: a read past it is an
 * ASan report in the sanitizer build. */
static int member_of(const uint8_t *p, size_t n) {
  uint8_t *copy = malloc(n ? n : 1);
  memcpy(copy, p, n);
  struct mb_store_member m;
  int rc = mb_store__member_decode(copy, n, &m);
  if (rc == MB_OK)
    check_member(&m, copy, n);
  free(copy);
  return rc;
}

static int event_of(const uint8_t *p, size_t n) {
  uint8_t *copy = malloc(n ? n : 1);
  memcpy(copy, p, n);
  struct mb_store_event ev;
  int rc = mb_store__event_decode(copy, n, &ev);
  if (rc == MB_OK)
    check_event(&ev);
  free(copy);
  return rc;
}

static void test_truncated_values_refused(void **state) {
  (void)state;
  uint8_t buf[1024];
  size_t n = good_member(buf, sizeof buf);
  assert_ok(member_of(buf, n));
  for (size_t len = 0; len < n; len++)
    assert_failed(member_of(buf, len));
  n = good_event(buf, sizeof buf);
  assert_ok(event_of(buf, n));
  for (size_t len = 0; len < n; len++)
    assert_failed(event_of(buf, len));
}

/* Every byte flipped to every other value: an error or a value within the
 * limits, never a crash. */
static void test_flipped_values_never_crash(void **state) {
  (void)state;
  uint8_t buf[1024], bad[1024];
  size_t nm = good_member(buf, sizeof buf);
  size_t refused = 0, tries = 0;
  for (size_t i = 0; i < nm; i++)
    for (int x = 1; x < 256; x++) {
      memcpy(bad, buf, nm);
      bad[i] ^= (uint8_t)x;
      refused += member_of(bad, nm) != MB_OK;
      tries++;
    }
  size_t ne = good_event(buf, sizeof buf);
  for (size_t i = 0; i < ne; i++)
    for (int x = 1; x < 256; x++) {
      memcpy(bad, buf, ne);
      bad[i] ^= (uint8_t)x;
      refused += event_of(bad, ne) != MB_OK;
      tries++;
    }
  /* The record and certificate bytes are opaque here (signatures guard
   * them), so many flips decode; the structure's are refused. */
  assert_true(refused > 0 && refused < tries);
}

/* Hand-made shapes: a CBOR head per line, as docs/store.md's CDDL reads. */
static void test_malformed_shapes_refused(void **state) {
  (void)state;
  static const struct {
    const char *what;
    uint8_t bytes[16];
    size_t len;
    int want;
  } members[] = {
      {"not a map", {0x80}, 1, MB_ETYPE},
      {"empty map", {0xa0}, 1, MB_EMISSING},
      {"state 4",
       {0xa4, 0x01, 0x04, 0x02, 0x00, 0x03, 0x00, 0x04, 0x41, 0x00},
       10,
       MB_ERANGE},
      {"state as text",
       {0xa4, 0x01, 0x61, 0x30, 0x02, 0x00, 0x03, 0x00, 0x04, 0x41, 0x00},
       11,
       MB_ETYPE},
      {"keys out of order",
       {0xa4, 0x02, 0x00, 0x01, 0x00, 0x03, 0x00, 0x04, 0x41, 0x00},
       10,
       MB_EDUPKEY},
      {"no record", {0xa3, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00}, 7, MB_EMISSING},
      {"trailing byte",
       {0xa4, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x41, 0x00, 0x00},
       11,
       MB_ETRAILING},
      {"record of 2^32 bytes",
       {0xa4, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x5a, 0xff, 0xff, 0xff,
        0xff},
       13,
       MB_ETRUNCATED},
  };
  for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
    int rc = member_of(members[i].bytes, members[i].len);
    if (rc != members[i].want)
      print_error("member: %s\n", members[i].what);
    assert_rc(rc, members[i].want);
  }
  /* A record longer than MB_STORE_RECORD_MAX, complete. */
  size_t big = MB_STORE_RECORD_MAX + 1, n = 0;
  uint8_t *p = calloc(1, big + 32);
  const uint8_t head[] = {0xa4,        0x01, 0x00, 0x02, 0x00,
                          0x03,        0x00, 0x04, 0x59, (uint8_t)(big >> 8),
                          (uint8_t)big};
  memcpy(p, head, sizeof head);
  n = sizeof head + big;
  assert_rc(member_of(p, n), MB_ETOOBIG);
  free(p);

  uint8_t buf[1024];
  size_t ne = good_event(buf, sizeof buf);
  /* The id (key 2) is a 32-byte string: 0x02 0x58 0x20 <32 bytes>. */
  uint8_t *id = memmem(buf, ne, "\x02\x58\x20", 3);
  assert_non_null(id);
  id[2] = 0x1f; /* 31 bytes: shifts the rest, which cannot stay valid */
  assert_failed(event_of(buf, ne));
}

static void test_uint_values(void **state) {
  (void)state;
  uint64_t v;
  const uint8_t one[] = {0x01}, big[] = {0x19, 0x04, 0x08};
  const uint8_t long_form[] = {0x1b, 0, 0, 0, 0, 0, 0, 4, 8};
  const uint8_t text[] = {0x61, 0x31}, two[] = {0x01, 0x02};
  assert_ok(mb_store__uint_decode(one, sizeof one, &v));
  assert_int_equal(v, 1);
  assert_ok(mb_store__uint_decode(big, sizeof big, &v));
  assert_int_equal(v, 0x408);
  assert_rc(mb_store__uint_decode(big, 2, &v), MB_ETRUNCATED);
  assert_rc(mb_store__uint_decode(long_form, sizeof long_form, &v),
            MB_ENONCANON);
  assert_rc(mb_store__uint_decode(text, sizeof text, &v), MB_ETYPE);
  assert_rc(mb_store__uint_decode(two, sizeof two, &v), MB_ETRAILING);
  assert_failed(mb_store__uint_decode(one, 0, &v));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_truncated_values_refused),
      cmocka_unit_test(test_flipped_values_never_crash),
      cmocka_unit_test(test_malformed_shapes_refused),
      cmocka_unit_test(test_uint_values),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
