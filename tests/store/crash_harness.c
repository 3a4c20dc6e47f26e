/*
 * The kill -9 loop of crash_harness.h: fork, pipe, delay, kill, reap.
 */
#include "crash_harness.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

struct mb_store_options crash_options(void) {
  struct mb_store_options o;
  mb_store_options_default(&o);
  const char *nosync = getenv("MB_STORE_NOSYNC");
  o.nosync = nosync != NULL && strcmp(nosync, "1") == 0;
  return o;
}

struct mb_store *crash_child_open(const char *dir,
                                  const struct mb_store_options *o) {
  struct mb_store *s;
  if (mb_store_open(&s, dir, o) != 0)
    _exit(10);
  return s;
}

void crash_report(int fd, const void *report, size_t len) {
  if (write(fd, report, len) != (ssize_t)len)
    _exit(14);
}

struct mb_store *crash_reopen(const char *dir, struct mb_store_options o) {
  char err[256] = "";
  o.errbuf = err;
  o.errbuf_len = sizeof err;
  struct mb_store *s;
  if (mb_store_open(&s, dir, &o) != 0)
    fail_msg("reopen after the kill: %s", err);
  return s;
}

static uint64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One round's parts: what the test gave crash_run. */
struct crash_run {
  const struct crash_plan *plan;
  const struct crash_hooks *hooks;
  void *ctx;
};

/* Reads one report and hands it to the test; 0 at end of file. */
static int read_report(const struct crash_run *t, int fd) {
  _Alignas(max_align_t) unsigned char r[CRASH_REPORT_MAX];
  size_t got = 0;
  while (got < t->hooks->report_len) {
    ssize_t n = read(fd, r + got, t->hooks->report_len - got);
    if (n < 0 && errno == EINTR)
      continue;
    assert_true(n >= 0);
    if (n == 0) {
      assert_int_equal(got, 0);
      return 0;
    }
    got += (size_t)n;
  }
  t->hooks->take(t->ctx, r);
  return 1;
}

/* Keeps the pipe drained until the kill moment. */
static void read_until(const struct crash_run *t, int fd, uint64_t deadline) {
  uint64_t now;
  while ((now = mono_ms()) < deadline) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n = poll(&p, 1, (int)(deadline - now));
    if (n > 0 && read_report(t, fd) == 0)
      fail_msg("the child stopped before it was killed");
  }
}

static void one_round(const struct crash_run *t, int round, const char *dir,
                      struct test_rng *rng) {
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  const struct crash_hooks *h = t->hooks;
  uint64_t arg = h->child_arg ? h->child_arg(round) : test_rng_next(rng);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    h->child(dir, fds[1], arg);
    _exit(15);
  }
  close(fds[1]);
  if (read_report(t, fds[0]) == 0)
    fail_msg("the child died before its first report");
  read_until(t, fds[0],
             mono_ms() + test_rng_below(rng, t->plan->max_delay_ms + 1));
  assert_int_equal(kill(pid, SIGKILL), 0);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  if (!WIFSIGNALED(status))
    fail_msg("the child exited with %d", WEXITSTATUS(status));
  while (read_report(t, fds[0]) == 1)
    ;
  close(fds[0]);
  h->verify(t->ctx, dir);
}

void crash_run(const struct crash_plan *plan, const struct crash_hooks *hooks,
               void *ctx) {
  assert_true(hooks->report_len > 0 && hooks->report_len <= CRASH_REPORT_MAX);
  const char *env = getenv("MB_SEED");
  uint64_t seed = env ? strtoull(env, NULL, 0) : plan->seed;
  print_message("%s: MB_SEED=0x%llx\n", plan->name, (unsigned long long)seed);
  struct crash_run t = {plan, hooks, ctx};
  struct test_rng rng = {seed};
  struct store_fixture f;
  fixture_init(&f);
  for (int round = 0; round < plan->rounds; round++)
    one_round(&t, round, f.dir, &rng);
  fixture_deinit(&f);
}
