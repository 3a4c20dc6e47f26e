/*
 * The executor of reconstruction tasks (src/agent/executor.h) on a real
 * libuv loop with real processes: hooks given the task in their
 * environment and nothing of the agent's settings, progress read from
 * their output (malformed, oversized and backward lines ignored), exit
 * codes as results, cancel by SIGTERM then SIGKILL to the whole process
 * group, and the built-in copier advancing at its rate.
 */
#include "test_util.h"

#include "executor.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define GUARD_MS 20000
#define MAX_PROGRESS 64

struct run {
  uv_loop_t loop;
  uv_timer_t guard;
  struct agent_executor *x;
  uint64_t progress[MAX_PROGRESS];
  size_t n_progress;
  int finished;
  uint64_t task;
  enum agent_task_result result;
  int detail;
  uint64_t done;
  uint64_t finished_at;
  bool closed;
  char dir[64];
};

static void on_progress(void *ctx, uint64_t task, uint64_t done) {
  struct run *r = ctx;
  (void)task;
  if (r->n_progress < MAX_PROGRESS)
    r->progress[r->n_progress++] = done;
}

static void on_finished(void *ctx, uint64_t task, enum agent_task_result res,
                        int detail, uint64_t done) {
  struct run *r = ctx;
  r->finished++;
  r->task = task;
  r->result = res;
  r->detail = detail;
  r->done = done;
  r->finished_at = uv_now(&r->loop);
}

static void on_guard(uv_timer_t *t) {
  (void)t;
  fail_msg("the loop did not end within %d ms", GUARD_MS);
}

static void run_setup(struct run *r) {
  memset(r, 0, sizeof(*r));
  assert_int_equal(uv_loop_init(&r->loop), 0);
  snprintf(r->dir, sizeof(r->dir), "/tmp/mb-exec-XXXXXX");
  assert_non_null(mkdtemp(r->dir));
}

static void run_executor(struct run *r, const char *command, uint64_t rate) {
  struct agent_executor_options o = {.command = command,
                                     .builtin_rate = rate,
                                     .kill_grace_ms = 300,
                                     .builtin_step_ms = 20};
  struct agent_executor_events ev = {
      .ctx = r, .progress = on_progress, .finished = on_finished};
  r->x = agent_executor_new(&r->loop, &o, &ev);
  assert_non_null(r->x);
}

static void on_closed(void *arg) {
  ((struct run *)arg)->closed = true;
}

/* Runs the loop until the task ended, with a guard against a hang. */
static void run_until_finished(struct run *r) {
  if (r->guard.loop == NULL)
    uv_timer_init(&r->loop, &r->guard);
  uv_timer_start(&r->guard, on_guard, GUARD_MS, 0);
  while (r->finished == 0)
    uv_run(&r->loop, UV_RUN_ONCE);
  uv_timer_stop(&r->guard);
}

static void run_teardown(struct run *r) {
  agent_executor_close(r->x, on_closed, r);
  if (r->guard.loop != NULL)
    uv_close((uv_handle_t *)&r->guard, NULL);
  uv_run(&r->loop, UV_RUN_DEFAULT);
  assert_true(r->closed);
  assert_int_equal(uv_loop_close(&r->loop), 0);
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf %s", r->dir);
  assert_int_equal(system(cmd), 0);
}

static struct agent_task_spec spec_of(uint64_t id, uint64_t bytes) {
  struct agent_task_spec s = {.id = id, .slot = 2, .bytes = bytes};
  snprintf(s.kind, sizeof(s.kind), "rebuild");
  snprintf(s.array, sizeof(s.array), "vol-a");
  snprintf(s.level, sizeof(s.level), "raid5");
  snprintf(s.sources, sizeof(s.sources), "dev-1 dev-3");
  snprintf(s.target, sizeof(s.target), "dev-4");
  return s;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  static char buf[8192];
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static void progress_lines(void **state) {
  (void)state;
  uint64_t d = 7;
#define LINE(s) s, sizeof(s) - 1
  assert_int_equal(agent_progress_line(LINE("progress 100"), 1000, &d), 1);
  assert_int_equal(d, 100);
  assert_int_equal(agent_progress_line(LINE("progress 0\r"), 1000, &d), 1);
  assert_int_equal(d, 0);
  d = 7;
  assert_int_equal(agent_progress_line(LINE("progress "), 1000, &d), 0);
  assert_int_equal(agent_progress_line(LINE("progress \r"), 1000, &d), 0);
  assert_int_equal(agent_progress_line(LINE("progress 1001"), 1000, &d), 0);
  assert_int_equal(agent_progress_line(LINE("progress 12x"), 1000, &d), 0);
  assert_int_equal(agent_progress_line(LINE("progress -1"), 1000, &d), 0);
  assert_int_equal(agent_progress_line(LINE("Progress 5"), 1000, &d), 0);
  assert_int_equal(agent_progress_line(LINE("progress  5"), 1000, &d), 0);
  assert_int_equal(agent_progress_line(LINE("progress 99999999999999999999"),
                                       UINT64_MAX, &d),
                   0);
  assert_int_equal(agent_progress_line(LINE("progress 18446744073709551615"),
                                       UINT64_MAX, &d),
                   1);
  assert_true(d == UINT64_MAX);
  /* len is honoured: the digits after it are not read */
  assert_int_equal(agent_progress_line("progress 12345", 11, 1000, &d), 1);
  assert_int_equal(d, 12);
#undef LINE
}

/* The task reaches the hook in its environment, and the agent's own
 * settings (which may hold secrets) do not. */
static void hook_environment_and_progress(void **state) {
  (void)state;
  struct run r;
  char cmd[512];
  setenv("MESHBEAT_BRIDGE_TOKEN", "s3cret", 1);
  run_setup(&r);
  snprintf(cmd, sizeof(cmd),
           "env > %s/env; echo progress 10; echo hello; echo progress 5; "
           "echo progress 40; echo progress 1001; echo progress 70",
           r.dir);
  run_executor(&r, cmd, 0);
  struct agent_task_spec s = spec_of(41, 1000);
  assert_ok(agent_executor_start(r.x, &s));
  assert_rc(agent_executor_start(r.x, &s), MB_EHELD);
  assert_int_equal(agent_executor_running(r.x), 1);
  run_until_finished(&r);
  unsetenv("MESHBEAT_BRIDGE_TOKEN");
  assert_int_equal(r.result, AGENT_TASK_DONE);
  assert_int_equal(r.task, 41);
  assert_int_equal(r.done, 1000);
  /* 10, 40, 70 (5 went backward, 1001 is past the task), then the exit */
  assert_int_equal(r.n_progress, 4);
  assert_int_equal(r.progress[0], 10);
  assert_int_equal(r.progress[1], 40);
  assert_int_equal(r.progress[2], 70);
  assert_int_equal(r.progress[3], 1000);
  char path[128];
  snprintf(path, sizeof(path), "%s/env", r.dir);
  const char *env = slurp(path);
  assert_non_null(strstr(env, "MESHBEAT_TASK_ID=41\n"));
  assert_non_null(strstr(env, "MESHBEAT_TASK_KIND=rebuild\n"));
  assert_non_null(strstr(env, "MESHBEAT_ARRAY=vol-a\n"));
  assert_non_null(strstr(env, "MESHBEAT_ARRAY_LEVEL=raid5\n"));
  assert_non_null(strstr(env, "MESHBEAT_SLOT=2\n"));
  assert_non_null(strstr(env, "MESHBEAT_TASK_BYTES=1000\n"));
  assert_non_null(strstr(env, "MESHBEAT_SOURCES=dev-1 dev-3\n"));
  assert_non_null(strstr(env, "MESHBEAT_TARGET=dev-4\n"));
  assert_non_null(strstr(env, "PATH="));
  assert_null(strstr(env, "s3cret"));
  assert_int_equal(agent_executor_running(r.x), 0);
  run_teardown(&r);
}

static void hook_exit_code_is_the_result(void **state) {
  (void)state;
  struct run r;
  run_setup(&r);
  run_executor(&r, "echo progress 3; exit 3", 0);
  struct agent_task_spec s = spec_of(7, 100);
  assert_ok(agent_executor_start(r.x, &s));
  run_until_finished(&r);
  assert_int_equal(r.result, AGENT_TASK_FAILED);
  assert_int_equal(r.detail, 3);
  assert_int_equal(r.done, 3);
  run_teardown(&r);
}

/* An overlong line is skipped whole, even when its tail looks like a
 * report; the lines around it count. */
static void hook_overlong_line_skipped(void **state) {
  (void)state;
  struct run r;
  run_setup(&r);
  run_executor(&r,
               "echo progress 1; head -c 5000 /dev/zero | tr '\\0' x; "
               "echo progress 900; echo progress 2",
               0);
  struct agent_task_spec s = spec_of(8, 1000);
  assert_ok(agent_executor_start(r.x, &s));
  run_until_finished(&r);
  assert_int_equal(r.result, AGENT_TASK_DONE);
  assert_int_equal(r.n_progress, 3);
  assert_int_equal(r.progress[0], 1);
  assert_int_equal(r.progress[1], 2);
  assert_int_equal(r.progress[2], 1000);
  run_teardown(&r);
}

static bool alive(pid_t pid) {
  return kill(pid, 0) == 0;
}

static pid_t read_pid(const char *dir, const char *name) {
  char path[128];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  for (int i = 0; i < 500; i++) {
    FILE *f = fopen(path, "r");
    if (f) {
      long pid = 0;
      int ok = fscanf(f, "%ld", &pid);
      fclose(f);
      if (ok == 1 && pid > 0)
        return (pid_t)pid;
    }
    usleep(10000);
  }
  fail_msg("%s never appeared", path);
  return -1;
}

/* Cancel: SIGTERM to the group; a hook that ignores it is killed after
 * the grace period, and so is what it started. */
static void cancel_kills_the_group(void **state) {
  (void)state;
  struct run r;
  char cmd[512];
  run_setup(&r);
  snprintf(cmd, sizeof(cmd),
           "trap '' TERM; sleep 60 & echo $! > %s/child.tmp; "
           "mv %s/child.tmp %s/child; echo progress 5; wait; wait",
           r.dir, r.dir, r.dir);
  run_executor(&r, cmd, 0);
  struct agent_task_spec s = spec_of(9, 100);
  assert_ok(agent_executor_start(r.x, &s));
  pid_t child = read_pid(r.dir, "child");
  assert_true(alive(child));
  assert_rc(agent_executor_cancel(r.x, 10), -ENOENT);
  uint64_t asked = uv_now(&r.loop);
  assert_ok(agent_executor_cancel(r.x, 9));
  run_until_finished(&r);
  assert_int_equal(r.result, AGENT_TASK_CANCELLED);
  /* the hook ignored SIGTERM: only SIGKILL after the grace ended it */
  assert_true(r.finished_at - asked >= 250);
  for (int i = 0; i < 200 && alive(child); i++)
    usleep(10000);
  assert_false(alive(child));
  run_teardown(&r);
}

/* A hook whose background child keeps stdout open still ends (what is
 * left unread is not waited for past a second). */
static void hook_leaving_a_child_ends(void **state) {
  (void)state;
  struct run r;
  char cmd[512];
  run_setup(&r);
  snprintf(cmd, sizeof(cmd),
           "sleep 30 2>/dev/null & echo $! > %s/bg.tmp; mv %s/bg.tmp %s/bg; "
           "echo progress 50; exit 0",
           r.dir, r.dir, r.dir);
  run_executor(&r, cmd, 0);
  struct agent_task_spec s = spec_of(11, 100);
  assert_ok(agent_executor_start(r.x, &s));
  run_until_finished(&r);
  assert_int_equal(r.result, AGENT_TASK_DONE);
  assert_int_equal(r.done, 100);
  pid_t bg = read_pid(r.dir, "bg");
  assert_true(alive(bg)); /* left alone: only a cancel stops the group */
  kill(bg, SIGKILL);
  run_teardown(&r);
}

static void builtin_copies_at_its_rate(void **state) {
  (void)state;
  struct run r;
  run_setup(&r);
  run_executor(&r, "builtin", 2000); /* 2000 B/s: 600 B in 300 ms */
  assert_true(agent_executor_is_builtin(r.x));
  struct agent_task_spec s = spec_of(12, 600);
  uint64_t t0 = uv_now(&r.loop);
  assert_ok(agent_executor_start(r.x, &s));
  run_until_finished(&r);
  assert_int_equal(r.result, AGENT_TASK_DONE);
  assert_int_equal(r.done, 600);
  assert_true(r.finished_at - t0 >= 290);
  assert_true(r.n_progress >= 3);
  for (size_t i = 1; i < r.n_progress; i++)
    assert_true(r.progress[i] > r.progress[i - 1]);
  assert_int_equal(r.progress[r.n_progress - 1], 600);
  run_teardown(&r);
}

static void table_full_and_close_cancels(void **state) {
  (void)state;
  struct run r;
  run_setup(&r);
  run_executor(&r, "builtin", 1);
  for (uint64_t i = 0; i < AGENT_EXECUTOR_MAX_TASKS; i++) {
    struct agent_task_spec s = spec_of(100 + i, 1000000);
    assert_ok(agent_executor_start(r.x, &s));
  }
  struct agent_task_spec s = spec_of(99, 10);
  assert_rc(agent_executor_start(r.x, &s), MB_EFULL);
  agent_executor_close(r.x, on_closed, &r);
  uv_run(&r.loop, UV_RUN_DEFAULT);
  assert_true(r.closed);
  assert_int_equal(r.finished, AGENT_EXECUTOR_MAX_TASKS);
  assert_int_equal(r.result, AGENT_TASK_CANCELLED);
  assert_int_equal(uv_loop_close(&r.loop), 0);
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf %s", r.dir);
  assert_int_equal(system(cmd), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(progress_lines),
      cmocka_unit_test(hook_environment_and_progress),
      cmocka_unit_test(hook_exit_code_is_the_result),
      cmocka_unit_test(hook_overlong_line_skipped),
      cmocka_unit_test(cancel_kills_the_group),
      cmocka_unit_test(hook_leaving_a_child_ends),
      cmocka_unit_test(builtin_copies_at_its_rate),
      cmocka_unit_test(table_full_and_close_cancels),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
