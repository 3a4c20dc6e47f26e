/*
 * The bridge's view of one member: what it copies from the gossip core and
 * how a member's state reads to the outside world.
 */
#include "mb_bridge.h"

#include <string.h>

void mb_bridge_member_from_swim(struct mb_bridge_member *out,
                                const struct swim_member_info *in,
                                bool eligible) {
  memset(out, 0, sizeof(*out));
  memcpy(out->id, in->id, sizeof(out->id));
  memcpy(out->name, in->name, sizeof(out->name));
  memcpy(out->domain, in->domain, sizeof(out->domain));
  out->state = in->state;
  out->incarnation = in->incarnation;
  out->state_since_ms = in->state_since;
  out->capacity = in->capacity;
  out->available = in->available;
  out->last_seen_ms = in->record_time_ms;
  out->health = in->health;
  out->eligible = eligible;
  out->is_self = in->is_self;
  out->draining = in->draining;
  out->held = in->flap_held;
}

bool mb_bridge_member_live(const struct mb_bridge_member *m) {
  return m->state == SWIM_ALIVE || m->state == SWIM_SUSPECT;
}

/* A dead member is offline in the view at once: offline_after only delays
 * the notice, not the truth of the snapshot. */
const char *mb_bridge_status_name(enum swim_state state) {
  switch (state) {
  case SWIM_ALIVE:
    return "online";
  case SWIM_SUSPECT:
    return "suspect";
  case SWIM_DEAD:
    return "offline";
  case SWIM_LEFT:
    return "left";
  case SWIM_NONE:
    break;
  }
  return "offline";
}
