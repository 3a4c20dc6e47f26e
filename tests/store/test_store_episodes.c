/*
 * The bridge's open episodes in the store (src/store/episodes.c), against
 * real LMDB: put, replace and delete, the last staged op of a member
 * winning, read back in member order across a reopen; staged with the
 * outbox, so that an event and its episode change land together or not at
 * all (discarded, committed, and a commit that fails); a schema-3 store
 * upgraded in place; damaged episodes refused at open.
 */
#include "store_internal.h"
#include "store_raw.h"

#define SEEN_MAX 16

struct seen {
  size_t n;
  struct mb_store_episode e[SEEN_MAX];
};

static int collect(const struct mb_store_episode *e, void *ctx) {
  struct seen *s = ctx;
  assert_true(s->n < SEEN_MAX);
  s->e[s->n++] = *e;
  return 0;
}

static void read_all(struct mb_store *s, struct seen *out) {
  memset(out, 0, sizeof *out);
  assert_ok(mb_store_episodes_foreach(s, collect, out));
}

static void member(uint8_t id[MB_STORE_ID_LEN], uint8_t fill) {
  memset(id, fill, MB_STORE_ID_LEN);
}

/* The episode of seen whose member is all `fill`, checked to be inc. */
static void assert_episode(const struct seen *seen, size_t i, uint8_t fill,
                           uint64_t inc) {
  uint8_t id[MB_STORE_ID_LEN];
  member(id, fill);
  assert_true(i < seen->n);
  assert_memory_equal(seen->e[i].member, id, MB_STORE_ID_LEN);
  assert_int_equal(seen->e[i].incarnation, inc);
}

static int stop_at_second(const struct mb_store_episode *e, void *ctx) {
  (void)e;
  return ++*(int *)ctx == 2 ? 42 : 0;
}

static void test_put_delete_foreach(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  uint8_t a[MB_STORE_ID_LEN], b[MB_STORE_ID_LEN], c[MB_STORE_ID_LEN];
  member(a, 0x30);
  member(b, 0x10);
  member(c, 0x20);
  assert_ok(mb_store_episode_put(s, a, 7));
  assert_ok(mb_store_episode_put(s, b, UINT64_MAX));
  assert_ok(mb_store_episode_put(s, c, 0));
  struct seen seen;
  read_all(s, &seen); /* staged is not committed */
  assert_int_equal(seen.n, 0);
  assert_int_equal(mb_store_commit(s), 3);
  read_all(s, &seen);
  assert_int_equal(seen.n, 3); /* in member order */
  assert_episode(&seen, 0, 0x10, UINT64_MAX);
  assert_episode(&seen, 1, 0x20, 0);
  assert_episode(&seen, 2, 0x30, 7);
  int calls = 0;
  assert_int_equal(mb_store_episodes_foreach(s, stop_at_second, &calls), 42);
  assert_int_equal(calls, 2);

  /* The last staged op of a member wins, whatever came before. */
  assert_ok(mb_store_episode_put(s, a, 8));
  assert_ok(mb_store_episode_delete(s, a));
  assert_ok(mb_store_episode_delete(s, b));
  assert_ok(mb_store_episode_put(s, b, 11));
  assert_ok(mb_store_episode_put(s, c, 5));
  assert_ok(mb_store_episode_put(s, c, 6));
  uint8_t never[MB_STORE_ID_LEN];
  member(never, 0x77);
  assert_ok(mb_store_episode_delete(s, never)); /* none: fine */
  assert_true(mb_store_commit(s) > 0);
  read_all(s, &seen);
  assert_int_equal(seen.n, 2);
  assert_episode(&seen, 0, 0x10, 11);
  assert_episode(&seen, 1, 0x20, 6);
  mb_store_close(s);

  s = fixture_open(f);
  read_all(s, &seen);
  assert_int_equal(seen.n, 2);
  assert_episode(&seen, 0, 0x10, 11);
  assert_episode(&seen, 1, 0x20, 6);
  assert_ok(mb_store_episode_delete(s, b));
  assert_ok(mb_store_episode_delete(s, c));
  assert_true(mb_store_commit(s) > 0);
  mb_store_close(s);
  s = fixture_open(f);
  read_all(s, &seen);
  assert_int_equal(seen.n, 0);
  assert_rc(mb_store_episode_put(s, NULL, 1), MB_EINVAL);
  assert_rc(mb_store_episode_delete(s, NULL), MB_EINVAL);
  struct mb_store_stats st;
  mb_store_get_stats(s, &st);
  assert_int_equal(st.decode_errors, 0);
  mb_store_close(s);
}

/* What the bridge stages for one event: the event in the outbox and the
 * episode change it implies (offline: put; online: delete). */
static void stage_event(struct mb_store *s, const char *id, const uint8_t *m,
                        bool offline, uint64_t inc) {
  static const uint8_t body[] = "{\"type\":\"machine.offline\"}";
  struct mb_store_outbox_entry e = {.dest = "webhook",
                                    .created_ms = 1,
                                    .body = body,
                                    .body_len = sizeof body - 1};
  snprintf(e.id, sizeof e.id, "%s", id);
  assert_int_equal(mb_store_outbox_append(s, &e, NULL), 0);
  if (offline)
    assert_ok(mb_store_episode_put(s, m, inc));
  else
    assert_ok(mb_store_episode_delete(s, m));
}

static uint64_t outbox_last(struct mb_store *s) {
  struct mb_store_outbox_depth d;
  assert_ok(mb_store_outbox_depth(s, "webhook", &d));
  assert_int_equal(d.pending, d.last_seq); /* nothing acknowledged here */
  return d.last_seq;
}

static void test_with_outbox_in_one_batch(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  uint8_t m[MB_STORE_ID_LEN];
  member(m, 0x5a);
  struct seen seen;

  /* Discarded: neither the event nor the episode. */
  stage_event(s, "evt-off-4", m, true, 4);
  assert_int_equal(mb_store_staged(s), 2);
  mb_store_discard(s);
  assert_int_equal(mb_store_commit(s), 0);
  read_all(s, &seen);
  assert_int_equal(seen.n, 0);
  assert_int_equal(outbox_last(s), 0);

  /* Committed: both. */
  stage_event(s, "evt-off-4", m, true, 4);
  assert_int_equal(mb_store_commit(s), 2);
  read_all(s, &seen);
  assert_int_equal(seen.n, 1);
  assert_episode(&seen, 0, 0x5a, 4);
  assert_int_equal(outbox_last(s), 1);
  mb_store_close(s);

  /* Across a reopen, and the online that ends it: both again. */
  s = fixture_open(f);
  read_all(s, &seen);
  assert_int_equal(seen.n, 1);
  assert_int_equal(outbox_last(s), 1);
  stage_event(s, "evt-on-4", m, false, 4);
  assert_int_equal(mb_store_commit(s), 2);
  read_all(s, &seen);
  assert_int_equal(seen.n, 0);
  assert_int_equal(outbox_last(s), 2);
  mb_store_close(s);
}

/* In a child (LMDB must not open one environment twice in one process):
 * overwrites the outbox entry webhook/1 with a value cut short, as damage
 * while the store is open would. */
static void damage_entry_behind_the_store(const char *dir) {
  uint8_t key[MB_STORE__OUTBOX_KEY_MAX];
  static const uint8_t cut[] = {0xa6, 0x01};
  MDB_val k;
  mb_store__outbox_key(key, "webhook", 1, &k);
  raw_damage_in_child(dir, "outbox", k.mv_data, k.mv_size, cut, sizeof cut);
}

/* A commit that fails part-way leaves nothing of its batch: the episode
 * staged before the failing outbox op is not written either. */
static void test_failed_commit_leaves_neither(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  uint8_t m[MB_STORE_ID_LEN], other[MB_STORE_ID_LEN];
  member(m, 0x5a);
  member(other, 0x6b);
  stage_event(s, "evt-off-4", m, true, 4);
  assert_int_equal(mb_store_commit(s), 2);
  damage_entry_behind_the_store(f->dir);

  assert_ok(mb_store_episode_put(s, other, 9));
  assert_ok(mb_store_episode_delete(s, m));
  assert_ok(mb_store_outbox_attempted(s, "webhook", 1, 1000));
  assert_rc(mb_store_commit(s), MB_ECORRUPT);
  assert_int_equal(mb_store_staged(s), 3); /* kept for a retry */
  struct seen seen;
  read_all(s, &seen);
  assert_int_equal(seen.n, 1);
  assert_episode(&seen, 0, 0x5a, 4);
  mb_store_discard(s);
  mb_store_close(s);
}

/*
 * What schema 3 wrote, made without the store's open: its eleven
 * databases, meta's magic and version, a member, an event, and an outbox
 * entry with its index and number, encoded by the store's codecs
 * (unchanged by schema 4).
 */
static void write_schema_3_store(const char *dir) {
  MDB_env *env;
  MDB_txn *txn;
  raw_old_store(dir, 3, 9, &env, &txn);
  const uint8_t one = 0x01;
  raw_put(txn, "meta", "event_seq", 9, &one, 1);
  uint8_t hb[8] = {1, 2, 3, 4, 5, 6, 7, 8}, id[MB_STORE_ID_LEN], buf[256];
  member(id, 0x42);
  struct mb_store_member m = {
      .state = MB_STORE_DEAD, .incarnation = 3, .record = hb, .record_len = 8};
  size_t n = mb_store__member_encode(buf, sizeof buf, &m);
  raw_put(txn, "members", id, sizeof id, buf, n);
  struct mb_store_event ev = {.time_ms = 5, .incarnation = 3};
  n = mb_store__event_encode(buf, sizeof buf, &ev);
  uint8_t key[MB_STORE__OUTBOX_ID_KEY_MAX];
  mb_store__seq_key(key, 1);
  raw_put(txn, "events", key, 8, buf, n);
  static const uint8_t body[] = "{}";
  struct mb_store_outbox_entry e = {.dest = "webhook",
                                    .id = "evt-old",
                                    .created_ms = 5,
                                    .body = body,
                                    .body_len = 2};
  n = mb_store__outbox_encode(buf, sizeof buf, &e);
  MDB_val k;
  mb_store__outbox_key(key, "webhook", 1, &k);
  raw_put(txn, "outbox", k.mv_data, k.mv_size, buf, n);
  mb_store__outbox_id_key(key, "webhook", "evt-old", &k);
  raw_put(txn, "outbox_ids", k.mv_data, k.mv_size, &one, 1);
  raw_put(txn, "outbox_seq", "webhook", 7, &one, 1);
  assert_int_equal(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
}

static int count_members(const struct mb_store_member *m, void *ctx) {
  (void)m;
  ++*(int *)ctx;
  return 0;
}

static void test_schema_3_upgraded(void **state) {
  struct store_fixture *f = *state;
  write_schema_3_store(f->dir);
  struct mb_store *s = fixture_open(f);
  int members = 0;
  assert_ok(mb_store_members_foreach(s, count_members, &members));
  assert_int_equal(members, 1);
  assert_int_equal(mb_store_last_event_seq(s), 1);
  uint64_t seq, inc;
  assert_ok(mb_store_self_incarnation(s, &inc));
  assert_int_equal(inc, 9);
  assert_ok(mb_store_outbox_find(s, "webhook", "evt-old", &seq));
  assert_int_equal(seq, 1);
  struct seen seen;
  read_all(s, &seen);
  assert_int_equal(seen.n, 0);
  uint8_t m[MB_STORE_ID_LEN];
  member(m, 0x42);
  stage_event(s, "evt-new", m, true, 3);
  assert_int_equal(mb_store_commit(s), 2);
  mb_store_close(s);

  /* The current schema on disk, with its database, and it opens again. */
  static const char *const added[] = {"bridge_episodes"};
  raw_assert_schema(f->dir, (uint8_t)mb_store_schema_version(), added, 1);
  s = fixture_open(f);
  read_all(s, &seen);
  assert_int_equal(seen.n, 1);
  assert_episode(&seen, 0, 0x42, 3);
  assert_int_equal(outbox_last(s), 2);
  mb_store_close(s);
}

/* A damaged episode refuses the store at open, never reaches the bridge;
 * repaired, the store opens. */
static void refused_with(struct store_fixture *f, const void *key, size_t kn,
                         const void *val, size_t vn) {
  raw_refused_with(f, "bridge_episodes", key, kn, val, vn,
                   "bridge_episodes entry");
}

static void test_damaged_episode_refused(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  uint8_t m[MB_STORE_ID_LEN];
  member(m, 0x11);
  assert_ok(mb_store_episode_put(s, m, 300));
  assert_int_equal(mb_store_commit(s), 1);
  mb_store_close(s);

  uint8_t id[MB_STORE_ID_LEN + 1];
  memset(id, 0x22, sizeof id);
  uint8_t val[MB_STORE__EPISODE_VALUE_MAX + 1];
  struct mb_store_episode e = {.incarnation = 300};
  size_t n = mb_store__episode_encode(val, sizeof val, &e);
  assert_int_equal(n, 5);                           /* a1 01 19 01 2c */
  refused_with(f, id, MB_STORE_ID_LEN, val, n - 1); /* cut short */
  refused_with(f, id, MB_STORE_ID_LEN - 1, val, n); /* a short key */
  refused_with(f, id, MB_STORE_ID_LEN + 1, val, n); /* a long key */
  static const uint8_t no_incarnation[] = {0xa1, 0x02, 0x01};
  static const uint8_t negative[] = {0xa1, 0x01, 0x20};
  static const uint8_t not_a_map[] = {0x19, 0x01, 0x2c};
  refused_with(f, id, MB_STORE_ID_LEN, no_incarnation, sizeof no_incarnation);
  refused_with(f, id, MB_STORE_ID_LEN, negative, sizeof negative);
  refused_with(f, id, MB_STORE_ID_LEN, not_a_map, sizeof not_a_map);
  val[n] = 0x00; /* a trailing byte */
  refused_with(f, id, MB_STORE_ID_LEN, val, n + 1);

  /* The good one was there all along. */
  s = fixture_open(f);
  struct seen seen;
  read_all(s, &seen);
  assert_int_equal(seen.n, 1);
  assert_episode(&seen, 0, 0x11, 300);
  mb_store_close(s);
}

int main(void) {
#define T(fn)                                                                  \
  cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
  const struct CMUnitTest tests[] = {
      T(test_put_delete_foreach),           T(test_with_outbox_in_one_batch),
      T(test_failed_commit_leaves_neither), T(test_schema_3_upgraded),
      T(test_damaged_episode_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
