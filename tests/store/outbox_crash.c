/*
 * The outbox under kill -9: nothing committed lost, order kept.
 *
 * A child appends deliveries to one destination in batches of 1 to 3,
 * commits each batch, now and then acknowledges a cursor and records an
 * attempt, and reports on a pipe the highest number it has committed.
 * The parent lets it run a random 0-30 ms past its first report, kills it
 * with SIGKILL, reopens the store and checks that the entries form a
 * gap-free run ending at or after the last report, each with the id and
 * body of its number (delivery n has id "d-n": ids and numbers advance
 * together, so a reordered or torn entry cannot pass), and that nothing
 * beyond the acknowledged cursor is missing.  Twenty rounds on one store,
 * each child going on where the last one died, with synced commits and
 * (outbox_crash_nosync) the agent's nosync mode.  MB_SEED replays the
 * kill delays.
 */
#include "crash_harness.h"

#include <inttypes.h>

/* Twenty rounds, each killing the child 0-30 ms after its first report. */
static const struct crash_plan plan = {.name = "outbox_crash",
                                       .seed = 0x0b0c5eed,
                                       .rounds = 20,
                                       .max_delay_ms = 30};

#define DEST "webhook"
#define BODY_LEN 700
#define ACK_STEP 5 /* a cursor moves once it trails by ACK_LAG + this */
#define ACK_LAG 20 /* the cursor trails the newest entry by this much */

struct report {
  uint64_t committed; /* the highest number committed */
  uint64_t acked;     /* the cursor committed */
};

static void fill_body(uint8_t *body, uint64_t n) {
  memset(body, (int)(n * 13 & 0xff), BODY_LEN);
  memcpy(body, &n, sizeof n);
}

static int note_first(const struct mb_store_outbox_entry *e, void *ctx) {
  *(uint64_t *)ctx = e->seq;
  return 0;
}

static int stage_one(struct mb_store *s, uint64_t n) {
  uint8_t body[BODY_LEN];
  fill_body(body, n);
  struct mb_store_outbox_entry e = {.dest = DEST,
                                    .created_ms = (int64_t)n,
                                    .body = body,
                                    .body_len = sizeof body};
  snprintf(e.id, sizeof e.id, "d-%" PRIu64, n);
  uint64_t seq;
  int rc = mb_store_outbox_append(s, &e, &seq);
  return rc == 0 && seq == n ? 0 : -1;
}

static _Noreturn void run_child(const char *dir, int fd, uint64_t seed) {
  struct mb_store_options o = crash_options();
  struct mb_store *s = crash_child_open(dir, &o);
  struct mb_store_outbox_depth d;
  struct test_rng rng = {seed};
  if (mb_store_outbox_depth(s, DEST, &d) != 0)
    _exit(10);
  /* Where the last child left the cursor: just before the first entry. */
  uint64_t first = d.last_seq + 1;
  if (mb_store_outbox_peek(s, DEST, 1, note_first, &first) < 0)
    _exit(10);
  struct report r = {.committed = d.last_seq, .acked = first - 1};
  for (uint64_t batch = 1;; batch++) { /* batch: the next attempt's time */
    uint64_t n = 1 + test_rng_below(&rng, 3);
    for (uint64_t i = 1; i <= n; i++)
      if (stage_one(s, r.committed + i) != 0)
        _exit(11);
    uint64_t ack = r.acked;
    if (r.committed >= r.acked + ACK_LAG + ACK_STEP) {
      ack = r.committed - ACK_LAG;
      if (mb_store_outbox_ack_through(s, DEST, ack) != 0 ||
          mb_store_outbox_attempted(s, DEST, ack + 1, (int64_t)batch) != 0)
        _exit(12);
    }
    if (mb_store_commit(s) < 0)
      _exit(13);
    r.committed += n;
    r.acked = ack;
    crash_report(fd, &r, sizeof r);
  }
}

static void take_report(void *ctx, const void *report) {
  struct report *best = ctx;
  const struct report *r = report;
  assert_true(r->committed > best->committed);
  *best = *r;
}

struct run {
  uint64_t first, last, n;
};

static int check_entry(const struct mb_store_outbox_entry *e, void *ctx) {
  struct run *r = ctx;
  char id[32];
  uint8_t body[BODY_LEN];
  if (r->n++ == 0)
    r->first = e->seq;
  else
    assert_int_equal(e->seq, r->last + 1); /* no gap, in order */
  r->last = e->seq;
  snprintf(id, sizeof id, "d-%" PRIu64, e->seq);
  assert_string_equal(e->id, id);
  assert_int_equal(e->created_ms, (int64_t)e->seq);
  fill_body(body, e->seq);
  assert_int_equal(e->body_len, BODY_LEN);
  assert_memory_equal(e->body, body, BODY_LEN);
  return 0;
}

static void verify(void *ctx, const char *dir) {
  const struct report *best = ctx;
  struct mb_store *s = crash_reopen(dir, crash_options());
  struct run r = {0};
  struct mb_store_outbox_depth d;
  assert_ok(mb_store_outbox_depth(s, DEST, &d));
  int seen = mb_store_outbox_peek(s, DEST, 0, check_entry, &r);
  assert_int_equal(seen, r.n);
  /* Everything reported is there, and at most the one batch the kill
   * caught between its commit and its report (3 entries) more. */
  assert_true(r.n > 0);
  assert_int_equal(r.last, d.last_seq);
  assert_true(r.last >= best->committed);
  assert_true(r.last <= best->committed + 3);
  /* Nothing past the reported cursor is missing and nothing before it
   * is left: the run starts right after it, or right after the one
   * cursor the kill may have caught unreported (the newest report's
   * number less ACK_LAG). */
  if (r.first != best->acked + 1)
    assert_int_equal(r.first, best->committed - ACK_LAG + 1);
  assert_int_equal(d.pending, r.n);
  assert_int_equal(d.parked, 0);
  struct mb_store_stats st;
  mb_store_get_stats(s, &st);
  assert_int_equal(st.decode_errors, 0);
  mb_store_close(s);
}

static const struct crash_hooks hooks = {.report_len = sizeof(struct report),
                                         .child = run_child,
                                         .take = take_report,
                                         .verify = verify};

static void test_kill_while_appending(void **state) {
  (void)state;
  struct report best = {0};
  crash_run(&plan, &hooks, &best);
  print_message("outbox_crash: %llu deliveries committed, cursor at %llu "
                "after %d kills\n",
                (unsigned long long)best.committed,
                (unsigned long long)best.acked, plan.rounds);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kill_while_appending)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
