/*
 * A membership event as people and tools see it: the same JSON object in
 * the log line, on the admin "events" stream and in the `events` listing.
 */
#include "agent_state.h"

json_t *agent_event_json(uint64_t seq, int64_t wall_ms, const uint8_t *id,
                         const char *name, int from, int to, int reason,
                         uint64_t incarnation) {
  char hex[MB_NODE_ID_HEX_LEN + 1], when[MB_TIME_LEN];
  mb_node_id_hex(hex, id);
  mb_time_format(when, sizeof(when), wall_ms);
  return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "seq",
                   (json_int_t)seq, "time", when, "id", hex, "name", name,
                   "from", swim_state_name((enum swim_state)from), "to",
                   swim_state_name((enum swim_state)to), "reason",
                   swim_reason_name((enum swim_reason)reason), "incarnation",
                   (json_int_t)incarnation);
}

json_t *agent_event_shown(struct agent_event_view *v) {
  const struct swim_event *ev = v->ev;
  if (v->shown == NULL)
    v->shown = agent_event_json(v->seq, v->wall_ms, ev->id, ev->name, ev->from,
                                ev->to, ev->reason, ev->incarnation);
  return v->shown;
}
