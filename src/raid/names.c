/*
 * The words the CLI and JSON show for levels and states, and which level
 * takes which data and parity counts.
 */
#include "mb_raid.h"

#include <string.h>

static const char *pick(const char *const *names, size_t n, int i) {
  return i >= 0 && (size_t)i < n && names[i] != NULL ? names[i] : "?";
}

#define PICK(names, i) pick(names, sizeof(names) / sizeof(names[0]), i)

const char *mb_raid_device_state_name(int s) {
  static const char *const names[] = {"up", "down", "out"};
  return PICK(names, s);
}

const char *mb_raid_level_name(int level) {
  static const char *const names[] = {[MB_RAID_LEVEL_RAID1] = "raid1",
                                      [MB_RAID_LEVEL_RAID5] = "raid5",
                                      [MB_RAID_LEVEL_RAID6] = "raid6",
                                      [MB_RAID_LEVEL_EC] = "ec"};
  return PICK(names, level);
}

const char *mb_raid_slot_state_name(int s) {
  static const char *const names[] = {"up", "down", "out", "rebuilding",
                                      "resync"};
  return PICK(names, s);
}

const char *mb_raid_array_state_name(int s) {
  static const char *const names[] = {"healthy", "degraded", "rebuilding",
                                      "failed"};
  return PICK(names, s);
}

const char *mb_raid_task_kind_name(int k) {
  static const char *const names[] = {[MB_RAID_TASK_REBUILD] = "rebuild",
                                      [MB_RAID_TASK_RESYNC] = "resync",
                                      [MB_RAID_TASK_MOVE] = "move"};
  return PICK(names, k);
}

const char *mb_raid_task_state_name(int s) {
  static const char *const names[] = {"queued", "running", "done", "cancelled"};
  return PICK(names, s);
}

int mb_raid_level_parse(const char *name, int *level) {
  static const int levels[] = {MB_RAID_LEVEL_RAID1, MB_RAID_LEVEL_RAID5,
                               MB_RAID_LEVEL_RAID6, MB_RAID_LEVEL_EC};
  for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
    if (strcmp(name, mb_raid_level_name(levels[i])) == 0) {
      *level = levels[i];
      return MB_OK;
    }
  return MB_EINVAL;
}

static bool level_fits(int level, unsigned data, unsigned parity) {
  switch (level) {
  case MB_RAID_LEVEL_RAID1:
    return data == 1 && parity >= 1;
  case MB_RAID_LEVEL_RAID5:
    return data >= 2 && parity == 1;
  case MB_RAID_LEVEL_RAID6:
    return data >= 2 && parity == 2;
  case MB_RAID_LEVEL_EC:
    return data >= 1 && parity >= 1;
  default:
    return false;
  }
}

int mb_raid_level_check(int level, unsigned data, unsigned parity) {
  if (!level_fits(level, data, parity) || data + parity > MB_RAID_SLOTS_MAX)
    return MB_ERAIDLEVEL;
  return MB_OK;
}
