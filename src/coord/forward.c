/*
 * Operators' requests at a coordinator that does not lead: forwarded to
 * the Raft leader on SWIM_APP_RAID_ADMIN, answered back the same way once
 * applied (forward.h).  The leader accepts them only from coordinators;
 * an answer that never comes is given as MB_ENOTLEADER after the
 * proposals' patience (the leader died or lost its leadership).
 */
#include "forward.h"
#include "coord_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The leader Raft names; a coordinator that is no voter (Raft names none
 * to it) takes the one its last leader record names. */
static const struct swim_member_info *leader_member(const struct mb_coord *c) {
  struct mb_consensus_info info = {0};
  if (c->raft != NULL)
    mb_consensus_get_info(c->raft, &info);
  if (info.leader != 0 || !coord_from_publication(c))
    return info.leader ? coord_member_by_raft_id(c, info.leader) : NULL;
  const uint8_t *published = coord_pub_leader(c);
  return published ? coord_member(c, published) : NULL;
}

int coord_forward_request(struct mb_coord *c, uint64_t req,
                          const struct mb_raid_cmd *cmd) {
  const struct swim_member_info *leader = leader_member(c);
  if (leader == NULL || leader->is_self)
    return MB_ENOTLEADER;
  if (c->n_fwd == c->cap_fwd) {
    size_t cap = c->cap_fwd ? 2 * c->cap_fwd : 8;
    struct coord_forward *grown = realloc(c->fwd, cap * sizeof(*grown));
    if (grown == NULL)
      return -ENOMEM;
    c->fwd = grown;
    c->cap_fwd = cap;
  }
  uint8_t buf[COORD_FWD_MAX];
  size_t len;
  int rc = coord_fwd_request_encode(req, cmd, buf, sizeof(buf), &len);
  if (rc != 0)
    return rc;
  struct mb_coord_output o = {.kind = MB_COORD_OUT_APP,
                              .channel = SWIM_APP_RAID_ADMIN};
  memcpy(o.to, leader->id, MB_NODE_ID_LEN);
  coord_push(c, &o, buf, len);
  c->fwd[c->n_fwd++] = (struct coord_forward){.req = req, .at = c->now};
  return 0;
}

void coord_forward_answer(struct mb_coord *c, const uint8_t *to, uint64_t req,
                          int rc) {
  uint8_t buf[13];
  size_t len = coord_fwd_answer_encode(req, rc, buf);
  struct mb_coord_output o = {.kind = MB_COORD_OUT_APP,
                              .channel = SWIM_APP_RAID_ADMIN};
  memcpy(o.to, to, MB_NODE_ID_LEN);
  coord_push(c, &o, buf, len);
}

static void answered(struct mb_coord *c, uint64_t req, int rc) {
  for (size_t i = 0; i < c->n_fwd; i++)
    if (c->fwd[i].req == req) {
      c->fwd[i] = c->fwd[--c->n_fwd];
      coord_answer(c, req, rc);
      return;
    }
}

void coord_forward_receive(struct mb_coord *c, const uint8_t *from,
                           const uint8_t *payload, size_t len) {
  uint8_t type;
  uint64_t req;
  int rc = 0;
  struct mb_raid_cmd *cmd = calloc(1, sizeof(*cmd));
  if (cmd == NULL ||
      coord_fwd_decode(payload, len, &type, &req, cmd, &rc) != 0) {
    free(cmd);
    return;
  }
  const struct swim_member_info *m = coord_member(c, from);
  if (type == COORD_FWD_ANSWER) {
    answered(c, req, rc);
  } else if (m == NULL || !m->coordinator) {
    coord_forward_answer(c, from, req, MB_ENOTCOORD);
  } else {
    rc = coord_leader_accept(c, cmd, req, from);
    if (rc != 0)
      coord_forward_answer(c, from, req, rc);
  }
  free(cmd);
}

void coord_forward_expire(struct mb_coord *c) {
  for (size_t i = c->n_fwd; i-- > 0;)
    if (c->now - c->fwd[i].at > coord_patience(c)) {
      uint64_t req = c->fwd[i].req;
      c->fwd[i] = c->fwd[--c->n_fwd];
      coord_answer(c, req, MB_ENOTLEADER);
    }
}
