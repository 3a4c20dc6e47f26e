/* See coord_fixture.h. */
#include "coord_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t wall(const struct cfx *c) {
  return 1790000000000 + (int64_t)c->fx.now;
}

void cfx_set_capacity(struct cfx *c, int i, uint64_t bytes) {
  swim_set_payload(c->fx.node[i], c->fx.now, wall(c), bytes, bytes, NULL, true);
  fx_drain(&c->fx, i);
}

void cfx_init(struct cfx *c, uint64_t down_out_ms) {
  memset(c, 0, sizeof(*c));
  fx_init(&c->fx, CFX_NODES);
  c->fx.domains = CFX_DOMAINS;
  for (int i = 0; i < 5; i++)
    c->fx.coordinator_role[i] = true;
  fx_start_all(&c->fx);
  for (int i = 0; i < CFX_NODES; i++)
    cfx_set_capacity(c, i, CFX_CAPACITY);
  fx_run_until(&c->fx, 4000);
  if (!fx_converged(&c->fx))
    abort();
  c->fx.log_records = true;
  c->rate = 32u << 20;
  mb_coord_config_default(&c->base);
  c->base.cluster = FX_CLUSTER;
  c->base.params.down_out_interval_ms = down_out_ms;
  c->base.params.stall_timeout_ms = 5000;
  c->base.raft.tick_ms = 50;
  c->base.raft.heartbeat_timeout_ms = 100;
  c->base.raft.election_timeout_ms = 1000;
  for (size_t v = 0; v < 3; v++)
    snprintf(c->base.voters[v], sizeof(c->base.voters[v]), "n%zu", v);
  c->base.n_voters = 3;
  for (int i = 0; i < CFX_NODES; i++)
    c->storage[i] = mb_consensus_memory_new();
}

void cfx_prefer_non_voters(struct cfx *c) {
  for (int i = 0; i < 3; i++)
    cfx_set_capacity(c, i, CFX_CAPACITY / 2);
}

static void start_coord(struct cfx *c, int i) {
  struct mb_coord_config cfg = c->base;
  cfg.id = &c->fx.id[i];
  cfg.raft.storage = *c->storage[i];
  cfg.raft.seed = 1000 + (uint64_t)i;
  cfg.max_fragment = swim_app_max(c->fx.node[i]);
  c->coord[i] = mb_coord_new(&cfg, c->fx.now, wall(c));
  if (c->coord[i] == NULL)
    abort();
}

void cfx_start_coords(struct cfx *c) {
  for (int i = 0; i < CFX_NODES; i++)
    if (!c->fx.down[i] && c->coord[i] == NULL)
      start_coord(c, i);
}

int cfx_node_of(const struct cfx *c, const uint8_t id[MB_NODE_ID_LEN]) {
  for (int i = 0; i < CFX_NODES; i++)
    if (memcmp(c->fx.id[i].pk, id, MB_NODE_ID_LEN) == 0)
      return i;
  return -1;
}

static void exec_start(struct cfx *c, int i,
                       const struct mb_raid_task_info *t) {
  c->starts[i]++;
  if (c->n_exec[i] < CFX_EXEC_MAX)
    c->exec[i][c->n_exec[i]++] = (struct cfx_exec){
        .id = t->id, .bytes = t->bytes, .done = t->progress, .kind = t->kind};
}

static void exec_cancel(struct cfx *c, int i, uint64_t id) {
  c->cancels[i]++;
  for (size_t k = 0; k < c->n_exec[i]; k++)
    if (c->exec[i][k].id == id) {
      c->exec[i][k] = c->exec[i][--c->n_exec[i]];
      return;
    }
}

static void note_applied(struct cfx *c, int i,
                         const struct mb_coord_output *o) {
  if (getenv("CFX_TRACE"))
    fprintf(stderr,
            "%6llu n%d applied %llu kind %d rc %d task %llu dev n%d "
            "target n%d\n",
            (unsigned long long)c->fx.now, i, (unsigned long long)o->index,
            o->cmd.kind, o->rc, (unsigned long long)o->cmd.task,
            cfx_node_of(c, o->cmd.device), cfx_node_of(c, o->cmd.target));
  if (o->rc != 0) {
    c->refused[i]++;
    return;
  }
  c->applied[i][o->cmd.kind & 15]++;
  if (o->cmd.kind == MB_RAID_CMD_TASK_START)
    c->task_starts[i][o->cmd.task_kind & 3]++;
}

static void drain_coord(struct cfx *c, int i) {
  struct mb_coord_output o;
  while (c->coord[i] != NULL && mb_coord_poll(c->coord[i], &o)) {
    switch (o.kind) {
    case MB_COORD_OUT_APP:
      swim_app_send(c->fx.node[i], c->fx.now, o.to, o.channel, o.buf, o.len);
      fx_drain(&c->fx, i);
      break;
    case MB_COORD_OUT_TASK_START:
      exec_start(c, i, &o.task);
      break;
    case MB_COORD_OUT_TASK_CANCEL:
      exec_cancel(c, i, o.task.id);
      break;
    case MB_COORD_OUT_PROGRESS:
      c->progress_out[i]++;
      swim_set_task_progress(c->fx.node[i], c->fx.now, wall(c), o.progress,
                             o.n_progress);
      fx_drain(&c->fx, i);
      break;
    case MB_COORD_OUT_ANSWER:
      c->answered = true;
      c->answer_req = o.req;
      c->answer_rc = o.rc;
      break;
    case MB_COORD_OUT_APPLIED:
      note_applied(c, i, &o);
      break;
    case MB_COORD_OUT_RECORD:
      c->published[i]++;
      if (swim_record_offer(c->fx.node[i], c->fx.now, o.buf, o.len) != 0)
        c->publish_refused[i]++;
      fx_drain(&c->fx, i);
      break;
    }
  }
}

static void deliver_apps(struct cfx *c) {
  for (size_t k = 0; k < c->fx.n_apps; k++) {
    const struct fx_app *a = &c->fx.apps[k];
    if (a->channel == SWIM_APP_RAID_ADMIN && a->to < CFX_NODES &&
        a->len <= sizeof(c->admin_last[0])) {
      memcpy(c->admin_last[a->to], a->buf, a->len);
      c->admin_len[a->to] = a->len;
    }
    if (a->from < 0 || a->to >= CFX_NODES || c->coord[a->to] == NULL)
      continue;
    mb_coord_app(c->coord[a->to], c->fx.now, c->fx.id[a->from].pk, a->channel,
                 a->buf, a->len);
    drain_coord(c, a->to);
  }
  c->fx.n_apps = 0;
}

/* What each core took of kinds 23-25 goes to its coordinator, as the
 * agent and the simulator do. */
static void deliver_records(struct cfx *c) {
  for (size_t k = 0; k < c->fx.n_records; k++) {
    const struct fx_record *r = &c->fx.records[k];
    if (r->info.kind < MB_REC_RAID_ARRAY || r->info.kind > MB_REC_RAID_LEADER ||
        r->at >= CFX_NODES || c->coord[r->at] == NULL)
      continue;
    c->records_in[r->at]++;
    mb_coord_record(c->coord[r->at], c->fx.now, &r->info, r->buf, r->len);
    drain_coord(c, r->at);
  }
  c->fx.n_records = 0;
}

static void give_view(struct cfx *c, int i) {
  struct swim_member_info view[FX_MAX_NODES];
  size_t n = swim_member_count(c->fx.node[i]);
  for (size_t k = 0; k < n && k < FX_MAX_NODES; k++)
    swim_member_get(c->fx.node[i], k, &view[k]);
  mb_coord_view(c->coord[i], c->fx.now, wall(c), view,
                n < FX_MAX_NODES ? n : FX_MAX_NODES);
}

/* The stand-in executor: copies rate bytes a second, reports progress,
 * then its result. */
static void run_executor(struct cfx *c, int i) {
  for (size_t k = 0; k < c->n_exec[i]; k++) {
    struct cfx_exec *e = &c->exec[i][k];
    if (e->finished)
      continue;
    uint64_t step = c->rate * CFX_STEP_MS / 1000;
    e->done = e->bytes - e->done > step ? e->done + step : e->bytes;
    mb_coord_task_progress(c->coord[i], c->fx.now, e->id, e->done);
    if (e->done == e->bytes) {
      e->finished = true;
      mb_coord_task_finished(c->coord[i], c->fx.now, e->id, 0);
    }
  }
}

static void step(struct cfx *c) {
  fx_run_until(&c->fx, c->fx.now + CFX_STEP_MS);
  deliver_apps(c);
  deliver_records(c);
  for (int i = 0; i < CFX_NODES; i++) {
    if (c->fx.down[i] || c->coord[i] == NULL)
      continue;
    give_view(c, i);
    run_executor(c, i);
    mb_coord_tick(c->coord[i], c->fx.now, wall(c));
    drain_coord(c, i);
  }
}

void cfx_run(struct cfx *c, uint64_t ms) {
  uint64_t end = c->fx.now + ms;
  while (c->fx.now < end)
    step(c);
}

bool cfx_run_until(struct cfx *c, uint64_t ms,
                   bool (*pred)(struct cfx *c, void *arg), void *arg) {
  uint64_t end = c->fx.now + ms;
  while (!pred(c, arg)) {
    if (c->fx.now >= end)
      return false;
    step(c);
  }
  return true;
}

void cfx_kill(struct cfx *c, int i) {
  c->fx.down[i] = true;
  mb_coord_free(c->coord[i]);
  c->coord[i] = NULL;
  c->n_exec[i] = 0;
}

void cfx_restart(struct cfx *c, int i) {
  int via = -1;
  for (int j = 0; j < CFX_NODES && via < 0; j++)
    if (j != i && !c->fx.down[j])
      via = j;
  uint64_t inc = fx_incarnation(&c->fx, via, i) + 1;
  fx_start_node(&c->fx, i, inc);
  struct mb_addr seed = fx_addr(via);
  swim_join(c->fx.node[i], c->fx.now, &seed, 1);
  fx_drain(&c->fx, i);
  cfx_set_capacity(c, i, CFX_CAPACITY);
  start_coord(c, i);
}

int cfx_leader(struct cfx *c) {
  int leader = -1;
  for (int i = 0; i < CFX_NODES; i++) {
    struct mb_coord_status st;
    if (c->coord[i] == NULL)
      continue;
    mb_coord_info(c->coord[i], &st);
    if (st.role != MB_COORD_LEADER)
      continue;
    if (leader >= 0)
      return -1;
    leader = i;
  }
  return leader;
}

void cfx_free(struct cfx *c) {
  for (int i = 0; i < CFX_NODES; i++) {
    mb_coord_free(c->coord[i]);
    mb_consensus_memory_free(c->storage[i]);
  }
  fx_free(&c->fx);
}

bool cfx_has_leader(struct cfx *c, void *arg) {
  (void)arg;
  return cfx_leader(c) >= 0;
}

bool cfx_answered(struct cfx *c, void *arg) {
  (void)arg;
  return c->answered;
}

struct mb_raid_cmd cfx_raid1(const char *name, unsigned copies) {
  struct mb_raid_cmd cmd = {.kind = MB_RAID_CMD_ARRAY_CREATE,
                            .level = MB_RAID_LEVEL_RAID1,
                            .data = 1,
                            .parity = (uint8_t)(copies - 1),
                            .size = 64u << 20};
  snprintf(cmd.array, sizeof(cmd.array), "%s", name);
  return cmd;
}
