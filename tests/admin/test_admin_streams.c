/* unit_admin: streams — publish fan-out, heartbeats, slow subscribers. */
#include "admin_fixture.h"
#include "admin_tests.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/time.h>

/* The next line that is not a heartbeat. */
static json_t *next_non_heartbeat(struct fx *f, struct fx_client *c) {
  for (;;) {
    json_t *j = fx_line(f, c);
    const char *s = json_string_value(json_object_get(j, "stream"));
    if (s == NULL || strcmp(s, "heartbeat") != 0)
      return j;
    json_decref(j);
  }
}

static json_t *follow_events(struct fx *f, struct fx_client *c) {
  json_t *r = fx_call(f, c, "{\"cmd\":\"events\",\"id\":1,\"follow\":true}\n");
  assert_true(json_is_array(fx_assert_ok(r)));
  json_t *fl = json_object_get(r, "follow");
  assert_string_equal(json_string_value(json_object_get(fl, "stream")),
                      "events");
  assert_int_equal(json_integer_value(json_object_get(fl, "heartbeat_ms")),
                   f->opt.heartbeat_ms);
  return r;
}

static bool no_subscribers(const struct mb_admin_stats *st) {
  return st->subscribers == 0;
}

void test_stream_publish(void **state) {
  (void)state;
  struct fx f;
  struct fx_client sub, plain;
  fx_init(&f);
  fx_start(&f);
  fx_connect(&f, &sub);
  fx_connect(&f, &plain);
  json_decref(follow_events(&f, &sub));
  json_decref(follow_events(&f, &sub)); /* twice is still one subscriber */
  struct mb_admin_stats st;
  mb_admin_get_stats(f.srv, &st);
  assert_int_equal(st.subscribers, 1);
  for (int i = 0; i < 3; i++)
    assert_int_equal(
        mb_admin_publish(f.srv, "events", json_pack("{s:i}", "seq", i)), 1);
  assert_rc(mb_admin_publish(f.srv, "echo", json_object()), MB_EINVAL);
  assert_rc(mb_admin_publish(f.srv, "nope", json_object()), MB_EINVAL);
  for (int i = 0; i < 3; i++) {
    json_t *j = next_non_heartbeat(&f, &sub);
    assert_string_equal(json_string_value(json_object_get(j, "stream")),
                        "events");
    json_t *seq = json_object_get(json_object_get(j, "data"), "seq");
    assert_int_equal(json_integer_value(seq), i);
    json_decref(j);
  }
  /* A follower still gets answers; a non-follower got no stream line. */
  fx_send(&sub, "{\"cmd\":\"echo\",\"arg\":9}\n");
  json_t *r = next_non_heartbeat(&f, &sub);
  assert_int_equal(json_integer_value(fx_assert_ok(r)), 9);
  json_decref(r);
  r = fx_call(&f, &plain, "{\"cmd\":\"echo\",\"arg\":8}\n");
  assert_int_equal(json_integer_value(fx_assert_ok(r)), 8);
  json_decref(r);
  fx_disconnect(&sub);
  fx_await_stats(&f, no_subscribers);
  assert_int_equal(mb_admin_publish(f.srv, "events", json_object()), 0);
  fx_disconnect(&plain);
  fx_fini(&f);
}

void test_stream_heartbeat(void **state) {
  (void)state;
  struct fx f;
  struct fx_client sub;
  fx_init(&f);
  fx_start(&f);
  fx_connect(&f, &sub);
  json_decref(follow_events(&f, &sub));
  struct timeval now;
  gettimeofday(&now, NULL);
  for (int i = 0; i < 3; i++) {
    json_t *j = fx_line(&f, &sub);
    assert_string_equal(json_string_value(json_object_get(j, "stream")),
                        "heartbeat");
    int64_t ms;
    assert_ok(
        mb_time_parse(json_string_value(json_object_get(j, "time")), &ms));
    int64_t skew = ms / 1000 - (int64_t)now.tv_sec;
    assert_true(skew >= -60 && skew <= 60);
    json_decref(j);
  }
  fx_disconnect(&sub);
  fx_fini(&f);
}

static bool dropped_one(const struct mb_admin_stats *st) {
  return st->dropped == 1;
}

/* Reads every whole line available now; returns how many carried data. */
static int drain(struct fx_client *c) {
  int data = 0;
  for (;;) {
    ssize_t k =
        recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
    if (k > 0)
      c->len += (size_t)k;
    char *nl;
    while ((nl = memchr(c->buf, '\n', c->len)) != NULL) {
      size_t n = (size_t)(nl - c->buf) + 1;
      data += memmem(c->buf, n, "\"data\"", 6) != NULL;
      memmove(c->buf, c->buf + n, c->len - n);
      c->len -= n;
    }
    if (k <= 0)
      return data;
  }
}

/* A subscriber that never reads is dropped once its queue passes the bound;
 * the publisher never blocks and the others keep being served. */
void test_stream_stalled(void **state) {
  (void)state;
  struct fx f;
  struct fx_client stalled, reader, late;
  fx_init(&f);
  f.opt.max_queue = 64 * 1024;
  fx_start(&f);
  fx_connect(&f, &stalled);
  fx_connect(&f, &reader);
  json_decref(follow_events(&f, &stalled));
  json_decref(follow_events(&f, &reader));
  char blob[4096];
  memset(blob, 'b', sizeof(blob) - 1);
  blob[sizeof(blob) - 1] = '\0';
  int published = 0, got = 0;
  struct mb_admin_stats st;
  do {
    mb_admin_publish(f.srv, "events", json_pack("{s:s}", "blob", blob));
    published++;
    fx_pump(&f, -1, 0);
    got += drain(&reader);
    mb_admin_get_stats(f.srv, &st);
  } while (st.dropped == 0 && published < 5000);
  fx_await_stats(&f, dropped_one);
  mb_admin_get_stats(f.srv, &st);
  assert_int_equal(st.subscribers, 1);
  /* The reader got everything; its queue never passed the bound. */
  while (got < published)
    fx_pump(&f, reader.fd, 50), got += drain(&reader);
  assert_int_equal(mb_admin_publish(f.srv, "events", json_object()), 1);
  fx_connect(&f, &late);
  json_t *r = fx_call(&f, &late, "{\"cmd\":\"echo\",\"arg\":1}\n");
  fx_assert_ok(r);
  json_decref(r);
  fx_await_eof(&f, &stalled);
  fx_disconnect(&stalled);
  fx_disconnect(&reader);
  fx_disconnect(&late);
  fx_fini(&f);
}

static bool dropped_none_subscribed(const struct mb_admin_stats *st) {
  return st->dropped == 1 && st->subscribers == 0 && st->clients == 0;
}

/* A subscriber that hung up before the server noticed: the write fails
 * (EPIPE, not a signal), and it is dropped and counted. */
void test_stream_write_failure(void **state) {
  (void)state;
  struct fx f;
  struct fx_client sub;
  fx_init(&f);
  fx_start(&f);
  fx_connect(&f, &sub);
  json_decref(follow_events(&f, &sub));
  fx_disconnect(&sub);
  assert_int_equal(mb_admin_publish(f.srv, "events", json_object()), 1);
  fx_await_stats(&f, dropped_none_subscribed);
  fx_fini(&f);
}
