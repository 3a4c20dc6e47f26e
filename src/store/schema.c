/*
 * Schema version and migrations.
 *
 * meta holds "magic" (the text "meshbeat-store", which tells our store from
 * any other LMDB environment), "schema" (a uint) and "event_seq" (the
 * highest event number ever committed, so numbering survives a retention
 * that emptied the log).  migrations[v] takes a store from schema v to
 * v + 1; schema 0 is an empty environment.  Opening runs the missing steps
 * and writes the new version in the same transaction as they, so a crash
 * leaves either the old schema or the new one, never half of it.
 *
 * To change the schema: append one function to migrations[] (and, for a
 * new sub-database, a name to mb_store__db_names).  The version is the
 * table's length.
 */
#include "store_internal.h"

#include <stdio.h>
#include <string.h>

#define MAGIC "meshbeat-store"

const char *const mb_store__db_names[DB_COUNT_] = {
    "meta",       "members",         "self",      "events",   "arrays",
    "ledger",     "tasks",           "outbox",    "records",  "outbox_ids",
    "outbox_seq", "bridge_episodes", "raft_meta", "raft_log", "raft_snapshot",
};

/* Schema 1 creates every sub-database of its time, including the ones later
 * layers fill (arrays, ledger, tasks, outbox), so adding their records needs no
 * migration. */
static int migrate_0_to_1(struct mb_store *s, MDB_txn *txn) {
  int rc = MDB_SUCCESS;
  for (int i = 0; i <= DB_OUTBOX && rc == MDB_SUCCESS; i++)
    rc = mdb_dbi_open(txn, mb_store__db_names[i], MDB_CREATE, &s->dbi[i]);
  if (rc)
    return rc;
  MDB_val k = {strlen("magic"), "magic"}, v = {strlen(MAGIC), MAGIC};
  return mdb_put(txn, s->dbi[DB_META], &k, &v, 0);
}

typedef int (*migration_fn)(struct mb_store *s, MDB_txn *txn);
static const migration_fn migrations[] = {
    migrate_0_to_1, mb_store__migrate_records, mb_store__migrate_outbox,
    mb_store__migrate_episodes, mb_store__migrate_raft};
#define SCHEMA_VERSION (sizeof migrations / sizeof migrations[0])

unsigned mb_store_schema_version(void) {
  return (unsigned)SCHEMA_VERSION;
}

static int not_a_store(struct mb_store *s, const char *why) {
  snprintf(s->err, sizeof s->err, "not a meshbeat store: %s", why);
  return MB_ENOTSTORE;
}

bool mb_store__is_magic(const void *p, size_t n) {
  return n == strlen(MAGIC) && memcmp(p, MAGIC, n) == 0;
}

static bool has_magic(MDB_txn *txn, MDB_dbi meta) {
  MDB_val k = {strlen("magic"), "magic"}, v;
  return mdb_get(txn, meta, &k, &v) == MDB_SUCCESS &&
         mb_store__is_magic(v.mv_data, v.mv_size);
}

/* Every database schema 1 made is there: a store of ours, whatever its
 * meta database says. */
static bool has_our_databases(MDB_txn *txn) {
  MDB_dbi dbi;
  for (int i = 0; i <= DB_OUTBOX; i++)
    if (mdb_dbi_open(txn, mb_store__db_names[i], 0, &dbi) != MDB_SUCCESS)
      return false;
  return true;
}

/* The version on disk: 0 for an empty environment. */
static int read_version(struct mb_store *s, MDB_txn *txn, uint64_t *version) {
  MDB_dbi main, meta;
  MDB_stat st;
  *version = 0;
  int rc = mdb_dbi_open(txn, NULL, 0, &main);
  if (rc == MDB_SUCCESS)
    rc = mdb_dbi_open(txn, "meta", 0, &meta);
  if (rc == MDB_NOTFOUND) {
    rc = mdb_stat(txn, main, &st);
    return rc == MDB_SUCCESS && st.ms_entries > 0
               ? not_a_store(s, "an LMDB environment of another program")
               : rc;
  }
  if (rc)
    return rc;
  if (has_magic(txn, meta) &&
      mb_store__get_uint(txn, meta, "schema", version) == MB_OK &&
      *version != 0)
    return MDB_SUCCESS;
  if (has_our_databases(txn)) {
    snprintf(s->err, sizeof s->err,
             "the store's meta database is damaged: its magic or schema "
             "version does not read");
    return MB_ECORRUPT;
  }
  return not_a_store(s, "no meshbeat schema in its meta database");
}

static int last_event_seq(struct mb_store *s, MDB_txn *txn, uint64_t *seq) {
  MDB_cursor *cur;
  MDB_val k, v;
  uint64_t kept = 0;
  int rc = mb_store__get_uint(txn, s->dbi[DB_META], "event_seq", seq);
  if (rc == MDB_NOTFOUND)
    *seq = 0;
  else if (rc)
    return rc;
  rc = mdb_cursor_open(txn, s->dbi[DB_EVENTS], &cur);
  if (rc)
    return rc;
  rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
  if (rc == MDB_SUCCESS)
    kept = mb_store__seq_of(&k);
  mdb_cursor_close(cur);
  if (kept > *seq)
    *seq = kept;
  return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

static int open_all(struct mb_store *s, MDB_txn *txn) {
  int rc = MDB_SUCCESS;
  for (int i = 0; i < DB_COUNT_ && rc == MDB_SUCCESS; i++)
    rc = mdb_dbi_open(txn, mb_store__db_names[i], 0, &s->dbi[i]);
  return rc;
}

/* An mb_store__txn_fn: everything opening does inside LMDB. */
int mb_store__prepare(struct mb_store *s, MDB_txn *txn, void *ctx) {
  (void)ctx;
  uint64_t version;
  int rc = read_version(s, txn, &version);
  if (rc)
    return rc;
  if (version > SCHEMA_VERSION) {
    snprintf(s->err, sizeof s->err,
             "store schema %llu is newer than this meshbeat's %u",
             (unsigned long long)version, (unsigned)SCHEMA_VERSION);
    return MB_ESCHEMA;
  }
  for (uint64_t v = version; v < SCHEMA_VERSION && rc == MDB_SUCCESS; v++)
    rc = migrations[v](s, txn);
  if (rc == MDB_SUCCESS)
    rc = open_all(s, txn);
  if (rc == MDB_SUCCESS && version != SCHEMA_VERSION)
    rc = mb_store__put_uint(txn, s->dbi[DB_META], "schema", SCHEMA_VERSION);
  if (rc == MDB_SUCCESS)
    rc = last_event_seq(s, txn, &s->last_seq);
  if (rc == MDB_SUCCESS)
    rc = mb_store__outbox_count(s, txn, &s->outbox_bytes);
  return rc;
}
