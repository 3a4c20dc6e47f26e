/* The CBOR values of the store (CDDL in docs/store.md) and its keys. */
#include "store_internal.h"

#include <string.h>

enum { M_STATE = 1, M_SINCE, M_INCARNATION, M_RECORD, M_CERT };
enum { E_TIME = 1, E_ID, E_NAME, E_FROM, E_TO, E_REASON, E_INCARNATION };

#define MEMBER_REQUIRED                                                        \
  (1u << M_STATE | 1u << M_SINCE | 1u << M_INCARNATION | 1u << M_RECORD)
#define EVENT_REQUIRED                                                         \
  (1u << E_TIME | 1u << E_ID | 1u << E_NAME | 1u << E_FROM | 1u << E_TO |      \
   1u << E_REASON | 1u << E_INCARNATION)

void mb_store__seq_key(uint8_t key[8], uint64_t seq) {
  for (int i = 7; i >= 0; i--, seq >>= 8)
    key[i] = (uint8_t)seq;
}

uint64_t mb_store__seq_of(const MDB_val *key) {
  const uint8_t *p = key->mv_data;
  uint64_t seq = 0;
  for (size_t i = 0; i < 8 && i < key->mv_size; i++)
    seq = seq << 8 | p[i];
  return seq;
}

int mb_store__get_uint(MDB_txn *txn, MDB_dbi dbi, const char *key,
                       uint64_t *v) {
  MDB_val k = {strlen(key), (void *)key}, val;
  int rc = mdb_get(txn, dbi, &k, &val);
  if (rc)
    return rc;
  return mb_store__uint_decode(val.mv_data, val.mv_size, v);
}

int mb_store__uint_decode(const uint8_t *p, size_t n, uint64_t *v) {
  struct mb_cbor_reader r;
  mb_cr_init(&r, p, n);
  int rc = mb_cr_uint(&r, v);
  return rc == MB_OK && !mb_cr_done(&r) ? MB_ETRAILING : rc;
}

int mb_store__put_uint(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t v) {
  uint8_t buf[9];
  struct mb_cbor_writer w;
  mb_cw_init(&w, buf, sizeof buf);
  mb_cw_uint(&w, v);
  MDB_val k = {strlen(key), (void *)key}, val = {w.len, buf};
  return mdb_put(txn, dbi, &k, &val, 0);
}

size_t mb_store__member_encode(uint8_t *buf, size_t cap,
                               const struct mb_store_member *m) {
  struct mb_cbor_writer w;
  mb_cw_init(&w, buf, cap);
  mb_cw_map(&w, m->cert_len ? 5 : 4);
  mb_cw_uint(&w, M_STATE);
  mb_cw_uint(&w, m->state);
  mb_cw_uint(&w, M_SINCE);
  mb_cw_int(&w, m->since_ms);
  mb_cw_uint(&w, M_INCARNATION);
  mb_cw_uint(&w, m->incarnation);
  mb_cw_uint(&w, M_RECORD);
  mb_cw_bytes(&w, m->record, m->record_len);
  if (m->cert_len) {
    mb_cw_uint(&w, M_CERT);
    mb_cw_bytes(&w, m->cert, m->cert_len);
  }
  return mb_cw_status(&w) == MB_OK ? w.len : 0;
}

static int read_small(struct mb_cbor_reader *r, uint64_t max, uint8_t *out) {
  uint64_t v;
  int rc = mb_cr_uint(r, &v);
  if (rc == MB_OK && v > max)
    rc = MB_ERANGE;
  if (rc == MB_OK)
    *out = (uint8_t)v;
  return rc;
}

static int read_bytes_max(struct mb_cbor_reader *r, size_t max,
                          const uint8_t **p, size_t *n) {
  int rc = mb_cr_bytes(r, p, n);
  return rc == MB_OK && *n > max ? MB_ETOOBIG : rc;
}

static int read_member_field(struct mb_cbor_reader *r, int64_t key, void *ctx) {
  struct mb_store_member *m = ctx;
  switch (key) {
  case M_STATE:
    return read_small(r, MB_STORE_LEFT, &m->state);
  case M_SINCE:
    return mb_cr_int(r, &m->since_ms);
  case M_INCARNATION:
    return mb_cr_uint(r, &m->incarnation);
  case M_RECORD:
    return read_bytes_max(r, MB_STORE_RECORD_MAX, &m->record, &m->record_len);
  case M_CERT:
    return read_bytes_max(r, MB_STORE_CERT_MAX, &m->cert, &m->cert_len);
  default:
    return mb_cr_skip(r); /* a newer minor field: keep reading */
  }
}

int mb_store__member_decode(const uint8_t *p, size_t n,
                            struct mb_store_member *m) {
  uint32_t seen;
  m->cert = NULL;
  m->cert_len = 0;
  int rc = mb_cr_map_walk_all(p, n, 16, read_member_field, m, &seen);
  if (rc == MB_OK && (seen & MEMBER_REQUIRED) != MEMBER_REQUIRED)
    rc = MB_EMISSING;
  return rc;
}

size_t mb_store__event_encode(uint8_t *buf, size_t cap,
                              const struct mb_store_event *ev) {
  struct mb_cbor_writer w;
  mb_cw_init(&w, buf, cap);
  mb_cw_map(&w, 7);
  mb_cw_uint(&w, E_TIME);
  mb_cw_int(&w, ev->time_ms);
  mb_cw_uint(&w, E_ID);
  mb_cw_bytes(&w, ev->id, MB_STORE_ID_LEN);
  mb_cw_uint(&w, E_NAME);
  mb_cw_textz(&w, ev->name);
  mb_cw_uint(&w, E_FROM);
  mb_cw_uint(&w, ev->from);
  mb_cw_uint(&w, E_TO);
  mb_cw_uint(&w, ev->to);
  mb_cw_uint(&w, E_REASON);
  mb_cw_uint(&w, ev->reason);
  mb_cw_uint(&w, E_INCARNATION);
  mb_cw_uint(&w, ev->incarnation);
  return mb_cw_status(&w) == MB_OK ? w.len : 0;
}

static int read_id(struct mb_cbor_reader *r, uint8_t id[MB_STORE_ID_LEN]) {
  const uint8_t *p;
  size_t n;
  int rc = mb_cr_bytes(r, &p, &n);
  if (rc == MB_OK && n != MB_STORE_ID_LEN)
    rc = MB_ERANGE;
  if (rc == MB_OK)
    memcpy(id, p, n);
  return rc;
}

static int read_event_field(struct mb_cbor_reader *r, int64_t key, void *ctx) {
  struct mb_store_event *ev = ctx;
  switch (key) {
  case E_TIME:
    return mb_cr_int(r, &ev->time_ms);
  case E_ID:
    return read_id(r, ev->id);
  case E_NAME:
    return mb_cr_text_copy(r, ev->name, MB_STORE_NAME_MAX);
  case E_FROM:
    return read_small(r, UINT8_MAX, &ev->from);
  case E_TO:
    return read_small(r, UINT8_MAX, &ev->to);
  case E_REASON:
    return read_small(r, UINT8_MAX, &ev->reason);
  case E_INCARNATION:
    return mb_cr_uint(r, &ev->incarnation);
  default:
    return mb_cr_skip(r);
  }
}

int mb_store__event_decode(const uint8_t *p, size_t n,
                           struct mb_store_event *ev) {
  uint32_t seen;
  int rc = mb_cr_map_walk_all(p, n, 16, read_event_field, ev, &seen);
  if (rc == MB_OK && (seen & EVENT_REQUIRED) != EVENT_REQUIRED)
    rc = MB_EMISSING;
  return rc;
}
