/*
 * The Raft leader's work: plan from the gossip view, propose, and wait
 * for what it proposed to be applied before planning again (the
 * planner's contract in mb_raid.h); operators' requests.
 */
#include "coord_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

uint64_t coord_patience(const struct mb_coord *c) {
  return 4ull * c->cfg.raft.election_timeout_ms;
}

static void drop_proposal(struct mb_coord *c, size_t i, int rc) {
  if (c->props[i].has_req && c->props[i].forwarded)
    coord_forward_answer(c, c->props[i].origin, c->props[i].req, rc);
  else if (c->props[i].has_req)
    coord_answer(c, c->props[i].req, rc);
  c->props[i] = c->props[--c->n_props];
}

void coord_leader_applied(struct mb_coord *c, const uint8_t *cmd, size_t len,
                          int rc) {
  for (size_t i = 0; i < c->n_props; i++)
    if (c->props[i].len == len && memcmp(c->props[i].bytes, cmd, len) == 0) {
      drop_proposal(c, i, rc);
      return;
    }
}

/* Proposals lost with the leadership, or never committed in time, are
 * forgotten (their requests answered) so the planner runs again. */
void coord_leader_check(struct mb_coord *c) {
  if (c->raft == NULL)
    return;
  struct mb_consensus_info info;
  mb_consensus_get_info(c->raft, &info);
  uint64_t patience = coord_patience(c);
  bool lost = info.role != 2 || info.proposals_lost != c->lost_seen;
  c->lost_seen = info.proposals_lost;
  for (size_t i = c->n_props; i-- > 0;)
    if (lost || c->now - c->props[i].at > patience)
      drop_proposal(c, i, MB_ENOTLEADER);
  if (info.role == 2 && !c->was_leader) {
    /* A new leader's timers start afresh (conservative: only delays). */
    mb_raid_planner_free(c->planner);
    c->planner = mb_raid_planner_new();
    c->replan = true;
  }
  c->was_leader = info.role == 2;
}

/* A proposal Raft refused, taken back unanswered (applies of earlier
 * entries during the refused call may have moved it in the table). */
static void forget(struct mb_coord *c, const struct coord_proposal *mine) {
  for (size_t i = c->n_props; i-- > 0;) {
    const struct coord_proposal *p = &c->props[i];
    if (p->len == mine->len && p->req == mine->req &&
        p->has_req == mine->has_req &&
        memcmp(p->bytes, mine->bytes, p->len) == 0) {
      c->props[i] = c->props[--c->n_props];
      return;
    }
  }
}

int coord_propose(struct mb_coord *c, const struct mb_raid_cmd *cmd,
                  bool has_req, uint64_t req, const uint8_t *origin) {
  if (c->n_props == c->cap_props) {
    size_t cap = c->cap_props ? 2 * c->cap_props : 16;
    struct coord_proposal *grown = realloc(c->props, cap * sizeof(*grown));
    if (grown == NULL)
      return -ENOMEM;
    c->props = grown;
    c->cap_props = cap;
  }
  struct coord_proposal *p = &c->props[c->n_props];
  int rc = mb_raid_cmd_encode(cmd, p->bytes, sizeof(p->bytes), &p->len);
  if (rc != 0)
    return rc;
  p->at = c->now;
  p->has_req = has_req;
  p->req = req;
  p->forwarded = origin != NULL;
  if (origin != NULL)
    memcpy(p->origin, origin, MB_NODE_ID_LEN);
  /* Counted before it is proposed: a lone voter commits and applies it
   * inside mb_consensus_propose, and the apply must find it. */
  c->n_props++;
  struct coord_proposal mine = *p;
  rc = mb_consensus_propose(c->raft, c->now, mine.bytes, mine.len);
  if (rc != 0) {
    forget(c, &mine); /* not in the log: nothing will apply it */
    return rc;
  }
  c->proposals++;
  return 0;
}

static void observe(const struct swim_member_info *m,
                    struct mb_raid_observation *o) {
  memset(o, 0, sizeof(*o));
  memcpy(o->id, m->id, MB_RAID_ID_LEN);
  coord_copy_text(o->name, sizeof(o->name), m->name);
  coord_copy_text(o->domain, sizeof(o->domain), m->domain);
  o->gossip = m->state == SWIM_ALIVE     ? MB_RAID_GOSSIP_ALIVE
              : m->state == SWIM_SUSPECT ? MB_RAID_GOSSIP_SUSPECT
              : m->state == SWIM_DEAD    ? MB_RAID_GOSSIP_DEAD
                                         : MB_RAID_GOSSIP_LEFT;
  o->incarnation = m->incarnation;
  o->capacity = m->capacity;
  o->available = m->available;
  o->draining = m->draining;
  o->flap_held = m->flap_held;
  for (size_t t = 0; t < m->n_tasks && t < MB_RAID_OBS_TASKS_MAX; t++) {
    o->tasks[t].task = m->tasks[t].id;
    o->tasks[t].done = m->tasks[t].done;
    o->n_tasks++;
  }
}

void coord_leader_step(struct mb_coord *c) {
  if (!coord_is_leader(c) || c->n_props > 0)
    return;
  if (!c->replan && c->now < c->next_plan)
    return;
  struct mb_raid_observation *obs = calloc(c->n_view + 1, sizeof(*obs));
  struct mb_raid_cmd *cmds = calloc(COORD_PLAN_MAX, sizeof(*cmds));
  if (obs != NULL && cmds != NULL) {
    for (size_t i = 0; i < c->n_view; i++)
      observe(&c->view[i], &obs[i]);
    size_t n = mb_raid_plan(c->planner, c->replica, &c->cfg.params, c->now, obs,
                            c->n_view, cmds, COORD_PLAN_MAX);
    coord_lease_hold(c); /* the timers the plan just made or kept */
    for (size_t i = 0; i < n; i++)
      if (coord_propose(c, &cmds[i], false, 0, NULL) != 0)
        break;
    c->replan = false;
    c->next_plan = c->now + COORD_PLAN_EVERY_MS;
  }
  free(obs);
  free(cmds);
}

/* Devices not alive in the view take no slot of a new array. */
static bool *busy_devices(const struct mb_coord *c) {
  size_t n = mb_raid_device_count(c->replica);
  bool *busy = calloc(n + 1, sizeof(*busy));
  for (size_t i = 0; busy != NULL && i < n; i++) {
    struct mb_raid_device_info d;
    const struct swim_member_info *m = NULL;
    if (mb_raid_device_at(c->replica, i, &d) == 0)
      m = coord_member(c, d.id);
    busy[i] = m == NULL || m->state != SWIM_ALIVE;
  }
  return busy;
}

static int place(struct mb_coord *c, struct mb_raid_cmd *cmd) {
  int rc = mb_raid_level_check(cmd->level, cmd->data, cmd->parity);
  if (rc != 0)
    return rc;
  bool *busy = busy_devices(c);
  if (busy == NULL)
    return -ENOMEM;
  struct mb_raid_place_req req = {.bytes =
                                      (cmd->size + cmd->data - 1) / cmd->data,
                                  .n = (size_t)cmd->data + cmd->parity,
                                  .busy = busy};
  rc = mb_raid_place(c->replica, &req, cmd->devices);
  free(busy);
  if (rc == 0)
    cmd->n_devices = (uint8_t)req.n;
  return rc;
}

int coord_leader_accept(struct mb_coord *c, const struct mb_raid_cmd *cmd,
                        uint64_t req, const uint8_t *origin) {
  if (cmd->kind != MB_RAID_CMD_ARRAY_CREATE &&
      cmd->kind != MB_RAID_CMD_ARRAY_REMOVE && cmd->kind != MB_RAID_CMD_DRAIN)
    return MB_EINVAL;
  if (!coord_is_leader(c))
    return MB_ENOTLEADER;
  struct mb_raid_cmd placed = *cmd;
  int rc = 0;
  if (cmd->kind == MB_RAID_CMD_ARRAY_CREATE && cmd->data > 0)
    rc = place(c, &placed);
  else if (cmd->kind == MB_RAID_CMD_ARRAY_CREATE)
    rc = MB_ERAIDLEVEL;
  if (rc == 0)
    rc = coord_propose(c, &placed, true, req, origin);
  return rc;
}

int mb_coord_request(struct mb_coord *c, uint64_t now, uint64_t req,
                     const struct mb_raid_cmd *cmd) {
  c->now = now;
  if (!c->coordinator)
    return MB_ENOTCOORD;
  int rc = coord_is_leader(c) ? coord_leader_accept(c, cmd, req, NULL)
                              : coord_forward_request(c, req, cmd);
  coord_settle(c);
  return rc;
}
