/*
 * The built-in copier: moves no data, only time.  Progress is what the
 * configured rate would have copied since the start, reported every step,
 * so a test or a demonstration sees a task advance, stall nowhere, and end.
 */
#include "executor_internal.h"

static uint64_t copied(const struct exec_slot *t) {
  const struct agent_executor *x = t->x;
  uint64_t elapsed_ms = uv_now(x->loop) - t->started_ms;
  /* rate * ms / 1000 without overflow for any plausible rate and size */
  uint64_t whole = elapsed_ms / 1000, part = elapsed_ms % 1000;
  uint64_t n = x->builtin_rate * whole + x->builtin_rate * part / 1000;
  if (whole != 0 && n / whole < x->builtin_rate) /* overflowed */
    return t->spec.bytes;
  return n < t->spec.bytes ? n : t->spec.bytes;
}

static void on_step(uv_timer_t *tm) {
  struct exec_slot *t = tm->data;
  exec_slot_progress(t, copied(t));
  if (t->done >= t->spec.bytes) {
    uv_timer_stop(tm);
    t->result = AGENT_TASK_DONE;
    exec_slot_end(t);
  }
}

int exec_builtin_start(struct exec_slot *t) {
  uv_timer_init(t->x->loop, &t->timer);
  t->timer.data = t;
  t->open = 1;
  uv_timer_start(&t->timer, on_step, t->x->builtin_step_ms,
                 t->x->builtin_step_ms);
  return 0;
}

void exec_builtin_stop(struct exec_slot *t) {
  uv_timer_stop(&t->timer);
  exec_slot_end(t);
}
