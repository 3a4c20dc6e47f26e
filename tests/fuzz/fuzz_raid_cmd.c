/*
 * libFuzzer target: a RAID command as a Raft log entry (mb_raid_cmd_decode).
 * What decodes must decode alike twice, encode within MB_RAID_CMD_MAX and
 * decode again to the same command; a refusal leaves nothing behind.  Then
 * the command is applied to two replicas of raid_world's state: they must
 * answer alike, the invariants must hold, and a refused command must leave
 * the state's encoding exactly as it was.
 */
#include "fuzz_common.h"
#include "raid_world.h"

static void same_encoding(const struct mb_raid_state *a,
                          const struct mb_raid_state *b) {
  uint8_t *x, *y;
  size_t xn, yn;
  FUZZ_CHECK(mb_raid_state_encode(a, &x, &xn) == MB_OK);
  FUZZ_CHECK(mb_raid_state_encode(b, &y, &yn) == MB_OK);
  FUZZ_CHECK(xn == yn && memcmp(x, y, xn) == 0);
  free(x);
  free(y);
}

static void apply_to_replicas(const struct mb_raid_cmd *c) {
  struct raid_world one, two, untouched;
  FUZZ_CHECK(raid_world_build(&one) == MB_OK);
  FUZZ_CHECK(raid_world_build(&two) == MB_OK);
  FUZZ_CHECK(raid_world_build(&untouched) == MB_OK);
  uint64_t index = mb_raid_applied_index(one.s) + 1;
  int rc = mb_raid_apply(one.s, index, c);
  FUZZ_CHECK(mb_raid_apply(two.s, index, c) == rc);
  FUZZ_CHECK(mb_raid_check(one.s, NULL, 0) == MB_OK);
  same_encoding(one.s, two.s);
  if (rc != MB_OK)
    same_encoding(one.s, untouched.s);
  raid_world_free(&one);
  raid_world_free(&two);
  raid_world_free(&untouched);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct mb_raid_cmd c, again;
  int rc = mb_raid_cmd_decode(data, size, &c);
  FUZZ_CHECK(mb_raid_cmd_decode(data, size, &again) == rc);
  if (rc != MB_OK) {
    static const struct mb_raid_cmd none;
    FUZZ_CHECK(memcmp(&c, &none, sizeof c) == 0);
    return 0;
  }
  FUZZ_CHECK(memcmp(&c, &again, sizeof c) == 0);
  uint8_t buf[MB_RAID_CMD_MAX];
  size_t len;
  FUZZ_CHECK(mb_raid_cmd_encode(&c, buf, sizeof buf, &len) == MB_OK);
  FUZZ_CHECK(len <= size); /* never longer than what it came from */
  FUZZ_CHECK(mb_raid_cmd_decode(buf, len, &again) == MB_OK);
  FUZZ_CHECK(memcmp(&c, &again, sizeof c) == 0);
  apply_to_replicas(&c);
  return 0;
}
