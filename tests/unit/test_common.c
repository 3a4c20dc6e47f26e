/*
 * Unit tests for src/common: error names, hex text, and the strict CBOR
 * writer and reader.  The reader is the first thing network input meets, so
 * most tests here feed it hand-written bytes that a careless decoder would
 * accept (non-shortest heads, indefinite lengths, lying counts, disordered
 * keys) and check that each is refused with the right code.
 */
#include "test_util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mb_common.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Runs mb_cr_next over exactly the given bytes and returns its code. */
static int next_of(const uint8_t *p, size_t n, struct mb_cbor_token *t) {
  struct mb_cbor_reader r;
  mb_cr_init(&r, p, n);
  return mb_cr_next(&r, t);
}

/* Runs mb_cr_skip over the bytes; also insists a success consumed them all. */
static int skip_all(const uint8_t *p, size_t n) {
  struct mb_cbor_reader r;
  mb_cr_init(&r, p, n);
  int rc = mb_cr_skip(&r);
  if (rc == MB_OK)
    assert_true(mb_cr_done(&r));
  return rc;
}

/* ---- errors ------------------------------------------------------------ */

static void test_errname_project_code(void **state) {
  (void)state;
  assert_string_equal(mb_errname(MB_EBADSIG), "MB_EBADSIG");
  assert_string_equal(mb_strerror(MB_EBADSIG), "signature does not verify");
  assert_string_equal(mb_errname(MB_OK), "MB_OK");
  assert_string_equal(mb_strerror(MB_OK), "success");
}

static void test_errname_errno(void **state) {
  (void)state;
  assert_string_equal(mb_errname(-ENOENT), "ENOENT");
  assert_string_equal(mb_strerror(-ENOENT), strerror(ENOENT));
  assert_string_equal(mb_errname(-EEXIST), "EEXIST");
}

static void test_errname_unknown(void **state) {
  (void)state;
  assert_string_equal(mb_errname(12345), "EUNKNOWN");
  assert_string_equal(mb_strerror(12345), "unknown error");
  assert_string_equal(mb_strerror(-99999), "unknown error");
}

/* Every code of the X-macro table has its own name and a real message, and
 * no project code collides with an errno value (they sit below -2000). */
static void test_every_code_is_named(void **state) {
  (void)state;
  static const struct {
    int code;
    const char *name;
    const char *msg;
  } table[] = {
#define ROW(n, v, m) {n, #n, m},
      MB_ERRNO_MAP(ROW)
#undef ROW
  };
  for (size_t i = 0; i < LEN(table); i++) {
    assert_string_equal(mb_errname(table[i].code), table[i].name);
    assert_string_equal(mb_strerror(table[i].code), table[i].msg);
    assert_true(table[i].code < -2000);
    for (size_t j = 0; j < i; j++)
      assert_int_not_equal(table[i].code, table[j].code);
  }
}

/* ---- hex --------------------------------------------------------------- */

static void test_hex_round_trip(void **state) {
  (void)state;
  uint8_t bin[256], back[256];
  char text[2 * sizeof(bin) + 1];
  for (size_t i = 0; i < sizeof(bin); i++)
    bin[i] = (uint8_t)i;
  mb_hex_encode(text, bin, sizeof(bin));
  assert_int_equal(strlen(text), 2 * sizeof(bin));
  assert_memory_equal(text, "000102", 6);
  assert_memory_equal(text + 2 * 0xab, "abacad", 6); /* lowercase */
  assert_ok(mb_hex_decode(back, sizeof(back), text));
  assert_memory_equal(back, bin, sizeof(bin));
}

static void test_hex_accepts_uppercase(void **state) {
  (void)state;
  uint8_t b[3];
  assert_ok(mb_hex_decode(b, 3, "DEadBF"));
  assert_int_equal(b[0], 0xde);
  assert_int_equal(b[1], 0xad);
  assert_int_equal(b[2], 0xbf);
}

static void test_hex_empty(void **state) {
  (void)state;
  char text[1] = {'x'};
  uint8_t b[1] = {0x55};
  mb_hex_encode(text, b, 0);
  assert_string_equal(text, "");
  assert_ok(mb_hex_decode(b, 0, ""));
}

static void test_hex_rejects_bad(void **state) {
  (void)state;
  uint8_t b[2];
  static const char *const bad[] = {
      "",       /* too short */
      "abc",    /* odd length: ends inside the second byte */
      "abcdef", /* too long */
      "abcg",   /* not a hex digit */
      "ab c",   /* space */
      "0x12",   /* prefix */
      "-1ab",   /* sign */
      "ab\n",   /* a newline is not a digit */
  };
  for (size_t i = 0; i < LEN(bad); i++) {
    int rc = mb_hex_decode(b, sizeof(b), bad[i]);
    if (rc != MB_EINVAL)
      fail_msg("hex \"%s\": got %s, expected MB_EINVAL", bad[i],
               mb_errname(rc));
  }
}

/* ---- writer ------------------------------------------------------------ */

struct enc_case {
  const char *what;
  uint8_t want[12];
  size_t want_len;
};

static void check_encoding(const struct mb_cbor_writer *w,
                           const struct enc_case *c) {
  assert_ok(mb_cw_status(w));
  if (w->len != c->want_len || memcmp(w->buf, c->want, c->want_len) != 0)
    fail_msg("%s: encoded %zu bytes, expected %zu (or bytes differ)", c->what,
             w->len, c->want_len);
}

/* Heads of every size class at both edges (RFC 8949 §4.2.1, Appendix A). */
static void test_writer_shortest_uint(void **state) {
  (void)state;
  static const struct {
    uint64_t v;
    struct enc_case c;
  } cases[] = {
      {0, {"0", {0x00}, 1}},
      {23, {"23", {0x17}, 1}},
      {24, {"24", {0x18, 0x18}, 2}},
      {255, {"255", {0x18, 0xff}, 2}},
      {256, {"256", {0x19, 0x01, 0x00}, 3}},
      {65535, {"65535", {0x19, 0xff, 0xff}, 3}},
      {65536, {"65536", {0x1a, 0x00, 0x01, 0x00, 0x00}, 5}},
      {0xffffffffu, {"2^32-1", {0x1a, 0xff, 0xff, 0xff, 0xff}, 5}},
      {0x100000000u, {"2^32", {0x1b, 0, 0, 0, 1, 0, 0, 0, 0}, 9}},
      {UINT64_MAX,
       {"2^64-1", {0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 9}},
  };
  for (size_t i = 0; i < LEN(cases); i++) {
    uint8_t buf[16];
    struct mb_cbor_writer w;
    mb_cw_init(&w, buf, sizeof(buf));
    mb_cw_uint(&w, cases[i].v);
    check_encoding(&w, &cases[i].c);
  }
}

static void test_writer_shortest_int(void **state) {
  (void)state;
  static const struct {
    int64_t v;
    struct enc_case c;
  } cases[] = {
      {-1, {"-1", {0x20}, 1}},
      {-24, {"-24", {0x37}, 1}},
      {-25, {"-25", {0x38, 0x18}, 2}},
      {-8, {"-8 (EdDSA)", {0x27}, 1}},
      {-65537, {"-65537", {0x3a, 0x00, 0x01, 0x00, 0x00}, 5}},
      {INT64_MIN,
       {"INT64_MIN",
        {0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
        9}},
      {INT64_MAX,
       {"INT64_MAX",
        {0x1b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
        9}},
  };
  for (size_t i = 0; i < LEN(cases); i++) {
    uint8_t buf[16];
    struct mb_cbor_writer w;
    mb_cw_init(&w, buf, sizeof(buf));
    mb_cw_int(&w, cases[i].v);
    check_encoding(&w, &cases[i].c);
  }
}

static void test_writer_other_items(void **state) {
  (void)state;
  uint8_t buf[64];
  struct mb_cbor_writer w;
  mb_cw_init(&w, buf, sizeof(buf));
  mb_cw_tag(&w, 18);
  mb_cw_array(&w, 4);
  mb_cw_map(&w, 1);
  mb_cw_bytes(&w, "\x01\x02", 2);
  mb_cw_textz(&w, "IETF");
  mb_cw_bool(&w, true);
  mb_cw_bool(&w, false);
  mb_cw_null(&w);
  mb_cw_bytes_head(&w, 300);
  static const uint8_t want[] = {0xd2, 0x84, 0xa1, 0x42, 0x01, 0x02,
                                 0x64, 'I',  'E',  'T',  'F',  0xf5,
                                 0xf4, 0xf6, 0x59, 0x01, 0x2c};
  assert_ok(mb_cw_status(&w));
  assert_int_equal(w.len, sizeof(want));
  assert_memory_equal(buf, want, sizeof(want));
}

/* Once a call does not fit, the writer stays failed and writes nothing more,
 * even items that would fit the room left, so a builder can write many items
 * and check once at the end without ever producing a gap-ridden encoding. */
static void test_writer_sticky_enospace(void **state) {
  (void)state;
  uint8_t buf[8];
  memset(buf, 0xee, sizeof(buf));
  struct mb_cbor_writer w;
  mb_cw_init(&w, buf, 5);
  mb_cw_uint(&w, 1000); /* 0x19 0x03 0xe8 */
  assert_ok(mb_cw_status(&w));
  assert_int_equal(w.len, 3);
  mb_cw_uint(&w, 0x10000); /* needs 5 bytes, 2 left */
  assert_rc(mb_cw_status(&w), MB_ENOSPACE);
  assert_int_equal(w.len, 3);
  /* Each of these would fit the 2 bytes left; none may be written. */
  mb_cw_uint(&w, 1);
  mb_cw_int(&w, -1);
  mb_cw_raw(&w, "x", 1);
  mb_cw_bytes(&w, "", 0);
  mb_cw_text(&w, "", 0);
  mb_cw_array(&w, 0);
  mb_cw_map(&w, 0);
  mb_cw_tag(&w, 1);
  mb_cw_bool(&w, true);
  mb_cw_null(&w);
  mb_cw_bytes_head(&w, 1);
  assert_rc(mb_cw_status(&w), MB_ENOSPACE);
  assert_int_equal(w.len, 3);
  assert_int_equal(buf[3], 0xee);
  assert_int_equal(buf[4], 0xee);
}

/* A head that does not fit is not written in part. */
static void test_writer_partial_head_not_written(void **state) {
  (void)state;
  uint8_t buf[4];
  memset(buf, 0xee, sizeof(buf));
  struct mb_cbor_writer w;
  mb_cw_init(&w, buf, 2);
  mb_cw_uint(&w, 1000); /* needs 3 */
  assert_rc(mb_cw_status(&w), MB_ENOSPACE);
  assert_int_equal(w.len, 0);
  assert_int_equal(buf[0], 0xee);
  assert_int_equal(buf[2], 0xee);
}

static void test_writer_enospace_each_kind(void **state) {
  (void)state;
  uint8_t buf[4];
  struct mb_cbor_writer w;
  mb_cw_init(&w, buf, 2);
  mb_cw_bytes(&w, "abcd", 4);
  assert_rc(mb_cw_status(&w), MB_ENOSPACE);
  mb_cw_init(&w, buf, 2);
  mb_cw_textz(&w, "abcd");
  assert_rc(mb_cw_status(&w), MB_ENOSPACE);
  mb_cw_init(&w, buf, 0);
  mb_cw_map(&w, 1);
  assert_rc(mb_cw_status(&w), MB_ENOSPACE);
  mb_cw_init(&w, buf, 1);
  mb_cw_tag(&w, 61); /* 0xd8 0x3d */
  assert_rc(mb_cw_status(&w), MB_ENOSPACE);
  mb_cw_init(&w, buf, 0);
  mb_cw_bool(&w, true);
  assert_rc(mb_cw_status(&w), MB_ENOSPACE);
}

/* ---- reader: accepted input -------------------------------------------- */

static void test_reader_round_trip(void **state) {
  (void)state;
  uint8_t buf[128];
  struct mb_cbor_writer w;
  mb_cw_init(&w, buf, sizeof(buf));
  mb_cw_uint(&w, 0x123456789u);
  mb_cw_int(&w, -500);
  mb_cw_bytes(&w, "\x00\xff", 2);
  mb_cw_textz(&w, "node-a");
  mb_cw_bool(&w, true);
  assert_ok(mb_cw_status(&w));

  struct mb_cbor_reader r;
  uint64_t u;
  int64_t i;
  const uint8_t *bp;
  const char *tp;
  size_t n;
  bool b;
  mb_cr_init(&r, buf, w.len);
  assert_ok(mb_cr_uint(&r, &u));
  assert_int_equal(u, 0x123456789u);
  assert_ok(mb_cr_int(&r, &i));
  assert_int_equal(i, -500);
  assert_ok(mb_cr_bytes(&r, &bp, &n));
  assert_int_equal(n, 2);
  assert_memory_equal(bp, "\x00\xff", 2);
  assert_ok(mb_cr_text(&r, &tp, &n));
  assert_int_equal(n, 6);
  assert_memory_equal(tp, "node-a", 6);
  assert_ok(mb_cr_bool(&r, &b));
  assert_true(b);
  assert_true(mb_cr_done(&r));
  assert_rc(mb_cr_uint(&r, &u), MB_ETRUNCATED); /* nothing left */
}

/* The smallest value of each head size is the shortest form: accepted. */
static void test_reader_accepts_edges(void **state) {
  (void)state;
  static const struct {
    uint8_t b[9];
    size_t n;
    uint64_t v;
  } cases[] = {
      {{0x17}, 1, 23},
      {{0x18, 0x18}, 2, 24},
      {{0x19, 0x01, 0x00}, 3, 256},
      {{0x1a, 0x00, 0x01, 0x00, 0x00}, 5, 65536},
      {{0x1b, 0, 0, 0, 1, 0, 0, 0, 0}, 9, 0x100000000u},
  };
  for (size_t i = 0; i < LEN(cases); i++) {
    struct mb_cbor_token t;
    assert_ok(next_of(cases[i].b, cases[i].n, &t));
    assert_int_equal(t.type, MB_CBOR_UINT);
    assert_int_equal(t.u, cases[i].v);
    assert_int_equal(t.head_len, cases[i].n);
  }
}

/* mb_cr_expect leaves the reader where it was when the type is wrong, so a
 * decoder can try another interpretation. */
static void test_reader_expect_wrong_type(void **state) {
  (void)state;
  static const uint8_t in[] = {0x63, 'a', 'b', 'c'};
  struct mb_cbor_reader r;
  struct mb_cbor_token t;
  uint64_t u;
  mb_cr_init(&r, in, sizeof(in));
  assert_rc(mb_cr_uint(&r, &u), MB_ETYPE);
  assert_ptr_equal(r.p, in);
  assert_ok(mb_cr_expect(&r, MB_CBOR_TEXT, &t));
  assert_int_equal(t.len, 3);
  assert_true(mb_cr_done(&r));
}

static void test_reader_int_range(void **state) {
  (void)state;
  static const uint8_t big[] = {0x1b, 0xff, 0xff, 0xff, 0xff,
                                0xff, 0xff, 0xff, 0xff};
  static const uint8_t neg_big[] = {0x3b, 0x80, 0, 0, 0, 0, 0, 0, 0};
  static const uint8_t neg_min[] = {0x3b, 0x7f, 0xff, 0xff, 0xff,
                                    0xff, 0xff, 0xff, 0xff};
  struct mb_cbor_reader r;
  int64_t v;
  mb_cr_init(&r, big, sizeof(big));
  assert_rc(mb_cr_int(&r, &v), MB_ERANGE);
  mb_cr_init(&r, neg_big, sizeof(neg_big)); /* -2^63 - 1 */
  assert_rc(mb_cr_int(&r, &v), MB_ERANGE);
  mb_cr_init(&r, neg_min, sizeof(neg_min)); /* -2^63 fits */
  assert_ok(mb_cr_int(&r, &v));
  assert_true(v == INT64_MIN);
}

/* ---- reader: rejected input -------------------------------------------- */

/* Every proper prefix of a valid item ends inside it. */
static void test_reader_truncated(void **state) {
  (void)state;
  static const uint8_t items[][10] = {
      {0x19, 0x01, 0x00},
      {0x1b, 0, 0, 0, 1, 0, 0, 0, 0},
      {0x43, 'a', 'b', 'c'},
      {0x63, 'a', 'b', 'c'},
  };
  static const size_t lens[] = {3, 9, 4, 4};
  for (size_t i = 0; i < LEN(items); i++) {
    for (size_t n = 0; n < lens[i]; n++) {
      struct mb_cbor_token t;
      int rc = next_of(items[i], n, &t);
      if (rc != MB_ETRUNCATED)
        fail_msg("item %zu cut to %zu bytes: got %s, want MB_ETRUNCATED", i, n,
                 mb_errname(rc));
    }
  }
}

static void test_reader_truncated_container(void **state) {
  (void)state;
  static const uint8_t arr[] = {0x82, 0x01};         /* [1, <missing>] */
  static const uint8_t map[] = {0xa1, 0x01};         /* {1: <missing>} */
  static const uint8_t tag[] = {0xd2};               /* 18(<missing>) */
  static const uint8_t inner[] = {0x81, 0x19, 0x01}; /* [<cut uint16>] */
  assert_rc(skip_all(arr, sizeof(arr)), MB_ETRUNCATED);
  assert_rc(skip_all(map, sizeof(map)), MB_ETRUNCATED);
  assert_rc(skip_all(tag, sizeof(tag)), MB_ETRUNCATED);
  assert_rc(skip_all(inner, sizeof(inner)), MB_ETRUNCATED);
}

/* Deterministic encoding: an argument must use its shortest head. */
static void test_reader_rejects_non_shortest(void **state) {
  (void)state;
  static const struct {
    const char *what;
    uint8_t b[10];
    size_t n;
  } cases[] = {
      {"5 in 1+1", {0x18, 0x05}, 2},
      {"23 in 1+1", {0x18, 0x17}, 2},
      {"16 in 1+2", {0x19, 0x00, 0x10}, 3},
      {"255 in 1+2", {0x19, 0x00, 0xff}, 3},
      {"65535 in 1+4", {0x1a, 0x00, 0x00, 0xff, 0xff}, 5},
      {"2^32-1 in 1+8", {0x1b, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, 9},
      {"-6 in 1+1", {0x38, 0x05}, 2},
      {"bytes len 1 in 1+1", {0x58, 0x01, 'a'}, 3},
      {"text len 0 in 1+1", {0x78, 0x00}, 2},
      {"text len 2 in 1+2", {0x79, 0x00, 0x02, 'h', 'i'}, 5},
      {"array 1 in 1+1", {0x98, 0x01, 0x00}, 3},
      {"map 0 in 1+1", {0xb8, 0x00}, 2},
      {"tag 18 in 1+1", {0xd8, 0x12, 0x00}, 3},
  };
  for (size_t i = 0; i < LEN(cases); i++) {
    struct mb_cbor_token t;
    int rc = next_of(cases[i].b, cases[i].n, &t);
    if (rc != MB_ENONCANON)
      fail_msg("%s: got %s, want MB_ENONCANON", cases[i].what, mb_errname(rc));
  }
}

static void test_reader_rejects_indefinite(void **state) {
  (void)state;
  static const struct {
    const char *what;
    uint8_t b[4];
    size_t n;
  } cases[] = {
      {"array 0x9f", {0x9f, 0x01, 0xff}, 3},
      {"map 0xbf", {0xbf, 0x01, 0x02, 0xff}, 4},
      {"bytes 0x5f", {0x5f, 0x41, 'a', 0xff}, 4},
      {"text 0x7f", {0x7f, 0x61, 'a', 0xff}, 4},
      {"bare break 0xff", {0xff}, 1},
  };
  for (size_t i = 0; i < LEN(cases); i++) {
    struct mb_cbor_token t;
    int rc = next_of(cases[i].b, cases[i].n, &t);
    if (rc != MB_EINDEF)
      fail_msg("%s: got %s, want MB_EINDEF", cases[i].what, mb_errname(rc));
    /* The same must hold when the item is reached by skipping. */
    uint8_t wrapped[5] = {0x81};
    memcpy(wrapped + 1, cases[i].b, cases[i].n);
    rc = skip_all(wrapped, cases[i].n + 1);
    if (rc != MB_EINDEF)
      fail_msg("[%s]: got %s, want MB_EINDEF", cases[i].what, mb_errname(rc));
  }
}

/* Additional information 28..30 is reserved, and a simple value below 32 in
 * the two-byte form (0xf8 0x14 for false) is not well-formed (RFC 8949
 * §3.3): neither is CBOR at all. */
static void test_reader_rejects_malformed(void **state) {
  (void)state;
  static const uint8_t heads[][2] = {{0x1c},       {0x1d},      {0x1e}, {0x3c},
                                     {0x5c},       {0x9c},      {0xbc}, {0xfc},
                                     {0xf8, 0x14}, {0xf8, 0x00}};
  for (size_t i = 0; i < LEN(heads); i++) {
    struct mb_cbor_token t;
    uint8_t b[4] = {heads[i][0], heads[i][1], 0, 0};
    int rc = next_of(b, sizeof(b), &t);
    if (rc != MB_EMALFORMED)
      fail_msg("head 0x%02x 0x%02x: got %s, want MB_EMALFORMED", b[0], b[1],
               mb_errname(rc));
  }
}

/* ---- reader: maps ------------------------------------------------------- */

/* Walks a map of uint values with mb_cr_map_key; returns the first error or
 * the number of keys seen. */
static int walk_map(const uint8_t *p, size_t n, uint64_t max_pairs) {
  struct mb_cbor_reader r;
  struct mb_cbor_map_iter it;
  mb_cr_init(&r, p, n);
  int rc = mb_cr_map_begin(&r, &it, max_pairs);
  if (rc)
    return rc;
  int keys = 0;
  int64_t key;
  while ((rc = mb_cr_map_key(&r, &it, &key)) > 0) {
    keys++;
    rc = mb_cr_skip(&r);
    if (rc)
      return rc;
  }
  return rc < 0 ? rc : keys;
}

static void test_map_keys_in_order(void **state) {
  (void)state;
  /* {0: 0, 1: 0, 23: 0, 24: 0, -1: 0}: bytewise order of the encodings, so
   * -1 (0x20) sorts after 24 (0x18 0x18). */
  static const uint8_t ok[] = {0xa5, 0x00, 0x00, 0x01, 0x00, 0x17,
                               0x00, 0x18, 0x18, 0x00, 0x20, 0x00};
  assert_int_equal(walk_map(ok, sizeof(ok), 8), 5);
  static const uint8_t empty[] = {0xa0};
  assert_int_equal(walk_map(empty, sizeof(empty), 0), 0);
}

static void test_map_key_values(void **state) {
  (void)state;
  static const uint8_t in[] = {0xa2, 0x07, 0xf6, 0x3a, 0x00,
                               0x01, 0x00, 0x00, 0xf6}; /* {7, -65537} */
  struct mb_cbor_reader r;
  struct mb_cbor_map_iter it;
  int64_t key;
  mb_cr_init(&r, in, sizeof(in));
  assert_ok(mb_cr_map_begin(&r, &it, 2));
  assert_int_equal(mb_cr_map_key(&r, &it, &key), 1);
  assert_int_equal(key, 7);
  assert_ok(mb_cr_skip(&r));
  assert_int_equal(mb_cr_map_key(&r, &it, &key), 1);
  assert_true(key == -65537);
  assert_ok(mb_cr_skip(&r));
  assert_int_equal(mb_cr_map_key(&r, &it, &key), 0);
  assert_true(mb_cr_done(&r));
}

static void test_map_rejects_bad_keys(void **state) {
  (void)state;
  static const struct {
    const char *what;
    uint8_t b[8];
    size_t n;
    int want;
  } cases[] = {
      {"duplicate 1", {0xa2, 0x01, 0x00, 0x01, 0x00}, 5, MB_EDUPKEY},
      {"2 before 1", {0xa2, 0x02, 0x00, 0x01, 0x00}, 5, MB_EDUPKEY},
      {"-1 before 1", {0xa2, 0x20, 0x00, 0x01, 0x00}, 5, MB_EDUPKEY},
      {"24 before 23", {0xa2, 0x18, 0x18, 0x00, 0x17, 0x00}, 6, MB_EDUPKEY},
      {"duplicate -1", {0xa2, 0x20, 0x00, 0x20, 0x00}, 5, MB_EDUPKEY},
      {"text key", {0xa1, 0x61, 'k', 0x00}, 4, MB_ETYPE},
      {"bytes key", {0xa1, 0x41, 'k', 0x00}, 4, MB_ETYPE},
      {"too many pairs",
       {0xa3, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00},
       7,
       MB_ETOOBIG},
      {"not a map", {0x80}, 1, MB_ETYPE},
  };
  for (size_t i = 0; i < LEN(cases); i++) {
    int rc = walk_map(cases[i].b, cases[i].n, 2);
    if (rc != cases[i].want)
      fail_msg("%s: got %d (%s), want %s", cases[i].what, rc, mb_errname(rc),
               mb_errname(cases[i].want));
  }
}

/* A key larger than INT64_MAX cannot be returned as int64_t. */
static void test_map_key_out_of_range(void **state) {
  (void)state;
  static const uint8_t in[] = {0xa1, 0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x00};
  assert_rc(walk_map(in, sizeof(in), 4), MB_ERANGE);
}

/* ---- reader: skip ------------------------------------------------------- */

/* n arrays nested in each other, the innermost empty: 0x81 ... 0x81 0x80. */
static size_t nested_arrays(uint8_t *buf, size_t n) {
  for (size_t i = 0; i + 1 < n; i++)
    buf[i] = 0x81;
  buf[n - 1] = 0x80;
  return n;
}

static void test_skip_nested_items(void **state) {
  (void)state;
  /* [1, {2: "ab", 3: [h'00', 18(4)]}, -7] */
  static const uint8_t in[] = {0x83, 0x01, 0xa2, 0x02, 0x62, 'a',  'b', 0x03,
                               0x82, 0x41, 0x00, 0xd2, 0x04, 0x26, 0x00};
  struct mb_cbor_reader r;
  mb_cr_init(&r, in, sizeof(in));
  assert_ok(mb_cr_skip(&r));
  assert_int_equal(r.p - in, sizeof(in) - 1); /* stops after the array */
  assert_ok(mb_cr_skip(&r));
  assert_true(mb_cr_done(&r));
}

/* MB_CBOR_MAX_DEPTH nested containers are fine, one more is refused: the
 * bound that stops a small packet from recursing deep into the stack. */
static void test_skip_depth_limit(void **state) {
  (void)state;
  uint8_t buf[64];
  size_t n = nested_arrays(buf, MB_CBOR_MAX_DEPTH);
  assert_ok(skip_all(buf, n));
  n = nested_arrays(buf, MB_CBOR_MAX_DEPTH + 1);
  assert_rc(skip_all(buf, n), MB_EDEPTH);
  n = nested_arrays(buf, 40);
  assert_rc(skip_all(buf, n), MB_EDEPTH);
}

static void test_skip_depth_counts_tags_and_maps(void **state) {
  (void)state;
  uint8_t buf[64];
  size_t n = 0;
  for (int i = 0; i < MB_CBOR_MAX_DEPTH; i++) {
    buf[n++] = 0xa1; /* {0: ...} */
    buf[n++] = 0x00;
  }
  buf[n++] = 0xd2; /* one level more: 18(0) */
  buf[n++] = 0x00;
  assert_rc(skip_all(buf, n), MB_EDEPTH);
}

/* A count that the remaining input cannot possibly hold is refused as
 * truncated (every child needs at least one byte), and a map whose pair
 * count doubles past 2^64 as too big. */
static void test_skip_count_exceeds_input(void **state) {
  (void)state;
  static const uint8_t arr3[] = {0x83, 0x01};
  static const uint8_t arr_huge[] = {0x9a, 0xff, 0xff, 0xff, 0xff, 0x00};
  static const uint8_t map_huge[] = {0xbb, 0x00, 0x00, 0x00, 0x01,
                                     0x00, 0x00, 0x00, 0x00, 0x00};
  static const uint8_t map_overflow[] = {0xbb, 0xff, 0xff, 0xff, 0xff,
                                         0xff, 0xff, 0xff, 0xff};
  assert_rc(skip_all(arr3, sizeof(arr3)), MB_ETRUNCATED);
  assert_rc(skip_all(arr_huge, sizeof(arr_huge)), MB_ETRUNCATED);
  assert_rc(skip_all(map_huge, sizeof(map_huge)), MB_ETRUNCATED);
  assert_rc(skip_all(map_overflow, sizeof(map_overflow)), MB_ETOOBIG);
}

/* RFC 3629 edge cases: each must be accepted or refused as the RFC says. */
static void test_utf8_validation(void **state) {
  (void)state;
  static const struct {
    const char *bytes;
    bool valid;
  } cases[] = {
      {"", true},
      {"node-1", true},
      {"\xc3\xa9t\xc3\xa9", true}, /* été */
      {"\xe2\x82\xac", true},      /* U+20AC */
      {"\xf0\x9f\x92\xbe", true},  /* U+1F4BE */
      {"\xf4\x8f\xbf\xbf", true},  /* U+10FFFF, the last */
      {"\xff\xfe", false},         /* never in UTF-8 */
      {"\x80", false},             /* lone continuation */
      {"\xc0\xaf", false},         /* overlong '/' */
      {"\xe0\x80\xaf", false},     /* overlong, 3 bytes */
      {"\xed\xa0\x80", false},     /* surrogate U+D800 */
      {"\xf4\x90\x80\x80", false}, /* above U+10FFFF */
      {"\xe2\x82", false},         /* truncated */
      {"a\xc3", false},            /* truncated at the end */
      {"\xe2\x28\xa1", false},     /* bad continuation */
  };
  for (size_t i = 0; i < LEN(cases); i++) {
    const char *s = cases[i].bytes;
    if (mb_utf8_valid((const uint8_t *)s, strlen(s)) != cases[i].valid)
      fail_msg("case %zu: want %s", i, cases[i].valid ? "valid" : "invalid");
  }
}

static void test_text_copy_rejects_invalid_utf8(void **state) {
  (void)state;
  const uint8_t bad[] = {0x62, 0xc3, 0x28};  /* "\xc3(" */
  const uint8_t good[] = {0x62, 0xc3, 0xa9}; /* "é" */
  const uint8_t nul[] = {0x62, 'a', 0x00};
  char out[8];
  struct mb_cbor_reader r;
  mb_cr_init(&r, bad, sizeof(bad));
  assert_rc(mb_cr_text_copy(&r, out, 7), MB_ERANGE);
  mb_cr_init(&r, nul, sizeof(nul));
  assert_rc(mb_cr_text_copy(&r, out, 7), MB_ERANGE);
  mb_cr_init(&r, good, sizeof(good));
  assert_ok(mb_cr_text_copy(&r, out, 7));
  assert_string_equal(out, "\xc3\xa9");
  mb_cr_init(&r, good, sizeof(good));
  assert_rc(mb_cr_text_copy(&r, out, 1), MB_ETOOBIG);
  assert_true(mb_text_ok("\xc3\xa9", 2));
  assert_false(mb_text_ok("\xc3\xa9", 1));
  assert_false(mb_text_ok("\xc3", 5));
}

static void test_rng_is_deterministic(void **state) {
  (void)state;
  struct mb_rng a, b, c;
  mb_rng_seed(&a, 42);
  mb_rng_seed(&b, 42);
  mb_rng_seed(&c, 43);
  int differ = 0;
  for (int i = 0; i < 1000; i++) {
    uint64_t x = mb_rng_next(&a);
    assert_int_equal(x, mb_rng_next(&b));
    differ += x != mb_rng_next(&c);
  }
  assert_true(differ > 990);
}

/* Every value of a small range shows up about equally often. */
static void test_rng_below_is_uniform(void **state) {
  (void)state;
  struct mb_rng r;
  unsigned counts[7] = {0};
  mb_rng_seed(&r, 7);
  for (int i = 0; i < 70000; i++) {
    uint64_t x = mb_rng_below(&r, 7);
    assert_true(x < 7);
    counts[x]++;
  }
  for (int i = 0; i < 7; i++)
    assert_in_range(counts[i], 9500, 10500);
  assert_int_equal(mb_rng_below(&r, 0), 0);
  assert_int_equal(mb_rng_below(&r, 1), 0);
  for (int i = 0; i < 1000; i++) {
    double u = mb_rng_unit(&r);
    assert_true(u >= 0.0 && u < 1.0);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_errname_project_code),
      cmocka_unit_test(test_errname_errno),
      cmocka_unit_test(test_errname_unknown),
      cmocka_unit_test(test_every_code_is_named),
      cmocka_unit_test(test_hex_round_trip),
      cmocka_unit_test(test_hex_accepts_uppercase),
      cmocka_unit_test(test_hex_empty),
      cmocka_unit_test(test_hex_rejects_bad),
      cmocka_unit_test(test_writer_shortest_uint),
      cmocka_unit_test(test_writer_shortest_int),
      cmocka_unit_test(test_writer_other_items),
      cmocka_unit_test(test_writer_sticky_enospace),
      cmocka_unit_test(test_writer_partial_head_not_written),
      cmocka_unit_test(test_writer_enospace_each_kind),
      cmocka_unit_test(test_reader_round_trip),
      cmocka_unit_test(test_reader_accepts_edges),
      cmocka_unit_test(test_reader_expect_wrong_type),
      cmocka_unit_test(test_reader_int_range),
      cmocka_unit_test(test_reader_truncated),
      cmocka_unit_test(test_reader_truncated_container),
      cmocka_unit_test(test_reader_rejects_non_shortest),
      cmocka_unit_test(test_reader_rejects_indefinite),
      cmocka_unit_test(test_reader_rejects_malformed),
      cmocka_unit_test(test_map_keys_in_order),
      cmocka_unit_test(test_map_key_values),
      cmocka_unit_test(test_map_rejects_bad_keys),
      cmocka_unit_test(test_map_key_out_of_range),
      cmocka_unit_test(test_skip_nested_items),
      cmocka_unit_test(test_skip_depth_limit),
      cmocka_unit_test(test_skip_depth_counts_tags_and_maps),
      cmocka_unit_test(test_skip_count_exceeds_input),
      cmocka_unit_test(test_utf8_validation),
      cmocka_unit_test(test_rng_is_deterministic),
      cmocka_unit_test(test_rng_below_is_uniform),
      cmocka_unit_test(test_text_copy_rejects_invalid_utf8),
  };
  return cmocka_run_group_tests_name("common", tests, NULL, NULL);
}
