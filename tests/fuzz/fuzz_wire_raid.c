/*
 * libFuzzer target: the RAID publication bodies (channel kinds 23 array,
 * 24 task, 25 leader), as a coordinator's record may carry them; every
 * input goes to all three decoders.  Besides "no crash": what decodes
 * stays within its bounds (32 slots and sources, data + parity, 7
 * voters, names of 1..63 bytes of UTF-8), decodes alike twice, encodes
 * again within the channel's 512 bytes to no more than it came in, and
 * that encoding decodes to the same; what is refused leaves nothing
 * behind.
 */
#include "fuzz_common.h"
#include "mb_wire.h"

static void check_zero(const void *p, size_t len) {
  const uint8_t *b = p;
  for (size_t i = 0; i < len; i++)
    FUZZ_CHECK(b[i] == 0);
}

static void check_array(const uint8_t *data, size_t size) {
  struct mb_wire_raid_array a, again;
  int rc = mb_wire_raid_array_body_decode(data, size, &a);
  FUZZ_CHECK(mb_wire_raid_array_body_decode(data, size, &again) == rc);
  if (rc != MB_OK) {
    check_zero(&a, sizeof(a));
    return;
  }
  FUZZ_CHECK(memcmp(&a, &again, sizeof(a)) == 0);
  FUZZ_CHECK(a.n_slots <= MB_WIRE_RAID_SLOTS_MAX);
  FUZZ_CHECK((unsigned)a.data + a.parity <= MB_WIRE_RAID_SLOTS_MAX);
  FUZZ_CHECK(a.name[0] != '\0' && mb_text_ok(a.name, MB_WIRE_RAID_NAME_MAX));
  uint8_t body[MB_CHANNEL_BODY_MAX];
  size_t len;
  FUZZ_CHECK(mb_wire_raid_array_body_encode(&a, body, sizeof(body), &len) ==
             MB_OK);
  FUZZ_CHECK(len <= size);
  FUZZ_CHECK(mb_wire_raid_array_body_decode(body, len, &again) == MB_OK);
  FUZZ_CHECK(memcmp(&a, &again, sizeof(a)) == 0);
}

static void check_task(const uint8_t *data, size_t size) {
  struct mb_wire_raid_task t, again;
  int rc = mb_wire_raid_task_body_decode(data, size, &t);
  FUZZ_CHECK(mb_wire_raid_task_body_decode(data, size, &again) == rc);
  if (rc != MB_OK) {
    check_zero(&t, sizeof(t));
    return;
  }
  FUZZ_CHECK(memcmp(&t, &again, sizeof(t)) == 0);
  FUZZ_CHECK(t.n_sources <= MB_WIRE_RAID_SLOTS_MAX);
  FUZZ_CHECK(t.slot < MB_WIRE_RAID_SLOTS_MAX);
  FUZZ_CHECK(t.array[0] != '\0' && mb_text_ok(t.array, MB_WIRE_RAID_NAME_MAX));
  uint8_t body[MB_CHANNEL_BODY_MAX];
  size_t len;
  FUZZ_CHECK(mb_wire_raid_task_body_encode(&t, body, sizeof(body), &len) ==
             MB_OK);
  FUZZ_CHECK(len <= size);
  FUZZ_CHECK(mb_wire_raid_task_body_decode(body, len, &again) == MB_OK);
  FUZZ_CHECK(memcmp(&t, &again, sizeof(t)) == 0);
}

static void check_leader(const uint8_t *data, size_t size) {
  struct mb_wire_raid_leader l, again;
  int rc = mb_wire_raid_leader_body_decode(data, size, &l);
  FUZZ_CHECK(mb_wire_raid_leader_body_decode(data, size, &again) == rc);
  if (rc != MB_OK) {
    check_zero(&l, sizeof(l));
    return;
  }
  FUZZ_CHECK(memcmp(&l, &again, sizeof(l)) == 0);
  FUZZ_CHECK(l.n_voters <= MB_WIRE_RAID_VOTERS_MAX);
  uint8_t body[MB_CHANNEL_BODY_MAX];
  size_t len;
  FUZZ_CHECK(mb_wire_raid_leader_body_encode(&l, body, sizeof(body), &len) ==
             MB_OK);
  FUZZ_CHECK(len <= size);
  FUZZ_CHECK(mb_wire_raid_leader_body_decode(body, len, &again) == MB_OK);
  FUZZ_CHECK(memcmp(&l, &again, sizeof(l)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check_array(data, size);
  check_task(data, size);
  check_leader(data, size);
  return 0;
}
