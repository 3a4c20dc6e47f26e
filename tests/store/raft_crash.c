/*
 * Raft's durable state under kill -9: after any kill, the store holds
 * exactly what the calls that returned imply, or that plus the call in
 * flight, whole; never half of an append, a vote without its term, or a
 * snapshot without the log cut it made.
 *
 * A child writes at random, as a Raft server would: new terms, votes,
 * appends (at the end, or replacing a suffix), truncations and snapshots
 * with a few trailing entries.  It tells the parent on a pipe each call
 * before it makes it and once it has returned.  Both keep the same model
 * (struct model) of what the calls imply.  The parent kills the child
 * with SIGKILL a random 0-100 ms after its first report, reopens the store
 * and compares term, vote, snapshot and every log entry (index, term,
 * type, data) with the model of the returned calls, then, if that
 * differs, with the model plus the call in flight.  Forty rounds on one
 * store, with synced commits and (raft_crash_nosync) the agent's nosync
 * mode, where the Raft writes must sync by themselves.  MB_SEED replays.
 */
#include "crash_harness.h"

#include <errno.h>
#include <inttypes.h>

/* Forty rounds, each killing the child 0-100 ms after its first report. */
static const struct crash_plan plan = {.name = "raft_crash",
                                       .seed = 0x4af7c4a5,
                                       .rounds = 40,
                                       .max_delay_ms = 100};

#define LOG_CAP 512 /* entries the model holds; snapshots keep it short */
#define DATA_MAX 200

enum op_kind { OP_TERM, OP_VOTE, OP_APPEND, OP_TRUNCATE, OP_SNAPSHOT };

/* One call: a is the term, vote, first index, truncation point or
 * snapshot index; b the count of entries or the trailing ones; c the
 * entries' term or the snapshot's. */
struct op {
  uint8_t done; /* 0: about to call; 1: the call returned */
  uint8_t kind;
  uint64_t a, b, c;
};

struct model {
  uint64_t term, vote;
  uint64_t snap_index, snap_term; /* snap_index 0: no snapshot */
  uint64_t lo;                    /* index of terms[0] */
  size_t n;
  uint64_t terms[LOG_CAP];
};

/* An entry's contents follow from its index and term, so a reader can
 * tell a whole entry from a torn or misplaced one. */
static uint8_t entry_type(uint64_t index, uint64_t term) {
  return (uint8_t)(1 + (index + term) % 3);
}

static size_t entry_data(uint64_t index, uint64_t term, uint8_t *buf) {
  size_t len = (size_t)((index * 7 + term) % DATA_MAX);
  for (size_t j = 0; j < len; j++)
    buf[j] = (uint8_t)(index + term + j);
  return len;
}

static uint64_t next_index(const struct model *m) {
  return m->n ? m->lo + m->n : m->snap_index + 1;
}

static void drop_through(struct model *m, uint64_t last) {
  while (m->n && m->lo <= last) {
    memmove(m->terms, m->terms + 1, (m->n - 1) * sizeof m->terms[0]);
    m->n--;
    m->lo++;
  }
}

static void model_apply(struct model *m, const struct op *op) {
  switch (op->kind) {
  case OP_TERM:
    m->term = op->a;
    m->vote = 0;
    break;
  case OP_VOTE:
    m->vote = op->a;
    break;
  case OP_APPEND:
    if (m->n == 0 || op->a < m->lo) {
      m->lo = op->a;
      m->n = 0;
    }
    m->n = (size_t)(op->a - m->lo);
    for (uint64_t i = 0; i < op->b; i++)
      m->terms[m->n++] = op->c;
    break;
  case OP_TRUNCATE:
    if (m->n && op->a < m->lo + m->n)
      m->n = op->a > m->lo ? (size_t)(op->a - m->lo) : 0;
    break;
  case OP_SNAPSHOT:
    m->snap_index = op->a;
    m->snap_term = op->c;
    if (op->b < op->a)
      drop_through(m, op->a - op->b);
    break;
  default:
    fail_msg("unknown op %d", op->kind);
  }
}

/* ---- the child ---------------------------------------------------------- */

static int load_entry(void *arg, uint64_t index,
                      const struct mb_store_raft_entry *e) {
  struct model *m = arg;
  if (m->n == 0)
    m->lo = index;
  if (m->n == LOG_CAP)
    return -1;
  m->terms[m->n++] = e->term;
  return 0;
}

static int load_snapshot(void *arg, const struct mb_store_raft_snapshot *sn) {
  struct model *m = arg;
  m->snap_index = sn->index;
  m->snap_term = sn->term;
  return 0;
}

static int load_model(struct mb_store *s, struct model *m) {
  memset(m, 0, sizeof *m);
  int rc = mb_store_raft_meta(s, &m->term, &m->vote);
  if (rc == 0) {
    rc = mb_store_raft_snapshot_get(s, load_snapshot, m);
    rc = rc == -ENOENT ? 0 : rc;
  }
  return rc ? rc : mb_store_raft_each(s, load_entry, m);
}

/* The next call, chosen from what the model allows. */
static struct op choose(const struct model *m, struct test_rng *rng) {
  uint64_t next = next_index(m), roll = test_rng_below(rng, 100);
  struct op op = {0};
  if (m->term == 0 || roll < 10) {
    op.kind = OP_TERM;
    op.a = m->term + 1;
  } else if (roll < 20) {
    op.kind = OP_VOTE;
    op.a = 1 + test_rng_below(rng, 5);
  } else if (roll < 65 && m->n + 8 < LOG_CAP) {
    op.kind = OP_APPEND;
    uint64_t back = test_rng_below(rng, 4);
    op.a = next > back + 1 ? next - back : 1;
    op.b = 1 + test_rng_below(rng, 4);
    op.c = m->term;
  } else if (roll < 75) {
    op.kind = OP_TRUNCATE;
    op.a = next > 3 ? next - test_rng_below(rng, 3) : next;
  } else if (m->n && m->lo + m->n - 1 > m->snap_index) {
    op.kind = OP_SNAPSHOT;
    uint64_t last = m->lo + m->n - 1, from = m->snap_index + 1;
    if (from < m->lo)
      from = m->lo;
    op.a = from + test_rng_below(rng, last - from + 1);
    op.b = test_rng_below(rng, 6);
    op.c = m->terms[op.a - m->lo];
  } else {
    op.kind = OP_VOTE;
    op.a = 1 + test_rng_below(rng, 5);
  }
  return op;
}

static int call(struct mb_store *s, const struct op *op) {
  static const uint8_t conf[] = {0xa1, 0x01, 0x01};
  uint8_t data[4][DATA_MAX], snap[DATA_MAX];
  struct mb_store_raft_entry e[4];
  struct mb_store_raft_snapshot sn;
  switch (op->kind) {
  case OP_TERM:
    return mb_store_raft_set_term(s, op->a);
  case OP_VOTE:
    return mb_store_raft_set_vote(s, op->a);
  case OP_APPEND:
    for (uint64_t i = 0; i < op->b; i++)
      e[i] = (struct mb_store_raft_entry){
          .term = op->c,
          .type = entry_type(op->a + i, op->c),
          .data = data[i],
          .len = entry_data(op->a + i, op->c, data[i])};
    return mb_store_raft_append(s, op->a, e, (size_t)op->b);
  case OP_TRUNCATE:
    return mb_store_raft_truncate(s, op->a);
  default:
    sn = (struct mb_store_raft_snapshot){.index = op->a,
                                         .term = op->c,
                                         .conf_index = 1,
                                         .conf = conf,
                                         .conf_len = sizeof conf,
                                         .data = snap,
                                         .data_len =
                                             entry_data(op->a, op->c, snap)};
    return mb_store_raft_snapshot_put(s, &sn, op->b);
  }
}

static void report(int fd, struct op *op, uint8_t done) {
  op->done = done;
  crash_report(fd, op, sizeof *op);
}

static _Noreturn void run_child(const char *dir, int fd, uint64_t seed) {
  struct mb_store_options o = crash_options();
  struct mb_store *s = crash_child_open(dir, &o);
  static struct model m;
  struct test_rng rng = {seed};
  if (load_model(s, &m) != 0)
    _exit(10);
  for (;;) {
    struct op op = choose(&m, &rng);
    report(fd, &op, 0);
    if (call(s, &op) != 0)
      _exit(13);
    model_apply(&m, &op);
    report(fd, &op, 1);
  }
}

/* ---- the parent --------------------------------------------------------- */

struct history {
  struct model done; /* what the returned calls imply */
  struct op pending; /* the call in flight, when in_flight */
  bool in_flight;
  uint64_t calls;
  uint64_t kills_in_flight, landed; /* kills during a call; it was kept */
};

static void take_report(void *ctx, const void *report) {
  struct history *h = ctx;
  const struct op *op = report;
  if (op->done) {
    assert_true(h->in_flight && h->pending.kind == op->kind &&
                h->pending.a == op->a);
    model_apply(&h->done, op);
    h->in_flight = false;
    h->calls++;
  } else {
    assert_false(h->in_flight);
    h->pending = *op;
    h->in_flight = true;
  }
}

/* Every entry as the model of its index and term says it must be. */
static int check_entry(void *arg, uint64_t index,
                       const struct mb_store_raft_entry *e) {
  uint8_t want[DATA_MAX];
  size_t len = entry_data(index, e->term, want);
  if (e->type != entry_type(index, e->term) || e->len != len ||
      memcmp(e->data, want, len) != 0)
    fail_msg("entry %" PRIu64 " of term %" PRIu64 " has other contents", index,
             e->term);
  return load_entry(arg, index, e);
}

static int check_snapshot(void *arg, const struct mb_store_raft_snapshot *sn) {
  uint8_t want[DATA_MAX];
  size_t len = entry_data(sn->index, sn->term, want);
  if (sn->conf_index != 1 || sn->conf_len != 3 || sn->data_len != len ||
      memcmp(sn->data, want, len) != 0)
    fail_msg("the snapshot at %" PRIu64 " has other contents", sn->index);
  return load_snapshot(arg, sn);
}

static bool same(const struct model *a, const struct model *b) {
  return a->term == b->term && a->vote == b->vote &&
         a->snap_index == b->snap_index &&
         (a->snap_index == 0 || a->snap_term == b->snap_term) && a->n == b->n &&
         (a->n == 0 || a->lo == b->lo) &&
         memcmp(a->terms, b->terms, a->n * sizeof a->terms[0]) == 0;
}

static void describe(const char *what, const struct model *m) {
  print_error("%s: term %" PRIu64 " vote %" PRIu64 " snapshot %" PRIu64
              " log %" PRIu64 "..%" PRIu64 "\n",
              what, m->term, m->vote, m->snap_index, m->lo, m->lo + m->n - 1);
}

static void verify(void *ctx, const char *dir) {
  struct history *h = ctx;
  struct mb_store *s = crash_reopen(dir, crash_options());
  static struct model got, with;
  memset(&got, 0, sizeof got);
  assert_ok(mb_store_raft_meta(s, &got.term, &got.vote));
  int rc = mb_store_raft_snapshot_get(s, check_snapshot, &got);
  assert_true(rc == 0 || rc == -ENOENT);
  assert_ok(mb_store_raft_each(s, check_entry, &got));
  mb_store_close(s);
  with = h->done;
  if (h->in_flight)
    model_apply(&with, &h->pending);
  bool as_returned = same(&got, &h->done);
  if (h->in_flight) {
    h->kills_in_flight++;
    h->landed += !as_returned;
  }
  if (!as_returned && !same(&got, &with)) {
    describe("stored", &got);
    describe("returned calls imply", &h->done);
    describe("with the call in flight", &with);
    fail_msg("after %" PRIu64 " calls the store holds neither", h->calls);
  }
  h->done = got; /* the next child starts from what is stored */
  h->in_flight = false;
}

static const struct crash_hooks hooks = {.report_len = sizeof(struct op),
                                         .child = run_child,
                                         .take = take_report,
                                         .verify = verify};

static void test_kill_while_writing(void **state) {
  (void)state;
  static struct history h;
  crash_run(&plan, &hooks, &h);
  print_message("raft_crash: %llu calls returned over %d kills, %llu kills "
                "inside a call (%llu of those calls kept whole); last "
                "state: term %llu, log of %zu entries\n",
                (unsigned long long)h.calls, plan.rounds,
                (unsigned long long)h.kills_in_flight,
                (unsigned long long)h.landed, (unsigned long long)h.done.term,
                h.done.n);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_kill_while_writing)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
