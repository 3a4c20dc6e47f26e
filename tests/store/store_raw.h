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
#include <sys/stat.h>
#include <sys/wait.h>

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

/* Begins writing the store that schema (2 to 4) left at dir, which must
 * not exist yet: that schema's databases, meta's magic and schema number,
 * and our incarnation.  The caller puts the rest, commits and closes. */
static inline void raw_old_store(const char *dir, uint8_t schema,
                                 uint8_t incarnation, MDB_env **env,
                                 MDB_txn **txn) {
  static const struct {
    const char *name;
    uint8_t since; /* the first schema that has it, 2 at the earliest */
  } dbs[] = {{"meta", 2},       {"members", 2},    {"self", 2},
             {"events", 2},     {"arrays", 2},     {"ledger", 2},
             {"tasks", 2},      {"outbox", 2},     {"records", 2},
             {"outbox_ids", 3}, {"outbox_seq", 3}, {"bridge_episodes", 4}};
  assert_true(schema >= 2 && schema <= 4);
  assert_int_equal(mkdir(dir, 0700), 0);
  raw_txn(dir, env, txn, 0);
  MDB_dbi dbi;
  for (size_t i = 0; i < sizeof dbs / sizeof dbs[0]; i++)
    if (dbs[i].since <= schema)
      assert_int_equal(mdb_dbi_open(*txn, dbs[i].name, MDB_CREATE, &dbi), 0);
  raw_put(*txn, "meta", "magic", 5, "meshbeat-store", 14);
  raw_put(*txn, "meta", "schema", 6, &schema, 1);
  raw_put(*txn, "self", "incarnation", 11, &incarnation, 1);
}

/* Asserts that the (closed) store at dir has schema on disk, and each of
 * the n databases named. */
static inline void raw_assert_schema(const char *dir, uint8_t schema,
                                     const char *const *dbs, size_t n) {
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  MDB_val k = {6, "schema"}, v;
  raw_txn(dir, &env, &txn, MDB_RDONLY);
  assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
  assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
  assert_int_equal(v.mv_size, 1);
  assert_int_equal(((const uint8_t *)v.mv_data)[0], schema);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(mdb_dbi_open(txn, dbs[i], 0, &dbi), 0);
  mdb_txn_abort(txn);
  mdb_env_close(env);
}

/* Puts val at key in db, or deletes key when val is NULL, from a child
 * process: damage done while this process has the store open (LMDB must
 * not open one environment twice in one process). */
static inline void raw_damage_in_child(const char *dir, const char *db,
                                       const void *key, size_t kn,
                                       const void *val, size_t vn) {
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) { /* no cmocka here: its failures belong to the parent */
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_val k = {kn, (void *)key}, v = {vn, (void *)val};
    if (mdb_env_create(&env) || mdb_env_set_maxdbs(env, 32) ||
        mdb_env_open(env, dir, 0, 0600) || mdb_txn_begin(env, NULL, 0, &txn) ||
        mdb_dbi_open(txn, db, 0, &dbi) ||
        (val ? mdb_put(txn, dbi, &k, &v, 0) : mdb_del(txn, dbi, &k, NULL)) ||
        mdb_txn_commit(txn))
      _exit(1);
    mdb_env_close(env);
    _exit(0);
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
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
