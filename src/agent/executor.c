/*
 * The executor's face: starting, cancelling and closing tasks, each run
 * by a hook (executor_hook.c) or the copier (executor_builtin.c) in a
 * slot of the table (executor_slot.c).
 */
#include "executor_internal.h"

#include "mb_common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct agent_executor *
agent_executor_new(uv_loop_t *loop, const struct agent_executor_options *o,
                   const struct agent_executor_events *ev) {
  struct agent_executor *x = calloc(1, sizeof(*x));
  if (x == NULL)
    return NULL;
  x->loop = loop;
  x->ev = *ev;
  x->builtin_rate = o->builtin_rate ? o->builtin_rate : 1;
  x->kill_grace_ms = o->kill_grace_ms ? o->kill_grace_ms : 5000;
  x->builtin_step_ms = o->builtin_step_ms ? o->builtin_step_ms : 100;
  x->environ = o->environ;
  if (o->command != NULL && strcmp(o->command, "builtin") != 0) {
    x->command = strdup(o->command);
    if (x->command == NULL) {
      free(x);
      return NULL;
    }
  }
  for (size_t i = 0; i < AGENT_EXECUTOR_MAX_TASKS; i++)
    x->slots[i].x = x;
  return x;
}

bool agent_executor_is_builtin(const struct agent_executor *x) {
  return x->command == NULL;
}

static struct exec_slot *find(struct agent_executor *x, uint64_t task) {
  for (size_t i = 0; i < AGENT_EXECUTOR_MAX_TASKS; i++)
    if (x->slots[i].state != EXEC_FREE && x->slots[i].spec.id == task)
      return &x->slots[i];
  return NULL;
}

static struct exec_slot *free_slot(struct agent_executor *x) {
  for (size_t i = 0; i < AGENT_EXECUTOR_MAX_TASKS; i++)
    if (x->slots[i].state == EXEC_FREE)
      return &x->slots[i];
  return NULL;
}

int agent_executor_start(struct agent_executor *x,
                         const struct agent_task_spec *spec) {
  if (x->closing)
    return MB_EINVAL;
  if (find(x, spec->id) != NULL)
    return MB_EHELD;
  struct exec_slot *t = free_slot(x);
  if (t == NULL)
    return MB_EFULL;
  memset(t, 0, sizeof(*t));
  t->x = x;
  t->spec = *spec;
  t->started_ms = uv_now(x->loop);
  t->state = EXEC_RUNNING;
  return x->command ? exec_hook_start(t) : exec_builtin_start(t);
}

int agent_executor_cancel(struct agent_executor *x, uint64_t task) {
  struct exec_slot *t = find(x, task);
  if (t == NULL || t->state != EXEC_RUNNING)
    return -ENOENT;
  t->cancelled = true;
  t->state = EXEC_STOPPING;
  if (x->command)
    exec_hook_stop(t);
  else
    exec_builtin_stop(t);
  return 0;
}

size_t agent_executor_running(const struct agent_executor *x) {
  return exec_slots_busy(x);
}

void agent_executor_close(struct agent_executor *x, void (*done)(void *arg),
                          void *arg) {
  x->closing = true;
  x->closed = done;
  x->closed_arg = arg;
  for (size_t i = 0; i < AGENT_EXECUTOR_MAX_TASKS; i++)
    if (x->slots[i].state == EXEC_RUNNING)
      agent_executor_cancel(x, x->slots[i].spec.id);
  exec_maybe_closed(x);
}
