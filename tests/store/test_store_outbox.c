/*
 * The bridge's outbox in the store (src/store/outbox*.c), against real
 * LMDB: order per destination across a reopen, idempotent appends by id,
 * acknowledgement through a cursor, attempts and parking, depth and age,
 * the size bound, the upgrade of a schema-2 store, and damaged outbox
 * values refused at open.
 */
#include "store_internal.h"
#include "store_raw.h"

#include <errno.h>

/* An entry of dest with id "<dest>-<n>" and a body that names both. */
struct made {
  struct mb_store_outbox_entry e;
  char body[64];
};

static void make(struct made *m, const char *dest, int n, int64_t created) {
  memset(m, 0, sizeof *m);
  snprintf(m->e.dest, sizeof m->e.dest, "%s", dest);
  snprintf(m->e.id, sizeof m->e.id, "%s-%d", dest, n);
  int len =
      snprintf(m->body, sizeof m->body, "{\"dest\":\"%s\",\"n\":%d}", dest, n);
  m->e.body = (const uint8_t *)m->body;
  m->e.body_len = (size_t)len;
  m->e.created_ms = created;
}

static uint64_t append(struct mb_store *s, const char *dest, int n,
                       int64_t created) {
  struct made m;
  make(&m, dest, n, created);
  uint64_t seq = 0;
  assert_int_equal(mb_store_outbox_append(s, &m.e, &seq), 0);
  return seq;
}

#define SEEN_MAX 64

struct seen {
  size_t n;
  struct {
    uint64_t seq;
    char id[MB_STORE_DELIVERY_ID_MAX + 1];
    char body[64];
    size_t body_len;
    int64_t created_ms, next_attempt_ms;
    uint32_t attempts;
    uint8_t state;
    char reason[MB_STORE_PARK_REASON_MAX + 1];
  } e[SEEN_MAX];
};

static int collect(const struct mb_store_outbox_entry *e, void *ctx) {
  struct seen *s = ctx;
  assert_true(s->n < SEEN_MAX);
  /* Bodies longer than the copy are only checked by length. */
  size_t keep = e->body_len < sizeof s->e[0].body ? e->body_len : 0;
  s->e[s->n].seq = e->seq;
  s->e[s->n].body_len = e->body_len;
  memcpy(s->e[s->n].id, e->id, sizeof e->id);
  memcpy(s->e[s->n].body, e->body, keep);
  s->e[s->n].body[keep] = '\0';
  s->e[s->n].created_ms = e->created_ms;
  s->e[s->n].next_attempt_ms = e->next_attempt_ms;
  s->e[s->n].attempts = e->attempts;
  s->e[s->n].state = e->state;
  memcpy(s->e[s->n].reason, e->reason, sizeof e->reason);
  s->n++;
  return 0;
}

static void peek(struct mb_store *s, const char *dest, size_t limit,
                 struct seen *out) {
  memset(out, 0, sizeof *out);
  int rc = mb_store_outbox_peek(s, dest, limit, collect, out);
  assert_int_equal(rc, (int)out->n);
}

static void test_order_kept_across_reopen(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  /* Two destinations interleaved, over two batches. */
  for (int i = 1; i <= 5; i++) {
    assert_int_equal(append(s, "view", i, 1000 + i), (uint64_t)i);
    if (i <= 3)
      assert_int_equal(append(s, "webhook", i, 2000 + i), (uint64_t)i);
    if (i == 2)
      assert_true(mb_store_commit(s) > 0);
  }
  assert_true(mb_store_commit(s) > 0);
  mb_store_close(s);

  s = fixture_open(f);
  struct seen seen;
  peek(s, "view", 0, &seen);
  assert_int_equal(seen.n, 5);
  for (int i = 0; i < 5; i++) {
    char id[32], body[64];
    snprintf(id, sizeof id, "view-%d", i + 1);
    snprintf(body, sizeof body, "{\"dest\":\"view\",\"n\":%d}", i + 1);
    assert_int_equal(seen.e[i].seq, (uint64_t)i + 1);
    assert_string_equal(seen.e[i].id, id);
    assert_string_equal(seen.e[i].body, body);
    assert_int_equal(seen.e[i].created_ms, 1000 + i + 1);
    assert_int_equal(seen.e[i].attempts, 0);
    assert_int_equal(seen.e[i].state, MB_STORE_OUTBOX_PENDING);
  }
  peek(s, "webhook", 2, &seen); /* the limit: the oldest two */
  assert_int_equal(seen.n, 2);
  assert_string_equal(seen.e[1].id, "webhook-2");
  peek(s, "nobody", 0, &seen);
  assert_int_equal(seen.n, 0);
  /* Numbering goes on after a reopen. */
  assert_int_equal(append(s, "view", 6, 1006), 6);
  assert_true(mb_store_commit(s) > 0);
  peek(s, "view", 0, &seen);
  assert_int_equal(seen.n, 6);
  assert_string_equal(seen.e[5].id, "view-6");
  mb_store_close(s);
}

static void test_append_is_idempotent_by_id(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  struct made a, b;
  make(&a, "webhook", 1, 10);
  make(&b, "webhook", 2, 20);
  uint64_t seq;
  assert_int_equal(mb_store_outbox_append(s, &a.e, &seq), 0);
  assert_int_equal(seq, 1);
  assert_int_equal(mb_store_outbox_append(s, &b.e, &seq), 0);
  assert_int_equal(seq, 2);
  /* Staged already: the same number, nothing more staged. */
  size_t staged = mb_store_staged(s);
  assert_int_equal(mb_store_outbox_append(s, &a.e, &seq), 1);
  assert_int_equal(seq, 1);
  assert_int_equal(mb_store_staged(s), staged);
  assert_int_equal(mb_store_commit(s), 2);
  /* Committed already, and across a reopen. */
  assert_int_equal(mb_store_outbox_append(s, &b.e, &seq), 1);
  assert_int_equal(seq, 2);
  mb_store_close(s);
  s = fixture_open(f);
  assert_int_equal(mb_store_outbox_append(s, &a.e, &seq), 1);
  assert_int_equal(seq, 1);
  assert_int_equal(mb_store_staged(s), 0);
  assert_ok(mb_store_outbox_find(s, "webhook", "webhook-2", &seq));
  assert_int_equal(seq, 2);
  assert_rc(mb_store_outbox_find(s, "webhook", "webhook-9", &seq), -ENOENT);
  /* Ids are per destination. */
  snprintf(a.e.dest, sizeof a.e.dest, "view");
  assert_int_equal(mb_store_outbox_append(s, &a.e, &seq), 0);
  assert_int_equal(seq, 1);
  assert_int_equal(mb_store_commit(s), 1);
  struct seen seen;
  peek(s, "webhook", 0, &seen);
  assert_int_equal(seen.n, 2);
  mb_store_close(s);
}

static void test_ack_through_cursor(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  for (int i = 1; i <= 6; i++)
    append(s, "view", i, i);
  append(s, "other", 1, 1);
  assert_int_equal(mb_store_commit(s), 7);
  assert_ok(mb_store_outbox_park(s, "view", 2, "HTTP 400: bad request"));
  assert_ok(mb_store_outbox_ack_through(s, "view", 4));
  assert_true(mb_store_commit(s) > 0);

  struct seen seen;
  peek(s, "view", 0, &seen);
  assert_int_equal(seen.n, 2);
  assert_int_equal(seen.e[0].seq, 5);
  assert_int_equal(seen.e[1].seq, 6);
  /* The parked entry stays, and so does the other destination. */
  memset(&seen, 0, sizeof seen);
  assert_int_equal(mb_store_outbox_parked(s, "view", collect, &seen), 1);
  assert_int_equal(seen.e[0].seq, 2);
  peek(s, "other", 0, &seen);
  assert_int_equal(seen.n, 1);
  /* An acknowledged id is forgotten with its entry. */
  uint64_t seq;
  assert_rc(mb_store_outbox_find(s, "view", "view-3", &seq), -ENOENT);

  /* Acknowledging everything, in the batch that appends: numbers never
   * restart, so an old cursor can never cover a new entry. */
  assert_int_equal(append(s, "view", 7, 7), 7);
  assert_ok(mb_store_outbox_ack_through(s, "view", 7));
  assert_int_equal(append(s, "view", 8, 8), 8);
  assert_true(mb_store_commit(s) > 0);
  mb_store_close(s);
  s = fixture_open(f);
  peek(s, "view", 0, &seen);
  assert_int_equal(seen.n, 1);
  assert_int_equal(seen.e[0].seq, 8);
  assert_ok(mb_store_outbox_ack_through(s, "view", 8));
  assert_true(mb_store_commit(s) > 0);
  peek(s, "view", 0, &seen);
  assert_int_equal(seen.n, 0);
  mb_store_close(s);
  s = fixture_open(f);
  assert_int_equal(append(s, "view", 9, 9), 9);
  assert_ok(mb_store_outbox_ack_through(s, "view", 8)); /* a stale cursor */
  assert_true(mb_store_commit(s) > 0);
  peek(s, "view", 0, &seen);
  assert_int_equal(seen.n, 1);
  assert_int_equal(seen.e[0].seq, 9);
  mb_store_close(s);
}

static void test_attempts_park_delete(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  for (int i = 1; i <= 3; i++)
    append(s, "hook", i, i);
  assert_int_equal(mb_store_commit(s), 3);
  assert_ok(mb_store_outbox_attempted(s, "hook", 1, 5000));
  assert_ok(mb_store_outbox_attempted(s, "hook", 1, 9000));
  assert_ok(mb_store_outbox_attempted(s, "hook", 3, 7000));
  assert_ok(mb_store_outbox_attempted(s, "hook", 42, 7000)); /* gone */
  assert_true(mb_store_commit(s) > 0);
  mb_store_close(s);
  s = fixture_open(f);
  struct seen seen;
  peek(s, "hook", 0, &seen);
  assert_int_equal(seen.n, 3);
  assert_int_equal(seen.e[0].attempts, 2);
  assert_int_equal(seen.e[0].next_attempt_ms, 9000);
  assert_int_equal(seen.e[1].attempts, 0);
  assert_int_equal(seen.e[2].attempts, 1);
  assert_string_equal(seen.e[0].body, "{\"dest\":\"hook\",\"n\":1}");

  assert_ok(mb_store_outbox_park(s, "hook", 1, "HTTP 404 Not Found"));
  assert_true(mb_store_commit(s) > 0);
  peek(s, "hook", 0, &seen);
  assert_int_equal(seen.n, 2); /* the head moved past the parked one */
  assert_int_equal(seen.e[0].seq, 2);
  memset(&seen, 0, sizeof seen);
  assert_int_equal(mb_store_outbox_parked(s, NULL, collect, &seen), 1);
  assert_int_equal(seen.e[0].state, MB_STORE_OUTBOX_PARKED);
  assert_string_equal(seen.e[0].reason, "HTTP 404 Not Found");
  assert_int_equal(seen.e[0].attempts, 2);
  assert_string_equal(seen.e[0].body, "{\"dest\":\"hook\",\"n\":1}");

  assert_ok(mb_store_outbox_delete(s, "hook", 1));
  assert_ok(mb_store_outbox_delete(s, "hook", 3));
  assert_true(mb_store_commit(s) > 0);
  memset(&seen, 0, sizeof seen);
  assert_int_equal(mb_store_outbox_parked(s, NULL, collect, &seen), 0);
  peek(s, "hook", 0, &seen);
  assert_int_equal(seen.n, 1);
  assert_int_equal(seen.e[0].seq, 2);

  assert_rc(mb_store_outbox_park(s, "hook", 2, ""), MB_EINVAL);
  assert_rc(mb_store_outbox_attempted(s, "hook", 0, 1), MB_EINVAL);
  assert_rc(mb_store_outbox_delete(s, "bad dest", 1), MB_EINVAL);
  mb_store_close(s);
}

struct depths {
  size_t n;
  struct mb_store_outbox_depth d[4];
};

static int collect_depth(const struct mb_store_outbox_depth *d, void *ctx) {
  struct depths *ds = ctx;
  assert_true(ds->n < 4);
  ds->d[ds->n++] = *d;
  return 0;
}

static void test_depth_and_age(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  struct mb_store_outbox_depth d;
  assert_ok(mb_store_outbox_depth(s, "view", &d));
  assert_int_equal(d.pending + d.parked + d.last_seq + d.bytes, 0);
  assert_int_equal(d.oldest_pending_ms, 0);
  for (int i = 1; i <= 4; i++)
    append(s, "view", i, 100 * i);
  append(s, "flynas", 1, 50);
  assert_int_equal(mb_store_commit(s), 5);
  assert_ok(mb_store_outbox_park(s, "view", 1, "HTTP 410 Gone"));
  assert_true(mb_store_commit(s) > 0);

  assert_ok(mb_store_outbox_depth(s, "view", &d));
  assert_string_equal(d.dest, "view");
  assert_int_equal(d.last_seq, 4);
  assert_int_equal(d.pending, 3);
  assert_int_equal(d.parked, 1);
  assert_int_equal(d.oldest_pending_ms, 200); /* the parked one is not */
  assert_true(d.bytes > 4 * 20);

  struct depths ds = {0};
  assert_ok(mb_store_outbox_depths(s, collect_depth, &ds));
  assert_int_equal(ds.n, 2);
  assert_string_equal(ds.d[0].dest, "flynas");
  assert_int_equal(ds.d[0].pending, 1);
  assert_int_equal(ds.d[0].oldest_pending_ms, 50);
  assert_string_equal(ds.d[1].dest, "view");
  /* The bound's count is the sum of the destinations', and survives a
   * reopen (counted again at open). */
  uint64_t total = ds.d[0].bytes + ds.d[1].bytes;
  assert_int_equal(mb_store_outbox_bytes(s), total);
  mb_store_close(s);
  s = fixture_open(f);
  assert_int_equal(mb_store_outbox_bytes(s), total);
  /* Emptied, a destination keeps its number and its place. */
  assert_ok(mb_store_outbox_ack_through(s, "flynas", 1));
  assert_true(mb_store_commit(s) > 0);
  memset(&ds, 0, sizeof ds);
  assert_ok(mb_store_outbox_depths(s, collect_depth, &ds));
  assert_int_equal(ds.n, 2);
  assert_int_equal(ds.d[0].pending, 0);
  assert_int_equal(ds.d[0].last_seq, 1);
  assert_int_equal(ds.d[0].oldest_pending_ms, 0);
  assert_int_equal(mb_store_outbox_bytes(s), ds.d[1].bytes);
  mb_store_close(s);
}

static void test_bound_refuses_never_evicts(void **state) {
  struct store_fixture *f = *state;
  f->opt.outbox_max_bytes = 8192;
  struct mb_store *s = fixture_open(f);
  static uint8_t body[1000];
  memset(body, 'x', sizeof body);
  struct made m;
  int appended = 0, rc = 0;
  uint64_t seq;
  for (int i = 1; i < 100 && rc == 0; i++) {
    make(&m, "view", i, i);
    m.e.body = body;
    m.e.body_len = sizeof body;
    rc = mb_store_outbox_append(s, &m.e, &seq);
    if (rc == 0)
      appended++;
    if (i % 3 == 0)
      assert_true(mb_store_commit(s) >= 0);
  }
  assert_rc(rc, MB_EOUTBOXFULL);
  assert_non_null(strstr(mb_store_errmsg(s), "outbox full"));
  assert_true(appended >= 5 && appended < 9);
  assert_true(mb_store_commit(s) >= 0);
  assert_true(mb_store_outbox_bytes(s) <= 8192);
  struct mb_store_stats st;
  mb_store_get_stats(s, &st);
  assert_int_equal(st.outbox_full, 1);
  /* Nothing was evicted to make room. */
  struct seen seen;
  peek(s, "view", 0, &seen);
  assert_int_equal(seen.n, (size_t)appended);
  assert_int_equal(seen.e[0].seq, 1);
  assert_int_equal(seen.e[0].body_len, sizeof body);
  mb_store_close(s);

  /* The count is rebuilt at open: still full after a restart. */
  s = fixture_open(f);
  make(&m, "other", 1, 1);
  m.e.body = body;
  m.e.body_len = sizeof body;
  assert_rc(mb_store_outbox_append(s, &m.e, &seq), MB_EOUTBOXFULL);
  /* Acknowledged entries make room once committed. */
  assert_ok(mb_store_outbox_ack_through(s, "view", 2));
  assert_true(mb_store_commit(s) > 0);
  assert_int_equal(mb_store_outbox_append(s, &m.e, &seq), 0);
  assert_int_equal(mb_store_commit(s), 1);

  /* Limits of one entry. */
  static uint8_t big[MB_STORE_BODY_MAX + 1];
  m.e.body = big;
  m.e.body_len = sizeof big;
  assert_rc(mb_store_outbox_append(s, &m.e, &seq), MB_ETOOBIG);
  make(&m, "view", 1, 1);
  snprintf(m.e.id, sizeof m.e.id, "has space");
  assert_rc(mb_store_outbox_append(s, &m.e, &seq), MB_EINVAL);
  make(&m, "", 1, 1);
  assert_rc(mb_store_outbox_append(s, &m.e, &seq), MB_EINVAL);
  make(&m, "view", 1, 1);
  m.e.id[0] = '\0';
  assert_rc(mb_store_outbox_append(s, &m.e, &seq), MB_EINVAL);
  mb_store_close(s);
}

struct body_check {
  const uint8_t *want;
  size_t len, seen;
};

static int check_body(const struct mb_store_outbox_entry *e, void *ctx) {
  struct body_check *c = ctx;
  assert_int_equal(e->body_len, c->len);
  assert_memory_equal(e->body, c->want, c->len);
  assert_int_equal(e->attempts, 1);
  assert_int_equal(e->next_attempt_ms, 77);
  c->seen++;
  return 0;
}

/* A body of the largest size goes in and comes back whole (LMDB overflow
 * pages), through an attempt that rewrites its entry. */
static void test_largest_body(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  static uint8_t body[MB_STORE_BODY_MAX];
  for (size_t i = 0; i < sizeof body; i++)
    body[i] = (uint8_t)(i * 7 + i / 251);
  struct made m;
  make(&m, "view", 1, 1);
  m.e.body = body;
  m.e.body_len = sizeof body;
  assert_int_equal(mb_store_outbox_append(s, &m.e, NULL), 0);
  assert_int_equal(mb_store_commit(s), 1);
  assert_ok(mb_store_outbox_attempted(s, "view", 1, 77));
  assert_true(mb_store_commit(s) > 0);
  mb_store_close(s);
  s = fixture_open(f);
  struct body_check c = {body, sizeof body, 0};
  assert_int_equal(mb_store_outbox_peek(s, "view", 0, check_body, &c), 1);
  assert_int_equal(c.seen, 1);
  mb_store_close(s);
}

/*
 * What schema 2 wrote, made without the store's open: its nine databases,
 * meta's magic and version, and one member, event and channel record
 * encoded by the store's codecs (unchanged by schema 3).
 */
static void write_schema_2_store(const char *dir) {
  MDB_env *env;
  MDB_txn *txn;
  raw_old_store(dir, 2, 9, &env, &txn);
  const uint8_t two = 0x02;
  raw_put(txn, "meta", "event_seq", 9, &two, 1);
  uint8_t hb[8] = {1, 2, 3, 4, 5, 6, 7, 8}, id[MB_STORE_ID_LEN], buf[256];
  memset(id, 0x42, sizeof id);
  struct mb_store_member m = {
      .state = MB_STORE_ALIVE, .incarnation = 3, .record = hb, .record_len = 8};
  size_t n = mb_store__member_encode(buf, sizeof buf, &m);
  raw_put(txn, "members", id, sizeof id, buf, n);
  struct mb_store_event ev = {.time_ms = 5, .incarnation = 3};
  snprintf(ev.name, sizeof ev.name, "old");
  n = mb_store__event_encode(buf, sizeof buf, &ev);
  uint8_t key[8];
  mb_store__seq_key(key, 2);
  raw_put(txn, "events", key, sizeof key, buf, n);
  static const uint8_t channel[] = {0xa1, 0x01, 0x43, 'r', 'e', 'v'};
  uint8_t rkey[33] = {20};
  raw_put(txn, "records", rkey, sizeof rkey, channel, sizeof channel);
  assert_int_equal(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
}

static int count_members(const struct mb_store_member *m, void *ctx) {
  (void)m;
  ++*(int *)ctx;
  return 0;
}

static int count_records(const struct mb_store_record *r, void *ctx) {
  (void)r;
  ++*(int *)ctx;
  return 0;
}

static void test_schema_2_upgraded(void **state) {
  struct store_fixture *f = *state;
  write_schema_2_store(f->dir);
  struct mb_store *s = fixture_open(f);
  int members = 0, records = 0;
  assert_ok(mb_store_members_foreach(s, count_members, &members));
  assert_ok(mb_store_records_foreach(s, count_records, &records));
  assert_int_equal(members, 1);
  assert_int_equal(records, 1);
  assert_int_equal(mb_store_last_event_seq(s), 2);
  uint64_t inc;
  assert_ok(mb_store_self_incarnation(s, &inc));
  assert_int_equal(inc, 9);
  assert_int_equal(append(s, "view", 1, 1), 1);
  assert_int_equal(mb_store_commit(s), 1);
  mb_store_close(s);

  /* The current schema on disk, with schema 3's databases, and it opens
   * again. */
  static const char *const added[] = {"outbox_ids", "outbox_seq"};
  raw_assert_schema(f->dir, (uint8_t)mb_store_schema_version(), added, 2);
  s = fixture_open(f);
  struct seen seen;
  peek(s, "view", 0, &seen);
  assert_int_equal(seen.n, 1);
  mb_store_close(s);
}

/* Damaged outbox values, keys and index entries: each refuses the store at
 * open, never reaches the bridge. */
static void test_damaged_outbox_refused(void **state) {
  struct store_fixture *f = *state;
  struct mb_store *s = fixture_open(f);
  append(s, "view", 1, 1);
  assert_int_equal(mb_store_commit(s), 1);
  mb_store_close(s);

  /* A real entry's value, cut short. */
  struct made m;
  make(&m, "view", 2, 2);
  uint8_t val[256], key[MB_STORE__OUTBOX_KEY_MAX];
  size_t n = mb_store__outbox_encode(val, sizeof val, &m.e);
  MDB_val k;
  mb_store__outbox_key(key, "view", 2, &k);
  raw_refused_with(f, "outbox", key, k.mv_size, val, n - 3, "outbox entry 04");
  /* Whole, but a state that does not exist. */
  m.e.state = 7;
  n = mb_store__outbox_encode(val, sizeof val, &m.e);
  raw_refused_with(f, "outbox", key, k.mv_size, val, n, "outbox entry 04");
  /* A good value under a key whose length byte lies. */
  m.e.state = MB_STORE_OUTBOX_PENDING;
  n = mb_store__outbox_encode(val, sizeof val, &m.e);
  key[0] = 9;
  raw_refused_with(f, "outbox", key, k.mv_size, val, n, "outbox entry 09");
  /* Sequence 0 is never handed out. */
  mb_store__outbox_key(key, "view", 0, &k);
  raw_refused_with(f, "outbox", key, k.mv_size, val, n, "outbox entry 04");
  /* The index: an id with a space, a seq that is not a uint. */
  static const uint8_t seq_one = 0x01, not_uint = 0x41;
  raw_refused_with(f, "outbox_ids", "\x04viewa b", 8, &seq_one, 1,
                   "outbox_ids entry");
  raw_refused_with(f, "outbox_ids", "\x04viewab", 7, &not_uint, 1,
                   "outbox_ids entry");
  raw_refused_with(f, "outbox_seq", "view", 4, &not_uint, 1,
                   "outbox_seq entry");
  raw_refused_with(f, "outbox_seq", "a b", 3, &seq_one, 1, "outbox_seq entry");
}

int main(void) {
#define T(fn)                                                                  \
  cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
  const struct CMUnitTest tests[] = {
      T(test_order_kept_across_reopen),
      T(test_append_is_idempotent_by_id),
      T(test_ack_through_cursor),
      T(test_attempts_park_delete),
      T(test_depth_and_age),
      T(test_bound_refuses_never_evicts),
      T(test_largest_body),
      T(test_schema_2_upgraded),
      T(test_damaged_outbox_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
