/*
 * A small RAID state the raid fuzz targets and their seeds share: six
 * devices in three domains, a mirror and an erasure-coded array, one
 * device out and a rebuild of its slot under way, built by applying
 * commands (so it is what a replica would hold).  The commands are kept,
 * so the seed corpus starts from real log entries.
 */
#ifndef MESHBEAT_FUZZ_RAID_WORLD_H
#define MESHBEAT_FUZZ_RAID_WORLD_H

#include "mb_raid.h"

#define RAID_WORLD_CMDS 16

struct raid_world {
  struct mb_raid_state *s;
  size_t n_cmds;
  struct mb_raid_cmd cmds[RAID_WORLD_CMDS];
};

/* 0, or the code of the command the state refused (a bug: every one of
 * them is valid in order). */
int raid_world_build(struct raid_world *w);
void raid_world_free(struct raid_world *w);

#endif
