/*
 * Streams: a connection that asked a streamable command to follow gets every
 * line published under that command's name, and a heartbeat line every
 * heartbeat_ms so that a client can tell a quiet agent from a dead one (the
 * long-lived stream keep-alive of seed 004).  A published line is serialised
 * once and shared by all the writes that carry it.  The heartbeat timer runs
 * only while someone follows.
 */
#include "admin_internal.h"

#include <errno.h>
#include <string.h>

static void subscribers_changed(struct mb_admin *a, int delta) {
  a->stats.subscribers = (uint32_t)((int)a->stats.subscribers + delta);
  if (a->closing)
    return;
  if (a->stats.subscribers == 0)
    uv_timer_stop(&a->heartbeat);
  else if (delta > 0 && a->stats.subscribers == 1)
    uv_timer_start(&a->heartbeat, admin_heartbeat_cb, a->heartbeat_ms,
                   a->heartbeat_ms);
}

void admin_subscribe(struct admin_conn *c, size_t cmd_index) {
  bool was = c->subs != 0;
  c->subs |= UINT64_C(1) << cmd_index;
  admin_idle_forget(c); /* a follower waits by design */
  if (!was)
    subscribers_changed(c->srv, +1);
}

void admin_unsubscribe_all(struct admin_conn *c) {
  if (c->subs == 0)
    return;
  c->subs = 0;
  subscribers_changed(c->srv, -1);
}

/* Queues line to every open connection whose subscriptions match mask. */
static int fan_out(struct mb_admin *a, struct admin_line *line, uint64_t mask) {
  int sent = 0;
  for (struct admin_conn *c = a->conns; c != NULL; c = c->next) {
    if (c->state != ADMIN_CONN_OPEN || (c->subs & mask) == 0)
      continue;
    a->stats.stream_lines++;
    if (admin_conn_write(c, line) == 0)
      sent++;
  }
  return sent;
}

static int stream_index(const struct mb_admin *a, const char *stream) {
  for (size_t i = 0; i < a->n_commands; i++)
    if (a->commands[i].streamable && strcmp(a->commands[i].cmd, stream) == 0)
      return (int)i;
  return -1;
}

int mb_admin_publish(struct mb_admin *a, const char *stream, json_t *data) {
  int idx = stream_index(a, stream);
  if (idx < 0 || a->closing) {
    json_decref(data);
    return idx < 0 ? MB_EINVAL : 0;
  }
  json_t *msg = json_object();
  json_object_set_new(msg, "stream", json_string(stream));
  json_object_set_new(msg, "data", data ? data : json_null());
  struct admin_line *line = admin_line_from_json(msg);
  json_decref(msg);
  if (line == NULL)
    return -ENOMEM;
  int sent = fan_out(a, line, UINT64_C(1) << idx);
  admin_line_unref(line);
  return sent;
}

void admin_heartbeat_cb(uv_timer_t *t) {
  struct mb_admin *a = t->data;
  uv_timeval64_t tv;
  char when[MB_TIME_LEN];
  if (uv_gettimeofday(&tv) != 0 ||
      mb_time_format(when, sizeof(when),
                     tv.tv_sec * 1000 + tv.tv_usec / 1000) != 0)
    return;
  json_t *msg = json_pack("{s:s, s:s}", "stream", "heartbeat", "time", when);
  struct admin_line *line = admin_line_from_json(msg);
  json_decref(msg);
  if (line == NULL)
    return;
  fan_out(a, line, UINT64_MAX);
  admin_line_unref(line);
}
