/*
 * RFC 3339 timestamps in UTC with milliseconds, the form Flynas' agents
 * send ("2025-12-02T10:30:00.000Z"): common's formatter, with the bridge's
 * contract that a time it cannot say leaves the text empty.
 */
#include "mb_bridge.h"

int mb_bridge_format_time(char out[MB_BRIDGE_TIME_LEN], int64_t unix_ms) {
  int rc = mb_time_format(out, MB_BRIDGE_TIME_LEN, unix_ms);
  if (rc != 0)
    out[0] = '\0';
  return rc;
}
