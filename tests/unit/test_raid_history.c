/*
 * The simulator's independent RAID history checker (sim/raid_history.h) on
 * synthetic histories: a clean one passes, and every property has a history
 * that breaks it and is caught with a description naming what broke.
 */
#include "test_util.h"

#include "mb_raid.h"
#include "raid_history.h"

#include <stdio.h>

#define NODES 6
#define S 1000000ull /* one second in us */

struct hist {
  struct raid_history *h;
  uint64_t index, t;
  uint32_t voters[3];
};

static void id_of(uint32_t node, uint8_t id[32]) {
  memset(id, 0, 32);
  id[0] = (uint8_t)(0xa0 + node);
}

/* Three voters (nodes 0..2), every node its device. */
static void hist_init(struct hist *x) {
  memset(x, 0, sizeof *x);
  x->h = raid_history_new(NODES);
  assert_non_null(x->h);
  for (uint32_t n = 0; n < NODES; n++) {
    uint8_t id[32];
    id_of(n, id);
    raid_history_node_id(x->h, n, id);
  }
  x->voters[0] = 0, x->voters[1] = 1, x->voters[2] = 2;
  raid_history_voters(x->h, 0, 1, x->voters, 3);
}

static void encode(const struct mb_raid_cmd *c, uint8_t *buf, size_t *len) {
  assert_ok(mb_raid_cmd_encode(c, buf, MB_RAID_CMD_MAX, len));
}

/* The next entry: durable at the first `durable` voters, then applied by
 * every voter with rc. */
static void commit_n(struct hist *x, const struct mb_raid_cmd *c, int durable,
                     int rc) {
  uint8_t buf[MB_RAID_CMD_MAX];
  size_t len;
  encode(c, buf, &len);
  uint64_t hash = raid_history_hash(buf, len);
  x->index++;
  x->t += 10000;
  for (int v = 0; v < durable; v++)
    raid_history_durable(x->h, x->t, x->voters[v], x->index, 1, hash);
  for (int v = 0; v < 3; v++)
    raid_history_applied(x->h, x->t + 1000 * (uint64_t)v, x->voters[v],
                         x->index, buf, len, rc);
}

static void commit(struct hist *x, const struct mb_raid_cmd *c) {
  commit_n(x, c, 2, 0);
}

static void report(struct hist *x, uint32_t node, uint64_t capacity) {
  struct mb_raid_cmd c = {.kind = MB_RAID_CMD_DEVICE_REPORT,
                          .capacity = capacity,
                          .available = capacity,
                          .incarnation = 1};
  id_of(node, c.device);
  snprintf(c.name, sizeof c.name, "n%u", node);
  snprintf(c.domain, sizeof c.domain, "d%u", node % 3);
  commit(x, &c);
}

/* raid5 "a" of 3 slots of 100 bytes on nodes 0, 1, 2. */
static void create(struct hist *x, const char *name, uint32_t first) {
  struct mb_raid_cmd c = {.kind = MB_RAID_CMD_ARRAY_CREATE,
                          .level = MB_RAID_LEVEL_RAID5,
                          .data = 2,
                          .parity = 1,
                          .size = 200,
                          .n_devices = 3};
  snprintf(c.array, sizeof c.array, "%s", name);
  for (uint32_t i = 0; i < 3; i++)
    id_of(first + i, c.devices[i]);
  commit(x, &c);
}

static void device_cmd(struct hist *x, uint8_t kind, uint32_t node,
                       uint64_t inc) {
  struct mb_raid_cmd c = {.kind = kind, .incarnation = inc};
  id_of(node, c.device);
  commit(x, &c);
}

static void start(struct hist *x, const char *array, unsigned slot,
                  uint8_t kind, uint32_t target) {
  struct mb_raid_cmd c = {.kind = MB_RAID_CMD_TASK_START,
                          .slot = (uint8_t)slot,
                          .task_kind = kind,
                          .n_devices = 1};
  snprintf(c.array, sizeof c.array, "%s", array);
  id_of(target, c.target);
  id_of(slot == 0 ? 1 : 0, c.devices[0]);
  commit(x, &c);
}

static void done(struct hist *x, uint64_t task, uint32_t target) {
  struct mb_raid_cmd c = {.kind = MB_RAID_CMD_TASK_DONE, .task = task};
  id_of(target, c.target);
  commit(x, &c);
}

static void setup(struct hist *x) {
  hist_init(x);
  for (uint32_t n = 0; n < NODES; n++)
    report(x, n, 1000);
  create(x, "a", 0);
}

/* Node 2 crashes: down, out, rebuilt onto node 3, healthy again. */
static void crash_and_rebuild(struct hist *x) {
  raid_history_fault(x->h, x->t, true);
  device_cmd(x, MB_RAID_CMD_DEVICE_DOWN, 2, 1);
  device_cmd(x, MB_RAID_CMD_DEVICE_OUT, 2, 0);
  raid_history_fault(x->h, x->t, false);
  start(x, "a", 2, MB_RAID_TASK_REBUILD, 3);
  raid_history_exec_start(x->h, x->t, 3, 1, "a", 2);
  raid_history_exec_stop(x->h, x->t + 5 * S, 3, 1);
  x->t += 5 * S;
  done(x, 1, 3);
}

static void assert_clean(struct raid_history *h) {
  for (size_t i = 0; i < raid_history_violation_count(h); i++)
    print_error("unexpected: %s\n", raid_history_violation(h, i)->what);
  assert_int_equal(raid_history_violation_count(h), 0);
}

/* Exactly the violations wanted, each matching its description. */
static void assert_caught(struct raid_history *h, const char *what) {
  size_t n = raid_history_violation_count(h);
  if (n == 0)
    print_error("nothing caught; expected '%s'\n", what);
  assert_true(n >= 1);
  const struct raid_violation *v = raid_history_violation(h, 0);
  if (strstr(v->what, what) == NULL)
    print_error("caught '%s', expected '%s'\n", v->what, what);
  assert_non_null(strstr(v->what, what));
}

static void a_clean_history_passes(void **state) {
  (void)state;
  struct hist x;
  setup(&x);
  crash_and_rebuild(&x);
  raid_history_finish(x.h, x.t + S, 60 * S);
  assert_clean(x.h);
  raid_history_free(x.h);
}

static void two_commands_at_one_index_are_caught(void **state) {
  (void)state;
  struct hist x;
  setup(&x);
  struct mb_raid_cmd a = {.kind = MB_RAID_CMD_DRAIN, .on = true};
  struct mb_raid_cmd b = {.kind = MB_RAID_CMD_DRAIN, .on = true};
  id_of(4, a.device);
  id_of(5, b.device);
  uint8_t ba[MB_RAID_CMD_MAX], bb[MB_RAID_CMD_MAX];
  size_t la, lb;
  encode(&a, ba, &la);
  encode(&b, bb, &lb);
  uint64_t i = ++x.index;
  for (uint32_t v = 0; v < 3; v++)
    raid_history_durable(x.h, x.t, v, i, 1, raid_history_hash(ba, la));
  raid_history_applied(x.h, x.t, 0, i, ba, la, 0);
  raid_history_applied(x.h, x.t + 1, 1, i, bb, lb, 0);
  assert_caught(x.h, "a different command than node 0");
  raid_history_free(x.h);
}

static void a_different_outcome_at_one_index_is_caught(void **state) {
  (void)state;
  struct hist x;
  setup(&x);
  struct mb_raid_cmd a = {.kind = MB_RAID_CMD_DRAIN, .on = true};
  id_of(4, a.device);
  uint8_t buf[MB_RAID_CMD_MAX];
  size_t len;
  encode(&a, buf, &len);
  uint64_t i = ++x.index;
  for (uint32_t v = 0; v < 3; v++)
    raid_history_durable(x.h, x.t, v, i, 1, raid_history_hash(buf, len));
  raid_history_applied(x.h, x.t, 0, i, buf, len, 0);
  raid_history_applied(x.h, x.t, 1, i, buf, len, MB_ERAIDSTATE);
  assert_caught(x.h, "outcome");
  raid_history_free(x.h);
}

static void an_entry_durable_at_a_minority_is_caught(void **state) {
  (void)state;
  struct hist x;
  setup(&x);
  struct mb_raid_cmd c = {.kind = MB_RAID_CMD_DRAIN, .on = true};
  id_of(4, c.device);
  commit_n(&x, &c, 1, 0);
  assert_caught(x.h, "durable at only 1 of 3 voters");
  raid_history_free(x.h);
}

static void a_truncated_entry_no_longer_counts(void **state) {
  (void)state;
  struct hist x;
  setup(&x);
  struct mb_raid_cmd c = {.kind = MB_RAID_CMD_DRAIN, .on = true};
  id_of(4, c.device);
  uint8_t buf[MB_RAID_CMD_MAX];
  size_t len;
  encode(&c, buf, &len);
  uint64_t i = ++x.index;
  raid_history_durable(x.h, x.t, 0, i, 1, raid_history_hash(buf, len));
  raid_history_durable(x.h, x.t, 1, i, 1, raid_history_hash(buf, len));
  raid_history_truncate(x.h, x.t, 1, i);
  raid_history_applied(x.h, x.t, 0, i, buf, len, 0);
  assert_caught(x.h, "durable at only 1 of 3 voters");
  raid_history_free(x.h);
}

/* After a configuration change to nodes 3, 4, 5, durability at the old
 * voters is not enough. */
static void the_voters_of_the_entry_s_configuration_count(void **state) {
  (void)state;
  struct hist x;
  setup(&x);
  uint32_t next[3] = {3, 4, 5};
  raid_history_voters(x.h, x.t, x.index + 1, next, 3);
  struct mb_raid_cmd c = {.kind = MB_RAID_CMD_DRAIN, .on = true};
  id_of(4, c.device);
  commit(&x, &c); /* durable at 0 and 1: old voters */
  assert_caught(x.h, "durable at only 0 of 3 voters");
  raid_history_free(x.h);
}

static void a_second_live_task_for_a_slot_is_caught(void **state) {
  (void)state;
  struct hist x;
  setup(&x);
  device_cmd(&x, MB_RAID_CMD_DEVICE_DOWN, 2, 1);
  device_cmd(&x, MB_RAID_CMD_DEVICE_OUT, 2, 0);
  start(&x, "a", 2, MB_RAID_TASK_REBUILD, 3);
  assert_clean(x.h);
  start(&x, "a", 2, MB_RAID_TASK_REBUILD, 4);
  assert_caught(x.h, "task 2 started for a/2 while task 1 is live");
  raid_history_free(x.h);
}

/* A task whose target went down is cancelled by that command: a new one for
 * the slot is no violation. */
static void a_task_ended_by_its_target_s_death_frees_the_slot(void **state) {
  (void)state;
  struct hist x;
  setup(&x);
  device_cmd(&x, MB_RAID_CMD_DEVICE_DOWN, 2, 1);
  device_cmd(&x, MB_RAID_CMD_DEVICE_OUT, 2, 0);
  start(&x, "a", 2, MB_RAID_TASK_REBUILD, 3);
  device_cmd(&x, MB_RAID_CMD_DEVICE_DOWN, 3, 1);
  start(&x, "a", 2, MB_RAID_TASK_REBUILD, 4);
  done(&x, 2, 4);
  assert_clean(x.h);
  raid_history_free(x.h);
}

static void a_slot_claimed_by_a_second_device_is_caught(void **state) {
  (void)state;
  struct hist x;
  setup(&x);
  device_cmd(&x, MB_RAID_CMD_DEVICE_DOWN, 2, 1);
  device_cmd(&x, MB_RAID_CMD_DEVICE_OUT, 2, 0);
  start(&x, "a", 2, MB_RAID_TASK_REBUILD, 3);
  done(&x, 1, 4); /* node 4 was never the target */
  assert_caught(x.h, "done of task 1 (a/2) by a device not its target");
  raid_history_free(x.h);
}

static void an_array_created_twice_is_caught(void **state) {
  (void)state;
  struct hist x;
  setup(&x);
  create(&x, "a", 3);
  assert_caught(x.h, "array a created again");
  raid_history_free(x.h);
}

static void two_targets_executing_one_slot_are_caught(void **state) {
  (void)state;
  struct hist x;
  setup(&x);
  raid_history_exec_start(x.h, x.t, 3, 1, "a", 2);
  raid_history_exec_stop(x.h, x.t + 1, 3, 1);
  raid_history_exec_start(x.h, x.t + 2, 4, 2, "a", 2); /* after: fine */
  assert_clean(x.h);
  raid_history_exec_start(x.h, x.t + 3, 5, 3, "a", 2);
  assert_caught(x.h, "while node 4 runs task 2");
  raid_history_free(x.h);
}

/* Node 3 reports 150 bytes: one slot of 100 fits, a rebuild reserving 100
 * more does not. */
static void an_over_committed_ledger_is_caught(void **state) {
  (void)state;
  struct hist x;
  hist_init(&x);
  for (uint32_t n = 0; n < NODES; n++)
    report(&x, n, n == 3 ? 150 : 1000);
  create(&x, "a", 0);
  create(&x, "b", 3);
  device_cmd(&x, MB_RAID_CMD_DEVICE_DOWN, 2, 1);
  device_cmd(&x, MB_RAID_CMD_DEVICE_OUT, 2, 0);
  assert_clean(x.h);
  start(&x, "a", 2, MB_RAID_TASK_REBUILD, 3);
  assert_caught(x.h, "node 3 over-committed: 100 held + 100 reserved > 150");
  device_cmd(&x, MB_RAID_CMD_DRAIN, 4, 0); /* still over: said once */
  assert_int_equal(raid_history_violation_count(x.h), 1);
  raid_history_free(x.h);
}

/* The campaign's seed 70: a device a rebuild had landed on loses the slot
 * to a second rebuild.  Its reservation must have been released once when
 * the first was done: released twice, it went below zero, hidden while
 * the slot's allocation made up for it, and showed as a false
 * over-commit once the slot moved on. */
static void a_done_rebuild_releases_its_reservation_once(void **state) {
  (void)state;
  struct hist x;
  setup(&x);
  crash_and_rebuild(&x); /* slot 2 on node 3 */
  device_cmd(&x, MB_RAID_CMD_DEVICE_DOWN, 3, 1);
  device_cmd(&x, MB_RAID_CMD_DEVICE_OUT, 3, 0);
  start(&x, "a", 2, MB_RAID_TASK_REBUILD, 4);
  done(&x, 2, 4);
  assert_clean(x.h);
  raid_history_free(x.h);
}

static void an_array_not_healed_after_faults_is_caught(void **state) {
  (void)state;
  struct hist x;
  setup(&x);
  raid_history_fault(x.h, x.t, true);
  device_cmd(&x, MB_RAID_CMD_DEVICE_DOWN, 2, 1);
  raid_history_fault(x.h, x.t, false);
  raid_history_finish(x.h, x.t + 120 * S, 60 * S);
  assert_caught(x.h, "array a not healthy at the end");
  raid_history_free(x.h);
}

static void an_array_healed_too_late_is_caught(void **state) {
  (void)state;
  struct hist x;
  setup(&x);
  crash_and_rebuild(&x); /* healthy 5 s after the fault ended */
  raid_history_finish(x.h, x.t + S, 2 * S);
  assert_caught(x.h, "array a healthy only at");
  raid_history_free(x.h);
}

/* Down slots are not lost (they may come back); an array that gave up
 * more than its parity (out) is failed and excused from healing; an open
 * fault makes the verdict impossible and says so. */
static void a_failed_array_is_excused_and_open_faults_reported(void **state) {
  (void)state;
  struct hist x;
  setup(&x);
  raid_history_fault(x.h, x.t, true);
  device_cmd(&x, MB_RAID_CMD_DEVICE_DOWN, 1, 1);
  device_cmd(&x, MB_RAID_CMD_DEVICE_DOWN, 2, 1);
  uint64_t since;
  assert_int_equal(raid_history_array_state(x.h, "a", &since),
                   MB_RAID_ARRAY_DEGRADED);
  device_cmd(&x, MB_RAID_CMD_DEVICE_OUT, 1, 0);
  device_cmd(&x, MB_RAID_CMD_DEVICE_OUT, 2, 0);
  assert_int_equal(raid_history_array_state(x.h, "a", &since),
                   MB_RAID_ARRAY_FAILED);
  raid_history_fault(x.h, x.t, false);
  raid_history_finish(x.h, x.t + S, S);
  assert_clean(x.h);
  raid_history_fault(x.h, x.t, true);
  raid_history_finish(x.h, x.t + S, S);
  assert_caught(x.h, "still open");
  raid_history_free(x.h);
}

static int array_state(struct hist *x, const char *name, uint64_t *since) {
  return raid_history_array_state(x->h, name, since);
}

/* The model's own array states and counts through a crash and rebuild. */
static void states_and_counts_follow_the_log(void **state) {
  (void)state;
  struct hist x;
  uint64_t since;
  setup(&x);
  assert_int_equal(array_state(&x, "a", &since), MB_RAID_ARRAY_HEALTHY);
  assert_int_equal(array_state(&x, "b", &since), -1);
  device_cmd(&x, MB_RAID_CMD_DEVICE_DOWN, 2, 1);
  assert_int_equal(array_state(&x, "a", &since), MB_RAID_ARRAY_DEGRADED);
  assert_int_equal(since, x.t);
  uint64_t degraded_at = x.t;
  device_cmd(&x, MB_RAID_CMD_DEVICE_OUT, 2, 0);
  assert_int_equal(array_state(&x, "a", &since), MB_RAID_ARRAY_DEGRADED);
  assert_int_equal(since, degraded_at);
  start(&x, "a", 2, MB_RAID_TASK_REBUILD, 5);
  assert_int_equal(array_state(&x, "a", &since), MB_RAID_ARRAY_REBUILDING);
  done(&x, 1, 5);
  assert_int_equal(array_state(&x, "a", &since), MB_RAID_ARRAY_HEALTHY);
  device_cmd(&x, MB_RAID_CMD_DEVICE_DOWN, 0, 1);
  device_cmd(&x, MB_RAID_CMD_DEVICE_UP, 0, 2);
  start(&x, "a", 0, MB_RAID_TASK_RESYNC, 0);
  done(&x, 2, 0);
  device_cmd(&x, MB_RAID_CMD_DEVICE_DOWN, 1, 1);
  device_cmd(&x, MB_RAID_CMD_DEVICE_DOWN, 5, 1);
  assert_int_equal(array_state(&x, "a", &since), MB_RAID_ARRAY_DEGRADED);
  device_cmd(&x, MB_RAID_CMD_DEVICE_OUT, 1, 0);
  device_cmd(&x, MB_RAID_CMD_DEVICE_OUT, 5, 0);
  assert_int_equal(array_state(&x, "a", &since), MB_RAID_ARRAY_FAILED);
  struct raid_history_counts n;
  raid_history_counts(x.h, &n);
  assert_int_equal(n.rebuilds, 1);
  assert_int_equal(n.resyncs, 1);
  assert_int_equal(n.outs, 3); /* node 2's, then 1's and 5's */
  assert_int_equal(n.moves, 0);
  assert_int_equal(n.domain_misses, 0);
  assert_clean(x.h);
  raid_history_free(x.h);
}

/* Node 2 (domain d2) is lost; node 3 is in d0, which slot 0 uses, while
 * node 5 in d2 has room: a miss.  Node 5 itself: none.  Node 3 while node 5
 * drains: none (no other domain was possible). */
static void a_target_in_a_used_domain_is_counted(void **state) {
  (void)state;
  static const struct {
    uint32_t target;
    bool drain5;
    uint64_t misses;
  } cases[] = {{3, false, 1}, {5, false, 0}, {3, true, 0}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct hist x;
    setup(&x);
    if (cases[i].drain5) {
      struct mb_raid_cmd c = {.kind = MB_RAID_CMD_DRAIN, .on = true};
      id_of(5, c.device);
      commit(&x, &c);
    }
    device_cmd(&x, MB_RAID_CMD_DEVICE_DOWN, 2, 1);
    device_cmd(&x, MB_RAID_CMD_DEVICE_OUT, 2, 0);
    start(&x, "a", 2, MB_RAID_TASK_REBUILD, cases[i].target);
    struct raid_history_counts n;
    raid_history_counts(x.h, &n);
    assert_int_equal(n.domain_misses, cases[i].misses);
    raid_history_free(x.h);
  }
}

static void a_crash_stops_the_node_s_executors(void **state) {
  (void)state;
  struct hist x;
  setup(&x);
  raid_history_exec_start(x.h, x.t, 3, 1, "a", 2);
  raid_history_exec_stop_node(x.h, x.t + 1, 3);
  raid_history_exec_start(x.h, x.t + 2, 4, 2, "a", 2);
  assert_clean(x.h);
  raid_history_free(x.h);
}

static void violations_beyond_the_kept_ones_are_counted(void **state) {
  (void)state;
  struct hist x;
  setup(&x);
  for (int i = 0; i < 20; i++)
    create(&x, "a", 3);
  assert_int_equal(raid_history_violation_count(x.h), 20);
  assert_non_null(raid_history_violation(x.h, RAID_HISTORY_KEEP - 1));
  assert_null(raid_history_violation(x.h, RAID_HISTORY_KEEP));
  assert_true(raid_history_violation(x.h, 0)->t_us > 0);
  assert_int_equal(raid_history_violation(x.h, 0)->node, 0);
  raid_history_free(x.h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_clean_history_passes),
      cmocka_unit_test(two_commands_at_one_index_are_caught),
      cmocka_unit_test(a_different_outcome_at_one_index_is_caught),
      cmocka_unit_test(an_entry_durable_at_a_minority_is_caught),
      cmocka_unit_test(a_truncated_entry_no_longer_counts),
      cmocka_unit_test(the_voters_of_the_entry_s_configuration_count),
      cmocka_unit_test(a_second_live_task_for_a_slot_is_caught),
      cmocka_unit_test(a_task_ended_by_its_target_s_death_frees_the_slot),
      cmocka_unit_test(a_slot_claimed_by_a_second_device_is_caught),
      cmocka_unit_test(an_array_created_twice_is_caught),
      cmocka_unit_test(two_targets_executing_one_slot_are_caught),
      cmocka_unit_test(an_over_committed_ledger_is_caught),
      cmocka_unit_test(a_done_rebuild_releases_its_reservation_once),
      cmocka_unit_test(an_array_not_healed_after_faults_is_caught),
      cmocka_unit_test(an_array_healed_too_late_is_caught),
      cmocka_unit_test(a_failed_array_is_excused_and_open_faults_reported),
      cmocka_unit_test(states_and_counts_follow_the_log),
      cmocka_unit_test(a_target_in_a_used_domain_is_counted),
      cmocka_unit_test(a_crash_stops_the_node_s_executors),
      cmocka_unit_test(violations_beyond_the_kept_ones_are_counted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
