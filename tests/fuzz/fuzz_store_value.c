/*
 * libFuzzer target: a stored value, as LMDB hands it to the store, decoded
 * as a member, as an event, as a channel record, as an outbox entry and as
 * an unsigned integer (self, meta, the outbox's indexes); and as the key
 * of each outbox database.  What
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

static void outbox_round_trip(const struct mb_store_outbox_entry *e) {
  static uint8_t buf[MB_STORE_BODY_MAX + 512];
  uint8_t key[MB_STORE__OUTBOX_KEY_MAX];
  MDB_val k, v;
  size_t n = mb_store__outbox_encode(buf, sizeof buf, e);
  FUZZ_CHECK(n > 0 && n <= mb_store__outbox_value_cap(e->body_len));
  mb_store__outbox_key(key, e->dest, e->seq, &k);
  v = (MDB_val){n, buf};
  struct mb_store_outbox_entry again;
  FUZZ_CHECK(mb_store__outbox_decode(&k, &v, &again) == MB_OK);
  FUZZ_CHECK(strcmp(again.dest, e->dest) == 0 && again.seq == e->seq &&
             strcmp(again.id, e->id) == 0 &&
             again.created_ms == e->created_ms &&
             again.attempts == e->attempts &&
             again.next_attempt_ms == e->next_attempt_ms &&
             again.state == e->state && again.body_len == e->body_len &&
             memcmp(again.body, e->body, e->body_len) == 0);
  /* Only a parked entry keeps its reason. */
  FUZZ_CHECK(e->state != MB_STORE_OUTBOX_PARKED ||
             strcmp(again.reason, e->reason) == 0);
}

/* An outbox entry: the input as its value under a good key. */
static void check_outbox_value(const uint8_t *data, size_t size) {
  uint8_t key[MB_STORE__OUTBOX_KEY_MAX];
  MDB_val k, v = {size, (void *)data};
  mb_store__outbox_key(key, "webhook", 7, &k);
  struct mb_store_outbox_entry e;
  if (mb_store__outbox_decode(&k, &v, &e) != MB_OK)
    return;
  FUZZ_CHECK(e.seq == 7 && strcmp(e.dest, "webhook") == 0);
  FUZZ_CHECK(
      mb_store__outbox_name_ok(e.id, strlen(e.id), MB_STORE_DELIVERY_ID_MAX));
  FUZZ_CHECK(e.state <= MB_STORE_OUTBOX_PARKED);
  FUZZ_CHECK(strlen(e.reason) <= MB_STORE_PARK_REASON_MAX);
  FUZZ_CHECK(e.body_len <= MB_STORE_BODY_MAX);
  FUZZ_CHECK(e.body_len == 0 || fuzz_within(e.body, e.body_len, data, size));
  outbox_round_trip(&e);
}

/* The input as the key of each outbox database, with good values. */
static void check_outbox_keys(const uint8_t *data, size_t size) {
  static const uint8_t entry[] = {0xa6, 0x01, 0x61, 'a',  0x02, 0x00, 0x03,
                                  0x00, 0x04, 0x00, 0x05, 0x00, 0x07, 0x40};
  static const uint8_t one = 0x01;
  MDB_val k = {size, (void *)data}, v = {sizeof entry, (void *)entry};
  MDB_val u = {1, (void *)&one};
  struct mb_store_outbox_entry e;
  uint64_t seq;
  if (mb_store__outbox_decode(&k, &v, &e) == MB_OK) {
    FUZZ_CHECK(size == 1 + strlen(e.dest) + 8 && e.seq > 0);
    FUZZ_CHECK(
        mb_store__outbox_name_ok(e.dest, strlen(e.dest), MB_STORE_DEST_MAX));
  }
  if (mb_store__outbox_id_decode(&k, &u, &seq) == MB_OK)
    FUZZ_CHECK(seq == 1 && size >= 3 &&
               size <= 1 + MB_STORE_DEST_MAX + MB_STORE_DELIVERY_ID_MAX);
  if (mb_store__outbox_seq_decode(&k, &u, &seq) == MB_OK)
    FUZZ_CHECK(size >= 1 && size <= MB_STORE_DEST_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint64_t v;
  check_member(data, size);
  check_event(data, size);
  check_record(data, size);
  check_outbox_value(data, size);
  check_outbox_keys(data, size);
  (void)mb_store__uint_decode(data, size, &v);
  return 0;
}
