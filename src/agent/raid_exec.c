/*
 * The coordinator's tasks for this device, run by the executor
 * (executor.h, docs/raid.md "The executor's contract"): a task start
 * becomes a spec in words (the array's level, the sources' names), and
 * the executor's progress and result go back into the coordinator, which
 * puts them in our heartbeat for the leader to commit.  A hook that fails
 * is reported as failed: the leader's stall timeout gives the task to
 * another target.
 */
#include "raid_state.h"

#include <stdio.h>
#include <string.h>

static void on_progress(void *ctx, uint64_t task, uint64_t done) {
  struct agent_raid *r = ctx;
  if (r->stopping)
    return;
  mb_coord_task_progress(r->coord, agent_now(r->a), task, done);
  agent_raid_flush(r->a);
}

static void on_finished(void *ctx, uint64_t task, enum agent_task_result result,
                        int detail, uint64_t done) {
  struct agent_raid *r = ctx;
  if (result == AGENT_TASK_CANCELLED || r->stopping)
    return; /* the coordinator asked for it, or we are leaving */
  struct agent *a = r->a;
  if (result == AGENT_TASK_DONE) {
    r->counters.tasks_done++;
    agent_log(a->log, MB_LOG_INFO,
              json_pack("{s:I, s:I}", "task", (json_int_t)task, "bytes",
                        (json_int_t)done),
              "raid: task %llu done", (unsigned long long)task);
  } else {
    r->counters.tasks_failed++;
    agent_log(
        a->log, MB_LOG_WARN,
        json_pack("{s:I, s:i}", "task", (json_int_t)task, "detail", detail),
        "raid: task %llu failed (%s %d); it will be given to another "
        "target once it stalls",
        (unsigned long long)task, detail < 0 ? "signal" : "exit status",
        detail < 0 ? -detail : detail);
  }
  mb_coord_task_finished(r->coord, agent_now(a), task,
                         result == AGENT_TASK_DONE ? 0 : MB_EINVAL);
  agent_raid_flush(a);
}

int agent_raid_exec_open(struct agent_raid *r) {
  const struct mb_agent_raid_config *c = &r->a->cfg->raid;
  struct agent_executor_options o = {.command = c->executor,
                                     .builtin_rate = c->builtin_rate_bytes};
  struct agent_executor_events ev = {
      .ctx = r, .progress = on_progress, .finished = on_finished};
  r->x = agent_executor_new(&r->a->loop, &o, &ev);
  return r->x != NULL ? MB_OK : -ENOMEM;
}

/* The array's level, by name: from the replica or the publication. */
static void array_level(struct mb_coord *c, const char *array, char *out,
                        size_t cap) {
  struct mb_raid_array_info ai;
  for (size_t i = 0; i < mb_coord_array_count(c); i++)
    if (mb_coord_array_at(c, i, &ai) == MB_OK && strcmp(ai.name, array) == 0) {
      snprintf(out, cap, "%s", mb_raid_level_name(ai.level));
      return;
    }
  snprintf(out, cap, "unknown");
}

static void spec_of(struct agent_raid *r, const struct mb_raid_task_info *t,
                    struct agent_task_spec *s) {
  struct agent *a = r->a;
  memset(s, 0, sizeof(*s));
  s->id = t->id;
  snprintf(s->kind, sizeof(s->kind), "%s", mb_raid_task_kind_name(t->kind));
  snprintf(s->array, sizeof(s->array), "%s", t->array);
  array_level(r->coord, t->array, s->level, sizeof(s->level));
  s->slot = t->slot;
  s->bytes = t->bytes;
  snprintf(s->target, sizeof(s->target), "%s", a->name);
  size_t len = 0;
  for (size_t i = 0; i < t->n_sources; i++) {
    char name[MB_NAME_MAX + 1];
    agent_raid_name_of(a, t->sources[i], name, sizeof(name));
    int n = snprintf(s->sources + len, sizeof(s->sources) - len, "%s%s",
                     len ? " " : "", name);
    if (n < 0 || (size_t)n >= sizeof(s->sources) - len)
      break;
    len += (size_t)n;
  }
}

void agent_raid_task_start(struct agent_raid *r,
                           const struct mb_raid_task_info *t) {
  struct agent *a = r->a;
  if (r->x == NULL || r->stopping)
    return;
  struct agent_task_spec spec;
  spec_of(r, t, &spec);
  int rc = agent_executor_start(r->x, &spec);
  if (rc == MB_EHELD)
    return; /* runs already */
  json_t *fields =
      json_pack("{s:I, s:s, s:s, s:i, s:I, s:s}", "task", (json_int_t)t->id,
                "kind", spec.kind, "array", spec.array, "slot", (int)spec.slot,
                "bytes", (json_int_t)spec.bytes, "sources", spec.sources);
  if (rc != MB_OK) {
    agent_log(a->log, MB_LOG_ERROR, fields, "raid: cannot start task %llu: %s",
              (unsigned long long)t->id, mb_strerror(rc));
    mb_coord_task_finished(r->coord, agent_now(a), t->id, rc);
    return;
  }
  r->counters.tasks_started++;
  agent_log(a->log, MB_LOG_INFO, fields,
            "raid: task %llu started: %s of %s "
            "slot %u",
            (unsigned long long)t->id, spec.kind, spec.array, spec.slot);
}

void agent_raid_task_cancel(struct agent_raid *r, uint64_t task) {
  if (r->x == NULL || agent_executor_cancel(r->x, task) != 0)
    return;
  r->counters.tasks_cancelled++;
  agent_log(r->a->log, MB_LOG_INFO,
            json_pack("{s:I}", "task", (json_int_t)task),
            "raid: task %llu cancelled", (unsigned long long)task);
}
