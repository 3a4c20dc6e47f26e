/*
 * libFuzzer target: mb_coord_record, what every device does with a RAID
 * publication record (kinds 23-25) its gossip core took or restored.  The
 * core checked the signature; the coordinator must take any bytes at all
 * without a crash, keep its view within bounds, and answer its queries
 * from what it took: counts and entries agree, indexes past the count are
 * MB_ENOENT, and the same record given again changes nothing.  The view
 * holds self and a member whose ref the seeds' slots name, so ids are
 * resolved both ways.
 */
#include "fuzz_common.h"
#include "mb_coord.h"

static void view_of(const struct mb_identity *self,
                    struct swim_member_info m[2]) {
  memset(m, 0, 2 * sizeof(*m));
  memcpy(m[0].id, self->pk, MB_NODE_ID_LEN);
  snprintf(m[0].name, sizeof(m[0].name), "self");
  m[0].is_self = true;
  memset(m[1].id, 0x10, MB_NODE_ID_LEN);
  snprintf(m[1].name, sizeof(m[1].name), "other");
  snprintf(m[1].domain, sizeof(m[1].domain), "rack1");
  m[1].state = SWIM_DEAD;
  m[1].capacity = 1ull << 40;
}

static void check_queries(const struct mb_coord *c) {
  size_t n = mb_coord_array_count(c);
  struct mb_raid_array_info a;
  for (size_t i = 0; i < n; i++) {
    FUZZ_CHECK(mb_coord_array_at(c, i, &a) == 0);
    FUZZ_CHECK(a.n_slots <= MB_RAID_SLOTS_MAX && a.name[0] != '\0');
  }
  FUZZ_CHECK(mb_coord_array_at(c, n, &a) == MB_ENOENT);
  n = mb_coord_task_count(c);
  struct mb_raid_task_info t;
  for (size_t i = 0; i < n; i++) {
    FUZZ_CHECK(mb_coord_task_at(c, i, &t) == 0);
    FUZZ_CHECK(t.n_sources <= MB_RAID_SLOTS_MAX);
  }
  FUZZ_CHECK(mb_coord_task_at(c, n, &t) == MB_ENOENT);
  n = mb_coord_ledger_count(c);
  struct mb_raid_device_info d;
  for (size_t i = 0; i < n; i++)
    FUZZ_CHECK(mb_coord_ledger_at(c, i, &d) == 0);
  FUZZ_CHECK(mb_coord_ledger_at(c, n, &d) == MB_ENOENT);
  struct mb_coord_status st;
  mb_coord_info(c, &st);
  FUZZ_CHECK(st.from_publication && st.n_voters <= MB_CONSENSUS_VOTERS_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct mb_identity self;
  fuzz_identity(&self, FUZZ_KEY_NODE_A);
  struct mb_consensus_storage *storage = mb_consensus_memory_new();
  struct mb_coord_config cfg;
  mb_coord_config_default(&cfg);
  cfg.id = &self;
  cfg.cluster = FUZZ_AAD;
  cfg.raft.storage = *storage;
  int64_t wall = FUZZ_NOW_S * 1000;
  struct mb_coord *c = mb_coord_new(&cfg, 1, wall);
  FUZZ_CHECK(c != NULL);
  struct swim_member_info view[2];
  view_of(&self, view);
  mb_coord_view(c, 1, wall, view, 2);
  struct swim_record_info info = {.kind = MB_REC_RAID_ARRAY};
  mb_coord_record(c, 2, &info, data, size);
  check_queries(c);
  struct mb_coord_status before, after;
  mb_coord_info(c, &before);
  size_t arrays = mb_coord_array_count(c), tasks = mb_coord_task_count(c);
  mb_coord_record(c, 3, &info, data, size);
  mb_coord_info(c, &after);
  FUZZ_CHECK(mb_coord_array_count(c) == arrays);
  FUZZ_CHECK(mb_coord_task_count(c) == tasks);
  FUZZ_CHECK(after.published_index == before.published_index);
  struct mb_coord_output o;
  while (mb_coord_poll(c, &o))
    FUZZ_CHECK(o.kind != MB_COORD_OUT_RECORD); /* no leader here */
  mb_coord_tick(c, 4, wall + 1000);
  check_queries(c);
  mb_coord_free(c);
  mb_consensus_memory_free(storage);
  return 0;
}
