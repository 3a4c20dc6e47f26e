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
#include "store_fixture.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#define ROUNDS 20
#define MAX_DELAY_MS 30
#define DEST "webhook"
#define MEMBERS 5

static struct mb_store_options crash_options(void) {
  struct mb_store_options o;
  mb_store_options_default(&o);
  const char *nosync = getenv("MB_STORE_NOSYNC");
  o.nosync = nosync != NULL && strcmp(nosync, "1") == 0;
  return o;
}

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
  struct mb_store *s;
  struct mb_store_outbox_depth d;
  struct test_rng rng = {seed};
  if (mb_store_open(&s, dir, &o) != 0 ||
      mb_store_outbox_depth(s, DEST, &d) != 0)
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
    if (write(fd, &committed, sizeof committed) != (ssize_t)sizeof committed)
      _exit(14);
  }
}

static uint64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Reads one report; 0 at end of file. */
static int read_report(int fd, uint64_t *best) {
  uint64_t r;
  size_t got = 0;
  while (got < sizeof r) {
    ssize_t n = read(fd, (char *)&r + got, sizeof r - got);
    if (n < 0 && errno == EINTR)
      continue;
    assert_true(n >= 0);
    if (n == 0) {
      assert_int_equal(got, 0);
      return 0;
    }
    got += (size_t)n;
  }
  assert_true(r > *best);
  *best = r;
  return 1;
}

static void read_until(int fd, uint64_t deadline, uint64_t *best) {
  uint64_t now;
  while ((now = mono_ms()) < deadline) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n = poll(&p, 1, (int)(deadline - now));
    if (n > 0 && read_report(fd, best) == 0)
      fail_msg("the child stopped before it was killed");
  }
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

static void verify(const char *dir, uint64_t best) {
  struct mb_store_options o = crash_options();
  char err[256] = "";
  o.errbuf = err;
  o.errbuf_len = sizeof err;
  struct mb_store *s;
  if (mb_store_open(&s, dir, &o) != 0)
    fail_msg("reopen after the kill: %s", err);
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

static void one_round(const char *dir, struct test_rng *rng, uint64_t *best) {
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  uint64_t child_seed = test_rng_next(rng);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    run_child(dir, fds[1], child_seed);
  }
  close(fds[1]);
  if (read_report(fds[0], best) == 0)
    fail_msg("the child died before its first commit");
  read_until(fds[0], mono_ms() + test_rng_below(rng, MAX_DELAY_MS + 1), best);
  assert_int_equal(kill(pid, SIGKILL), 0);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  if (!WIFSIGNALED(status))
    fail_msg("the child exited with %d", WEXITSTATUS(status));
  while (read_report(fds[0], best) == 1)
    ;
  close(fds[0]);
  verify(dir, *best);
}

static void test_kill_while_committing(void **state) {
  (void)state;
  const char *env = getenv("MB_SEED");
  uint64_t seed = env ? strtoull(env, NULL, 0) : 0xe915cade;
  print_message("episode_crash: MB_SEED=0x%llx\n", (unsigned long long)seed);
  struct test_rng rng = {seed};
  struct store_fixture f;
  fixture_init(&f);
  uint64_t best = 0;
  for (int round = 0; round < ROUNDS; round++)
    one_round(f.dir, &rng, &best);
  print_message("episode_crash: %llu events committed with their episodes "
                "after %d kills\n",
                (unsigned long long)best, ROUNDS);
  fixture_deinit(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kill_while_committing)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
