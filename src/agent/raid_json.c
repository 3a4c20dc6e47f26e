/*
 * The coordinator's queries as the admin API shows them (docs/admin-api.md,
 * raid, tasks, ledger, coordinator) and the bridge's view uses: devices
 * by name as the gossip view (else the ledger) knows them, ids in hex.
 * On a voter the answers come from its replica, elsewhere from what the
 * Raft leader published (the coordinator decides; mb_coord.h).
 */
#include "raid_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *hex_json(const uint8_t id[MB_NODE_ID_LEN]) {
  char hex[MB_NODE_ID_HEX_LEN + 1];
  mb_node_id_hex(hex, id);
  return json_string(hex);
}

static bool zero_id(const uint8_t id[MB_NODE_ID_LEN]) {
  for (size_t i = 0; i < MB_NODE_ID_LEN; i++)
    if (id[i] != 0)
      return false;
  return true;
}

void agent_raid_name_of(struct agent *a, const uint8_t id[MB_NODE_ID_LEN],
                        char *out, size_t cap) {
  out[0] = '\0';
  if (zero_id(id))
    return;
  struct swim_member_info m;
  long i = swim_member_find(a->swim, id);
  if (i >= 0 && swim_member_get(a->swim, (size_t)i, &m) == MB_OK) {
    snprintf(out, cap, "%s", m.name);
    return;
  }
  struct mb_coord *c = a->raid ? a->raid->coord : NULL;
  struct mb_raid_device_info d;
  for (size_t k = 0; c != NULL && k < mb_coord_ledger_count(c); k++)
    if (mb_coord_ledger_at(c, k, &d) == MB_OK &&
        memcmp(d.id, id, MB_NODE_ID_LEN) == 0) {
      snprintf(out, cap, "%s", d.name);
      return;
    }
}

static json_t *name_json(struct agent *a, const uint8_t id[MB_NODE_ID_LEN]) {
  char name[MB_NAME_MAX + 1];
  agent_raid_name_of(a, id, name, sizeof(name));
  return name[0] ? json_string(name) : json_null();
}

/* The Raft index the answers reflect: applied here, or published. */
static uint64_t view_index(struct agent *a) {
  struct mb_coord_status st;
  mb_coord_info(a->raid->coord, &st);
  return st.from_publication ? st.published_index : st.applied_index;
}

json_t *agent_raid_array_json(struct agent *a,
                              const struct mb_raid_array_info *ai) {
  json_t *slots = json_array();
  for (size_t i = 0; i < ai->n_slots; i++) {
    const struct mb_raid_slot_info *s = &ai->slots[i];
    json_array_append_new(
        slots,
        json_pack("{s:I, s:o, s:o, s:s, s:s}", "slot", (json_int_t)i, "device",
                  name_json(a, s->device), "id", hex_json(s->device), "domain",
                  s->domain, "state", mb_raid_slot_state_name(s->state)));
  }
  return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:I, s:o}", "name",
                   ai->name, "level", mb_raid_level_name(ai->level), "data",
                   (json_int_t)ai->data, "parity", (json_int_t)ai->parity,
                   "size", (json_int_t)ai->size, "slot_bytes",
                   (json_int_t)ai->slot_bytes, "state",
                   mb_raid_array_state_name(ai->state), "index",
                   (json_int_t)view_index(a), "slots", slots);
}

json_t *agent_raid_task_json(struct agent *a,
                             const struct mb_raid_task_info *t) {
  json_t *sources = json_array();
  for (size_t i = 0; i < t->n_sources; i++)
    json_array_append_new(sources, name_json(a, t->sources[i]));
  return json_pack("{s:I, s:s, s:I, s:s, s:o, s:o, s:o, s:I, s:I, s:s}", "id",
                   (json_int_t)t->id, "array", t->array, "slot",
                   (json_int_t)t->slot, "kind", mb_raid_task_kind_name(t->kind),
                   "target", name_json(a, t->target), "target_id",
                   hex_json(t->target), "sources", sources, "bytes",
                   (json_int_t)t->bytes, "progress", (json_int_t)t->progress,
                   "state", mb_raid_task_state_name(t->state));
}

json_t *agent_raid_arrays_json(struct agent *a) {
  struct mb_coord *c = a->raid->coord;
  json_t *list = json_array();
  struct mb_raid_array_info ai;
  for (size_t i = 0; i < mb_coord_array_count(c); i++)
    if (mb_coord_array_at(c, i, &ai) == MB_OK)
      json_array_append_new(list, agent_raid_array_json(a, &ai));
  return list;
}

json_t *agent_raid_tasks_json(struct agent *a, const char *array) {
  struct mb_coord *c = a->raid->coord;
  json_t *list = json_array();
  struct mb_raid_task_info t;
  for (size_t i = 0; i < mb_coord_task_count(c); i++)
    if (mb_coord_task_at(c, i, &t) == MB_OK &&
        (array == NULL || strcmp(t.array, array) == 0))
      json_array_append_new(list, agent_raid_task_json(a, &t));
  return list;
}

json_t *agent_raid_ledger_json(struct agent *a) {
  struct mb_coord *c = a->raid->coord;
  json_t *list = json_array();
  struct mb_raid_device_info d;
  for (size_t i = 0; i < mb_coord_ledger_count(c); i++)
    if (mb_coord_ledger_at(c, i, &d) == MB_OK)
      json_array_append_new(
          list,
          json_pack("{s:s, s:o, s:s, s:I, s:I, s:I, s:I, s:s, s:b}", "device",
                    d.name, "id", hex_json(d.id), "domain", d.domain,
                    "capacity", (json_int_t)d.capacity, "available",
                    (json_int_t)d.available, "allocated",
                    (json_int_t)d.allocated, "reserved", (json_int_t)d.reserved,
                    "state", mb_raid_device_state_name(d.state), "draining",
                    d.draining));
  return list;
}

static const char *role_name(int role) {
  static const char *const names[] = {"none", "waiting", "follower", "leader"};
  return role >= 0 && role <= MB_COORD_LEADER ? names[role] : "none";
}

static json_t *voters_json(const struct mb_coord_status *st) {
  json_t *list = json_array();
  for (size_t i = 0; i < st->n_voters; i++) {
    const struct mb_coord_voter *v = &st->voters[i];
    json_array_append_new(list,
                          json_pack("{s:s, s:o, s:s, s:b}", "name", v->name,
                                    "id", hex_json(v->id), "domain", v->domain,
                                    "alive", v->alive));
  }
  return list;
}

json_t *agent_raid_coordinator_json(struct agent *a) {
  struct mb_coord_status st;
  mb_coord_info(a->raid->coord, &st);
  bool leader = !zero_id(st.leader);
  return json_pack("{s:o, s:o, s:I, s:I, s:I, s:s, s:b, s:o, s:s, s:I, s:I}",
                   "leader", leader ? name_json(a, st.leader) : json_null(),
                   "leader_id", leader ? hex_json(st.leader) : json_null(),
                   "term", (json_int_t)st.term, "commit_index",
                   (json_int_t)st.commit_index, "applied_index",
                   (json_int_t)st.applied_index, "role", role_name(st.role),
                   "is_voter", st.is_voter, "voters", voters_json(&st),
                   "source", st.is_voter ? "replica" : "publication",
                   "proposals", (json_int_t)st.proposals, "proposals_lost",
                   (json_int_t)st.proposals_lost);
}

int agent_raid_snapshot(struct agent *a, struct agent_raid_snapshot *out) {
  memset(out, 0, sizeof(*out));
  struct mb_coord *c = a->raid != NULL ? a->raid->coord : NULL;
  if (c == NULL)
    return 0;
  size_t na = mb_coord_array_count(c), nt = mb_coord_task_count(c);
  out->arrays = calloc(na ? na : 1, sizeof(*out->arrays));
  out->tasks = calloc(nt ? nt : 1, sizeof(*out->tasks));
  if (out->arrays == NULL || out->tasks == NULL) {
    agent_raid_snapshot_free(out);
    return -ENOMEM;
  }
  for (size_t i = 0; i < na; i++)
    if (mb_coord_array_at(c, i, &out->arrays[out->n_arrays]) == MB_OK)
      out->n_arrays++;
  for (size_t i = 0; i < nt; i++)
    if (mb_coord_task_at(c, i, &out->tasks[out->n_tasks]) == MB_OK)
      out->n_tasks++;
  return 0;
}

void agent_raid_snapshot_free(struct agent_raid_snapshot *s) {
  free(s->arrays);
  free(s->tasks);
  memset(s, 0, sizeof(*s));
}
