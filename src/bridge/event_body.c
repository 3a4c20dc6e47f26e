/*
 * A webhook event's body, in the Standard Webhooks payload shape
 * ({type, data}) without its optional `timestamp`: every field is a fact
 * the mesh agrees on, so whichever member derives an event, before or
 * after a restart or a handover, sends the same bytes under the same id.
 * When it was sent is the signed webhook-timestamp header.
 */
#include "json_out.h"

int mb_bridge_event_body(const struct mb_bridge_event *ev, char **body) {
  if (ev == NULL || body == NULL)
    return MB_EINVAL;
  json_t *root = json_object(), *data = json_object(), *machine = json_object();
  bool failed = false;
  bool online = ev->type == MB_BRIDGE_EV_ONLINE;
  mb_bridge_json_set(machine, "id", mb_bridge_json_id(ev->member), &failed);
  mb_bridge_json_set(machine, "name", json_string(ev->name), &failed);
  mb_bridge_json_set(machine, "domain", json_string(ev->domain), &failed);
  mb_bridge_json_set(machine, "status",
                     json_string(online ? "online" : "offline"), &failed);
  mb_bridge_json_set(data, "machine", machine, &failed);
  mb_bridge_json_set(data, "incarnation", mb_bridge_json_bytes(ev->incarnation),
                     &failed);
  if (online)
    mb_bridge_json_set(data, "ends", json_string(ev->ends), &failed);
  mb_bridge_json_set(root, "type",
                     json_string(mb_bridge_event_type_name(ev->type)), &failed);
  mb_bridge_json_set(root, "id", json_string(ev->id), &failed);
  mb_bridge_json_set(root, "data", data, &failed);
  return mb_bridge_json_finish(root, failed, body);
}
