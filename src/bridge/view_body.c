/*
 * The consolidated view the active bridge posts to the central endpoint
 * (docs/bridge-view.schema.json): every member, the bridge that posts and
 * how much of the mesh it sees, so an endpoint fed by two bridges during a
 * partition can tell the halves apart, and the RAID arrays and tasks the
 * posting device's coordinator knows (raid_body.c).
 */
#include "json_out.h"

#define VIEW_BODY_VERSION 1

static json_t *health_json(const struct mb_health *h) {
  if (h->have == 0)
    return json_null();
  json_t *o = json_object();
  bool failed = false;
  if (h->have & MB_HEALTH_CPU)
    mb_bridge_json_set(o, "cpuPermille", json_integer(h->cpu_permille),
                       &failed);
  if (h->have & MB_HEALTH_MEM)
    mb_bridge_json_set(o, "memPermille", json_integer(h->mem_permille),
                       &failed);
  if (h->have & MB_HEALTH_LOAD)
    mb_bridge_json_set(o, "loadX100", json_integer(h->load_x100), &failed);
  if (h->have & MB_HEALTH_TEMP)
    mb_bridge_json_set(o, "tempMilliC", json_integer(h->temp_mc), &failed);
  if (failed) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static json_t *member_json(const struct mb_bridge_member *m) {
  json_t *o = json_object();
  bool failed = false;
  mb_bridge_json_set(o, "id", mb_bridge_json_id(m->id), &failed);
  mb_bridge_json_set(o, "name", json_string(m->name), &failed);
  mb_bridge_json_set(o, "domain", json_string(m->domain), &failed);
  mb_bridge_json_set(o, "status", json_string(mb_bridge_status_name(m->state)),
                     &failed);
  mb_bridge_json_set(o, "incarnation", mb_bridge_json_bytes(m->incarnation),
                     &failed);
  mb_bridge_json_set(o, "capacity", mb_bridge_json_bytes(m->capacity), &failed);
  mb_bridge_json_set(o, "available", mb_bridge_json_bytes(m->available),
                     &failed);
  mb_bridge_json_set(o, "lastSeen", mb_bridge_json_time(m->last_seen_ms),
                     &failed);
  mb_bridge_json_set(o, "health", health_json(&m->health), &failed);
  mb_bridge_json_set(o, "draining", json_boolean(m->draining), &failed);
  if (failed) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static json_t *bridge_json(const struct mb_bridge_election *e,
                           const struct mb_bridge_member *view) {
  json_t *o = json_object();
  bool failed = false;
  mb_bridge_json_set(
      o, "id", e->have ? mb_bridge_json_id(e->active) : json_null(), &failed);
  mb_bridge_json_set(
      o, "name",
      e->have ? json_string(view[e->active_index].name) : json_null(), &failed);
  mb_bridge_json_set(o, "viewSize", json_integer((json_int_t)e->total),
                     &failed);
  mb_bridge_json_set(o, "live", json_integer((json_int_t)e->live), &failed);
  if (failed) {
    json_decref(o);
    return NULL;
  }
  return o;
}

int mb_bridge_view_body(const struct mb_bridge_view_meta *meta,
                        const struct mb_bridge_member *view, size_t n,
                        char **body) {
  if (meta == NULL || meta->cluster == NULL || meta->election == NULL ||
      (view == NULL && n > 0) || body == NULL || meta->election->total != n ||
      (meta->election->have && meta->election->active_index >= n) ||
      (meta->arrays == NULL && meta->n_arrays > 0) ||
      (meta->tasks == NULL && meta->n_tasks > 0))
    return MB_EINVAL;
  json_t *root = json_object(), *members = json_array();
  bool failed = members == NULL;
  for (size_t i = 0; i < n && !failed; i++)
    failed = json_array_append_new(members, member_json(&view[i])) != 0;
  mb_bridge_json_set(root, "version", json_integer(VIEW_BODY_VERSION), &failed);
  mb_bridge_json_set(root, "cluster", json_string(meta->cluster), &failed);
  mb_bridge_json_set(root, "generatedAt",
                     mb_bridge_json_time(meta->generated_ms), &failed);
  mb_bridge_json_set(root, "bridge", bridge_json(meta->election, view),
                     &failed);
  mb_bridge_json_set(root, "members", members, &failed);
  mb_bridge_json_set(root, "arrays", mb_bridge_raid_arrays_json(meta, view, n),
                     &failed);
  mb_bridge_json_set(root, "tasks", mb_bridge_raid_tasks_json(meta, view, n),
                     &failed);
  return mb_bridge_json_finish(root, failed, body);
}
