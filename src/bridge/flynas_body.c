/*
 * Flynas compatibility (seed 000): the body its device agents post to
 * POST /api/raid/heartbeat, exactly {deviceId, status, capacity,
 * available, lastSeen}, so an unchanged Flynas server takes the mesh's
 * members as its devices.  Flynas knows two states; a suspect member is
 * still "online" (not yet a verdict), dead and left are "offline".
 */
#include "json_out.h"

static const char *flynas_status(enum swim_state state) {
  return state == SWIM_ALIVE || state == SWIM_SUSPECT ? "online" : "offline";
}

int mb_bridge_flynas_body(const struct mb_bridge_member *m,
                          const char *device_id, char **body) {
  if (m == NULL || body == NULL)
    return MB_EINVAL;
  json_t *o = json_object();
  bool failed = false;
  mb_bridge_json_set(o, "deviceId",
                     device_id != NULL ? json_string(device_id) : json_null(),
                     &failed);
  mb_bridge_json_set(o, "status", json_string(flynas_status(m->state)),
                     &failed);
  mb_bridge_json_set(o, "capacity", mb_bridge_json_bytes(m->capacity), &failed);
  mb_bridge_json_set(o, "available", mb_bridge_json_bytes(m->available),
                     &failed);
  mb_bridge_json_set(o, "lastSeen", mb_bridge_json_time(m->last_seen_ms),
                     &failed);
  return mb_bridge_json_finish(o, failed, body);
}
