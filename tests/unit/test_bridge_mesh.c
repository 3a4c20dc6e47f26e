/*
 * The bridge's logic driven by real gossip cores (the in-process mesh of
 * swim_fixture.c), as the agent and the simulator will drive it: every
 * member turns its own core's view into bridge members, elects, and
 * derives transitions.  A crash of the active bridge hands over to the
 * same member everywhere and gives one offline id mesh-wide; its restart
 * one online; a crash shorter than offline_after gives nothing anywhere.
 */
#include "bridge_fixture.h"
#include "swim_fixture.h"

#include <stdlib.h>

#define NODES 6
#define STEP_MS 100
#define MAX_LOG 16

struct member_bridge {
  struct mb_bridge_transitions *t;
  struct mb_bridge_election e;
  struct mb_bridge_event log[MAX_LOG];
  int n;
};

static struct fixture fx;
static struct member_bridge mb[NODES];
static uint64_t offline_after;

static void start(uint64_t after) {
  offline_after = after;
  fx_start_converged(&fx, NODES);
  for (int i = 0; i < NODES; i++) {
    memset(&mb[i], 0, sizeof(mb[i]));
    mb[i].t = mb_bridge_transitions_new(FX_CLUSTER, offline_after);
    assert_non_null(mb[i].t);
  }
}

static void stop(void) {
  for (int i = 0; i < NODES; i++)
    mb_bridge_transitions_free(mb[i].t);
  fx_free(&fx);
}

/* What a driver does on each of its bridge ticks. */
static void pump_one(int i) {
  static struct mb_bridge_member view[FX_MAX_NODES];
  size_t n = swim_member_count(fx.node[i]);
  assert_true(n <= FX_MAX_NODES);
  for (size_t k = 0; k < n; k++) {
    struct swim_member_info info;
    assert_ok(swim_member_get(fx.node[i], k, &info));
    mb_bridge_member_from_swim(&view[k], &info, true);
  }
  assert_ok(mb_bridge_elect(FX_CLUSTER, view, n, &mb[i].e));
  int rc = mb_bridge_transitions_step(mb[i].t, fx.now, view, n,
                                      &mb[i].log[mb[i].n], MAX_LOG - mb[i].n);
  assert_true(rc >= 0 && mb[i].n + rc < MAX_LOG);
  mb[i].n += rc;
}

static void run_for(uint64_t ms) {
  uint64_t end = fx.now + ms;
  while (fx.now < end) {
    fx_run_until(&fx, fx.now + STEP_MS);
    for (int i = 0; i < NODES; i++)
      if (!fx.down[i])
        pump_one(i);
  }
}

static bool all_see(int subject, enum swim_state st) {
  for (int i = 0; i < NODES; i++)
    if (i != subject && !fx.down[i] && fx_state(&fx, i, subject) != (int)st)
      return false;
  return true;
}

static void run_until_all_see(int subject, enum swim_state st) {
  for (int waited = 0; !all_see(subject, st); waited += STEP_MS) {
    assert_true(waited < 60000);
    run_for(STEP_MS);
  }
}

static int active_of(int i) {
  assert_true(mb[i].e.have);
  for (int j = 0; j < NODES; j++)
    if (memcmp(mb[i].e.active, fx.id[j].pk, MB_NODE_ID_LEN) == 0)
      return j;
  fail_msg("node %d elected a bridge that is no node", i);
  return -1;
}

/* Every running node elects the same bridge; returns it. */
static int agreed_bridge(void) {
  int first = -1;
  for (int i = 0; i < NODES; i++) {
    if (fx.down[i])
      continue;
    int a = active_of(i);
    if (first < 0)
      first = a;
    assert_int_equal(a, first);
    assert_int_equal(mb[i].e.self_active, i == a);
  }
  return first;
}

static void restart(int i, uint64_t incarnation) {
  fx_start_node(&fx, i, incarnation);
  struct mb_addr seed = fx_addr(i == 0 ? 1 : 0);
  swim_join(fx.node[i], fx.now, &seed, 1);
  fx_drain(&fx, i);
  /* its tracker restarts too, from its persisted episodes */
  const struct mb_bridge_episode *eps;
  size_t n = mb_bridge_transitions_episodes(mb[i].t, &eps);
  struct mb_bridge_transitions *t =
      mb_bridge_transitions_new(FX_CLUSTER, offline_after);
  assert_non_null(t);
  assert_ok(mb_bridge_transitions_restore(t, eps, n));
  mb_bridge_transitions_free(mb[i].t);
  mb[i].t = t;
}

static void the_bridge_s_crash_hands_over_and_is_reported_once(void **state) {
  (void)state;
  start(0);
  run_for(STEP_MS);
  int first = agreed_bridge();
  uint64_t inc = fx_incarnation(&fx, (first + 1) % NODES, first);
  fx.down[first] = true;
  run_until_all_see(first, SWIM_DEAD);
  run_for(STEP_MS);
  int second = agreed_bridge();
  assert_int_not_equal(second, first);
  char offline_id[MB_BRIDGE_EVENT_ID_LEN + 1];
  mb_bridge_event_id(offline_id, FX_CLUSTER, fx.id[first].pk,
                     MB_BRIDGE_EV_OFFLINE, inc);
  for (int i = 0; i < NODES; i++) {
    if (i == first)
      continue;
    assert_int_equal(mb[i].n, 1);
    assert_string_equal(mb[i].log[0].id, offline_id);
  }
  /* back with a newer incarnation: one online everywhere, and the role
   * goes back to it */
  restart(first, inc + 1);
  run_until_all_see(first, SWIM_ALIVE);
  run_for(3000);
  assert_int_equal(agreed_bridge(), first);
  for (int i = 0; i < NODES; i++) {
    if (i == first) {
      assert_int_equal(mb[i].n, 0); /* it never saw itself dead */
      continue;
    }
    assert_int_equal(mb[i].n, 2);
    assert_int_equal(mb[i].log[1].type, MB_BRIDGE_EV_ONLINE);
    assert_string_equal(mb[i].log[1].ends, offline_id);
    assert_string_equal(mb[i].log[1].id, mb[(first + 1) % NODES].log[1].id);
  }
  stop();
}

static void a_crash_shorter_than_offline_after_is_no_event(void **state) {
  (void)state;
  const uint64_t after = 30000;
  start(after);
  const int victim = 3;
  /* longer than offline_after: a death must count from its own time */
  run_for(after + 1000);
  uint64_t inc = fx_incarnation(&fx, 0, victim);
  fx.down[victim] = true;
  run_until_all_see(victim, SWIM_DEAD);
  restart(victim, inc + 1);
  run_until_all_see(victim, SWIM_ALIVE);
  run_for(after + 5000);
  for (int i = 0; i < NODES; i++)
    assert_int_equal(mb[i].n, 0);
  /* a longer one is reported, once, under one id */
  inc = fx_incarnation(&fx, 0, victim);
  fx.down[victim] = true;
  run_until_all_see(victim, SWIM_DEAD);
  run_for(after + 5000);
  for (int i = 0; i < NODES; i++) {
    if (i == victim)
      continue;
    assert_int_equal(mb[i].n, 1);
    assert_int_equal(mb[i].log[0].type, MB_BRIDGE_EV_OFFLINE);
    assert_int_equal(mb[i].log[0].incarnation, inc);
    assert_string_equal(mb[i].log[0].id, mb[0].log[0].id);
  }
  stop();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(the_bridge_s_crash_hands_over_and_is_reported_once),
      cmocka_unit_test(a_crash_shorter_than_offline_after_is_no_event),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
