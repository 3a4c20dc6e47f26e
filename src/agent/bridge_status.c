/*
 * The bridge as the operator sees it: the admin command `bridge` (what
 * `meshbeat bridge` prints; docs/admin-api.md) and its metric families
 * (docs/operations.md).  Figures of the outbox come from the store, so
 * they include what a previous run left.
 */
#include "bridge_state.h"

static const char *const result_names[AGENT_N_RESULTS] = {"ok", "retry",
                                                          "parked", "dropped"};

static json_t *time_or_null(int64_t ms) {
  char t[MB_TIME_LEN];
  if (ms <= 0 || mb_time_format(t, sizeof(t), ms) != 0)
    return json_null();
  return json_string(t);
}

static json_t *dest_json(struct agent_bridge *b, struct agent_dest_state *d) {
  struct mb_store_outbox_depth dep = {0};
  mb_store_outbox_depth(b->a->store, d->name, &dep);
  int64_t now = agent_wall_ms();
  json_t *age = dep.oldest_pending_ms > 0
                    ? json_real((double)(now - dep.oldest_pending_ms) / 1000.0)
                    : json_null();
  return json_pack(
      "{s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:b}", "name",
      d->name, "url", d->url, "outbox_depth", (json_int_t)dep.pending, "parked",
      (json_int_t)dep.parked, "oldest_age_s", age, "last_success",
      time_or_null(d->last_success_ms), "last_error",
      d->last_error_ms ? json_string(d->last_error) : json_null(),
      "last_error_at", time_or_null(d->last_error_ms), "delivered",
      (json_int_t)d->results[AGENT_RESULT_OK], "retries",
      (json_int_t)d->results[AGENT_RESULT_RETRY], "dropped",
      (json_int_t)d->results[AGENT_RESULT_DROPPED], "in_flight", d->in_flight);
}

json_t *agent_bridge_json(struct agent *a) {
  struct agent_bridge *b = a->bridge;
  if (b == NULL)
    return json_pack("{s:b}", "enabled", 0);
  agent_bridge_view_refresh(b);
  const struct mb_bridge_election *e = &b->election;
  char hex[MB_NODE_ID_HEX_LEN + 1];
  if (e->have)
    mb_node_id_hex(hex, e->active);
  json_t *dests = json_array();
  for (int i = 0; i < AGENT_N_DEST; i++)
    if (b->dest[i].url[0])
      json_array_append_new(dests, dest_json(b, &b->dest[i]));
  const struct mb_bridge_episode *eps;
  size_t open = mb_bridge_transitions_episodes(b->tr, &eps);
  return json_pack(
      "{s:b, s:b, s:o, s:o, s:b, s:{s:I, s:I}, s:I, s:I, s:o}", "enabled",
      json_array_size(dests) > 0, "eligible", b->eligible, "active",
      e->have ? json_string(hex) : json_null(), "active_name",
      e->have ? json_string(b->view[e->active_index].name) : json_null(),
      "self_active", e->have && e->self_active, "view", "live",
      (json_int_t)e->live, "total", (json_int_t)e->total, "offline_after_ms",
      (json_int_t)a->cfg->bridge.offline_after_ms, "episodes_open",
      (json_int_t)open, "destinations", dests);
}

int agent_cmd_bridge(void *ctx, const json_t *req, json_t **result,
                     struct mb_admin_error *err) {
  (void)req, (void)err;
  *result = agent_bridge_json(ctx);
  return 0;
}

static void per_dest(struct agent_bridge *b, struct mb_prom *p) {
  mb_prom_family(p, "meshbeat_bridge_deliveries_total", "counter",
                 "Deliveries by destination and result (ok, retry: tried "
                 "again later, parked: given up on, dropped: replaced by a "
                 "newer snapshot before it left).");
  for (int i = 0; i < AGENT_N_DEST; i++)
    for (int r = 0; r < AGENT_N_RESULTS; r++) {
      struct mb_prom_label l[2] = {{"destination", b->dest[i].name},
                                   {"result", result_names[r]}};
      mb_prom_u64(p, "meshbeat_bridge_deliveries_total", l, 2,
                  b->dest[i].results[r]);
    }
  mb_prom_family(p, "meshbeat_bridge_outbox_depth", "gauge",
                 "Deliveries waiting in the outbox, by destination.");
  mb_prom_family(p, "meshbeat_bridge_outbox_oldest_seconds", "gauge",
                 "Age of the oldest undelivered entry, by destination (0: "
                 "none).");
  mb_prom_family(p, "meshbeat_bridge_outbox_parked", "gauge",
                 "Deliveries parked for the operator, by destination.");
  int64_t now = agent_wall_ms();
  for (int i = 0; i < AGENT_N_DEST; i++) {
    struct mb_store_outbox_depth d = {0};
    mb_store_outbox_depth(b->a->store, b->dest[i].name, &d);
    struct mb_prom_label l = {"destination", b->dest[i].name};
    mb_prom_u64(p, "meshbeat_bridge_outbox_depth", &l, 1, d.pending);
    mb_prom_double(p, "meshbeat_bridge_outbox_oldest_seconds", &l, 1,
                   d.oldest_pending_ms > 0
                       ? (double)(now - d.oldest_pending_ms) / 1000.0
                       : 0.0);
    mb_prom_u64(p, "meshbeat_bridge_outbox_parked", &l, 1, d.parked);
  }
}

void agent_bridge_prom(struct agent *a, struct mb_prom *p) {
  struct agent_bridge *b = a->bridge;
  if (b == NULL)
    return;
  per_dest(b, p);
  mb_prom_family(p, "meshbeat_bridge_active", "gauge",
                 "1 while this node is the active bridge.");
  mb_prom_u64(p, "meshbeat_bridge_active", NULL, 0,
              b->election.have && b->election.self_active);
  mb_prom_family(p, "meshbeat_bridge_events_total", "counter",
                 "machine.offline and machine.online events derived here.");
  for (int t = MB_BRIDGE_EV_OFFLINE; t <= MB_BRIDGE_EV_ONLINE; t++) {
    struct mb_prom_label l = {"type", mb_bridge_event_type_name(t)};
    mb_prom_u64(p, "meshbeat_bridge_events_total", &l, 1, b->events[t]);
  }
  mb_prom_family(p, "meshbeat_bridge_outbox_full_total", "counter",
                 "Deliveries refused because the outbox was at its bound.");
  mb_prom_u64(p, "meshbeat_bridge_outbox_full_total", NULL, 0, b->outbox_full);
  mb_prom_family(p, "meshbeat_bridge_instructions_total", "counter",
                 "Instructions from the central endpoint, taken or ignored.");
  struct mb_prom_label taken = {"result", "taken"},
                       ignored = {"result", "ignored"};
  mb_prom_u64(p, "meshbeat_bridge_instructions_total", &taken, 1,
              b->instructions_taken);
  mb_prom_u64(p, "meshbeat_bridge_instructions_total", &ignored, 1,
              b->instructions_ignored);
}
