/*
 * The store's sink (events.c): a membership event stages the member's
 * latest record and appends one entry to the event log (the commit timer
 * writes the batch, persist.c); a channel record is written at once and
 * synced off the loop, since a revocation must survive a crash.
 */
#include "agent_state.h"

#include <stdio.h>
#include <string.h>

static void stage_member(struct agent *a, const struct agent_event_view *v) {
  const struct swim_event *ev = v->ev;
  long i = swim_member_find(a->swim, ev->id);
  struct mb_bytes rec, cert;
  if (i < 0 || swim_member_raw(a->swim, (size_t)i, &rec, &cert) != MB_OK ||
      rec.len == 0)
    return;
  struct mb_store_member m = {.state = (uint8_t)ev->to,
                              .since_ms = v->wall_ms,
                              .incarnation = ev->incarnation,
                              .record = rec.p,
                              .record_len = rec.len,
                              .cert = cert.len ? cert.p : NULL,
                              .cert_len = cert.len};
  memcpy(m.id, ev->id, MB_NODE_ID_LEN);
  mb_store_member_put(a->store, &m);
}

static void store_event(struct agent *a, struct agent_event_view *v) {
  const struct swim_event *ev = v->ev;
  stage_member(a, v);
  struct mb_store_event se = {.time_ms = v->wall_ms,
                              .from = (uint8_t)ev->from,
                              .to = (uint8_t)ev->to,
                              .reason = (uint8_t)ev->reason,
                              .incarnation = ev->incarnation};
  memcpy(se.id, ev->id, MB_NODE_ID_LEN);
  snprintf(se.name, sizeof(se.name), "%s", ev->name);
  v->seq = 0;
  mb_store_event_append(a->store, &se, &v->seq);
}

static void store_record(struct agent *a, const struct swim_output *o) {
  const struct swim_record_info *r = &o->rec;
  struct mb_store_record sr = {.kind = (uint8_t)r->kind,
                               .subject_len = r->subject_len,
                               .record = o->buf,
                               .record_len = o->len};
  memcpy(sr.subject, r->subject, r->subject_len);
  int rc = mb_store_record_put(a->store, &sr);
  if (rc != MB_OK) {
    a->counters.store_errors++;
    agent_log(a->log, MB_LOG_ERROR, NULL, "cannot store a %s record: %s (%s)",
              mb_record_kind_name(r->kind), mb_strerror(rc),
              mb_store_errmsg(a->store));
  } else {
    agent_sync_soon(a);
  }
}

const struct agent_sink agent_sink_store = {
    .name = "store", .on_event = store_event, .on_record = store_record};
