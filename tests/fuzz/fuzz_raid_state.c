/*
 * libFuzzer target: a RAID snapshot (mb_raid_state_decode), as a follower
 * installs it from the leader.  What decodes passes mb_raid_check, encodes
 * and decodes again to the same bytes, answers every query, and survives
 * the leader's planner: a plan over an all-alive view, each proposed
 * command applied with the invariants checked after it.
 */
#include "fuzz_common.h"
#include "mb_raid.h"

static void round_trip(const struct mb_raid_state *s) {
  uint8_t *a, *b;
  size_t an, bn;
  struct mb_raid_state *copy;
  FUZZ_CHECK(mb_raid_state_encode(s, &a, &an) == MB_OK);
  FUZZ_CHECK(mb_raid_state_decode(a, an, &copy) == MB_OK);
  FUZZ_CHECK(mb_raid_state_encode(copy, &b, &bn) == MB_OK);
  FUZZ_CHECK(an == bn && memcmp(a, b, an) == 0);
  mb_raid_state_free(copy);
  free(a);
  free(b);
}

static void query_all(const struct mb_raid_state *s) {
  struct mb_raid_device_info d;
  struct mb_raid_array_info a;
  struct mb_raid_task_info t;
  for (size_t i = 0; i < mb_raid_device_count(s); i++)
    FUZZ_CHECK(mb_raid_device_at(s, i, &d) == MB_OK &&
               d.allocated + d.reserved <= d.capacity);
  for (size_t i = 0; i < mb_raid_array_count(s); i++)
    FUZZ_CHECK(mb_raid_array_at(s, i, &a) == MB_OK &&
               a.n_slots <= MB_RAID_SLOTS_MAX);
  for (size_t i = 0; i < mb_raid_task_count(s); i++)
    FUZZ_CHECK(mb_raid_task_at(s, i, &t) == MB_OK && t.progress <= t.bytes);
}

#define FUZZ_RAID_OBS 64

static void plan_and_apply(struct mb_raid_state *s) {
  static struct mb_raid_observation obs[FUZZ_RAID_OBS];
  static struct mb_raid_cmd out[64];
  size_t n = 0;
  for (size_t i = 0; i < mb_raid_device_count(s) && n < FUZZ_RAID_OBS; i++) {
    struct mb_raid_device_info d;
    FUZZ_CHECK(mb_raid_device_at(s, i, &d) == MB_OK);
    memset(&obs[n], 0, sizeof obs[n]);
    memcpy(obs[n].id, d.id, MB_RAID_ID_LEN);
    memcpy(obs[n].name, d.name, sizeof obs[n].name);
    memcpy(obs[n].domain, d.domain, sizeof obs[n].domain);
    obs[n].incarnation = d.incarnation + 1;
    obs[n].capacity = d.capacity;
    obs[n].available = d.available;
    n++;
  }
  struct mb_raid_params params;
  mb_raid_params_default(&params);
  struct mb_raid_planner *p = mb_raid_planner_new();
  FUZZ_CHECK(p != NULL);
  size_t k = mb_raid_plan(p, s, &params, 1000, obs, n, out, 64);
  uint64_t index = mb_raid_applied_index(s);
  for (size_t i = 0; i < k; i++) {
    (void)mb_raid_apply(s, ++index, &out[i]);
    FUZZ_CHECK(mb_raid_check(s, NULL, 0) == MB_OK);
  }
  mb_raid_planner_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct mb_raid_state *s = NULL;
  int rc = mb_raid_state_decode(data, size, &s);
  if (rc != MB_OK) {
    FUZZ_CHECK(s == NULL);
    return 0;
  }
  FUZZ_CHECK(mb_raid_check(s, NULL, 0) == MB_OK);
  round_trip(s);
  query_all(s);
  plan_and_apply(s);
  mb_raid_state_free(s);
  return 0;
}
