/*
 * The log's sink (events.c): one line per membership event (info when a
 * member comes or leaves, warn when it is suspected or dead) carrying the
 * event as JSON, and one per channel record taken from another node.
 */
#include "agent_state.h"

#include <inttypes.h>

static void log_event(struct agent *a, struct agent_event_view *v) {
  const struct swim_event *ev = v->ev;
  enum mb_log_level level =
      ev->to == SWIM_ALIVE || ev->to == SWIM_LEFT ? MB_LOG_INFO : MB_LOG_WARN;
  agent_log(a->log, level, json_incref(agent_event_shown(v)),
            "member %s %s -> %s (%s)", ev->name, swim_state_name(ev->from),
            swim_state_name(ev->to), swim_reason_name(ev->reason));
}

/* Our own revocation is said by records.c, as the agent stops. */
static void log_record(struct agent *a, const struct swim_output *o) {
  const struct swim_record_info *r = &o->rec;
  char who[160], why[MB_REVOCATION_REASON_MAX + 1];
  if (r->about_self)
    return;
  agent_record_subject(a, r, who, sizeof(who));
  agent_record_reason(o->buf, o->len, why, sizeof(why));
  if (r->kind == MB_REC_REVOCATION)
    agent_log(a->log, MB_LOG_WARN, NULL,
              "node %s revoked by the cluster authority%s%s: refused from "
              "now on",
              who, why[0] ? ": " : "", why);
  else
    agent_log(a->log, MB_LOG_INFO, NULL,
              "%s record for %s taken (version %" PRIu64 ")",
              mb_record_kind_name(r->kind), who, r->version);
}

const struct agent_sink agent_sink_log = {
    .name = "log", .on_event = log_event, .on_record = log_record};
