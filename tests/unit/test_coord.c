/*
 * unit_coord: the coordinator (mb_coord.h) on an in-process mesh of gossip
 * cores (coord_fixture.h): the bootstrap rule, one leader, an array placed
 * in distinct domains, a dead device's slots down at once and out after
 * the grace, its rebuild in another domain driven by the target's
 * heartbeat progress to healthy at every voter, a leader killed during a
 * rebuild onto a non-voter (which completes it), and a device back before
 * out resyncing instead.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "coord_fixture.h"
#include "forward.h"

static int start_with_leader(struct cfx *c, uint64_t down_out_ms) {
  cfx_init(c, down_out_ms);
  cfx_start_coords(c);
  assert_true(cfx_run_until(c, 10000, cfx_has_leader, NULL));
  return cfx_leader(c);
}

static const struct mb_raid_state *replica(struct cfx *c, int i) {
  return c->coord[i] ? mb_coord_replica(c->coord[i]) : NULL;
}

static bool array_at(struct cfx *c, int i, struct mb_raid_array_info *a) {
  const struct mb_raid_state *s = replica(c, i);
  return s != NULL && mb_raid_array_find(s, "a", a) == 0;
}

/* The array "a" (raid1, data 1, parity 2), asked of the leader. */
static void create_array(struct cfx *c, int leader) {
  struct mb_raid_cmd cmd = cfx_raid1("a", 3);
  /* The ledger needs the devices' reports first. */
  cfx_run(c, 2000);
  c->answered = false;
  assert_int_equal(mb_coord_request(c->coord[leader], c->fx.now, 7, &cmd), 0);
  assert_true(cfx_run_until(c, 5000, cfx_answered, NULL));
  assert_int_equal(c->answer_req, 7);
  assert_int_equal(c->answer_rc, 0);
}

struct slot_wait {
  int node, slot, state, array_state;
};

static bool slot_is(struct cfx *c, void *arg) {
  struct slot_wait *w = arg;
  struct mb_raid_array_info a;
  return array_at(c, w->node, &a) && a.slots[w->slot].state == w->state &&
         (w->array_state < 0 || a.state == w->array_state);
}

struct dead_wait {
  int observer, subject;
};

static bool seen_dead(struct cfx *c, void *arg) {
  struct dead_wait *w = arg;
  return fx_state(&c->fx, w->observer, w->subject) == SWIM_DEAD;
}

static bool voters_healthy(struct cfx *c, void *arg) {
  const uint8_t *holder = arg;
  for (int i = 0; i < 3; i++) {
    struct mb_raid_array_info a;
    if (c->coord[i] == NULL)
      continue;
    if (!array_at(c, i, &a) || a.state != MB_RAID_ARRAY_HEALTHY)
      return false;
    for (size_t s = 0; holder && s < a.n_slots; s++)
      if (memcmp(a.slots[s].device, holder, MB_NODE_ID_LEN) == 0)
        return false;
  }
  return true;
}

/* A slot of "a" held by a device that is not a voter (voter false) or by
 * a voter that does not lead (true): the one to kill. */
static int holder_slot(struct cfx *c, int leader, bool voter, int *victim) {
  struct mb_raid_array_info a;
  assert_true(array_at(c, leader, &a));
  for (size_t s = 0; s < a.n_slots; s++) {
    int n = cfx_node_of(c, a.slots[s].device);
    if (voter ? n < 3 && n != leader : n >= 3) {
      *victim = n;
      return (int)s;
    }
  }
  fail_msg("no slot on such a device");
  return -1;
}

static void test_bootstrap_waits_for_every_voter(void **state) {
  (void)state;
  struct cfx c;
  cfx_init(&c, 3000);
  cfx_kill(&c, 2); /* one configured voter is not there */
  fx_run_until(&c.fx, c.fx.now + 10000);
  assert_int_equal(fx_state(&c.fx, 0, 2), SWIM_DEAD);
  cfx_start_coords(&c);
  cfx_run(&c, 8000);
  for (int i = 0; i < CFX_NODES; i++) {
    struct mb_coord_status st;
    if (c.coord[i] == NULL)
      continue;
    mb_coord_info(c.coord[i], &st);
    assert_int_equal(st.n_voters, 0);
    assert_true(st.role != MB_COORD_LEADER);
  }
  cfx_restart(&c, 2);
  assert_true(cfx_run_until(&c, 15000, cfx_has_leader, NULL));
  int leader = cfx_leader(&c);
  assert_in_range(leader, 0, 2);
  cfx_run(&c, 2000);
  assert_int_equal(cfx_leader(&c), leader);
  struct mb_coord_status ls;
  mb_coord_info(c.coord[leader], &ls);
  for (int i = 0; i < CFX_NODES; i++) {
    struct mb_coord_status st;
    mb_coord_info(c.coord[i], &st);
    assert_int_equal(st.is_voter, i < 3);
    assert_int_equal(st.role,
                     i < 3 ? (i == leader ? MB_COORD_LEADER : MB_COORD_FOLLOWER)
                     : i < 5 ? MB_COORD_WAITING
                             : MB_COORD_NONE);
    if (i < 3) {
      assert_int_equal(st.term, ls.term);
      assert_memory_equal(st.leader, c.fx.id[leader].pk, MB_NODE_ID_LEN);
      assert_int_equal(st.n_voters, 3);
    }
  }
  cfx_free(&c);
}

static void test_create_in_distinct_domains(void **state) {
  (void)state;
  struct cfx c;
  int leader = start_with_leader(&c, 3000);
  create_array(&c, leader);
  cfx_run(&c, 1000);
  for (int i = 0; i < 3; i++) {
    struct mb_raid_array_info a;
    assert_true(array_at(&c, i, &a));
    assert_int_equal(a.state, MB_RAID_ARRAY_HEALTHY);
    assert_int_equal(a.n_slots, 3);
    for (size_t s = 0; s < 3; s++)
      for (size_t t = s + 1; t < 3; t++)
        assert_string_not_equal(a.slots[s].domain, a.slots[t].domain);
  }
  struct mb_raid_cmd cmd = {.kind = MB_RAID_CMD_ARRAY_REMOVE};
  strcpy(cmd.array, "a");
  assert_int_equal(mb_coord_request(c.coord[5], c.fx.now, 9, &cmd),
                   MB_ENOTCOORD);
  /* A forward crafted by a device that is no coordinator is refused. */
  uint8_t fwd[COORD_FWD_MAX];
  size_t len;
  assert_int_equal(coord_fwd_request_encode(11, &cmd, fwd, sizeof(fwd), &len),
                   0);
  assert_int_equal(swim_app_send(c.fx.node[5], c.fx.now, c.fx.id[leader].pk,
                                 SWIM_APP_RAID_ADMIN, fwd, len),
                   0);
  fx_drain(&c.fx, 5);
  cfx_run(&c, 1000);
  uint8_t type;
  uint64_t req;
  int rc = 0;
  assert_int_equal(
      coord_fwd_decode(c.admin_last[5], c.admin_len[5], &type, &req, NULL, &rc),
      0);
  assert_int_equal(type, COORD_FWD_ANSWER);
  assert_int_equal(req, 11);
  assert_int_equal(rc, MB_ENOTCOORD);
  struct mb_raid_array_info a;
  assert_true(array_at(&c, leader, &a));
  /* A follower voter forwards to the leader and answers once applied. */
  int follower = leader == 0 ? 1 : 0;
  c.answered = false;
  assert_int_equal(mb_coord_request(c.coord[follower], c.fx.now, 12, &cmd), 0);
  assert_true(cfx_run_until(&c, 5000, cfx_answered, NULL));
  assert_int_equal(c.answer_req, 12);
  assert_int_equal(c.answer_rc, 0);
  cfx_run(&c, 1000);
  for (int i = 0; i < 3; i++)
    assert_false(array_at(&c, i, &a));
  cfx_free(&c);
}

static bool task_done(struct cfx *c, void *arg) {
  const uint64_t *id = arg;
  int leader = cfx_leader(c);
  struct mb_raid_task_info t;
  return leader >= 0 && mb_raid_task_find(replica(c, leader), *id, &t) == 0 &&
         t.state == MB_RAID_TASK_DONE;
}

static bool rebuild_running(struct cfx *c, void *arg) {
  uint64_t *id = arg;
  int leader = cfx_leader(c);
  const struct mb_raid_state *s = leader >= 0 ? replica(c, leader) : NULL;
  for (size_t i = 0; s != NULL && i < mb_raid_task_count(s); i++) {
    struct mb_raid_task_info t;
    mb_raid_task_at(s, i, &t);
    if (t.kind == MB_RAID_TASK_REBUILD && t.state == MB_RAID_TASK_RUNNING) {
      *id = t.id;
      return true;
    }
  }
  return false;
}

static void test_dead_device_rebuilt_in_another_domain(void **state) {
  (void)state;
  struct cfx c;
  int leader = start_with_leader(&c, 3000);
  create_array(&c, leader);
  int victim;
  int slot = holder_slot(&c, leader, false, &victim);
  cfx_kill(&c, victim);
  /* Down at once (degraded): committed within 100 ms of the leader's
   * gossip declaring it dead, well before the grace ends... */
  struct dead_wait dw = {leader, victim};
  assert_true(cfx_run_until(&c, 10000, seen_dead, &dw));
  struct slot_wait down = {leader, slot, MB_RAID_SLOT_DOWN,
                           MB_RAID_ARRAY_DEGRADED};
  assert_true(cfx_run_until(&c, 100, slot_is, &down));
  uint64_t down_at = c.fx.now;
  /* ... then out, and rebuilt. */
  uint64_t id = 0;
  assert_true(cfx_run_until(&c, 15000, rebuild_running, &id));
  assert_true(c.fx.now - down_at >= 3000);
  struct mb_raid_task_info t;
  assert_int_equal(mb_raid_task_find(replica(&c, leader), id, &t), 0);
  int target = cfx_node_of(&c, t.target);
  assert_true(target >= 0 && target != victim);
  struct mb_raid_array_info a;
  assert_true(array_at(&c, leader, &a));
  char domain[16];
  snprintf(domain, sizeof(domain), "rack%d", target % CFX_DOMAINS);
  for (size_t s = 0; s < a.n_slots; s++)
    if ((int)s != slot)
      assert_string_not_equal(a.slots[s].domain, domain);
  assert_int_equal(c.starts[target], 1);
  assert_true(c.progress_out[target] >= 1);
  assert_true(cfx_run_until(&c, 15000, task_done, &id));
  assert_true(cfx_run_until(&c, 5000, voters_healthy, c.fx.id[victim].pk));
  for (int i = 0; i < 3; i++) {
    assert_int_equal(c.applied[i][MB_RAID_CMD_TASK_DONE], 1);
    assert_int_equal(c.task_starts[i][MB_RAID_TASK_REBUILD], 1);
    assert_int_equal(c.task_starts[i][MB_RAID_TASK_RESYNC], 0);
  }
  assert_int_equal(c.cancels[target], 1); /* done: the executor lets go */
  /* One leader all along, which plans again only once what it proposed is
   * applied: nothing it proposed was stale. */
  assert_int_equal(c.refused[leader], 0);
  cfx_free(&c);
}

static bool other_leader(struct cfx *c, void *arg) {
  int old = *(int *)arg;
  int l = cfx_leader(c);
  return l >= 0 && l != old;
}

/* The target is a non-voter (voters report less capacity, and a mirror
 * of two leaves a third domain free), so the leader's death leaves it
 * copying under its lease: the new leader grants the next lease, sees
 * its progress in gossip and commits the same task done, without
 * reassigning it (publication tells the target it is still its task;
 * docs/raid.md, Publication).  A lease that runs out before the new
 * leader is elected makes the target give up, and the task is
 * reassigned instead (task leases). */
static void test_leader_killed_during_rebuild(void **state) {
  (void)state;
  struct cfx c;
  cfx_init(&c, 3000);
  cfx_prefer_non_voters(&c);
  /* A lease (stall / 2) that outlasts the election: the target keeps
   * copying until the new leader grants it the next one. */
  c.base.params.stall_timeout_ms = 10000;
  cfx_start_coords(&c);
  assert_true(cfx_run_until(&c, 10000, cfx_has_leader, NULL));
  int leader = cfx_leader(&c);
  struct mb_raid_cmd cmd = {.kind = MB_RAID_CMD_ARRAY_CREATE,
                            .level = MB_RAID_LEVEL_RAID1,
                            .data = 1,
                            .parity = 1,
                            .size = 64u << 20};
  strcpy(cmd.array, "a");
  cfx_run(&c, 2000);
  c.answered = false;
  assert_int_equal(mb_coord_request(c.coord[leader], c.fx.now, 7, &cmd), 0);
  assert_true(cfx_run_until(&c, 5000, cfx_answered, NULL));
  assert_int_equal(c.answer_rc, 0);
  int victim;
  holder_slot(&c, leader, false, &victim);
  c.rate = 4u << 20; /* a rebuild of 16 s: the leader dies during it */
  cfx_kill(&c, victim);
  uint64_t id = 0;
  assert_true(cfx_run_until(&c, 25000, rebuild_running, &id));
  struct mb_raid_task_info t;
  assert_int_equal(mb_raid_task_find(replica(&c, leader), id, &t), 0);
  int target = cfx_node_of(&c, t.target);
  assert_in_range(target, 3, CFX_NODES - 1);
  cfx_kill(&c, leader);
  assert_true(cfx_run_until(&c, 15000, other_leader, &leader));
  assert_true(cfx_run_until(&c, 60000, voters_healthy, c.fx.id[victim].pk));
  int now_leader = cfx_leader(&c);
  assert_int_equal(mb_raid_task_find(replica(&c, now_leader), id, &t), 0);
  assert_int_equal(t.state, MB_RAID_TASK_DONE);
  assert_int_equal(cfx_node_of(&c, t.target), target);
  assert_int_equal(c.applied[now_leader][MB_RAID_CMD_TASK_REASSIGN], 0);
  assert_int_equal(c.applied[now_leader][MB_RAID_CMD_TASK_CANCEL], 0);
  assert_int_equal(c.starts[target], 1);
  /* Devices without a replica name the new leader and its term (the
   * one that is no voter yet: a voter's replacement may be one now). */
  struct mb_coord_status ls, st;
  mb_coord_info(c.coord[now_leader], &ls);
  int checked = 0;
  for (int i = 3; i < CFX_NODES; i++) {
    if (c.coord[i] == NULL)
      continue;
    mb_coord_info(c.coord[i], &st);
    if (st.is_voter) /* the dead leader's heir */
      continue;
    assert_true(st.from_publication);
    assert_memory_equal(st.leader, c.fx.id[now_leader].pk, MB_NODE_ID_LEN);
    assert_int_equal(st.term, ls.term);
    checked++;
  }
  assert_true(checked >= 1);
  cfx_free(&c);
}

static void test_back_before_out_resyncs(void **state) {
  (void)state;
  struct cfx c;
  int leader = start_with_leader(&c, 60000);
  create_array(&c, leader);
  int victim;
  int slot = holder_slot(&c, leader, true, &victim);
  cfx_kill(&c, victim);
  struct slot_wait down = {leader, slot, MB_RAID_SLOT_DOWN,
                           MB_RAID_ARRAY_DEGRADED};
  assert_true(cfx_run_until(&c, 10000, slot_is, &down));
  cfx_restart(&c, victim);
  assert_true(cfx_run_until(&c, 20000, voters_healthy, NULL));
  struct mb_raid_array_info a;
  assert_true(array_at(&c, leader, &a));
  assert_memory_equal(a.slots[slot].device, c.fx.id[victim].pk, MB_NODE_ID_LEN);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(c.task_starts[i][MB_RAID_TASK_RESYNC], 1);
    assert_int_equal(c.task_starts[i][MB_RAID_TASK_REBUILD], 0);
    assert_int_equal(c.applied[i][MB_RAID_CMD_DEVICE_OUT], 0);
  }
  assert_int_equal(c.starts[victim], 1);
  cfx_free(&c);
}

static bool voter_replaced(struct cfx *c, void *arg) {
  int dead = *(int *)arg;
  int leader = cfx_leader(c);
  if (leader < 0)
    return false;
  struct mb_coord_status st;
  mb_coord_info(c->coord[leader], &st);
  if (st.n_voters != 3)
    return false;
  for (size_t v = 0; v < st.n_voters; v++)
    if (cfx_node_of(c, st.voters[v].id) == dead)
      return false;
  return true;
}

static void test_dead_voter_replaced_in_its_domain(void **state) {
  (void)state;
  struct cfx c;
  int leader = start_with_leader(&c, 3000);
  create_array(&c, leader);
  /* n0 or n1, whichever does not lead: n3 and n4 share their domains. */
  int dead = leader == 0 ? 1 : 0;
  int heir = dead + 3;
  cfx_kill(&c, dead);
  cfx_run(&c, 4000);
  struct mb_coord_status st;
  mb_coord_info(c.coord[leader], &st);
  assert_false(voter_replaced(&c, &dead)); /* not before the grace */
  assert_true(cfx_run_until(&c, 20000, voter_replaced, &dead));
  mb_coord_info(c.coord[heir], &st);
  assert_true(st.is_voter);
  cfx_run(&c, 2000);
  struct mb_raid_array_info a;
  assert_true(array_at(&c, heir, &a)); /* caught up with the log */
  for (int i = 0; i < CFX_NODES; i++) {
    if (i == heir || i == dead)
      continue;
    mb_coord_info(c.coord[i], &st);
    assert_int_equal(st.is_voter, i < 3);
  }
  /* The leader record says so to devices without a replica. */
  mb_coord_info(c.coord[5], &st);
  assert_true(st.from_publication);
  assert_int_equal(st.n_voters, 3);
  bool heir_listed = false;
  for (size_t v = 0; v < st.n_voters; v++) {
    assert_int_not_equal(cfx_node_of(&c, st.voters[v].id), dead);
    heir_listed |= cfx_node_of(&c, st.voters[v].id) == heir;
  }
  assert_true(heir_listed);
  cfx_free(&c);
}

/* Bad input on the admin channel is refused, never read past its end. */
static void test_forward_codec_refuses_bad_payloads(void **state) {
  (void)state;
  struct mb_raid_cmd cmd = {.kind = MB_RAID_CMD_ARRAY_REMOVE}, back;
  strcpy(cmd.array, "a");
  uint8_t buf[COORD_FWD_MAX], type;
  size_t len;
  uint64_t req;
  int rc;
  assert_int_equal(coord_fwd_request_encode(5, &cmd, buf, sizeof(buf), &len),
                   0);
  assert_int_equal(coord_fwd_decode(buf, len, &type, &req, &back, &rc), 0);
  assert_int_equal(type, COORD_FWD_REQUEST);
  assert_int_equal(req, 5);
  assert_string_equal(back.array, "a");
  for (size_t cut = 0; cut < len; cut++)
    assert_int_not_equal(coord_fwd_decode(buf, cut, &type, &req, &back, &rc),
                         0);
  len = coord_fwd_answer_encode(6, MB_ERAIDSPACE, buf);
  assert_int_equal(coord_fwd_decode(buf, len, &type, &req, &back, &rc), 0);
  assert_int_equal(rc, MB_ERAIDSPACE);
  assert_int_not_equal(coord_fwd_decode(buf, len - 1, &type, &req, &back, &rc),
                       0);
  buf[0] = 3; /* no such type */
  assert_int_not_equal(coord_fwd_decode(buf, len, &type, &req, &back, &rc), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_forward_codec_refuses_bad_payloads),
      cmocka_unit_test(test_bootstrap_waits_for_every_voter),
      cmocka_unit_test(test_create_in_distinct_domains),
      cmocka_unit_test(test_dead_device_rebuilt_in_another_domain),
      cmocka_unit_test(test_leader_killed_during_rebuild),
      cmocka_unit_test(test_back_before_out_resyncs),
      cmocka_unit_test(test_dead_voter_replaced_in_its_domain),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
