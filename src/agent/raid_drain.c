/*
 * `meshbeat raid drain|undrain DEVICE`.  Whether a device drains is the
 * gossip view's to say (docs/raid.md, The model): a signed instruction
 * about it (record kind 22, as the bridge makes from the central
 * endpoint's answers) or its own heartbeat, and the Raft leader's planner
 * commits what the view says.  A DRAIN command given to the coordinator
 * directly would be undone by the next plan, so the operator's drain is
 * an instruction too: signed here, offered to the gossip core (which
 * admits it only from the cluster authority or a member that may be the
 * bridge, as any instruction), spread to every member.  The answer waits
 * until the coordinator's ledger shows the device draining (or not), so
 * the command returns once the coordinators have taken it.
 */
#include "raid_state.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Signs an instruction about id and offers it; 0 or why the core refused
 * it. */
static int instruct(struct agent *a, const uint8_t id[MB_NODE_ID_LEN],
                    bool on) {
  struct mb_instruction ins = {.op = on ? MB_INSTR_DRAIN : MB_INSTR_UNDRAIN};
  snprintf(ins.id, sizeof(ins.id), "meshbeat-raid-%s",
           on ? "drain" : "undrain");
  uint8_t body[MB_CHANNEL_BODY_MAX], rec[MB_WIRE_MSG_MAX];
  size_t body_len = 0, len = 0;
  int64_t now_ms = agent_wall_ms();
  int rc = mb_wire_instruction_body(&ins, body, sizeof(body), &body_len);
  if (rc == MB_OK)
    rc = mb_wire_channel_record_sign(
        &a->id, a->cfg->cluster, MB_REC_INSTRUCTION, id, MB_NODE_ID_LEN,
        (uint64_t)now_ms, now_ms, 0, body, body_len, rec, sizeof(rec), &len);
  if (rc == MB_OK)
    rc = swim_record_offer(a->swim, agent_now(a), rec, len);
  agent_flush(a);
  return rc;
}

static int refused(struct agent *a, int rc, struct mb_admin_error *err) {
  if (rc == MB_ESIGNER)
    return mb_admin_error_set(
        err, rc, "not_eligible",
        "%s may not sign drain instructions: only the cluster authority or a "
        "member that may be the bridge (certificate role bridge, or "
        "bridge.eligible) may; run it there",
        a->name);
  return mb_admin_error_set(err, rc, "refused",
                            "the drain instruction was refused: %s",
                            mb_strerror(rc));
}

int agent_raid_drain(struct agent_raid *r, const struct swim_member_info *m,
                     bool on, struct mb_admin_error *err) {
  struct agent *a = r->a;
  if (m->draining == on)
    return mb_admin_error_set(err, MB_ERAIDSTATE, "invalid_state",
                              on ? "%s drains already" : "%s does not drain",
                              m->name);
  int rc = instruct(a, m->id, on);
  if (rc != MB_OK && rc != MB_EHELD)
    return refused(a, rc, err);
  struct mb_raid_cmd cmd = {.kind = MB_RAID_CMD_DRAIN, .on = on};
  memcpy(cmd.device, m->id, MB_NODE_ID_LEN);
  return agent_raid_wait_for(r, &cmd, err);
}

/* The ledger's word on a device's drain: 1 draining, 0 not, -1 unknown. */
static int ledger_draining(struct mb_coord *c, const uint8_t *id) {
  struct mb_raid_device_info d;
  for (size_t i = 0; i < mb_coord_ledger_count(c); i++)
    if (mb_coord_ledger_at(c, i, &d) == MB_OK &&
        memcmp(d.id, id, MB_NODE_ID_LEN) == 0)
      return d.draining;
  return -1;
}

bool agent_raid_drain_done(struct agent_raid *r, const struct mb_raid_cmd *c) {
  return ledger_draining(r->coord, c->device) == (int)c->on;
}
