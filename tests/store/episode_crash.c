/*
 * The bridge's episodes under kill -9: an event and its episode change
 * land together or not at all.
 *
 * A child commits batches of 1 to 3 events, each one outbox append and
 * the episode changes it implies, as the bridge stages them: event n
 * (delivery id "e-n") puts member n % MEMBERS at incarnation n and, every
 * third one, deletes member (n + 2) % MEMBERS.  It reports on a pipe the
 * highest event it has committed.  The parent kills it with SIGKILL a
 * random 0-30 ms after its first report, reopens the store and checks
 * that the outbox holds events 1..L, with L at or after the last report,
 * and that the episodes are exactly those events 1..L imply: never an
 * event without its episode change, nor a change without its event.
 * Twenty rounds on one store, with synced commits and
 * (episode_crash_nosync) the agent's nosync mode.  MB_SEED replays it.
 */
#include "crash_harness.h"

#include <inttypes.h>

/* Twenty rounds, each killing the child 0-30 ms after its first report. */
static const struct crash_plan plan = {.name = "episode_crash",
                                       .seed = 0xe915cade,
                                       .rounds = 20,
                                       .max_delay_ms = 30};

#define DEST "webhook"
#define MEMBERS 5

static void member_id(uint8_t id[MB_STORE_ID_LEN], uint64_t m) {
  memset(id, 0xe0 + (int)m, MB_STORE_ID_LEN);
}

/* Stages event n as the bridge would: its delivery and episode changes. */
static int stage_event(struct mb_store *s, uint64_t n) {
  uint8_t body[200], id[MB_STORE_ID_LEN];
  memset(body, (int)(n & 0xff), sizeof body);
  struct mb_store_outbox_entry e = {.dest = DEST,
                                    .created_ms = (int64_t)n,
                                    .body = body,
                                    .body_len = sizeof body};
  snprintf(e.id, sizeof e.id, "e-%" PRIu64, n);
  uint64_t seq;
  if (mb_store_outbox_append(s, &e, &seq) != 0 || seq != n)
    return -1;
  member_id(id, n % MEMBERS);
  if (mb_store_episode_put(s, id, n) != 0)
    return -1;
  member_id(id, (n + 2) % MEMBERS);
  return n % 3 == 0 ? mb_store_episode_delete(s, id) : 0;
}

/* What events 1..last leave: the incarnation of each member's episode,
 * 0 for none (event 0 does not exist, so 0 is never an episode's). */
static void expected(uint64_t last, uint64_t inc[MEMBERS]) {
  memset(inc, 0, MEMBERS * sizeof inc[0]);
  for (uint64_t n = 1; n <= last; n++) {
    inc[n % MEMBERS] = n;
    if (n % 3 == 0)
      inc[(n + 2) % MEMBERS] = 0;
  }
}

static _Noreturn void run_child(const char *dir, int fd, uint64_t seed) {
  struct mb_store_options o = crash_options();
  struct mb_store *s = crash_child_open(dir, &o);
  struct mb_store_outbox_depth d;
  struct test_rng rng = {seed};
  if (mb_store_outbox_depth(s, DEST, &d) != 0)
    _exit(10);
  uint64_t committed = d.last_seq;
  for (;;) {
    uint64_t n = 1 + test_rng_below(&rng, 3);
    for (uint64_t i = 1; i <= n; i++)
      if (stage_event(s, committed + i) != 0)
        _exit(11);
    if (mb_store_commit(s) < 0)
      _exit(13);
    committed += n;
    crash_report(fd, &committed, sizeof committed);
  }
}

static void take_report(void *ctx, const void *report) {
  uint64_t *best = ctx;
  const uint64_t *r = report;
  assert_true(*r > *best);
  *best = *r;
}

struct episodes {
  uint64_t inc[MEMBERS];
  size_t n;
};

static int note_episode(const struct mb_store_episode *e, void *ctx) {
  struct episodes *eps = ctx;
  uint8_t id[MB_STORE_ID_LEN];
  uint64_t m = (uint64_t)(e->member[0] - 0xe0);
  assert_true(m < MEMBERS);
  member_id(id, m);
  assert_memory_equal(e->member, id, MB_STORE_ID_LEN);
  assert_true(e->incarnation > 0);
  eps->inc[m] = e->incarnation;
  eps->n++;
  return 0;
}

static void verify(void *ctx, const char *dir) {
  uint64_t best = *(const uint64_t *)ctx;
  struct mb_store *s = crash_reopen(dir, crash_options());
  struct mb_store_outbox_depth d;
  assert_ok(mb_store_outbox_depth(s, DEST, &d));
  /* Every event reported is there, and at most the one batch the kill
   * caught between its commit and its report (3 events) more. */
  uint64_t last = d.last_seq;
  assert_int_equal(d.pending, last);
  assert_true(last >= best && last <= best + 3);
  uint64_t want[MEMBERS];
  struct episodes got = {0};
  expected(last, want);
  assert_ok(mb_store_episodes_foreach(s, note_episode, &got));
  for (int m = 0; m < MEMBERS; m++)
    if (got.inc[m] != want[m])
      fail_msg("after event %" PRIu64 ": member %d has episode %" PRIu64
               ", its events imply %" PRIu64,
               last, m, got.inc[m], want[m]);
  struct mb_store_stats st;
  mb_store_get_stats(s, &st);
  assert_int_equal(st.decode_errors, 0);
  mb_store_close(s);
}

static const struct crash_hooks hooks = {.report_len = sizeof(uint64_t),
                                         .child = run_child,
                                         .take = take_report,
                                         .verify = verify};

static void test_kill_while_committing(void **state) {
  (void)state;
  uint64_t best = 0;
  crash_run(&plan, &hooks, &best);
  print_message("episode_crash: %llu events committed with their episodes "
                "after %d kills\n",
                (unsigned long long)best, plan.rounds);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kill_while_committing)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
