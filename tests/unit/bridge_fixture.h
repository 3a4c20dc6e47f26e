/*
 * Views for the bridge's unit tests: members with ids derived from a small
 * number, so a test names them 1, 2, 3... and builds the view each
 * "member" of a test mesh would hold.
 */
#ifndef MESHBEAT_TEST_BRIDGE_FIXTURE_H
#define MESHBEAT_TEST_BRIDGE_FIXTURE_H

#include "test_util.h"

#include "mb_bridge.h"

#include <stdio.h>

#define FIX_CLUSTER "test-cluster"

static inline void fix_id(uint8_t id[MB_NODE_ID_LEN], unsigned n) {
  /* spread over the whole id so the hash sees no common prefix */
  for (size_t i = 0; i < MB_NODE_ID_LEN; i++)
    id[i] = (uint8_t)(n * 131u + i * 7u + (n >> 8));
}

static inline struct mb_bridge_member fix_member(unsigned n,
                                                 enum swim_state state,
                                                 uint64_t incarnation,
                                                 uint64_t since_ms) {
  struct mb_bridge_member m;
  memset(&m, 0, sizeof(m));
  fix_id(m.id, n);
  snprintf(m.name, sizeof(m.name), "node-%u", n);
  snprintf(m.domain, sizeof(m.domain), "rack-%u", n % 3);
  m.state = state;
  m.incarnation = incarnation;
  m.state_since_ms = since_ms;
  m.capacity = UINT64_C(1000000000000) + n;
  m.available = UINT64_C(500000000000) + n;
  m.last_seen_ms = INT64_C(1764671400000) + n; /* 2025-12-02T10:30:00Z */
  m.eligible = true;
  return m;
}

#endif
