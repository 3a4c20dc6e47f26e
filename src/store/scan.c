/*
 * The second check before opening: every entry of every database read
 * through LMDB, and every value of ours decoded, in a forked child
 * (scan_child.c runs it there).
 *
 * pages.c has by then checked each page the way LMDB will follow it, so
 * this pass should find the file sound.  It runs anyway, for two reasons:
 * it decodes our values (members, events, self, meta, channel records, the
 * outbox's entries and indexes, the bridge's episodes, Raft's term, vote,
 * log entries and snapshot) with the same
 * bounds-checked decoders the store uses at run time, so a value that does
 * not decode is refused at start rather than skipped in silence later; and
 * it reads the file through LMDB's own code, so damage of a kind pages.c
 * does not model shows up here.  LMDB has no checksums and faults on what
 * it does not expect; in a child, a fault is a refusal with a message
 * (naming the database being read) instead of the agent's death by signal.
 * The scan opens the environment read-only and without the lock file
 * (MDB_NOLOCK): the parent holds the store's lock and has not opened LMDB.
 */
#include "store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct scan {
  MDB_txn *txn;
  bool ours; /* the schema is this code's, so the values are decoded */
  uint64_t bad, entries;
  char first_bad[160];
};

static void progress(int fd, const char *name) {
  char line[MB_STORE__NAME_MAX + 3];
  int n = snprintf(line, sizeof line, "@%.*s\n", MB_STORE__NAME_MAX, name);
  if (fd >= 0 && n > 0 && write(fd, line, (size_t)n) < 0) {
    /* The parent only loses the name for its message. */
  }
}

/* Reads every byte, so that a value past the end of the file faults here,
 * in the child. */
static unsigned touch(const MDB_val *v) {
  const volatile uint8_t *p = v->mv_data;
  unsigned sum = 0;
  for (size_t i = 0; i < v->mv_size; i++)
    sum += p[i];
  return sum;
}

static int decode_meta(const MDB_val *k, const MDB_val *v) {
  uint64_t u;
  if (k->mv_size == 5 && memcmp(k->mv_data, "magic", 5) == 0)
    return mb_store__is_magic(v->mv_data, v->mv_size) ? MB_OK : MB_ERANGE;
  if ((k->mv_size == 6 && memcmp(k->mv_data, "schema", 6) == 0) ||
      (k->mv_size == 9 && memcmp(k->mv_data, "event_seq", 9) == 0) ||
      (k->mv_size == 11 && memcmp(k->mv_data, "incarnation", 11) == 0))
    return mb_store__uint_decode(v->mv_data, v->mv_size, &u);
  return MB_OK; /* a key of a later minor version */
}

/* Decodes one value of database db (index into mb_store__db_names). */
static int decode(int db, const MDB_val *k, const MDB_val *v) {
  struct mb_store_member m;
  struct mb_store_event ev;
  struct mb_store_record rec;
  struct mb_store_outbox_entry out;
  struct mb_store_episode ep;
  struct mb_store_raft_entry re;
  struct mb_store_raft_snapshot sn;
  uint64_t seq;
  switch (db) {
  case DB_META:
  case DB_SELF:
    return decode_meta(k, v);
  case DB_MEMBERS:
    if (k->mv_size != MB_STORE_ID_LEN)
      return MB_ERANGE;
    return mb_store__member_decode(v->mv_data, v->mv_size, &m);
  case DB_EVENTS:
    if (k->mv_size != 8)
      return MB_ERANGE;
    return mb_store__event_decode(v->mv_data, v->mv_size, &ev);
  case DB_RECORDS:
    return mb_store__record_decode(k, v, &rec);
  case DB_OUTBOX:
    return mb_store__outbox_decode(k, v, &out);
  case DB_OUTBOX_IDS:
    return mb_store__outbox_id_decode(k, v, &seq);
  case DB_OUTBOX_SEQ:
    return mb_store__outbox_seq_decode(k, v, &seq);
  case DB_EPISODES:
    return mb_store__episode_decode(k, v, &ep);
  case DB_RAFT_META:
    return mb_store__raft_meta_decode(k, v, &seq);
  case DB_RAFT_LOG:
    return mb_store__raft_entry_decode(k, v, &seq, &re);
  case DB_RAFT_SNAP:
    return mb_store__raft_snapshot_decode(k, v, &sn);
  default:
    return MB_OK; /* reserved for later layers: only read */
  }
}

static int known_db(const char *name) {
  for (int i = 0; i < DB_COUNT_; i++)
    if (strcmp(name, mb_store__db_names[i]) == 0)
      return i;
  return -1;
}

static void note_bad(struct scan *sc, const char *name, const MDB_val *k,
                     int rc) {
  if (sc->bad++ > 0)
    return;
  char hex[2 * 8 + 1] = "";
  const uint8_t *p = k->mv_data;
  for (size_t i = 0; i < k->mv_size && i < 8; i++)
    snprintf(hex + 2 * i, 3, "%02x", p[i]);
  snprintf(sc->first_bad, sizeof sc->first_bad, "%s entry %s%s: %s", name, hex,
           k->mv_size > 8 ? "..." : "", mb_strerror(rc));
}

static int scan_db(struct scan *sc, const char *name, MDB_dbi dbi) {
  MDB_cursor *cur;
  MDB_val k, v;
  int db = sc->ours ? known_db(name) : -1;
  volatile unsigned sink = 0;
  int rc = mdb_cursor_open(sc->txn, dbi, &cur);
  if (rc)
    return rc;
  for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == MDB_SUCCESS;
       rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    sink += touch(&k) + touch(&v);
    sc->entries++;
    int bad = db >= 0 ? decode(db, &k, &v) : MB_OK;
    if (bad != MB_OK)
      note_bad(sc, name, &k, bad);
  }
  (void)sink;
  mdb_cursor_close(cur);
  return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

/* The schema decides whether our decoders apply: a newer one is refused
 * by the schema check after this, with its own message. */
static bool schema_is_ours(MDB_txn *txn) {
  MDB_dbi meta;
  uint64_t version;
  return mdb_dbi_open(txn, "meta", 0, &meta) == MDB_SUCCESS &&
         mb_store__get_uint(txn, meta, "schema", &version) == MB_OK &&
         version == mb_store_schema_version();
}

/* Every named database listed in the main one, then the main one. */
static int scan_all(struct scan *sc, int progress_fd) {
  MDB_dbi main;
  MDB_cursor *cur;
  MDB_val k, v;
  int rc = mdb_dbi_open(sc->txn, NULL, 0, &main);
  if (rc == MDB_SUCCESS)
    rc = mdb_cursor_open(sc->txn, main, &cur);
  if (rc)
    return rc;
  sc->ours = schema_is_ours(sc->txn);
  for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == MDB_SUCCESS;
       rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    char name[MB_STORE__NAME_MAX + 1];
    MDB_dbi dbi;
    if (k.mv_size > MB_STORE__NAME_MAX || memchr(k.mv_data, 0, k.mv_size))
      continue; /* not a name we gave: pages.c has walked its tree */
    memcpy(name, k.mv_data, k.mv_size);
    name[k.mv_size] = '\0';
    progress(progress_fd, name);
    int orc = mdb_dbi_open(sc->txn, name, 0, &dbi);
    if (orc == MDB_INCOMPATIBLE)
      continue; /* a plain entry of the main database */
    if (orc == MDB_SUCCESS)
      orc = scan_db(sc, name, dbi);
    if (orc) {
      rc = orc;
      break;
    }
  }
  mdb_cursor_close(cur);
  return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

int mb_store__scan(const char *dir, int progress_fd, char *why, size_t len) {
  MDB_env *env;
  struct scan sc = {0};
  int rc = mdb_env_create(&env);
  if (rc)
    return mb_store__explain(why, len, -ENOMEM, "mdb_env_create: %s",
                             mdb_strerror(rc));
  rc = mdb_env_set_maxdbs(env, MB_STORE__MAX_DBS);
  if (rc == MDB_SUCCESS)
    rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOLOCK | MDB_NOTLS, 0600);
  if (rc == MDB_SUCCESS)
    rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &sc.txn);
  if (rc == MDB_SUCCESS) {
    rc = scan_all(&sc, progress_fd);
    mdb_txn_abort(sc.txn);
  }
  mdb_env_close(env);
  if (rc)
    return mb_store__explain(why, len, MB_ECORRUPT, "LMDB cannot read it: %s",
                             mdb_strerror(rc));
  if (sc.bad)
    return mb_store__explain(why, len, MB_ECORRUPT,
                             "%llu of its %llu entries do not decode (%s)",
                             (unsigned long long)sc.bad,
                             (unsigned long long)sc.entries, sc.first_bad);
  return MB_OK;
}
