/*
 * Driving every node's coordinator as the agent does (raid.h): its life
 * beside its core, its inputs (view, app payloads, records, ticks) and
 * where its outputs go.
 *
 * Order within one instant: a core's outputs are polled to the end first
 * (app payloads and records go into the coordinator as they come: that
 * touches no core), then the coordinator's outputs are polled to the end
 * and handed to the core, whose new outputs are polled in turn.  Nothing
 * calls into a core while its outputs are being polled.
 */
#include "raid.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static bool runs(const struct sim_node *n) {
  return n->status == SIM_UP;
}

static bool in_bits(const uint64_t *bits, uint32_t i) {
  return (bits[i / 64] >> (i % 64)) & 1;
}

bool sim_raid_wanted(const struct scenario *scn) {
  return scn->raid.any;
}

static void node_name(uint32_t i, char *out, size_t cap) {
  snprintf(out, cap, "node-%u", i); /* as keys.c certifies it */
}

static void set_params(const struct scn_raid *r, struct mb_raid_params *p) {
  uint64_t *fields[SCN_RP_COUNT] = {&p->down_out_interval_ms, NULL, NULL, NULL,
                                    &p->stall_timeout_ms,     NULL};
  unsigned *small[SCN_RP_COUNT] = {
      NULL, &p->max_backfills,      &p->max_backfills_mesh, &p->min_up_permille,
      NULL, &p->subtree_min_devices};
  for (int k = 0; k < SCN_RP_COUNT; k++) {
    if (!r->has_param[k])
      continue;
    if (fields[k] != NULL)
      *fields[k] = r->param[k];
    else
      *small[k] = (unsigned)r->param[k];
  }
}

/* The voters, by index and by name: the coordinators are exactly them
 * (swim_config.coordinator_names), so every voter is certified as one. */
static int set_voters(struct sim *s) {
  struct sim_raid *r = s->raid;
  uint64_t *bits = sim_set_bits(s, &s->scn->raid.voters);
  if (bits == NULL)
    return -1;
  for (uint32_t i = 0; i < s->n && r->n_voters < MB_CONSENSUS_VOTERS_MAX; i++)
    if (in_bits(bits, i)) {
      size_t k = r->n_voters++;
      r->voters[k] = i;
      node_name(i, r->base.voters[k], sizeof(r->base.voters[k]));
      node_name(i, s->cfg.coordinator_names[k],
                sizeof(s->cfg.coordinator_names[k]));
    }
  free(bits);
  r->base.n_voters = r->n_voters;
  s->cfg.n_coordinator_names = r->n_voters;
  raid_history_voters(r->hist, 0, 1, r->voters, r->n_voters);
  return 0;
}

/* Later capacity lines override earlier ones for their nodes. */
static int set_capacities(struct sim *s) {
  const struct scn_raid *sr = &s->scn->raid;
  for (size_t k = 0; k < sr->n_capacities; k++) {
    const struct scn_capacity *c = &sr->capacities[k];
    struct scn_set all = {.all = true};
    uint64_t *bits = sim_set_bits(s, c->all ? &all : &c->set);
    if (bits == NULL)
      return -1;
    for (uint32_t i = 0; i < s->n; i++)
      if (in_bits(bits, i))
        s->raid->node[i].capacity = c->bytes;
    free(bits);
  }
  return 0;
}

static int init_nodes(struct sim *s) {
  struct sim_raid *r = s->raid;
  for (uint32_t i = 0; i < s->n; i++) {
    struct sim_raid_node *n = &r->node[i];
    n->tick_at = SIM_NEVER;
    n->view_last = SIM_NEVER;
    sim_node_identity(s, i, &n->id);
    raid_history_node_id(r->hist, i, n->id.pk);
    n->store.inner = mb_consensus_memory_new();
    if (n->store.inner == NULL)
      return sim_fail(s, "out of memory for node %u's Raft storage", i);
  }
  return 0;
}

/* When an action last happens: `at T every P until U` repeats below U. */
static uint64_t last_occurrence(const struct sim *s,
                                const struct scn_action *a) {
  if (a->every_us == 0)
    return a->at_us;
  uint64_t until = a->until_us ? a->until_us : s->end;
  uint64_t t = a->at_us;
  while (t + a->every_us < until)
    t += a->every_us;
  return t;
}

int sim_raid_new(struct sim *s) {
  const struct scenario *scn = s->scn;
  struct sim_raid *r = calloc(1, sizeof(*r));
  if (r == NULL)
    return sim_fail(s, "out of memory for the coordinators");
  s->raid = r;
  r->hist = raid_history_new(s->n);
  r->node = calloc(s->n, sizeof(*r->node));
  r->view = calloc(s->n, sizeof(*r->view));
  r->sampled = calloc(scn->n_expects + 1, sizeof(*r->sampled));
  r->healing_viol = calloc(scn->n_expects + 1, sizeof(*r->healing_viol));
  if (r->hist == NULL || r->node == NULL || r->view == NULL ||
      r->sampled == NULL || r->healing_viol == NULL)
    return sim_fail(s, "out of memory for the coordinators");
  mb_coord_config_default(&r->base);
  r->base.cluster = scn->cluster;
  r->crashed_leader = SIM_NONE;
  set_params(&scn->raid, &r->base.params);
  r->rate =
      scn->raid.executor_rate ? scn->raid.executor_rate : SIM_RAID_DEFAULT_RATE;
  for (size_t k = 0; k < scn->n_actions; k++)
    if (last_occurrence(s, &scn->actions[k]) > r->last_action_us)
      r->last_action_us = last_occurrence(s, &scn->actions[k]);
  if (set_voters(s) != 0 || init_nodes(s) != 0 || set_capacities(s) != 0)
    return -1;
  for (size_t k = 0; k < scn->n_expects; k++) {
    const struct scn_expect *e = &scn->expects[k];
    r->sampled[k] = -2;
    if (e->metric == SCN_M_RAID_STATE && e->raid_at &&
        sim_schedule(s, e->raid_at_us, SIM_EV_RAID_SAMPLE, 0, (uint32_t)k, 0) !=
            0)
      return -1;
  }
  return 0;
}

void sim_raid_free(struct sim *s) {
  struct sim_raid *r = s->raid;
  if (r == NULL)
    return;
  for (uint32_t i = 0; r->node && i < s->n; i++) {
    mb_coord_free(r->node[i].coord);
    mb_consensus_memory_free(r->node[i].store.inner);
    mb_identity_wipe(&r->node[i].id);
    free(r->node[i].exec);
  }
  raid_history_free(r->hist);
  free(r->node);
  free(r->view);
  free(r->reqs);
  free(r->sampled);
  free(r->healing_viol);
  free(r);
  s->raid = NULL;
}

void sim_raid_core_new(struct sim *s, uint32_t i) {
  struct sim_node *n = &s->nodes[i];
  uint64_t cap = s->raid->node[i].capacity;
  if (cap > 0)
    swim_set_payload(n->core, sim_core_now(s, n), sim_node_wall(s, n), cap, cap,
                     NULL, false);
}

/* Node i's view goes to its coordinator at `at` at the earliest, and no
 * sooner than SIM_RAID_VIEW_EVERY_US after the last time. */
static void want_view_at(struct sim *s, uint32_t i, uint64_t at) {
  struct sim_raid_node *rn = &s->raid->node[i];
  if (rn->coord == NULL)
    return;
  if (rn->view_last != SIM_NEVER && rn->view_last + SIM_RAID_VIEW_EVERY_US > at)
    at = rn->view_last + SIM_RAID_VIEW_EVERY_US;
  if (rn->view_pending && rn->view_at <= at)
    return;
  rn->view_pending = true;
  rn->view_at = at;
  sim_schedule(s, at, SIM_EV_RAID_VIEW, i, ++rn->view_gen, 0);
}

static void want_view(struct sim *s, uint32_t i) {
  want_view_at(s, i, s->now);
}

static bool is_coordinator(const struct sim *s, uint32_t i) {
  for (size_t k = 0; k < s->raid->n_voters; k++)
    if (s->raid->voters[k] == i)
      return true;
  return false;
}

void sim_raid_up(struct sim *s, uint32_t i) {
  struct sim_raid *r = s->raid;
  struct sim_raid_node *rn = &r->node[i];
  struct sim_node *n = &s->nodes[i];
  if (rn->coord != NULL)
    return;
  struct mb_coord_config cfg = r->base;
  cfg.id = &rn->id;
  sim_raid_store_init(s, i, &cfg.raft.storage);
  cfg.raft.seed = sim_derive_u64(s->seed, "meshbeat-sim raft", i, rn->lives++);
  cfg.max_fragment = swim_app_max(n->core);
  rn->coord = mb_coord_new(&cfg, sim_core_now(s, n), sim_node_wall(s, n));
  if (rn->coord == NULL) {
    sim_fail(s, "node %u: mb_coord_new failed", i);
    return;
  }
  rn->view_last = SIM_NEVER;
  want_view(s, i);
}

void sim_raid_down(struct sim *s, uint32_t i) {
  struct sim_raid_node *rn = &s->raid->node[i];
  if (rn->coord == NULL)
    return;
  mb_coord_free(rn->coord);
  rn->coord = NULL;
  rn->tick_gen++;
  rn->tick_at = SIM_NEVER;
  rn->view_gen++;
  rn->view_pending = false;
  sim_raid_exec_drop(s, i);
  sim_raid_requests_lost(s, i);
}

uint32_t sim_raid_leader_target(struct sim *s, bool crash) {
  struct sim_raid *r = s->raid;
  if (r == NULL)
    return SIM_NONE;
  if (!crash)
    return r->crashed_leader;
  for (size_t k = 0; k < r->n_voters; k++) {
    uint32_t i = r->voters[k];
    struct mb_coord_status st;
    if (r->node[i].coord == NULL || s->nodes[i].status != SIM_UP)
      continue;
    mb_coord_info(r->node[i].coord, &st);
    if (st.role == MB_COORD_LEADER)
      return r->crashed_leader = i;
  }
  return SIM_NONE;
}

void sim_raid_thaw(struct sim *s, uint32_t i) {
  struct sim_raid_node *rn = &s->raid->node[i];
  rn->tick_at = SIM_NEVER; /* the frozen node skipped its tick */
  rn->tick_gen++;
  if (rn->coord != NULL)
    want_view(s, i);
  sim_raid_arm(s, i);
  sim_raid_fault_sync(s);
}

void sim_raid_app(struct sim *s, uint32_t i, const struct swim_output *o) {
  struct sim_raid_node *rn = &s->raid->node[i];
  if (rn->coord == NULL)
    return;
  s->raid->c.apps_in++;
  mb_coord_app(rn->coord, sim_core_now(s, &s->nodes[i]), o->app_from,
               o->app_channel, o->buf, o->len);
}

void sim_raid_record(struct sim *s, uint32_t i, const struct swim_output *o) {
  struct sim_raid_node *rn = &s->raid->node[i];
  if (rn->coord == NULL || o->rec.kind < MB_REC_RAID_ARRAY ||
      o->rec.kind > MB_REC_RAID_LEADER)
    return;
  s->raid->c.records_in++;
  mb_coord_record(rn->coord, sim_core_now(s, &s->nodes[i]), &o->rec, o->buf,
                  o->len);
}

void sim_raid_after_core(struct sim *s, uint32_t i, bool view_changed) {
  if (s->raid->node[i].coord == NULL)
    return;
  if (view_changed)
    want_view(s, i);
  sim_raid_drain(s, i);
}

void sim_raid_view_event(struct sim *s, uint32_t i, uint32_t gen) {
  struct sim_raid *r = s->raid;
  struct sim_raid_node *rn = &r->node[i];
  struct sim_node *n = &s->nodes[i];
  if (gen != rn->view_gen)
    return;
  rn->view_pending = false;
  if (rn->coord == NULL || !runs(n) || n->frozen)
    return; /* thaw asks again */
  size_t count = swim_member_count(n->core);
  if (count > s->n)
    count = s->n;
  for (size_t k = 0; k < count; k++)
    swim_member_get(n->core, k, &r->view[k]);
  rn->view_last = s->now;
  r->c.views++;
  mb_coord_view(rn->coord, sim_core_now(s, n), sim_node_wall(s, n), r->view,
                count);
  sim_raid_drain(s, i);
}

/* The core reports changes of state, not of a member's payload: the
 * leader, which plans from capacities, draining and progress, looks again
 * every SIM_RAID_REFRESH_US.  Asked at its ticks (Raft's, a few a second at
 * a voter), so a voter that comes to lead starts at once. */
static void refresh_leader(struct sim *s, uint32_t i) {
  struct sim_raid_node *rn = &s->raid->node[i];
  struct mb_coord_status st;
  if (rn->view_pending || rn->coord == NULL || !is_coordinator(s, i))
    return;
  mb_coord_info(rn->coord, &st);
  if (st.role == MB_COORD_LEADER)
    want_view_at(s, i, s->now + SIM_RAID_REFRESH_US);
}

void sim_raid_tick_event(struct sim *s, uint32_t i, uint32_t gen) {
  struct sim_raid_node *rn = &s->raid->node[i];
  struct sim_node *n = &s->nodes[i];
  if (gen != rn->tick_gen || rn->coord == NULL || !runs(n) || n->frozen)
    return;
  rn->tick_at = SIM_NEVER;
  if (sim_core_now(s, n) >= mb_coord_next_deadline(rn->coord)) {
    s->raid->c.ticks++;
    mb_coord_tick(rn->coord, sim_core_now(s, n), sim_node_wall(s, n));
  }
  sim_raid_drain(s, i);
  refresh_leader(s, i);
}

/* A deadline already due (the coordinator was fed, not ticked) is taken
 * at the next millisecond: the node's clock has no finer grain, and an
 * event at the same instant could repeat forever. */
void sim_raid_arm(struct sim *s, uint32_t i) {
  struct sim_raid_node *rn = &s->raid->node[i];
  struct sim_node *n = &s->nodes[i];
  if (rn->coord == NULL || !runs(n) || n->frozen)
    return;
  uint64_t d = mb_coord_next_deadline(rn->coord);
  if (d == UINT64_MAX)
    return;
  uint64_t base = SIM_MONO_BASE_MS + n->mono_off_ms;
  uint64_t t = d <= base ? 0 : (d - base) * 1000;
  if (t <= s->now)
    t = (s->now / 1000 + 1) * 1000;
  if (rn->tick_at != SIM_NEVER && rn->tick_at <= t)
    return;
  rn->tick_at = t;
  sim_schedule(s, t, SIM_EV_RAID_TICK, i, ++rn->tick_gen, 0);
}

static const char *cmd_name(int kind) {
  static const char *const names[] = {
      "?",          "device-report", "device-down",  "device-up",
      "device-out", "drain",         "array-create", "array-remove",
      "task-start", "task-progress", "task-done",    "task-reassign",
      "task-cancel"};
  return kind >= 0 && kind < (int)(sizeof(names) / sizeof(names[0]))
             ? names[kind]
             : "?";
}

/* Each index once, at its first application anywhere (--timeline). */
static void timeline_applied(struct sim *s, uint32_t i,
                             const struct mb_coord_output *o) {
  struct sim_raid *r = s->raid;
  if (s->timeline == NULL || o->index <= r->timeline_index)
    return;
  r->timeline_index = o->index;
  const struct mb_raid_cmd *c = &o->cmd;
  uint32_t dev = sim_id_node(s, c->device), tgt = sim_id_node(s, c->target);
  fprintf(s->timeline,
          "{\"t\":%" PRIu64 ".%06" PRIu64 ",\"raid\":\"%s\",\"node\":%u,"
          "\"index\":%" PRIu64 ",\"rc\":%d,\"array\":\"%s\",\"slot\":%u,"
          "\"task\":%" PRIu64 ",\"device\":%d,\"target\":%d}\n",
          s->now / SCN_US_PER_S, s->now % SCN_US_PER_S, cmd_name(c->kind), i,
          o->index, o->rc, c->array, c->slot, c->task,
          dev == SIM_NONE ? -1 : (int)dev, tgt == SIM_NONE ? -1 : (int)tgt);
}

/* The command's bytes as the log holds them: the encoding is canonical,
 * so the checker can match what was applied with what was made durable. */
static void applied(struct sim *s, uint32_t i,
                    const struct mb_coord_output *o) {
  struct sim_raid *r = s->raid;
  uint8_t buf[MB_RAID_CMD_MAX];
  size_t len = 0;
  if (mb_raid_cmd_encode(&o->cmd, buf, sizeof(buf), &len) != 0)
    len = 0;
  raid_history_applied(r->hist, s->now, i, o->index, buf, len, o->rc);
  r->c.applied++;
  r->c.refused_applies += o->rc != 0;
  timeline_applied(s, i, o);
  sim_trace_u64(s, s->now);
  sim_trace_u64(s, 0xa9000000u | (uint64_t)i);
  sim_trace_u64(s, o->index);
  sim_trace_u64(s, (uint64_t)o->cmd.kind << 32 | (uint32_t)o->rc);
}

/* One output of node i's coordinator; true when it went into the core. */
static bool hand_out(struct sim *s, uint32_t i,
                     const struct mb_coord_output *o) {
  struct sim_raid *r = s->raid;
  struct sim_node *n = &s->nodes[i];
  uint64_t now = sim_core_now(s, n);
  int rc;
  switch (o->kind) {
  case MB_COORD_OUT_APP:
    r->c.apps_out++;
    rc = swim_app_send(n->core, now, o->to, o->channel, o->buf, o->len);
    r->c.app_send_errors += rc != 0;
    return true;
  case MB_COORD_OUT_RECORD:
    r->c.records_out++;
    rc = swim_record_offer(n->core, now, o->buf, o->len);
    r->c.record_refusals += rc != 0 && rc != MB_EHELD;
    return true;
  case MB_COORD_OUT_PROGRESS:
    r->c.progress_out++;
    swim_set_task_progress(n->core, now, sim_node_wall(s, n), o->progress,
                           o->n_progress);
    return true;
  case MB_COORD_OUT_TASK_START:
    sim_raid_exec_start(s, i, &o->task);
    return false;
  case MB_COORD_OUT_TASK_CANCEL:
    sim_raid_exec_cancel(s, i, o->task.id);
    return false;
  case MB_COORD_OUT_ANSWER:
    sim_raid_answer(s, i, o->req, o->rc);
    return false;
  case MB_COORD_OUT_APPLIED:
    applied(s, i, o);
    return false;
  }
  return false;
}

void sim_raid_drain(struct sim *s, uint32_t i) {
  struct sim_raid_node *rn = &s->raid->node[i];
  struct mb_coord_output o;
  bool touched = false;
  while (rn->coord != NULL && mb_coord_poll(rn->coord, &o) == 1)
    touched |= hand_out(s, i, &o);
  if (touched) {
    sim_node_drain(s, i);
    sim_node_arm(s, i);
  }
  sim_raid_arm(s, i);
}
