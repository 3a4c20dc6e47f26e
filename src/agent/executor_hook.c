/*
 * A hook: the operator's command run for one task, `/bin/sh -c COMMAND`,
 * in its own process group (setsid), stdin from /dev/null, stdout read for
 * progress lines, stderr shared with the agent (the journal gets it).
 * The task reaches it only through the environment.
 */
#include "executor_internal.h"

#include "mb_common.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

#define HOOK_VARS 9

/* The inherited environment without the agent's own MESHBEAT_* settings,
 * then the task's variables.  One allocation: the pointers, then the
 * task's strings. */
static char **hook_environ(const struct exec_slot *t) {
  const char *const *env =
      t->x->environ ? t->x->environ : (const char *const *)environ;
  size_t n = 0;
  while (env[n] != NULL)
    n++;
  const size_t var_max = AGENT_TASK_SOURCES_MAX + 64;
  char **out =
      malloc((n + HOOK_VARS + 1) * sizeof(char *) + HOOK_VARS * var_max);
  if (out == NULL)
    return NULL;
  char *text = (char *)(out + n + HOOK_VARS + 1);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (strncmp(env[i], "MESHBEAT_", 9) != 0)
      out[k++] = (char *)env[i];
  const struct agent_task_spec *s = &t->spec;
  char num[3][24];
  snprintf(num[0], sizeof(num[0]), "%" PRIu64, s->id);
  snprintf(num[1], sizeof(num[1]), "%" PRIu32, s->slot);
  snprintf(num[2], sizeof(num[2]), "%" PRIu64, s->bytes);
  const char *vars[HOOK_VARS][2] = {
      {"MESHBEAT_TASK_ID", num[0]},     {"MESHBEAT_TASK_KIND", s->kind},
      {"MESHBEAT_ARRAY", s->array},     {"MESHBEAT_ARRAY_LEVEL", s->level},
      {"MESHBEAT_SLOT", num[1]},        {"MESHBEAT_TASK_BYTES", num[2]},
      {"MESHBEAT_SOURCES", s->sources}, {"MESHBEAT_TARGET", s->target},
      {"MESHBEAT_EXECUTOR", "hook"},
  };
  for (size_t v = 0; v < HOOK_VARS; v++) {
    snprintf(text, var_max, "%s=%s", vars[v][0], vars[v][1]);
    out[k++] = text;
    text += var_max;
  }
  out[k] = NULL;
  return out;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  (void)h;
  (void)hint;
  static const size_t cap = 4096;
  buf->base = malloc(cap);
  buf->len = buf->base ? cap : 0;
}

static void take_line(struct exec_slot *t) {
  uint64_t done;
  if (!t->line_overlong &&
      agent_progress_line(t->line, t->line_len, t->spec.bytes, &done) == 1)
    exec_slot_progress(t, done);
  t->line_len = 0;
  t->line_overlong = false;
}

static void take_bytes(struct exec_slot *t, const char *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (p[i] == '\n') {
      take_line(t);
    } else if (t->line_len < AGENT_PROGRESS_LINE_MAX) {
      t->line[t->line_len++] = p[i];
    } else {
      t->line_overlong = true;
    }
  }
}

static void maybe_over(struct exec_slot *t) {
  if (t->exited && t->eof && t->state != EXEC_CLOSING) {
    uv_timer_stop(&t->timer);
    exec_slot_end(t);
  }
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  struct exec_slot *t = s->data;
  if (n > 0)
    take_bytes(t, buf->base, (size_t)n);
  free(buf->base);
  if (n < 0) {
    if (t->line_len > 0)
      take_line(t); /* a last line without its newline */
    uv_read_stop(s);
    t->eof = true;
    maybe_over(t);
  }
}

/* The hook exited but something it started still holds its stdout: what
 * is left unread is not waited for. */
#define HOOK_DRAIN_MS 1000

static void on_drain_over(uv_timer_t *tm) {
  struct exec_slot *t = tm->data;
  if (!t->eof) {
    uv_read_stop((uv_stream_t *)&t->out);
    t->eof = true;
  }
  maybe_over(t);
}

static void on_hook_exit(uv_process_t *p, int64_t status, int sig) {
  struct exec_slot *t = p->data;
  t->exited = true;
  if (sig != 0) {
    t->result = AGENT_TASK_FAILED;
    t->detail = -sig;
  } else {
    t->result = status == 0 ? AGENT_TASK_DONE : AGENT_TASK_FAILED;
    t->detail = (int)status;
    if (status == 0)
      exec_slot_progress(t, t->spec.bytes);
  }
  if (!t->eof)
    uv_timer_start(&t->timer, on_drain_over, HOOK_DRAIN_MS, 0);
  maybe_over(t);
}

int exec_hook_start(struct exec_slot *t) {
  struct agent_executor *x = t->x;
  char **env = hook_environ(t);
  if (env == NULL)
    return -ENOMEM;
  uv_pipe_init(x->loop, &t->out, 0);
  uv_timer_init(x->loop, &t->timer);
  t->out.data = t->proc.data = t->timer.data = t;
  uv_stdio_container_t stdio[3] = {
      {.flags = UV_IGNORE},
      {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE,
       .data.stream = (uv_stream_t *)&t->out},
      {.flags = UV_INHERIT_FD, .data.fd = 2},
  };
  char *args[] = {"/bin/sh", "-c", x->command, "meshbeat-executor", NULL};
  uv_process_options_t po = {
      .exit_cb = on_hook_exit,
      .file = args[0],
      .args = args,
      .env = env,
      .flags = UV_PROCESS_DETACHED,
      .stdio_count = 3,
      .stdio = stdio,
  };
  int rc = uv_spawn(x->loop, &t->proc, &po);
  free(env);
  t->open = 3;
  if (rc != 0) {
    /* libuv wants the handles closed even when the spawn failed; the
     * slot is free once they are, and start's error is the report. */
    t->silent = true;
    exec_slot_end(t);
    return rc;
  }
  uv_read_start((uv_stream_t *)&t->out, on_alloc, on_read);
  return 0;
}

static void on_grace_over(uv_timer_t *tm) {
  struct exec_slot *t = tm->data;
  if (!t->exited)
    uv_kill(-t->proc.pid, SIGKILL);
}

void exec_hook_stop(struct exec_slot *t) {
  if (t->exited)
    return;
  uv_kill(-t->proc.pid, SIGTERM);
  uv_timer_start(&t->timer, on_grace_over, t->x->kill_grace_ms, 0);
}
