/*
 * What the body builders share: jansson values for the types meshbeat
 * posts, and turning a finished object into the caller's string.  Private
 * to src/bridge.
 */
#ifndef MESHBEAT_BRIDGE_JSON_OUT_H
#define MESHBEAT_BRIDGE_JSON_OUT_H

#include "mb_bridge.h"

#include <jansson.h>

/* A byte count: JSON numbers are exact to 2^53 in every common reader, so
 * larger counts (no device has 8 PiB) are capped there rather than
 * rounded differently by each receiver. */
json_t *mb_bridge_json_bytes(uint64_t v);
/* An RFC 3339 string, or null for 0 (never seen) or an unprintable time. */
json_t *mb_bridge_json_time(int64_t unix_ms);
/* The member's id as lowercase hex. */
json_t *mb_bridge_json_id(const uint8_t id[MB_NODE_ID_LEN]);
/* Sets obj[key] = value (taking value's reference); any failure (value
 * NULL: out of memory, or text that is not UTF-8) sets *failed, so a
 * builder sets every field and checks once. */
void mb_bridge_json_set(json_t *obj, const char *key, json_t *value,
                        bool *failed);
/* Serialises (compact, keys in insertion order) and drops obj: 0 with
 * *body malloc'd; MB_EINVAL when a field failed, -ENOMEM when obj is NULL
 * or serialising ran out of memory. */
int mb_bridge_json_finish(json_t *obj, bool failed, char **body);

/* raid_body.c: the view's arrays and tasks (meta's), NULL when out of
 * memory or a text is not UTF-8. */
json_t *mb_bridge_raid_arrays_json(const struct mb_bridge_view_meta *meta,
                                   const struct mb_bridge_member *view,
                                   size_t n);
json_t *mb_bridge_raid_tasks_json(const struct mb_bridge_view_meta *meta,
                                  const struct mb_bridge_member *view,
                                  size_t n);

#endif
