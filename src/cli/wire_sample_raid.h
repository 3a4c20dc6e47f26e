/* The RAID publication records of `meshbeat wire sample` (kinds 23-25). */
#ifndef MESHBEAT_CLI_WIRE_SAMPLE_RAID_H
#define MESHBEAT_CLI_WIRE_SAMPLE_RAID_H

#include "mb_wire.h"

/* Signs the sample record of kind (MB_REC_RAID_ARRAY, _TASK or _LEADER;
 * MB_EINVAL else) with id for cluster; target is a node id. */
int wire_sample_raid(const struct mb_identity *id, const char *cluster,
                     enum mb_record_kind kind, const uint8_t *target,
                     int64_t time_ms, uint8_t *out, size_t cap, size_t *len);

#endif
