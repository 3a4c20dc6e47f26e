/*
 * The store's channel records (src/store/records.c): put, replace, delete
 * and read back across a reopen; a store of schema 1 gains the records
 * sub-database when opened, keeping what it held; a value that does not
 * decode is never handed out: the checks at open refuse the store.
 */
#include "store_raw.h"

struct seen {
  size_t n;
  struct {
    uint8_t kind;
    uint8_t subject[MB_STORE_SUBJECT_MAX];
    size_t subject_len;
    uint8_t record[64];
    size_t record_len;
  } r[8];
};

static int collect(const struct mb_store_record *r, void *ctx) {
  struct seen *s = ctx;
  assert_true(s->n < 8);
  assert_true(r->record_len <= sizeof s->r[0].record);
  s->r[s->n].kind = r->kind;
  memcpy(s->r[s->n].subject, r->subject, r->subject_len);
  s->r[s->n].subject_len = r->subject_len;
  memcpy(s->r[s->n].record, r->record, r->record_len);
  s->r[s->n].record_len = r->record_len;
  s->n++;
  return 0;
}

static struct mb_store_record rec(uint8_t kind, uint8_t subject_byte,
                                  const char *bytes) {
  struct mb_store_record r = {.kind = kind,
                              .subject_len = 32,
                              .record = (const uint8_t *)bytes,
                              .record_len = strlen(bytes)};
  memset(r.subject, subject_byte, sizeof r.subject);
  return r;
}

static void test_put_replace_delete_reopen(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  struct mb_store_record a = rec(20, 0xaa, "first"), b = rec(20, 0xbb, "b");
  assert_ok(mb_store_record_put(s, &a));
  assert_ok(mb_store_record_put(s, &b));
  a.record = (const uint8_t *)"second";
  a.record_len = 6;
  assert_ok(mb_store_record_put(s, &a)); /* same key: replaced */
  mb_store_close(s);

  s = fixture_open(f);
  struct seen seen = {0};
  assert_ok(mb_store_records_foreach(s, collect, &seen));
  assert_int_equal(seen.n, 2);
  assert_int_equal(seen.r[0].kind, 20);
  assert_int_equal(seen.r[0].subject[0], 0xaa);
  assert_int_equal(seen.r[0].record_len, 6);
  assert_memory_equal(seen.r[0].record, "second", 6);
  assert_ok(mb_store_record_delete(s, 20, b.subject, b.subject_len));
  assert_ok(mb_store_record_delete(s, 20, b.subject, b.subject_len));
  memset(&seen, 0, sizeof seen);
  assert_ok(mb_store_records_foreach(s, collect, &seen));
  assert_int_equal(seen.n, 1);

  struct mb_store_record bad = rec(20, 1, "x");
  bad.subject_len = 0;
  assert_rc(mb_store_record_put(s, &bad), MB_EINVAL);
  bad = rec(20, 1, "");
  assert_rc(mb_store_record_put(s, &bad), MB_EINVAL);
  mb_store_close(s);
}

/* Corrupted values (a truncated map, a record of the wrong type, a key
 * too long) are refused at open, with the first named. */
static void test_bad_values_refused(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  struct mb_store_record good = rec(20, 0x11, "good");
  assert_ok(mb_store_record_put(s, &good));
  mb_store_close(s);

  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  raw_txn(f->dir, &env, &txn, 0);
  assert_int_equal(mdb_dbi_open(txn, "records", 0, &dbi), 0);
  static const uint8_t truncated[] = {0xa1, 0x01, 0x45, 'a'};
  static const uint8_t wrong_type[] = {0xa1, 0x01, 0x01};
  uint8_t k1[33] = {20, 1}, k2[33] = {20, 2}, k3[40] = {20, 3};
  MDB_val k = {sizeof k1, k1}, v = {sizeof truncated, (void *)truncated};
  assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
  k = (MDB_val){sizeof k2, k2};
  v = (MDB_val){sizeof wrong_type, (void *)wrong_type};
  assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
  k = (MDB_val){sizeof k3, k3};
  v = (MDB_val){sizeof truncated, (void *)truncated};
  assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
  assert_int_equal(mdb_txn_commit(txn), 0);
  mdb_env_close(env);

  /* The checks at open decode every value (src/store/scan.c): damaged
   * records refuse the store, naming the first, rather than vanish. */
  s = (struct mb_store *)f;
  assert_rc(mb_store_open(&s, f->dir, &f->opt), MB_ECORRUPT);
  assert_null(s);
  assert_non_null(strstr(f->errbuf, "3 of its"));
  assert_non_null(strstr(f->errbuf, "records entry 1401"));
}

/* A store written by schema 1 (no records sub-database) opens, gains it
 * (and the later schemas' databases), and keeps its members. */
static void test_schema_1_migrates(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  uint8_t hb[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  struct mb_store_member m = {.state = MB_STORE_ALIVE,
                              .incarnation = 3,
                              .record = hb,
                              .record_len = sizeof hb};
  memset(m.id, 0x42, sizeof m.id);
  assert_ok(mb_store_member_put(s, &m));
  assert_int_equal(mb_store_commit(s), 1);
  mb_store_close(s);

  /* Back to what schema 1 left: no records, schema = 1. */
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  raw_txn(f->dir, &env, &txn, 0);
  assert_int_equal(mdb_dbi_open(txn, "records", 0, &dbi), 0);
  assert_int_equal(mdb_drop(txn, dbi, 1), 0);
  assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
  const uint8_t one = 0x01;
  MDB_val k = {6, "schema"}, v = {1, (void *)&one};
  assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
  assert_int_equal(mdb_txn_commit(txn), 0);
  mdb_env_close(env);

  s = fixture_open(f);
  struct mb_store_record r = rec(20, 0x11, "rev");
  assert_ok(mb_store_record_put(s, &r));
  mb_store_close(s);

  raw_txn(f->dir, &env, &txn, MDB_RDONLY);
  assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
  assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
  assert_int_equal(((const uint8_t *)v.mv_data)[0],
                   mb_store_schema_version()); /* up to now */
  assert_int_equal(mdb_dbi_open(txn, "members", 0, &dbi), 0);
  MDB_stat st;
  assert_int_equal(mdb_stat(txn, dbi, &st), 0);
  assert_int_equal(st.ms_entries, 1);
  mdb_txn_abort(txn);
  mdb_env_close(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_put_replace_delete_reopen,
                                      fixture_setup, fixture_teardown),
      cmocka_unit_test_setup_teardown(test_bad_values_refused, fixture_setup,
                                      fixture_teardown),
      cmocka_unit_test_setup_teardown(test_schema_1_migrates, fixture_setup,
                                      fixture_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
