/*
 * The fan-out of the gossip core's outputs other than datagrams: each
 * membership event and each channel record the core takes goes to every
 * sink of the table, in the table's order.  The store comes first: the
 * event's sequence number, which the log line and the admin stream show,
 * is the one the store's event log gives it.  A new consumer (the
 * bridge's transitions, the RAID coordinator's failure input) is one file
 * and one line here.
 */
#include "agent_state.h"

static const struct agent_sink *const sinks[] = {
    &agent_sink_store, /* first: gives the event its seq */
    &agent_sink_log,   &agent_sink_admin, &agent_sink_bridge, &agent_sink_raid,
};
#define N_SINKS (sizeof(sinks) / sizeof(sinks[0]))

void agent_events_out(struct agent *a, const struct swim_event *ev) {
  struct agent_event_view v = {.ev = ev,
                               .wall_ms = agent_mono_to_wall(a, ev->at)};
  a->counters.events++;
  for (size_t i = 0; i < N_SINKS; i++)
    if (sinks[i]->on_event != NULL)
      sinks[i]->on_event(a, &v);
  json_decref(v.shown);
}

void agent_records_out(struct agent *a, const struct swim_output *o) {
  for (size_t i = 0; i < N_SINKS; i++)
    if (sinks[i]->on_record != NULL)
      sinks[i]->on_record(a, o);
}
