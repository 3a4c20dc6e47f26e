/*
 * libFuzzer target: the strict CBOR reader every decoder above is built on.
 * Four walks over the same input: item by item with mb_cr_skip, head by head
 * with mb_cr_next (every accepted head must re-encode to the same bytes,
 * since only deterministic encoding is accepted), through nested maps with
 * the key-order checks, and with the typed getters.
 */
#include "fuzz_common.h"

#include <stdbool.h>

static void skip_all(const uint8_t *data, size_t size) {
  struct mb_cbor_reader r;
  mb_cr_init(&r, data, size);
  while (!mb_cr_done(&r)) {
    const uint8_t *before = r.p;
    if (mb_cr_skip(&r) != MB_OK)
      break;
    FUZZ_CHECK(r.p > before && r.p <= r.end);
  }
}

/* Writes the head of t again; returns false for types with no fixed form. */
static bool reencode_head(struct mb_cbor_writer *w,
                          const struct mb_cbor_token *t) {
  switch (t->type) {
  case MB_CBOR_UINT:
    mb_cw_uint(w, t->u);
    return true;
  case MB_CBOR_NEGINT:
    if (t->u > (uint64_t)INT64_MAX)
      return false; /* mb_cw_int cannot express it */
    mb_cw_int(w, -1 - (int64_t)t->u);
    return true;
  case MB_CBOR_BYTES:
  case MB_CBOR_TEXT:
    mb_cw_bytes_head(w, t->len);
    if (t->type == MB_CBOR_TEXT && w->len > 0)
      w->buf[0] ^= 0x20; /* major type 2 -> 3, same argument */
    return true;
  case MB_CBOR_ARRAY:
    mb_cw_array(w, (size_t)t->u);
    return true;
  case MB_CBOR_MAP:
    mb_cw_map(w, (size_t)t->u);
    return true;
  case MB_CBOR_TAG:
    mb_cw_tag(w, t->u);
    return true;
  default:
    return false;
  }
}

static void check_token(const struct mb_cbor_token *t, const uint8_t *data,
                        size_t size) {
  FUZZ_CHECK(t->head_len > 0);
  FUZZ_CHECK(fuzz_within(t->head, t->head_len, data, size));
  if (t->type == MB_CBOR_BYTES || t->type == MB_CBOR_TEXT) {
    FUZZ_CHECK(t->len < t->head_len);
    FUZZ_CHECK(t->ptr == t->head + (t->head_len - t->len));
  }
  uint8_t buf[16];
  struct mb_cbor_writer w;
  mb_cw_init(&w, buf, sizeof(buf));
  if (!reencode_head(&w, t))
    return;
  size_t head_only = t->head_len - t->len; /* len is 0 but for strings */
  FUZZ_CHECK(mb_cw_status(&w) == MB_OK);
  FUZZ_CHECK(w.len == head_only && memcmp(buf, t->head, w.len) == 0);
}

static void next_all(const uint8_t *data, size_t size) {
  struct mb_cbor_reader r;
  struct mb_cbor_token t;
  mb_cr_init(&r, data, size);
  while (mb_cr_next(&r, &t) == MB_OK)
    check_token(&t, data, size);
}

/* RFC 8949 §4.2.1 order for integer keys: 0, 1, 2, ..., then -1, -2, ... */
static bool key_follows(int64_t prev, int64_t key) {
  if (prev >= 0)
    return key < 0 || key > prev;
  return key < 0 && key < prev;
}

static void walk_item(struct mb_cbor_reader *r, int depth) {
  struct mb_cbor_reader save = *r;
  struct mb_cbor_map_iter it;
  if (depth < MB_CBOR_MAX_DEPTH && mb_cr_map_begin(r, &it, 64) == MB_OK) {
    int64_t key, prev = 0;
    bool first = true;
    while (mb_cr_map_key(r, &it, &key) > 0) {
      FUZZ_CHECK(first || key_follows(prev, key));
      first = false;
      prev = key;
      walk_item(r, depth + 1);
    }
    return;
  }
  *r = save;
  (void)mb_cr_skip(r);
}

static void walk_maps(const uint8_t *data, size_t size) {
  struct mb_cbor_reader r;
  mb_cr_init(&r, data, size);
  while (!mb_cr_done(&r)) {
    const uint8_t *before = r.p;
    walk_item(&r, 0);
    if (r.p == before)
      break;
  }
}

/* Calls getter number i % 5 at the current position.  (mb_cr_int and
 * mb_cr_bool consume a head of the wrong type where the others do not; the
 * walk only needs every call to stay inside the input.) */
static int typed_get(struct mb_cbor_reader *r, size_t i) {
  uint64_t u;
  int64_t s;
  const uint8_t *p;
  const char *c;
  size_t n;
  bool b;
  switch (i % 5) {
  case 0:
    return mb_cr_uint(r, &u);
  case 1:
    return mb_cr_int(r, &s);
  case 2:
    return mb_cr_bytes(r, &p, &n);
  case 3:
    return mb_cr_text(r, &c, &n);
  default:
    return mb_cr_bool(r, &b);
  }
}

static void typed_all(const uint8_t *data, size_t size) {
  struct mb_cbor_reader r;
  mb_cr_init(&r, data, size);
  for (size_t i = 0; !mb_cr_done(&r); i++) {
    int rc = typed_get(&r, i);
    if (rc == MB_ETYPE || rc == MB_ERANGE)
      rc = mb_cr_skip(&r);
    if (rc != MB_OK)
      break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  skip_all(data, size);
  next_all(data, size);
  walk_maps(data, size);
  typed_all(data, size);
  return 0;
}
