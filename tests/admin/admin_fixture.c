/* See admin_fixture.h. */
#include "admin_fixture.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int h_echo(void *ctx, const json_t *req, json_t **result,
                  struct mb_admin_error *err) {
  (void)ctx, (void)err;
  json_t *arg = json_object_get(req, "arg");
  *result = arg ? json_deep_copy(arg) : NULL;
  return 0;
}

static int h_fail(void *ctx, const json_t *req, json_t **result,
                  struct mb_admin_error *err) {
  (void)ctx, (void)result;
  const char *arg = json_string_value(json_object_get(req, "arg"));
  return mb_admin_error_set(err, -ENOENT, "not_found", "no member matches %s",
                            arg ? arg : "(nothing)");
}

static int h_boom(void *ctx, const json_t *req, json_t **result,
                  struct mb_admin_error *err) {
  (void)ctx, (void)req, (void)result, (void)err;
  return -EIO;
}

static int h_events(void *ctx, const json_t *req, json_t **result,
                    struct mb_admin_error *err) {
  (void)ctx, (void)req, (void)err;
  *result = json_array();
  return 0;
}

static void on_closed(void *arg) {
  ((struct fx *)arg)->closed = true;
}

static int h_quit(void *ctx, const json_t *req, json_t **result,
                  struct mb_admin_error *err) {
  struct fx *f = ctx;
  (void)req, (void)err;
  mb_admin_close(f->srv, on_closed, f);
  f->srv = NULL;
  *result = json_true();
  return 0;
}

static int h_later(void *ctx, const json_t *req, json_t **result,
                   struct mb_admin_error *err) {
  struct fx *f = ctx;
  (void)req, (void)result;
  uint64_t token = mb_admin_defer(f->srv);
  if (token == 0 || f->n_tokens == 8)
    return mb_admin_error_set(err, -EBUSY, "busy", "no token");
  assert_int_equal(mb_admin_defer(f->srv), 0); /* one per request */
  f->tokens[f->n_tokens++] = token;
  return MB_ADMIN_DEFERRED;
}

const struct mb_admin_command fx_commands[] = {
    {"echo", h_echo, false}, {"fail", h_fail, false},
    {"boom", h_boom, false}, {"events", h_events, true},
    {"quit", h_quit, false}, {"later", h_later, false},
};
const size_t fx_n_commands = sizeof(fx_commands) / sizeof(fx_commands[0]);

void fx_init(struct fx *f) {
  memset(f, 0, sizeof(*f));
  snprintf(f->dir, sizeof(f->dir), "/tmp/mb-admin-XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  snprintf(f->path, sizeof(f->path), "%s/admin.sock", f->dir);
  assert_int_equal(uv_loop_init(&f->loop), 0);
  f->opt = (struct mb_admin_options){
      .path = f->path,
      .max_line = 1024,
      .heartbeat_ms = 100,
      .commands = fx_commands,
      .n_commands = fx_n_commands,
      .ctx = f,
  };
}

void fx_start(struct fx *f) {
  assert_ok(mb_admin_open(&f->srv, &f->loop, &f->opt));
  f->opened = true;
}

void fx_close(struct fx *f) {
  if (f->srv != NULL)
    mb_admin_close(f->srv, on_closed, f);
  f->srv = NULL;
}

void fx_pump_for(struct fx *f, int ms) {
  int64_t end = mono_ms() + ms;
  while (mono_ms() < end)
    fx_pump(f, -1, (int)(end - mono_ms()));
}

void fx_fini(struct fx *f) {
  fx_close(f);
  int64_t deadline = mono_ms() + FX_WAIT_MS;
  while (uv_run(&f->loop, UV_RUN_NOWAIT) != 0 && mono_ms() < deadline)
    fx_pump(f, -1, 10);
  assert_true(f->closed || !f->opened);
  /* 0 only when no handle is left: nothing leaked on the loop. */
  assert_int_equal(uv_loop_close(&f->loop), 0);
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
  assert_int_equal(system(cmd), 0);
}

void fx_pump(struct fx *f, int extra_fd, int max_ms) {
  struct pollfd p[2] = {{.fd = uv_backend_fd(&f->loop), .events = POLLIN},
                        {.fd = extra_fd, .events = POLLIN}};
  int t = uv_backend_timeout(&f->loop);
  if (t < 0 || t > max_ms)
    t = max_ms;
  poll(p, extra_fd >= 0 ? 2 : 1, t);
  uv_run(&f->loop, UV_RUN_NOWAIT);
}

void fx_connect(struct fx *f, struct fx_client *c) {
  (void)f;
  c->len = 0;
  assert_ok(mb_admin_client_connect(f->path, 1000, &c->fd));
}

void fx_disconnect(struct fx_client *c) {
  close(c->fd);
  c->fd = -1;
}

void fx_send(struct fx_client *c, const char *text) {
  size_t n = strlen(text);
  assert_int_equal(send(c->fd, text, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Reads what is there without blocking; returns recv's result. */
static ssize_t fill(struct fx_client *c) {
  ssize_t k =
      recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
  if (k > 0)
    c->len += (size_t)k;
  return k;
}

static json_t *take_line(struct fx_client *c) {
  char *nl = memchr(c->buf, '\n', c->len);
  if (nl == NULL)
    return NULL;
  size_t n = (size_t)(nl - c->buf);
  json_error_t e;
  json_t *j = json_loadb(c->buf, n, 0, &e);
  if (j == NULL)
    fail_msg("server sent a line that is not JSON: %.*s (%s)", (int)n, c->buf,
             e.text);
  memmove(c->buf, nl + 1, c->len - n - 1);
  c->len -= n + 1;
  return j;
}

json_t *fx_line(struct fx *f, struct fx_client *c) {
  int64_t deadline = mono_ms() + FX_WAIT_MS;
  for (;;) {
    json_t *j = take_line(c);
    if (j != NULL)
      return j;
    if (mono_ms() > deadline)
      fail_msg("no line from the server within %d ms", FX_WAIT_MS);
    fx_pump(f, c->fd, 50);
    if (fill(c) == 0)
      fail_msg("server closed the connection while a line was awaited");
  }
}

json_t *fx_call(struct fx *f, struct fx_client *c, const char *text) {
  fx_send(c, text);
  return fx_line(f, c);
}

void fx_await_eof(struct fx *f, struct fx_client *c) {
  int64_t deadline = mono_ms() + FX_WAIT_MS;
  for (;;) {
    c->len = 0; /* whatever was in flight is not of interest */
    ssize_t k = fill(c);
    if (k == 0 || (k < 0 && errno == ECONNRESET))
      return;
    if (mono_ms() > deadline)
      fail_msg("the server did not close the connection");
    if (k < 0)
      fx_pump(f, c->fd, 50);
  }
}

void fx_await_stats(struct fx *f,
                    bool (*pred)(const struct mb_admin_stats *st)) {
  int64_t deadline = mono_ms() + FX_WAIT_MS;
  struct mb_admin_stats st;
  for (;;) {
    mb_admin_get_stats(f->srv, &st);
    if (pred(&st))
      return;
    if (mono_ms() > deadline)
      fail_msg("stats never reached the awaited state");
    fx_pump(f, -1, 20);
  }
}

void fx_assert_error(json_t *r, const char *code) {
  json_t *err = json_object_get(r, "error");
  if (!json_is_false(json_object_get(r, "ok")) || !json_is_object(err)) {
    char *s = json_dumps(r, JSON_COMPACT);
    fail_msg("expected an error response, got %s", s);
  }
  assert_string_equal(json_string_value(json_object_get(err, "code")), code);
  assert_true(json_is_string(json_object_get(err, "message")));
}

json_t *fx_assert_ok(json_t *r) {
  if (!json_is_true(json_object_get(r, "ok"))) {
    char *s = json_dumps(r, JSON_COMPACT);
    fail_msg("expected an ok response, got %s", s);
  }
  assert_non_null(json_object_get(r, "id"));
  return json_object_get(r, "result");
}
