/*
 * Unit tests for src/crypto: key files, COSE_Sign1, admission certificates,
 * replay windows and the verified-record cache.
 *
 * The COSE known-answer test rebuilds RFC 9052's Sig_structure byte by byte
 * here and signs it with libsodium directly, so a mistake in the library's
 * encoder cannot hide behind the same mistake in its verifier.
 */
#include "standin_scheme.h"
#include "test_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mb_crypto.h"
#include "standin_scheme.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define AAD(s) (const uint8_t *)(s), (sizeof(s) - 1)

/* Seconds since the epoch for certificate tests: a fixed "now". */
#define NOW 1700000000
#define SKEW 300

static void identity_of(struct mb_identity *id, uint8_t fill) {
  uint8_t seed[MB_SEED_LEN];
  test_seed(seed, fill);
  mb_identity_from_seed(id, seed);
}

/* ---- per-test scratch directory for key files -------------------------- */

struct tmpdir {
  char dir[64];
  char path[128];
};

static int tmpdir_setup(void **state) {
  struct tmpdir *t = calloc(1, sizeof(*t));
  if (t == NULL)
    return -1;
  const char *base = getenv("TMPDIR");
  snprintf(t->dir, sizeof(t->dir), "%s/mbtest-XXXXXX",
           base != NULL && strlen(base) < 40 ? base : "/tmp");
  if (mkdtemp(t->dir) == NULL) {
    free(t);
    return -1;
  }
  *state = t;
  return 0;
}

/* Removes what the test left (files, empty directories), then the
 * directory itself. */
static int tmpdir_teardown(void **state) {
  struct tmpdir *t = *state;
  DIR *d = opendir(t->dir);
  struct dirent *e;
  while (d != NULL && (e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    if (unlinkat(dirfd(d), e->d_name, 0) != 0)
      unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
  }
  if (d != NULL)
    closedir(d);
  int rc = rmdir(t->dir);
  free(t);
  return rc;
}

static const char *tmp_file(void **state, const char *name) {
  struct tmpdir *t = *state;
  snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, name);
  return t->path;
}

static void write_file(const char *path, const char *text, mode_t mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  assert_int_equal(fchmod(fd, mode), 0);
  assert_int_equal(close(fd), 0);
}

/* ---- identity ---------------------------------------------------------- */

/* RFC 8032 §7.1, TEST 1: the seed determines the key pair. */
static void test_identity_rfc8032_vector(void **state) {
  (void)state;
  uint8_t seed[MB_SEED_LEN], want_pk[MB_NODE_ID_LEN];
  assert_ok(mb_hex_decode(seed, sizeof(seed),
                          "9d61b19deffd5a60ba844af492ec2cc4"
                          "4449c5697b326919703bac031cae7f60"));
  assert_ok(mb_hex_decode(want_pk, sizeof(want_pk),
                          "d75a980182b10ab7d54bfed3c964073a"
                          "0ee172f3daa62325af021a68f707511a"));
  struct mb_identity id;
  mb_identity_from_seed(&id, seed);
  assert_memory_equal(id.pk, want_pk, MB_NODE_ID_LEN);
  assert_memory_equal(id.sk, seed, MB_SEED_LEN); /* sk = seed || pk */
  assert_memory_equal(id.sk + 32, want_pk, MB_NODE_ID_LEN);
}

static void test_identity_generate_differs(void **state) {
  (void)state;
  struct mb_identity a, b;
  mb_identity_generate(&a);
  mb_identity_generate(&b);
  assert_memory_not_equal(a.pk, b.pk, MB_NODE_ID_LEN);
}

static void test_identity_wipe(void **state) {
  (void)state;
  struct mb_identity id;
  uint8_t zero[sizeof(id.sk)] = {0};
  identity_of(&id, 7);
  mb_identity_wipe(&id);
  assert_memory_equal(id.sk, zero, sizeof(zero));
}

static void test_node_id_hex(void **state) {
  (void)state;
  struct mb_identity id;
  char hex[MB_NODE_ID_HEX_LEN + 1];
  uint8_t back[MB_NODE_ID_LEN];
  identity_of(&id, 3);
  mb_node_id_hex(hex, id.pk);
  assert_int_equal(strlen(hex), MB_NODE_ID_HEX_LEN);
  assert_ok(mb_node_id_parse(back, hex));
  assert_memory_equal(back, id.pk, MB_NODE_ID_LEN);
  hex[MB_NODE_ID_HEX_LEN - 1] = '\0'; /* 63 characters */
  assert_rc(mb_node_id_parse(back, hex), MB_EINVAL);
  assert_rc(mb_node_id_parse(back, "zz"), MB_EINVAL);
}

static void test_key_save_load_round_trip(void **state) {
  struct mb_identity id, back;
  const char *path = tmp_file(state, "node.key");
  mb_identity_generate(&id);
  assert_ok(mb_identity_save(&id, path));
  memset(&back, 0, sizeof(back));
  assert_ok(mb_identity_load(&back, path));
  assert_memory_equal(back.pk, id.pk, MB_NODE_ID_LEN);
  assert_memory_equal(back.sk, id.sk, sizeof(id.sk));
}

/* The file is exactly the documented line, so other tools can read it. */
static void test_key_file_format(void **state) {
  struct mb_identity id;
  const char *path = tmp_file(state, "node.key");
  identity_of(&id, 0xab);
  assert_ok(mb_identity_save(&id, path));
  char text[256] = {0};
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  size_t n = fread(text, 1, sizeof(text) - 1, f);
  fclose(f);
  char want[128], seed_hex[2 * MB_SEED_LEN + 1];
  for (int i = 0; i < MB_SEED_LEN; i++)
    memcpy(seed_hex + 2 * i, "ab", 2); /* the seed is 32 bytes of 0xab */
  seed_hex[2 * MB_SEED_LEN] = '\0';
  snprintf(want, sizeof(want), "meshbeat-ed25519-secret-v1 %s\n", seed_hex);
  assert_int_equal(n, strlen(want));
  assert_string_equal(text, want);
}

/* 0600 even when the umask would allow more: the mode must not depend on the
 * caller's environment. */
static void test_key_file_mode_0600(void **state) {
  struct mb_identity id;
  struct stat st;
  const char *path = tmp_file(state, "node.key");
  mb_identity_generate(&id);
  mode_t old = umask(0);
  int rc = mb_identity_save(&id, path);
  umask(old);
  assert_ok(rc);
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_key_load_refuses_open_mode(void **state) {
  struct mb_identity id, back;
  const char *path = tmp_file(state, "node.key");
  mb_identity_generate(&id);
  assert_ok(mb_identity_save(&id, path));
  static const mode_t bad[] = {0644, 0640, 0604, 0660, 0601};
  for (size_t i = 0; i < LEN(bad); i++) {
    assert_int_equal(chmod(path, bad[i]), 0);
    assert_rc(mb_identity_load(&back, path), MB_EKEYPERM);
  }
  assert_int_equal(chmod(path, 0400), 0); /* read-only for the owner: fine */
  assert_ok(mb_identity_load(&back, path));
}

/* Saving over an existing file would destroy a node's identity. */
static void test_key_save_refuses_existing(void **state) {
  struct mb_identity a, b, back;
  const char *path = tmp_file(state, "node.key");
  identity_of(&a, 1);
  identity_of(&b, 2);
  assert_ok(mb_identity_save(&a, path));
  assert_rc(mb_identity_save(&b, path), -EEXIST);
  assert_ok(mb_identity_load(&back, path));
  assert_memory_equal(back.pk, a.pk, MB_NODE_ID_LEN); /* untouched */
}

static void test_key_load_missing(void **state) {
  struct mb_identity back;
  assert_rc(mb_identity_load(&back, tmp_file(state, "absent.key")), -ENOENT);
}

static void test_key_load_refuses_garbage(void **state) {
  static const char *const bad[] = {
      "",
      "hello\n",
      "meshbeat-ed25519-secret-v1 \n",
      /* 63 hex digits */
      "meshbeat-ed25519-secret-v1 "
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1\n",
      /* 66 hex digits */
      "meshbeat-ed25519-secret-v1 "
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n",
      /* a non-hex digit */
      "meshbeat-ed25519-secret-v1 "
      "zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
      /* text after the key */
      "meshbeat-ed25519-secret-v1 "
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f x\n",
      /* a second line after the key */
      "meshbeat-ed25519-secret-v1 "
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
      "extra\n",
      /* another version */
      "meshbeat-ed25519-secret-v2 "
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
  };
  struct mb_identity back;
  const char *path = tmp_file(state, "bad.key");
  for (size_t i = 0; i < LEN(bad); i++) {
    unlink(path);
    write_file(path, bad[i], 0600);
    int rc = mb_identity_load(&back, path);
    if (rc != MB_EKEYFORMAT)
      fail_msg("key file %zu: got %s, want MB_EKEYFORMAT", i, mb_errname(rc));
  }
}

static void test_key_load_accepts_crlf(void **state) {
  struct mb_identity back, want;
  uint8_t seed[MB_SEED_LEN];
  for (int i = 0; i < MB_SEED_LEN; i++)
    seed[i] = (uint8_t)i;
  mb_identity_from_seed(&want, seed);
  const char *path = tmp_file(state, "crlf.key");
  write_file(path,
             "meshbeat-ed25519-secret-v1 "
             "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
             "\r\n",
             0600);
  assert_ok(mb_identity_load(&back, path));
  assert_memory_equal(back.pk, want.pk, MB_NODE_ID_LEN);
}

static void test_key_load_refuses_directory(void **state) {
  struct mb_identity back;
  const char *path = tmp_file(state, "dir.key");
  assert_int_equal(mkdir(path, 0700), 0);
  assert_rc(mb_identity_load(&back, path), MB_EKEYFORMAT);
}

/* ---- COSE_Sign1 -------------------------------------------------------- */

static size_t sign_into(uint8_t *buf, size_t cap, const struct mb_identity *id,
                        const uint8_t *aad, size_t aad_len,
                        const uint8_t *payload, size_t payload_len) {
  struct mb_cbor_writer w;
  mb_cw_init(&w, buf, cap);
  assert_ok(mb_cose_sign1_write(&w, id, aad, aad_len, payload, payload_len));
  return w.len;
}

/* parse + verify against the message's own kid, as receivers do. */
static int parse_verify(const uint8_t *buf, size_t len, const uint8_t *aad,
                        size_t aad_len) {
  struct mb_cose_sign1 m;
  int rc = mb_cose_sign1_parse(buf, len, false, &m);
  if (rc == MB_OK)
    rc = mb_cose_sign1_verify(&m, aad, aad_len, m.kid);
  return rc;
}

static void test_cose_sign_verify(void **state) {
  (void)state;
  struct mb_identity id;
  uint8_t buf[256];
  static const uint8_t payload[] = {0xa1, 0x01, 0x02};
  identity_of(&id, 9);
  size_t n = sign_into(buf, sizeof(buf), &id, AAD("cluster-a"), payload,
                       sizeof(payload));
  assert_int_equal(n, MB_COSE_OVERHEAD + 1 + sizeof(payload));
  struct mb_cose_sign1 m;
  assert_ok(mb_cose_sign1_parse(buf, n, false, &m));
  assert_memory_equal(m.kid, id.pk, MB_NODE_ID_LEN);
  assert_int_equal(m.payload_len, sizeof(payload));
  assert_memory_equal(m.payload, payload, sizeof(payload));
  assert_int_equal(m.protected_len, 3);
  assert_memory_equal(m.protected_hdr, "\xa1\x01\x27", 3);
  assert_false(m.cwt_tagged);
  assert_ok(mb_cose_sign1_verify(&m, AAD("cluster-a"), id.pk));
}

static void test_cose_wrong_aad(void **state) {
  (void)state;
  struct mb_identity id;
  uint8_t buf[256];
  identity_of(&id, 9);
  size_t n = sign_into(buf, sizeof(buf), &id, AAD("cluster-a"), NULL, 0);
  assert_ok(parse_verify(buf, n, AAD("cluster-a")));
  assert_rc(parse_verify(buf, n, AAD("cluster-b")), MB_EBADSIG);
  assert_rc(parse_verify(buf, n, AAD("cluster-a ")), MB_EBADSIG);
  assert_rc(parse_verify(buf, n, NULL, 0), MB_EBADSIG);
}

static void test_cose_wrong_key(void **state) {
  (void)state;
  struct mb_identity id, other;
  uint8_t buf[256];
  struct mb_cose_sign1 m;
  identity_of(&id, 9);
  identity_of(&other, 10);
  size_t n = sign_into(buf, sizeof(buf), &id, AAD("c"), AAD("payload"));
  assert_ok(mb_cose_sign1_parse(buf, n, false, &m));
  assert_rc(mb_cose_sign1_verify(&m, AAD("c"), other.pk), MB_EBADSIG);
}

/*
 * Every single-bit change anywhere in the message must make parsing or
 * verification (under the message's own kid) fail: no byte of a signed
 * message is malleable.  All 8 bit positions of every byte are tried.
 */
static void check_every_flip_fails(const uint8_t *msg, size_t n,
                                   const uint8_t *aad, size_t aad_len) {
  uint8_t copy[4096];
  assert_true(n <= sizeof(copy));
  for (size_t i = 0; i < n; i++) {
    for (int bit = 0; bit < 8; bit++) {
      memcpy(copy, msg, n);
      copy[i] ^= (uint8_t)(1u << bit);
      if (parse_verify(copy, n, aad, aad_len) == MB_OK)
        fail_msg("flipping bit %d of byte %zu (0x%02x) still verifies", bit, i,
                 msg[i]);
    }
  }
}

static void test_cose_every_flip_fails(void **state) {
  (void)state;
  struct mb_identity id;
  uint8_t buf[256];
  identity_of(&id, 9);
  size_t n = sign_into(buf, sizeof(buf), &id, AAD("cluster-a"),
                       AAD("\xa2\x01\x63"
                           "abc\x02\x18\x2a"));
  assert_ok(parse_verify(buf, n, AAD("cluster-a")));
  check_every_flip_fails(buf, n, AAD("cluster-a"));
}

static void test_cose_truncated_and_trailing(void **state) {
  (void)state;
  struct mb_identity id;
  uint8_t buf[256];
  struct mb_cose_sign1 m;
  identity_of(&id, 9);
  size_t n = sign_into(buf, sizeof(buf), &id, AAD("c"), AAD("xyz"));
  for (size_t k = 0; k < n; k++)
    assert_failed(mb_cose_sign1_parse(buf, k, false, &m));
  buf[n] = 0x00;
  assert_rc(mb_cose_sign1_parse(buf, n + 1, false, &m), MB_ETRAILING);
}

/* Payloads past the stack buffer take the heap path; same results. */
static void test_cose_large_payload(void **state) {
  (void)state;
  struct mb_identity id;
  uint8_t payload[3 * MB_COSE_STACK_MAX];
  uint8_t buf[sizeof(payload) + 256];
  for (size_t i = 0; i < sizeof(payload); i++)
    payload[i] = (uint8_t)(i * 7);
  identity_of(&id, 9);
  size_t n =
      sign_into(buf, sizeof(buf), &id, AAD("c"), payload, sizeof(payload));
  assert_ok(parse_verify(buf, n, AAD("c")));
  buf[n - 10] ^= 1; /* inside the signature */
  assert_rc(parse_verify(buf, n, AAD("c")), MB_EBADSIG);
  buf[n - 10] ^= 1;
  buf[n / 2] ^= 1; /* inside the payload */
  assert_rc(parse_verify(buf, n, AAD("c")), MB_EBADSIG);
}

static void test_cose_write_enospace(void **state) {
  (void)state;
  struct mb_identity id;
  uint8_t buf[256];
  struct mb_cbor_writer w;
  identity_of(&id, 9);
  mb_cw_init(&w, buf, MB_COSE_OVERHEAD); /* one byte short: payload head */
  assert_rc(mb_cose_sign1_write(&w, &id, AAD("c"), NULL, 0), MB_ENOSPACE);
  mb_cw_init(&w, buf, MB_COSE_OVERHEAD + 1);
  assert_ok(mb_cose_sign1_write(&w, &id, AAD("c"), NULL, 0));
  assert_int_equal(w.len, MB_COSE_OVERHEAD + 1);
}

/* Appends n bytes to buf at *len. */
static void put(uint8_t *buf, size_t *len, const void *p, size_t n) {
  memcpy(buf + *len, p, n);
  *len += n;
}

/* payload {1: "hello, meshbeat world!"}: 25 bytes, so its bstr head is the
 * two-byte 0x58 0x19; the AAD "test-cluster" is 12 bytes, head 0x4c. */
static const uint8_t kat_payload[25] = {
    0xa1, 0x01, 0x76, 'h', 'e', 'l', 'l', 'o', ',', ' ', 'm', 'e', 's',
    'h',  'b',  'e',  'a', 't', ' ', 'w', 'o', 'r', 'l', 'd', '!'};
static const char kat_aad[] = "test-cluster";
#define KAT_AAD_LEN (sizeof(kat_aad) - 1)

/* RFC 9052 §4.4 Sig_structure, byte by byte:
 * ["Signature1", h'a10127', h'<aad>', h'<payload>'] */
static size_t kat_sig_structure(uint8_t *out) {
  size_t n = 0;
  put(out, &n, "\x84", 1); /* array(4) */
  put(out, &n, "\x6a", 1); /* text(10) */
  put(out, &n, "Signature1", 10);
  put(out, &n, "\x43\xa1\x01\x27", 4); /* bstr(3) {1: -8} */
  put(out, &n, "\x4c", 1);             /* bstr(12) */
  put(out, &n, kat_aad, KAT_AAD_LEN);
  put(out, &n, "\x58\x19", 2); /* bstr(25) */
  put(out, &n, kat_payload, sizeof(kat_payload));
  return n;
}

/* 18([h'a10127', {4: h'<pk>'}, h'<payload>', h'<sig>']), byte by byte. */
static size_t kat_message(uint8_t *out, const uint8_t *pk, const uint8_t *sig) {
  size_t n = 0;
  put(out, &n, "\xd2\x84", 2);         /* tag 18, array(4) */
  put(out, &n, "\x43\xa1\x01\x27", 4); /* protected */
  put(out, &n, "\xa1\x04\x58\x20", 4); /* {4: bstr(32) */
  put(out, &n, pk, 32);
  put(out, &n, "\x58\x19", 2); /* bstr(25) */
  put(out, &n, kat_payload, sizeof(kat_payload));
  put(out, &n, "\x58\x40", 2); /* bstr(64) */
  put(out, &n, sig, 64);
  return n;
}

/*
 * Known answer: the Sig_structure built by hand above, signed with libsodium
 * directly, must be exactly the signature in the library's message, and the
 * whole message must be exactly the hand-built one.
 */
static void test_cose_known_answer(void **state) {
  (void)state;
  uint8_t seed[MB_SEED_LEN], tbs[128], want_sig[crypto_sign_BYTES];
  uint8_t want[256], got[256];
  struct mb_identity id;
  struct mb_cose_sign1 m;
  for (int i = 0; i < MB_SEED_LEN; i++)
    seed[i] = (uint8_t)(i + 1); /* 0x01..0x20 */
  mb_identity_from_seed(&id, seed);

  size_t t = kat_sig_structure(tbs);
  assert_int_equal(crypto_sign_detached(want_sig, NULL, tbs, t, id.sk), 0);
  size_t k = kat_message(want, id.pk, want_sig);

  size_t n = sign_into(got, sizeof(got), &id, (const uint8_t *)kat_aad,
                       KAT_AAD_LEN, kat_payload, sizeof(kat_payload));
  assert_ok(mb_cose_sign1_parse(got, n, false, &m));
  assert_memory_equal(m.signature, want_sig, 64);
  assert_int_equal(n, k);
  assert_memory_equal(got, want, k);
  assert_ok(
      mb_cose_sign1_verify(&m, (const uint8_t *)kat_aad, KAT_AAD_LEN, id.pk));
}

/* Writes 18([prot, {4: kid of kid_len}, payload, sig of sig_len]) by hand,
 * for envelopes the library would never produce. */
static size_t craft_sign1(uint8_t *buf, size_t cap, const uint8_t *prot,
                          size_t prot_len, size_t kid_len, size_t sig_len) {
  static const uint8_t zeros[64];
  struct mb_cbor_writer w;
  mb_cw_init(&w, buf, cap);
  mb_cw_tag(&w, MB_COSE_TAG_SIGN1);
  mb_cw_array(&w, 4);
  mb_cw_bytes(&w, prot, prot_len);
  if (kid_len > 0) {
    mb_cw_map(&w, 1);
    mb_cw_uint(&w, MB_COSE_HDR_KID);
    mb_cw_bytes(&w, zeros, kid_len);
  } else {
    mb_cw_map(&w, 0);
  }
  mb_cw_bytes(&w, "p", 1);
  mb_cw_bytes(&w, zeros, sig_len);
  assert_ok(mb_cw_status(&w));
  return w.len;
}

static void test_cose_rejects_bad_headers(void **state) {
  (void)state;
  static const struct {
    const char *what;
    uint8_t prot[8];
    size_t prot_len, kid_len, sig_len;
    int want;
  } cases[] = {
      {"well-formed (control)", {0xa1, 0x01, 0x27}, 3, 32, 64, MB_OK},
      {"ES256 (-7)", {0xa1, 0x01, 0x26}, 3, 32, 64, MB_EALG},
      {"alg as text", {0xa1, 0x01, 0x61, 'x'}, 4, 32, 64, MB_EALG},
      {"no alg", {0xa0}, 1, 32, 64, MB_EALG},
      {"empty protected", {0}, 0, 32, 64, MB_EALG},
      {"crit header", {0xa2, 0x01, 0x27, 0x02, 0x81, 0x01}, 6, 32, 64, MB_EALG},
      {"trailing in protected",
       {0xa1, 0x01, 0x27, 0x00},
       4,
       32,
       64,
       MB_ETRAILING},
      {"no kid", {0xa1, 0x01, 0x27}, 3, 0, 64, MB_EKID},
      {"short kid", {0xa1, 0x01, 0x27}, 3, 31, 64, MB_EKID},
      {"long kid", {0xa1, 0x01, 0x27}, 3, 33, 64, MB_EKID},
      {"short signature", {0xa1, 0x01, 0x27}, 3, 32, 63, MB_EBADSIG},
  };
  for (size_t i = 0; i < LEN(cases); i++) {
    uint8_t buf[256];
    struct mb_cose_sign1 m;
    size_t n = craft_sign1(buf, sizeof(buf), cases[i].prot, cases[i].prot_len,
                           cases[i].kid_len, cases[i].sig_len);
    int rc = mb_cose_sign1_parse(buf, n, false, &m);
    if (rc != cases[i].want)
      fail_msg("%s: got %s, want %s", cases[i].what, mb_errname(rc),
               mb_errname(cases[i].want));
  }
}

/* Tag 61 (CWT) around tag 18 is accepted only when the caller allows it. */
static void test_cose_cwt_tag(void **state) {
  (void)state;
  struct mb_identity id;
  uint8_t buf[256];
  struct mb_cbor_writer w;
  struct mb_cose_sign1 m;
  identity_of(&id, 9);
  mb_cw_init(&w, buf, sizeof(buf));
  mb_cw_tag(&w, MB_CWT_TAG);
  assert_ok(mb_cose_sign1_write(&w, &id, NULL, 0, AAD("claims")));
  assert_rc(mb_cose_sign1_parse(buf, w.len, false, &m), MB_ETYPE);
  assert_ok(mb_cose_sign1_parse(buf, w.len, true, &m));
  assert_true(m.cwt_tagged);
  assert_ok(mb_cose_sign1_verify(&m, NULL, 0, id.pk));
  /* Untagged (no 18 at all) is not a COSE_Sign1 for us. */
  assert_rc(mb_cose_sign1_parse(buf + 3, w.len - 3, true, &m), MB_ETYPE);
}

/* ---- certificates ------------------------------------------------------ */

static void sample_cert(struct mb_cert *c, const struct mb_identity *node) {
  memset(c, 0, sizeof(*c));
  memcpy(c->node_id, node->pk, MB_NODE_ID_LEN);
  strcpy(c->name, "nas-01");
  strcpy(c->domain, "rack-3");
  c->issued_at = NOW - 3600;
  c->expires_at = NOW + 86400;
  c->n_roles = 2;
  strcpy(c->roles[0], "storage");
  strcpy(c->roles[1], "bridge");
}

static size_t issue(const struct mb_identity *auth, const struct mb_cert *c,
                    uint8_t *buf, size_t cap) {
  size_t n = 0;
  assert_ok(mb_cert_issue(auth, c, buf, cap, &n));
  assert_true(n > 0 && n <= cap);
  return n;
}

static void test_cert_issue_verify(void **state) {
  (void)state;
  struct mb_identity auth, node;
  struct mb_cert c, got;
  uint8_t buf[MB_CERT_MAX_LEN];
  identity_of(&auth, 0xa0);
  identity_of(&node, 0x11);
  sample_cert(&c, &node);
  c.not_before = NOW - 60;
  size_t n = issue(&auth, &c, buf, sizeof(buf));
  assert_int_equal(buf[0], 0xd8); /* 61(...) */
  assert_int_equal(buf[1], MB_CWT_TAG);
  assert_ok(mb_cert_verify(buf, n, auth.pk, NOW, SKEW, &got));
  assert_memory_equal(got.node_id, node.pk, MB_NODE_ID_LEN);
  assert_memory_equal(got.authority, auth.pk, MB_NODE_ID_LEN);
  assert_string_equal(got.name, "nas-01");
  assert_string_equal(got.domain, "rack-3");
  assert_int_equal(got.issued_at, NOW - 3600);
  assert_int_equal(got.expires_at, NOW + 86400);
  assert_int_equal(got.not_before, NOW - 60);
  assert_int_equal(got.n_roles, 2);
  assert_string_equal(got.roles[0], "storage");
  assert_string_equal(got.roles[1], "bridge");
}

/* Through the cache the signature is checked once, a forgery never enters
 * it, and validity is still judged on every call. */
static void test_cert_verify_cached(void **state) {
  (void)state;
  struct mb_identity auth, node;
  struct mb_cert c, got;
  struct mb_vcache_stats st;
  uint8_t buf[MB_CERT_MAX_LEN];
  identity_of(&auth, 0xa0);
  identity_of(&node, 0x11);
  sample_cert(&c, &node);
  size_t n = issue(&auth, &c, buf, sizeof(buf));
  struct mb_vcache *vc = mb_vcache_new(64);
  assert_ok(mb_cert_verify_cached(vc, buf, n, auth.pk, NOW, SKEW, &got));
  assert_ok(mb_cert_verify_cached(vc, buf, n, auth.pk, NOW, SKEW, &got));
  mb_vcache_get_stats(vc, &st);
  assert_int_equal(st.misses, 1);
  assert_int_equal(st.hits, 1);
  assert_string_equal(got.name, "nas-01");
  assert_rc(
      mb_cert_verify_cached(vc, buf, n, auth.pk, NOW + 2 * 86400, SKEW, &got),
      MB_EEXPIRED);
  buf[n - 1] ^= 1; /* inside the signature */
  assert_rc(mb_cert_verify_cached(vc, buf, n, auth.pk, NOW, SKEW, &got),
            MB_EBADSIG);
  assert_rc(mb_cert_verify_cached(vc, buf, n, auth.pk, NOW, SKEW, &got),
            MB_EBADSIG);
  mb_vcache_free(vc);
}

/* Optional claims left out come back empty, and decode works unverified. */
static void test_cert_minimal(void **state) {
  (void)state;
  struct mb_identity auth, node;
  struct mb_cert c, got;
  uint8_t buf[MB_CERT_MAX_LEN];
  identity_of(&auth, 0xa0);
  identity_of(&node, 0x11);
  sample_cert(&c, &node);
  c.domain[0] = '\0';
  c.n_roles = 0;
  size_t n = issue(&auth, &c, buf, sizeof(buf));
  assert_ok(mb_cert_decode(buf, n, &got));
  assert_string_equal(got.name, "nas-01");
  assert_string_equal(got.domain, "");
  assert_int_equal(got.n_roles, 0);
  assert_int_equal(got.not_before, 0);
  assert_ok(mb_cert_verify(buf, n, auth.pk, NOW, SKEW, &got));
}

static void test_cert_other_authority(void **state) {
  (void)state;
  struct mb_identity auth, rogue, node;
  struct mb_cert c, got;
  uint8_t buf[MB_CERT_MAX_LEN];
  identity_of(&auth, 0xa0);
  identity_of(&rogue, 0xa1);
  identity_of(&node, 0x11);
  sample_cert(&c, &node);
  size_t n = issue(&rogue, &c, buf, sizeof(buf));
  assert_rc(mb_cert_verify(buf, n, auth.pk, NOW, SKEW, &got), MB_EAUTHORITY);
}

/* A rogue signature under the real authority's kid: names the right
 * authority, fails the signature. */
static void test_cert_forged_kid(void **state) {
  (void)state;
  struct mb_identity auth, rogue, node;
  struct mb_cert c, got;
  uint8_t buf[MB_CERT_MAX_LEN];
  identity_of(&auth, 0xa0);
  identity_of(&rogue, 0xa1);
  identity_of(&node, 0x11);
  sample_cert(&c, &node);
  size_t n = issue(&rogue, &c, buf, sizeof(buf));
  uint8_t *kid = memmem(buf, n, rogue.pk, MB_NODE_ID_LEN);
  assert_non_null(kid);
  memcpy(kid, auth.pk, MB_NODE_ID_LEN);
  assert_rc(mb_cert_verify(buf, n, auth.pk, NOW, SKEW, &got), MB_EBADSIG);
}

static void test_cert_validity_window(void **state) {
  (void)state;
  struct mb_identity auth, node;
  struct mb_cert c, got;
  uint8_t buf[MB_CERT_MAX_LEN];
  identity_of(&auth, 0xa0);
  identity_of(&node, 0x11);
  sample_cert(&c, &node);
  size_t n = issue(&auth, &c, buf, sizeof(buf));
  int64_t exp = c.expires_at, iat = c.issued_at;
  /* Expiry: tolerated up to exp + skew, refused one second later. */
  assert_ok(mb_cert_verify(buf, n, auth.pk, exp + SKEW, SKEW, &got));
  assert_rc(mb_cert_verify(buf, n, auth.pk, exp + SKEW + 1, SKEW, &got),
            MB_EEXPIRED);
  /* Issued in the future: tolerated down to iat - skew. */
  assert_ok(mb_cert_verify(buf, n, auth.pk, iat - SKEW, SKEW, &got));
  assert_rc(mb_cert_verify(buf, n, auth.pk, iat - SKEW - 1, SKEW, &got),
            MB_ENOTYET);
  assert_rc(mb_cert_verify(buf, n, auth.pk, iat - 1, 0, &got), MB_ENOTYET);
}

static void test_cert_not_before(void **state) {
  (void)state;
  struct mb_identity auth, node;
  struct mb_cert c, got;
  uint8_t buf[MB_CERT_MAX_LEN];
  identity_of(&auth, 0xa0);
  identity_of(&node, 0x11);
  sample_cert(&c, &node);
  c.not_before = NOW + 1000;
  size_t n = issue(&auth, &c, buf, sizeof(buf));
  assert_rc(mb_cert_verify(buf, n, auth.pk, NOW, SKEW, &got), MB_ENOTYET);
  assert_ok(mb_cert_verify(buf, n, auth.pk, NOW + 1000, SKEW, &got));
}

/* A certificate that never expires (exp = INT64_MAX) is valid now; the
 * skew arithmetic must not overflow. */
static void test_cert_far_expiry(void **state) {
  (void)state;
  struct mb_identity auth, node;
  struct mb_cert c, got;
  uint8_t buf[MB_CERT_MAX_LEN];
  identity_of(&auth, 0xa0);
  identity_of(&node, 0x11);
  sample_cert(&c, &node);
  c.expires_at = INT64_MAX;
  size_t n = issue(&auth, &c, buf, sizeof(buf));
  assert_ok(mb_cert_verify(buf, n, auth.pk, NOW, SKEW, &got));
  assert_true(got.expires_at == INT64_MAX);
}

static void test_cert_every_flip_fails(void **state) {
  (void)state;
  struct mb_identity auth, node;
  struct mb_cert c, got;
  uint8_t buf[MB_CERT_MAX_LEN], copy[MB_CERT_MAX_LEN];
  identity_of(&auth, 0xa0);
  identity_of(&node, 0x11);
  sample_cert(&c, &node);
  size_t n = issue(&auth, &c, buf, sizeof(buf));
  for (size_t i = 0; i < n; i++) {
    for (int bit = 0; bit < 8; bit++) {
      memcpy(copy, buf, n);
      copy[i] ^= (uint8_t)(1u << bit);
      if (mb_cert_verify(copy, n, auth.pk, NOW, SKEW, &got) == MB_OK)
        fail_msg("certificate with bit %d of byte %zu flipped verifies", bit,
                 i);
    }
  }
}

static void test_cert_issue_rejects_bad_input(void **state) {
  (void)state;
  struct mb_identity auth, node;
  struct mb_cert c;
  uint8_t buf[MB_CERT_MAX_LEN];
  size_t n;
  identity_of(&auth, 0xa0);
  identity_of(&node, 0x11);
  sample_cert(&c, &node);
  c.name[0] = '\0';
  assert_rc(mb_cert_issue(&auth, &c, buf, sizeof(buf), &n), MB_EINVAL);
  sample_cert(&c, &node);
  memset(c.name, 'x', sizeof(c.name)); /* no NUL within MB_NAME_MAX + 1 */
  assert_rc(mb_cert_issue(&auth, &c, buf, sizeof(buf), &n), MB_EINVAL);
  sample_cert(&c, &node);
  c.n_roles = MB_CERT_MAX_ROLES + 1;
  assert_rc(mb_cert_issue(&auth, &c, buf, sizeof(buf), &n), MB_EINVAL);
  sample_cert(&c, &node);
  assert_rc(mb_cert_issue(&auth, &c, buf, 20, &n), MB_ENOSPACE);
}

/* ---- replay window ----------------------------------------------------- */

/* check then commit, as a receiver does; returns the check's verdict. */
static int accept_seq(struct mb_replay_window *w, uint64_t seq) {
  int rc = mb_replay_check(w, seq);
  if (rc == MB_OK)
    mb_replay_commit(w, seq);
  return rc;
}

static void test_replay_basic(void **state) {
  (void)state;
  struct mb_replay_window w;
  mb_replay_init(&w);
  assert_ok(mb_replay_check(&w, 42));
  assert_ok(mb_replay_check(&w, 42)); /* check alone changes nothing */
  mb_replay_commit(&w, 42);
  assert_rc(mb_replay_check(&w, 42), MB_EREPLAY);
  assert_ok(accept_seq(&w, 43));
  assert_rc(accept_seq(&w, 43), MB_EREPLAY);
  assert_rc(accept_seq(&w, 42), MB_EREPLAY);
}

static void test_replay_first_seq_zero(void **state) {
  (void)state;
  struct mb_replay_window w;
  mb_replay_init(&w);
  assert_ok(accept_seq(&w, 0));
  assert_rc(accept_seq(&w, 0), MB_EREPLAY);
  assert_ok(accept_seq(&w, 1));
}

static void test_replay_out_of_order(void **state) {
  (void)state;
  struct mb_replay_window w;
  mb_replay_init(&w);
  assert_ok(accept_seq(&w, 100));
  assert_ok(accept_seq(&w, 50));
  assert_rc(accept_seq(&w, 50), MB_EREPLAY);
  assert_ok(accept_seq(&w, 99));
  assert_ok(accept_seq(&w, 51));
  assert_rc(accept_seq(&w, 99), MB_EREPLAY);
  assert_int_equal(w.top, 100);
}

/* Age 255 is the oldest remembered; age 256 is stale. */
static void test_replay_stale_boundary(void **state) {
  (void)state;
  struct mb_replay_window w;
  mb_replay_init(&w);
  assert_ok(accept_seq(&w, 1000));
  assert_rc(mb_replay_check(&w, 1000 - MB_REPLAY_WINDOW), MB_ESTALE);
  assert_rc(mb_replay_check(&w, 0), MB_ESTALE);
  assert_ok(accept_seq(&w, 1000 - MB_REPLAY_WINDOW + 1));
  assert_rc(accept_seq(&w, 1000 - MB_REPLAY_WINDOW + 1), MB_EREPLAY);
}

/* Commit of a stale or replayed number must not move or damage the window
 * (commit is only meant after a check, but is defensive). */
static void test_replay_commit_ignores_rejected(void **state) {
  (void)state;
  struct mb_replay_window w, before;
  mb_replay_init(&w);
  assert_ok(accept_seq(&w, 1000));
  assert_ok(accept_seq(&w, 990));
  before = w;
  mb_replay_commit(&w, 1);   /* stale */
  mb_replay_commit(&w, 990); /* replay */
  assert_memory_equal(&w, &before, sizeof(w));
}

/* After a jump of at least the window, nothing old is remembered... */
static void test_replay_big_jump_clears(void **state) {
  (void)state;
  struct mb_replay_window w;
  mb_replay_init(&w);
  for (uint64_t s = 1; s <= 10; s++)
    assert_ok(accept_seq(&w, s));
  assert_ok(accept_seq(&w, 10 + 1000));
  for (uint64_t s = 1; s <= 10; s++)
    assert_rc(mb_replay_check(&w, s), MB_ESTALE);
  for (uint64_t s = 1010 - MB_REPLAY_WINDOW + 1; s < 1010; s++)
    assert_ok(mb_replay_check(&w, s)); /* no ghost bits from before */
  assert_rc(mb_replay_check(&w, 1010), MB_EREPLAY);
}

/* ...and a jump of exactly the window, or one less, lands on the edge. */
static void test_replay_jump_edges(void **state) {
  (void)state;
  struct mb_replay_window w;
  mb_replay_init(&w);
  assert_ok(accept_seq(&w, 10));
  assert_ok(accept_seq(&w, 10 + MB_REPLAY_WINDOW - 1));
  assert_rc(mb_replay_check(&w, 10), MB_EREPLAY); /* age 255: remembered */
  assert_rc(mb_replay_check(&w, 9), MB_ESTALE);

  mb_replay_init(&w);
  assert_ok(accept_seq(&w, 10));
  assert_ok(accept_seq(&w, 10 + MB_REPLAY_WINDOW));
  assert_rc(mb_replay_check(&w, 10), MB_ESTALE);
  assert_ok(mb_replay_check(&w, 11));
}

/* Jumps of every size across the 64-bit words keep exactly the bits they
 * should: seqs 0, 2, 4, ... 60 seen, then a jump of d. */
static void test_replay_shift_all_distances(void **state) {
  (void)state;
  for (uint64_t d = 1; d <= MB_REPLAY_WINDOW + 1; d++) {
    struct mb_replay_window w;
    mb_replay_init(&w);
    for (uint64_t s = 0; s <= 60; s += 2)
      mb_replay_commit(&w, 1000 + s);
    uint64_t top = 1060 + d;
    mb_replay_commit(&w, top);
    for (uint64_t s = 1000; s < top; s++) {
      int want = top - s >= MB_REPLAY_WINDOW        ? MB_ESTALE
                 : (s - 1000) % 2 == 0 && s <= 1060 ? MB_EREPLAY
                                                    : MB_OK;
      int rc = mb_replay_check(&w, s);
      if (rc != want)
        fail_msg("jump %llu, seq %llu: got %s, want %s", (unsigned long long)d,
                 (unsigned long long)s, mb_errname(rc), mb_errname(want));
    }
  }
}

/* The whole window in shuffled order: each accepted once, then all replays.
 * Starting at 1 and at 1000 puts the word boundaries at different seqs. */
static void check_shuffled_window(uint64_t first, uint64_t seed) {
  uint64_t seqs[MB_REPLAY_WINDOW];
  struct test_rng rng = {seed};
  struct mb_replay_window w;
  for (size_t i = 0; i < MB_REPLAY_WINDOW; i++)
    seqs[i] = first + i;
  test_shuffle_u64(&rng, seqs, MB_REPLAY_WINDOW);
  mb_replay_init(&w);
  for (size_t i = 0; i < MB_REPLAY_WINDOW; i++)
    assert_ok(accept_seq(&w, seqs[i]));
  for (size_t i = 0; i < MB_REPLAY_WINDOW; i++)
    assert_rc(accept_seq(&w, seqs[i]), MB_EREPLAY);
}

static void test_replay_shuffled_window(void **state) {
  (void)state;
  check_shuffled_window(1, 1);
  check_shuffled_window(1000, 2);
  check_shuffled_window(63, 3);
}

/*
 * Seqs 1..300 in shuffled order against a reference model that remembers
 * everything: the window must agree with it on every verdict (accepted
 * once, replay, or too old), then reject every seq a second time.
 */
struct replay_model {
  bool started;
  uint64_t top;
  bool seen[4096];
};

static int model_accept(struct replay_model *m, uint64_t seq) {
  if (m->started && seq <= m->top) {
    if (m->top - seq >= MB_REPLAY_WINDOW)
      return MB_ESTALE;
    if (m->seen[seq])
      return MB_EREPLAY;
  }
  m->seen[seq] = true;
  if (!m->started || seq > m->top)
    m->top = seq;
  m->started = true;
  return MB_OK;
}

static void check_against_model(const uint64_t *seqs, size_t n) {
  struct replay_model m;
  struct mb_replay_window w;
  memset(&m, 0, sizeof(m));
  mb_replay_init(&w);
  for (size_t i = 0; i < n; i++) {
    assert_true(seqs[i] < LEN(m.seen));
    int want = model_accept(&m, seqs[i]);
    int rc = accept_seq(&w, seqs[i]);
    if (rc != want)
      fail_msg("step %zu seq %llu: got %s, model says %s", i,
               (unsigned long long)seqs[i], mb_errname(rc), mb_errname(want));
  }
}

static void test_replay_shuffled_1_to_300(void **state) {
  (void)state;
  uint64_t seqs[600];
  struct test_rng rng = {300};
  for (uint64_t i = 0; i < 300; i++)
    seqs[i] = i + 1;
  test_shuffle_u64(&rng, seqs, 300);
  memcpy(seqs + 300, seqs, 300 * sizeof(seqs[0])); /* then all again */
  check_against_model(seqs, 600);
}

/* Mostly-rising random traffic with reordering and duplicates. */
static void test_replay_random_vs_model(void **state) {
  (void)state;
  static uint64_t seqs[20000];
  struct test_rng rng = {0x5eed};
  uint64_t base = 300;
  for (size_t i = 0; i < LEN(seqs); i++) {
    if (test_rng_below(&rng, 4) == 0 && base < 3700)
      base += test_rng_below(&rng, 40);
    seqs[i] = base - 300 + test_rng_below(&rng, 380);
  }
  check_against_model(seqs, LEN(seqs));
}

/* ---- verified-record cache --------------------------------------------- */

static struct mb_vcache_stats stats_of(const struct mb_vcache *c) {
  struct mb_vcache_stats s;
  mb_vcache_get_stats(c, &s);
  return s;
}

/* Equal bytes are held once, by reference count; the last put frees. */
static void test_blobs_intern_and_release(void **state) {
  (void)state;
  struct mb_blobs *b = mb_blobs_new();
  assert_non_null(b);
  uint8_t one[300], other[300];
  memset(one, 0x11, sizeof(one));
  memset(other, 0x11, sizeof(other));
  other[299] = 0x12;
  const uint8_t *x = mb_blob_get(b, one, sizeof(one));
  const uint8_t *y = mb_blob_get(b, one, sizeof(one));
  const uint8_t *z = mb_blob_get(b, other, sizeof(other));
  const uint8_t *shorter = mb_blob_get(b, one, sizeof(one) - 1);
  assert_ptr_equal(x, y);
  assert_ptr_not_equal(x, z);
  assert_ptr_not_equal(x, shorter);
  assert_memory_equal(z, other, sizeof(other));
  assert_int_equal(mb_blob_len(x), sizeof(one));
  assert_int_equal(mb_blob_len(shorter), sizeof(one) - 1);
  assert_int_equal(mb_blob_len(NULL), 0);
  size_t count, bytes;
  mb_blobs_get_stats(b, &count, &bytes);
  assert_int_equal(count, 3);
  assert_int_equal(bytes, 3 * sizeof(one) - 1);
  mb_blob_put(b, x);
  assert_memory_equal(y, one, sizeof(one)); /* still held once */
  mb_blob_put(b, y);
  mb_blobs_get_stats(b, &count, &bytes);
  assert_int_equal(count, 2);
  /* Enough distinct blobs to grow the table several times. */
  const uint8_t *many[5000];
  for (uint32_t i = 0; i < 5000; i++)
    many[i] = mb_blob_get(b, (const uint8_t *)&i, sizeof(i));
  for (uint32_t i = 0; i < 5000; i++) {
    assert_ptr_equal(mb_blob_get(b, (const uint8_t *)&i, sizeof(i)), many[i]);
    mb_blob_put(b, many[i]);
    mb_blob_put(b, many[i]);
  }
  mb_blobs_get_stats(b, &count, &bytes);
  assert_int_equal(count, 2);
  mb_blob_put(b, z);
  mb_blob_put(b, shorter);
  mb_blobs_free(b);
}

static void test_vcache_miss_insert_hit(void **state) {
  (void)state;
  struct mb_vcache *c = mb_vcache_new(16);
  assert_non_null(c);
  assert_false(mb_vcache_lookup(c, AAD("a"), AAD("record-1")));
  mb_vcache_insert(c, AAD("a"), AAD("record-1"));
  assert_true(mb_vcache_lookup(c, AAD("a"), AAD("record-1")));
  assert_false(mb_vcache_lookup(c, AAD("a"), AAD("record-2")));
  struct mb_vcache_stats s = stats_of(c);
  assert_int_equal(s.hits, 1);
  assert_int_equal(s.misses, 2);
  assert_int_equal(s.evictions, 0);
  mb_vcache_free(c);
}

/* The cluster name is part of the key, and the digest frames it by length
 * so (aad "ab", bytes "c") is not (aad "a", bytes "bc"). */
static void test_vcache_aad_is_part_of_key(void **state) {
  (void)state;
  struct mb_vcache *c = mb_vcache_new(16);
  assert_non_null(c);
  mb_vcache_insert(c, AAD("ab"), AAD("c"));
  assert_false(mb_vcache_lookup(c, AAD("other"), AAD("c")));
  assert_false(mb_vcache_lookup(c, AAD("a"), AAD("bc")));
  assert_false(mb_vcache_lookup(c, NULL, 0, AAD("abc")));
  assert_true(mb_vcache_lookup(c, AAD("ab"), AAD("c")));
  mb_vcache_free(c);
}

static void test_vcache_capacity_rounding(void **state) {
  (void)state;
  static const size_t asked[] = {0, 1, 4, 10, 64};
  static const size_t got[] = {4, 4, 4, 12, 64};
  for (size_t i = 0; i < LEN(asked); i++) {
    struct mb_vcache *c = mb_vcache_new(asked[i]);
    assert_non_null(c);
    assert_int_equal(stats_of(c).capacity, got[i]);
    mb_vcache_free(c);
  }
  mb_vcache_free(NULL); /* allowed, like free() */
}

static void key_of(uint8_t out[8], uint64_t i) {
  for (int b = 0; b < 8; b++)
    out[b] = (uint8_t)(i >> (8 * b));
}

/* Memory stays bounded: many more inserts than entries evict old ones, and
 * the newest survive (CLOCK without hits is FIFO within a set of 4, so the
 * last 4 inserts cannot have been evicted yet). */
static void test_vcache_capacity_bound(void **state) {
  (void)state;
  enum { CAP = 64, INSERTS = 1000 };
  struct mb_vcache *c = mb_vcache_new(CAP);
  uint8_t k[8];
  assert_non_null(c);
  for (uint64_t i = 0; i < INSERTS; i++) {
    key_of(k, i);
    mb_vcache_insert(c, AAD("a"), k, sizeof(k));
  }
  struct mb_vcache_stats s = stats_of(c);
  assert_true(s.evictions >= INSERTS - CAP);
  assert_true(s.evictions < INSERTS);
  unsigned present = 0;
  for (uint64_t i = 0; i < INSERTS; i++) {
    key_of(k, i);
    present += mb_vcache_lookup(c, AAD("a"), k, sizeof(k));
  }
  assert_true(present <= CAP);
  assert_int_equal(present + stats_of(c).evictions, INSERTS);
  for (uint64_t i = INSERTS - 4; i < INSERTS; i++) {
    key_of(k, i);
    assert_true(mb_vcache_lookup(c, AAD("a"), k, sizeof(k)));
  }
  mb_vcache_free(c);
}

/* One set of four ways: a hit gives its entry a second chance. */
static void test_vcache_clock_second_chance(void **state) {
  (void)state;
  struct mb_vcache *c = mb_vcache_new(4);
  uint8_t k[8];
  assert_non_null(c);
  for (uint64_t i = 0; i < 4; i++) {
    key_of(k, i);
    mb_vcache_insert(c, AAD("a"), k, sizeof(k));
  }
  key_of(k, 0);
  assert_true(mb_vcache_lookup(c, AAD("a"), k, sizeof(k))); /* ref bit */
  key_of(k, 4);
  mb_vcache_insert(c, AAD("a"), k, sizeof(k));
  assert_int_equal(stats_of(c).evictions, 1);
  static const bool want[] = {true, false, true, true, true};
  for (uint64_t i = 0; i < 5; i++) {
    key_of(k, i);
    if (mb_vcache_lookup(c, AAD("a"), k, sizeof(k)) != want[i])
      fail_msg("entry %llu: present %d, want %d", (unsigned long long)i,
               !want[i], want[i]);
  }
  mb_vcache_free(c);
}

static void test_vcache_insert_twice(void **state) {
  (void)state;
  struct mb_vcache *c = mb_vcache_new(4);
  assert_non_null(c);
  for (int i = 0; i < 10; i++)
    mb_vcache_insert(c, AAD("a"), AAD("same"));
  assert_int_equal(stats_of(c).evictions, 0);
  mb_vcache_free(c);
}

static void test_verify_cached(void **state) {
  (void)state;
  struct mb_identity id;
  uint8_t buf[256];
  struct mb_cose_sign1 m;
  struct mb_vcache *c = mb_vcache_new(16);
  assert_non_null(c);
  identity_of(&id, 5);
  size_t n = sign_into(buf, sizeof(buf), &id, AAD("a"), AAD("record"));

  assert_ok(mb_cose_verify_cached(c, buf, n, AAD("a"), &m));
  struct mb_vcache_stats s = stats_of(c);
  assert_int_equal(s.misses, 1);
  assert_int_equal(s.hits, 0);

  memset(&m, 0, sizeof(m));
  assert_ok(mb_cose_verify_cached(c, buf, n, AAD("a"), &m));
  s = stats_of(c);
  assert_int_equal(s.hits, 1);
  assert_int_equal(s.misses, 1);
  assert_memory_equal(m.kid, id.pk, MB_NODE_ID_LEN); /* still parsed */
  assert_int_equal(m.payload_len, 6);

  /* A hit under one cluster name is no pass under another. */
  assert_rc(mb_cose_verify_cached(c, buf, n, AAD("b"), &m), MB_EBADSIG);
  assert_ok(mb_cose_verify_cached(NULL, buf, n, AAD("a"), &m));
  mb_vcache_free(c);
}

/* Only successes are cached: a forgery is re-checked, and refused, every
 * time it arrives. */
static void test_verify_cached_never_caches_forgery(void **state) {
  (void)state;
  struct mb_identity id;
  uint8_t buf[256];
  struct mb_cose_sign1 m;
  struct mb_vcache *c = mb_vcache_new(16);
  assert_non_null(c);
  identity_of(&id, 5);
  size_t n = sign_into(buf, sizeof(buf), &id, AAD("a"), AAD("record"));
  buf[n - 1] ^= 0x40; /* last signature byte */
  for (int i = 0; i < 3; i++)
    assert_rc(mb_cose_verify_cached(c, buf, n, AAD("a"), &m), MB_EBADSIG);
  assert_false(mb_vcache_lookup(c, AAD("a"), buf, n));
  assert_int_equal(stats_of(c).hits, 0);
  /* A message that does not even parse never touches the cache. */
  assert_failed(mb_cose_verify_cached(c, buf, n - 1, AAD("a"), &m));
  mb_vcache_free(c);
}

#define KEYFILE_TEST(f)                                                        \
  cmocka_unit_test_setup_teardown(f, tmpdir_setup, tmpdir_teardown)

/* The stand-in keeps sizes and paths but is a different scheme: a message
 * signed under one never verifies under the other. */
static void test_standin_scheme(void **state) {
  (void)state;
  struct mb_identity id;
  struct mb_cose_sign1 m;
  uint8_t buf[256];
  const uint8_t payload[] = {0xa1, 0x00, 0x01};
  identity_of(&id, 9);
  id.scheme = &sim_sig_standin;
  struct mb_cbor_writer w;
  mb_cw_init(&w, buf, sizeof(buf));
  assert_ok(mb_cose_sign1_write(&w, &id, (const uint8_t *)"c", 1, payload,
                                sizeof(payload)));
  assert_int_equal(w.len, MB_COSE_OVERHEAD + 1 + sizeof(payload));
  assert_ok(mb_cose_sign1_parse(buf, w.len, false, &m));
  assert_ok(mb_cose_sign1_verify_scheme(&sim_sig_standin, &m,
                                        (const uint8_t *)"c", 1, m.kid));
  assert_rc(mb_cose_sign1_verify(&m, (const uint8_t *)"c", 1, m.kid),
            MB_EBADSIG);
  assert_rc(mb_cose_sign1_verify_scheme(&sim_sig_standin, &m,
                                        (const uint8_t *)"d", 1, m.kid),
            MB_EBADSIG);
  struct mb_vcache *c = mb_vcache_new_scheme(16, &sim_sig_standin);
  assert_non_null(c);
  assert_ptr_equal(mb_vcache_scheme(c), &sim_sig_standin);
  assert_ok(mb_cose_verify_cached(c, buf, w.len, (const uint8_t *)"c", 1, &m));
  mb_vcache_free(c);
  c = mb_vcache_new(16);
  assert_rc(mb_cose_verify_cached(c, buf, w.len, (const uint8_t *)"c", 1, &m),
            MB_EBADSIG);
  mb_vcache_free(c);
}

int main(void) {
  if (sodium_init() < 0)
    return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_standin_scheme),
      cmocka_unit_test(test_identity_rfc8032_vector),
      cmocka_unit_test(test_identity_generate_differs),
      cmocka_unit_test(test_identity_wipe),
      cmocka_unit_test(test_node_id_hex),
      KEYFILE_TEST(test_key_save_load_round_trip),
      KEYFILE_TEST(test_key_file_format),
      KEYFILE_TEST(test_key_file_mode_0600),
      KEYFILE_TEST(test_key_load_refuses_open_mode),
      KEYFILE_TEST(test_key_save_refuses_existing),
      KEYFILE_TEST(test_key_load_missing),
      KEYFILE_TEST(test_key_load_refuses_garbage),
      KEYFILE_TEST(test_key_load_accepts_crlf),
      KEYFILE_TEST(test_key_load_refuses_directory),
      cmocka_unit_test(test_cose_sign_verify),
      cmocka_unit_test(test_cose_wrong_aad),
      cmocka_unit_test(test_cose_wrong_key),
      cmocka_unit_test(test_cose_every_flip_fails),
      cmocka_unit_test(test_cose_truncated_and_trailing),
      cmocka_unit_test(test_cose_large_payload),
      cmocka_unit_test(test_cose_write_enospace),
      cmocka_unit_test(test_cose_known_answer),
      cmocka_unit_test(test_cose_rejects_bad_headers),
      cmocka_unit_test(test_cose_cwt_tag),
      cmocka_unit_test(test_cert_issue_verify),
      cmocka_unit_test(test_cert_verify_cached),
      cmocka_unit_test(test_cert_minimal),
      cmocka_unit_test(test_cert_other_authority),
      cmocka_unit_test(test_cert_forged_kid),
      cmocka_unit_test(test_cert_validity_window),
      cmocka_unit_test(test_cert_not_before),
      cmocka_unit_test(test_cert_far_expiry),
      cmocka_unit_test(test_cert_every_flip_fails),
      cmocka_unit_test(test_cert_issue_rejects_bad_input),
      cmocka_unit_test(test_replay_basic),
      cmocka_unit_test(test_replay_first_seq_zero),
      cmocka_unit_test(test_replay_out_of_order),
      cmocka_unit_test(test_replay_stale_boundary),
      cmocka_unit_test(test_replay_commit_ignores_rejected),
      cmocka_unit_test(test_replay_big_jump_clears),
      cmocka_unit_test(test_replay_jump_edges),
      cmocka_unit_test(test_replay_shift_all_distances),
      cmocka_unit_test(test_replay_shuffled_window),
      cmocka_unit_test(test_replay_shuffled_1_to_300),
      cmocka_unit_test(test_replay_random_vs_model),
      cmocka_unit_test(test_blobs_intern_and_release),
      cmocka_unit_test(test_vcache_miss_insert_hit),
      cmocka_unit_test(test_vcache_aad_is_part_of_key),
      cmocka_unit_test(test_vcache_capacity_rounding),
      cmocka_unit_test(test_vcache_capacity_bound),
      cmocka_unit_test(test_vcache_clock_second_chance),
      cmocka_unit_test(test_vcache_insert_twice),
      cmocka_unit_test(test_verify_cached),
      cmocka_unit_test(test_verify_cached_never_caches_forgery),
  };
  return cmocka_run_group_tests_name("crypto", tests, NULL, NULL);
}
