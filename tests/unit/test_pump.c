/*
 * The agent's core pump (src/agent/pump.h) on a real libuv loop, with two
 * or three test-double cores: each is ticked only when its own deadline
 * comes, the one timer is armed at the nearest deadline of all, an input
 * re-arms it, a core with nothing to do costs no wakeup, and a removed or
 * stopped core is ticked no more.  Deadlines are far enough apart (tens to
 * hundreds of ms) that a loaded machine cannot reorder them.
 */
#include "test_util.h"

#include "pump.h"

#define GUARD_MS 10000 /* a pump that never lets the loop end fails here */

struct fake {
  const char *name;
  uint64_t deadline; /* absolute loop ms, or AGENT_PUMP_NEVER */
  uint64_t period;   /* after a tick, due again this much later */
  int ticks_left;    /* then quiet for good (AGENT_PUMP_NEVER) */
  uint64_t stall_ms; /* a tick that holds the loop this long */
  int ticks, drains, asked;
  uint64_t ticked_at[8], late[8];
  void (*on_tick)(struct fake *f);
  struct agent_pump *pump;
  struct agent_core core;
  void *test; /* the test's own state, for on_tick */
};

/* A pump that spins (re-arming at a deadline long past) never lets libuv
 * reach the guard timer: it is caught here. */
#define ASKED_MAX 100000

static uint64_t fake_deadline(void *ctx) {
  struct fake *f = ctx;
  if (++f->asked > ASKED_MAX)
    fail_msg("%s: deadline asked %d times: the pump spins", f->name, f->asked);
  return f->deadline;
}

static void fake_tick(void *ctx, uint64_t now, uint64_t late_ms) {
  struct fake *f = ctx;
  if (f->ticks < 8) {
    f->ticked_at[f->ticks] = now;
    f->late[f->ticks] = late_ms;
  }
  f->ticks++;
  /* A stalled loop (a descheduled process, a slow disk), simulated. */
  for (uint64_t until = uv_hrtime() + f->stall_ms * 1000000;
       uv_hrtime() < until;)
    ;
  f->deadline = --f->ticks_left > 0 ? now + f->period : AGENT_PUMP_NEVER;
  if (f->on_tick != NULL)
    f->on_tick(f);
}

static void fake_drain(void *ctx) {
  ((struct fake *)ctx)->drains++;
}

static const struct agent_core_ops fake_ops = {.name = "fake",
                                               .next_deadline = fake_deadline,
                                               .tick = fake_tick,
                                               .drain = fake_drain};

struct world {
  uv_loop_t loop;
  uv_timer_t guard;
  struct agent_pump pump;
  bool timed_out;
  uint64_t t0;
};

static void on_guard(uv_timer_t *t) {
  struct world *w = t->data;
  w->timed_out = true;
  uv_stop(&w->loop);
}

static void world_open(struct world *w) {
  memset(w, 0, sizeof(*w));
  assert_int_equal(uv_loop_init(&w->loop), 0);
  uv_timer_init(&w->loop, &w->guard);
  w->guard.data = w;
  uv_timer_start(&w->guard, on_guard, GUARD_MS, 0);
  uv_unref((uv_handle_t *)&w->guard); /* does not keep the loop running */
  agent_pump_init(&w->pump, &w->loop);
  uv_update_time(&w->loop);
  w->t0 = uv_now(&w->loop);
}

/* The loop ends by itself once the pump's timer is stopped: nothing else
 * keeps it running. */
static void world_run(struct world *w) {
  uv_run(&w->loop, UV_RUN_DEFAULT);
  assert_false(w->timed_out);
  assert_false(uv_is_active((uv_handle_t *)&w->pump.timer));
}

static void world_close(struct world *w) {
  agent_pump_close(&w->pump);
  uv_close((uv_handle_t *)&w->guard, NULL);
  uv_run(&w->loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&w->loop), 0);
}

static void fake_add(struct world *w, struct fake *f, const char *name,
                     uint64_t in_ms, int ticks) {
  memset(f, 0, sizeof(*f));
  f->name = name;
  f->deadline = in_ms == AGENT_PUMP_NEVER ? in_ms : w->t0 + in_ms;
  f->ticks_left = ticks;
  f->period = 10;
  f->pump = &w->pump;
  agent_core_init(&f->core, &fake_ops, f);
  assert_ok(agent_pump_add(&w->pump, &f->core));
}

/* Registered first, due last: a pump that ticked every core at the first
 * deadline would tick `slow` at 20 ms, one that armed only the first
 * core's deadline would tick `fast` at 300 ms. */
static void test_each_core_ticks_only_when_due(void **state) {
  (void)state;
  struct world w;
  struct fake slow, fast;
  world_open(&w);
  fake_add(&w, &slow, "slow", 300, 1);
  fake_add(&w, &fast, "fast", 20, 1);
  world_run(&w);
  assert_int_equal(fast.ticks, 1);
  assert_int_equal(slow.ticks, 1);
  assert_true(fast.ticked_at[0] >= w.t0 + 20);
  assert_true(fast.ticked_at[0] < w.t0 + 300);
  assert_true(slow.ticked_at[0] >= w.t0 + 300);
  assert_int_equal(w.pump.wakeups, 2);
  world_close(&w);
}

static void test_armed_at_nearest_deadline(void **state) {
  (void)state;
  struct world w;
  struct fake a, b, quiet;
  world_open(&w);
  fake_add(&w, &a, "a", 500, 1);
  fake_add(&w, &quiet, "quiet", AGENT_PUMP_NEVER, 0);
  fake_add(&w, &b, "b", 200, 1);
  assert_int_equal(w.pump.armed_for, w.t0 + 200);
  assert_true(uv_timer_get_due_in(&w.pump.timer) <= 200);
  agent_pump_remove(&w.pump, &b.core);
  assert_int_equal(w.pump.armed_for, w.t0 + 500);
  assert_true(uv_timer_get_due_in(&w.pump.timer) > 200);
  agent_pump_remove(&w.pump, &a.core);
  assert_int_equal(w.pump.armed_for, AGENT_PUMP_NEVER);
  assert_false(uv_is_active((uv_handle_t *)&w.pump.timer));
  assert_rc(agent_pump_add(&w.pump, &quiet.core), MB_EINVAL); /* twice */
  world_close(&w);
}

struct input {
  uv_timer_t timer;
  struct fake *to;
  uint64_t armed_after; /* the pump's deadline right after the flush */
  int slow_ticks_then;
};

/* An input makes `idle` due in 30 ms; its owner flushes it. */
static void on_input(uv_timer_t *t) {
  struct input *in = t->data;
  uint64_t now = uv_now(t->loop);
  in->to->deadline = now + 30;
  agent_pump_flush(in->to->pump, &in->to->core);
  in->armed_after = in->to->pump->armed_for - now;
}

static void test_rearmed_after_input(void **state) {
  (void)state;
  struct world w;
  struct fake slow, idle;
  struct input in = {.to = &idle};
  world_open(&w);
  fake_add(&w, &slow, "slow", 400, 1);
  fake_add(&w, &idle, "idle", AGENT_PUMP_NEVER, 1);
  assert_int_equal(w.pump.armed_for, w.t0 + 400);
  uv_timer_init(&w.loop, &in.timer);
  in.timer.data = &in;
  uv_timer_start(&in.timer, on_input, 20, 0);
  world_run(&w);
  assert_int_equal(in.armed_after, 30);
  assert_int_equal(idle.ticks, 1);
  assert_true(idle.ticked_at[0] >= w.t0 + 50);
  assert_true(idle.ticked_at[0] < w.t0 + 400);
  assert_int_equal(idle.drains, 2); /* the input's flush, then the tick's */
  assert_int_equal(slow.ticks, 1);
  assert_true(slow.ticked_at[0] >= w.t0 + 400);
  uv_close((uv_handle_t *)&in.timer, NULL);
  world_close(&w);
}

static void test_never_costs_no_wakeups(void **state) {
  (void)state;
  struct world w;
  struct fake busy, quiet;
  world_open(&w);
  fake_add(&w, &quiet, "quiet", AGENT_PUMP_NEVER, 0);
  world_run(&w); /* returns at once: nothing is due, ever */
  assert_int_equal(w.pump.wakeups, 0);
  fake_add(&w, &busy, "busy", 10, 3);
  world_run(&w);
  assert_int_equal(busy.ticks, 3);
  assert_int_equal(w.pump.wakeups, 3);
  assert_int_equal(quiet.ticks, 0);
  assert_int_equal(quiet.drains, 0);
  world_close(&w);
}

static void remove_other(struct fake *f) {
  agent_pump_remove(f->pump, &((struct fake *)f->test)->core);
}

static void stop_at_second(struct fake *f) {
  if (f->ticks == 2)
    agent_pump_stop(f->pump);
}

static void test_remove_and_stop(void **state) {
  (void)state;
  struct world w;
  struct fake first, removed, endless;
  world_open(&w);
  fake_add(&w, &first, "first", 10, 1);
  fake_add(&w, &removed, "removed", 40, 1);
  first.on_tick = remove_other;
  first.test = &removed;
  world_run(&w);
  assert_int_equal(first.ticks, 1);
  assert_int_equal(removed.ticks, 0);
  /* A removed core's outputs are still routed; it arms nothing. */
  agent_pump_flush(&w.pump, &removed.core);
  assert_int_equal(removed.drains, 1);
  assert_false(uv_is_active((uv_handle_t *)&w.pump.timer));

  fake_add(&w, &endless, "endless", 10, 1000);
  endless.on_tick = stop_at_second;
  world_run(&w);
  assert_int_equal(endless.ticks, 2);
  agent_pump_flush(&w.pump, &endless.core); /* after the stop: no arming */
  assert_false(uv_is_active((uv_handle_t *)&w.pump.timer));
  assert_int_equal(endless.drains, 3);
  world_close(&w);
}

/* A core that holds the loop 80 ms makes the other late: each core's
 * lateness is measured from its own deadline. */
static void test_lateness_per_core(void **state) {
  (void)state;
  struct world w;
  struct fake staller, victim;
  world_open(&w);
  fake_add(&w, &staller, "staller", 10, 1);
  fake_add(&w, &victim, "victim", 30, 1);
  staller.stall_ms = 80;
  world_run(&w);
  assert_int_equal(staller.late[0], staller.ticked_at[0] - (w.t0 + 10));
  assert_int_equal(victim.late[0], victim.ticked_at[0] - (w.t0 + 30));
  assert_true(victim.late[0] >= 60);
  world_close(&w);
}

static void test_full(void **state) {
  (void)state;
  struct world w;
  struct fake f[AGENT_PUMP_MAX_CORES + 1];
  world_open(&w);
  for (size_t i = 0; i < AGENT_PUMP_MAX_CORES; i++)
    fake_add(&w, &f[i], "quiet", AGENT_PUMP_NEVER, 0);
  agent_core_init(&f[AGENT_PUMP_MAX_CORES].core, &fake_ops,
                  &f[AGENT_PUMP_MAX_CORES]);
  assert_rc(agent_pump_add(&w.pump, &f[AGENT_PUMP_MAX_CORES].core), MB_EFULL);
  world_close(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_each_core_ticks_only_when_due),
      cmocka_unit_test(test_armed_at_nearest_deadline),
      cmocka_unit_test(test_rearmed_after_input),
      cmocka_unit_test(test_never_costs_no_wakeups),
      cmocka_unit_test(test_remove_and_stop),
      cmocka_unit_test(test_lateness_per_core),
      cmocka_unit_test(test_full),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
