/*
 * libFuzzer target: Raft's stored values (schema 5) as LMDB hands them to
 * the store: the input as a log entry's value under a good index, as the
 * snapshot's value, as a log key with a good value, and as the term.
 * What decodes must respect the store's limits, encode to exactly the
 * length the store reserves for it, and decode again to the same value.
 */
#include "fuzz_common.h"
#include "store_internal.h"

static void entry_round_trip(uint64_t index,
                             const struct mb_store_raft_entry *e) {
  size_t n = mb_store__raft_entry_size(e);
  uint8_t *buf = malloc(n);
  FUZZ_CHECK(buf != NULL);
  FUZZ_CHECK(mb_store__raft_entry_encode(buf, n, e) == MB_OK);
  uint8_t key[8];
  mb_store__seq_key(key, index);
  MDB_val k = {sizeof key, key}, v = {n, buf};
  struct mb_store_raft_entry again;
  uint64_t index_again;
  FUZZ_CHECK(mb_store__raft_entry_decode(&k, &v, &index_again, &again) ==
             MB_OK);
  FUZZ_CHECK(index_again == index && again.term == e->term &&
             again.type == e->type && again.len == e->len &&
             memcmp(again.data, e->data, e->len) == 0);
  free(buf);
}

static void check_entry(const uint8_t *data, size_t size) {
  uint8_t key[8];
  mb_store__seq_key(key, 42);
  MDB_val k = {sizeof key, key}, v = {size, (void *)data};
  struct mb_store_raft_entry e;
  uint64_t index;
  if (mb_store__raft_entry_decode(&k, &v, &index, &e) != MB_OK)
    return;
  FUZZ_CHECK(index == 42 && e.len <= MB_STORE_RAFT_DATA_MAX);
  FUZZ_CHECK(e.len == 0 || (e.data >= data && e.data + e.len <= data + size));
  entry_round_trip(index, &e);
}

static void check_snapshot(const uint8_t *data, size_t size) {
  MDB_val k = {8, "snapshot"}, v = {size, (void *)data};
  struct mb_store_raft_snapshot sn, again;
  if (mb_store__raft_snapshot_decode(&k, &v, &sn) != MB_OK)
    return;
  FUZZ_CHECK(sn.index >= 1 && sn.conf_index <= sn.index);
  FUZZ_CHECK(sn.conf_len <= MB_STORE_RAFT_CONF_MAX &&
             sn.data_len <= MB_STORE_RAFT_SNAPSHOT_MAX);
  size_t n = mb_store__raft_snapshot_size(&sn);
  uint8_t *buf = malloc(n);
  FUZZ_CHECK(buf != NULL);
  FUZZ_CHECK(mb_store__raft_snapshot_encode(buf, n, &sn) == MB_OK);
  v = (MDB_val){n, buf};
  FUZZ_CHECK(mb_store__raft_snapshot_decode(&k, &v, &again) == MB_OK);
  FUZZ_CHECK(again.index == sn.index && again.term == sn.term &&
             again.conf_index == sn.conf_index &&
             again.conf_len == sn.conf_len && again.data_len == sn.data_len &&
             memcmp(again.conf, sn.conf, sn.conf_len) == 0 &&
             memcmp(again.data, sn.data, sn.data_len) == 0);
  free(buf);
}

static void check_key(const uint8_t *data, size_t size) {
  static const uint8_t good[] = {0xa3, 0x01, 0x02, 0x02, 0x01, 0x03, 0x40};
  MDB_val k = {size, (void *)data}, v = {sizeof good, (void *)good};
  struct mb_store_raft_entry e;
  uint64_t index;
  if (mb_store__raft_entry_decode(&k, &v, &index, &e) != MB_OK)
    return;
  FUZZ_CHECK(size == 8 && index != 0 && e.term == 2 && e.type == 1 &&
             e.len == 0);
}

static void check_term(const uint8_t *data, size_t size) {
  MDB_val k = {4, "term"}, v = {size, (void *)data};
  uint64_t term;
  if (mb_store__raft_meta_decode(&k, &v, &term) != MB_OK)
    return;
  FUZZ_CHECK(size >= 1 && size <= 9);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check_entry(data, size);
  check_snapshot(data, size);
  check_key(data, size);
  check_term(data, size);
  return 0;
}
