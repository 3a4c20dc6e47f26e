/*
 * Damaged stores against mb_store_open's checks (src/store/check.c): a
 * truncated, emptied or removed data.mdb, broken meta pages, a value that
 * does not decode, and LMDB faulting in the checking child.  Each must be
 * refused with its code and a message, with nothing written; and stores
 * that are merely busy (overflow pages, pruning, map growth, many
 * reopenings) must never be refused.
 */
#include "store_fixture.h"
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <sys/stat.h>

static void data_path(const struct store_fixture *f, char *out, size_t cap) {
  snprintf(out, cap, "%s/data.mdb", f->dir);
}

/* A store with members (some with certificates: overflow pages), events
 * and an incarnation, closed. */
static void fill(struct store_fixture *f, int members, int events) {
  static uint8_t rec[MB_STORE_RECORD_MAX], crt[MB_STORE_CERT_MAX];
  memset(rec, 0x11, sizeof rec);
  memset(crt, 0x22, sizeof crt);
  struct mb_store *s = fixture_open(f);
  for (int i = 0; i < members; i++) {
    struct mb_store_member m = {.state = (uint8_t)(i % 4),
                                .incarnation = (uint64_t)i,
                                .record = rec,
                                .record_len = 100 + (size_t)(i * 37) % 4000,
                                .cert = i % 3 ? crt : NULL,
                                .cert_len = i % 3 ? sizeof crt : 0};
    memset(m.id, 0, sizeof m.id);
    m.id[0] = (uint8_t)i;
    assert_ok(mb_store_member_put(s, &m));
  }
  for (int i = 0; i < events; i++) {
    struct mb_store_event ev = {.time_ms = 1000 + i, .incarnation = 1};
    snprintf(ev.name, sizeof ev.name, "n%d", i);
    assert_ok(mb_store_event_append(s, &ev, NULL));
  }
  assert_true(mb_store_commit(s) > 0);
  uint64_t inc;
  assert_ok(mb_store_self_incarnation_raise(s, 41, true, &inc));
  mb_store_close(s);
}

static size_t file_size(const char *path) {
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  return (size_t)st.st_size;
}

static uint8_t *slurp(const char *path, size_t *n) {
  *n = file_size(path);
  uint8_t *p = malloc(*n);
  FILE *fp = fopen(path, "rb");
  assert_non_null(fp);
  assert_int_equal(fread(p, 1, *n, fp), *n);
  fclose(fp);
  return p;
}

static void spill(const char *path, const uint8_t *p, size_t n) {
  FILE *fp = fopen(path, "wb");
  assert_non_null(fp);
  assert_int_equal(fwrite(p, 1, n, fp), n);
  fclose(fp);
}

/* Opening must fail with want and say what; the file stays as it was. */
static void refused(struct store_fixture *f, int want, const char *what) {
  char path[1100];
  data_path(f, path, sizeof path);
  struct stat before, after;
  int had = stat(path, &before);
  struct mb_store *s = (struct mb_store *)f;
  f->errbuf[0] = '\0';
  assert_rc(mb_store_open(&s, f->dir, &f->opt), want);
  assert_null(s);
  if (strstr(f->errbuf, what) == NULL || strstr(f->errbuf, "data.mdb") == NULL)
    print_error("message: %s\nwanted: %s\n", f->errbuf, what);
  assert_non_null(strstr(f->errbuf, what));
  assert_non_null(strstr(f->errbuf, "data.mdb"));
  assert_int_equal(stat(path, &after), had);
  if (had == 0) {
    assert_int_equal(after.st_size, before.st_size);
    assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
  }
}

static void test_truncated_refused(void **state) {
  struct store_fixture *f = *state;
  fill(f, 40, 500);
  char path[1100];
  data_path(f, path, sizeof path);
  size_t n = file_size(path);
  assert_int_equal(truncate(path, (off_t)(n / 2)), 0);
  refused(f, MB_ECORRUPT, "the file was truncated");
  assert_int_equal(truncate(path, 4100), 0);
  refused(f, MB_ECORRUPT, "the file ends inside meta page 1");
}

static void test_lost_data_refused_unless_allowed(void **state) {
  struct store_fixture *f = *state;
  fill(f, 3, 3);
  char path[1100];
  data_path(f, path, sizeof path);
  assert_int_equal(truncate(path, 0), 0);
  refused(f, MB_ESTOREEMPTY, "an empty file (0 bytes)");
  assert_int_equal(unlink(path), 0);
  refused(f, MB_ESTOREEMPTY, "missing, while the store's lock files");

  /* The caller may say that an empty store is simply new. */
  f->opt.allow_empty = true;
  struct mb_store *s = fixture_open(f);
  uint64_t inc;
  assert_ok(mb_store_self_incarnation(s, &inc));
  assert_int_equal(inc, 0);
  mb_store_close(s);
}

static void test_empty_environment_refused(void **state) {
  struct store_fixture *f = *state;
  /* LMDB writes its two meta pages on open: an interrupted first start. */
  assert_int_equal(mkdir(f->dir, 0700), 0);
  MDB_env *env;
  assert_int_equal(mdb_env_create(&env), 0);
  assert_int_equal(mdb_env_open(env, f->dir, 0, 0600), 0);
  mdb_env_close(env);
  refused(f, MB_ESTOREEMPTY, "an LMDB environment that no transaction");
}

static void test_unreadable_refused(void **state) {
  struct store_fixture *f = *state;
  fill(f, 1, 1);
  char path[1100], moved[1200];
  data_path(f, path, sizeof path);
  snprintf(moved, sizeof moved, "%s.real", path);
  assert_int_equal(rename(path, moved), 0);
  assert_int_equal(mkdir(path, 0700), 0);
  refused(f, MB_ECORRUPT, "not a regular file");
  assert_int_equal(rmdir(path), 0);
  assert_int_equal(symlink("nowhere", path), 0);
  refused(f, MB_ECORRUPT, "No such file or directory");
}

/* Offsets in a meta page: the page header (pgno, pad, flags, lower,
 * upper), then MDB_meta (see src/store/lmdb_format.h). */
#define META 16
#define META_PSIZE (META + 24)
#define META_LAST_PG (META + 120)
#define META_TXNID (META + 128)

static void test_meta_damage_refused(void **state) {
  struct store_fixture *f = *state;
  fill(f, 5, 20);
  char path[1100];
  data_path(f, path, sizeof path);
  size_t n;
  uint8_t *pristine = slurp(path, &n), *bad = malloc(n);
  uint32_t psize;
  uint64_t txn0, txn1, big = (uint64_t)1 << 40;
  memcpy(&psize, pristine + META_PSIZE, 4);
  memcpy(&txn0, pristine + META_TXNID, 8);
  memcpy(&txn1, pristine + psize + META_TXNID, 8);
  size_t used = txn1 > txn0 ? psize : 0;

  memcpy(bad, pristine, n);
  memset(bad + psize + META, 0, 4); /* magic of page 1 */
  spill(path, bad, n);
  refused(f, MB_ECORRUPT, "meta page 1 is not an LMDB meta page");

  memcpy(bad, pristine, n);
  bad[used + 10] = 0; /* mp_flags, without P_META */
  spill(path, bad, n);
  refused(f, MB_ECORRUPT, "is not an LMDB meta page");

  memcpy(bad, pristine, n);
  memcpy(bad + used + META_LAST_PG, &big, 8);
  spill(path, bad, n);
  refused(f, MB_ECORRUPT, "does not fit a file of");

  memcpy(bad, pristine, n);
  uint32_t odd = 4000;
  memcpy(bad + META_PSIZE, &odd, 4);
  spill(path, bad, n);
  refused(f, MB_ECORRUPT, "page size 4000 is impossible");

  spill(path, pristine, n);
  mb_store_close(fixture_open(f));
  free(pristine);
  free(bad);
}

/* Finds every leaf node whose key is key (current and stale copies of its
 * page) and gives its data the size dsize. */
static int set_data_size(uint8_t *p, size_t n, const char *key,
                         uint32_t dsize) {
  int found = 0;
  size_t klen = strlen(key);
  for (uint8_t *at = p; (at = memmem(at, n - (size_t)(at - p), key, klen));
       at++) {
    uint16_t ksize;
    memcpy(&ksize, at - 2, 2);
    if (ksize != klen)
      continue;
    uint16_t lo = (uint16_t)dsize, hi = (uint16_t)(dsize >> 16);
    memcpy(at - 8, &lo, 2);
    memcpy(at - 6, &hi, 2);
    found++;
  }
  return found;
}

/* A value whose size runs off the end of the file: pages.c refuses it
 * before the map is touched; read through LMDB, it faults, and the child
 * turns the fault into a refusal naming the database. */
static void test_fault_in_lmdb_becomes_refusal(void **state) {
  struct store_fixture *f = *state;
  fill(f, 2, 2);
  char path[1100], why[400];
  data_path(f, path, sizeof path);
  size_t n;
  uint8_t *p = slurp(path, &n);
  assert_true(set_data_size(p, n, "incarnation", 0x7fffffff) > 0);
  spill(path, p, n);
  free(p);
  refused(f, MB_ECORRUPT, "self database: page");

  assert_rc(mb_store__scan_in_child(f->dir, why, sizeof why), MB_ECORRUPT);
  if (strstr(why, "crashed") == NULL)
    print_error("%s\n", why);
  assert_non_null(strstr(why, "crashed"));
  assert_non_null(strstr(why, "signal"));
  assert_non_null(strstr(why, "reading the self database"));
}

/* A value of ours that LMDB holds intact but that does not decode. */
static void test_undecodable_value_refused(void **state) {
  struct store_fixture *f = *state;
  fill(f, 3, 3);
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  assert_int_equal(mdb_env_create(&env), 0);
  assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
  assert_int_equal(mdb_env_open(env, f->dir, 0, 0600), 0);
  assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
  assert_int_equal(mdb_dbi_open(txn, "events", 0, &dbi), 0);
  uint8_t key[8] = {0, 0, 0, 0, 0, 0, 0, 2};
  MDB_val k = {sizeof key, key}, v = {3, "\xa1\x01\x61"};
  assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
  assert_int_equal(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
  refused(f, MB_ECORRUPT, "1 of its ");
  assert_non_null(strstr(f->errbuf, "events entry 0000000000000002"));
}

/* Busy stores are never refused: overflow pages come and go, events are
 * pruned, the map grows; every reopening checks the whole file. */
static void test_busy_stores_pass(void **state) {
  struct store_fixture *f = *state;
  static uint8_t rec[MB_STORE_RECORD_MAX], crt[MB_STORE_CERT_MAX];
  struct test_rng rng = {42};
  f->opt.max_events = 300;
  f->opt.map_size = 1 << 20; /* small: it must grow */
  for (int round = 0; round < 25; round++) {
    struct mb_store *s = fixture_open(f);
    for (int i = 0; i < 60; i++) {
      struct mb_store_member m = {.state = (uint8_t)(test_rng_next(&rng) % 4),
                                  .incarnation = test_rng_next(&rng),
                                  .record = rec,
                                  .record_len = 1 + test_rng_next(&rng) %
                                                        MB_STORE_RECORD_MAX};
      if (test_rng_next(&rng) % 2) {
        m.cert = crt;
        m.cert_len = 1 + test_rng_next(&rng) % MB_STORE_CERT_MAX;
      }
      memset(m.id, 0, sizeof m.id);
      m.id[0] = (uint8_t)(test_rng_next(&rng) % 90);
      if (test_rng_next(&rng) % 5 == 0)
        assert_ok(mb_store_member_delete(s, m.id));
      else
        assert_ok(mb_store_member_put(s, &m));
      struct mb_store_event ev = {.time_ms = round, .incarnation = 1};
      assert_ok(mb_store_event_append(s, &ev, NULL));
      if (i % 7 == 0)
        assert_true(mb_store_commit(s) >= 0);
    }
    assert_true(mb_store_commit(s) >= 0);
    struct mb_store_stats st;
    mb_store_get_stats(s, &st);
    assert_true(st.pages_checked > 0 || round == 0);
    mb_store_close(s);
  }
}

#define T(fn)                                                                  \
  cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_truncated_refused),
      T(test_lost_data_refused_unless_allowed),
      T(test_empty_environment_refused),
      T(test_unreadable_refused),
      T(test_meta_damage_refused),
      T(test_fault_in_lmdb_becomes_refusal),
      T(test_undecodable_value_refused),
      T(test_busy_stores_pass),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
