/*
 * What a kind of channel record needs, in one table: who signs it (the
 * cluster authority, any certified member, or one that may be the
 * bridge: eligible.c), what its subject must be, how many may be held,
 * and whether the oldest gives way when that many are.
 *
 * A bridge cursor is about its signer (the subject is the signer's node
 * id), so no member can speak for another bridge; an instruction is
 * about a device's node id and comes from the authority (an operator) or
 * from a bridge (the central endpoint's answer, signed by the active
 * bridge).  A certified member that may not be the bridge can sign
 * neither.
 *
 * A revocation never gives way: evicting one in force would admit the
 * revoked node again.  It leaves the table only when its `until` passes
 * (keep.c); while 1024 are in force, a further one is refused (MB_EFULL),
 * counted as `channel-full` and told to whoever offered it, and the
 * authority makes room by letting revocations lapse (docs/protocol.md).
 * Counts are per kind, so no other kind can push a revocation out.
 *
 * The RAID publication records (what the coordinators' Raft leader
 * committed) need a coordinator as signer (eligible.c): a certified
 * member that is not one can publish none of them.  A task's record
 * gives way when 4096 are held (the oldest issued is a finished one, or
 * the table is past any sane load); an array's never does: evicting a
 * live array would make devices forget it, so a further one is refused
 * (MB_EFULL, counted) and removed arrays' records make room when they
 * lapse.  The leader record has one subject (0x00), so one is held.
 */
#include "channel_internal.h"

#define RAID_ARRAYS_HELD 4096
#define RAID_TASKS_HELD 4096

static const struct policy policies[] = {
    {MB_REC_REVOCATION, BY_AUTHORITY, 1024, false, MB_NODE_ID_LEN, false},
    {MB_REC_INSTRUCTION, BY_AUTHORITY_OR_ELIGIBLE, 1024, false, MB_NODE_ID_LEN,
     false},
    {MB_REC_BRIDGE_CURSOR, BY_ELIGIBLE, 64, true, MB_NODE_ID_LEN, true},
    {MB_REC_RAID_ARRAY, BY_COORDINATOR, RAID_ARRAYS_HELD, false,
     MB_WIRE_RAID_ARRAY_SUBJECT_LEN, false},
    {MB_REC_RAID_TASK, BY_COORDINATOR, RAID_TASKS_HELD, true,
     MB_WIRE_RAID_TASK_SUBJECT_LEN, false},
    {MB_REC_RAID_LEADER, BY_COORDINATOR, 1, false,
     MB_WIRE_RAID_LEADER_SUBJECT_LEN, false},
};
_Static_assert(sizeof(policies) / sizeof(policies[0]) == CHANNEL_N_POLICIES,
               "a count for every policy");

const struct policy *channel_policy_of(enum mb_record_kind kind, size_t *idx) {
  for (size_t i = 0; i < CHANNEL_N_POLICIES; i++)
    if (policies[i].kind == kind) {
      if (idx != NULL)
        *idx = i;
      return &policies[i];
    }
  return NULL;
}
