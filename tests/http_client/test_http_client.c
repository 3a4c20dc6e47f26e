/*
 * unit_http_client: the HTTP client on a real libuv loop against real
 * servers over TCP on loopback (test_server.h): plain HTTP and HTTPS with a
 * certificate authority made for the run (tools/receiver/make_certs.py; its
 * directory is argv[1]).  Every wait runs the loop until what is awaited
 * happens, with a watchdog deadline.
 */
#include "test_util.h"

#include "mb_http_client.h"
#include "test_server.h"

#include <stdio.h>
#include <stdlib.h>

#define WAIT_MS 10000
#define TOKEN "Bearer s3cret-token-9f8e7d"
#define TOKEN_WORD "s3cret-token-9f8e7d"

static const char *cert_dir;

struct outcome {
  int calls;
  int rc;
  int status;
  char *retry_after;
  size_t body_len;
  char body[16];
  bool truncated;
  uint64_t elapsed_ms;
  char *error;
};

struct fx {
  uv_loop_t loop;
  struct mb_http_client *client;
  struct ts_server *http, *https;
  struct ts_mute mute;
  bool closed;
  char ca[512];
};

static void on_done(void *user, const struct mb_http_client_result *r) {
  struct outcome *o = user;
  o->calls++;
  o->rc = r->rc;
  o->status = r->status;
  o->retry_after = r->retry_after != NULL ? strdup(r->retry_after) : NULL;
  o->body_len = r->body_len;
  if (r->body_len > 0)
    memcpy(o->body, r->body, r->body_len < 15 ? r->body_len : 15);
  o->truncated = r->body_truncated;
  o->elapsed_ms = r->elapsed_ms;
  o->error = strdup(r->error);
}

static void outcome_free(struct outcome *o) {
  free(o->retry_after);
  free(o->error);
  memset(o, 0, sizeof(*o));
}

static int setup(void **state) {
  struct fx *x = calloc(1, sizeof(*x));
  assert_int_equal(uv_loop_init(&x->loop), 0);
  assert_ok(mb_http_client_open(&x->client, &x->loop, NULL));
  x->http = ts_server_start(false, NULL);
  x->https = ts_server_start(true, cert_dir);
  assert_non_null(x->http);
  assert_non_null(x->https);
  ts_mute_start(&x->mute, &x->loop);
  snprintf(x->ca, sizeof(x->ca), "%s/ca.pem", cert_dir);
  *state = x;
  return 0;
}

static void on_closed(void *arg) {
  *(bool *)arg = true;
}

/* Closes the client (if the test has not) and the loop: no handle may be
 * left behind. */
static int teardown(void **state) {
  struct fx *x = *state;
  if (x->client != NULL)
    mb_http_client_close(x->client, on_closed, &x->closed);
  ts_mute_stop(&x->mute);
  while (uv_run(&x->loop, UV_RUN_ONCE) != 0)
    ;
  assert_true(x->closed);
  assert_int_equal(uv_loop_close(&x->loop), 0);
  ts_server_stop(x->http);
  ts_server_stop(x->https);
  free(x);
  return 0;
}

static void on_watchdog(uv_timer_t *t) {
  *(bool *)t->data = true;
}

struct goal {
  bool (*done)(const void *);
  const void *arg;
};

/* Before the loop would block in poll: a callback that ran since (in the
 * timers' phase, say) may have reached the goal. */
static void on_prepare(uv_prepare_t *p) {
  const struct goal *g = p->data;
  if (g->done(g->arg))
    uv_stop(p->loop);
}

/* Runs the loop until done(arg) (or fails after WAIT_MS). */
static void run_until_true(struct fx *x, bool (*done)(const void *),
                           const void *arg, const char *what) {
  bool expired = false;
  struct goal g = {done, arg};
  uv_timer_t watchdog;
  uv_prepare_t check;
  uv_timer_init(&x->loop, &watchdog);
  watchdog.data = &expired;
  uv_timer_start(&watchdog, on_watchdog, WAIT_MS, 0);
  uv_prepare_init(&x->loop, &check);
  check.data = &g;
  uv_prepare_start(&check, on_prepare);
  while (!done(arg) && !expired)
    uv_run(&x->loop, UV_RUN_ONCE);
  uv_close((uv_handle_t *)&watchdog, NULL);
  uv_close((uv_handle_t *)&check, NULL);
  uv_run(&x->loop, UV_RUN_NOWAIT); /* both handles are on this stack */
  if (!done(arg))
    fail_msg("%s: not within %d ms", what, WAIT_MS);
}

struct count_goal {
  const int *calls;
  int want;
};

static bool count_reached(const void *arg) {
  const struct count_goal *g = arg;
  return *g->calls >= g->want;
}

/* Runs the loop until *calls reaches want. */
static void run_until(struct fx *x, const int *calls, int want) {
  struct count_goal g = {calls, want};
  run_until_true(x, count_reached, &g, "callbacks");
}

static void url(char *out, size_t n, const char *scheme, uint16_t port,
                const char *path) {
  snprintf(out, n, "%s://127.0.0.1:%u%s", scheme, port, path);
}

static const struct mb_http_client_header headers[] = {
    {"Authorization", TOKEN},
    {"Content-Type", "application/json"},
};

static struct mb_http_client_request request(const char *u) {
  return (struct mb_http_client_request){
      .url = u,
      .headers = headers,
      .n_headers = 2,
      .body = "{\"hello\":1}",
      .body_len = 11,
      .connect_timeout_ms = 2000,
      .timeout_ms = 5000,
  };
}

static void post_wait(struct fx *x, const struct mb_http_client_request *req,
                      struct outcome *o) {
  assert_ok(mb_http_client_post(x->client, req, on_done, o));
  run_until(x, &o->calls, 1);
  assert_int_equal(o->calls, 1);
  /* Whatever happened, the token is in no error text. */
  assert_null(strstr(o->error, TOKEN_WORD));
}

static void test_post_reaches_server(void **state) {
  struct fx *x = *state;
  char u[128];
  struct outcome o = {0};
  url(u, sizeof(u), "http", ts_server_port(x->http), TS_PATH_OK);
  struct mb_http_client_request req = request(u);
  post_wait(x, &req, &o);
  assert_ok(o.rc);
  assert_int_equal(o.status, 200);
  assert_int_equal(o.body_len, 2);
  assert_memory_equal(o.body, "ok", 2);
  assert_false(o.truncated);
  assert_null(o.retry_after);
  assert_string_equal(o.error, "");
  struct ts_seen seen;
  ts_server_seen(x->http, &seen);
  assert_string_equal(seen.authorization, TOKEN);
  assert_string_equal(seen.content_type, "application/json");
  assert_int_equal(seen.body_len, 11);
  assert_memory_equal(seen.body, "{\"hello\":1}", 11);
  outcome_free(&o);
}

static void expect_status(struct fx *x, const char *path, int status,
                          const char *retry_after) {
  char u[128];
  struct outcome o = {0};
  url(u, sizeof(u), "http", ts_server_port(x->http), path);
  struct mb_http_client_request req = request(u);
  post_wait(x, &req, &o);
  assert_ok(o.rc);
  assert_int_equal(o.status, status);
  if (retry_after == NULL)
    assert_null(o.retry_after);
  else
    assert_string_equal(o.retry_after, retry_after);
  outcome_free(&o);
}

static void test_statuses_and_retry_after(void **state) {
  struct fx *x = *state;
  expect_status(x, TS_PATH_FAIL, 500, NULL);
  expect_status(x, TS_PATH_BUSY_SECONDS, 429, "7");
  expect_status(x, TS_PATH_BUSY_DATE, 429, TS_RETRY_AFTER_DATE);
}

static void test_tls_with_ca_file(void **state) {
  struct fx *x = *state;
  char u[128];
  struct outcome o = {0};
  url(u, sizeof(u), "https", ts_server_port(x->https), TS_PATH_BUSY_SECONDS);
  struct mb_http_client_request req = request(u);
  req.ca_file = x->ca;
  post_wait(x, &req, &o);
  assert_ok(o.rc);
  assert_int_equal(o.status, 429);
  assert_string_equal(o.retry_after, "7");
  struct ts_seen seen;
  ts_server_seen(x->https, &seen);
  assert_string_equal(seen.authorization, TOKEN);
  outcome_free(&o);
  /* The certificate names localhost too. */
  snprintf(u, sizeof(u), "https://localhost:%u%s", ts_server_port(x->https),
           TS_PATH_OK);
  post_wait(x, &req, &o);
  assert_ok(o.rc);
  assert_int_equal(o.status, 200);
  outcome_free(&o);
}

static void test_tls_without_ca_file_fails(void **state) {
  struct fx *x = *state;
  char u[128];
  struct outcome o = {0};
  url(u, sizeof(u), "https", ts_server_port(x->https), TS_PATH_OK);
  struct mb_http_client_request req = request(u);
  post_wait(x, &req, &o); /* the system's CAs do not know ours */
  assert_rc(o.rc, MB_EHTTP_TLS);
  assert_int_equal(o.status, 0);
  assert_true(o.error[0] != '\0');
  outcome_free(&o);
  struct ts_seen seen;
  ts_server_seen(x->https, &seen);
  assert_int_equal(seen.requests, 0); /* nothing was sent */
}

static void test_refused_port(void **state) {
  struct fx *x = *state;
  char u[128];
  struct outcome o = {0};
  url(u, sizeof(u), "http", ts_refusing_port(), TS_PATH_OK);
  struct mb_http_client_request req = request(u);
  post_wait(x, &req, &o);
  assert_rc(o.rc, MB_EHTTP_CONNECT);
  assert_int_equal(o.status, 0);
  assert_true(o.elapsed_ms < 2000);
  outcome_free(&o);
}

static void test_unresolvable_host(void **state) {
  struct fx *x = *state;
  struct outcome o = {0};
  struct mb_http_client_request req =
      request("http://meshbeat-test.invalid/ok");
  post_wait(x, &req, &o);
  assert_rc(o.rc, MB_EHTTP_DNS);
  outcome_free(&o);
}

/* The loop's own pulse: a 10 ms timer noting the longest gap between
 * ticks while a request hangs. */
struct pulse {
  uv_timer_t timer;
  uint64_t last_ns, max_gap_ns;
  unsigned ticks;
};

static void on_pulse(uv_timer_t *t) {
  struct pulse *p = t->data;
  uint64_t now = uv_hrtime();
  if (now - p->last_ns > p->max_gap_ns)
    p->max_gap_ns = now - p->last_ns;
  p->last_ns = now;
  p->ticks++;
}

static void expect_timeout_keeps_loop_going(struct fx *x, const char *scheme,
                                            int expected) {
  char u[128];
  struct outcome o = {0};
  struct pulse p = {.last_ns = uv_hrtime()};
  uv_timer_init(&x->loop, &p.timer);
  p.timer.data = &p;
  uv_timer_start(&p.timer, on_pulse, 10, 10);
  url(u, sizeof(u), scheme, ts_mute_port(&x->mute), TS_PATH_OK);
  struct mb_http_client_request req = request(u);
  req.ca_file = x->ca;
  req.timeout_ms = 700;
  post_wait(x, &req, &o);
  uv_close((uv_handle_t *)&p.timer, NULL);
  uv_run(&x->loop, UV_RUN_NOWAIT); /* p is on this stack: see it closed */
  print_message("%s: \"%s\" after %llu ms; the loop's longest gap %.1f ms "
                "over %u ticks\n",
                scheme, o.error, (unsigned long long)o.elapsed_ms,
                (double)p.max_gap_ns / 1e6, p.ticks);
  assert_rc(o.rc, expected);
  assert_true(o.elapsed_ms >= 690);
  assert_true(o.elapsed_ms < 2500);
  assert_true(x->mute.n_accepted >= 1); /* it did connect */
  assert_true(p.ticks >= 20);
  assert_true(p.max_gap_ns < 200u * 1000000u);
  outcome_free(&o);
}

static void test_silent_server_times_out(void **state) {
  struct fx *x = *state;
  expect_timeout_keeps_loop_going(x, "http", MB_EHTTP_TIMEOUT);
  /* Stuck in the TLS handshake: the connection never came up. */
  expect_timeout_keeps_loop_going(x, "https", MB_EHTTP_CONNECT);
}

static void test_body_capped(void **state) {
  struct fx *x = *state;
  char u[128];
  struct outcome o = {0};
  url(u, sizeof(u), "http", ts_server_port(x->http), TS_PATH_BIG);
  struct mb_http_client_request req = request(u);
  post_wait(x, &req, &o);
  assert_ok(o.rc);
  assert_int_equal(o.status, 200);
  assert_true(o.truncated);
  assert_int_equal(o.body_len, MB_HTTP_CLIENT_DEFAULT_BODY_CAP);
  outcome_free(&o);
}

static void on_done_count(void *user, const struct mb_http_client_result *r) {
  int *counts = user; /* [0] calls, [1] 200s */
  counts[0]++;
  counts[1] += r->rc == 0 && r->status == 200;
}

static void test_hundred_concurrent(void **state) {
  struct fx *x = *state;
  char plain[128], tls[128];
  int counts[2] = {0, 0};
  url(plain, sizeof(plain), "http", ts_server_port(x->http), TS_PATH_OK);
  url(tls, sizeof(tls), "https", ts_server_port(x->https), TS_PATH_OK);
  for (int i = 0; i < 100; i++) {
    struct mb_http_client_request req = request(i % 2 ? tls : plain);
    req.ca_file = x->ca;
    assert_ok(mb_http_client_post(x->client, &req, on_done_count, counts));
  }
  assert_int_equal(mb_http_client_in_flight(x->client), 100);
  run_until(x, &counts[0], 100);
  assert_int_equal(counts[0], 100);
  assert_int_equal(counts[1], 100);
  assert_int_equal(mb_http_client_in_flight(x->client), 0);
}

struct accept_goal {
  const struct ts_mute *mute;
  size_t want;
};

static bool accepted_enough(const void *arg) {
  const struct accept_goal *g = arg;
  return g->mute->n_accepted >= g->want;
}

static void wait_accepted(struct fx *x, size_t n) {
  struct accept_goal g = {&x->mute, n};
  run_until_true(x, accepted_enough, &g, "connections accepted");
}

static void test_close_cancels_in_flight(void **state) {
  struct fx *x = *state;
  char u[128];
  struct outcome o[10] = {0};
  url(u, sizeof(u), "http", ts_mute_port(&x->mute), TS_PATH_OK);
  for (int i = 0; i < 10; i++) {
    struct mb_http_client_request req = request(u);
    assert_ok(mb_http_client_post(x->client, &req, on_done, &o[i]));
  }
  wait_accepted(x, 10);
  mb_http_client_close(x->client, on_closed, &x->closed);
  x->client = NULL;
  for (int i = 0; i < 10; i++) {
    assert_int_equal(o[i].calls, 1); /* before close returned */
    assert_rc(o[i].rc, MB_EHTTP_CANCELLED);
    outcome_free(&o[i]);
  }
}

struct closer {
  struct mb_http_client **client;
  bool *closed;
  int calls;
};

static void on_done_close(void *user, const struct mb_http_client_result *r) {
  struct closer *k = user;
  k->calls++;
  assert_ok(r->rc);
  mb_http_client_close(*k->client, on_closed, k->closed);
  *k->client = NULL;
}

static void test_close_from_a_callback(void **state) {
  struct fx *x = *state;
  char ok[128], mute[128];
  struct outcome o[3] = {0};
  struct closer k = {.client = &x->client, .closed = &x->closed};
  url(ok, sizeof(ok), "http", ts_server_port(x->http), TS_PATH_OK);
  url(mute, sizeof(mute), "http", ts_mute_port(&x->mute), TS_PATH_OK);
  struct mb_http_client_request req = request(mute);
  for (int i = 0; i < 3; i++)
    assert_ok(mb_http_client_post(x->client, &req, on_done, &o[i]));
  req = request(ok);
  assert_ok(mb_http_client_post(x->client, &req, on_done_close, &k));
  run_until(x, &k.calls, 1);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(o[i].calls, 1);
    assert_rc(o[i].rc, MB_EHTTP_CANCELLED);
    outcome_free(&o[i]);
  }
}

static void test_bad_requests_refused(void **state) {
  struct fx *x = *state;
  struct outcome o = {0};
  static const char *const urls[] = {"ftp://127.0.0.1/x", "file:///etc/passwd",
                                     "http://", "not a url", NULL};
  for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
    struct mb_http_client_request req = request(urls[i]);
    assert_rc(mb_http_client_post(x->client, &req, on_done, &o), MB_EINVAL);
  }
  static const struct mb_http_client_header bad[][1] = {
      {{"X-Evil", "a\r\nInjected: yes"}},
      {{"Bad Name", "v"}},
      {{"", "v"}},
      {{"X-Null", NULL}},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    struct mb_http_client_request req = request("http://127.0.0.1:1/");
    req.headers = bad[i];
    req.n_headers = 1;
    assert_rc(mb_http_client_post(x->client, &req, on_done, &o), MB_EINVAL);
  }
  assert_int_equal(mb_http_client_in_flight(x->client), 0);
  assert_int_equal(o.calls, 0);
}

/* Should curl's error text ever carry a header's value (here: a host name
 * that is also a header value), it is starred out. */
static void test_header_values_never_in_error_text(void **state) {
  struct fx *x = *state;
  struct outcome o = {0};
  const struct mb_http_client_header secret[] = {
      {"Authorization", "Bearer meshbeat-secret.invalid"},
  };
  struct mb_http_client_request req =
      request("http://meshbeat-secret.invalid/ok");
  req.headers = secret;
  req.n_headers = 1;
  post_wait(x, &req, &o);
  assert_rc(o.rc, MB_EHTTP_DNS);
  assert_null(strstr(o.error, "meshbeat-secret"));
  assert_non_null(strstr(o.error, "*****"));
  outcome_free(&o);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s CERT_DIR (from make_certs.py)\n", argv[0]);
    return 2;
  }
  cert_dir = argv[1];
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_post_reaches_server, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_statuses_and_retry_after, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_tls_with_ca_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tls_without_ca_file_fails, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_refused_port, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unresolvable_host, setup, teardown),
      cmocka_unit_test_setup_teardown(test_silent_server_times_out, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_body_capped, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hundred_concurrent, setup, teardown),
      cmocka_unit_test_setup_teardown(test_close_cancels_in_flight, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_close_from_a_callback, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_bad_requests_refused, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_header_values_never_in_error_text,
                                      setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
