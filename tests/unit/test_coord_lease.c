/*
 * unit_coord_lease: task leases (src/coord/lease.h).  A rebuild's target
 * cut off from the rest of the mesh must stop copying before the leader
 * moves the task to another device: at no step do two devices run one
 * task.  Without the lease the cut-off target copies on while the new
 * target starts, and this test fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <string.h>

#include "coord_fixture.h"
#include "lease.h"

static const struct mb_raid_state *leader_replica(struct cfx *c) {
  int l = cfx_leader(c);
  return l >= 0 ? mb_coord_replica(c->coord[l]) : NULL;
}

static void create_raid1(struct cfx *c, int leader) {
  struct mb_raid_cmd cmd = cfx_raid1("a", 3);
  cfx_run(c, 2000);
  c->answered = false;
  assert_int_equal(mb_coord_request(c->coord[leader], c->fx.now, 1, &cmd), 0);
  assert_true(cfx_run_until(c, 5000, cfx_answered, NULL));
  assert_int_equal(c->answer_rc, 0);
}

/* Is executor entry e (at any node) a task for `slot` of "a"? */
static bool for_slot(struct cfx *c, const struct cfx_exec *e, unsigned slot) {
  struct mb_raid_task_info t;
  const struct mb_raid_state *s = leader_replica(c);
  return !e->finished && s != NULL && mb_raid_task_find(s, e->id, &t) == 0 &&
         t.slot == slot && strcmp(t.array, "a") == 0;
}

/* Nodes whose executor runs a task for the slot now. */
static int running(struct cfx *c, unsigned slot, int *who) {
  int n = 0;
  for (int i = 0; i < CFX_NODES; i++)
    for (size_t k = 0; k < c->n_exec[i]; k++)
      if (for_slot(c, &c->exec[i][k], slot)) {
        *who = i;
        n++;
      }
  return n;
}

/* The fixture's one device that is no coordinator. */
#define NOT_COORDINATOR 5

struct watch {
  unsigned slot;
  int forger, target; /* a device forging grants for it, or -1 */
  uint64_t task;      /* the cut-off target's task */
  int worst;          /* most devices running a task for the slot at one step */
  int runner;         /* the last device seen running one */
};

static bool rebuild_running(struct cfx *c, void *arg) {
  struct watch *w = arg;
  return running(c, w->slot, &w->runner) == 1;
}

/* The device that is no coordinator grants the cut-off target a long
 * lease on its task: a grant from no coordinator must be ignored. */
static void forge_grant(struct cfx *c, const struct watch *w) {
  struct coord_lease_msg g = {.type = COORD_LEASE_GRANT,
                              .nonce = c->fx.now,
                              .n = 1,
                              .task = {w->task},
                              .left_ms = {60000}};
  uint8_t buf[COORD_LEASE_MAX];
  size_t len = coord_lease_encode(&g, buf);
  swim_app_send(c->fx.node[w->forger], c->fx.now, c->fx.id[w->target].pk,
                SWIM_APP_TASK_LEASE, buf, len);
  fx_drain(&c->fx, w->forger);
}

/* Watches every step; true once the array is healthy again. */
static bool watch_until_healthy(struct cfx *c, void *arg) {
  struct watch *w = arg;
  if (w->forger >= 0 && c->fx.now % 200 == 0)
    forge_grant(c, w);
  int who = -1, n = running(c, w->slot, &who);
  if (n > w->worst)
    w->worst = n;
  if (n > 0)
    w->runner = who;
  struct mb_raid_array_info a;
  const struct mb_raid_state *s = leader_replica(c);
  return s != NULL && mb_raid_array_find(s, "a", &a) == 0 &&
         a.state == MB_RAID_ARRAY_HEALTHY;
}

/* Cuts x off from every device but `keep` (-1: none). */
static void cut_off(struct cfx *c, int x, int keep) {
  for (int i = 0; i < CFX_NODES; i++)
    c->fx.cut[x][i] = c->fx.cut[i][x] = i != x && i != keep;
}

static void cut_off_target(bool forged) {
  struct cfx c;
  cfx_init(&c, 3000);
  cfx_start_coords(&c);
  assert_true(cfx_run_until(&c, 10000, cfx_has_leader, NULL));
  create_raid1(&c, cfx_leader(&c));
  c.rate = 1u << 20; /* a 64 s rebuild: still running when cut off */
  /* A device holding a slot whose domain's other device (the rebuild's
   * target: the array uses every other domain) is not the leader, so the
   * leader stays with the majority and moves the task at once. */
  struct mb_raid_array_info a;
  assert_int_equal(mb_raid_array_find(leader_replica(&c), "a", &a), 0);
  int victim = -1;
  struct watch w = {.forger = -1};
  for (size_t s = 0; s < a.n_slots && victim < 0; s++) {
    int n = cfx_node_of(&c, a.slots[s].device);
    if (n != cfx_leader(&c) && !(forged && n == NOT_COORDINATOR) &&
        (n + CFX_DOMAINS) % CFX_NODES != cfx_leader(&c)) {
      victim = n;
      w.slot = (unsigned)s;
    }
  }
  cfx_kill(&c, victim);
  assert_true(cfx_run_until(&c, 30000, rebuild_running, &w));
  int target = w.runner;
  assert_int_not_equal(target, cfx_leader(&c));
  if (forged) {
    assert_int_not_equal(target, NOT_COORDINATOR);
    w.forger = NOT_COORDINATOR;
    w.target = target;
    w.task = c.exec[target][0].id;
  }
  cut_off(&c, target, w.forger);
  uint64_t cut_at = c.fx.now;
  assert_true(cfx_run_until(&c, 240000, watch_until_healthy, &w));
  /* The slot was rebuilt elsewhere (the cut-off target never finished),
   * yet at no step by two devices at once: the target let go first. */
  assert_int_equal(w.worst, 1);
  assert_true(w.runner != target);
  assert_true(c.cancels[target] >= 1);
  assert_true(c.fx.now - cut_at > 3000); /* not before the fence lifted */
  cfx_free(&c);
}

static void test_cut_off_target_stops_before_its_task_moves(void **state) {
  (void)state;
  cut_off_target(false);
}

/* The same, while the device that is no coordinator, still linked to the
 * target, sends it long grants every 200 ms: the target ignores them. */
static void test_grants_from_no_coordinator_are_ignored(void **state) {
  (void)state;
  cut_off_target(true);
}

static void test_lease_codec(void **state) {
  (void)state;
  struct coord_lease_msg g = {.type = COORD_LEASE_GRANT,
                              .nonce = 0x0102030405060708ull,
                              .n = 2,
                              .task = {7, 1ull << 40},
                              .left_ms = {2500, 1}},
                         back;
  uint8_t buf[COORD_LEASE_MAX + 1] = {0};
  size_t len = coord_lease_encode(&g, buf);
  assert_int_equal(len, COORD_LEASE_HEAD + 2 * 12);
  assert_int_equal(coord_lease_decode(buf, len, &back), 0);
  assert_true(back.type == g.type && back.nonce == g.nonce && back.n == 2 &&
              back.task[1] == g.task[1] && back.left_ms[0] == 2500);
  /* A request is as long as its grant, so an answer is never larger. */
  g.type = COORD_LEASE_REQUEST;
  assert_int_equal(coord_lease_encode(&g, buf), len);
  assert_int_equal(coord_lease_decode(buf, len - 1, &back), MB_EINVAL);
  assert_int_equal(coord_lease_decode(buf, len + 1, &back), MB_EINVAL);
  assert_int_equal(coord_lease_decode(NULL, len, &back), MB_EINVAL);
  buf[9] = MB_HB_TASKS_MAX + 1; /* a count past the bound */
  assert_int_equal(
      coord_lease_decode(buf, COORD_LEASE_HEAD + 12 * buf[9], &back),
      MB_EINVAL);
  buf[0] = 3; /* another type */
  buf[9] = 0;
  assert_int_equal(coord_lease_decode(buf, COORD_LEASE_HEAD, &back), MB_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cut_off_target_stops_before_its_task_moves),
      cmocka_unit_test(test_grants_from_no_coordinator_are_ignored),
      cmocka_unit_test(test_lease_codec),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
