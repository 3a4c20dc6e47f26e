/*
 * The bridge's sink (events.c): every membership change asks the bridge
 * to evaluate (elect, derive transitions, post soon); channel records of
 * kind 21 are other bridges' delivery cursors.
 */
#include "bridge_state.h"

static void on_event(struct agent *a, struct agent_event_view *v) {
  (void)v;
  agent_bridge_poke(a->bridge);
}

static void on_record(struct agent *a, const struct swim_output *o) {
  if (a->bridge == NULL)
    return;
  if (o->rec.kind == MB_REC_BRIDGE_CURSOR)
    agent_bridge_cursor_heard(a->bridge, o);
  else if (o->rec.kind == MB_REC_INSTRUCTION)
    agent_bridge_poke(a->bridge); /* draining shows in the next view */
}

const struct agent_sink agent_sink_bridge = {
    .name = "bridge", .on_event = on_event, .on_record = on_record};
