/*
 * unit_admin: the admin socket layer over real Unix sockets and a real libuv
 * loop (admin_fixture.h), plus its formatting helpers.  This file holds the
 * request/response protocol; test_admin_streams.c the streams,
 * test_admin_socket.c the socket file, credentials and blocking client,
 * test_admin_format.c the RFC 3339 and Prometheus helpers.
 */
#include "admin_fixture.h"
#include "admin_tests.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static void round_trip(void **state) {
  (void)state;
  struct fx f;
  struct fx_client c;
  fx_init(&f);
  fx_start(&f);
  fx_connect(&f, &c);
  json_t *r = fx_call(&f, &c, "{\"cmd\":\"echo\",\"id\":7,\"arg\":\"x\"}\n");
  assert_string_equal(json_string_value(fx_assert_ok(r)), "x");
  assert_int_equal(json_integer_value(json_object_get(r, "id")), 7);
  json_decref(r);
  /* Any id comes back as it was; none comes back as null. */
  r = fx_call(&f, &c, "{\"id\":{\"a\":[1,2]},\"cmd\":\"echo\",\"arg\":{}}\n");
  fx_assert_ok(r);
  json_t *want = json_pack("{s:[i,i]}", "a", 1, 2);
  assert_true(json_equal(json_object_get(r, "id"), want));
  json_decref(want);
  json_decref(r);
  r = fx_call(&f, &c, "\n  \r\n{\"cmd\":\"echo\"}\r\n"); /* blanks ignored */
  assert_true(json_is_null(fx_assert_ok(r)));
  assert_true(json_is_null(json_object_get(r, "id")));
  json_decref(r);
  /* Two requests in one write get two answers, in order. */
  fx_send(&c, "{\"cmd\":\"echo\",\"arg\":1}\n{\"cmd\":\"echo\",\"arg\":2}\n");
  for (int i = 1; i <= 2; i++) {
    r = fx_line(&f, &c);
    assert_int_equal(json_integer_value(fx_assert_ok(r)), i);
    json_decref(r);
  }
  struct mb_admin_stats st;
  mb_admin_get_stats(f.srv, &st);
  assert_int_equal(st.requests, 5);
  assert_int_equal(st.clients, 1);
  assert_int_equal(st.connections, 1);
  fx_disconnect(&c);
  fx_fini(&f);
}

/* Each bad request gets its own error code; the connection stays usable. */
static void bad_requests(void **state) {
  (void)state;
  static const struct {
    const char *line, *code;
  } cases[] = {
      {"{\"cmd\":\"echo\"", "parse_error"},
      {"not json at all", "parse_error"},
      {"{\"cmd\":\"echo\",\"cmd\":\"fail\"}", "parse_error"},
      {"[1,2]", "invalid_request"},
      {"\"echo\"", "invalid_request"},
      {"{\"id\":1}", "invalid_request"},
      {"{\"cmd\":5}", "invalid_request"},
      {"{\"cmd\":\"echo\",\"follow\":\"yes\"}", "invalid_request"},
      {"{\"cmd\":\"echo\",\"follow\":true}", "invalid_request"},
      {"{\"cmd\":\"nope\"}", "unknown_command"},
      {"{\"cmd\":\"fail\",\"arg\":\"nas9\"}", "not_found"},
      {"{\"cmd\":\"boom\"}", "internal"},
  };
  struct fx f;
  struct fx_client c;
  fx_init(&f);
  fx_start(&f);
  fx_connect(&f, &c);
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char line[256];
    snprintf(line, sizeof(line), "%s\n", cases[i].line);
    json_t *r = fx_call(&f, &c, line);
    fx_assert_error(r, cases[i].code);
    json_decref(r);
    r = fx_call(&f, &c, "{\"cmd\":\"echo\",\"arg\":true}\n");
    assert_true(json_is_true(fx_assert_ok(r)));
    json_decref(r);
  }
  json_t *r =
      fx_call(&f, &c, "{\"cmd\":\"fail\",\"id\":\"q\",\"arg\":\"x\"}\n");
  json_t *err = json_object_get(r, "error");
  assert_string_equal(json_string_value(json_object_get(err, "message")),
                      "no member matches x");
  assert_string_equal(json_string_value(json_object_get(r, "id")), "q");
  json_decref(r);
  struct mb_admin_stats st;
  mb_admin_get_stats(f.srv, &st);
  assert_int_equal(st.errors[MB_ADMIN_ERR_PARSE], 3);
  assert_int_equal(st.errors[MB_ADMIN_ERR_INVALID], 6);
  assert_int_equal(st.errors[MB_ADMIN_ERR_UNKNOWN], 1);
  assert_int_equal(st.errors[MB_ADMIN_ERR_HANDLER], 3);
  fx_disconnect(&c);
  fx_fini(&f);
}

/* An oversized line closes that connection only, with or without its
 * newline having arrived. */
static void oversized_line(void **state) {
  (void)state;
  struct fx f;
  struct fx_client big, other;
  fx_init(&f);
  fx_start(&f);
  fx_connect(&f, &other);
  char line[3000];
  memset(line, 'x', sizeof(line) - 1);
  line[sizeof(line) - 1] = '\0';
  for (int with_newline = 0; with_newline <= 1; with_newline++) {
    fx_connect(&f, &big);
    fx_send(&big, "{\"cmd\":\"echo\",\"arg\":\"");
    fx_send(&big, line);
    if (with_newline)
      fx_send(&big, "\"}\n");
    json_t *r = fx_line(&f, &big);
    fx_assert_error(r, "line_too_long");
    json_decref(r);
    fx_await_eof(&f, &big);
    fx_disconnect(&big);
    r = fx_call(&f, &other, "{\"cmd\":\"echo\",\"arg\":3}\n");
    assert_int_equal(json_integer_value(fx_assert_ok(r)), 3);
    json_decref(r);
  }
  /* Exactly max_line bytes is still a request. */
  char exact[1024 + 2];
  memset(exact, ' ', 1024);
  memcpy(exact, "{\"cmd\":\"echo\"}", 14);
  exact[1024] = '\n';
  exact[1025] = '\0';
  json_t *r = fx_call(&f, &other, exact);
  fx_assert_ok(r);
  json_decref(r);
  struct mb_admin_stats st;
  mb_admin_get_stats(f.srv, &st);
  assert_int_equal(st.errors[MB_ADMIN_ERR_TOO_LONG], 2);
  fx_disconnect(&other);
  fx_fini(&f);
}

#define N_MANY 40

/* Many clients at once, requests interleaved across them. */
static void many_clients(void **state) {
  (void)state;
  struct fx f;
  static struct fx_client c[N_MANY];
  fx_init(&f);
  fx_start(&f);
  for (int i = 0; i < N_MANY; i++)
    fx_connect(&f, &c[i]);
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < N_MANY; i++) {
      char line[96];
      snprintf(line, sizeof(line), "{\"cmd\":\"echo\",\"id\":%d,\"arg\":%d}\n",
               i, round);
      fx_send(&c[i], line);
    }
    for (int i = N_MANY - 1; i >= 0; i--) {
      json_t *r = fx_line(&f, &c[i]);
      assert_int_equal(json_integer_value(fx_assert_ok(r)), round);
      assert_int_equal(json_integer_value(json_object_get(r, "id")), i);
      json_decref(r);
    }
  }
  struct mb_admin_stats st;
  mb_admin_get_stats(f.srv, &st);
  assert_int_equal(st.clients, N_MANY);
  assert_int_equal(st.requests, 3 * N_MANY);
  for (int i = 0; i < N_MANY; i++)
    fx_disconnect(&c[i]);
  fx_fini(&f);
}

static bool two_rejected(const struct mb_admin_stats *st) {
  return st->rejected == 2;
}

static bool two_clients(const struct mb_admin_stats *st) {
  return st->clients == 2;
}

/* Beyond max_clients (and the one slot kept for our own uid, which this
 * test runs as) a connection is told why and closed. */
static void client_limit(void **state) {
  (void)state;
  struct fx f;
  struct fx_client a, b, reserve, extra;
  fx_init(&f);
  f.opt.max_clients = 2;
  fx_start(&f);
  fx_connect(&f, &a);
  fx_connect(&f, &b);
  fx_connect(&f, &reserve);
  json_t *r = fx_call(&f, &reserve, "{\"cmd\":\"echo\"}\n"); /* all in */
  json_decref(r);
  for (int i = 0; i < 2; i++) {
    fx_connect(&f, &extra);
    r = fx_line(&f, &extra);
    fx_assert_error(r, "too_many_clients");
    json_decref(r);
    fx_await_eof(&f, &extra);
    fx_disconnect(&extra);
  }
  fx_await_stats(&f, two_rejected);
  fx_disconnect(&a); /* a slot frees up */
  fx_await_stats(&f, two_clients);
  fx_connect(&f, &extra);
  r = fx_call(&f, &extra, "{\"cmd\":\"echo\",\"arg\":1}\n");
  fx_assert_ok(r);
  json_decref(r);
  fx_disconnect(&extra);
  fx_disconnect(&b);
  fx_disconnect(&reserve);
  fx_fini(&f);
}

/* A request that ends with EOF instead of a newline is still answered. */
static void eof_without_newline(void **state) {
  (void)state;
  struct fx f;
  struct fx_client c;
  fx_init(&f);
  fx_start(&f);
  fx_connect(&f, &c);
  fx_send(&c, "{\"cmd\":\"echo\",\"arg\":5}");
  shutdown(c.fd, SHUT_WR);
  json_t *r = fx_line(&f, &c);
  assert_int_equal(json_integer_value(fx_assert_ok(r)), 5);
  json_decref(r);
  fx_await_eof(&f, &c);
  fx_disconnect(&c);
  fx_fini(&f);
}

/* A handler may close the server; clients see EOF, nothing leaks. */
static void close_from_handler(void **state) {
  (void)state;
  struct fx f;
  struct fx_client a, b;
  fx_init(&f);
  fx_start(&f);
  fx_connect(&f, &a);
  fx_connect(&f, &b);
  json_t *r = fx_call(&f, &b, "{\"cmd\":\"events\",\"follow\":true}\n");
  json_decref(r);
  fx_send(&a, "{\"cmd\":\"quit\"}\n");
  fx_await_eof(&f, &a);
  fx_await_eof(&f, &b);
  assert_true(f.closed);
  assert_int_equal(access(f.path, F_OK), -1); /* socket file removed */
  fx_disconnect(&a);
  fx_disconnect(&b);
  fx_fini(&f);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN); /* as mb_admin.h asks of a server's process */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(round_trip),
      cmocka_unit_test(bad_requests),
      cmocka_unit_test(oversized_line),
      cmocka_unit_test(many_clients),
      cmocka_unit_test(client_limit),
      cmocka_unit_test(eof_without_newline),
      cmocka_unit_test(close_from_handler),
      ADMIN_STREAM_TESTS,
      ADMIN_SOCKET_TESTS,
      ADMIN_SLOT_TESTS,
      ADMIN_FORMAT_TESTS,
      ADMIN_DEFER_TESTS,
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
