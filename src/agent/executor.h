/*
 * The executor: runs the reconstruction tasks the RAID coordinator assigned
 * to this device (docs/raid.md, "The executor's contract").
 *
 * Two kinds, chosen by the `raid { executor }` setting:
 *   - a hook: the operator's command, run as `/bin/sh -c COMMAND` in its
 *     own process group, given the task in MESHBEAT_TASK_* environment
 *     variables (nothing of the task is ever put into the command line, so
 *     no name can inject shell syntax), reporting progress as lines
 *     `progress BYTES` on its standard output; its exit status is the
 *     result (0: the slot holds the data).  The agent's own MESHBEAT_*
 *     variables (settings, perhaps secrets) are not passed on.
 *   - the built-in copier ("builtin"): moves nothing, advances progress at
 *     `builtin_rate_bytes` per second; for tests and demonstrations.
 *
 * Progress and results are reported through the callbacks given at
 * creation, always from the loop (never from inside a call into the
 * executor).  A cancelled hook gets SIGTERM, then SIGKILL after the grace
 * period, to its whole process group; its result says cancelled.
 *
 * Ownership: agent_executor_new copies the command; specs are copied at
 * start.  agent_executor_close stops every task (as cancel does), and
 * calls its callback once every child has exited and every handle is
 * closed; only then may the loop end.  The object is freed by close.
 * Errors: 0 or a negative MB_E* / -errno code.
 */
#ifndef MESHBEAT_AGENT_EXECUTOR_H
#define MESHBEAT_AGENT_EXECUTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define AGENT_TASK_TEXT_MAX 64
#define AGENT_TASK_SOURCES_MAX 1024
#define AGENT_EXECUTOR_MAX_TASKS 16
/* Longer lines of a hook's output are skipped whole. */
#define AGENT_PROGRESS_LINE_MAX 256

/* What the target is asked to do (the coordinator's task, in words). */
struct agent_task_spec {
  uint64_t id;
  char kind[AGENT_TASK_TEXT_MAX];  /* rebuild, resync, move */
  char array[AGENT_TASK_TEXT_MAX]; /* the array's name */
  char level[AGENT_TASK_TEXT_MAX]; /* raid1, raid5, raid6, ec */
  uint32_t slot;
  uint64_t bytes;                       /* what the slot holds */
  char sources[AGENT_TASK_SOURCES_MAX]; /* devices to read from, by name,
                                           separated by spaces */
  char target[AGENT_TASK_TEXT_MAX];     /* this device's name */
};

enum agent_task_result {
  AGENT_TASK_DONE = 0,      /* exit status 0 / the copy completed */
  AGENT_TASK_FAILED = 1,    /* a non-zero exit, or killed by a signal */
  AGENT_TASK_CANCELLED = 2, /* agent_executor_cancel or close */
};

struct agent_executor_events {
  void *ctx;
  /* Bytes done so far, only when it grew. */
  void (*progress)(void *ctx, uint64_t task, uint64_t done);
  /* The task ended; detail: the exit status (FAILED by exit), minus the
   * signal number (FAILED by a signal), 0 otherwise. */
  void (*finished)(void *ctx, uint64_t task, enum agent_task_result result,
                   int detail, uint64_t done);
};

struct agent_executor_options {
  const char *command;        /* NULL or "builtin": the built-in copier */
  uint64_t builtin_rate;      /* bytes per second, > 0 */
  uint32_t kill_grace_ms;     /* SIGTERM .. SIGKILL; 5000 */
  uint32_t builtin_step_ms;   /* the copier's progress period; 100 */
  const char *const *environ; /* inherited by hooks (NULL: environ) */
};

struct agent_executor;

/* NULL on allocation failure. */
struct agent_executor *
agent_executor_new(uv_loop_t *loop, const struct agent_executor_options *o,
                   const struct agent_executor_events *ev);
/* Starts a task.  MB_EHELD: that task runs already; MB_EFULL: too many at
 * once; or why the hook could not be spawned. */
int agent_executor_start(struct agent_executor *x,
                         const struct agent_task_spec *spec);
/* -ENOENT when no such task runs.  The result arrives later. */
int agent_executor_cancel(struct agent_executor *x, uint64_t task);
size_t agent_executor_running(const struct agent_executor *x);
bool agent_executor_is_builtin(const struct agent_executor *x);
void agent_executor_close(struct agent_executor *x, void (*done)(void *arg),
                          void *arg);

/* One line of a hook's output (without its newline): 1 with *done set
 * when it is `progress BYTES` (BYTES decimal, at most limit), 0 when it is
 * some other line.  Never reads past len. */
int agent_progress_line(const char *line, size_t len, uint64_t limit,
                        uint64_t *done);

#endif
