/*
 * Instructions in the central endpoint's answer to a consolidated view
 * (seed 001): {"instructions": [{"id": "...", "type": "drain"|"undrain",
 * "device": NAME-or-ID}]}.  Each known one becomes a channel record of
 * kind 22 about the device, signed by this bridge, offered to the gossip
 * core (which checks it as it checks any other) and spread; the device
 * and every member then show it draining.  The answer is untrusted: a
 * body that is not JSON, an unknown type or device is logged and ignored,
 * and at most MAX_INSTRUCTIONS are looked at.
 */
#include "bridge_state.h"

#include <string.h>

#define MAX_INSTRUCTIONS 64

static const struct mb_bridge_member *device(struct agent_bridge *b,
                                             const char *text) {
  uint8_t id[MB_NODE_ID_LEN];
  if (strlen(text) == 2 * MB_NODE_ID_LEN &&
      mb_hex_decode(id, sizeof(id), text) == MB_OK)
    return agent_bridge_view_find(b, id, sizeof(id));
  for (size_t i = 0; i < b->n_view; i++)
    if (strcmp(b->view[i].name, text) == 0)
      return &b->view[i];
  return NULL;
}

static void ignore(struct agent_bridge *b, const char *why, const char *what) {
  b->instructions_ignored++;
  agent_log(b->a->log, MB_LOG_WARN, NULL,
            "bridge: instruction ignored: %s (%.80s)", why, what);
}

/* Signs and offers the record; 0, or why the core refused it. */
static int spread(struct agent_bridge *b, const struct mb_bridge_member *m,
                  const char *op, const char *ins_id) {
  struct mb_instruction ins = {
      .op = strcmp(op, "drain") == 0 ? MB_INSTR_DRAIN : MB_INSTR_UNDRAIN};
  snprintf(ins.id, sizeof(ins.id), "%s", ins_id);
  uint8_t body[MB_CHANNEL_BODY_MAX], rec[MB_WIRE_MSG_MAX];
  size_t body_len = 0, len = 0;
  int64_t now_ms = agent_wall_ms();
  int rc = mb_wire_instruction_body(&ins, body, sizeof(body), &body_len);
  if (rc == MB_OK)
    rc = mb_wire_channel_record_sign(&b->a->id, b->a->cfg->cluster,
                                     MB_REC_INSTRUCTION, m->id, MB_NODE_ID_LEN,
                                     (uint64_t)now_ms, now_ms, 0, body,
                                     body_len, rec, sizeof(rec), &len);
  if (rc == MB_OK)
    rc = swim_record_offer(b->a->swim, agent_now(b->a), rec, len);
  agent_flush(b->a);
  return rc == MB_EHELD ? MB_OK : rc;
}

static void take_one(struct agent_bridge *b, const json_t *ins) {
  const char *type = json_string_value(json_object_get(ins, "type"));
  const char *dev = json_string_value(json_object_get(ins, "device"));
  const char *id = json_string_value(json_object_get(ins, "id"));
  if (type == NULL || dev == NULL) {
    ignore(b, "no type or device", type ? type : "");
    return;
  }
  bool drain = strcmp(type, "drain") == 0;
  if (!drain && strcmp(type, "undrain") != 0) {
    ignore(b, "unknown type", type);
    return;
  }
  const struct mb_bridge_member *m = device(b, dev);
  if (m == NULL) {
    ignore(b, "no such device", dev);
    return;
  }
  if (m->draining == drain)
    return; /* in force already: repeated until the endpoint sees it */
  int rc = spread(b, m, type, id && strlen(id) <= 64 ? id : "");
  if (rc != MB_OK) {
    ignore(b, mb_strerror(rc), type);
    return;
  }
  b->instructions_taken++;
  agent_log(b->a->log, MB_LOG_INFO,
            json_pack("{s:s, s:s, s:s}", "instruction", type, "device", m->name,
                      "id", id ? id : ""),
            "bridge: the central endpoint asks to %s %s; spreading it", type,
            m->name);
}

void agent_bridge_take_instructions(struct agent_bridge *b, const uint8_t *body,
                                    size_t len) {
  if (body == NULL || len == 0)
    return;
  json_t *root =
      json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, NULL);
  json_t *list = json_object_get(root, "instructions");
  size_t n = json_array_size(list);
  if (n > 0)
    agent_bridge_view_refresh(b); /* resolve devices against the latest */
  for (size_t i = 0; i < n && i < MAX_INSTRUCTIONS; i++)
    take_one(b, json_array_get(list, i));
  if (n > MAX_INSTRUCTIONS)
    ignore(b, "too many in one answer", "");
  json_decref(root);
}
