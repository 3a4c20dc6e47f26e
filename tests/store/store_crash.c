/*
 * Crash safety: nothing committed is ever lost and the store always opens.
 *
 * A child process stages members and events and commits as fast as it can,
 * bumping the incarnation after each commit, and reports on a pipe what it
 * has durably committed.  The parent waits for the first report, lets the
 * child run a random 0-30 ms more and kills it with SIGKILL, then reopens
 * the store and checks every report against what is on disk.  Forty rounds
 * on one store, each child continuing where the last one died.
 *
 * The seed comes from MB_SEED (default fixed) and is printed, so a failure
 * replays with the same kill delays.
 */
#include "crash_harness.h"

/* Forty rounds, each killing the child 0-30 ms after its first report. */
static const struct crash_plan plan = {.name = "store_crash",
                                       .seed = 0x5eedc0de,
                                       .rounds = 40,
                                       .max_delay_ms = 30};

#define SLOTS 16
#define MAX_EVENTS 500
#define EVENTS_PER_COMMIT 3
#define RECORD_LEN 1000

/* What a child has committed: sent after each commit and bump returned. */
struct report {
  uint64_t counter;     /* the batch number, unique across rounds */
  uint64_t last_seq;    /* the highest event number committed */
  uint64_t incarnation; /* the last value bump returned */
};

/* Byte pattern of a record, so a torn or stale value cannot pass. */
static void fill_record(uint8_t *rec, uint64_t counter) {
  memset(rec, (int)(counter * 31 & 0xff), RECORD_LEN);
  memcpy(rec, &counter, sizeof counter);
}

static void slot_id(uint8_t id[MB_STORE_ID_LEN], unsigned slot) {
  memset(id, 0, MB_STORE_ID_LEN);
  id[0] = (uint8_t)slot;
}

static struct mb_store_options crash_store_options(void) {
  struct mb_store_options o = crash_options();
  o.max_events = MAX_EVENTS;
  return o;
}

static int stage_batch(struct mb_store *s, uint64_t counter) {
  uint8_t rec[RECORD_LEN];
  fill_record(rec, counter);
  struct mb_store_member m = {.state = MB_STORE_ALIVE,
                              .since_ms = (int64_t)counter,
                              .incarnation = counter,
                              .record = rec,
                              .record_len = RECORD_LEN};
  slot_id(m.id, (unsigned)(counter % SLOTS));
  int rc = mb_store_member_put(s, &m);
  for (int i = 0; i < EVENTS_PER_COMMIT && rc == 0; i++) {
    struct mb_store_event ev = {.time_ms = 1, .incarnation = counter};
    slot_id(ev.id, (unsigned)(counter % SLOTS));
    rc = mb_store_event_append(s, &ev, NULL);
  }
  return rc;
}

static void run_child(const char *dir, int fd, uint64_t first_counter) {
  struct mb_store_options o = crash_store_options();
  struct mb_store *s = crash_child_open(dir, &o);
  for (uint64_t counter = first_counter;; counter++) {
    struct report r = {.counter = counter};
    if (stage_batch(s, counter) != 0)
      _exit(11);
    if (mb_store_commit(s) != 1 + EVENTS_PER_COMMIT)
      _exit(12);
    if (mb_store_self_incarnation_bump(s, 0, &r.incarnation) != 0)
      _exit(13);
    r.last_seq = mb_store_last_event_seq(s);
    crash_report(fd, &r, sizeof r);
  }
}

/* Counters of each round start above anything an earlier child may have
 * committed without living to report it. */
static uint64_t first_counter(int round) {
  return (uint64_t)(round + 1) << 32;
}

/* The newest report, and the incarnation the last reopen found. */
struct history {
  struct report best;
  uint64_t incarnation;
};

static void take_report(void *ctx, const void *report) {
  struct history *h = ctx;
  const struct report *r = report;
  assert_true(r->counter > h->best.counter);
  h->best = *r;
}

struct check {
  uint64_t slot_seen;
  uint64_t top_counter;
  uint64_t prev_seq, first_seq, n_events, last_incarnation;
};

static int check_member(const struct mb_store_member *m, void *ctx) {
  struct check *c = ctx;
  uint8_t rec[RECORD_LEN];
  fill_record(rec, m->incarnation);
  assert_int_equal(m->record_len, RECORD_LEN);
  assert_memory_equal(m->record, rec, RECORD_LEN);
  assert_int_equal(m->id[0], m->incarnation % SLOTS);
  c->slot_seen |= (uint64_t)1 << m->id[0];
  if (m->incarnation > c->top_counter)
    c->top_counter = m->incarnation;
  return 0;
}

static int check_event(const struct mb_store_event *ev, void *ctx) {
  struct check *c = ctx;
  if (c->n_events++ == 0)
    c->first_seq = ev->seq;
  else
    assert_int_equal(ev->seq, c->prev_seq + 1); /* no gap */
  c->prev_seq = ev->seq;
  c->last_incarnation = ev->incarnation;
  return 0;
}

/* Everything reported must be on disk, and the incarnation never goes
 * back. */
static void verify(void *ctx, const char *dir) {
  struct history *h = ctx;
  const struct report *best = &h->best;
  struct mb_store *s = crash_reopen(dir, crash_store_options());
  struct check c = {0};
  assert_ok(mb_store_members_foreach(s, check_member, &c));
  assert_true(c.top_counter >= best->counter);
  assert_true(c.slot_seen & (uint64_t)1 << (best->counter % SLOTS));

  uint64_t inc;
  assert_ok(mb_store_self_incarnation(s, &inc));
  assert_true(inc >= best->incarnation);
  assert_true(inc >= h->incarnation);

  int rc = mb_store_events_since(s, 0, 0, check_event, &c);
  assert_int_equal(rc, c.n_events);
  /* Retention keeps exactly the newest MAX_EVENTS, contiguous. */
  uint64_t kept = c.prev_seq < MAX_EVENTS ? c.prev_seq : MAX_EVENTS;
  assert_int_equal(c.n_events, kept);
  assert_int_equal(c.first_seq, c.prev_seq - kept + 1);
  assert_int_equal(c.prev_seq, mb_store_last_event_seq(s));
  assert_true(c.prev_seq >= best->last_seq);
  /* Batches land whole: the newest event is the newest member's. */
  assert_int_equal(c.prev_seq % EVENTS_PER_COMMIT, 0);
  assert_int_equal(c.last_incarnation, c.top_counter);
  struct mb_store_stats st;
  mb_store_get_stats(s, &st);
  assert_int_equal(st.decode_errors, 0);
  mb_store_close(s);
  h->incarnation = inc;
}

static const struct crash_hooks hooks = {.report_len = sizeof(struct report),
                                         .child = run_child,
                                         .child_arg = first_counter,
                                         .take = take_report,
                                         .verify = verify};

static void test_kill_anywhere(void **state) {
  (void)state;
  struct history h = {0};
  crash_run(&plan, &hooks, &h);
  print_message("store_crash: last event %llu, incarnation %llu after %d "
                "kills\n",
                (unsigned long long)h.best.last_seq,
                (unsigned long long)h.incarnation, plan.rounds);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_kill_anywhere)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
