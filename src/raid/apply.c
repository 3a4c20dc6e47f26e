/*
 * mb_raid_apply: one log entry, dispatched to the handler of its kind.
 * Each handler checks everything first and changes the state only once the
 * command is known to be valid, so a refusal leaves the state exactly as
 * it was on every replica.
 */
#include "raid_internal.h"

#include <string.h>

typedef int (*apply_fn)(struct mb_raid_state *s, const struct mb_raid_cmd *c);

static apply_fn handler_of(uint8_t kind) {
  static const apply_fn handlers[] = {
      [MB_RAID_CMD_DEVICE_REPORT] = raid_apply_report,
      [MB_RAID_CMD_DEVICE_DOWN] = raid_apply_down,
      [MB_RAID_CMD_DEVICE_UP] = raid_apply_up,
      [MB_RAID_CMD_DEVICE_OUT] = raid_apply_out,
      [MB_RAID_CMD_DRAIN] = raid_apply_drain,
      [MB_RAID_CMD_ARRAY_CREATE] = raid_apply_create,
      [MB_RAID_CMD_ARRAY_REMOVE] = raid_apply_remove,
      [MB_RAID_CMD_TASK_START] = raid_apply_start,
      [MB_RAID_CMD_TASK_PROGRESS] = raid_apply_progress,
      [MB_RAID_CMD_TASK_DONE] = raid_apply_done,
      [MB_RAID_CMD_TASK_REASSIGN] = raid_apply_reassign,
      [MB_RAID_CMD_TASK_CANCEL] = raid_apply_cancel,
  };
  return kind < sizeof handlers / sizeof handlers[0] ? handlers[kind] : NULL;
}

/* Commands that can change what a slot or array is: the others leave the
 * arrays as they are, and settling after them would only cost time. */
static bool moves_slots(uint8_t kind) {
  return kind != MB_RAID_CMD_DEVICE_REPORT && kind != MB_RAID_CMD_DRAIN &&
         kind != MB_RAID_CMD_TASK_PROGRESS;
}

/* A command built by hand (not decoded) must still end its texts. */
static bool texts_ended(const struct mb_raid_cmd *c) {
  return memchr(c->name, '\0', sizeof c->name) != NULL &&
         memchr(c->domain, '\0', sizeof c->domain) != NULL &&
         memchr(c->array, '\0', sizeof c->array) != NULL;
}

int mb_raid_apply(struct mb_raid_state *s, uint64_t index,
                  const struct mb_raid_cmd *c) {
  if (index <= s->applied)
    return MB_ERAIDINDEX;
  apply_fn fn = handler_of(c->kind);
  if (fn == NULL)
    return MB_EKIND;
  if (!texts_ended(c))
    return MB_EINVAL;
  int rc = fn(s, c);
  if (rc != MB_OK)
    return rc;
  if (moves_slots(c->kind))
    raid_arrays_settle(s);
  raid_task_prune(s);
  s->applied = index;
  return MB_OK;
}
