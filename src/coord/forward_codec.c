/* The forwarded requests' payloads (forward.h). */
#include "forward.h"

static void put_u64(uint8_t *p, uint64_t v) {
  for (int i = 7; i >= 0; i--, v >>= 8)
    p[i] = (uint8_t)v;
}

static uint64_t get_u64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = v << 8 | p[i];
  return v;
}

int coord_fwd_request_encode(uint64_t req, const struct mb_raid_cmd *cmd,
                             uint8_t *buf, size_t cap, size_t *len) {
  if (cap < 9)
    return MB_ENOSPACE;
  buf[0] = COORD_FWD_REQUEST;
  put_u64(buf + 1, req);
  size_t n = 0;
  int rc = mb_raid_cmd_encode(cmd, buf + 9, cap - 9, &n);
  *len = 9 + n;
  return rc;
}

size_t coord_fwd_answer_encode(uint64_t req, int rc, uint8_t buf[13]) {
  buf[0] = COORD_FWD_ANSWER;
  put_u64(buf + 1, req);
  uint32_t u = (uint32_t)rc;
  for (int i = 3; i >= 0; i--, u >>= 8)
    buf[9 + i] = (uint8_t)u;
  return 13;
}

int coord_fwd_decode(const uint8_t *buf, size_t len, uint8_t *type,
                     uint64_t *req, struct mb_raid_cmd *cmd, int *rc) {
  if (len < 9)
    return MB_EINVAL;
  *type = buf[0];
  *req = get_u64(buf + 1);
  if (*type == COORD_FWD_REQUEST)
    return cmd ? mb_raid_cmd_decode(buf + 9, len - 9, cmd) : MB_EINVAL;
  if (*type != COORD_FWD_ANSWER || len != 13)
    return MB_EINVAL;
  uint32_t u = (uint32_t)buf[9] << 24 | (uint32_t)buf[10] << 16 |
               (uint32_t)buf[11] << 8 | buf[12];
  *rc = (int)(int32_t)u;
  return 0;
}
