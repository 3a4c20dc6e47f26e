/*
 * The core pump: the loop's one timer for every pure core the agent runs
 * (the gossip core today; the bridge and the RAID coordinator next).  A
 * core is a state machine driven as (now, input) -> outputs with deadlines
 * of its own; it is described to the pump by a small table of functions
 * and registered once.  The pump keeps ONE uv timer armed at the nearest
 * deadline of all registered cores, ticks only the cores that are due when
 * it fires, routes each ticked core's outputs (the core's drain), and arms
 * again.  After an input to a core (a datagram, an admin command, a
 * signal) its owner calls agent_pump_flush for that core: its outputs are
 * routed and the timer re-armed, since the input may have moved its
 * deadline.
 *
 * Contract for a core: its deadline changes only when it is ticked or
 * given input, and every input is followed by agent_pump_flush.  A core
 * with nothing to do returns AGENT_PUMP_NEVER and costs no wakeup.
 *
 * Ownership: the pump and the cores are the caller's (embedded in its
 * object, no allocation); the pump keeps pointers to registered cores
 * until they are removed or it is closed.  Times are the loop's monotonic
 * milliseconds (uv_now).  Errors: MB_EFULL from agent_pump_add when
 * AGENT_PUMP_MAX_CORES are registered, MB_EINVAL for a core registered
 * twice.
 */
#ifndef MESHBEAT_AGENT_PUMP_H
#define MESHBEAT_AGENT_PUMP_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#define AGENT_PUMP_NEVER UINT64_MAX
#define AGENT_PUMP_MAX_CORES 8

struct agent_core_ops {
  const char *name; /* for logs and tests */
  /* When tick is next due (monotonic ms); AGENT_PUMP_NEVER: not at all. */
  uint64_t (*next_deadline)(void *ctx);
  /* Runs the core's timers at now; late_ms: how long after its deadline
   * the pump woke it (a busy host, a stalled loop). */
  void (*tick)(void *ctx, uint64_t now, uint64_t late_ms);
  /* Routes whatever the core has queued: datagrams, events, records... */
  void (*drain)(void *ctx);
};

struct agent_core {
  const struct agent_core_ops *ops;
  void *ctx;
  uint64_t due;    /* the deadline the timer was armed for, or NEVER */
  bool registered; /* ticked by the pump (false once removed) */
};

struct agent_pump {
  uv_loop_t *loop;
  uv_timer_t timer;
  struct agent_core *cores[AGENT_PUMP_MAX_CORES];
  size_t n_cores;
  uint64_t armed_for; /* when the timer fires (NEVER: not armed) */
  uint64_t wakeups;   /* times the timer fired */
  bool stopped;       /* for good: no more ticks */
};

/* A core described to a pump; not registered yet. */
void agent_core_init(struct agent_core *c, const struct agent_core_ops *ops,
                     void *ctx);

/* The timer is a handle of loop: closed by agent_pump_close, or by
 * whoever closes every handle of the loop. */
void agent_pump_init(struct agent_pump *p, uv_loop_t *loop);
int agent_pump_add(struct agent_pump *p, struct agent_core *c);
/* Routes the core's outputs; for a registered core, also re-arms the timer
 * at the nearest deadline.  Safe from inside a core's tick or drain. */
void agent_pump_flush(struct agent_pump *p, struct agent_core *c);
/* No more ticks for c (flushing it still routes its outputs). */
void agent_pump_remove(struct agent_pump *p, struct agent_core *c);
/* No more ticks for any core, and the timer stays stopped. */
void agent_pump_stop(struct agent_pump *p);
/* Stops, then closes the timer (its close completes in the loop). */
void agent_pump_close(struct agent_pump *p);

#endif
