/*
 * The admin socket's sink (events.c): each membership event goes out on
 * the "events" stream that `meshbeat events --follow` reads.
 */
#include "agent_state.h"

static void publish_event(struct agent *a, struct agent_event_view *v) {
  if (a->admin != NULL) /* the stream takes the reference given */
    mb_admin_publish(a->admin, "events", json_incref(agent_event_shown(v)));
}

const struct agent_sink agent_sink_admin = {.name = "admin",
                                            .on_event = publish_event};
