/*
 * Idle connections.  Each admitted connection holds one of max_clients
 * slots, so one that never completes a request (connected and silent, or
 * half a line and then nothing: a slow-loris, a hung script) would hold it
 * for ever.  After idle_timeout_ms without a complete line it is told so and
 * closed.  A connection following a stream is exempt: it waits by design,
 * and the heartbeats (stream.c) find out whether its reader is still there.
 * A closing connection gets the same time to flush its last answer, then is
 * cut, so a client that never reads cannot keep even a closing one open.
 *
 * One timer serves every connection.  Each deadline is "now + the same
 * timeout", so a new one is never earlier than one already set: the timer
 * needs arming only when it is stopped, and when it fires it handles what is
 * due and re-arms for the earliest deadline left.
 */
#include "admin_internal.h"

#include <stdio.h>

void admin_idle_restart(struct admin_conn *c) {
  struct mb_admin *a = c->srv;
  if (a->closing)
    return;
  c->idle_due = uv_now(a->loop) + a->idle_timeout_ms;
  if (!uv_is_active((uv_handle_t *)&a->idle))
    uv_timer_start(&a->idle, admin_idle_cb, a->idle_timeout_ms, 0);
}

void admin_idle_forget(struct admin_conn *c) {
  c->idle_due = 0;
}

static void expire(struct admin_conn *c) {
  if (c->state != ADMIN_CONN_OPEN) {
    admin_conn_close(c); /* it had its time to flush */
    return;
  }
  char msg[96];
  snprintf(msg, sizeof(msg), "no complete request within %u ms; closing",
           (unsigned)c->srv->idle_timeout_ms);
  admin_send_error(c, NULL, MB_ADMIN_ERR_IDLE, "idle_timeout", msg);
  admin_conn_finish(c); /* sets the deadline for the flush */
}

void admin_idle_cb(uv_timer_t *t) {
  struct mb_admin *a = t->data;
  uint64_t now = uv_now(a->loop), next = 0;
  for (struct admin_conn *c = a->conns; c != NULL; c = c->next) {
    if (c->state == ADMIN_CONN_CLOSING || c->idle_due == 0)
      continue;
    if (c->idle_due <= now) {
      c->idle_due = 0;
      expire(c);
    }
    if (c->state != ADMIN_CONN_CLOSING && c->idle_due != 0 &&
        (next == 0 || c->idle_due < next))
      next = c->idle_due;
  }
  if (next != 0 && !a->closing)
    uv_timer_start(t, admin_idle_cb, next - now, 0);
}
