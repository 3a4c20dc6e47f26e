/*
 * Replacing a voter, one change at a time (Raft's single-server changes,
 * like Consul's autopilot): the new server is added as a spare, promoted to
 * voter (libraft first catches its log up), then the old voter is removed.
 * Each step starts after the previous one's change callback, between calls
 * (mb_consensus__flush), never from inside libraft's callback.
 */
#include <inttypes.h>
#include <stdio.h>

#include "consensus_internal.h"

static void change_done(struct raft_change *req, int status) {
  struct mb_consensus *c = req->data;
  c->replace.step_done = true;
  c->replace.step_status = status;
}

static const struct raft_server *server_of(const struct mb_consensus *c,
                                           uint64_t id) {
  for (unsigned i = 0; i < c->raft.configuration.n; i++)
    if (c->raft.configuration.servers[i].id == id)
      return &c->raft.configuration.servers[i];
  return NULL;
}

static int start_step(struct mb_consensus *c, int step) {
  struct replacement *rp = &c->replace;
  rp->change.data = c;
  rp->step_done = false;
  int rv;
  if (step == REPLACE_ADDING) {
    char address[17];
    snprintf(address, sizeof address, "%016" PRIx64, rp->new_id);
    rv = raft_add(&c->raft, &rp->change, rp->new_id, address, change_done);
  } else if (step == REPLACE_PROMOTING) {
    rv =
        raft_assign(&c->raft, &rp->change, rp->new_id, RAFT_VOTER, change_done);
  } else {
    rv = raft_remove(&c->raft, &rp->change, rp->old_id, change_done);
  }
  rp->step = rv == 0 ? step : REPLACE_IDLE;
  return rv;
}

void mb_consensus__replace_advance(struct mb_consensus *c) {
  struct replacement *rp = &c->replace;
  if (rp->step == REPLACE_IDLE || !rp->step_done)
    return;
  int next = rp->step == REPLACE_ADDING      ? REPLACE_PROMOTING
             : rp->step == REPLACE_PROMOTING ? REPLACE_REMOVING
                                             : REPLACE_IDLE;
  if (rp->step_status != 0 ||
      (next != REPLACE_IDLE && start_step(c, next) != 0)) {
    c->counters.replacements_failed++;
    rp->step = REPLACE_IDLE;
  } else if (next == REPLACE_IDLE) {
    c->counters.replacements_done++;
    rp->step = REPLACE_IDLE;
  }
}

int mb_consensus_replace_voter(struct mb_consensus *c, uint64_t now,
                               uint64_t old_id, uint64_t new_id) {
  if (now > c->now)
    c->now = now;
  if (!c->raft_live || raft_state(&c->raft) != RAFT_LEADER)
    return MB_ENOTLEADER;
  if (c->replace.step != REPLACE_IDLE ||
      c->raft.configuration_uncommitted_index != 0)
    return MB_EBUSY;
  const struct raft_server *old = server_of(c, old_id);
  const struct raft_server *fresh = server_of(c, new_id);
  if (new_id == 0 || old_id == new_id || old == NULL ||
      old->role != RAFT_VOTER || (fresh != NULL && fresh->role == RAFT_VOTER))
    return MB_EINVAL;
  c->replace.old_id = old_id;
  c->replace.new_id = new_id;
  int rv = start_step(c, fresh == NULL ? REPLACE_ADDING : REPLACE_PROMOTING);
  mb_consensus__flush(c);
  if (rv == RAFT_CANTCHANGE)
    return MB_EBUSY;
  if (rv == RAFT_NOTLEADER)
    return MB_ENOTLEADER;
  return rv != 0 ? MB_ERAFT : 0;
}
