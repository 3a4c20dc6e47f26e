/*
 * The executor's parts (executor.h): its face (executor.c), the slots of
 * its table (executor_slot.c), hooks (executor_hook.c) and the built-in
 * copier (executor_builtin.c).
 */
#ifndef MESHBEAT_AGENT_EXECUTOR_INTERNAL_H
#define MESHBEAT_AGENT_EXECUTOR_INTERNAL_H

#include "executor.h"

enum exec_slot_state {
  EXEC_FREE = 0,
  EXEC_RUNNING,  /* the hook or the copy is under way */
  EXEC_STOPPING, /* cancelled: waiting for the hook to exit */
  EXEC_CLOSING,  /* ended: its handles are closing */
};

struct exec_slot {
  struct agent_executor *x;
  enum exec_slot_state state;
  struct agent_task_spec spec;
  uint64_t done;
  bool cancelled;
  bool silent; /* never reported (a spawn that failed) */
  /* The hook: its process, its stdout, the SIGKILL timer; the copier:
   * the timer alone.  open counts handles not yet closed. */
  uv_process_t proc;
  uv_pipe_t out;
  uv_timer_t timer;
  int open;
  bool exited, eof;
  enum agent_task_result result;
  int detail;
  uint64_t started_ms;
  char line[AGENT_PROGRESS_LINE_MAX + 1];
  size_t line_len;
  bool line_overlong; /* skipping to the end of a too-long line */
};

struct agent_executor {
  uv_loop_t *loop;
  char *command; /* NULL: the built-in copier */
  uint64_t builtin_rate;
  uint32_t kill_grace_ms, builtin_step_ms;
  const char *const *environ;
  struct agent_executor_events ev;
  struct exec_slot slots[AGENT_EXECUTOR_MAX_TASKS];
  bool closing;
  bool in_callback; /* in ev.progress or ev.finished */
  void (*closed)(void *arg);
  void *closed_arg;
};

int exec_hook_start(struct exec_slot *t);
void exec_hook_stop(struct exec_slot *t);
int exec_builtin_start(struct exec_slot *t);
void exec_builtin_stop(struct exec_slot *t);
/* Progress grew to done: reported. */
void exec_slot_progress(struct exec_slot *t, uint64_t done);
/* The task is over (result set): its handles close, then it is reported
 * and the slot freed. */
void exec_slot_end(struct exec_slot *t);
/* A handle of the slot closed. */
void exec_slot_handle_closed(uv_handle_t *h);
/* Slots not free. */
size_t exec_slots_busy(const struct agent_executor *x);
/* Frees x once it is closing and idle, outside our callbacks. */
void exec_maybe_closed(struct agent_executor *x);

#endif
