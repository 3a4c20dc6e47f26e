/*
 * The RAID arrays and reconstruction tasks in the consolidated view
 * (docs/bridge-view.schema.json, $defs array and task), as the RAID
 * coordinator of the posting device knows them: devices by id, with the
 * name the view gives them (null for a device no longer in it).
 */
#include "json_out.h"

#include <string.h>

static json_t *name_of(const struct mb_bridge_member *view, size_t n,
                       const uint8_t id[MB_NODE_ID_LEN]) {
  for (size_t i = 0; i < n; i++)
    if (memcmp(view[i].id, id, MB_NODE_ID_LEN) == 0)
      return json_string(view[i].name);
  return json_null();
}

static json_t *slot_json(const struct mb_raid_slot_info *s, size_t i,
                         const struct mb_bridge_member *view, size_t n) {
  json_t *o = json_object();
  bool failed = false;
  mb_bridge_json_set(o, "slot", json_integer((json_int_t)i), &failed);
  mb_bridge_json_set(o, "device", mb_bridge_json_id(s->device), &failed);
  mb_bridge_json_set(o, "name", name_of(view, n, s->device), &failed);
  mb_bridge_json_set(o, "domain", json_string(s->domain), &failed);
  mb_bridge_json_set(o, "state", json_string(mb_raid_slot_state_name(s->state)),
                     &failed);
  if (failed) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static json_t *array_json(const struct mb_raid_array_info *a,
                          const struct mb_bridge_member *view, size_t n) {
  json_t *o = json_object(), *slots = json_array();
  bool failed = slots == NULL;
  for (size_t i = 0; i < a->n_slots && !failed; i++)
    failed = json_array_append_new(slots, slot_json(&a->slots[i], i, view, n));
  mb_bridge_json_set(o, "name", json_string(a->name), &failed);
  mb_bridge_json_set(o, "level", json_string(mb_raid_level_name(a->level)),
                     &failed);
  mb_bridge_json_set(o, "data", json_integer(a->data), &failed);
  mb_bridge_json_set(o, "parity", json_integer(a->parity), &failed);
  mb_bridge_json_set(o, "size", mb_bridge_json_bytes(a->size), &failed);
  mb_bridge_json_set(o, "slotBytes", mb_bridge_json_bytes(a->slot_bytes),
                     &failed);
  mb_bridge_json_set(o, "state",
                     json_string(mb_raid_array_state_name(a->state)), &failed);
  mb_bridge_json_set(o, "slots", slots, &failed);
  if (failed) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static json_t *task_json(const struct mb_raid_task_info *t,
                         const struct mb_bridge_member *view, size_t n) {
  json_t *o = json_object(), *sources = json_array();
  bool failed = sources == NULL;
  for (size_t i = 0; i < t->n_sources && !failed; i++)
    failed = json_array_append_new(sources, mb_bridge_json_id(t->sources[i]));
  mb_bridge_json_set(o, "id", mb_bridge_json_bytes(t->id), &failed);
  mb_bridge_json_set(o, "array", json_string(t->array), &failed);
  mb_bridge_json_set(o, "slot", json_integer(t->slot), &failed);
  mb_bridge_json_set(o, "kind", json_string(mb_raid_task_kind_name(t->kind)),
                     &failed);
  mb_bridge_json_set(o, "state", json_string(mb_raid_task_state_name(t->state)),
                     &failed);
  mb_bridge_json_set(o, "target", mb_bridge_json_id(t->target), &failed);
  mb_bridge_json_set(o, "targetName", name_of(view, n, t->target), &failed);
  mb_bridge_json_set(o, "sources", sources, &failed);
  mb_bridge_json_set(o, "bytes", mb_bridge_json_bytes(t->bytes), &failed);
  mb_bridge_json_set(o, "progress", mb_bridge_json_bytes(t->progress), &failed);
  if (failed) {
    json_decref(o);
    return NULL;
  }
  return o;
}

json_t *mb_bridge_raid_arrays_json(const struct mb_bridge_view_meta *meta,
                                   const struct mb_bridge_member *view,
                                   size_t n) {
  json_t *list = json_array();
  for (size_t i = 0; list != NULL && i < meta->n_arrays; i++)
    if (json_array_append_new(list, array_json(&meta->arrays[i], view, n))) {
      json_decref(list);
      return NULL;
    }
  return list;
}

json_t *mb_bridge_raid_tasks_json(const struct mb_bridge_view_meta *meta,
                                  const struct mb_bridge_member *view,
                                  size_t n) {
  json_t *list = json_array();
  for (size_t i = 0; list != NULL && i < meta->n_tasks; i++)
    if (json_array_append_new(list, task_json(&meta->tasks[i], view, n))) {
      json_decref(list);
      return NULL;
    }
  return list;
}
