/*
 * Writing a store behind its back, through LMDB itself: what the store
 * tests use to build stores of an older schema and to damage values.
 * LMDB must not open one environment twice in one process, so the store
 * is closed (or the writer is a child) while these run.  Every step
 * asserts; the caller commits or aborts and closes the environment.
 */
#ifndef MESHBEAT_STORE_RAW_H
#define MESHBEAT_STORE_RAW_H

#include "store_fixture.h"

#include <lmdb.h>

/* Opens the environment at dir and begins a transaction with flags. */
static inline void raw_txn(const char *dir, MDB_env **env, MDB_txn **txn,
                           unsigned flags) {
  assert_int_equal(mdb_env_create(env), 0);
  assert_int_equal(mdb_env_set_maxdbs(*env, 32), 0);
  assert_int_equal(mdb_env_open(*env, dir, 0, 0600), 0);
  assert_int_equal(mdb_txn_begin(*env, NULL, flags, txn), 0);
}

/* Puts val at key in db, creating db if need be. */
static inline void raw_put(MDB_txn *txn, const char *db, const void *key,
                           size_t kn, const void *val, size_t vn) {
  MDB_dbi dbi;
  assert_int_equal(mdb_dbi_open(txn, db, MDB_CREATE, &dbi), 0);
  MDB_val k = {kn, (void *)key}, v = {vn, (void *)val};
  assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
}

/* Deletes key, which must be there, from db. */
static inline void raw_del(MDB_txn *txn, const char *db, const void *key,
                           size_t kn) {
  MDB_dbi dbi;
  assert_int_equal(mdb_dbi_open(txn, db, 0, &dbi), 0);
  MDB_val k = {kn, (void *)key};
  assert_int_equal(mdb_del(txn, dbi, &k, NULL), 0);
}

/* Puts a damaged val at key in db of the (closed) fixture's store and
 * insists that the store then refuses to open with MB_ECORRUPT and a
 * message containing named; removes it again and insists that the store
 * opens. */
static inline void raw_refused_with(struct store_fixture *f, const char *db,
                                    const void *key, size_t kn, const void *val,
                                    size_t vn, const char *named) {
  MDB_env *env;
  MDB_txn *txn;
  raw_txn(f->dir, &env, &txn, 0);
  raw_put(txn, db, key, kn, val, vn);
  assert_int_equal(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
  struct mb_store *s = (struct mb_store *)f;
  f->errbuf[0] = '\0';
  assert_rc(mb_store_open(&s, f->dir, &f->opt), MB_ECORRUPT);
  assert_null(s);
  if (strstr(f->errbuf, named) == NULL)
    print_error("message: %s\nwanted: %s\n", f->errbuf, named);
  assert_non_null(strstr(f->errbuf, named));
  raw_txn(f->dir, &env, &txn, 0);
  raw_del(txn, db, key, kn);
  assert_int_equal(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
  mb_store_close(fixture_open(f));
}

#endif
