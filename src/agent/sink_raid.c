/*
 * The RAID coordinator's sink (events.c): a membership event changes the
 * view the coordinator plans from (a death degrades arrays at once, so
 * the view is given at the next tick, not at the periodic one), and a
 * RAID record the gossip core took (kinds 23-25, published by the Raft
 * leader, its signature and signer checked by the core) goes to the
 * coordinator's published view.
 */
#include "raid_state.h"

static void raid_event(struct agent *a, struct agent_event_view *v) {
  (void)v;
  agent_raid_view_changed(a);
}

static void raid_record(struct agent *a, const struct swim_output *o) {
  struct agent_raid *r = a->raid;
  enum mb_record_kind k = o->rec.kind;
  if (r == NULL || r->coord == NULL || r->stopping || k < MB_REC_RAID_ARRAY ||
      k > MB_REC_RAID_LEADER)
    return;
  mb_coord_record(r->coord, agent_now(a), &o->rec, o->buf, o->len);
  r->input = true;   /* routed after the gossip core's outputs */
  r->changed = true; /* published arrays and tasks: compared then */
}

const struct agent_sink agent_sink_raid = {
    .name = "raid", .on_event = raid_event, .on_record = raid_record};
