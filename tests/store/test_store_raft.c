/*
 * Raft's durable state in the store (src/store/raft_*.c), against real
 * LMDB: term and vote; appends, replacement of a suffix, truncation and
 * gaps refused; snapshots with trailing entries; every write synced even
 * with nosync (fdatasync is counted by interposing it); a write that fails
 * half-way leaves nothing; a schema-4 store upgraded in place; damaged
 * values and a log with a hole refused with MB_ECORRUPT and a message.
 */
#include "store_internal.h"
#include "store_raw.h"

#include <dlfcn.h>
#include <errno.h>

/* ---- fdatasync and fsync, counted ---------------------------------------
 * LMDB (a shared library) calls them through the dynamic linker, which
 * finds these first: the executable exports them (ENABLE_EXPORTS). */
static unsigned syncs; /* a test's counter, not src/ state */

int fdatasync(int fd) {
  int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  syncs++;
  return real(fd);
}

int fsync(int fd) {
  int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  syncs++;
  return real(fd);
}

/* ---- reading the log back ---------------------------------------------- */

#define LOG_MAX 32

struct log {
  size_t n;
  uint64_t index[LOG_MAX], term[LOG_MAX];
  uint8_t type[LOG_MAX];
  uint8_t data[LOG_MAX][16];
  size_t len[LOG_MAX];
};

static int collect(void *arg, uint64_t index,
                   const struct mb_store_raft_entry *e) {
  struct log *l = arg;
  assert_true(l->n < LOG_MAX && e->len <= sizeof l->data[0]);
  l->index[l->n] = index;
  l->term[l->n] = e->term;
  l->type[l->n] = e->type;
  l->len[l->n] = e->len;
  memcpy(l->data[l->n], e->data, e->len);
  l->n++;
  return 0;
}

static void read_log(struct mb_store *s, struct log *l) {
  memset(l, 0, sizeof *l);
  assert_ok(mb_store_raft_each(s, collect, l));
}

/* Entry i of a test log: term t, data "e<i>t<t>". */
struct fill {
  struct mb_store_raft_entry e[LOG_MAX];
  char text[LOG_MAX][16];
};

static const struct mb_store_raft_entry *entries(struct fill *f, uint64_t first,
                                                 size_t n, uint64_t term) {
  for (size_t i = 0; i < n; i++) {
    int len =
        snprintf(f->text[i], sizeof f->text[i], "e%llut%llu",
                 (unsigned long long)(first + i), (unsigned long long)term);
    f->e[i] = (struct mb_store_raft_entry){.term = term,
                                           .type = (uint8_t)(1 + i % 3),
                                           .data = (const uint8_t *)f->text[i],
                                           .len = (size_t)len};
  }
  return f->e;
}

/* The log is exactly first..last, entry i of term terms[i - first]. */
static void assert_log(struct mb_store *s, uint64_t first, uint64_t last,
                       const uint64_t *terms) {
  struct log l;
  read_log(s, &l);
  assert_int_equal(l.n, last >= first ? last - first + 1 : 0);
  for (size_t i = 0; i < l.n; i++) {
    char want[16];
    int len =
        snprintf(want, sizeof want, "e%llut%llu",
                 (unsigned long long)(first + i), (unsigned long long)terms[i]);
    assert_int_equal(l.index[i], first + i);
    assert_int_equal(l.term[i], terms[i]);
    assert_int_equal(l.len[i], (size_t)len);
    assert_memory_equal(l.data[i], want, (size_t)len);
  }
}

static void append(struct mb_store *s, uint64_t first, size_t n,
                   uint64_t term) {
  struct fill f;
  assert_ok(mb_store_raft_append(s, first, entries(&f, first, n, term), n));
}

/* ---- term and vote ------------------------------------------------------ */

static void assert_meta(struct mb_store *s, uint64_t term, uint64_t vote) {
  uint64_t t = 99, v = 99;
  assert_ok(mb_store_raft_meta(s, &t, &v));
  assert_int_equal(t, term);
  assert_int_equal(v, vote);
}

static int no_snapshot(void *arg, const struct mb_store_raft_snapshot *sn) {
  (void)arg, (void)sn;
  fail_msg("a snapshot where none was put");
  return 0;
}

static void test_empty_store(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  assert_meta(s, 0, 0);
  assert_log(s, 1, 0, NULL);
  assert_rc(mb_store_raft_snapshot_get(s, no_snapshot, NULL), -ENOENT);
  mb_store_close(s);
}

static void test_term_and_vote(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  assert_ok(mb_store_raft_set_term(s, 3));
  assert_meta(s, 3, 0);
  assert_ok(mb_store_raft_set_vote(s, 0xabcdef0123456789u));
  assert_meta(s, 3, 0xabcdef0123456789u);
  mb_store_close(s);
  s = fixture_open(f);
  assert_meta(s, 3, 0xabcdef0123456789u);
  /* A new term forgets the vote of the old one, in the same write. */
  assert_ok(mb_store_raft_set_term(s, UINT64_MAX));
  assert_meta(s, UINT64_MAX, 0);
  mb_store_close(s);
  s = fixture_open(f);
  assert_meta(s, UINT64_MAX, 0);
  mb_store_close(s);
}

/* ---- the log ------------------------------------------------------------ */

static int stop_at_third(void *arg, uint64_t index,
                         const struct mb_store_raft_entry *e) {
  (void)e;
  int *calls = arg;
  return ++*calls == 3 ? (int)index + 1000 : 0;
}

static void test_append_replace_truncate(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  struct fill fl;
  /* An empty log without a snapshot starts at 1. */
  assert_rc(mb_store_raft_append(s, 2, entries(&fl, 2, 1, 1), 1), MB_ERAFTGAP);
  assert_non_null(strstr(mb_store_errmsg(s), "next index is 1"));
  assert_rc(mb_store_raft_append(s, 0, entries(&fl, 0, 1, 1), 1), MB_ERAFTGAP);
  append(s, 1, 3, 1);
  append(s, 4, 2, 2);
  assert_log(s, 1, 5, (uint64_t[]){1, 1, 1, 2, 2});
  int calls = 0;
  assert_int_equal(mb_store_raft_each(s, stop_at_third, &calls), 1003);
  /* Past the end is a gap, and nothing changes. */
  assert_rc(mb_store_raft_append(s, 7, entries(&fl, 7, 1, 2), 1), MB_ERAFTGAP);
  assert_log(s, 1, 5, (uint64_t[]){1, 1, 1, 2, 2});
  /* Inside the log: the suffix from there on is replaced, even where the
   * new entries are fewer. */
  append(s, 3, 1, 4);
  assert_log(s, 1, 3, (uint64_t[]){1, 1, 4});
  assert_ok(mb_store_raft_append(s, 1, entries(&fl, 1, 0, 9), 0)); /* n 0 */
  assert_log(s, 1, 3, (uint64_t[]){1, 1, 4});
  /* Truncation drops index and after; past the end, nothing. */
  assert_ok(mb_store_raft_truncate(s, 10));
  assert_ok(mb_store_raft_truncate(s, 2));
  assert_log(s, 1, 1, (uint64_t[]){1});
  mb_store_close(s);
  s = fixture_open(f);
  assert_log(s, 1, 1, (uint64_t[]){1});
  assert_ok(mb_store_raft_truncate(s, 1));
  assert_log(s, 1, 0, NULL);
  assert_rc(mb_store_raft_append(s, 2, entries(&fl, 2, 1, 1), 1), MB_ERAFTGAP);
  append(s, 1, 1, 5);
  assert_log(s, 1, 1, (uint64_t[]){5});
  mb_store_close(s);
}

/* ---- snapshots ---------------------------------------------------------- */

struct snap_copy {
  int calls;
  struct mb_store_raft_snapshot sn;
  uint8_t conf[16], data[64];
};

static int copy_snapshot(void *arg, const struct mb_store_raft_snapshot *sn) {
  struct snap_copy *c = arg;
  assert_true(sn->conf_len <= sizeof c->conf && sn->data_len <= sizeof c->data);
  c->calls++;
  c->sn = *sn;
  memcpy(c->conf, sn->conf, sn->conf_len);
  memcpy(c->data, sn->data, sn->data_len);
  return 0;
}

static void assert_snapshot(struct mb_store *s, uint64_t index, uint64_t term,
                            const char *data) {
  struct snap_copy c = {0};
  assert_ok(mb_store_raft_snapshot_get(s, copy_snapshot, &c));
  assert_int_equal(c.calls, 1);
  assert_int_equal(c.sn.index, index);
  assert_int_equal(c.sn.term, term);
  assert_int_equal(c.sn.conf_index, 1);
  assert_int_equal(c.sn.conf_len, 3);
  assert_memory_equal(c.conf, "cfg", 3);
  assert_int_equal(c.sn.data_len, strlen(data));
  assert_memory_equal(c.data, data, strlen(data));
}

static struct mb_store_raft_snapshot snapshot(uint64_t index, uint64_t term,
                                              const char *data) {
  return (struct mb_store_raft_snapshot){.index = index,
                                         .term = term,
                                         .conf_index = 1,
                                         .conf = (const uint8_t *)"cfg",
                                         .conf_len = 3,
                                         .data = (const uint8_t *)data,
                                         .data_len = strlen(data)};
}

static void test_snapshot_trailing(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  append(s, 1, 10, 2);
  uint64_t twos[10] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
  /* Trailing at or past the index keeps the whole log. */
  struct mb_store_raft_snapshot sn = snapshot(4, 2, "state at 4");
  assert_ok(mb_store_raft_snapshot_put(s, &sn, 4));
  assert_log(s, 1, 10, twos);
  assert_snapshot(s, 4, 2, "state at 4");
  /* Index 8 with 3 trailing: entries up to 5 go, 6..10 stay. */
  sn = snapshot(8, 2, "state at 8");
  assert_ok(mb_store_raft_snapshot_put(s, &sn, 3));
  assert_log(s, 6, 10, twos);
  assert_snapshot(s, 8, 2, "state at 8");
  mb_store_close(s);
  s = fixture_open(f);
  assert_log(s, 6, 10, twos);
  assert_snapshot(s, 8, 2, "state at 8");
  /* Without trailing the log up to the snapshot goes; after it, stays. */
  sn = snapshot(9, 2, "state at 9");
  assert_ok(mb_store_raft_snapshot_put(s, &sn, 0));
  assert_log(s, 10, 10, twos);
  /* With the log empty, the next index is the snapshot's + 1. */
  assert_ok(mb_store_raft_truncate(s, 10));
  struct fill fl;
  assert_rc(mb_store_raft_append(s, 11, entries(&fl, 11, 1, 3), 1),
            MB_ERAFTGAP);
  append(s, 10, 2, 3);
  assert_log(s, 10, 11, (uint64_t[]){3, 3});
  /* A snapshot past the whole log (installed from a leader) drops it. */
  sn = snapshot(20, 4, "installed");
  assert_ok(mb_store_raft_snapshot_put(s, &sn, 0));
  assert_log(s, 1, 0, NULL);
  append(s, 21, 1, 4);
  assert_log(s, 21, 21, (uint64_t[]){4});
  /* What the decoder would refuse is never written. */
  sn = snapshot(0, 4, "");
  assert_rc(mb_store_raft_snapshot_put(s, &sn, 0), MB_EINVAL);
  sn = snapshot(20, 4, "");
  sn.conf_index = 21;
  assert_rc(mb_store_raft_snapshot_put(s, &sn, 0), MB_EINVAL);
  assert_snapshot(s, 20, 4, "installed");
  mb_store_close(s);
}

/* ---- durability -------------------------------------------------------- */

/* With nosync, a batch of membership data only reaches the OS; every
 * Raft write reaches the disk before it returns, and leaves a staged
 * batch staged. */
static void test_raft_writes_sync_with_nosync(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  uint8_t record[4] = {1, 2, 3, 4};
  struct mb_store_member m = {.state = MB_STORE_ALIVE,
                              .incarnation = 1,
                              .record = record,
                              .record_len = sizeof record};
  memset(m.id, 0x33, sizeof m.id);
  assert_ok(mb_store_member_put(s, &m));
  unsigned before = syncs;
  assert_int_equal(mb_store_commit(s), 1);
  assert_int_equal(syncs, before); /* the counter sees what nosync skips */
  assert_ok(mb_store_member_put(s, &m));

  struct fill fl;
  struct mb_store_raft_snapshot sn = snapshot(1, 1, "s");
  before = syncs;
  assert_ok(mb_store_raft_set_term(s, 1));
  assert_true(syncs > before);
  before = syncs;
  assert_ok(mb_store_raft_set_vote(s, 7));
  assert_true(syncs > before);
  before = syncs;
  assert_ok(mb_store_raft_append(s, 1, entries(&fl, 1, 2, 1), 2));
  assert_true(syncs > before);
  before = syncs;
  assert_ok(mb_store_raft_truncate(s, 2));
  assert_true(syncs > before);
  before = syncs;
  assert_ok(mb_store_raft_snapshot_put(s, &sn, 0));
  assert_true(syncs > before);
  assert_int_equal(mb_store_staged(s), 1);
  mb_store_discard(s);
  mb_store_close(s);
}

/* An append that fails half-way (its third entry is too big, after the
 * suffix was dropped and two entries written in the transaction) leaves
 * the log as it was; so does a snapshot refused. */
static void test_failed_write_leaves_nothing(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  append(s, 1, 5, 1);
  struct fill fl;
  entries(&fl, 3, 3, 2);
  fl.e[2].len = MB_STORE_RAFT_DATA_MAX + 1;
  assert_rc(mb_store_raft_append(s, 3, fl.e, 3), MB_ETOOBIG);
  assert_non_null(strstr(mb_store_errmsg(s), "Raft entry 5"));
  assert_log(s, 1, 5, (uint64_t[]){1, 1, 1, 1, 1});
  struct mb_store_raft_snapshot sn = snapshot(3, 1, "x");
  sn.conf_len = MB_STORE_RAFT_CONF_MAX + 1;
  assert_rc(mb_store_raft_snapshot_put(s, &sn, 0), MB_ETOOBIG);
  assert_rc(mb_store_raft_snapshot_get(s, no_snapshot, NULL), -ENOENT);
  assert_log(s, 1, 5, (uint64_t[]){1, 1, 1, 1, 1});
  mb_store_close(s);
  s = fixture_open(f);
  assert_log(s, 1, 5, (uint64_t[]){1, 1, 1, 1, 1});
  mb_store_close(s);
}

/* ---- schema 4 -> 5 ------------------------------------------------------ */

/* What schema 4 wrote, made without the store's open: its twelve
 * databases, meta's magic and version, our incarnation and an episode
 * (encoded by the store's codec, unchanged by schema 5). */
static void write_schema_4_store(const char *dir) {
  MDB_env *env;
  MDB_txn *txn;
  raw_old_store(dir, 4, 9, &env, &txn);
  uint8_t id[MB_STORE_ID_LEN], buf[MB_STORE__EPISODE_VALUE_MAX];
  memset(id, 0x42, sizeof id);
  struct mb_store_episode e = {.incarnation = 6};
  size_t n = mb_store__episode_encode(buf, sizeof buf, &e);
  raw_put(txn, "bridge_episodes", id, sizeof id, buf, n);
  assert_int_equal(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
}

static int count_episodes(const struct mb_store_episode *e, void *ctx) {
  assert_int_equal(e->incarnation, 6);
  ++*(int *)ctx;
  return 0;
}

static void test_schema_4_upgraded(void **state) {
  struct store_fixture *f = *state;
  write_schema_4_store(f->dir);
  struct mb_store *s = fixture_open(f);
  uint64_t inc;
  assert_ok(mb_store_self_incarnation(s, &inc));
  assert_int_equal(inc, 9);
  int episodes = 0;
  assert_ok(mb_store_episodes_foreach(s, count_episodes, &episodes));
  assert_int_equal(episodes, 1);
  assert_meta(s, 0, 0);
  assert_log(s, 1, 0, NULL);
  assert_ok(mb_store_raft_set_term(s, 2));
  append(s, 1, 2, 2);
  mb_store_close(s);

  /* Schema 5 on disk, with Raft's databases, and it opens again. */
  static const char *const raft[] = {"raft_meta", "raft_log", "raft_snapshot"};
  raw_assert_schema(f->dir, 0x05, raft, 3);
  s = fixture_open(f);
  assert_meta(s, 2, 0);
  assert_log(s, 1, 2, (uint64_t[]){2, 2});
  mb_store_close(s);
}

/* ---- damage ------------------------------------------------------------- */

/* A damaged value refuses the store at open, with a message naming its
 * database; removed, the store opens. */
static void refused_with(struct store_fixture *f, const char *db,
                         const void *key, size_t kn, const void *val,
                         size_t vn) {
  char want[64];
  snprintf(want, sizeof want, "%s entry", db);
  raw_refused_with(f, db, key, kn, val, vn, want);
}

static void test_damaged_values_refused(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  append(s, 1, 2, 1);
  mb_store_close(s);
  uint8_t key[8];
  mb_store__seq_key(key, 3);
  struct fill fl;
  uint8_t val[64];
  const struct mb_store_raft_entry *e = entries(&fl, 3, 1, 1);
  size_t n = mb_store__raft_entry_size(e);
  assert_ok(mb_store__raft_entry_encode(val, n, e));
  refused_with(f, "raft_log", key, sizeof key, val, n - 1); /* cut short */
  refused_with(f, "raft_log", key, 7, val, n);              /* short key */
  uint8_t zero[8] = {0};
  refused_with(f, "raft_log", zero, sizeof zero, val, n); /* index 0 */
  static const uint8_t no_data[] = {0xa2, 0x01, 0x01, 0x02, 0x01};
  static const uint8_t big_type[] = {0xa3, 0x01, 0x01, 0x02, 0x19,
                                     0x01, 0x00, 0x03, 0x40};
  refused_with(f, "raft_log", key, sizeof key, no_data, sizeof no_data);
  refused_with(f, "raft_log", key, sizeof key, big_type, sizeof big_type);
  static const uint8_t text_term[] = {0x61, '3'};
  refused_with(f, "raft_meta", "term", 4, text_term, sizeof text_term);
  refused_with(f, "raft_meta", "vote", 4, text_term, sizeof text_term);
  struct mb_store_raft_snapshot sn = snapshot(5, 1, "st");
  n = mb_store__raft_snapshot_size(&sn);
  assert_ok(mb_store__raft_snapshot_encode(val, n, &sn));
  refused_with(f, "raft_snapshot", "snapshot", 8, val, n - 2);
  refused_with(f, "raft_snapshot", "other", 5, val, n);
  sn.conf_index = 6; /* a configuration after the snapshot */
  assert_ok(mb_store__raft_snapshot_encode(val, n, &sn));
  refused_with(f, "raft_snapshot", "snapshot", 8, val, n);
  s = fixture_open(f);
  assert_log(s, 1, 2, (uint64_t[]){1, 1});
  mb_store_close(s);
}

/* In a child (LMDB must not open one environment twice in one process):
 * removes entry 2 of the log, or overwrites it with a value cut short, as
 * damage while the store is open would. */
static void damage_behind_the_store(const char *dir, bool cut) {
  uint8_t key[8];
  static const uint8_t short_value[] = {0xa3, 0x01};
  mb_store__seq_key(key, 2);
  raw_damage_in_child(dir, "raft_log", key, sizeof key,
                      cut ? short_value : NULL, sizeof short_value);
}

static int count_entries(void *arg, uint64_t index,
                         const struct mb_store_raft_entry *e) {
  (void)index, (void)e;
  ++*(int *)arg;
  return 0;
}

/* Damage found while running is an error with a message, never an entry
 * skipped: Raft must not see a log with a hole. */
static void test_damage_at_run_time(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  append(s, 1, 3, 1);
  damage_behind_the_store(f->dir, true);
  int seen = 0;
  assert_rc(mb_store_raft_each(s, count_entries, &seen), MB_ECORRUPT);
  assert_int_equal(seen, 1);
  assert_non_null(strstr(mb_store_errmsg(s), "entry 2 does not decode"));
  damage_behind_the_store(f->dir, false);
  seen = 0;
  assert_rc(mb_store_raft_each(s, count_entries, &seen), MB_ECORRUPT);
  assert_int_equal(seen, 1);
  assert_non_null(strstr(mb_store_errmsg(s), "skips from index 1 to 3"));
  mb_store_close(s);
}

int main(void) {
#define T(fn)                                                                  \
  cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
  const struct CMUnitTest tests[] = {
      T(test_empty_store),
      T(test_term_and_vote),
      T(test_append_replace_truncate),
      T(test_snapshot_trailing),
      T(test_raft_writes_sync_with_nosync),
      T(test_failed_write_leaves_nothing),
      T(test_schema_4_upgraded),
      T(test_damaged_values_refused),
      T(test_damage_at_run_time),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
