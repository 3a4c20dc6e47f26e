/*
 * Raft's values in the store: the codecs of a log entry and of the
 * snapshot (CDDL `raft_entry` and `raft_snapshot` in docs/store.md).
 *
 * A log entry's key is its index, 8 bytes big-endian (LMDB's byte order is
 * then index order); its value {1: term, 2: type, 3: data}.  The snapshot
 * sits under the key "snapshot" as {1: index, 2: term, 3: conf_index,
 * 4: conf, 5: data}.  Values can be megabytes, so the writers compute the
 * exact length first and encode straight into the space LMDB reserves
 * (MDB_RESERVE): no copy of a snapshot in the heap.  The decoders run on
 * every read and at open (scan.c) and are fuzzed
 * (tests/fuzz/fuzz_store_raft.c): a damaged value is an error code, never
 * a read outside its bytes.
 */
#include "store_internal.h"

#include <string.h>

enum { RE_TERM = 1, RE_TYPE, RE_DATA };
enum { RS_INDEX = 1, RS_TERM, RS_CONF_INDEX, RS_CONF, RS_DATA };
#define ENTRY_REQUIRED (1u << RE_TERM | 1u << RE_TYPE | 1u << RE_DATA)
#define SNAPSHOT_REQUIRED                                                      \
  (1u << RS_INDEX | 1u << RS_TERM | 1u << RS_CONF_INDEX | 1u << RS_CONF |      \
   1u << RS_DATA)
#define MAX_PAIRS 16

/* Bytes of a CBOR head carrying v (an unsigned integer or a length). */
static size_t head_size(uint64_t v) {
  return v < 24            ? 1
         : v <= UINT8_MAX  ? 2
         : v <= UINT16_MAX ? 3
         : v <= UINT32_MAX ? 5
                           : 9;
}

/* A small key (1..23) and its unsigned value. */
static size_t uint_field_size(uint64_t v) {
  return 1 + head_size(v);
}

static size_t bytes_field_size(size_t n) {
  return 1 + head_size(n) + n;
}

/* The value fills the space reserved for it, or a reader would find
 * trailing bytes (the sizes above and the writer disagree: a bug). */
static int exactly(const struct mb_cbor_writer *w, size_t cap) {
  int rc = mb_cw_status(w);
  return rc == MB_OK && w->len != cap ? MB_ERANGE : rc;
}

size_t mb_store__raft_entry_size(const struct mb_store_raft_entry *e) {
  return 1 + uint_field_size(e->term) + uint_field_size(e->type) +
         bytes_field_size(e->len);
}

int mb_store__raft_entry_encode(uint8_t *buf, size_t cap,
                                const struct mb_store_raft_entry *e) {
  struct mb_cbor_writer w;
  mb_cw_init(&w, buf, cap);
  mb_cw_map(&w, 3);
  mb_cw_uint(&w, RE_TERM);
  mb_cw_uint(&w, e->term);
  mb_cw_uint(&w, RE_TYPE);
  mb_cw_uint(&w, e->type);
  mb_cw_uint(&w, RE_DATA);
  mb_cw_bytes(&w, e->data, e->len);
  return exactly(&w, cap);
}

size_t mb_store__raft_snapshot_size(const struct mb_store_raft_snapshot *sn) {
  return 1 + uint_field_size(sn->index) + uint_field_size(sn->term) +
         uint_field_size(sn->conf_index) + bytes_field_size(sn->conf_len) +
         bytes_field_size(sn->data_len);
}

int mb_store__raft_snapshot_encode(uint8_t *buf, size_t cap,
                                   const struct mb_store_raft_snapshot *sn) {
  struct mb_cbor_writer w;
  mb_cw_init(&w, buf, cap);
  mb_cw_map(&w, 5);
  mb_cw_uint(&w, RS_INDEX);
  mb_cw_uint(&w, sn->index);
  mb_cw_uint(&w, RS_TERM);
  mb_cw_uint(&w, sn->term);
  mb_cw_uint(&w, RS_CONF_INDEX);
  mb_cw_uint(&w, sn->conf_index);
  mb_cw_uint(&w, RS_CONF);
  mb_cw_bytes(&w, sn->conf, sn->conf_len);
  mb_cw_uint(&w, RS_DATA);
  mb_cw_bytes(&w, sn->data, sn->data_len);
  return exactly(&w, cap);
}

static int read_bytes_max(struct mb_cbor_reader *r, size_t max,
                          const uint8_t **p, size_t *n) {
  int rc = mb_cr_bytes(r, p, n);
  return rc == MB_OK && *n > max ? MB_ETOOBIG : rc;
}

static int read_entry_field(struct mb_cbor_reader *r, int64_t key, void *ctx) {
  struct mb_store_raft_entry *e = ctx;
  uint64_t type;
  int rc;
  switch (key) {
  case RE_TERM:
    return mb_cr_uint(r, &e->term);
  case RE_TYPE:
    rc = mb_cr_uint(r, &type);
    if (rc == MB_OK && type > UINT8_MAX)
      rc = MB_ERANGE;
    e->type = (uint8_t)type;
    return rc;
  case RE_DATA:
    return read_bytes_max(r, MB_STORE_RAFT_DATA_MAX, &e->data, &e->len);
  default:
    return mb_cr_skip(r); /* a newer minor field: keep reading */
  }
}

int mb_store__raft_entry_decode(const MDB_val *k, const MDB_val *v,
                                uint64_t *index,
                                struct mb_store_raft_entry *out) {
  memset(out, 0, sizeof *out);
  if (k->mv_size != 8)
    return MB_ERANGE;
  *index = mb_store__seq_of(k);
  if (*index == 0)
    return MB_ERANGE; /* Raft's log starts at 1 */
  uint32_t seen;
  int rc = mb_cr_map_walk_all(v->mv_data, v->mv_size, MAX_PAIRS,
                              read_entry_field, out, &seen);
  if (rc == MB_OK && (seen & ENTRY_REQUIRED) != ENTRY_REQUIRED)
    rc = MB_EMISSING;
  return rc;
}

static int read_snapshot_field(struct mb_cbor_reader *r, int64_t key,
                               void *ctx) {
  struct mb_store_raft_snapshot *sn = ctx;
  switch (key) {
  case RS_INDEX:
    return mb_cr_uint(r, &sn->index);
  case RS_TERM:
    return mb_cr_uint(r, &sn->term);
  case RS_CONF_INDEX:
    return mb_cr_uint(r, &sn->conf_index);
  case RS_CONF:
    return read_bytes_max(r, MB_STORE_RAFT_CONF_MAX, &sn->conf, &sn->conf_len);
  case RS_DATA:
    return read_bytes_max(r, MB_STORE_RAFT_SNAPSHOT_MAX, &sn->data,
                          &sn->data_len);
  default:
    return mb_cr_skip(r);
  }
}

int mb_store__raft_snapshot_decode(const MDB_val *k, const MDB_val *v,
                                   struct mb_store_raft_snapshot *out) {
  memset(out, 0, sizeof *out);
  const char *key = MB_STORE__RAFT_SNAPSHOT_KEY;
  if (k->mv_size != strlen(key) || memcmp(k->mv_data, key, k->mv_size) != 0)
    return MB_ERANGE;
  uint32_t seen;
  int rc = mb_cr_map_walk_all(v->mv_data, v->mv_size, MAX_PAIRS,
                              read_snapshot_field, out, &seen);
  if (rc == MB_OK && (seen & SNAPSHOT_REQUIRED) != SNAPSHOT_REQUIRED)
    rc = MB_EMISSING;
  /* A snapshot covers index >= 1, and its configuration was committed at
   * or before it. */
  if (rc == MB_OK && (out->index == 0 || out->conf_index > out->index))
    rc = MB_ERANGE;
  return rc;
}
