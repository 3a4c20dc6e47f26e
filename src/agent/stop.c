/*
 * The stop sequence, whoever asks for it (a signal, the admin `leave`, our
 * revocation, our certificate's expiry, a damaged store): the gossip core
 * leaves and its leave goes out at once; it is ticked no more, nor is the
 * RAID coordinator, whose tasks are cancelled; the socket stays open
 * LEAVE_LINGER_MS so the leave is relayed and late questions are answered; then
 * the servers close and every handle with them, which ends the loop.  What is
 * left (the last commit and sync, freeing) is the runner's, after the loop
 * (agent.c).
 */
#include "bridge_state.h"
#include "raid_state.h"

/* Long enough for the leave datagrams to go out and be relayed once. */
#define LEAVE_LINGER_MS 300

static void close_handle(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

void agent_close_handles(struct agent *a) {
  uv_walk(&a->loop, close_handle, NULL);
}

static void on_admin_closed(void *arg) {
  struct agent *a = arg;
  a->admin = NULL;
  agent_close_handles(a);
}

static void close_admin(struct agent *a) {
  if (a->admin != NULL)
    mb_admin_close(a->admin, on_admin_closed, a);
  else
    on_admin_closed(a);
}

/* The listeners close before the handles are walked: each has requests
 * of its own to end first; the executor's hooks must have exited (they
 * got SIGTERM at the leave, SIGKILL after its grace). */
static void finish_stop(uv_timer_t *t) {
  struct agent *a = t->data;
  agent_bridge_close(a);
  mb_http_close(a->http, NULL, NULL);
  a->http = NULL;
  agent_raid_close(a, close_admin);
}

void agent_stop_init(struct agent *a) {
  uv_timer_init(&a->loop, &a->stop_timer);
  a->stop_timer.data = a;
}

void agent_begin_stop(struct agent *a, const char *why) {
  if (a->stopping)
    return;
  a->stopping = true;
  agent_notify("STOPPING=1");
  agent_log(a->log, MB_LOG_INFO, NULL, "leaving the mesh (%s)", why);
  swim_leave(a->swim, agent_now(a));
  agent_flush(a);
  /* Leaving: the core is quiet, no more ticks; what it still has to say
   * (answers while the socket lingers) is flushed as it comes. */
  agent_pump_remove(&a->pump, &a->gossip);
  agent_raid_stop(a); /* its tasks cancelled, its requests answered */
  uv_timer_stop(&a->payload_timer);
  agent_seeds_stop(a);
  uv_timer_start(&a->stop_timer, finish_stop, LEAVE_LINGER_MS, 0);
}
