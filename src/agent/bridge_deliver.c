/*
 * One destination's deliveries: only the active bridge sends, one request
 * in flight per destination, always the oldest pending entry (order per
 * destination is the outbox's).  An answer decides (mb_delivery_classify):
 * 2xx removes the entry; a failure or 408/429/5xx schedules the next
 * attempt (the server's Retry-After, else full-jitter backoff) in the
 * entry itself, so a restart keeps the pace; any other 4xx parks the
 * entry, with a log line and a metric, instead of retrying forever.
 */
#include "bridge_state.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* A request on its way: what its answer needs to know. */
struct delivery {
  struct agent_dest_state *d;
  uint64_t seq;
  uint32_t attempts;
  char id[MB_STORE_DELIVERY_ID_MAX + 1];
};

/* The head of line, copied out of the store's read transaction. */
struct head {
  bool found;
  struct mb_store_outbox_entry e;
  uint8_t *body;
};

static int copy_head(const struct mb_store_outbox_entry *e, void *ctx) {
  struct head *h = ctx;
  h->e = *e;
  h->body = e->body_len ? malloc(e->body_len) : NULL;
  if (e->body_len && h->body == NULL)
    return -ENOMEM;
  if (e->body_len)
    memcpy(h->body, e->body, e->body_len);
  h->e.body = h->body;
  h->found = true;
  return 1;
}

static bool sending(struct agent_bridge *b, const struct agent_dest_state *d) {
  return d->url[0] && b->http != NULL && !b->closing && b->election.have &&
         b->election.self_active && !b->a->store_damaged;
}

uint64_t agent_bridge_deliver_due(struct agent_bridge *b,
                                  const struct agent_dest_state *d) {
  if (!sending(b, d) || d->in_flight)
    return AGENT_PUMP_NEVER;
  uint64_t now = agent_bridge_now(b);
  if (!d->head_known)
    return now;
  if (d->next_attempt_ms == INT64_MAX) /* nothing pending */
    return b->a->store_ok ? AGENT_PUMP_NEVER : now + 1000;
  int64_t wait = d->next_attempt_ms - agent_wall_ms();
  return wait <= 0 ? now : now + (uint64_t)wait;
}

static void finish(struct agent_bridge *b, struct agent_dest_state *d) {
  d->in_flight = false;
  d->head_known = false;
  agent_commit(b->a);
  agent_pump_flush(&b->a->pump, &b->core);
}

static void done_ok(struct agent_bridge *b, struct delivery *q,
                    const struct mb_http_client_result *r) {
  struct agent_dest_state *d = q->d;
  mb_store_outbox_delete(b->a->store, d->name, q->seq);
  d->results[AGENT_RESULT_OK]++;
  if (d->last_error_ms > d->last_success_ms)
    agent_log(b->a->log, MB_LOG_INFO, json_pack("{s:s}", "destination", d->url),
              "bridge: %s delivers again (HTTP %d)", d->name, r->status);
  d->last_success_ms = agent_wall_ms();
  agent_log(b->a->log, MB_LOG_DEBUG, NULL, "bridge: %s %s delivered (HTTP %d)",
            d->name, q->id, r->status);
  if (d->which == AGENT_DEST_WEBHOOK)
    agent_bridge_delivered(b, q->id);
  if (d->which == AGENT_DEST_VIEW)
    agent_bridge_take_instructions(b, r->body, r->body_len);
}

static void note_error(struct agent_dest_state *d,
                       const struct mb_http_client_result *r) {
  if (r->rc < 0)
    snprintf(d->last_error, sizeof(d->last_error), "%s", r->error);
  else
    snprintf(d->last_error, sizeof(d->last_error), "HTTP %d", r->status);
  d->last_error_ms = agent_wall_ms();
}

static void done_retry(struct agent_bridge *b, struct delivery *q,
                       const struct mb_http_client_result *r) {
  struct agent_dest_state *d = q->d;
  bool streak = d->last_error_ms > d->last_success_ms;
  note_error(d, r);
  uint64_t ra = 0;
  bool have_ra = r->retry_after != NULL &&
                 mb_retry_after_parse(r->retry_after, strlen(r->retry_after),
                                      agent_wall_ms(),
                                      b->retry.max_retry_after_ms, &ra) == 0;
  uint64_t delay = mb_retry_delay(&b->retry, q->attempts, &b->rng, have_ra, ra);
  mb_store_outbox_attempted(b->a->store, d->name, q->seq,
                            agent_wall_ms() + (int64_t)delay);
  d->results[AGENT_RESULT_RETRY]++;
  agent_log(b->a->log, streak ? MB_LOG_DEBUG : MB_LOG_WARN,
            json_pack("{s:s, s:s, s:I}", "destination", d->url, "id", q->id,
                      "retry_in_ms", (json_int_t)delay),
            "bridge: %s failed (%s); trying again in %.1f s%s", d->name,
            d->last_error, (double)delay / 1000.0,
            have_ra ? " as the server asked" : "");
}

static void done_park(struct agent_bridge *b, struct delivery *q,
                      const struct mb_http_client_result *r) {
  struct agent_dest_state *d = q->d;
  note_error(d, r);
  char reason[MB_STORE_PARK_REASON_MAX + 1];
  snprintf(reason, sizeof(reason), "HTTP %d: retrying cannot help", r->status);
  mb_store_outbox_park(b->a->store, d->name, q->seq, reason);
  d->results[AGENT_RESULT_PARKED]++;
  agent_log(b->a->log, MB_LOG_ERROR,
            json_pack("{s:s, s:s, s:i}", "destination", d->url, "id", q->id,
                      "status", r->status),
            "bridge: %s %s parked: the endpoint answered HTTP %d, which "
            "retrying cannot change; see `meshbeat bridge`",
            d->name, q->id, r->status);
}

static void on_done(void *user, const struct mb_http_client_result *r) {
  struct delivery *q = user;
  struct agent_dest_state *d = q->d;
  struct agent_bridge *b = d->b;
  if (r->rc == MB_EHTTP_CANCELLED || b->closing) {
    d->in_flight = false; /* stays pending, as it was */
    free(q);
    return;
  }
  enum mb_delivery_verdict v =
      r->rc < 0 ? MB_DELIVERY_RETRY : mb_delivery_classify(r->status);
  if (v == MB_DELIVERY_DONE)
    done_ok(b, q, r);
  else if (v == MB_DELIVERY_RETRY)
    done_retry(b, q, r);
  else
    done_park(b, q, r);
  free(q);
  finish(b, d);
}

static void post(struct agent_bridge *b, struct agent_dest_state *d,
                 const struct mb_store_outbox_entry *e) {
  struct mb_http_client_header h[AGENT_MAX_HEADERS];
  struct agent_request_scratch scratch;
  int n = agent_bridge_headers(b, d, e, h, &scratch);
  struct delivery *q = calloc(1, sizeof(*q));
  if (n < 0 || q == NULL) {
    free(q);
    if (n == -ENOENT) { /* a device that is gone, or without a token */
      mb_store_outbox_delete(b->a->store, d->name, e->seq);
      d->results[AGENT_RESULT_DROPPED]++;
      finish(b, d);
    } else {
      d->next_attempt_ms = agent_wall_ms() + 1000; /* not in a busy loop */
    }
    return;
  }
  *q = (struct delivery){.d = d, .seq = e->seq, .attempts = e->attempts};
  snprintf(q->id, sizeof(q->id), "%s", e->id);
  const struct mb_agent_bridge_config *c = &b->a->cfg->bridge;
  struct mb_http_client_request req = {
      .url = d->url,
      .headers = h,
      .n_headers = (size_t)n,
      .body = e->body,
      .body_len = e->body_len,
      .connect_timeout_ms = c->connect_timeout_ms,
      .timeout_ms = c->timeout_ms,
      .ca_file = c->ca_file[0] ? c->ca_file : NULL};
  int rc = mb_http_client_post(b->http, &req, on_done, q);
  sodium_memzero(&scratch, sizeof(scratch));
  if (rc != 0) {
    free(q);
    agent_log(b->a->log, MB_LOG_ERROR, NULL, "bridge: %s: cannot post: %s",
              d->name, mb_strerror(rc));
    d->next_attempt_ms = agent_wall_ms() + 1000;
    return;
  }
  d->in_flight = true;
  d->in_flight_seq = e->seq;
}

void agent_bridge_deliver(struct agent_bridge *b, struct agent_dest_state *d) {
  if (!sending(b, d) || d->in_flight)
    return;
  struct head h = {0};
  int rc = mb_store_outbox_peek(b->a->store, d->name, 1, copy_head, &h);
  d->head_known = rc >= 0;
  d->next_attempt_ms = h.found ? h.e.next_attempt_ms : INT64_MAX;
  if (h.found && h.e.next_attempt_ms <= agent_wall_ms())
    post(b, d, &h.e);
  free(h.body);
}
