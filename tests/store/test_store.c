/*
 * Unit tests of the store (src/store) against real LMDB environments in
 * temporary directories.  Where a test needs to see or forge what is on
 * disk (the schema version, a foreign environment) it uses LMDB directly.
 */
#include "store_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

/* ---- helpers ----------------------------------------------------------- */

static void make_id(uint8_t id[MB_STORE_ID_LEN], uint32_t n) {
  memset(id, 0xA5, MB_STORE_ID_LEN);
  id[0] = (uint8_t)(n >> 24);
  id[1] = (uint8_t)(n >> 16);
  id[2] = (uint8_t)(n >> 8);
  id[3] = (uint8_t)n;
}

/* A member whose record bytes encode its incarnation. */
struct test_member {
  struct mb_store_member m;
  uint8_t record[MB_STORE_RECORD_MAX];
};

static void make_member(struct test_member *t, uint32_t n, uint64_t inc,
                        size_t record_len) {
  memset(t, 0, sizeof *t);
  make_id(t->m.id, n);
  t->m.state = MB_STORE_ALIVE;
  t->m.since_ms = 1700000000000 + (int64_t)n;
  t->m.incarnation = inc;
  memset(t->record, (int)(inc & 0xff), record_len);
  t->m.record = t->record;
  t->m.record_len = record_len;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t append_event(struct mb_store *s, int64_t time_ms,
                             uint64_t inc) {
  struct mb_store_event ev = {.time_ms = time_ms,
                              .from = MB_STORE_ALIVE,
                              .to = MB_STORE_SUSPECT,
                              .reason = 1,
                              .incarnation = inc};
  make_id(ev.id, (uint32_t)inc);
  snprintf(ev.name, sizeof ev.name, "node-%llu", (unsigned long long)inc);
  uint64_t seq = 0;
  assert_ok(mb_store_event_append(s, &ev, &seq));
  return seq;
}

/* Collected members, copied out of the callback. */
#define MAX_SEEN 512
struct seen_members {
  size_t n;
  struct mb_store_member m[MAX_SEEN];
  uint8_t first_record_byte[MAX_SEEN];
  uint8_t cert0[MAX_SEEN];
};

static int collect_member(const struct mb_store_member *m, void *ctx) {
  struct seen_members *sm = ctx;
  assert_true(sm->n < MAX_SEEN);
  sm->m[sm->n] = *m;
  sm->first_record_byte[sm->n] = m->record[0];
  sm->cert0[sm->n] = m->cert_len ? m->cert[0] : 0;
  sm->m[sm->n].record = NULL; /* not valid after the callback */
  sm->m[sm->n].cert = NULL;
  sm->n++;
  return 0;
}

static void read_members(struct mb_store *s, struct seen_members *sm) {
  sm->n = 0;
  assert_ok(mb_store_members_foreach(s, collect_member, sm));
}

struct seen_events {
  size_t n;
  struct mb_store_event ev[MAX_SEEN];
};

static int collect_event(const struct mb_store_event *ev, void *ctx) {
  struct seen_events *se = ctx;
  assert_true(se->n < MAX_SEEN);
  se->ev[se->n++] = *ev;
  return 0;
}

static size_t read_events(struct mb_store *s, uint64_t since, size_t limit,
                          struct seen_events *se) {
  se->n = 0;
  int rc = mb_store_events_since(s, since, limit, collect_event, se);
  assert_true(rc >= 0);
  assert_int_equal((size_t)rc, se->n);
  return se->n;
}

/* Opens the environment behind the store's back (no store may hold it). */
static MDB_env *raw_open(const char *dir) {
  MDB_env *env;
  assert_int_equal(mdb_env_create(&env), 0);
  assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
  assert_int_equal(mdb_env_open(env, dir, MDB_NOTLS, 0600), 0);
  return env;
}

static void raw_put(const char *dir, const char *db, const char *key,
                    const void *val, size_t len) {
  MDB_env *env = raw_open(dir);
  MDB_txn *txn;
  MDB_dbi dbi;
  assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
  assert_int_equal(mdb_dbi_open(txn, db, MDB_CREATE, &dbi), 0);
  MDB_val k = {strlen(key), (void *)key}, v = {len, (void *)val};
  assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
  assert_int_equal(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
}

/* ---- opening ----------------------------------------------------------- */

static void test_open_creates_schema_1(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  /* 2: records, 3: outbox, 4: the bridge's episodes, 5: Raft */
  assert_int_equal(mb_store_schema_version(), 5);
  mb_store_close(s);

  struct stat st;
  assert_int_equal(stat(f->dir, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0700);

  MDB_env *env = raw_open(f->dir);
  MDB_txn *txn;
  MDB_dbi dbi;
  MDB_val k = {6, "schema"}, v;
  assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
  static const char *const dbs[] = {
      "meta",      "members",    "self",         "events",
      "arrays",    "ledger",     "tasks",        "outbox",
      "records",   "outbox_ids", "outbox_seq",   "bridge_episodes",
      "raft_meta", "raft_log",   "raft_snapshot"};
  for (size_t i = 0; i < sizeof dbs / sizeof dbs[0]; i++)
    assert_int_equal(mdb_dbi_open(txn, dbs[i], 0, &dbi), 0);
  assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
  assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
  assert_int_equal(v.mv_size, 1);
  assert_int_equal(((const uint8_t *)v.mv_data)[0], 0x05); /* CBOR 5 */
  mdb_txn_abort(txn);
  mdb_env_close(env);
}

static void test_reopen_keeps_data(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  struct test_member tm;
  make_member(&tm, 7, 42, 100);
  assert_ok(mb_store_member_put(s, &tm.m));
  assert_int_equal(append_event(s, 1000, 5), 1);
  assert_int_equal(mb_store_commit(s), 2);
  uint64_t inc;
  assert_ok(mb_store_self_incarnation_bump(s, 9, &inc));
  mb_store_close(s);

  s = fixture_open(f);
  struct seen_members sm;
  read_members(s, &sm);
  assert_int_equal(sm.n, 1);
  assert_memory_equal(sm.m[0].id, tm.m.id, MB_STORE_ID_LEN);
  assert_int_equal(sm.m[0].incarnation, 42);
  assert_ok(mb_store_self_incarnation(s, &inc));
  assert_int_equal(inc, 9);
  struct seen_events se;
  assert_int_equal(read_events(s, 0, 0, &se), 1);
  assert_int_equal(se.ev[0].incarnation, 5);
  mb_store_close(s);
}

static void test_newer_schema_refused(void **state) {
  struct store_fixture *f = *state;
  mb_store_close(fixture_open(f));
  /* One above this code's, as a one-byte CBOR uint. */
  const uint8_t newer = (uint8_t)(mb_store_schema_version() + 1);
  raw_put(f->dir, "meta", "schema", &newer, 1);
  struct mb_store *s = (struct mb_store *)f; /* must come back NULL */
  assert_rc(mb_store_open(&s, f->dir, &f->opt), MB_ESCHEMA);
  assert_null(s);
  assert_non_null(strstr(f->errbuf, "newer"));
}

static void test_non_store_dir_refused(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s;
  char path[PATH_MAX + 16];

  /* A directory of someone else's files is left untouched. */
  assert_int_equal(mkdir(f->dir, 0700), 0);
  snprintf(path, sizeof path, "%s/notes.txt", f->dir);
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fclose(fp);
  assert_rc(mb_store_open(&s, f->dir, &f->opt), MB_ENOTSTORE);
  assert_non_null(strstr(f->errbuf, "not a meshbeat store"));
  snprintf(path, sizeof path, "%s/data.mdb", f->dir);
  assert_int_equal(access(path, F_OK), -1);
  snprintf(path, sizeof path, "%s/meshbeat.lock", f->dir);
  assert_int_equal(access(path, F_OK), -1);

  /* Another program's LMDB environment. */
  snprintf(path, sizeof path, "%s/other", f->root);
  assert_int_equal(mkdir(path, 0700), 0);
  raw_put(path, "accounts", "alice", "1", 1);
  assert_rc(mb_store_open(&s, path, &f->opt), MB_ENOTSTORE);

  /* A data.mdb that is not LMDB at all. */
  snprintf(path, sizeof path, "%s/junk", f->root);
  assert_int_equal(mkdir(path, 0700), 0);
  char file[PATH_MAX + 32];
  snprintf(file, sizeof file, "%s/data.mdb", path);
  fp = fopen(file, "w");
  assert_non_null(fp);
  for (int i = 0; i < 8192; i++)
    fputc('x', fp);
  fclose(fp);
  assert_rc(mb_store_open(&s, path, &f->opt), MB_ECORRUPT);

  /* A regular file. */
  assert_rc(mb_store_open(&s, file, &f->opt), -ENOTDIR);
}

static void test_second_opener_refused(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f), *s2 = NULL;

  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    struct mb_store *c = NULL;
    int rc = mb_store_open(&c, f->dir, &f->opt);
    _exit(rc == -EBUSY && c == NULL ? 0 : 1);
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);

  /* flock is per open file, so a second open in this process fails too. */
  assert_rc(mb_store_open(&s2, f->dir, &f->opt), -EBUSY);
  char pid_text[32];
  snprintf(pid_text, sizeof pid_text, "pid %ld", (long)getpid());
  assert_non_null(strstr(f->errbuf, pid_text));

  mb_store_close(s);
  s2 = fixture_open(f);
  mb_store_close(s2);
}

/* ---- members ----------------------------------------------------------- */

static void test_member_put_delete_iterate(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  uint8_t never[MB_STORE_ID_LEN];
  make_id(never, 99);
  assert_ok(mb_store_member_delete(s, never)); /* absent: not an error */
  assert_int_equal(mb_store_commit(s), 1);

  struct test_member a, b, c;
  uint8_t cert[300];
  memset(cert, 0xCE, sizeof cert);
  make_member(&a, 1, 10, 1400);
  make_member(&b, 2, 20, 1);
  b.m.state = MB_STORE_SUSPECT;
  b.m.since_ms = -5;
  b.m.cert = cert;
  b.m.cert_len = sizeof cert;
  make_member(&c, 3, UINT64_MAX, 200);
  c.m.state = MB_STORE_LEFT;
  assert_ok(mb_store_member_put(s, &c.m));
  assert_ok(mb_store_member_put(s, &a.m));
  assert_ok(mb_store_member_put(s, &b.m));
  assert_int_equal(mb_store_staged(s), 3);
  assert_int_equal(mb_store_commit(s), 3);
  assert_int_equal(mb_store_staged(s), 0);

  struct seen_members sm;
  read_members(s, &sm);
  assert_int_equal(sm.n, 3); /* in id order */
  assert_memory_equal(sm.m[0].id, a.m.id, MB_STORE_ID_LEN);
  assert_int_equal(sm.m[0].record_len, 1400);
  assert_int_equal(sm.first_record_byte[0], 10);
  assert_int_equal(sm.m[0].cert_len, 0);
  assert_int_equal(sm.m[1].state, MB_STORE_SUSPECT);
  assert_int_equal(sm.m[1].since_ms, -5);
  assert_int_equal(sm.m[1].cert_len, sizeof cert);
  assert_int_equal(sm.cert0[1], 0xCE);
  assert_int_equal(sm.m[2].incarnation, UINT64_MAX);
  assert_int_equal(sm.m[2].state, MB_STORE_LEFT);

  assert_ok(mb_store_member_delete(s, b.m.id));
  assert_int_equal(mb_store_commit(s), 1);
  read_members(s, &sm);
  assert_int_equal(sm.n, 2);
  assert_memory_equal(sm.m[1].id, c.m.id, MB_STORE_ID_LEN);

  /* Refused at staging, so a bad value never reaches a commit. */
  a.m.state = 4;
  assert_rc(mb_store_member_put(s, &a.m), MB_EINVAL);
  a.m.state = 0;
  a.m.record_len = MB_STORE_RECORD_MAX + 1;
  assert_rc(mb_store_member_put(s, &a.m), MB_ETOOBIG);
  a.m.record_len = 0;
  assert_rc(mb_store_member_put(s, &a.m), MB_EINVAL);
  assert_int_equal(mb_store_staged(s), 0);
  mb_store_close(s);
}

static void test_batch_dedup(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  struct test_member t;
  for (uint64_t i = 1; i <= 50; i++) {
    make_member(&t, 1, i, 64);
    assert_ok(mb_store_member_put(s, &t.m));
  }
  make_member(&t, 2, 7, 64);
  assert_ok(mb_store_member_put(s, &t.m));
  assert_ok(mb_store_member_delete(s, t.m.id)); /* put then delete: gone */
  make_member(&t, 3, 8, 64);
  assert_ok(mb_store_member_put(s, &t.m));
  make_member(&t, 4, 9, 64);
  assert_ok(mb_store_member_delete(s, t.m.id)); /* delete then put: there */
  assert_ok(mb_store_member_put(s, &t.m));
  assert_int_equal(mb_store_commit(s), 4);

  struct mb_store_stats st;
  mb_store_get_stats(s, &st);
  assert_int_equal(st.records_written, 4);
  struct seen_members sm;
  read_members(s, &sm);
  assert_int_equal(sm.n, 3);
  assert_int_equal(sm.m[0].incarnation, 50);
  assert_int_equal(sm.first_record_byte[0], 50);
  assert_int_equal(sm.m[1].incarnation, 8);
  assert_int_equal(sm.m[2].incarnation, 9);
  mb_store_close(s);
}

/* ---- self -------------------------------------------------------------- */

static void test_incarnation_bump(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  uint64_t inc = 99;
  assert_ok(mb_store_self_incarnation(s, &inc));
  assert_int_equal(inc, 0);
  assert_ok(mb_store_self_incarnation_bump(s, 0, &inc));
  assert_int_equal(inc, 1);
  assert_ok(mb_store_self_incarnation_bump(s, 0, &inc));
  assert_int_equal(inc, 2);
  assert_ok(mb_store_self_incarnation_bump(s, 100, &inc));
  assert_int_equal(inc, 100);
  assert_ok(mb_store_self_incarnation_bump(s, 5, &inc));
  assert_int_equal(inc, 101);

  /* The bump commits alone: what is staged stays staged. */
  struct test_member t;
  make_member(&t, 1, 1, 8);
  assert_ok(mb_store_member_put(s, &t.m));
  assert_ok(mb_store_self_incarnation_bump(s, 0, &inc));
  assert_int_equal(mb_store_staged(s), 1);
  mb_store_close(s); /* drops the staged member */

  s = fixture_open(f);
  assert_ok(mb_store_self_incarnation(s, &inc));
  assert_int_equal(inc, 102);
  assert_ok(mb_store_self_incarnation_bump(s, 0, &inc));
  assert_int_equal(inc, 103);
  struct seen_members sm;
  read_members(s, &sm);
  assert_int_equal(sm.n, 0);
  mb_store_close(s);
}

/* ---- events ------------------------------------------------------------ */

static void test_event_sequence_continues(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  for (uint64_t i = 1; i <= 3; i++)
    assert_int_equal(append_event(s, now_ms(), i), i);
  assert_int_equal(mb_store_commit(s), 3);
  mb_store_close(s);

  s = fixture_open(f);
  assert_int_equal(mb_store_last_event_seq(s), 3);
  assert_int_equal(append_event(s, now_ms(), 4), 4);
  assert_int_equal(mb_store_commit(s), 1);
  struct seen_events se;
  assert_int_equal(read_events(s, 0, 0, &se), 4);
  for (size_t i = 0; i < se.n; i++) {
    assert_int_equal(se.ev[i].seq, i + 1);
    assert_int_equal(se.ev[i].incarnation, i + 1);
    assert_int_equal(se.ev[i].from, MB_STORE_ALIVE);
    assert_int_equal(se.ev[i].to, MB_STORE_SUSPECT);
    assert_int_equal(se.ev[i].reason, 1);
  }
  assert_string_equal(se.ev[3].name, "node-4");
  uint8_t id[MB_STORE_ID_LEN];
  make_id(id, 4);
  assert_memory_equal(se.ev[3].id, id, MB_STORE_ID_LEN);
  mb_store_close(s);
}

static void test_retention_by_count(void **state) {
  struct store_fixture *f = *state;
  f->opt.max_events = 10;
  struct mb_store *s = fixture_open(f);
  for (uint64_t i = 1; i <= 25; i++) {
    append_event(s, now_ms(), i);
    if (i % 5 == 0)
      assert_int_equal(mb_store_commit(s), 5);
  }
  struct seen_events se;
  assert_int_equal(read_events(s, 0, 0, &se), 10);
  assert_int_equal(se.ev[0].seq, 16);
  assert_int_equal(se.ev[9].seq, 25);
  struct mb_store_stats st;
  mb_store_get_stats(s, &st);
  assert_int_equal(st.events_pruned, 15);
  mb_store_close(s);
}

static void test_retention_by_age(void **state) {
  struct store_fixture *f = *state;
  f->opt.max_events = 0;
  f->opt.max_event_age_ms = 60000;
  struct mb_store *s = fixture_open(f);
  for (uint64_t i = 1; i <= 5; i++)
    append_event(s, now_ms() - 120000, i);
  for (uint64_t i = 6; i <= 8; i++)
    append_event(s, now_ms() - 30000, i);
  assert_int_equal(mb_store_commit(s), 8);
  struct seen_events se;
  assert_int_equal(read_events(s, 0, 0, &se), 3);
  assert_int_equal(se.ev[0].seq, 6);

  /* Pruning works from the front only: an old event behind young ones (a
   * clock stepped back) waits for them. */
  append_event(s, now_ms() - 120000, 9);
  assert_int_equal(mb_store_commit(s), 1);
  assert_int_equal(read_events(s, 0, 0, &se), 4);
  mb_store_close(s);

  /* Numbering survives a retention that emptied the log. */
  f->opt.max_event_age_ms = 10000;
  s = fixture_open(f);
  append_event(s, now_ms() - 20000, 10);
  assert_int_equal(mb_store_commit(s), 1);
  assert_int_equal(read_events(s, 0, 0, &se), 0);
  mb_store_close(s);
  s = fixture_open(f);
  assert_int_equal(mb_store_last_event_seq(s), 10);
  assert_int_equal(append_event(s, now_ms(), 11), 11);
  mb_store_close(s);
}

static int stop_at_third(const struct mb_store_event *ev, void *ctx) {
  (void)ev;
  return ++*(int *)ctx == 3 ? 77 : 0;
}

static void test_events_since(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  for (uint64_t i = 1; i <= 20; i++)
    append_event(s, now_ms(), i);
  assert_int_equal(mb_store_commit(s), 20);
  struct seen_events se;
  assert_int_equal(read_events(s, 5, 4, &se), 4);
  for (size_t i = 0; i < 4; i++)
    assert_int_equal(se.ev[i].seq, 6 + i);
  assert_int_equal(read_events(s, 18, 0, &se), 2);
  assert_int_equal(se.ev[1].seq, 20);
  assert_int_equal(read_events(s, 20, 0, &se), 0);
  assert_int_equal(read_events(s, UINT64_MAX, 0, &se), 0);
  int calls = 0;
  assert_int_equal(mb_store_events_since(s, 0, 0, stop_at_third, &calls), 77);
  assert_int_equal(calls, 3);

  /* Staged events have their numbers but are not visible yet. */
  assert_int_equal(append_event(s, now_ms(), 21), 21);
  assert_int_equal(read_events(s, 20, 0, &se), 0);
  mb_store_discard(s);
  assert_int_equal(append_event(s, now_ms(), 22), 22);
  assert_int_equal(mb_store_commit(s), 1);
  assert_int_equal(read_events(s, 20, 0, &se), 1);
  assert_int_equal(se.ev[0].seq, 22);

  struct mb_store_event bad = {.name = "\xff"};
  assert_rc(mb_store_event_append(s, &bad, NULL), MB_EINVAL);
  mb_store_close(s);
}

/* ---- batches ----------------------------------------------------------- */

static void test_empty_commit_is_noop(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  struct stat st0, st1;
  char data[PATH_MAX + 16];
  snprintf(data, sizeof data, "%s/data.mdb", f->dir);
  assert_int_equal(stat(data, &st0), 0);
  assert_int_equal(mb_store_commit(s), 0);
  assert_int_equal(mb_store_commit(s), 0);
  struct mb_store_stats stats;
  mb_store_get_stats(s, &stats);
  assert_int_equal(stats.commits, 0);
  assert_int_equal(stats.records_written, 0);
  assert_int_equal(stats.bytes_written, 0);
  assert_int_equal(stat(data, &st1), 0);
  assert_int_equal(st0.st_size, st1.st_size);
  assert_int_equal(st0.st_mtim.tv_sec, st1.st_mtim.tv_sec);
  assert_int_equal(st0.st_mtim.tv_nsec, st1.st_mtim.tv_nsec);
  mb_store_close(s);
}

static void test_map_full_grows(void **state) {
  struct store_fixture *f = *state;
  f->opt.map_size = 256 * 1024;
  struct mb_store *s = fixture_open(f);
  struct mb_store_stats st;
  mb_store_get_stats(s, &st);
  assert_int_equal(st.map_size, 256 * 1024);

  static struct test_member t; /* 4 KiB: keep it off the stack */
  for (uint32_t i = 0; i < 400; i++) {
    make_member(&t, i, i + 1, 1400);
    assert_ok(mb_store_member_put(s, &t.m));
  }
  assert_int_equal(mb_store_commit(s), 400);
  mb_store_get_stats(s, &st);
  assert_true(st.map_grows >= 1);
  assert_true(st.map_size >= 512 * 1024);
  struct seen_members sm;
  read_members(s, &sm);
  assert_int_equal(sm.n, 400);
  mb_store_close(s);

  s = fixture_open(f); /* LMDB keeps the larger size of the file */
  read_members(s, &sm);
  assert_int_equal(sm.n, 400);
  assert_int_equal(sm.m[399].incarnation, 400);
  mb_store_close(s);
}

static void test_stats(void **state) {
  struct store_fixture *f = *state;
  f->opt.nosync = false;
  struct mb_store *s = fixture_open(f);
  struct test_member t;
  for (uint32_t i = 0; i < 5; i++) {
    make_member(&t, i, 1, 100);
    assert_ok(mb_store_member_put(s, &t.m));
    assert_int_equal(mb_store_commit(s), 1);
  }
  struct mb_store_stats st;
  mb_store_get_stats(s, &st);
  assert_int_equal(st.commits, 5);
  assert_int_equal(st.commit_errors, 0);
  assert_int_equal(st.records_written, 5);
  assert_true(st.bytes_written > 5 * (MB_STORE_ID_LEN + 100));
  uint64_t in_hist = 0;
  for (int i = 0; i < MB_STORE_LAT_BUCKETS; i++)
    in_hist += st.commit_us_hist[i];
  assert_int_equal(in_hist, 5);
  assert_true(st.max_commit_us >= st.last_commit_us);
  assert_true(st.sum_commit_us >= st.max_commit_us);
  assert_true(st.sum_commit_us > 0); /* five fsyncs take time */
  assert_string_equal(mb_store_errmsg(s), "");
  mb_store_close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(fn)                                                                  \
  cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
      T(test_open_creates_schema_1),
      T(test_reopen_keeps_data),
      T(test_newer_schema_refused),
      T(test_non_store_dir_refused),
      T(test_second_opener_refused),
      T(test_member_put_delete_iterate),
      T(test_batch_dedup),
      T(test_incarnation_bump),
      T(test_event_sequence_continues),
      T(test_retention_by_count),
      T(test_retention_by_age),
      T(test_events_since),
      T(test_empty_commit_is_noop),
      T(test_map_full_grows),
      T(test_stats),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
