/*
 * A slot of the executor's table through its life: progress reported as
 * it grows, and the end of a task (its handles closed before it is
 * reported, so a callback may start the next task in the very slot; the
 * executor freed once closing and idle).
 */
#include "executor_internal.h"

#include <stdlib.h>

size_t exec_slots_busy(const struct agent_executor *x) {
  size_t n = 0;
  for (size_t i = 0; i < AGENT_EXECUTOR_MAX_TASKS; i++)
    n += x->slots[i].state != EXEC_FREE;
  return n;
}

void exec_slot_progress(struct exec_slot *t, uint64_t done) {
  if (done <= t->done)
    return;
  t->done = done;
  if (t->x->ev.progress) {
    t->x->in_callback = true;
    t->x->ev.progress(t->x->ev.ctx, t->spec.id, done);
    t->x->in_callback = false;
  }
}

/* Frees x once closing and idle; never from inside a callback of ours
 * (the caller's frame still uses x). */
void exec_maybe_closed(struct agent_executor *x) {
  if (x->closing && !x->in_callback && exec_slots_busy(x) == 0) {
    void (*cb)(void *) = x->closed;
    void *arg = x->closed_arg;
    free(x->command);
    free(x);
    if (cb)
      cb(arg);
  }
}

void exec_slot_handle_closed(uv_handle_t *h) {
  struct exec_slot *t = h->data;
  if (--t->open > 0)
    return;
  struct agent_executor *x = t->x;
  uint64_t id = t->spec.id, done = t->done;
  enum agent_task_result r = t->cancelled ? AGENT_TASK_CANCELLED : t->result;
  int detail = t->cancelled ? 0 : t->detail;
  bool silent = t->silent;
  t->state = EXEC_FREE;
  if (x->ev.finished && !silent) {
    x->in_callback = true;
    x->ev.finished(x->ev.ctx, id, r, detail, done);
    x->in_callback = false;
  }
  exec_maybe_closed(x);
}

void exec_slot_end(struct exec_slot *t) {
  t->state = EXEC_CLOSING;
  uv_close((uv_handle_t *)&t->timer, exec_slot_handle_closed);
  if (t->x->command) {
    uv_close((uv_handle_t *)&t->proc, exec_slot_handle_closed);
    uv_close((uv_handle_t *)&t->out, exec_slot_handle_closed);
  }
}
