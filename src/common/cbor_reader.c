/*
 * Strict, allocation-free CBOR reading on top of libcbor's streaming decoder.
 *
 * libcbor decodes one head per call and reports it through callbacks; this
 * file turns that into a pull interface and adds what a network decoder needs
 * and libcbor leaves to its user: definite lengths only, shortest heads only
 * (RFC 8949 §4.2.1), bounded nesting, and map keys in ascending order.
 */
#include "mb_common.h"

#include <cbor.h>
#include <string.h>

struct decode_ctx {
  struct mb_cbor_token *t;
  int err; /* set by callbacks for items we never accept */
};

#define CTX(c) ((struct decode_ctx *)(c))

static void on_uint8(void *c, uint8_t v) {
  CTX(c)->t->type = MB_CBOR_UINT;
  CTX(c)->t->u = v;
}
static void on_uint16(void *c, uint16_t v) {
  on_uint8(c, 0), CTX(c)->t->u = v;
}
static void on_uint32(void *c, uint32_t v) {
  on_uint8(c, 0), CTX(c)->t->u = v;
}
static void on_uint64(void *c, uint64_t v) {
  on_uint8(c, 0), CTX(c)->t->u = v;
}

static void on_negint8(void *c, uint8_t v) {
  CTX(c)->t->type = MB_CBOR_NEGINT;
  CTX(c)->t->u = v;
}
static void on_negint16(void *c, uint16_t v) {
  on_negint8(c, 0), CTX(c)->t->u = v;
}
static void on_negint32(void *c, uint32_t v) {
  on_negint8(c, 0), CTX(c)->t->u = v;
}
static void on_negint64(void *c, uint64_t v) {
  on_negint8(c, 0), CTX(c)->t->u = v;
}

static void on_bytes(void *c, cbor_data p, size_t n) {
  CTX(c)->t->type = MB_CBOR_BYTES;
  CTX(c)->t->ptr = p;
  CTX(c)->t->len = n;
}
static void on_text(void *c, cbor_data p, size_t n) {
  on_bytes(c, p, n);
  CTX(c)->t->type = MB_CBOR_TEXT;
}
static void on_array(void *c, size_t n) {
  CTX(c)->t->type = MB_CBOR_ARRAY;
  CTX(c)->t->u = n;
}
static void on_map(void *c, size_t n) {
  CTX(c)->t->type = MB_CBOR_MAP;
  CTX(c)->t->u = n;
}
static void on_tag(void *c, uint64_t v) {
  CTX(c)->t->type = MB_CBOR_TAG;
  CTX(c)->t->u = v;
}
static void on_float(void *c, float f) {
  CTX(c)->t->type = MB_CBOR_FLOAT;
  CTX(c)->t->f = f;
}
static void on_double(void *c, double f) {
  CTX(c)->t->type = MB_CBOR_FLOAT;
  CTX(c)->t->f = f;
}
static void on_bool(void *c, bool v) {
  CTX(c)->t->type = v ? MB_CBOR_TRUE : MB_CBOR_FALSE;
}
static void on_null(void *c) {
  CTX(c)->t->type = MB_CBOR_NULL;
}
static void on_undef(void *c) {
  CTX(c)->t->type = MB_CBOR_UNDEFINED;
}
static void on_indefinite(void *c) {
  CTX(c)->err = MB_EINDEF;
}

static const struct cbor_callbacks strict_callbacks = {
    .uint8 = on_uint8,
    .uint16 = on_uint16,
    .uint32 = on_uint32,
    .uint64 = on_uint64,
    .negint8 = on_negint8,
    .negint16 = on_negint16,
    .negint32 = on_negint32,
    .negint64 = on_negint64,
    .byte_string = on_bytes,
    .byte_string_start = on_indefinite,
    .string = on_text,
    .string_start = on_indefinite,
    .array_start = on_array,
    .indef_array_start = on_indefinite,
    .map_start = on_map,
    .indef_map_start = on_indefinite,
    .tag = on_tag,
    .float2 = on_float,
    .float4 = on_float,
    .float8 = on_double,
    .undefined = on_undef,
    .null = on_null,
    .boolean = on_bool,
    .indef_break = on_indefinite,
};

void mb_cr_init(struct mb_cbor_reader *r, const uint8_t *buf, size_t len) {
  r->p = buf;
  r->end = buf + len;
}

bool mb_cr_done(const struct mb_cbor_reader *r) {
  return r->p == r->end;
}

/* The argument of a head must use the shortest of the 1/2/3/5/9-byte forms. */
static bool head_is_shortest(size_t head_len, uint64_t arg) {
  switch (head_len) {
  case 1:
    return arg < 24;
  case 2:
    return arg >= 24;
  case 3:
    return arg > 0xff;
  case 5:
    return arg > 0xffff;
  case 9:
    return arg > 0xffffffffu;
  default:
    return false;
  }
}

static int check_shortest(const struct mb_cbor_token *t) {
  switch (t->type) {
  case MB_CBOR_UINT:
  case MB_CBOR_NEGINT:
  case MB_CBOR_ARRAY:
  case MB_CBOR_MAP:
  case MB_CBOR_TAG:
    return head_is_shortest(t->head_len, t->u) ? MB_OK : MB_ENONCANON;
  case MB_CBOR_BYTES:
  case MB_CBOR_TEXT:
    return head_is_shortest(t->head_len - t->len, t->len) ? MB_OK
                                                          : MB_ENONCANON;
  default:
    return MB_OK;
  }
}

/* libcbor 0.8 rejects the one-byte tag heads 0xc6..0xd4 (tags 6..20) as
 * "unassigned", yet RFC 8949 allows any tag and COSE_Sign1 is tag 18 (0xd2). */
static bool is_short_tag_head(uint8_t b) {
  return b >= 0xc6 && b <= 0xd4;
}

int mb_cr_next(struct mb_cbor_reader *r, struct mb_cbor_token *t) {
  if (r->p >= r->end)
    return MB_ETRUNCATED;
  memset(t, 0, sizeof(*t));
  if (is_short_tag_head(*r->p)) {
    t->type = MB_CBOR_TAG;
    t->u = *r->p & 0x1fu;
    t->head = r->p++;
    t->head_len = 1;
    return MB_OK;
  }
  t->type = MB_CBOR_UNDEFINED;
  struct decode_ctx ctx = {.t = t, .err = MB_OK};
  size_t avail = (size_t)(r->end - r->p);
  struct cbor_decoder_result res =
      cbor_stream_decode(r->p, avail, &strict_callbacks, &ctx);
  if (res.status == CBOR_DECODER_NEDATA)
    return MB_ETRUNCATED;
  if (res.status != CBOR_DECODER_FINISHED || res.read == 0 || res.read > avail)
    return MB_EMALFORMED;
  if (ctx.err)
    return ctx.err;
  t->head = r->p;
  t->head_len = res.read;
  int rc = check_shortest(t);
  if (rc)
    return rc;
  r->p += res.read;
  return MB_OK;
}

int mb_cr_expect(struct mb_cbor_reader *r, enum mb_cbor_type type,
                 struct mb_cbor_token *t) {
  struct mb_cbor_reader save = *r;
  int rc = mb_cr_next(r, t);
  if (rc)
    return rc;
  if (t->type != type) {
    *r = save;
    return MB_ETYPE;
  }
  return MB_OK;
}

int mb_cr_uint(struct mb_cbor_reader *r, uint64_t *v) {
  struct mb_cbor_token t;
  int rc = mb_cr_expect(r, MB_CBOR_UINT, &t);
  if (rc == MB_OK)
    *v = t.u;
  return rc;
}

int mb_cr_int(struct mb_cbor_reader *r, int64_t *v) {
  struct mb_cbor_token t;
  struct mb_cbor_reader save = *r;
  int rc = mb_cr_next(r, &t);
  if (rc)
    return rc;
  if (t.type != MB_CBOR_UINT && t.type != MB_CBOR_NEGINT) {
    *r = save;
    return MB_ETYPE;
  }
  if (t.u > (uint64_t)INT64_MAX)
    return MB_ERANGE;
  *v = t.type == MB_CBOR_UINT ? (int64_t)t.u : -1 - (int64_t)t.u;
  return MB_OK;
}

int mb_cr_bytes(struct mb_cbor_reader *r, const uint8_t **p, size_t *n) {
  struct mb_cbor_token t;
  int rc = mb_cr_expect(r, MB_CBOR_BYTES, &t);
  if (rc == MB_OK) {
    *p = t.ptr;
    *n = t.len;
  }
  return rc;
}

int mb_cr_text(struct mb_cbor_reader *r, const char **p, size_t *n) {
  struct mb_cbor_token t;
  int rc = mb_cr_expect(r, MB_CBOR_TEXT, &t);
  if (rc == MB_OK) {
    *p = (const char *)t.ptr;
    *n = t.len;
  }
  return rc;
}

int mb_cr_bool(struct mb_cbor_reader *r, bool *v) {
  struct mb_cbor_token t;
  struct mb_cbor_reader save = *r;
  int rc = mb_cr_next(r, &t);
  if (rc)
    return rc;
  if (t.type != MB_CBOR_TRUE && t.type != MB_CBOR_FALSE) {
    *r = save;
    return MB_ETYPE;
  }
  *v = t.type == MB_CBOR_TRUE;
  return MB_OK;
}

int mb_cr_text_copy(struct mb_cbor_reader *r, char *dst, size_t max) {
  const char *p;
  size_t n;
  int rc = mb_cr_text(r, &p, &n);
  if (rc)
    return rc;
  if (n > max)
    return MB_ETOOBIG;
  if (memchr(p, '\0', n) != NULL || !mb_utf8_valid((const uint8_t *)p, n))
    return MB_ERANGE;
  memcpy(dst, p, n);
  dst[n] = '\0';
  return MB_OK;
}

int mb_cr_skip_rest(struct mb_cbor_reader *r, const struct mb_cbor_token *t,
                    int depth) {
  uint64_t children;
  switch (t->type) {
  case MB_CBOR_ARRAY:
    children = t->u;
    break;
  case MB_CBOR_MAP:
    if (t->u > UINT64_MAX / 2)
      return MB_ETOOBIG;
    children = 2 * t->u;
    break;
  case MB_CBOR_TAG:
    children = 1;
    break;
  default:
    return MB_OK;
  }
  if (depth >= MB_CBOR_MAX_DEPTH)
    return MB_EDEPTH;
  /* Every child needs at least one byte: a count larger than the rest of the
   * input is a lie, caught here before we loop on it. */
  if (children > (uint64_t)(r->end - r->p))
    return MB_ETRUNCATED;
  for (uint64_t i = 0; i < children; i++) {
    struct mb_cbor_token c;
    int rc = mb_cr_next(r, &c);
    if (rc)
      return rc;
    rc = mb_cr_skip_rest(r, &c, depth + 1);
    if (rc)
      return rc;
  }
  return MB_OK;
}

int mb_cr_skip(struct mb_cbor_reader *r) {
  struct mb_cbor_token t;
  int rc = mb_cr_next(r, &t);
  if (rc)
    return rc;
  return mb_cr_skip_rest(r, &t, 0);
}

int mb_cr_map_begin(struct mb_cbor_reader *r, struct mb_cbor_map_iter *it,
                    uint64_t max_pairs) {
  struct mb_cbor_token t;
  int rc = mb_cr_expect(r, MB_CBOR_MAP, &t);
  if (rc)
    return rc;
  if (t.u > max_pairs)
    return MB_ETOOBIG;
  it->left = t.u;
  it->prev_key = NULL;
  it->prev_len = 0;
  return MB_OK;
}

/* RFC 8949 §4.2.1: keys sort bytewise lexicographically by their encoding. */
static int encoded_key_cmp(const uint8_t *a, size_t alen, const uint8_t *b,
                           size_t blen) {
  int c = memcmp(a, b, alen < blen ? alen : blen);
  if (c != 0 || alen == blen)
    return c;
  return alen < blen ? -1 : 1;
}

int mb_cr_map_key(struct mb_cbor_reader *r, struct mb_cbor_map_iter *it,
                  int64_t *key) {
  if (it->left == 0)
    return 0;
  struct mb_cbor_token t;
  int rc = mb_cr_next(r, &t);
  if (rc)
    return rc;
  if (t.type != MB_CBOR_UINT && t.type != MB_CBOR_NEGINT)
    return MB_ETYPE;
  if (t.u > (uint64_t)INT64_MAX)
    return MB_ERANGE;
  if (it->prev_key != NULL &&
      encoded_key_cmp(it->prev_key, it->prev_len, t.head, t.head_len) >= 0)
    return MB_EDUPKEY;
  it->prev_key = t.head;
  it->prev_len = t.head_len;
  it->left--;
  *key = t.type == MB_CBOR_UINT ? (int64_t)t.u : -1 - (int64_t)t.u;
  return 1;
}

int mb_cr_map_walk(struct mb_cbor_reader *r, uint64_t max_pairs,
                   mb_cr_field_fn field, void *ctx, uint32_t *seen) {
  struct mb_cbor_map_iter it;
  uint32_t keys = 0;
  int64_t key;
  int rc = mb_cr_map_begin(r, &it, max_pairs);
  while (rc == MB_OK && (rc = mb_cr_map_key(r, &it, &key)) > 0) {
    if (key >= 0 && key < 32)
      keys |= (uint32_t)1 << key;
    rc = field(r, key, ctx);
  }
  if (seen != NULL)
    *seen = keys;
  return rc < 0 ? rc : MB_OK;
}

int mb_cr_map_walk_all(const uint8_t *p, size_t n, uint64_t max_pairs,
                       mb_cr_field_fn field, void *ctx, uint32_t *seen) {
  struct mb_cbor_reader r;
  mb_cr_init(&r, p, n);
  int rc = mb_cr_map_walk(&r, max_pairs, field, ctx, seen);
  if (rc == MB_OK && !mb_cr_done(&r))
    rc = MB_ETRAILING;
  return rc;
}
