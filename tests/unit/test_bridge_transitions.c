/*
 * machine.offline / machine.online: one event per transition, under an id
 * any member derives alike, never twice across restarts, and nothing for
 * a member that comes back within offline_after.
 */
#include "bridge_fixture.h"

#include <stdlib.h>

#define MAX_EVENTS 64

struct run {
  struct mb_bridge_transitions *t;
  struct mb_bridge_event ev[MAX_EVENTS];
  int n;
};

static struct mb_bridge_transitions *tracker(uint64_t offline_after) {
  struct mb_bridge_transitions *t =
      mb_bridge_transitions_new(FIX_CLUSTER, offline_after);
  assert_non_null(t);
  return t;
}

static int step(struct mb_bridge_transitions *t, uint64_t now,
                const struct mb_bridge_member *v, size_t n,
                struct mb_bridge_event *out) {
  int rc = mb_bridge_transitions_step(t, now, v, n, out, MAX_EVENTS);
  assert_true(rc >= 0 && rc < MAX_EVENTS);
  return rc;
}

static void expect_id(const struct mb_bridge_event *ev,
                      enum mb_bridge_event_type type, unsigned member,
                      uint64_t inc) {
  char id[MB_BRIDGE_EVENT_ID_LEN + 1];
  uint8_t mid[MB_NODE_ID_LEN];
  fix_id(mid, member);
  mb_bridge_event_id(id, FIX_CLUSTER, mid, type, inc);
  assert_int_equal(ev->type, type);
  assert_string_equal(ev->id, id);
  assert_memory_equal(ev->member, mid, MB_NODE_ID_LEN);
  assert_int_equal(ev->incarnation, inc);
}

static void a_death_is_reported_once(void **state) {
  (void)state;
  struct mb_bridge_transitions *t = tracker(0);
  struct mb_bridge_member v[3] = {fix_member(1, SWIM_ALIVE, 1, 0),
                                  fix_member(2, SWIM_ALIVE, 1, 0),
                                  fix_member(3, SWIM_ALIVE, 1, 0)};
  struct mb_bridge_event ev[MAX_EVENTS];
  assert_int_equal(step(t, 100, v, 3, ev), 0);
  v[1].state = SWIM_DEAD, v[1].state_since_ms = 200;
  assert_int_equal(step(t, 200, v, 3, ev), 1);
  expect_id(&ev[0], MB_BRIDGE_EV_OFFLINE, 2, 1);
  assert_string_equal(ev[0].name, "node-2");
  assert_string_equal(ev[0].ends, "");
  for (uint64_t now = 300; now < 5000; now += 700)
    assert_int_equal(step(t, now, v, 3, ev), 0);
  const struct mb_bridge_episode *eps;
  assert_int_equal(mb_bridge_transitions_episodes(t, &eps), 1);
  assert_int_equal(eps[0].incarnation, 1);
  mb_bridge_transitions_free(t);
}

/* A member held out for flapping is dead in the view at the incarnation
 * it restarted with: that is no revival (no online) and no new death (no
 * offline of a running member); when the hold ends and it is let back in,
 * the online of its last real death follows. */
static void a_flapping_member_held_out_reports_nothing(void **state) {
  (void)state;
  for (int after = 0; after <= 1; after++) {
    struct mb_bridge_transitions *t = tracker(after ? 120000 : 0);
    struct mb_bridge_member v[2] = {fix_member(1, SWIM_ALIVE, 1, 0),
                                    fix_member(2, SWIM_DEAD, 3, 1000)};
    struct mb_bridge_event ev[MAX_EVENTS];
    int n = step(t, 1000 + (after ? 120000 : 0), v, 2, ev);
    assert_int_equal(n, 1);                  /* its third death: reported */
    v[1].incarnation = 11, v[1].held = true; /* restarted, held out */
    for (uint64_t now = 200000; now < 400000; now += 50000)
      assert_int_equal(step(t, now, v, 2, ev), 0);
    v[1].held = false, v[1].state = SWIM_ALIVE; /* the hold is over */
    assert_int_equal(step(t, 400000, v, 2, ev), 1);
    expect_id(&ev[0], MB_BRIDGE_EV_ONLINE, 2, 3);
    mb_bridge_transitions_free(t);
  }
}

static void offline_waits_for_offline_after(void **state) {
  (void)state;
  const uint64_t after = 120000;
  struct mb_bridge_transitions *t = tracker(after);
  struct mb_bridge_member v[2] = {fix_member(1, SWIM_ALIVE, 1, 0),
                                  fix_member(2, SWIM_DEAD, 4, 1000)};
  struct mb_bridge_event ev[MAX_EVENTS];
  assert_int_equal(step(t, 1000, v, 2, ev), 0);
  assert_int_equal(mb_bridge_transitions_next_due(t), 1000 + after);
  assert_int_equal(step(t, 1000 + after - 1, v, 2, ev), 0);
  assert_int_equal(step(t, 1000 + after, v, 2, ev), 1);
  expect_id(&ev[0], MB_BRIDGE_EV_OFFLINE, 2, 4);
  assert_int_equal(mb_bridge_transitions_next_due(t), UINT64_MAX);
  assert_int_equal(step(t, 1000 + 2 * after, v, 2, ev), 0);
  mb_bridge_transitions_free(t);
}

static void flapping_within_offline_after_yields_nothing(void **state) {
  (void)state;
  struct mb_bridge_transitions *t = tracker(120000);
  struct mb_bridge_member m = fix_member(1, SWIM_ALIVE, 1, 0);
  struct mb_bridge_event ev[MAX_EVENTS];
  uint64_t now = 0;
  for (uint64_t inc = 1; inc < 20; inc++) {
    m.state = SWIM_DEAD, m.incarnation = inc, m.state_since_ms = now;
    now += 60000; /* dead for half of offline_after */
    assert_int_equal(step(t, now, &m, 1, ev), 0);
    m.state = SWIM_ALIVE, m.incarnation = inc + 1, m.state_since_ms = now;
    now += 1000;
    assert_int_equal(step(t, now, &m, 1, ev), 0);
  }
  const struct mb_bridge_episode *eps;
  assert_int_equal(mb_bridge_transitions_episodes(t, &eps), 0);
  mb_bridge_transitions_free(t);
}

static void online_ends_the_offline_it_pairs_with(void **state) {
  (void)state;
  struct mb_bridge_transitions *t = tracker(0);
  struct mb_bridge_member m = fix_member(7, SWIM_DEAD, 3, 10);
  struct mb_bridge_event ev[MAX_EVENTS];
  assert_int_equal(step(t, 10, &m, 1, ev), 1);
  char offline_id[MB_BRIDGE_EVENT_ID_LEN + 1];
  strcpy(offline_id, ev[0].id);
  /* suspect at the dead incarnation is stale news: nothing */
  m.state = SWIM_SUSPECT;
  assert_int_equal(step(t, 20, &m, 1, ev), 0);
  m.state = SWIM_ALIVE, m.incarnation = 4, m.state_since_ms = 30;
  assert_int_equal(step(t, 30, &m, 1, ev), 1);
  expect_id(&ev[0], MB_BRIDGE_EV_ONLINE, 7, 3);
  assert_string_equal(ev[0].ends, offline_id);
  assert_string_not_equal(ev[0].id, offline_id);
  assert_int_equal(step(t, 40, &m, 1, ev), 0);
  mb_bridge_transitions_free(t);
}

/* Dead again at a newer incarnation, the revival in between unseen: the
 * old episode still ends with its online, then the new death opens one. */
static void a_missed_revival_still_closes_the_episode(void **state) {
  (void)state;
  struct mb_bridge_transitions *t = tracker(0);
  struct mb_bridge_member m = fix_member(2, SWIM_DEAD, 3, 0);
  struct mb_bridge_event ev[MAX_EVENTS];
  assert_int_equal(step(t, 0, &m, 1, ev), 1);
  m.incarnation = 5, m.state_since_ms = 50;
  assert_int_equal(step(t, 50, &m, 1, ev), 2);
  expect_id(&ev[0], MB_BRIDGE_EV_ONLINE, 2, 3);
  expect_id(&ev[1], MB_BRIDGE_EV_OFFLINE, 2, 5);
  mb_bridge_transitions_free(t);
}

static void a_leave_is_no_failure_and_no_recovery(void **state) {
  (void)state;
  struct mb_bridge_transitions *t = tracker(0);
  struct mb_bridge_member m[2] = {fix_member(1, SWIM_LEFT, 2, 0),
                                  fix_member(2, SWIM_DEAD, 2, 0)};
  struct mb_bridge_event ev[MAX_EVENTS];
  assert_int_equal(step(t, 0, m, 2, ev), 1);
  expect_id(&ev[0], MB_BRIDGE_EV_OFFLINE, 2, 2);
  /* member 2 comes back only to leave: still nothing to announce */
  m[1].state = SWIM_LEFT, m[1].incarnation = 3;
  assert_int_equal(step(t, 10, m, 2, ev), 0);
  /* ... and when it rejoins, its offline ends */
  m[1].state = SWIM_ALIVE, m[1].incarnation = 4;
  assert_int_equal(step(t, 20, m, 2, ev), 1);
  expect_id(&ev[0], MB_BRIDGE_EV_ONLINE, 2, 2);
  mb_bridge_transitions_free(t);
}

/* A member reaped from the view keeps its episode: its return is still
 * an online. */
static void a_member_missing_from_the_view_keeps_its_episode(void **state) {
  (void)state;
  struct mb_bridge_transitions *t = tracker(0);
  struct mb_bridge_member m = fix_member(5, SWIM_DEAD, 1, 0);
  struct mb_bridge_event ev[MAX_EVENTS];
  assert_int_equal(step(t, 0, &m, 1, ev), 1);
  assert_int_equal(step(t, 10, NULL, 0, ev), 0);
  m.state = SWIM_ALIVE, m.incarnation = 2;
  assert_int_equal(step(t, 20, &m, 1, ev), 1);
  expect_id(&ev[0], MB_BRIDGE_EV_ONLINE, 5, 1);
  mb_bridge_transitions_free(t);
}

/* ---- two members, one history ---------------------------------------- */

#define MESH 6
#define ROUNDS 300

/* The history: each round one member dies (at its incarnation) or
 * revives (at the next); the truth both observers sample. */
struct history {
  enum swim_state state[ROUNDS][MESH];
  uint64_t inc[ROUNDS][MESH];
};

static void make_history(struct history *h, uint64_t seed) {
  struct mb_rng r;
  mb_rng_seed(&r, seed);
  enum swim_state st[MESH];
  uint64_t inc[MESH];
  for (int m = 0; m < MESH; m++)
    st[m] = SWIM_ALIVE, inc[m] = 1;
  for (int round = 0; round < ROUNDS; round++) {
    int m = (int)mb_rng_below(&r, MESH);
    if (st[m] == SWIM_DEAD)
      st[m] = SWIM_ALIVE, inc[m]++;
    else if (mb_rng_below(&r, 4) == 0)
      st[m] = SWIM_SUSPECT;
    else
      st[m] = SWIM_DEAD;
    memcpy(h->state[round], st, sizeof(st));
    memcpy(h->inc[round], inc, sizeof(inc));
  }
}

struct observer {
  struct mb_bridge_transitions *t;
  struct mb_bridge_event log[2 * ROUNDS];
  int n;
  uint64_t since[MESH];
  enum swim_state seen[MESH];
};

static void observe(struct observer *o, const struct history *h, int round,
                    uint64_t now, const int order[MESH]) {
  struct mb_bridge_member v[MESH];
  for (int k = 0; k < MESH; k++) {
    int m = order[k];
    if (h->state[round][m] != o->seen[m])
      o->since[m] = now, o->seen[m] = h->state[round][m];
    v[k] = fix_member((unsigned)m + 1, h->state[round][m], h->inc[round][m],
                      o->since[m]);
  }
  struct mb_bridge_event ev[4];
  int rc;
  /* a small cap on purpose: the rest must follow on the next call */
  while ((rc = mb_bridge_transitions_step(o->t, now, v, MESH, ev, 4)) > 0) {
    assert_true(o->n + rc <= 2 * ROUNDS);
    memcpy(&o->log[o->n], ev, (size_t)rc * sizeof(ev[0]));
    o->n += rc;
  }
  assert_int_equal(rc, 0);
}

/* What a driver persists with each event and reads back after a crash. */
static void restart(struct observer *o, uint64_t offline_after) {
  const struct mb_bridge_episode *eps;
  size_t n = mb_bridge_transitions_episodes(o->t, &eps);
  struct mb_bridge_episode saved[MESH];
  assert_true(n <= MESH);
  memcpy(saved, eps, n * sizeof(*eps));
  mb_bridge_transitions_free(o->t);
  o->t = tracker(offline_after);
  assert_ok(mb_bridge_transitions_restore(o->t, saved, n));
}

static void expect_same_events(const struct observer *a,
                               const struct observer *b) {
  assert_int_equal(a->n, b->n);
  for (int i = 0; i < a->n; i++) {
    /* per member, in the same order; across members the order may differ */
    int j = 0;
    while (j < b->n && strcmp(a->log[i].id, b->log[j].id) != 0)
      j++;
    assert_true(j < b->n);
    char *body_a, *body_b;
    assert_ok(mb_bridge_event_body(&a->log[i], &body_a));
    assert_ok(mb_bridge_event_body(&b->log[j], &body_b));
    assert_string_equal(body_a, body_b);
    free(body_a), free(body_b);
    for (int k = i + 1; k < a->n; k++)
      assert_string_not_equal(a->log[i].id, a->log[k].id);
  }
}

static void two_members_derive_the_same_ids(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 20; seed++) {
    static struct history h;
    make_history(&h, seed);
    static struct observer a, b;
    memset(&a, 0, sizeof(a)), memset(&b, 0, sizeof(b));
    a.t = tracker(0), b.t = tracker(0);
    struct mb_rng r;
    mb_rng_seed(&r, seed * 1000);
    int order_a[MESH], order_b[MESH];
    for (int m = 0; m < MESH; m++)
      order_a[m] = m, order_b[m] = MESH - 1 - m;
    uint64_t now_b = 5000;
    for (int round = 0; round < ROUNDS; round++) {
      observe(&a, &h, round, (uint64_t)round * 1000, order_a);
      now_b += 1 + mb_rng_below(&r, 3000); /* its own clock and pace */
      observe(&b, &h, round, now_b, order_b);
      if (mb_rng_below(&r, 25) == 0)
        restart(&b, 0); /* b crashes and comes back from its store */
    }
    expect_same_events(&a, &b);
    assert_true(a.n > 10); /* the history did exercise the tracker */
    mb_bridge_transitions_free(a.t), mb_bridge_transitions_free(b.t);
  }
}

static void a_restart_reports_nothing_twice(void **state) {
  (void)state;
  struct mb_bridge_transitions *t = tracker(1000);
  struct mb_bridge_member v[3] = {fix_member(1, SWIM_DEAD, 2, 0),
                                  fix_member(2, SWIM_DEAD, 9, 0),
                                  fix_member(3, SWIM_ALIVE, 1, 0)};
  struct mb_bridge_event ev[MAX_EVENTS];
  assert_int_equal(step(t, 1000, v, 3, ev), 2);
  const struct mb_bridge_episode *eps;
  size_t n = mb_bridge_transitions_episodes(t, &eps);
  struct mb_bridge_episode saved[3];
  memcpy(saved, eps, n * sizeof(*eps));
  mb_bridge_transitions_free(t);

  /* after the restart the restored view's clock starts again */
  t = tracker(1000);
  assert_ok(mb_bridge_transitions_restore(t, saved, n));
  v[0].state_since_ms = v[1].state_since_ms = 0;
  assert_int_equal(step(t, 5000, v, 3, ev), 0);
  v[0].state = SWIM_ALIVE, v[0].incarnation = 3;
  assert_int_equal(step(t, 6000, v, 3, ev), 1);
  expect_id(&ev[0], MB_BRIDGE_EV_ONLINE, 1, 2);
  mb_bridge_transitions_free(t);
}

/* Without the restored episodes, the same view would report again: what
 * the test above relies on is the persisted state, not luck. */
static void a_restart_without_its_state_would_repeat(void **state) {
  (void)state;
  struct mb_bridge_transitions *t = tracker(0);
  struct mb_bridge_member m = fix_member(1, SWIM_DEAD, 2, 0);
  struct mb_bridge_event first[MAX_EVENTS], again[MAX_EVENTS];
  assert_int_equal(step(t, 0, &m, 1, first), 1);
  mb_bridge_transitions_free(t);
  t = tracker(0);
  assert_int_equal(step(t, 0, &m, 1, again), 1);
  /* ... under the same id, which is what lets a receiver drop it */
  assert_string_equal(first[0].id, again[0].id);
  mb_bridge_transitions_free(t);
}

static void ids_name_cluster_member_type_and_incarnation(void **state) {
  (void)state;
  uint8_t a[MB_NODE_ID_LEN], b[MB_NODE_ID_LEN];
  fix_id(a, 1), fix_id(b, 2);
  char base[MB_BRIDGE_EVENT_ID_LEN + 1], other[MB_BRIDGE_EVENT_ID_LEN + 1];
  mb_bridge_event_id(base, "c", a, MB_BRIDGE_EV_OFFLINE, 1);
  assert_int_equal(strlen(base), MB_BRIDGE_EVENT_ID_LEN);
  assert_memory_equal(base, "evt_", 4);
  mb_bridge_event_id(other, "c", a, MB_BRIDGE_EV_OFFLINE, 1);
  assert_string_equal(base, other);
  mb_bridge_event_id(other, "d", a, MB_BRIDGE_EV_OFFLINE, 1);
  assert_string_not_equal(base, other);
  mb_bridge_event_id(other, "c", b, MB_BRIDGE_EV_OFFLINE, 1);
  assert_string_not_equal(base, other);
  mb_bridge_event_id(other, "c", a, MB_BRIDGE_EV_ONLINE, 1);
  assert_string_not_equal(base, other);
  mb_bridge_event_id(other, "c", a, MB_BRIDGE_EV_OFFLINE, 2);
  assert_string_not_equal(base, other);
}

static void restore_merges_duplicates(void **state) {
  (void)state;
  struct mb_bridge_transitions *t = tracker(0);
  struct mb_bridge_episode eps[3];
  fix_id(eps[0].member, 1), eps[0].incarnation = 2;
  fix_id(eps[1].member, 1), eps[1].incarnation = 5;
  fix_id(eps[2].member, 2), eps[2].incarnation = 1;
  assert_ok(mb_bridge_transitions_restore(t, eps, 3));
  const struct mb_bridge_episode *held;
  assert_int_equal(mb_bridge_transitions_episodes(t, &held), 2);
  struct mb_bridge_member m = fix_member(1, SWIM_DEAD, 5, 0);
  struct mb_bridge_event ev[MAX_EVENTS];
  assert_int_equal(step(t, 0, &m, 1, ev), 0);
  mb_bridge_transitions_free(t);
}

/* At a handover the new bridge merges the old one's episodes: it does not
 * repeat the offline, and it sends the online its own view would not have
 * (the death was shorter than offline_after as it measured it). */
static void an_announced_episode_is_ended_by_the_next_bridge(void **state) {
  (void)state;
  struct mb_bridge_transitions *t = tracker(120000);
  struct mb_bridge_member m = fix_member(4, SWIM_DEAD, 6, 1000);
  struct mb_bridge_event ev[MAX_EVENTS];
  assert_int_equal(step(t, 2000, &m, 1, ev), 0);
  struct mb_bridge_episode announced;
  fix_id(announced.member, 4), announced.incarnation = 6;
  assert_ok(mb_bridge_transitions_restore(t, &announced, 1));
  assert_int_equal(step(t, 1000 + 120000, &m, 1, ev), 0);
  m.state = SWIM_ALIVE, m.incarnation = 7;
  assert_int_equal(step(t, 200000, &m, 1, ev), 1);
  expect_id(&ev[0], MB_BRIDGE_EV_ONLINE, 4, 6);
  mb_bridge_transitions_free(t);
}

/* A death the tracker's view never showed (another member derived it
 * while we were down): its offline comes at the next step, ahead of the
 * online that ends it, each once; an older or equal one changes nothing. */
static void an_unseen_death_reports_its_offline_then_online(void **state) {
  (void)state;
  struct mb_bridge_transitions *t = tracker(120000);
  struct mb_bridge_member m = fix_member(4, SWIM_ALIVE, 7, 0);
  struct mb_bridge_event ev[MAX_EVENTS];
  assert_int_equal(step(t, 1000, &m, 1, ev), 0);
  struct mb_bridge_episode unseen = {.incarnation = 6};
  fix_id(unseen.member, 4);
  assert_ok(mb_bridge_transitions_merge_unseen(t, &unseen));
  assert_int_equal(step(t, 2000, &m, 1, ev), 2);
  expect_id(&ev[0], MB_BRIDGE_EV_OFFLINE, 4, 6);
  expect_id(&ev[1], MB_BRIDGE_EV_ONLINE, 4, 6);
  assert_int_equal(step(t, 3000, &m, 1, ev), 0);
  /* still dead in our view: the offline only, once */
  m = fix_member(5, SWIM_DEAD, 3, 0);
  fix_id(unseen.member, 5), unseen.incarnation = 3;
  assert_ok(mb_bridge_transitions_merge_unseen(t, &unseen));
  assert_int_equal(step(t, 4000, &m, 1, ev), 1);
  expect_id(&ev[0], MB_BRIDGE_EV_OFFLINE, 5, 3);
  unseen.incarnation = 2;
  assert_ok(mb_bridge_transitions_merge_unseen(t, &unseen));
  assert_int_equal(step(t, 500000, &m, 1, ev), 0);
  mb_bridge_transitions_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_death_is_reported_once),
      cmocka_unit_test(offline_waits_for_offline_after),
      cmocka_unit_test(flapping_within_offline_after_yields_nothing),
      cmocka_unit_test(online_ends_the_offline_it_pairs_with),
      cmocka_unit_test(a_missed_revival_still_closes_the_episode),
      cmocka_unit_test(a_leave_is_no_failure_and_no_recovery),
      cmocka_unit_test(a_member_missing_from_the_view_keeps_its_episode),
      cmocka_unit_test(a_flapping_member_held_out_reports_nothing),
      cmocka_unit_test(two_members_derive_the_same_ids),
      cmocka_unit_test(a_restart_reports_nothing_twice),
      cmocka_unit_test(a_restart_without_its_state_would_repeat),
      cmocka_unit_test(ids_name_cluster_member_type_and_incarnation),
      cmocka_unit_test(restore_merges_duplicates),
      cmocka_unit_test(an_announced_episode_is_ended_by_the_next_bridge),
      cmocka_unit_test(an_unseen_death_reports_its_offline_then_online),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
