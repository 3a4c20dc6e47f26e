/*
 * The core pump (pump.h): one timer at the nearest deadline of all the
 * cores the agent runs.  When it fires, every core is judged against the
 * same now first, then the due ones are ticked and flushed in turn: a
 * core ticked first cannot make another look due or not due.
 */
#include "pump.h"

#include "mb_common.h"

#include <string.h>

static void on_pump_timer(uv_timer_t *t);

void agent_core_init(struct agent_core *c, const struct agent_core_ops *ops,
                     void *ctx) {
  *c = (struct agent_core){.ops = ops, .ctx = ctx, .due = AGENT_PUMP_NEVER};
}

void agent_pump_init(struct agent_pump *p, uv_loop_t *loop) {
  memset(p, 0, sizeof(*p));
  p->loop = loop;
  p->armed_for = AGENT_PUMP_NEVER;
  uv_timer_init(loop, &p->timer);
  p->timer.data = p;
}

/* A deadline already past is due now: lateness counts from when the pump
 * could first have run it, not from a deadline the core missed while it
 * was busy with input. */
static void note_due(struct agent_pump *p, struct agent_core *c) {
  uint64_t now = uv_now(p->loop), at = c->ops->next_deadline(c->ctx);
  c->due = at == AGENT_PUMP_NEVER ? AGENT_PUMP_NEVER : at > now ? at : now;
}

static uint64_t nearest_due(const struct agent_pump *p) {
  uint64_t at = AGENT_PUMP_NEVER;
  for (size_t i = 0; i < p->n_cores; i++)
    if (p->cores[i]->due < at)
      at = p->cores[i]->due;
  return at;
}

static void arm(struct agent_pump *p) {
  if (p->stopped)
    return;
  uint64_t at = nearest_due(p), now = uv_now(p->loop);
  if (at == p->armed_for && uv_is_active((uv_handle_t *)&p->timer))
    return;
  p->armed_for = at;
  if (at == AGENT_PUMP_NEVER)
    uv_timer_stop(&p->timer); /* nothing due: no wakeup at all */
  else
    uv_timer_start(&p->timer, on_pump_timer, at > now ? at - now : 0, 0);
}

int agent_pump_add(struct agent_pump *p, struct agent_core *c) {
  if (c->registered)
    return MB_EINVAL;
  if (p->n_cores == AGENT_PUMP_MAX_CORES)
    return MB_EFULL;
  p->cores[p->n_cores++] = c;
  c->registered = true;
  note_due(p, c);
  arm(p);
  return MB_OK;
}

void agent_pump_flush(struct agent_pump *p, struct agent_core *c) {
  c->ops->drain(c->ctx);
  if (!c->registered || p->stopped)
    return;
  note_due(p, c);
  arm(p);
}

void agent_pump_remove(struct agent_pump *p, struct agent_core *c) {
  for (size_t i = 0; i < p->n_cores; i++)
    if (p->cores[i] == c) {
      memmove(&p->cores[i], &p->cores[i + 1],
              (p->n_cores - i - 1) * sizeof(p->cores[0]));
      p->n_cores--;
      break;
    }
  c->registered = false;
  c->due = AGENT_PUMP_NEVER;
  arm(p);
}

void agent_pump_stop(struct agent_pump *p) {
  p->stopped = true;
  p->armed_for = AGENT_PUMP_NEVER;
  uv_timer_stop(&p->timer);
}

void agent_pump_close(struct agent_pump *p) {
  agent_pump_stop(p);
  if (!uv_is_closing((uv_handle_t *)&p->timer))
    uv_close((uv_handle_t *)&p->timer, NULL);
}

static void on_pump_timer(uv_timer_t *t) {
  struct agent_pump *p = t->data;
  uv_update_time(p->loop); /* the loop's time is from before its timers */
  uint64_t now = uv_now(p->loop);
  struct agent_core *due[AGENT_PUMP_MAX_CORES];
  size_t n = 0;
  p->wakeups++;
  p->armed_for = AGENT_PUMP_NEVER;
  for (size_t i = 0; i < p->n_cores; i++)
    if (p->cores[i]->ops->next_deadline(p->cores[i]->ctx) <= now)
      due[n++] = p->cores[i];
  for (size_t i = 0; i < n && !p->stopped; i++) {
    struct agent_core *c = due[i];
    if (!c->registered) /* removed by a core ticked before it */
      continue;
    c->ops->tick(c->ctx, now, now > c->due ? now - c->due : 0);
    agent_pump_flush(p, c);
  }
  arm(p);
}
