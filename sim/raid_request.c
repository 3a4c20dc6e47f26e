/*
 * Operators' requests of a scenario (`at T raid create|remove|drain|undrain`)
 * made as `meshbeat raid ...` makes them: to one coordinator (the lowest-
 * numbered running voter), through mb_coord_request, answered at once or
 * later (MB_COORD_OUT_ANSWER).  Refused for want of a leader (MB_ENOTLEADER,
 * at once or as the answer), or lost with the coordinator asked, a request
 * is asked again every SIM_RAID_RETRY_US, at most SIM_RAID_RETRIES times,
 * as an operator's script does; any other answer is final and shown in the
 * summary.
 */
#include "raid.h"

#include <stdlib.h>
#include <string.h>

static uint32_t coordinator(const struct sim *s) {
  const struct sim_raid *r = s->raid;
  for (size_t k = 0; k < r->n_voters; k++) {
    uint32_t i = r->voters[k];
    if (s->nodes[i].status == SIM_UP && !s->nodes[i].frozen &&
        r->node[i].coord != NULL)
      return i;
  }
  return SIM_NONE;
}

static void retry_later(struct sim *s, uint32_t k) {
  struct sim_raid_req *q = &s->raid->reqs[k];
  q->pending = false;
  if (q->tries >= SIM_RAID_RETRIES) {
    q->done = true;
    return;
  }
  sim_schedule(s, s->now + SIM_RAID_RETRY_US, SIM_EV_RAID_RETRY, 0, k, 0);
}

static void ask(struct sim *s, uint32_t k) {
  struct sim_raid *r = s->raid;
  struct sim_raid_req *q = &r->reqs[k];
  uint32_t i = coordinator(s);
  q->tries++;
  q->asked = i;
  q->id = ++r->next_req_id;
  if (i == SIM_NONE) {
    q->rc = MB_ENOTLEADER;
    retry_later(s, k);
    return;
  }
  struct sim_node *n = &s->nodes[i];
  q->pending = true;
  q->rc =
      mb_coord_request(r->node[i].coord, sim_core_now(s, n), q->id, &q->cmd);
  if (q->rc != 0) {
    q->pending = false;
    q->answered_at = s->now;
    if (q->rc == MB_ENOTLEADER)
      retry_later(s, k);
    else
      q->done = true;
  }
  sim_raid_drain(s, i);
}

static int add(struct sim *s, uint32_t action, const struct mb_raid_cmd *cmd) {
  struct sim_raid *r = s->raid;
  if (r->n_reqs == r->cap_reqs) {
    size_t cap = r->cap_reqs ? 2 * r->cap_reqs : 8;
    struct sim_raid_req *v = realloc(r->reqs, cap * sizeof(*v));
    if (v == NULL)
      return sim_fail(s, "out of memory for raid requests");
    r->reqs = v;
    r->cap_reqs = cap;
  }
  struct sim_raid_req *q = &r->reqs[r->n_reqs];
  memset(q, 0, sizeof(*q));
  q->action = action;
  q->cmd = *cmd;
  q->at = s->now;
  ask(s, (uint32_t)r->n_reqs++);
  return s->err[0] ? -1 : 0;
}

static int drain_each(struct sim *s, uint32_t action,
                      const struct scn_action *a) {
  uint64_t *bits = sim_set_bits(s, &a->set);
  int rc = bits ? 0 : -1;
  for (uint32_t i = 0; rc == 0 && i < s->n; i++) {
    if (!((bits[i / 64] >> (i % 64)) & 1))
      continue;
    struct mb_raid_cmd cmd = {.kind = MB_RAID_CMD_DRAIN,
                              .on = a->kind == SCN_RAID_DRAIN};
    memcpy(cmd.device, s->raid->node[i].id.pk, MB_RAID_ID_LEN);
    rc = add(s, action, &cmd);
  }
  free(bits);
  return rc;
}

int sim_raid_action(struct sim *s, uint32_t action) {
  const struct scn_action *a = &s->scn->actions[action];
  struct mb_raid_cmd cmd = {0};
  snprintf(cmd.array, sizeof(cmd.array), "%s", a->raid.name);
  switch (a->kind) {
  case SCN_RAID_CREATE:
    cmd.kind = MB_RAID_CMD_ARRAY_CREATE;
    cmd.level = a->raid.level;
    cmd.data = a->raid.data;
    cmd.parity = a->raid.parity;
    cmd.size = a->raid.size;
    return add(s, action, &cmd);
  case SCN_RAID_REMOVE:
    cmd.kind = MB_RAID_CMD_ARRAY_REMOVE;
    return add(s, action, &cmd);
  default:
    return drain_each(s, action, a);
  }
}

void sim_raid_answer(struct sim *s, uint32_t i, uint64_t req, int rc) {
  struct sim_raid *r = s->raid;
  for (size_t k = 0; k < r->n_reqs; k++) {
    struct sim_raid_req *q = &r->reqs[k];
    if (!q->pending || q->id != req || q->asked != i)
      continue;
    q->pending = false;
    q->rc = rc;
    q->answered_at = s->now;
    if (rc == MB_ENOTLEADER)
      retry_later(s, (uint32_t)k);
    else
      q->done = true;
    return;
  }
}

void sim_raid_requests_lost(struct sim *s, uint32_t i) {
  struct sim_raid *r = s->raid;
  for (size_t k = 0; k < r->n_reqs; k++)
    if (r->reqs[k].pending && r->reqs[k].asked == i) {
      r->reqs[k].rc = MB_ENOTLEADER;
      retry_later(s, (uint32_t)k);
    }
}

void sim_raid_retry_event(struct sim *s, uint32_t k) {
  if (k < s->raid->n_reqs && !s->raid->reqs[k].done &&
      !s->raid->reqs[k].pending)
    ask(s, k);
}
