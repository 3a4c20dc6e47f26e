/*
 * The one active bridge: every member with the same view elects the same
 * one, whatever order its view is in; only live eligible members count;
 * a dead or departed active hands over at the next evaluation, and
 * nothing else moves it.
 */
#include "bridge_fixture.h"

#define N 9

static void view_of(struct mb_bridge_member *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    v[i] = fix_member((unsigned)i + 1, SWIM_ALIVE, 1, 0);
}

static void elect(const struct mb_bridge_member *v, size_t n,
                  struct mb_bridge_election *e) {
  assert_ok(mb_bridge_elect(FIX_CLUSTER, v, n, e));
}

/* Shuffles with a seeded rng: the same test on every run. */
static void shuffle(struct mb_bridge_member *v, size_t n, struct mb_rng *r) {
  for (size_t i = n - 1; i > 0; i--) {
    size_t j = (size_t)mb_rng_below(r, i + 1);
    struct mb_bridge_member t = v[i];
    v[i] = v[j], v[j] = t;
  }
}

static void same_view_same_bridge_in_any_order(void **state) {
  (void)state;
  struct mb_bridge_member v[N];
  view_of(v, N);
  struct mb_bridge_election first;
  elect(v, N, &first);
  assert_true(first.have);
  assert_int_equal(first.live, N);
  assert_int_equal(first.total, N);
  struct mb_rng r;
  mb_rng_seed(&r, 11);
  for (int round = 0; round < 50; round++) {
    shuffle(v, N, &r);
    struct mb_bridge_election e;
    elect(v, N, &e);
    assert_memory_equal(e.active, first.active, MB_NODE_ID_LEN);
    assert_memory_equal(v[e.active_index].id, e.active, MB_NODE_ID_LEN);
  }
}

/* Rendezvous hashing spreads the role: over many clusters every member
 * wins sometimes (a fixed pick, such as the lowest id, would not). */
static void the_choice_depends_on_the_cluster(void **state) {
  (void)state;
  struct mb_bridge_member v[4];
  view_of(v, 4);
  unsigned wins[4] = {0};
  for (int c = 0; c < 200; c++) {
    char cluster[32];
    snprintf(cluster, sizeof(cluster), "cluster-%d", c);
    struct mb_bridge_election e;
    assert_ok(mb_bridge_elect(cluster, v, 4, &e));
    wins[e.active_index]++;
  }
  for (int i = 0; i < 4; i++)
    assert_true(wins[i] > 20);
}

static void only_live_eligible_members_are_chosen(void **state) {
  (void)state;
  struct mb_bridge_member v[N];
  view_of(v, N);
  struct mb_bridge_election e;
  elect(v, N, &e);
  size_t winner = e.active_index;
  v[winner].eligible = false;
  elect(v, N, &e);
  assert_true(e.have);
  assert_true(e.active_index != winner);
  for (size_t i = 0; i < N; i++)
    v[i].eligible = false;
  elect(v, N, &e);
  assert_false(e.have);
  assert_int_equal(e.live, N);
}

static void a_dead_or_departed_active_hands_over_at_once(void **state) {
  (void)state;
  enum swim_state gone[] = {SWIM_DEAD, SWIM_LEFT};
  for (size_t g = 0; g < 2; g++) {
    struct mb_bridge_member v[N];
    view_of(v, N);
    struct mb_bridge_election before, after;
    elect(v, N, &before);
    v[before.active_index].state = gone[g];
    v[before.active_index].incarnation++;
    elect(v, N, &after);
    assert_true(after.have);
    assert_true(mb_bridge_election_changed(&before, &after));
    assert_true(after.active_index != before.active_index);
    assert_int_equal(after.live, N - 1);
    assert_int_equal(after.total, N);
    /* back with a new incarnation: it is the bridge again */
    v[before.active_index].state = SWIM_ALIVE;
    v[before.active_index].incarnation++;
    struct mb_bridge_election back;
    elect(v, N, &back);
    assert_memory_equal(back.active, before.active, MB_NODE_ID_LEN);
  }
}

/* A suspicion is not a verdict: no handover for it. */
static void a_suspect_active_stays_active(void **state) {
  (void)state;
  struct mb_bridge_member v[N];
  view_of(v, N);
  struct mb_bridge_election before, after;
  elect(v, N, &before);
  v[before.active_index].state = SWIM_SUSPECT;
  elect(v, N, &after);
  assert_false(mb_bridge_election_changed(&before, &after));
  assert_int_equal(after.live, N);
}

/* The death of any other member leaves the bridge where it is. */
static void losing_another_member_moves_nothing(void **state) {
  (void)state;
  struct mb_bridge_member v[N];
  view_of(v, N);
  struct mb_bridge_election before;
  elect(v, N, &before);
  for (size_t i = 0; i < N; i++) {
    if (i == before.active_index)
      continue;
    v[i].state = SWIM_DEAD;
    struct mb_bridge_election e;
    elect(v, N, &e);
    assert_false(mb_bridge_election_changed(&before, &e));
  }
}

static void self_active_says_whether_it_is_us(void **state) {
  (void)state;
  struct mb_bridge_member v[N];
  view_of(v, N);
  struct mb_bridge_election e;
  elect(v, N, &e);
  assert_false(e.self_active);
  v[e.active_index].is_self = true;
  elect(v, N, &e);
  assert_true(e.self_active);
}

static void bad_arguments_are_refused(void **state) {
  (void)state;
  struct mb_bridge_election e;
  assert_rc(mb_bridge_elect(NULL, NULL, 0, &e), MB_EINVAL);
  assert_rc(mb_bridge_elect(FIX_CLUSTER, NULL, 3, &e), MB_EINVAL);
  assert_ok(mb_bridge_elect(FIX_CLUSTER, NULL, 0, &e));
  assert_false(e.have);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(same_view_same_bridge_in_any_order),
      cmocka_unit_test(the_choice_depends_on_the_cluster),
      cmocka_unit_test(only_live_eligible_members_are_chosen),
      cmocka_unit_test(a_dead_or_departed_active_hands_over_at_once),
      cmocka_unit_test(a_suspect_active_stays_active),
      cmocka_unit_test(losing_another_member_moves_nothing),
      cmocka_unit_test(self_active_says_whether_it_is_us),
      cmocka_unit_test(bad_arguments_are_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
