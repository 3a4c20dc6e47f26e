/*
 * The outbox's keys and values (CDDL in docs/store.md).  Every decoder
 * here is run on every stored entry by the checks at open (scan.c) and is
 * fuzzed (tests/fuzz/fuzz_store_value.c): a damaged entry is an error
 * code, never a read outside its bytes.
 */
#include "store_internal.h"

#include <string.h>

enum {
  O_ID = 1,
  O_CREATED,
  O_ATTEMPTS,
  O_NEXT_ATTEMPT,
  O_STATE,
  O_REASON,
  O_BODY,
};
#define OUTBOX_REQUIRED                                                        \
  (1u << O_ID | 1u << O_CREATED | 1u << O_ATTEMPTS | 1u << O_NEXT_ATTEMPT |    \
   1u << O_STATE | 1u << O_BODY)
/* Map and item heads, the integers at their widest, the id and reason. */
#define VALUE_OVERHEAD                                                         \
  (64 + MB_STORE_DELIVERY_ID_MAX + MB_STORE_PARK_REASON_MAX)

/* Printable ASCII without space: what may go into an HTTP header value
 * and a log line as it is. */
bool mb_store__outbox_name_ok(const char *p, size_t n, size_t max) {
  if (n == 0 || n > max)
    return false;
  for (size_t i = 0; i < n; i++)
    if (p[i] < 0x21 || p[i] > 0x7e)
      return false;
  return true;
}

void mb_store__outbox_key(uint8_t key[MB_STORE__OUTBOX_KEY_MAX],
                          const char *dest, uint64_t seq, MDB_val *k) {
  size_t n = strlen(dest);
  key[0] = (uint8_t)n;
  memcpy(key + 1, dest, n);
  mb_store__seq_key(key + 1 + n, seq);
  *k = (MDB_val){1 + n + 8, key};
}

void mb_store__outbox_id_key(uint8_t key[MB_STORE__OUTBOX_ID_KEY_MAX],
                             const char *dest, const char *id, MDB_val *k) {
  size_t n = strlen(dest), m = strlen(id);
  key[0] = (uint8_t)n;
  memcpy(key + 1, dest, n);
  memcpy(key + 1 + n, id, m);
  *k = (MDB_val){1 + n + m, key};
}

size_t mb_store__outbox_value_cap(size_t body_len) {
  return body_len + VALUE_OVERHEAD;
}

size_t mb_store__outbox_encode(uint8_t *buf, size_t cap,
                               const struct mb_store_outbox_entry *e) {
  struct mb_cbor_writer w;
  bool parked = e->state == MB_STORE_OUTBOX_PARKED && e->reason[0];
  mb_cw_init(&w, buf, cap);
  mb_cw_map(&w, parked ? 7 : 6);
  mb_cw_uint(&w, O_ID);
  mb_cw_textz(&w, e->id);
  mb_cw_uint(&w, O_CREATED);
  mb_cw_int(&w, e->created_ms);
  mb_cw_uint(&w, O_ATTEMPTS);
  mb_cw_uint(&w, e->attempts);
  mb_cw_uint(&w, O_NEXT_ATTEMPT);
  mb_cw_int(&w, e->next_attempt_ms);
  mb_cw_uint(&w, O_STATE);
  mb_cw_uint(&w, e->state);
  if (parked) {
    mb_cw_uint(&w, O_REASON);
    mb_cw_textz(&w, e->reason);
  }
  mb_cw_uint(&w, O_BODY);
  mb_cw_bytes(&w, e->body, e->body_len);
  return mb_cw_status(&w) == MB_OK ? w.len : 0;
}

static int read_name(struct mb_cbor_reader *r, char *dst, size_t max) {
  int rc = mb_cr_text_copy(r, dst, max);
  if (rc == MB_OK && !mb_store__outbox_name_ok(dst, strlen(dst), max))
    rc = MB_ERANGE;
  return rc;
}

static int read_bounded(struct mb_cbor_reader *r, uint64_t max, uint64_t *v) {
  int rc = mb_cr_uint(r, v);
  return rc == MB_OK && *v > max ? MB_ERANGE : rc;
}

static int read_entry_field(struct mb_cbor_reader *r, int64_t key, void *ctx) {
  struct mb_store_outbox_entry *e = ctx;
  uint64_t v;
  int rc;
  switch (key) {
  case O_ID:
    return read_name(r, e->id, MB_STORE_DELIVERY_ID_MAX);
  case O_CREATED:
    return mb_cr_int(r, &e->created_ms);
  case O_ATTEMPTS:
    rc = read_bounded(r, UINT32_MAX, &v);
    e->attempts = (uint32_t)v;
    return rc;
  case O_NEXT_ATTEMPT:
    return mb_cr_int(r, &e->next_attempt_ms);
  case O_STATE:
    rc = read_bounded(r, MB_STORE_OUTBOX_PARKED, &v);
    e->state = (uint8_t)v;
    return rc;
  case O_REASON:
    return mb_cr_text_copy(r, e->reason, MB_STORE_PARK_REASON_MAX);
  case O_BODY:
    rc = mb_cr_bytes(r, &e->body, &e->body_len);
    return rc == MB_OK && e->body_len > MB_STORE_BODY_MAX ? MB_ETOOBIG : rc;
  default:
    return mb_cr_skip(r); /* a newer minor field: keep reading */
  }
}

/* len(dest) || dest || tail of tail_min..tail_max bytes. */
static int split_key(const MDB_val *k, size_t tail_min, size_t tail_max,
                     char dest[MB_STORE_DEST_MAX + 1], const uint8_t **tail,
                     size_t *tail_len) {
  const uint8_t *p = k->mv_data;
  if (k->mv_size < 1)
    return MB_ERANGE;
  size_t n = p[0];
  if (k->mv_size < 1 + n + tail_min || k->mv_size > 1 + n + tail_max ||
      !mb_store__outbox_name_ok((const char *)p + 1, n, MB_STORE_DEST_MAX))
    return MB_ERANGE;
  memcpy(dest, p + 1, n);
  dest[n] = '\0';
  *tail = p + 1 + n;
  *tail_len = k->mv_size - 1 - n;
  return MB_OK;
}

int mb_store__outbox_decode(const MDB_val *k, const MDB_val *v,
                            struct mb_store_outbox_entry *out) {
  memset(out, 0, sizeof *out);
  const uint8_t *tail;
  size_t tail_len;
  int rc = split_key(k, 8, 8, out->dest, &tail, &tail_len);
  if (rc != MB_OK)
    return rc;
  MDB_val seq_key = {tail_len, (void *)tail};
  out->seq = mb_store__seq_of(&seq_key);
  if (out->seq == 0)
    return MB_ERANGE;
  uint32_t seen;
  rc = mb_cr_map_walk_all(v->mv_data, v->mv_size, 16, read_entry_field, out,
                          &seen);
  if (rc == MB_OK && (seen & OUTBOX_REQUIRED) != OUTBOX_REQUIRED)
    rc = MB_EMISSING;
  return rc;
}

int mb_store__outbox_id_decode(const MDB_val *k, const MDB_val *v,
                               uint64_t *seq) {
  char dest[MB_STORE_DEST_MAX + 1];
  const uint8_t *id;
  size_t id_len;
  int rc = split_key(k, 1, MB_STORE_DELIVERY_ID_MAX, dest, &id, &id_len);
  if (rc == MB_OK && !mb_store__outbox_name_ok((const char *)id, id_len,
                                               MB_STORE_DELIVERY_ID_MAX))
    rc = MB_ERANGE;
  if (rc == MB_OK)
    rc = mb_store__uint_decode(v->mv_data, v->mv_size, seq);
  return rc == MB_OK && *seq == 0 ? MB_ERANGE : rc;
}

int mb_store__outbox_seq_decode(const MDB_val *k, const MDB_val *v,
                                uint64_t *seq) {
  if (!mb_store__outbox_name_ok(k->mv_data, k->mv_size, MB_STORE_DEST_MAX))
    return MB_ERANGE;
  return mb_store__uint_decode(v->mv_data, v->mv_size, seq);
}
