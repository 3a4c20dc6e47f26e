/*
 * libFuzzer target: a stored value, as LMDB hands it to the store, decoded
 * as a member, as an event, as a channel record and as an unsigned integer
 * (self, meta).  What
 * decodes must stay inside its input and within the store's limits, and
 * must encode and decode again to the same thing.
 */
#include "fuzz_common.h"
#include "store_internal.h"

static void member_round_trip(const struct mb_store_member *m) {
  static uint8_t buf[MB_STORE_RECORD_MAX + MB_STORE_CERT_MAX + 128];
  size_t n = mb_store__member_encode(buf, sizeof buf, m);
  FUZZ_CHECK(n > 0);
  struct mb_store_member again;
  FUZZ_CHECK(mb_store__member_decode(buf, n, &again) == MB_OK);
  FUZZ_CHECK(
      again.state == m->state && again.since_ms == m->since_ms &&
      again.incarnation == m->incarnation &&
      again.record_len == m->record_len &&
      memcmp(again.record, m->record, m->record_len) == 0 &&
      again.cert_len == m->cert_len &&
      (m->cert_len == 0 || memcmp(again.cert, m->cert, m->cert_len) == 0));
}

static void check_member(const uint8_t *data, size_t size) {
  struct mb_store_member m;
  if (mb_store__member_decode(data, size, &m) != MB_OK)
    return;
  FUZZ_CHECK(m.state <= MB_STORE_LEFT);
  FUZZ_CHECK(m.record_len <= MB_STORE_RECORD_MAX);
  FUZZ_CHECK(fuzz_within(m.record, m.record_len, data, size));
  FUZZ_CHECK(m.cert_len <= MB_STORE_CERT_MAX);
  FUZZ_CHECK(m.cert_len == 0 || fuzz_within(m.cert, m.cert_len, data, size));
  /* A zero-length record decodes, and the store would refuse to write it:
   * no round trip for that one. */
  if (m.record_len > 0 && (m.cert_len > 0) == (m.cert != NULL))
    member_round_trip(&m);
}

static void check_event(const uint8_t *data, size_t size) {
  struct mb_store_event ev, again;
  if (mb_store__event_decode(data, size, &ev) != MB_OK)
    return;
  FUZZ_CHECK(strnlen(ev.name, sizeof ev.name) <= MB_STORE_NAME_MAX);
  uint8_t buf[sizeof ev + 64];
  size_t n = mb_store__event_encode(buf, sizeof buf, &ev);
  FUZZ_CHECK(n > 0);
  FUZZ_CHECK(mb_store__event_decode(buf, n, &again) == MB_OK);
  FUZZ_CHECK(again.time_ms == ev.time_ms && again.from == ev.from &&
             again.to == ev.to && again.reason == ev.reason &&
             again.incarnation == ev.incarnation &&
             memcmp(again.id, ev.id, sizeof ev.id) == 0 &&
             strcmp(again.name, ev.name) == 0);
}

/* A channel record (schema 2) under a revocation's key. */
static void check_record(const uint8_t *data, size_t size) {
  uint8_t key[1 + MB_STORE_ID_LEN] = {1};
  MDB_val k = {sizeof key, key}, v = {size, (void *)data};
  struct mb_store_record r;
  if (mb_store__record_decode(&k, &v, &r) != MB_OK)
    return;
  FUZZ_CHECK(r.record_len > 0 && r.record_len <= MB_STORE_CHANNEL_MAX);
  FUZZ_CHECK(fuzz_within(r.record, r.record_len, data, size));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint64_t v;
  check_member(data, size);
  check_event(data, size);
  check_record(data, size);
  (void)mb_store__uint_decode(data, size, &v);
  return 0;
}
