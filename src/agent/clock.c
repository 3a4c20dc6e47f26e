/*
 * The agent's clocks, in one place.  The core runs on monotonic
 * milliseconds (libuv's cached loop time, so every input of one loop
 * iteration carries the same `now`); records, certificates, events and
 * logs carry wall-clock time.  Mapping one to the other uses the pair
 * sampled together at start, so a wall-clock step (NTP) never moves a
 * deadline.
 */
#include "agent_state.h"

#include <time.h>

uint64_t agent_now(struct agent *a) {
  return uv_now(&a->loop);
}

int64_t agent_wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t agent_mono_to_wall(struct agent *a, uint64_t mono_ms) {
  return a->started_wall_ms + ((int64_t)mono_ms - (int64_t)a->started_ms);
}
