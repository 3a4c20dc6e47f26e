/*
 * The RAID coordinator as one core of the pump (raid_state.h).  Every
 * device runs one: voters run Raft on the agent's LMDB store, the others
 * learn their tasks.  Its deadline is the nearest of the coordinator's own
 * (Raft's timers, the leader's plan), the next view it is due (at once
 * after a membership event, else every AGENT_RAID_VIEW_MS, since capacity
 * and task progress change without events) and the first operator's
 * request to time out.
 */
#include "raid_state.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define EARLIER(x, y) ((x) < (y) ? (x) : (y))

static uint64_t raid_deadline(void *ctx) {
  struct agent_raid *r = ctx;
  if (r->stopping)
    return AGENT_PUMP_NEVER;
  uint64_t due = r->view_dirty ? 0 : r->view_due;
  due = EARLIER(due, mb_coord_next_deadline(r->coord));
  for (size_t i = 0; i < AGENT_RAID_PENDING_MAX; i++)
    if (r->pending[i].req != 0)
      due = EARLIER(due, r->pending[i].due);
  return due;
}

/* The whole view, self included, as the coordinator wants it. */
static void give_view(struct agent_raid *r, uint64_t now) {
  struct swim *s = r->a->swim;
  size_t n = swim_member_count(s);
  if (n > r->cap_view) {
    struct swim_member_info *grown = realloc(r->view, n * sizeof(*grown));
    if (grown == NULL)
      return; /* the next tick tries again */
    r->view = grown;
    r->cap_view = n;
  }
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (swim_member_get(s, i, &r->view[k]) == MB_OK)
      k++;
  mb_coord_view(r->coord, now, agent_wall_ms(), r->view, k);
  r->view_dirty = false;
  r->view_due = now + AGENT_RAID_VIEW_MS;
}

static void raid_tick(void *ctx, uint64_t now, uint64_t late_ms) {
  (void)late_ms;
  struct agent_raid *r = ctx;
  if (r->stopping)
    return;
  if (r->view_dirty || now >= r->view_due)
    give_view(r, now);
  mb_coord_tick(r->coord, now, agent_wall_ms());
  agent_raid_watch(r); /* a published ledger follows the view */
  agent_raid_expire(r, now);
}

static void raid_drain(void *ctx) {
  agent_raid_route(ctx);
}

static const struct agent_core_ops raid_ops = {
    .name = "raid",
    .next_deadline = raid_deadline,
    .tick = raid_tick,
    .drain = raid_drain,
};

static void raid_params(const struct mb_agent_raid_config *c,
                        struct mb_raid_params *p) {
  mb_raid_params_default(p);
  p->down_out_interval_ms = c->down_out_interval_ms;
  p->max_backfills = c->max_backfills;
  p->max_backfills_mesh = c->max_backfills_mesh;
  p->min_up_permille = c->min_up_permille;
  p->stall_timeout_ms = c->stall_timeout_ms;
}

static int coord_config(struct agent *a, struct mb_coord_config *cfg) {
  mb_coord_config_default(cfg);
  cfg->id = &a->id;
  cfg->cluster = a->cfg->cluster;
  raid_params(&a->cfg->raid, &cfg->params);
  randombytes_buf(&cfg->raft.seed, sizeof(cfg->raft.seed));
  _Static_assert(sizeof(cfg->voters[0]) == sizeof(a->cfg->raid.voters[0]),
                 "names of one length");
  _Static_assert(MB_AGENT_MAX_VOTERS <= MB_CONSENSUS_VOTERS_MAX,
                 "the voters fit the coordinator's list");
  for (size_t i = 0; i < a->cfg->raid.n_voters; i++)
    memcpy(cfg->voters[i], a->cfg->raid.voters[i], sizeof(cfg->voters[i]));
  cfg->n_voters = a->cfg->raid.n_voters;
  cfg->max_fragment = swim_app_max(a->swim);
  return mb_consensus_lmdb_storage(a->store, &cfg->raft.storage);
}

/* The RAID records restored into the gossip core at start (records.c)
 * were neither reported nor spread: the coordinator is given each here,
 * so a device knows the published arrays and its tasks before it hears
 * from the mesh. */
static void feed_restored(struct agent_raid *r) {
  struct swim *s = r->a->swim;
  for (size_t i = 0; i < swim_record_count(s); i++) {
    struct swim_record_info info;
    struct mb_bytes raw;
    if (swim_record_get(s, i, &info, &raw) == MB_OK &&
        info.kind >= MB_REC_RAID_ARRAY && info.kind <= MB_REC_RAID_LEADER)
      mb_coord_record(r->coord, agent_now(r->a), &info, raw.p, raw.len);
  }
}

int agent_raid_open(struct agent *a) {
  struct agent_raid *r = calloc(1, sizeof(*r));
  if (r == NULL)
    return -ENOMEM;
  a->raid = r;
  r->a = a;
  r->next_req = 1;
  struct mb_coord_config cfg;
  int rc = coord_config(a, &cfg);
  if (rc == MB_OK) {
    r->coord = mb_coord_new(&cfg, agent_now(a), agent_wall_ms());
    rc = r->coord != NULL ? agent_raid_exec_open(r) : MB_EINVAL;
  }
  if (rc != MB_OK) {
    agent_log(a->log, MB_LOG_ERROR, NULL,
              "the RAID coordinator would not start: %s", mb_strerror(rc));
    return rc;
  }
  feed_restored(r);
  r->view_dirty = true;
  agent_core_init(&r->core, &raid_ops, r);
  return agent_pump_add(&a->pump, &r->core);
}

void agent_raid_flush(struct agent *a) {
  if (a->raid != NULL && a->raid->coord != NULL)
    agent_pump_flush(&a->pump, &a->raid->core);
}

void agent_raid_view_changed(struct agent *a) {
  if (a->raid != NULL)
    a->raid->view_dirty = true;
}

void agent_raid_app(struct agent *a, const struct swim_output *o) {
  struct agent_raid *r = a->raid;
  if (r == NULL || r->coord == NULL || r->stopping)
    return;
  mb_coord_app(r->coord, agent_now(a), o->app_from, o->app_channel, o->buf,
               o->len);
  r->input = true;
}

void agent_raid_after_gossip(struct agent *a) {
  struct agent_raid *r = a->raid;
  if (r == NULL || r->stopping || !(r->input || r->view_dirty))
    return;
  r->input = false;
  agent_raid_flush(a); /* routes, and re-arms the pump at view_dirty's 0 */
}

static void executor_closed(void *arg) {
  struct agent_raid *r = arg;
  r->x = NULL;
  if (r->closed != NULL)
    r->closed(r->a);
}

void agent_raid_stop(struct agent *a) {
  struct agent_raid *r = a->raid;
  if (r == NULL || r->stopping)
    return;
  r->stopping = true;
  if (r->core.registered)
    agent_pump_remove(&a->pump, &r->core);
  for (size_t i = 0; i < AGENT_RAID_PENDING_MAX; i++)
    if (r->pending[i].req != 0)
      agent_raid_answer(r, r->pending[i].req, -ECANCELED,
                        "the agent is stopping");
  if (r->x != NULL) /* its callback may come at once */
    agent_executor_close(r->x, executor_closed, r);
}

void agent_raid_close(struct agent *a, void (*then)(struct agent *a)) {
  struct agent_raid *r = a->raid;
  agent_raid_stop(a);
  if (r == NULL || r->x == NULL) {
    then(a);
    return;
  }
  r->closed = then; /* once the hooks have exited */
}

void agent_raid_free(struct agent *a) {
  struct agent_raid *r = a->raid;
  if (r == NULL)
    return;
  mb_coord_free(r->coord);
  agent_raid_events_free(r);
  free(r->view);
  free(r);
  a->raid = NULL;
}
