/*
 * The RAID commands' shared parts (cmd_admin_raid.c, cmd_admin_raid_view.c):
 * sizes as people write them, and the tables people see.
 */
#ifndef MESHBEAT_CLI_RAID_H
#define MESHBEAT_CLI_RAID_H

#include <jansson.h>
#include <stdint.h>

/* "10GiB", "500GB", "1048576": bytes into *out; MB_EINVAL for anything
 * else (a fraction, an unknown unit, more than 2^63 - 1 bytes). */
int cli_parse_size(const char *text, uint64_t *out);
/* raid list's and raid show's tables; CLI_EXIT_OK. */
int cli_render_arrays(const json_t *res);
int cli_render_array(const json_t *res);

#endif
