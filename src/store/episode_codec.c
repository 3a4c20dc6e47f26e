/*
 * The bridge's episodes: the value codec (CDDL `episode` in
 * docs/store.md).  The key is the member's id, 32 bytes; the value a map
 * {1: incarnation}.  The decoder runs on every stored episode at open
 * (scan.c) and is fuzzed (tests/fuzz/fuzz_store_episode.c): a damaged
 * entry is an error code, never a read outside its bytes.
 */
#include "store_internal.h"

#include <string.h>

enum { EP_INCARNATION = 1 };
#define EPISODE_REQUIRED (1u << EP_INCARNATION)

size_t mb_store__episode_encode(uint8_t *buf, size_t cap,
                                const struct mb_store_episode *e) {
  struct mb_cbor_writer w;
  mb_cw_init(&w, buf, cap);
  mb_cw_map(&w, 1);
  mb_cw_uint(&w, EP_INCARNATION);
  mb_cw_uint(&w, e->incarnation);
  return mb_cw_status(&w) == MB_OK ? w.len : 0;
}

static int read_episode_field(struct mb_cbor_reader *r, int64_t key,
                              void *ctx) {
  struct mb_store_episode *e = ctx;
  if (key == EP_INCARNATION)
    return mb_cr_uint(r, &e->incarnation);
  return mb_cr_skip(r); /* a newer minor field: keep reading */
}

int mb_store__episode_decode(const MDB_val *k, const MDB_val *v,
                             struct mb_store_episode *out) {
  memset(out, 0, sizeof *out);
  if (k->mv_size != MB_STORE_ID_LEN)
    return MB_ERANGE;
  memcpy(out->member, k->mv_data, MB_STORE_ID_LEN);
  uint32_t seen;
  int rc = mb_cr_map_walk_all(v->mv_data, v->mv_size, 8, read_episode_field,
                              out, &seen);
  if (rc == MB_OK && (seen & EPISODE_REQUIRED) != EPISODE_REQUIRED)
    rc = MB_EMISSING;
  return rc;
}
