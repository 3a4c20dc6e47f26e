/*
 * Task leases (docs/raid.md, "Task leases: one executor per slot").
 *
 * The leader moves a task to another target once its planner has seen no
 * progress for stall_timeout_ms, and a target seen down loses its tasks at
 * once.  A target cut off from the leader would go on copying while the
 * new target starts: two executors for one slot.  So a target runs a task
 * only while it holds a lease, which it asks the leader for on the app
 * channel SWIM_APP_TASK_LEASE about once a second:
 *
 *   request = the target's clock when it sent it (a nonce), its tasks;
 *   grant   = that nonce back, and per task the time left (ms) on the
 *             leader's stall clock for it, at most stall_timeout_ms / 2.
 *
 * The leader answered after the request was sent, so the target's lease
 * ends at nonce + time left: never after the leader's clock stalls the
 * task.  Each side reads only its own monotonic clock; only durations and
 * the target's own nonce cross the wire.  A slot whose task ended
 * otherwise than done is fenced for election_timeout + stall_timeout / 2
 * (lease_fence.c): every lease an earlier target, or a deposed leader,
 * may have handed out has run out before the slot's next target gets one.
 *
 * Payloads (big-endian): type (1 request, 2 grant), nonce (8 bytes), a
 * count n <= MB_HB_TASKS_MAX (1 byte), then n items of 12 bytes: a task id
 * (8) and the time left (4; zero in a request, so that no grant is larger
 * than the request it answers).
 */
#ifndef MESHBEAT_COORD_LEASE_H
#define MESHBEAT_COORD_LEASE_H

#include "mb_wire.h"

#include <stddef.h>
#include <stdint.h>

#define COORD_LEASE_REQUEST 1
#define COORD_LEASE_GRANT 2
#define COORD_LEASE_HEAD 10
#define COORD_LEASE_MAX (COORD_LEASE_HEAD + 12 * MB_HB_TASKS_MAX)
/* A target asks this often while it has tasks. */
#define COORD_LEASE_EVERY_MS 1000

struct coord_lease_msg {
  uint8_t type;
  uint64_t nonce;
  size_t n;
  uint64_t task[MB_HB_TASKS_MAX];
  uint32_t left_ms[MB_HB_TASKS_MAX]; /* grants */
};

/* Returns the length written (at most COORD_LEASE_MAX). */
size_t coord_lease_encode(const struct coord_lease_msg *m,
                          uint8_t out[COORD_LEASE_MAX]);
/* MB_EINVAL for another type, a count past MB_HB_TASKS_MAX, or a length
 * that is not exactly what the count says. */
int coord_lease_decode(const uint8_t *buf, size_t len,
                       struct coord_lease_msg *out);

#endif
