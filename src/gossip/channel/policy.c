/*
 * What a kind of channel record needs, in one table: who signs it (the
 * cluster authority, or any certified member), how many may be held, and
 * whether the oldest gives way when that many are.
 *
 * A revocation never gives way: evicting one in force would admit the
 * revoked node again.  It leaves the table only when its `until` passes
 * (keep.c); while 1024 are in force, a further one is refused (MB_EFULL),
 * counted as `channel-full` and told to whoever offered it, and the
 * authority makes room by letting revocations lapse (docs/protocol.md).
 * Counts are per kind, so no other kind can push a revocation out.
 */
#include "channel_internal.h"

static const struct policy policies[] = {
    {MB_REC_REVOCATION, BY_AUTHORITY, 1024, false, MB_NODE_ID_LEN},
    {MB_REC_INSTRUCTION, BY_AUTHORITY, 1024, false, 0},
    {MB_REC_BRIDGE_CURSOR, BY_MEMBER, 64, true, 0},
    {MB_REC_RAID_STATE, BY_MEMBER, 64, true, 0},
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
