/*
 * unit_coord_publish: publication (docs/raid.md, Publication) on the
 * coordinator fixture (coord_fixture.h), whose driver offers every record
 * a coordinator emits to its gossip core and hands every record of kinds
 * 23-25 a core takes to its coordinator: devices that hold no replica
 * learn arrays, tasks and the leader, also when they join late; a
 * non-voter target rebuilds to completion; a non-voter coordinator
 * forwards to the published leader; an older record changes nothing; a
 * record not signed by a coordinator never gets past the gossip layer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "coord_fixture.h"

static int start_with_leader(struct cfx *c) {
  cfx_init(c, 3000);
  cfx_start_coords(c);
  assert_true(cfx_run_until(c, 10000, cfx_has_leader, NULL));
  return cfx_leader(c);
}

/* Asks node `at` for a command and waits for its answer. */
static int request(struct cfx *c, int at, uint64_t req,
                   const struct mb_raid_cmd *cmd) {
  c->answered = false;
  int rc = mb_coord_request(c->coord[at], c->fx.now, req, cmd);
  if (rc != 0)
    return rc;
  assert_true(cfx_run_until(c, 5000, cfx_answered, NULL));
  assert_int_equal(c->answer_req, req);
  return c->answer_rc;
}

static bool find_array(struct cfx *c, int i, const char *name,
                       struct mb_raid_array_info *out) {
  size_t n = c->coord[i] ? mb_coord_array_count(c->coord[i]) : 0;
  for (size_t k = 0; k < n; k++)
    if (mb_coord_array_at(c->coord[i], k, out) == 0 &&
        strcmp(out->name, name) == 0)
      return true;
  return false;
}

/* Node i's answer to the queries equals the leader's replica. */
static void assert_same_array(struct cfx *c, int i, int leader,
                              const char *name) {
  struct mb_raid_array_info mine, truth;
  assert_true(find_array(c, leader, name, &truth));
  assert_true(find_array(c, i, name, &mine));
  assert_int_equal(mine.state, truth.state);
  assert_int_equal(mine.level, truth.level);
  assert_int_equal(mine.size, truth.size);
  assert_int_equal(mine.slot_bytes, truth.slot_bytes);
  assert_int_equal(mine.n_slots, truth.n_slots);
  for (size_t s = 0; s < truth.n_slots; s++) {
    assert_memory_equal(mine.slots[s].device, truth.slots[s].device,
                        MB_NODE_ID_LEN);
    assert_string_equal(mine.slots[s].domain, truth.slots[s].domain);
    assert_int_equal(mine.slots[s].state, truth.slots[s].state);
  }
}

struct array_wait {
  int node;
  const char *name;
  bool present;
};

static bool array_is(struct cfx *c, void *arg) {
  struct array_wait *w = arg;
  struct mb_raid_array_info a;
  return find_array(c, w->node, w->name, &a) == w->present;
}

static void test_non_voters_learn_arrays_and_leader(void **state) {
  (void)state;
  struct cfx c;
  int leader = start_with_leader(&c);
  cfx_run(&c, 2000); /* the devices' reports */
  struct mb_raid_cmd cmd = cfx_raid1("a", 3);
  assert_int_equal(request(&c, leader, 7, &cmd), 0);
  struct array_wait w = {5, "a", true};
  assert_true(cfx_run_until(&c, 2000, array_is, &w));
  struct mb_coord_status ls;
  mb_coord_info(c.coord[leader], &ls);
  assert_false(ls.from_publication);
  for (int i = 3; i < CFX_NODES; i++) {
    assert_null(mb_coord_replica(c.coord[i]));
    assert_int_equal(mb_coord_array_count(c.coord[i]), 1);
    assert_same_array(&c, i, leader, "a");
    struct mb_coord_status st;
    mb_coord_info(c.coord[i], &st);
    assert_true(st.from_publication);
    assert_false(st.is_voter);
    assert_memory_equal(st.leader, c.fx.id[leader].pk, MB_NODE_ID_LEN);
    assert_int_equal(st.term, ls.term);
    assert_int_equal(st.n_voters, 3);
    for (size_t v = 0; v < st.n_voters; v++) {
      int n = cfx_node_of(&c, st.voters[v].id);
      assert_in_range(n, 0, 2);
      assert_true(st.voters[v].alive);
    }
    /* The derived ledger: every member, three slots allocated. */
    size_t rows = mb_coord_ledger_count(c.coord[i]);
    assert_int_equal(rows, CFX_NODES);
    uint64_t allocated = 0;
    for (size_t r = 0; r < rows; r++) {
      struct mb_raid_device_info d;
      assert_int_equal(mb_coord_ledger_at(c.coord[i], r, &d), 0);
      assert_int_equal(d.capacity, CFX_CAPACITY);
      assert_int_equal(d.state, MB_RAID_DEV_UP);
      allocated += d.allocated;
    }
    assert_int_equal(allocated, 3 * (64u << 20));
  }
  assert_true(c.published[leader] >= 2); /* the array, the leader */
  assert_int_equal(c.publish_refused[leader], 0);
  /* Removed: hidden everywhere, and published once as such. */
  cmd.kind = MB_RAID_CMD_ARRAY_REMOVE;
  assert_int_equal(request(&c, leader, 8, &cmd), 0);
  w.present = false;
  assert_true(cfx_run_until(&c, 2000, array_is, &w));
  for (int i = 3; i < CFX_NODES; i++)
    assert_int_equal(mb_coord_array_count(c.coord[i]), 0);
  cfx_free(&c);
}

static void test_late_joiner_learns_from_the_mesh(void **state) {
  (void)state;
  struct cfx c;
  cfx_init(&c, 60000);
  cfx_kill(&c, 5);
  cfx_start_coords(&c);
  assert_true(cfx_run_until(&c, 10000, cfx_has_leader, NULL));
  int leader = cfx_leader(&c);
  cfx_run(&c, 2000);
  struct mb_raid_cmd a = cfx_raid1("a", 2), b = cfx_raid1("b", 2);
  assert_int_equal(request(&c, leader, 1, &a), 0);
  assert_int_equal(request(&c, leader, 2, &b), 0);
  cfx_run(&c, 3000);
  /* n5 comes with nothing: no record in its core, a new coordinator. */
  cfx_restart(&c, 5);
  struct array_wait w = {5, "b", true};
  assert_true(cfx_run_until(&c, 20000, array_is, &w));
  w.name = "a";
  assert_true(cfx_run_until(&c, 5000, array_is, &w));
  assert_same_array(&c, 5, leader, "a");
  assert_same_array(&c, 5, leader, "b");
  struct mb_coord_status st;
  mb_coord_info(c.coord[5], &st);
  assert_memory_equal(st.leader, c.fx.id[leader].pk, MB_NODE_ID_LEN);
  assert_int_equal(st.n_voters, 3);
  assert_true(c.records_in[5] >= 3);
  cfx_free(&c);
}

static bool task_done_at(struct cfx *c, void *arg) {
  const uint64_t *id = arg;
  int leader = cfx_leader(c);
  struct mb_raid_task_info t;
  const struct mb_raid_state *s =
      leader >= 0 ? mb_coord_replica(c->coord[leader]) : NULL;
  return s != NULL && mb_raid_task_find(s, *id, &t) == 0 &&
         t.state == MB_RAID_TASK_DONE;
}

static bool rebuild_started(struct cfx *c, void *arg) {
  struct mb_raid_task_info *out = arg;
  int leader = cfx_leader(c);
  const struct mb_raid_state *s =
      leader >= 0 ? mb_coord_replica(c->coord[leader]) : NULL;
  for (size_t i = 0; s != NULL && i < mb_raid_task_count(s); i++)
    if (mb_raid_task_at(s, i, out) == 0 && out->kind == MB_RAID_TASK_REBUILD)
      return true;
  return false;
}

static bool healthy_without(struct cfx *c, void *arg) {
  int victim = *(int *)arg;
  for (int i = 0; i < CFX_NODES; i++) {
    struct mb_raid_array_info a;
    if (c->coord[i] == NULL)
      continue;
    if (!find_array(c, i, "a", &a) || a.state != MB_RAID_ARRAY_HEALTHY)
      return false;
    for (size_t s = 0; s < a.n_slots; s++)
      if (cfx_node_of(c, a.slots[s].device) == victim)
        return false;
  }
  return true;
}

static bool no_published_task(struct cfx *c, void *arg) {
  return mb_coord_task_count(c->coord[*(int *)arg]) == 0;
}

/* Voters report half the capacity, so placement prefers the others: a
 * mirror of two on non-voters, one of them killed, is rebuilt in the
 * third domain on the non-voter there, which learns its task only from
 * publication. */
static void test_non_voter_target_rebuilds(void **state) {
  (void)state;
  struct cfx c;
  cfx_init(&c, 3000);
  cfx_prefer_non_voters(&c);
  c.base.publish_until_s = 5; /* finished tasks' records lapse soon */
  cfx_start_coords(&c);
  assert_true(cfx_run_until(&c, 10000, cfx_has_leader, NULL));
  int leader = cfx_leader(&c);
  cfx_run(&c, 2000);
  struct mb_raid_cmd cmd = cfx_raid1("a", 2);
  assert_int_equal(request(&c, leader, 1, &cmd), 0);
  struct mb_raid_array_info a;
  assert_true(find_array(&c, leader, "a", &a));
  int victim = cfx_node_of(&c, a.slots[0].device);
  assert_in_range(victim, 3, 5);
  assert_in_range(cfx_node_of(&c, a.slots[1].device), 3, 5);
  cfx_kill(&c, victim);
  struct mb_raid_task_info t;
  assert_true(cfx_run_until(&c, 20000, rebuild_started, &t));
  int target = cfx_node_of(&c, t.target);
  assert_in_range(target, 3, 5);
  assert_null(mb_coord_replica(c.coord[target]));
  assert_true(cfx_run_until(&c, 20000, task_done_at, &t.id));
  assert_true(cfx_run_until(&c, 5000, healthy_without, &victim));
  assert_int_equal(c.starts[target], 1);
  assert_int_equal(c.cancels[target], 1); /* published done: let go */
  /* Shown as done until its record lapses, then gone everywhere. */
  struct mb_raid_task_info mine;
  assert_int_equal(mb_coord_task_count(c.coord[target]), 1);
  assert_int_equal(mb_coord_task_at(c.coord[target], 0, &mine), 0);
  assert_int_equal(mine.id, t.id);
  assert_int_equal(mine.state, MB_RAID_TASK_DONE);
  assert_memory_equal(mine.target, c.fx.id[target].pk, MB_NODE_ID_LEN);
  assert_true(cfx_run_until(&c, 30000, no_published_task, &target));
  for (int i = 0; i < 3; i++) {
    assert_int_equal(c.applied[i][MB_RAID_CMD_TASK_DONE], 1);
    assert_int_equal(c.applied[i][MB_RAID_CMD_TASK_REASSIGN], 0);
  }
  cfx_free(&c);
}

static void test_non_voter_coordinator_forwards(void **state) {
  (void)state;
  struct cfx c;
  int leader = start_with_leader(&c);
  cfx_run(&c, 2000);
  struct mb_coord_status st;
  mb_coord_info(c.coord[3], &st);
  assert_true(st.from_publication);
  assert_memory_equal(st.leader, c.fx.id[leader].pk, MB_NODE_ID_LEN);
  struct mb_raid_cmd cmd = cfx_raid1("b", 3);
  assert_int_equal(request(&c, 3, 21, &cmd), 0);
  struct mb_raid_array_info a;
  assert_true(find_array(&c, leader, "b", &a));
  /* A device that is no coordinator still may not ask. */
  assert_int_equal(mb_coord_request(c.coord[5], c.fx.now, 22, &cmd),
                   MB_ENOTCOORD);
  cfx_free(&c);
}

/* An array record "x" at `version` in `state`, signed by `signer`. */
static size_t array_record(const struct mb_identity *signer, uint64_t version,
                           uint64_t term, int state, uint8_t *out, size_t cap) {
  struct mb_wire_raid_array w = {.term = term,
                                 .index = version,
                                 .level = MB_RAID_LEVEL_RAID1,
                                 .data = 1,
                                 .parity = 1,
                                 .size = 1 << 20,
                                 .state = (uint8_t)state,
                                 .n_slots = 2};
  strcpy(w.name, "x");
  memset(w.slots[0].device, 0x11, MB_NODE_REF_LEN);
  memset(w.slots[1].device, 0x22, MB_NODE_REF_LEN);
  uint8_t body[MB_CHANNEL_BODY_MAX], subject[MB_WIRE_RAID_ARRAY_SUBJECT_LEN];
  size_t body_len, len;
  mb_wire_raid_array_subject("x", subject);
  assert_int_equal(
      mb_wire_raid_array_body_encode(&w, body, sizeof(body), &body_len), 0);
  assert_int_equal(mb_wire_channel_record_sign(
                       signer, FX_CLUSTER, MB_REC_RAID_ARRAY, subject,
                       sizeof(subject), version, 1790000000000, 0, body,
                       body_len, out, cap, &len),
                   0);
  return len;
}

static int state_of_x(struct cfx *c, int i) {
  struct mb_raid_array_info a;
  return find_array(c, i, "x", &a) ? a.state : -1;
}

static void test_older_record_changes_nothing(void **state) {
  (void)state;
  struct cfx c;
  cfx_init(&c, 3000);
  cfx_start_coords(&c);
  cfx_run(&c, 100);
  struct mb_coord *n5 = c.coord[5];
  struct swim_record_info info = {.kind = MB_REC_RAID_ARRAY};
  uint8_t rec[MB_WIRE_MSG_MAX];
  size_t len = array_record(&c.fx.id[0], 10, 2, MB_RAID_ARRAY_DEGRADED, rec,
                            sizeof(rec));
  mb_coord_record(n5, c.fx.now, &info, rec, len);
  assert_int_equal(state_of_x(&c, 5), MB_RAID_ARRAY_DEGRADED);
  /* Older: nothing changes. */
  len =
      array_record(&c.fx.id[0], 9, 2, MB_RAID_ARRAY_HEALTHY, rec, sizeof(rec));
  mb_coord_record(n5, c.fx.now, &info, rec, len);
  assert_int_equal(state_of_x(&c, 5), MB_RAID_ARRAY_DEGRADED);
  /* The same index from an older term: nothing; from a newer: taken. */
  len =
      array_record(&c.fx.id[0], 10, 1, MB_RAID_ARRAY_HEALTHY, rec, sizeof(rec));
  mb_coord_record(n5, c.fx.now, &info, rec, len);
  assert_int_equal(state_of_x(&c, 5), MB_RAID_ARRAY_DEGRADED);
  len =
      array_record(&c.fx.id[0], 11, 2, MB_RAID_ARRAY_HEALTHY, rec, sizeof(rec));
  /* Cut short, or garbage: nothing. */
  for (size_t cut = 0; cut < len; cut += 7)
    mb_coord_record(n5, c.fx.now, &info, rec, cut);
  assert_int_equal(state_of_x(&c, 5), MB_RAID_ARRAY_DEGRADED);
  mb_coord_record(n5, c.fx.now, &info, rec, len);
  assert_int_equal(state_of_x(&c, 5), MB_RAID_ARRAY_HEALTHY);
  cfx_free(&c);
}

/* End to end through the gossip layer: a record signed by a device that
 * is no coordinator, or with a broken signature, is refused by the core
 * it is offered to and reaches no coordinator; a coordinator's spreads. */
static void test_record_not_by_a_coordinator_is_refused(void **state) {
  (void)state;
  struct cfx c;
  cfx_init(&c, 3000);
  cfx_start_coords(&c);
  cfx_run(&c, 500);
  uint8_t rec[MB_WIRE_MSG_MAX];
  size_t len =
      array_record(&c.fx.id[5], 10, 2, MB_RAID_ARRAY_HEALTHY, rec, sizeof(rec));
  assert_int_equal(swim_record_offer(c.fx.node[5], c.fx.now, rec, len),
                   MB_ESIGNER);
  len =
      array_record(&c.fx.id[4], 10, 2, MB_RAID_ARRAY_HEALTHY, rec, sizeof(rec));
  rec[len - 1] ^= 1; /* the signature's last byte */
  assert_int_equal(swim_record_offer(c.fx.node[4], c.fx.now, rec, len),
                   MB_EBADSIG);
  fx_drain(&c.fx, 4);
  fx_drain(&c.fx, 5);
  cfx_run(&c, 3000);
  for (int i = 3; i < CFX_NODES; i++)
    assert_int_equal(state_of_x(&c, i), -1);
  rec[len - 1] ^= 1;
  assert_int_equal(swim_record_offer(c.fx.node[4], c.fx.now, rec, len), 0);
  fx_drain(&c.fx, 4);
  cfx_run(&c, 3000);
  for (int i = 3; i < CFX_NODES; i++)
    assert_int_equal(state_of_x(&c, i), MB_RAID_ARRAY_HEALTHY);
  cfx_free(&c);
}

/* A task record about n5, as the agent restores it from its store before
 * the coordinator has a view: learned once the view says who n5 is. */
static void test_task_restored_before_the_view(void **state) {
  (void)state;
  struct cfx c;
  cfx_init(&c, 3000);
  cfx_start_coords(&c);
  cfx_run(&c, 100);
  cfx_kill(&c, 5);
  cfx_restart(&c, 5); /* a new coordinator, no view yet */
  struct mb_wire_raid_task w = {.term = 2,
                                .index = 40,
                                .id = 9,
                                .slot = 0,
                                .kind = MB_RAID_TASK_REBUILD,
                                .state = MB_RAID_TASK_QUEUED,
                                .n_sources = 1,
                                .bytes = 1 << 20};
  strcpy(w.array, "x");
  memcpy(w.target, c.fx.id[5].pk, MB_NODE_REF_LEN);
  memcpy(w.sources[0], c.fx.id[3].pk, MB_NODE_REF_LEN);
  uint8_t body[MB_CHANNEL_BODY_MAX], subject[MB_WIRE_RAID_TASK_SUBJECT_LEN];
  uint8_t rec[MB_WIRE_MSG_MAX];
  size_t body_len, len;
  mb_wire_raid_task_subject(9, subject);
  assert_int_equal(
      mb_wire_raid_task_body_encode(&w, body, sizeof(body), &body_len), 0);
  assert_int_equal(
      mb_wire_channel_record_sign(&c.fx.id[0], FX_CLUSTER, MB_REC_RAID_TASK,
                                  subject, sizeof(subject), 40, 1790000000000,
                                  0, body, body_len, rec, sizeof(rec), &len),
      0);
  struct swim_record_info info = {.kind = MB_REC_RAID_TASK};
  mb_coord_record(c.coord[5], c.fx.now, &info, rec, len);
  uint32_t before = c.progress_out[5];
  cfx_run(&c, 100);
  /* Ours: announced in the heartbeat (its lease is then asked for). */
  assert_true(c.progress_out[5] > before);
  struct swim_member_info me;
  long k = swim_member_find(c.fx.node[5], c.fx.id[5].pk);
  assert_true(k >= 0);
  assert_int_equal(swim_member_get(c.fx.node[5], (size_t)k, &me), 0);
  assert_int_equal(me.n_tasks, 1);
  assert_int_equal(me.tasks[0].id, 9);
  cfx_free(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_non_voters_learn_arrays_and_leader),
      cmocka_unit_test(test_late_joiner_learns_from_the_mesh),
      cmocka_unit_test(test_non_voter_target_rebuilds),
      cmocka_unit_test(test_non_voter_coordinator_forwards),
      cmocka_unit_test(test_older_record_changes_nothing),
      cmocka_unit_test(test_record_not_by_a_coordinator_is_refused),
      cmocka_unit_test(test_task_restored_before_the_view),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
