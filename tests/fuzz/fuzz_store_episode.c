/*
 * libFuzzer target: a stored bridge episode (schema 4), as LMDB hands it
 * to the store: the input as the value under a good member id, and as
 * the key with a good value.  What decodes must name the member of its
 * key, must fit the store's fixed encoding, and must encode and decode
 * again to the same episode; a key decodes only at a member id's length.
 */
#include "fuzz_common.h"
#include "store_internal.h"

static void round_trip(const struct mb_store_episode *e) {
  uint8_t buf[MB_STORE__EPISODE_VALUE_MAX];
  size_t n = mb_store__episode_encode(buf, sizeof buf, e);
  FUZZ_CHECK(n > 0);
  MDB_val k = {MB_STORE_ID_LEN, (void *)e->member}, v = {n, buf};
  struct mb_store_episode again;
  FUZZ_CHECK(mb_store__episode_decode(&k, &v, &again) == MB_OK);
  FUZZ_CHECK(memcmp(again.member, e->member, MB_STORE_ID_LEN) == 0 &&
             again.incarnation == e->incarnation);
}

static void check_value(const uint8_t *data, size_t size) {
  uint8_t id[MB_STORE_ID_LEN];
  memset(id, 0x5a, sizeof id);
  MDB_val k = {sizeof id, id}, v = {size, (void *)data};
  struct mb_store_episode e;
  if (mb_store__episode_decode(&k, &v, &e) != MB_OK)
    return;
  FUZZ_CHECK(memcmp(e.member, id, sizeof id) == 0);
  round_trip(&e);
}

static void check_key(const uint8_t *data, size_t size) {
  static const uint8_t good[] = {0xa1, 0x01, 0x07}; /* {1: 7} */
  MDB_val k = {size, (void *)data}, v = {sizeof good, (void *)good};
  struct mb_store_episode e;
  if (mb_store__episode_decode(&k, &v, &e) != MB_OK)
    return;
  FUZZ_CHECK(size == MB_STORE_ID_LEN && e.incarnation == 7);
  FUZZ_CHECK(memcmp(e.member, data, MB_STORE_ID_LEN) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check_value(data, size);
  check_key(data, size);
  return 0;
}
