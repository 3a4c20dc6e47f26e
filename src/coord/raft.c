/*
 * Consensus glue: a coordinator's Raft instance, its transport over the
 * app channel, its state machine (mb_raid_apply on the replica) and the
 * bootstrap rule (docs/raid.md, The coordinator).
 */
#include "coord_internal.h"

#include <stdlib.h>
#include <string.h>

const struct swim_member_info *coord_member(const struct mb_coord *c,
                                            const uint8_t id[MB_NODE_ID_LEN]) {
  for (size_t i = 0; i < c->n_view; i++)
    if (memcmp(c->view[i].id, id, MB_NODE_ID_LEN) == 0)
      return &c->view[i];
  return NULL;
}

const struct swim_member_info *coord_member_by_raft_id(const struct mb_coord *c,
                                                       uint64_t id) {
  for (size_t i = 0; i < c->n_view; i++)
    if (mb_consensus_id_of(c->view[i].id) == id)
      return &c->view[i];
  return NULL;
}

bool coord_is_leader(const struct mb_coord *c) {
  if (c->raft == NULL)
    return false;
  struct mb_consensus_info info;
  mb_consensus_get_info(c->raft, &info);
  return info.role == 2;
}

static int send_fragment(void *ctx, uint64_t to, const uint8_t *frag,
                         size_t len) {
  struct mb_coord *c = ctx;
  const struct swim_member_info *m = coord_member_by_raft_id(c, to);
  if (m == NULL)
    return MB_ENOENT; /* not in our view yet: Raft resends */
  struct mb_coord_output o = {.kind = MB_COORD_OUT_APP,
                              .channel = SWIM_APP_RAFT};
  memcpy(o.to, m->id, MB_NODE_ID_LEN);
  coord_push(c, &o, frag, len);
  return 0;
}

static int fsm_apply(void *ctx, uint64_t index, const uint8_t *bytes,
                     size_t len) {
  struct mb_coord *c = ctx;
  struct mb_coord_output o = {.kind = MB_COORD_OUT_APPLIED, .index = index};
  int rc = mb_raid_cmd_decode(bytes, len, &o.cmd);
  if (rc == 0) {
    coord_lease_before_apply(c);
    rc = mb_raid_apply(c->replica, index, &o.cmd);
    coord_lease_after_apply(c);
  }
  o.rc = rc;
  coord_push(c, &o, NULL, 0);
  coord_leader_applied(c, bytes, len, rc);
  c->tasks_stale = true;
  c->replan = true;
  /* A device's report changes the ledger only, which is not published. */
  if (rc == 0 && o.cmd.kind != MB_RAID_CMD_DEVICE_REPORT)
    c->sent.dirty = true;
  return rc;
}

static int fsm_snapshot(void *ctx, uint8_t **buf, size_t *len) {
  struct mb_coord *c = ctx;
  return mb_raid_state_encode(c->replica, buf, len);
}

static int fsm_restore(void *ctx, const uint8_t *buf, size_t len) {
  struct mb_coord *c = ctx;
  struct mb_raid_state *s = NULL;
  int rc = mb_raid_state_decode(buf, len, &s);
  if (rc != 0)
    return rc;
  mb_raid_state_free(c->replica);
  c->replica = s;
  coord_lease_fence_all(c);
  c->tasks_stale = true;
  c->sent.dirty = true;
  c->replan = true;
  return 0;
}

void coord_raft_start(struct mb_coord *c) {
  if (c->raft != NULL || !c->coordinator)
    return;
  c->replica = mb_raid_state_new();
  if (c->replica == NULL)
    return;
  struct mb_consensus_config rc = c->cfg.raft;
  rc.id = mb_consensus_id_of(c->self);
  rc.fsm = (struct mb_consensus_fsm){.ctx = c,
                                     .apply = fsm_apply,
                                     .snapshot = fsm_snapshot,
                                     .restore = fsm_restore};
  rc.net = (struct mb_consensus_transport){
      .ctx = c, .send = send_fragment, .max_fragment = c->cfg.max_fragment};
  c->raft = mb_consensus_new(&rc, c->now);
  if (c->raft == NULL) {
    mb_raid_state_free(c->replica);
    c->replica = NULL;
  }
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* The Raft id of the one alive coordinator certified as `name`; 0 when
 * there is none, or more than one (ambiguous: wait). */
static uint64_t voter_id(const struct mb_coord *c, const char *name) {
  uint64_t id = 0;
  for (size_t i = 0; i < c->n_view; i++) {
    const struct swim_member_info *m = &c->view[i];
    if (strcmp(m->name, name) != 0)
      continue;
    if (id != 0 || m->state != SWIM_ALIVE || !m->coordinator || m->revoked)
      return 0;
    id = mb_consensus_id_of(m->id);
  }
  return id;
}

/*
 * Only the configured voters bootstrap, each with exactly the same sorted
 * ids, and only once it sees every one alive: every voter writes the same
 * first configuration, so there is one cluster, never two.
 */
void coord_raft_bootstrap(struct mb_coord *c) {
  if (c->raft == NULL || c->bootstrap_settled)
    return;
  struct mb_consensus_info info;
  mb_consensus_get_info(c->raft, &info);
  if (info.n_voters > 0) { /* the store held a configuration already */
    c->bootstrap_settled = true;
    return;
  }
  bool listed = false;
  for (size_t i = 0; i < c->cfg.n_voters; i++)
    listed |= strcmp(c->cfg.voters[i], c->self_name) == 0;
  if (!listed)
    return;
  uint64_t ids[MB_CONSENSUS_VOTERS_MAX];
  for (size_t i = 0; i < c->cfg.n_voters; i++)
    if ((ids[i] = voter_id(c, c->cfg.voters[i])) == 0)
      return;
  qsort(ids, c->cfg.n_voters, sizeof(ids[0]), cmp_u64);
  int rc = mb_consensus_bootstrap(c->raft, ids, c->cfg.n_voters);
  if (rc == 0 || rc == MB_EINVAL)
    c->bootstrap_settled = true;
}

void mb_coord_app(struct mb_coord *c, uint64_t now,
                  const uint8_t from[MB_NODE_ID_LEN], uint8_t channel,
                  const uint8_t *payload, size_t len) {
  c->now = now;
  const struct swim_member_info *m = coord_member(c, from);
  if (channel == SWIM_APP_RAID_ADMIN && c->coordinator && m != NULL)
    coord_forward_receive(c, from, payload, len);
  else if (channel == SWIM_APP_RAFT && c->raft != NULL && m != NULL &&
           m->coordinator)
    mb_consensus_receive(c->raft, now, mb_consensus_id_of(from), payload, len);
  else if (channel == SWIM_APP_TASK_LEASE && m != NULL)
    coord_lease_receive(c, m, payload, len);
  else
    return;
  coord_settle(c);
}
