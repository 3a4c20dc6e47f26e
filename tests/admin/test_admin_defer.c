/* unit_admin: deferred answers (mb_admin_defer, mb_admin_answer). */
#include "admin_fixture.h"
#include "admin_tests.h"

#include <errno.h>
#include <sys/socket.h>

static json_t *answer_text(const char *text) {
  return json_string(text);
}

/* The answer comes when the test gives it, with the request's id; a
 * request sent after it is answered first; a token answers once. */
void test_defer_answer_later(void **state) {
  (void)state;
  struct fx f;
  struct fx_client c;
  fx_init(&f);
  fx_start(&f);
  fx_connect(&f, &c);
  fx_send(&c, "{\"cmd\":\"later\",\"id\":7}\n");
  json_t *r = fx_call(&f, &c, "{\"cmd\":\"echo\",\"id\":8,\"arg\":1}\n");
  assert_int_equal(json_integer_value(json_object_get(r, "id")), 8);
  json_decref(r);
  assert_int_equal(f.n_tokens, 1);
  assert_ok(mb_admin_answer(f.srv, f.tokens[0], answer_text("done"), NULL));
  r = fx_line(&f, &c);
  assert_int_equal(json_integer_value(json_object_get(r, "id")), 7);
  assert_string_equal(json_string_value(fx_assert_ok(r)), "done");
  json_decref(r);
  assert_rc(mb_admin_answer(f.srv, f.tokens[0], answer_text("again"), NULL),
            -ENOENT);
  fx_send(&c, "{\"cmd\":\"later\",\"id\":9}\n");
  fx_pump_for(&f, 50);
  struct mb_admin_error err;
  mb_admin_error_set(&err, -ETIMEDOUT, "timeout", "no answer in time");
  assert_ok(mb_admin_answer(f.srv, f.tokens[1], NULL, &err));
  r = fx_line(&f, &c);
  fx_assert_error(r, "timeout");
  json_decref(r);
  fx_disconnect(&c);
  fx_fini(&f);
}

/* An EOF waits for the pending answer; the idle timeout spares a
 * connection that waits for us. */
void test_defer_eof_and_idle(void **state) {
  (void)state;
  struct fx f;
  struct fx_client c;
  fx_init(&f);
  f.opt.idle_timeout_ms = 100;
  fx_start(&f);
  fx_connect(&f, &c);
  fx_send(&c, "{\"cmd\":\"later\",\"id\":1}\n");
  assert_int_equal(shutdown(c.fd, SHUT_WR), 0);
  fx_pump_for(&f, 300); /* three idle timeouts */
  assert_int_equal(f.n_tokens, 1);
  assert_ok(mb_admin_answer(f.srv, f.tokens[0], answer_text("late"), NULL));
  json_t *r = fx_line(&f, &c);
  assert_string_equal(json_string_value(fx_assert_ok(r)), "late");
  json_decref(r);
  fx_await_eof(&f, &c);
  fx_disconnect(&c);
  fx_fini(&f);
}

static bool no_clients(const struct mb_admin_stats *st) {
  return st->clients == 0;
}

/* A client gone before its answer (its EOF cannot be told from a
 * half-close, so the connection waits for the answer): the answer finds
 * it gone, the connection is let go, the server serves on. */
void test_defer_client_gone(void **state) {
  (void)state;
  struct fx f;
  struct fx_client c, d;
  fx_init(&f);
  fx_start(&f);
  fx_connect(&f, &c);
  fx_send(&c, "{\"cmd\":\"later\",\"id\":1}\n");
  fx_pump_for(&f, 50);
  assert_int_equal(f.n_tokens, 1);
  fx_disconnect(&c);
  fx_pump_for(&f, 50);
  assert_ok(mb_admin_answer(f.srv, f.tokens[0], answer_text("x"), NULL));
  fx_await_stats(&f, no_clients);
  fx_connect(&f, &d);
  json_t *r = fx_call(&f, &d, "{\"cmd\":\"echo\",\"arg\":2}\n");
  assert_int_equal(json_integer_value(fx_assert_ok(r)), 2);
  json_decref(r);
  fx_disconnect(&d);
  fx_fini(&f);
}
