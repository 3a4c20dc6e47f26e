/* unit_admin: the socket file, peer credentials and the blocking client. */
#include "admin_fixture.h"
#include "admin_tests.h"

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* The uid/gid of "nobody" on Debian, used to play an outsider. */
#define OUTSIDER_ID 65534

void test_socket_mode(void **state) {
  (void)state;
  struct fx f;
  fx_init(&f);
  fx_start(&f);
  struct stat st;
  assert_int_equal(lstat(f.path, &st), 0);
  assert_true(S_ISSOCK(st.st_mode));
  assert_int_equal(st.st_mode & 07777, 0600);
  fx_fini(&f);
  assert_int_equal(access(f.path, F_OK), -1); /* close removed it */
}

void test_socket_group(void **state) {
  (void)state;
  struct group *g = getgrgid(getegid());
  if (g == NULL)
    skip();
  struct fx f;
  fx_init(&f);
  f.opt.group = g->gr_name;
  fx_start(&f);
  struct stat st;
  assert_int_equal(lstat(f.path, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0660);
  assert_int_equal(st.st_gid, getegid());
  fx_fini(&f);
}

/* Leaves a socket file nobody listens on, as a crashed agent does. */
static void make_stale(const char *path) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  close(fd);
}

void test_socket_stale(void **state) {
  (void)state;
  struct fx f;
  struct fx_client c;
  fx_init(&f);
  make_stale(f.path);
  fx_start(&f);
  fx_connect(&f, &c);
  json_t *r = fx_call(&f, &c, "{\"cmd\":\"echo\",\"arg\":1}\n");
  fx_assert_ok(r);
  json_decref(r);
  fx_disconnect(&c);
  fx_fini(&f);
}

void test_socket_live_refused(void **state) {
  (void)state;
  struct fx f;
  struct fx_client c;
  fx_init(&f);
  fx_start(&f);
  struct mb_admin *second = NULL;
  assert_rc(mb_admin_open(&second, &f.loop, &f.opt), -EADDRINUSE);
  fx_connect(&f, &c); /* the first agent's socket is untouched */
  json_t *r = fx_call(&f, &c, "{\"cmd\":\"echo\",\"arg\":1}\n");
  fx_assert_ok(r);
  json_decref(r);
  fx_disconnect(&c);

  struct mb_admin_options o = f.opt;
  char other[160];
  snprintf(other, sizeof(other), "%s/plain-file", f.dir);
  FILE *fp = fopen(other, "w");
  assert_non_null(fp);
  fclose(fp);
  o.path = other;
  assert_rc(mb_admin_open(&second, &f.loop, &o), -EEXIST);
  assert_int_equal(access(other, F_OK), 0); /* never unlinked */
  char longp[200];
  memset(longp, 'a', sizeof(longp) - 1);
  longp[sizeof(longp) - 1] = '\0';
  o.path = longp;
  assert_rc(mb_admin_open(&second, &f.loop, &o), -ENAMETOOLONG);
  o.path = f.path;
  o.group = "no-such-group-meshbeat";
  assert_rc(mb_admin_open(&second, &f.loop, &o), MB_EINVAL);
  o.group = NULL;
  o.n_commands = MB_ADMIN_MAX_COMMANDS + 1;
  assert_rc(mb_admin_open(&second, &f.loop, &o), MB_EINVAL);
  fx_fini(&f);
}

static int forbidden_line(void *arg, const json_t *line) {
  json_t *err = json_object_get(line, "error");
  *(bool *)arg =
      json_is_false(json_object_get(line, "ok")) &&
      strcmp(json_string_value(json_object_get(err, "code")), "forbidden") == 0;
  return 1;
}

/*
 * In a child running as the outsider: 0 when what happens is what `expect`
 * says ('A' EACCES on the file, 'F' a forbidden line, 'K' served).
 */
static int outsider(const char *path, char expect) {
  if (setgroups(0, NULL) != 0 || setgid(OUTSIDER_ID) != 0 ||
      setuid(OUTSIDER_ID) != 0)
    return 10;
  int fd, rc = mb_admin_client_connect(path, 1000, &fd);
  if (expect == 'A')
    return rc == -EACCES ? 0 : 11;
  if (rc != 0)
    return 12;
  if (expect == 'F') {
    bool forbidden = false;
    rc = mb_admin_follow(fd, 3000, forbidden_line, &forbidden);
    return rc == 1 && forbidden ? 0 : 13;
  }
  json_t *req = json_pack("{s:s, s:i}", "cmd", "echo", "arg", 4), *resp;
  rc = mb_admin_call(fd, req, &resp, 3000);
  return rc == 0 && json_is_true(json_object_get(resp, "ok")) ? 0 : 14;
}

/* Forks the outsider and runs the loop until it exits; its exit code. */
static int run_outsider(struct fx *f, char expect) {
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0)
    _exit(outsider(f->path, expect));
  int status;
  while (waitpid(pid, &status, WNOHANG) == 0)
    fx_pump(f, -1, 10);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

void test_socket_peer_creds(void **state) {
  (void)state;
  struct group *g = getgrgid(OUTSIDER_ID);
  if (geteuid() != 0 || g == NULL)
    skip(); /* needs root to play another user */
  char gname[64];
  snprintf(gname, sizeof(gname), "%s", g->gr_name);
  struct fx f;
  fx_init(&f);
  assert_int_equal(chmod(f.dir, 0755), 0);
  fx_start(&f);
  assert_int_equal(run_outsider(&f, 'A'), 0); /* mode 0600 keeps it out */
  assert_int_equal(chmod(f.path, 0666), 0);   /* a careless chmod ... */
  assert_int_equal(run_outsider(&f, 'F'), 0); /* ... and creds still do */
  struct mb_admin_stats st;
  mb_admin_get_stats(f.srv, &st);
  assert_int_equal(st.rejected, 1);
  assert_int_equal(st.errors[MB_ADMIN_ERR_FORBIDDEN], 1);
  fx_fini(&f);

  fx_init(&f); /* with the outsider's group configured it is admitted */
  assert_int_equal(chmod(f.dir, 0755), 0);
  f.opt.group = gname;
  fx_start(&f);
  assert_int_equal(run_outsider(&f, 'K'), 0);
  fx_fini(&f);
}

/* A raw listening socket at path that never accepts. */
static int raw_listener(const char *path) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  assert_int_equal(listen(fd, 4), 0);
  return fd;
}

/* A raw server that accepts one client and sends it `reply`, then shuts
 * its side; the client's call then meets exactly that. */
static int call_against(const char *path, const char *reply) {
  int l = raw_listener(path), fd, rc;
  assert_ok(mb_admin_client_connect(path, 1000, &fd));
  int s = accept(l, NULL, NULL);
  assert_true(s >= 0);
  assert_int_equal(write(s, reply, strlen(reply)), (ssize_t)strlen(reply));
  shutdown(s, SHUT_WR);
  json_t *req = json_pack("{s:s}", "cmd", "info"), *resp = NULL;
  rc = mb_admin_call(fd, req, &resp, 200);
  json_decref(req);
  json_decref(resp);
  close(fd), close(s), close(l);
  unlink(path);
  return rc;
}

struct seen {
  int data, heartbeats;
};

static int count_lines(void *arg, const json_t *line) {
  struct seen *s = arg;
  const char *stream = json_string_value(json_object_get(line, "stream"));
  if (stream != NULL && strcmp(stream, "heartbeat") == 0)
    s->heartbeats++;
  else if (stream != NULL && strcmp(stream, "events") == 0)
    s->data++;
  return s->data == 2 && s->heartbeats >= 1 ? 42 : 0;
}

void test_client_errors(void **state) {
  (void)state;
  struct fx f;
  fx_init(&f);
  int fd;
  assert_rc(mb_admin_client_connect(f.path, 200, &fd), -ENOENT);
  make_stale(f.path);
  assert_rc(mb_admin_client_connect(f.path, 200, &fd), -ECONNREFUSED);
  unlink(f.path);
  char longp[200];
  memset(longp, 'a', sizeof(longp) - 1);
  longp[sizeof(longp) - 1] = '\0';
  assert_rc(mb_admin_client_connect(longp, 200, &fd), -ENAMETOOLONG);
  /* Connected, but nobody ever answers. */
  int l = raw_listener(f.path);
  assert_ok(mb_admin_client_connect(f.path, 1000, &fd));
  json_t *req = json_pack("{s:s}", "cmd", "info"), *resp = NULL;
  assert_rc(mb_admin_call(fd, req, &resp, 200), -ETIMEDOUT);
  json_decref(req);
  close(fd), close(l);
  unlink(f.path);
  assert_rc(call_against(f.path, "garbage\n"), MB_EMALFORMED);
  assert_rc(call_against(f.path, "[1]\n"), MB_EMALFORMED);
  assert_rc(call_against(f.path, "{\"ok\":"), MB_ETRUNCATED);
  assert_ok(call_against(f.path, "{\"ok\":true}\n"));
  /* A follower hears nothing more: the idle timeout says the agent hung. */
  l = raw_listener(f.path);
  assert_ok(mb_admin_client_connect(f.path, 1000, &fd));
  int s = accept(l, NULL, NULL);
  assert_int_equal(write(s, "{\"stream\":\"heartbeat\"}\n", 23), 23);
  struct seen seen = {0, 0};
  assert_rc(mb_admin_follow(fd, 200, count_lines, &seen), -ETIMEDOUT);
  assert_int_equal(seen.heartbeats, 1);
  close(fd), close(s), close(l);
  fx_fini(&f);
}

/* The blocking client against the server running in its own thread. */
struct threaded {
  struct fx *f;
  uv_async_t publish, stop;
};

static void on_publish(uv_async_t *a) {
  struct threaded *t = a->data;
  for (int i = 0; i < 2; i++)
    mb_admin_publish(t->f->srv, "events", json_pack("{s:i}", "seq", i));
}

static void on_stop(uv_async_t *a) {
  struct threaded *t = a->data;
  fx_close(t->f);
  uv_close((uv_handle_t *)&t->publish, NULL);
  uv_close((uv_handle_t *)&t->stop, NULL);
}

static void *loop_thread(void *arg) {
  uv_run(arg, UV_RUN_DEFAULT);
  return NULL;
}

void test_client_blocking(void **state) {
  (void)state;
  struct fx f;
  struct threaded t = {.f = &f};
  fx_init(&f);
  fx_start(&f);
  uv_async_init(&f.loop, &t.publish, on_publish);
  uv_async_init(&f.loop, &t.stop, on_stop);
  t.publish.data = t.stop.data = &t;
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, loop_thread, &f.loop), 0);

  int fd;
  assert_ok(mb_admin_client_connect(f.path, 1000, &fd));
  json_t *req = json_pack("{s:s, s:s}", "cmd", "echo", "arg", "hi"), *resp;
  assert_ok(mb_admin_call(fd, req, &resp, 2000));
  assert_string_equal(json_string_value(json_object_get(resp, "result")), "hi");
  json_decref(req), json_decref(resp);
  req = json_pack("{s:s, s:b}", "cmd", "events", "follow", 1);
  assert_ok(mb_admin_call(fd, req, &resp, 2000));
  assert_true(json_is_true(json_object_get(resp, "ok")));
  json_decref(req), json_decref(resp);
  uv_async_send(&t.publish);
  struct seen seen = {0, 0};
  assert_int_equal(mb_admin_follow(fd, 2000, count_lines, &seen), 42);
  close(fd);

  uv_async_send(&t.stop);
  assert_int_equal(pthread_join(th, NULL), 0);
  fx_fini(&f);
}
