/*
 * jansson helpers the body builders share (json_out.h).
 */
#include "json_out.h"

#include <errno.h>

#define JSON_SAFE_MAX ((UINT64_C(1) << 53) - 1)

json_t *mb_bridge_json_bytes(uint64_t v) {
  return json_integer((json_int_t)(v > JSON_SAFE_MAX ? JSON_SAFE_MAX : v));
}

json_t *mb_bridge_json_time(int64_t unix_ms) {
  char text[MB_BRIDGE_TIME_LEN];
  if (unix_ms == 0 || mb_bridge_format_time(text, unix_ms) != 0)
    return json_null();
  return json_string(text);
}

json_t *mb_bridge_json_id(const uint8_t id[MB_NODE_ID_LEN]) {
  char hex[2 * MB_NODE_ID_LEN + 1];
  mb_hex_encode(hex, id, MB_NODE_ID_LEN);
  return json_string(hex);
}

void mb_bridge_json_set(json_t *obj, const char *key, json_t *value,
                        bool *failed) {
  if (obj == NULL) {
    json_decref(value);
    *failed = true;
  } else if (json_object_set_new(obj, key, value) != 0) {
    *failed = true; /* jansson dropped value (NULL or not) */
  }
}

int mb_bridge_json_finish(json_t *obj, bool failed, char **body) {
  *body = NULL;
  if (obj == NULL)
    return -ENOMEM;
  if (!failed)
    *body = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(obj);
  if (failed)
    return MB_EINVAL;
  return *body != NULL ? 0 : -ENOMEM;
}
