/*
 * Operators' requests forwarded by a coordinator that does not lead to the
 * Raft leader, and the leader's answers, on the app channel
 * SWIM_APP_RAID_ADMIN (docs/raid.md, The coordinator).  Payload: one type
 * byte (1 request, 2 answer), the requester's id for it (8 bytes,
 * big-endian), then a request's command as mb_raid_cmd_encode writes it,
 * or an answer's code (4 bytes, big-endian two's complement).
 */
#ifndef MESHBEAT_COORD_FORWARD_H
#define MESHBEAT_COORD_FORWARD_H

#include "mb_raid.h"

#include <stddef.h>
#include <stdint.h>

#define COORD_FWD_REQUEST 1
#define COORD_FWD_ANSWER 2
#define COORD_FWD_MAX (1 + 8 + MB_RAID_CMD_MAX)

int coord_fwd_request_encode(uint64_t req, const struct mb_raid_cmd *cmd,
                             uint8_t *buf, size_t cap, size_t *len);
size_t coord_fwd_answer_encode(uint64_t req, int rc, uint8_t buf[13]);
/* Bounds-checked: the type, req, and either *cmd (requests; NULL: refused
 * as MB_EINVAL) or *rc. */
int coord_fwd_decode(const uint8_t *buf, size_t len, uint8_t *type,
                     uint64_t *req, struct mb_raid_cmd *cmd, int *rc);

#endif
