/*
 * The leader replaces a voter dead past down_out_interval by an alive
 * coordinator that is not a voter, one at a time (Consul's autopilot):
 * preferably in a failure domain the other voters do not use, else any,
 * since a voter short is a failure closer to no quorum at all.
 */
#include "coord_internal.h"

#include <string.h>

static bool is_voter(const struct mb_consensus_info *info, uint64_t id) {
  for (size_t i = 0; i < info->n_voters; i++)
    if (info->voters[i] == id)
      return true;
  return false;
}

static bool domain_used(const struct mb_coord *c,
                        const struct mb_consensus_info *info, uint64_t dead,
                        const char *domain) {
  for (size_t i = 0; i < info->n_voters; i++) {
    const struct swim_member_info *v =
        coord_member_by_raft_id(c, info->voters[i]);
    if (info->voters[i] != dead && v != NULL && strcmp(v->domain, domain) == 0)
      return true;
  }
  return false;
}

/* The best replacement for `dead`: 0 when no coordinator qualifies. */
static uint64_t candidate(const struct mb_coord *c,
                          const struct mb_consensus_info *info, uint64_t dead) {
  uint64_t best = 0;
  bool best_fresh = false;
  for (size_t i = 0; i < c->n_view; i++) {
    const struct swim_member_info *m = &c->view[i];
    uint64_t id = mb_consensus_id_of(m->id);
    if (!m->coordinator || m->revoked || m->state != SWIM_ALIVE ||
        is_voter(info, id))
      continue;
    bool fresh = !domain_used(c, info, dead, m->domain);
    if (best == 0 || (fresh && !best_fresh) ||
        (fresh == best_fresh && id < best)) {
      best = id;
      best_fresh = fresh;
    }
  }
  return best;
}

void coord_leader_replace(struct mb_coord *c) {
  if (!coord_is_leader(c))
    return;
  struct mb_consensus_info info;
  mb_consensus_get_info(c->raft, &info);
  if (info.replace_busy)
    return;
  for (size_t i = 0; i < info.n_voters; i++) {
    const struct swim_member_info *m =
        coord_member_by_raft_id(c, info.voters[i]);
    if (m == NULL || m->is_self ||
        (m->state != SWIM_DEAD && m->state != SWIM_LEFT) ||
        c->now - m->state_since < c->cfg.params.down_out_interval_ms)
      continue;
    uint64_t with = candidate(c, &info, info.voters[i]);
    if (with != 0 &&
        mb_consensus_replace_voter(c->raft, c->now, info.voters[i], with) == 0)
      return; /* one at a time */
  }
}
