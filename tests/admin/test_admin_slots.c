/*
 * unit_admin: connection slots under a slow-loris — the idle timeout that
 * frees slots held by half-written requests, and the slot kept for root and
 * the agent's own uid when the table is full.
 */
#include "admin_fixture.h"
#include "admin_tests.h"

#include <grp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The uid/gid of "nobody" on Debian, used to play a group member. */
#define OUTSIDER_ID 65534
/* Half of a request line: what a slow-loris sends, and then nothing. */
#define HALF_REQUEST "{\"cmd\":\"ec"
#define N_LORIS ((int)MB_ADMIN_DEFAULT_MAX_CLIENTS)

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool table_full(const struct mb_admin_stats *st) {
  return st->clients == MB_ADMIN_DEFAULT_MAX_CLIENTS;
}

/* N_LORIS clients on the heap (each has a 64 KiB buffer), each holding
 * half a request, all admitted. */
static struct fx_client *hold_half_written(struct fx *f) {
  struct fx_client *loris = calloc(N_LORIS, sizeof(*loris));
  assert_non_null(loris);
  for (int i = 0; i < N_LORIS; i++) {
    fx_connect(f, &loris[i]);
    fx_send(&loris[i], HALF_REQUEST);
  }
  fx_await_stats(f, table_full);
  return loris;
}

static void release(struct fx_client *loris) {
  for (int i = 0; i < N_LORIS; i++)
    if (loris[i].fd >= 0)
      fx_disconnect(&loris[i]);
  free(loris);
}

/* 64 half-written connections fill the table; the agent's own uid still
 * gets an answer, and the reserve is one slot, not a way around the limit. */
void test_slots_reserved(void **state) {
  (void)state;
  struct fx f;
  struct fx_client owner, extra;
  fx_init(&f);
  fx_start(&f);
  struct fx_client *loris = hold_half_written(&f);
  fx_connect(&f, &owner);
  json_t *r = fx_call(&f, &owner, "{\"cmd\":\"echo\",\"arg\":\"in\"}\n");
  assert_string_equal(json_string_value(fx_assert_ok(r)), "in");
  json_decref(r);
  fx_connect(&f, &extra);
  r = fx_line(&f, &extra);
  fx_assert_error(r, "too_many_clients");
  json_decref(r);
  fx_await_eof(&f, &extra);
  fx_disconnect(&extra);
  struct mb_admin_stats st;
  mb_admin_get_stats(f.srv, &st);
  assert_int_equal(st.clients, MB_ADMIN_DEFAULT_MAX_CLIENTS + 1);
  assert_int_equal(st.errors[MB_ADMIN_ERR_BUSY], 1);
  fx_disconnect(&owner);
  release(loris);
  fx_fini(&f);
}

static bool only_two_clients(const struct mb_admin_stats *st) {
  return st->clients == 2;
}

/*
 * The half-written connections are told "idle_timeout" and closed after
 * idle_timeout_ms; a follower is not, and a client that keeps completing
 * requests more often than that is not either (the follower's heartbeats,
 * every 100 ms, pace it through two and a half timeouts).
 */
void test_slots_idle_timeout(void **state) {
  (void)state;
  struct fx f;
  struct fx_client follower, active;
  fx_init(&f);
  f.opt.idle_timeout_ms = 1000;
  fx_start(&f);
  struct fx_client *loris = hold_half_written(&f);
  fx_connect(&f, &follower); /* the reserved slot */
  json_t *r = fx_call(&f, &follower, "{\"cmd\":\"events\",\"follow\":true}\n");
  fx_assert_ok(r);
  json_decref(r);
  for (int i = 0; i < N_LORIS; i++) {
    r = fx_line(&f, &loris[i]);
    fx_assert_error(r, "idle_timeout");
    json_decref(r);
    fx_await_eof(&f, &loris[i]);
    fx_disconnect(&loris[i]);
  }
  fx_connect(&f, &active); /* a slot is free again */
  for (int64_t until = now_ms() + 2500; now_ms() < until;) {
    r = fx_line(&f, &follower);
    assert_string_equal(json_string_value(json_object_get(r, "stream")),
                        "heartbeat");
    json_decref(r);
    r = fx_call(&f, &active, "{\"cmd\":\"echo\",\"arg\":1}\n");
    fx_assert_ok(r);
    json_decref(r);
  }
  fx_await_stats(&f, only_two_clients);
  struct mb_admin_stats st;
  mb_admin_get_stats(f.srv, &st);
  assert_int_equal(st.errors[MB_ADMIN_ERR_IDLE], N_LORIS);
  assert_int_equal(st.subscribers, 1);
  fx_disconnect(&active);
  fx_disconnect(&follower);
  release(loris);
  fx_fini(&f);
}

/* Reads one line from fd (blocking, 3 s) and says whether it is the error
 * `code`. */
static bool error_line_is(int fd, const char *code) {
  char buf[512];
  size_t len = 0;
  struct pollfd p = {.fd = fd, .events = POLLIN};
  while (len < sizeof(buf) - 1 && memchr(buf, '\n', len) == NULL) {
    if (poll(&p, 1, 3000) != 1)
      return false;
    ssize_t k = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
    if (k <= 0)
      return false;
    len += (size_t)k;
  }
  buf[len] = '\0';
  json_t *j = json_loads(buf, JSON_DISABLE_EOF_CHECK, NULL);
  const char *got =
      json_string_value(json_object_get(json_object_get(j, "error"), "code"));
  bool same = got != NULL && strcmp(got, code) == 0;
  json_decref(j);
  return same;
}

/*
 * As the outsider (a member of the socket's group): fills the table of two
 * with half-written requests, finds a third connection refused, says so on
 * `ready` and holds on until `hold` closes.  0 when all went as expected.
 */
static int fill_as_group_member(const char *path, int ready, int hold) {
  if (setgroups(0, NULL) != 0 || setgid(OUTSIDER_ID) != 0 ||
      setuid(OUTSIDER_ID) != 0)
    return 10;
  int fds[3];
  for (int i = 0; i < 3; i++)
    if (mb_admin_client_connect(path, 1000, &fds[i]) != 0)
      return 11;
  for (int i = 0; i < 2; i++)
    if (send(fds[i], HALF_REQUEST, strlen(HALF_REQUEST), MSG_NOSIGNAL) < 0)
      return 12;
  if (!error_line_is(fds[2], "too_many_clients"))
    return 13;
  if (write(ready, "R", 1) != 1)
    return 14;
  char c;
  return read(hold, &c, 1) == 0 ? 0 : 15;
}

/* Runs the loop until fd is readable (at most FX_WAIT_MS). */
static void pump_until_readable(struct fx *f, int fd) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  for (int waited = 0; poll(&p, 1, 0) == 0; waited += 10) {
    if (waited > FX_WAIT_MS)
      fail_msg("the group member never reported");
    fx_pump(f, fd, 10);
  }
}

/* The reserve is for root and the agent's uid only: a group member that
 * filled the table is refused a third slot, the agent's uid is served. */
void test_slots_reserve_not_for_group(void **state) {
  (void)state;
  struct group *g = getgrgid(OUTSIDER_ID);
  if (geteuid() != 0 || g == NULL)
    skip(); /* needs root to play another user */
  char gname[64];
  snprintf(gname, sizeof(gname), "%s", g->gr_name);
  struct fx f;
  fx_init(&f);
  assert_int_equal(chmod(f.dir, 0755), 0);
  f.opt.group = gname;
  f.opt.max_clients = 2;
  fx_start(&f);
  int ready[2], hold[2];
  assert_int_equal(pipe(ready), 0);
  assert_int_equal(pipe(hold), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(ready[0]), close(hold[1]);
    _exit(fill_as_group_member(f.path, ready[1], hold[0]));
  }
  close(ready[1]), close(hold[0]);
  pump_until_readable(&f, ready[0]);
  struct fx_client owner;
  fx_connect(&f, &owner);
  json_t *r = fx_call(&f, &owner, "{\"cmd\":\"echo\",\"arg\":2}\n");
  assert_int_equal(json_integer_value(fx_assert_ok(r)), 2);
  json_decref(r);
  close(hold[1]); /* let the member go */
  int status;
  while (waitpid(pid, &status, WNOHANG) == 0)
    fx_pump(&f, -1, 10);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  close(ready[0]);
  fx_disconnect(&owner);
  fx_fini(&f);
}
