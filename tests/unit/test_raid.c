/*
 * The RAID coordinator's rules (docs/raid.md), one case each, on a small
 * world: six devices in three failure domains.  Every command goes through
 * the codec and mb_raid_apply, mb_raid_check runs after every apply, and a
 * refused command must leave the state byte for byte as it was
 * (raid_fixture.c).
 */
#include "raid_fixture.h"

#include <stdio.h>
#include <stdlib.h>

#define SIZE (10 * FX_GB)

/* Devices 0,1 in domain a; 2,3 in b; 4,5 in c; 100 GB each. */
static struct fx *world(void) {
  struct fx *f = fx_new();
  static const char *const domains[] = {"a", "a", "b", "b", "c", "c"};
  for (unsigned i = 0; i < 6; i++)
    fx_device(f, i, domains[i], 100 * FX_GB);
  return f;
}

/* A two-way mirror "m" on devices 0 and 2. */
static struct fx *world_with_mirror(void) {
  struct fx *f = world();
  fx_create(f, "m", MB_RAID_LEVEL_RAID1, 1, 1, SIZE, (unsigned[]){0, 2});
  return f;
}

/* Device i dies; the leader plans at once and again (its timer starts). */
static void death(struct fx *f, unsigned i) {
  fx_dies(f, i);
  fx_plan_apply(f);
  fx_plan_apply(f);
}

/* Time passes in steps of a second up to `ms`, planning at each step. */
static void wait_planning(struct fx *f, uint64_t ms) {
  for (uint64_t t = 0; t < ms; t += 1000) {
    f->now += 1000;
    fx_plan_apply(f);
  }
}

static size_t tasks_of_kind(const struct fx *f, int kind) {
  size_t n = 0;
  for (size_t i = 0; i < mb_raid_task_count(f->s); i++) {
    struct mb_raid_task_info t;
    assert_ok(mb_raid_task_at(f->s, i, &t));
    n += t.kind == kind;
  }
  return n;
}

/* ---- the codec ---------------------------------------------------------- */

static void commands_round_trip_through_the_codec(void **state) {
  (void)state;
  for (uint8_t kind = MB_RAID_CMD_DEVICE_REPORT;
       kind <= MB_RAID_CMD_TASK_CANCEL; kind++) {
    struct mb_raid_cmd c = {.kind = kind}, back;
    uint8_t buf[MB_RAID_CMD_MAX];
    size_t len;
    assert_ok(mb_raid_cmd_encode(&c, buf, sizeof buf, &len));
    assert_ok(mb_raid_cmd_decode(buf, len, &back));
    assert_memory_equal(&c, &back, sizeof c);
    assert_failed(mb_raid_cmd_decode(buf, len - 1, &back));
  }
  struct mb_raid_cmd c = {.kind = MB_RAID_CMD_ARRAY_CREATE,
                          .level = MB_RAID_LEVEL_EC,
                          .data = 4,
                          .parity = 2,
                          .size = UINT64_MAX,
                          .n_devices = MB_RAID_SLOTS_MAX},
                     back;
  snprintf(c.array, sizeof c.array, "%s",
           "an-array-name-of-exactly-sixty-three-bytes-xxxxxxxxxxxxxxxxxxxx");
  for (unsigned i = 0; i < MB_RAID_SLOTS_MAX; i++)
    memset(c.devices[i], 0xf0 ^ (int)i, MB_RAID_ID_LEN);
  uint8_t buf[MB_RAID_CMD_MAX];
  size_t len;
  assert_ok(mb_raid_cmd_encode(&c, buf, sizeof buf, &len));
  assert_ok(mb_raid_cmd_decode(buf, len, &back));
  assert_memory_equal(&c, &back, sizeof c);
  assert_rc(mb_raid_cmd_encode(&c, buf, len - 1, &len), MB_ENOSPACE);
}

static void malformed_commands_are_refused(void **state) {
  (void)state;
  struct mb_raid_cmd c;
  /* {1: 4} is DEVICE_OUT without its device. */
  assert_rc(mb_raid_cmd_decode((const uint8_t[]){0xa1, 0x01, 0x04}, 3, &c),
            MB_EMISSING);
  /* {1: 99}: no such kind. */
  assert_rc(mb_raid_cmd_decode((const uint8_t[]){0xa1, 0x01, 0x18, 99}, 4, &c),
            MB_EKIND);
  /* {1: 12, 15: 7, 19: 1}: CANCEL with a progress it must not carry. */
  assert_rc(
      mb_raid_cmd_decode(
          (const uint8_t[]){0xa3, 0x01, 0x0c, 0x0f, 0x07, 0x13, 0x01}, 7, &c),
      MB_EINVAL);
  /* {1: 4, 2: h'00'}: a device id of one byte. */
  assert_rc(mb_raid_cmd_decode(
                (const uint8_t[]){0xa2, 0x01, 0x04, 0x02, 0x41, 0x00}, 6, &c),
            MB_ERANGE);
  /* Keys out of order. */
  assert_rc(mb_raid_cmd_decode((const uint8_t[]){0xa2, 0x0f, 0x07, 0x01, 0x0c},
                               5, &c),
            MB_EDUPKEY);
  struct mb_raid_cmd none = {0};
  assert_memory_equal(&c, &none, sizeof c); /* nothing left behind */
}

/* ---- the ledger and placement ------------------------------------------ */

static void create_allocates_slot_bytes_rounded_up(void **state) {
  (void)state;
  struct fx *f = world();
  /* raid5 of 3+1: 10 bytes over 3 data slots is 4 bytes a slot. */
  fx_create(f, "r5", MB_RAID_LEVEL_RAID5, 3, 1, 10, (unsigned[]){0, 2, 4, 1});
  struct mb_raid_array_info a = fx_array(f, "r5");
  assert_int_equal(a.slot_bytes, 4);
  assert_int_equal(a.state, MB_RAID_ARRAY_HEALTHY);
  assert_int_equal(fx_dev(f, 0).allocated, 4);
  assert_int_equal(fx_dev(f, 1).allocated, 4);
  assert_int_equal(fx_dev(f, 3).allocated, 0);
  /* Removing it gives everything back. */
  struct mb_raid_cmd rm = {.kind = MB_RAID_CMD_ARRAY_REMOVE};
  snprintf(rm.array, sizeof rm.array, "r5");
  assert_ok(fx_apply(f, &rm));
  assert_int_equal(fx_dev(f, 0).allocated, 0);
  assert_rc(fx_apply(f, &rm), MB_ERAIDNAME);
  fx_free(f);
}

static void create_refuses_what_would_break_the_ledger(void **state) {
  (void)state;
  struct fx *f = world();
  struct mb_raid_cmd c = {.kind = MB_RAID_CMD_ARRAY_CREATE,
                          .level = MB_RAID_LEVEL_RAID1,
                          .data = 1,
                          .parity = 1,
                          .size = 101 * FX_GB,
                          .n_devices = 2};
  snprintf(c.array, sizeof c.array, "big");
  memcpy(c.devices[0], fx_id(0), MB_RAID_ID_LEN);
  memcpy(c.devices[1], fx_id(2), MB_RAID_ID_LEN);
  assert_rc(fx_apply(f, &c), MB_ERAIDSPACE); /* past the capacity */
  c.size = 60 * FX_GB;
  assert_ok(fx_apply(f, &c));
  snprintf(c.array, sizeof c.array, "second");
  assert_rc(fx_apply(f, &c), MB_ERAIDSPACE); /* 120 GB of 100 */
  memcpy(c.devices[0], fx_id(1), MB_RAID_ID_LEN);
  memcpy(c.devices[1], fx_id(1), MB_RAID_ID_LEN);
  assert_rc(fx_apply(f, &c), MB_ERAIDPLACE); /* two slots on one device */
  snprintf(c.array, sizeof c.array, "big");
  assert_rc(fx_apply(f, &c), MB_ERAIDEXISTS);
  snprintf(c.array, sizeof c.array, "third");
  c.level = MB_RAID_LEVEL_RAID5; /* raid5 has data >= 2 */
  assert_rc(fx_apply(f, &c), MB_ERAIDLEVEL);
  fx_free(f);
}

static void placement_spreads_domains_and_prefers_free_space(void **state) {
  (void)state;
  struct fx *f = world();
  /* Device 1 fuller than device 0: domain a's pick is device 0. */
  fx_create(f, "x", MB_RAID_LEVEL_RAID1, 1, 1, SIZE, (unsigned[]){1, 3});
  uint8_t out[4][MB_RAID_ID_LEN];
  struct mb_raid_place_req req = {.bytes = SIZE, .n = 3};
  assert_ok(mb_raid_place(f->s, &req, out));
  bool seen_domain[3] = {false};
  for (int i = 0; i < 3; i++) {
    unsigned d = fx_index_of(out[i]);
    assert_false(seen_domain[d / 2]); /* one slot per domain */
    seen_domain[d / 2] = true;
  }
  assert_int_equal(fx_index_of(out[0]), 0); /* most free, lowest id */
  /* Four slots in three domains: two share one, as they must. */
  req.n = 4;
  assert_ok(mb_raid_place(f->s, &req, out));
  /* Holders' domains are taken; busy devices are skipped. */
  uint8_t holders[1][MB_RAID_ID_LEN];
  bool busy[6] = {true}; /* device 0, in id order */
  memcpy(holders[0], fx_id(4), MB_RAID_ID_LEN);
  req = (struct mb_raid_place_req){
      .bytes = SIZE, .n = 2, .holders = holders, .n_holders = 1, .busy = busy};
  assert_ok(mb_raid_place(f->s, &req, out));
  assert_int_equal(fx_index_of(out[0]), 2); /* b: 2 has more free than 3 */
  assert_int_equal(fx_index_of(out[1]), 1); /* a, without the busy 0 */
  /* Nowhere has room for this much. */
  req = (struct mb_raid_place_req){.bytes = 101 * FX_GB, .n = 1};
  assert_rc(mb_raid_place(f->s, &req, out), MB_ERAIDSPACE);
  fx_free(f);
}

/* ---- stale commands ----------------------------------------------------- */

static void stale_commands_are_refused_and_change_nothing(void **state) {
  (void)state;
  struct fx *f = world_with_mirror();
  struct mb_raid_cmd c = {.kind = MB_RAID_CMD_DEVICE_DOWN, .incarnation = 5};
  memcpy(c.device, fx_id(0), MB_RAID_ID_LEN);
  assert_ok(fx_apply(f, &c));
  c.kind = MB_RAID_CMD_DEVICE_UP; /* seen alive in an older life */
  c.incarnation = 4;
  assert_rc(fx_apply(f, &c), MB_ERAIDSTATE);
  c.incarnation = 5; /* the same life, heard from again (a partition) */
  assert_ok(fx_apply(f, &c));
  c.kind = MB_RAID_CMD_DEVICE_DOWN; /* a death seen in an older life */
  c.incarnation = 4;
  assert_rc(fx_apply(f, &c), MB_ERAIDSTATE);
  c.kind = MB_RAID_CMD_DEVICE_OUT; /* out only from down */
  assert_rc(fx_apply(f, &c), MB_ERAIDSTATE);
  /* A replayed log index. */
  c.kind = MB_RAID_CMD_DEVICE_DOWN;
  c.incarnation = 7;
  assert_rc(mb_raid_apply(f->s, f->index, &c), MB_ERAIDINDEX);
  memset(c.device, 0x77, MB_RAID_ID_LEN);
  assert_rc(fx_apply(f, &c), MB_ERAIDDEVICE);
  fx_free(f);
}

static void a_task_command_for_an_old_target_is_refused(void **state) {
  (void)state;
  struct fx *f = world_with_mirror();
  death(f, 0);
  wait_planning(f, f->params.down_out_interval_ms + 2000);
  struct mb_raid_task_info t = fx_first_live(f);
  struct mb_raid_cmd again = {.kind = MB_RAID_CMD_TASK_START,
                              .slot = (uint8_t)t.slot,
                              .task_kind = MB_RAID_TASK_REBUILD,
                              .n_devices = 1};
  snprintf(again.array, sizeof again.array, "m");
  memcpy(again.target, fx_id(5), MB_RAID_ID_LEN);
  memcpy(again.devices[0], fx_id(2), MB_RAID_ID_LEN);
  assert_rc(fx_apply(f, &again), MB_ERAIDSTATE); /* the slot has a task */
  struct mb_raid_cmd move = {
      .kind = MB_RAID_CMD_TASK_REASSIGN, .task = t.id, .n_devices = 1};
  memcpy(move.device, t.target, MB_RAID_ID_LEN);
  memcpy(move.target, fx_id(5), MB_RAID_ID_LEN);
  memcpy(move.devices[0], fx_id(2), MB_RAID_ID_LEN);
  assert_ok(fx_apply(f, &move));
  assert_rc(fx_apply(f, &move), MB_ERAIDSTATE); /* already moved */
  struct mb_raid_cmd done = {.kind = MB_RAID_CMD_TASK_DONE, .task = t.id};
  memcpy(done.target, t.target, MB_RAID_ID_LEN); /* the old target's news */
  assert_rc(fx_apply(f, &done), MB_ERAIDSTATE);
  memcpy(done.target, fx_id(5), MB_RAID_ID_LEN);
  assert_ok(fx_apply(f, &done));
  assert_rc(fx_apply(f, &done), MB_ERAIDTASK);
  assert_int_equal(fx_array(f, "m").state, MB_RAID_ARRAY_HEALTHY);
  fx_free(f);
}

/* ---- failure, out, reconstruction --------------------------------------- */

static void a_dead_device_takes_its_slots_down_at_once(void **state) {
  (void)state;
  struct fx *f = world_with_mirror();
  fx_dies(f, 0);
  fx_plan_apply(f);
  assert_int_equal(fx_planned(f, MB_RAID_CMD_DEVICE_DOWN), 1);
  struct mb_raid_array_info a = fx_array(f, "m");
  assert_int_equal(a.state, MB_RAID_ARRAY_DEGRADED);
  assert_int_equal(a.slots[0].state, MB_RAID_SLOT_DOWN);
  assert_int_equal(a.slots[1].state, MB_RAID_SLOT_UP);
  assert_int_equal(fx_dev(f, 0).state, MB_RAID_DEV_DOWN);
  assert_int_equal(fx_dev(f, 0).allocated, SIZE); /* still its, for now */
  assert_int_equal(fx_live_tasks(f), 0);
  fx_free(f);
}

static void out_after_the_interval_then_rebuilt_in_another_domain(void **s) {
  (void)s;
  struct fx *f = world_with_mirror();
  death(f, 0);
  wait_planning(f, f->params.down_out_interval_ms - 1000);
  assert_int_equal(fx_dev(f, 0).state, MB_RAID_DEV_DOWN);
  assert_int_equal(fx_live_tasks(f), 0);
  f->now += 1000;
  fx_plan_apply(f);
  assert_int_equal(fx_planned(f, MB_RAID_CMD_DEVICE_OUT), 1);
  assert_int_equal(fx_array(f, "m").slots[0].state, MB_RAID_SLOT_OUT);
  fx_plan_apply(f);
  struct mb_raid_task_info t = fx_first_live(f);
  assert_int_equal(t.kind, MB_RAID_TASK_REBUILD);
  unsigned target = fx_index_of(t.target);
  assert_true(target / 2 != 1); /* not in the survivor's domain b */
  assert_int_equal(fx_dev(f, target).reserved, SIZE);
  assert_int_equal(fx_array(f, "m").state, MB_RAID_ARRAY_REBUILDING);
  fx_finish_tasks(f);
  struct mb_raid_array_info a = fx_array(f, "m");
  assert_int_equal(a.state, MB_RAID_ARRAY_HEALTHY);
  assert_memory_equal(a.slots[0].device, fx_id(target), MB_RAID_ID_LEN);
  assert_int_equal(fx_dev(f, target).reserved, 0);
  assert_int_equal(fx_dev(f, target).allocated, SIZE);
  assert_int_equal(fx_dev(f, 0).allocated, 0);
  fx_free(f);
}

static void a_return_before_out_gets_a_resync_not_a_rebuild(void **state) {
  (void)state;
  struct fx *f = world_with_mirror();
  death(f, 0);
  wait_planning(f, f->params.down_out_interval_ms / 2);
  fx_returns(f, 0);
  fx_plan_apply(f);
  assert_int_equal(fx_planned(f, MB_RAID_CMD_DEVICE_UP), 1);
  fx_plan_apply(f);
  struct mb_raid_task_info t = fx_first_live(f);
  assert_int_equal(t.kind, MB_RAID_TASK_RESYNC);
  assert_memory_equal(t.target, fx_id(0), MB_RAID_ID_LEN);
  assert_int_equal(fx_array(f, "m").slots[0].state, MB_RAID_SLOT_RESYNC);
  wait_planning(f, f->params.down_out_interval_ms);
  fx_finish_tasks(f);
  assert_int_equal(fx_array(f, "m").state, MB_RAID_ARRAY_HEALTHY);
  assert_int_equal(fx_dev(f, 0).state, MB_RAID_DEV_UP);
  assert_int_equal(tasks_of_kind(f, MB_RAID_TASK_REBUILD), 0);
  assert_int_equal(fx_dev(f, 0).allocated, SIZE);
  fx_free(f);
}

static void no_out_while_too_many_devices_are_down(void **state) {
  (void)state;
  struct fx *f = world_with_mirror();
  f->params.subtree_min_devices = 100; /* this case is about the share */
  /* Three of six down: 50% up, above 30%: outs go ahead. */
  for (unsigned i = 0; i < 3; i++)
    death(f, i * 2);
  wait_planning(f, f->params.down_out_interval_ms);
  assert_int_equal(fx_dev(f, 0).state, MB_RAID_DEV_OUT);
  /* Five of six down: only 1 of 6 up (17%), below 30%. */
  struct fx *g = world_with_mirror();
  g->params.subtree_min_devices = 100;
  for (unsigned i = 0; i < 5; i++)
    death(g, i);
  wait_planning(g, 2 * g->params.down_out_interval_ms);
  for (unsigned i = 0; i < 5; i++) /* 1 of 6 up: 17% < 30% */
    assert_int_equal(fx_dev(g, i).state, MB_RAID_DEV_DOWN);
  /* A looser ratio lets them out, after a whole grace: the time held
   * back did not count. */
  g->params.min_up_permille = 100;
  fx_plan_apply(g);
  assert_int_equal(fx_planned(g, MB_RAID_CMD_DEVICE_OUT), 0);
  wait_planning(g, g->params.down_out_interval_ms - 1000);
  assert_int_equal(fx_dev(g, 0).state, MB_RAID_DEV_DOWN);
  g->now += 1000;
  fx_plan_apply(g);
  assert_int_equal(fx_planned(g, MB_RAID_CMD_DEVICE_OUT), 5);
  fx_free(g);
  fx_free(f);
}

static void no_out_while_a_whole_domain_is_down(void **state) {
  (void)state;
  struct fx *f = world_with_mirror();
  death(f, 0);
  death(f, 1); /* all of domain a */
  wait_planning(f, 2 * f->params.down_out_interval_ms);
  assert_int_equal(fx_dev(f, 0).state, MB_RAID_DEV_DOWN);
  assert_int_equal(fx_dev(f, 1).state, MB_RAID_DEV_DOWN);
  assert_int_equal(fx_live_tasks(f), 0);
  /* One of them back: the domain is not wholly down, and the other goes
   * out after a whole grace from then, not at once (the other may be back
   * a moment later, as a domain's devices are). */
  fx_returns(f, 1);
  fx_plan_apply(f);
  fx_plan_apply(f);
  assert_int_equal(fx_dev(f, 0).state, MB_RAID_DEV_DOWN);
  wait_planning(f, f->params.down_out_interval_ms);
  assert_int_equal(fx_dev(f, 0).state, MB_RAID_DEV_OUT);
  fx_free(f);
}

static void a_flapping_device_is_held_down_and_not_rebuilt(void **state) {
  (void)state;
  struct fx *f = world_with_mirror();
  f->obs[0].flap_held = true;
  death(f, 0);
  assert_int_equal(fx_dev(f, 0).state, MB_RAID_DEV_DOWN);
  fx_returns(f, 0); /* alive again, but still held */
  wait_planning(f, 2 * f->params.down_out_interval_ms);
  assert_int_equal(fx_dev(f, 0).state, MB_RAID_DEV_DOWN);
  assert_int_equal(mb_raid_task_count(f->s), 0);
  /* The hold ends: back up, and a resync, not a rebuild. */
  f->obs[0].flap_held = false;
  fx_plan_apply(f);
  fx_plan_apply(f);
  assert_int_equal(fx_dev(f, 0).state, MB_RAID_DEV_UP);
  assert_int_equal(fx_first_live(f).kind, MB_RAID_TASK_RESYNC);
  fx_free(f);
}

static void backfills_are_throttled_on_the_target(void **state) {
  (void)state;
  struct fx *f = world();
  /* Only device 5 has room for a new slot. */
  fx_create(f, "m1", MB_RAID_LEVEL_RAID1, 1, 1, 50 * FX_GB, (unsigned[]){0, 2});
  fx_create(f, "m2", MB_RAID_LEVEL_RAID1, 1, 1, 50 * FX_GB, (unsigned[]){0, 3});
  fx_create(f, "fill1", MB_RAID_LEVEL_RAID1, 1, 1, 100 * FX_GB,
            (unsigned[]){1, 4});
  fx_create(f, "fill2", MB_RAID_LEVEL_RAID1, 1, 1, 50 * FX_GB,
            (unsigned[]){2, 3});
  death(f, 0);
  wait_planning(f, f->params.down_out_interval_ms + 1000);
  assert_int_equal(fx_live_tasks(f), 1);
  assert_memory_equal(fx_first_live(f).target, fx_id(5), MB_RAID_ID_LEN);
  fx_finish_tasks(f); /* one after the other, both on device 5 */
  assert_int_equal(tasks_of_kind(f, MB_RAID_TASK_REBUILD), 2);
  assert_int_equal(fx_array(f, "m1").state, MB_RAID_ARRAY_HEALTHY);
  assert_int_equal(fx_array(f, "m2").state, MB_RAID_ARRAY_HEALTHY);
  fx_free(f);
}

static void backfills_are_throttled_on_the_source(void **state) {
  (void)state;
  struct fx *f = world();
  /* Both mirrors can only be rebuilt by reading device 1. */
  fx_create(f, "m1", MB_RAID_LEVEL_RAID1, 1, 1, SIZE, (unsigned[]){0, 1});
  fx_create(f, "m2", MB_RAID_LEVEL_RAID1, 1, 1, SIZE, (unsigned[]){2, 1});
  death(f, 0);
  death(f, 2);
  wait_planning(f, f->params.down_out_interval_ms + 1000);
  assert_int_equal(fx_live_tasks(f), 1);
  f->params.max_backfills = 2;
  fx_plan_apply(f);
  assert_int_equal(fx_live_tasks(f), 2);
  fx_free(f);
}

static void the_mesh_cap_bounds_tasks_in_flight(void **state) {
  (void)state;
  struct fx *f = world();
  f->params.max_backfills_mesh = 1;
  fx_create(f, "m1", MB_RAID_LEVEL_RAID1, 1, 1, SIZE, (unsigned[]){0, 2});
  fx_create(f, "m2", MB_RAID_LEVEL_RAID1, 1, 1, SIZE, (unsigned[]){1, 4});
  death(f, 0);
  death(f, 1);
  f->params.subtree_min_devices = 100; /* domain a is wholly down */
  wait_planning(f, f->params.down_out_interval_ms + 1000);
  assert_int_equal(fx_live_tasks(f), 1);
  f->params.max_backfills_mesh = 2;
  fx_plan_apply(f);
  assert_int_equal(fx_live_tasks(f), 2);
  fx_free(f);
}

static void a_stalled_rebuild_moves_to_another_target(void **state) {
  (void)state;
  struct fx *f = world_with_mirror();
  death(f, 0);
  wait_planning(f, f->params.down_out_interval_ms + 1000);
  struct mb_raid_task_info t = fx_first_live(f);
  unsigned first = fx_index_of(t.target);
  fx_progress(f, t.id, 1000);
  fx_plan_apply(f);
  assert_int_equal(fx_first_live(f).state, MB_RAID_TASK_RUNNING);
  wait_planning(f, f->params.stall_timeout_ms - 1000);
  assert_memory_equal(fx_first_live(f).target, fx_id(first), MB_RAID_ID_LEN);
  f->now += 1000;
  fx_plan_apply(f);
  assert_int_equal(fx_planned(f, MB_RAID_CMD_TASK_REASSIGN), 1);
  struct mb_raid_task_info moved = fx_first_live(f);
  assert_int_equal(moved.id, t.id);
  assert_int_not_equal(fx_index_of(moved.target), first);
  assert_int_equal(moved.progress, 0);
  assert_int_equal(fx_dev(f, first).reserved, 0);
  assert_int_equal(fx_dev(f, fx_index_of(moved.target)).reserved, SIZE);
  fx_free(f);
}

static void a_stalled_resync_is_started_again(void **state) {
  (void)state;
  struct fx *f = world_with_mirror();
  death(f, 0);
  fx_returns(f, 0);
  fx_plan_apply(f);
  fx_plan_apply(f);
  uint64_t first = fx_first_live(f).id;
  wait_planning(f, f->params.stall_timeout_ms + 2000);
  struct mb_raid_task_info t;
  assert_ok(mb_raid_task_find(f->s, first, &t));
  assert_int_equal(t.state, MB_RAID_TASK_CANCELLED);
  struct mb_raid_task_info again = fx_first_live(f);
  assert_int_equal(again.kind, MB_RAID_TASK_RESYNC);
  assert_true(again.id > first);
  fx_free(f);
}

/* Down slots may come back with their data: only slots given up (out)
 * count against the parity.  Past it the array is failed for good. */
static void giving_up_more_than_the_parity_fails_the_array_for_good(void **s) {
  (void)s;
  struct fx *f = world_with_mirror();
  fx_create(f, "r6", MB_RAID_LEVEL_RAID6, 2, 2, SIZE, (unsigned[]){1, 3, 4, 5});
  death(f, 0);
  death(f, 2); /* both halves of m: down, not lost */
  assert_int_equal(fx_array(f, "m").state, MB_RAID_ARRAY_DEGRADED);
  death(f, 4);
  death(f, 5);
  death(f, 3); /* three of r6 down: more than its parity, none out yet */
  assert_int_equal(fx_array(f, "r6").state, MB_RAID_ARRAY_DEGRADED);
  f->params.min_up_permille = 0;
  f->params.subtree_min_devices = 100;
  wait_planning(f, 2 * f->params.down_out_interval_ms);
  assert_int_equal(fx_dev(f, 0).state, MB_RAID_DEV_OUT);
  assert_int_equal(fx_array(f, "m").state, MB_RAID_ARRAY_FAILED);
  assert_int_equal(fx_array(f, "r6").state, MB_RAID_ARRAY_FAILED);
  assert_int_equal(mb_raid_task_count(f->s), 0); /* never rebuilt */
  for (unsigned i = 0; i < 6; i++)
    if (fx_dev(f, i).state != MB_RAID_DEV_UP)
      fx_returns(f, i);
  wait_planning(f, 10000);
  assert_int_equal(fx_array(f, "m").state, MB_RAID_ARRAY_FAILED);
  assert_int_equal(fx_array(f, "r6").state, MB_RAID_ARRAY_FAILED);
  assert_int_equal(mb_raid_task_count(f->s), 0);
  fx_free(f);
}

/* Every slot of an array goes down (a partition takes them all) and comes
 * back before out.  The last to go missed no write: it is up at once, and
 * the others resync from it; nothing is failed or rebuilt.  Had the first
 * to leave come back alone, it would wait: it may have missed writes. */
static void an_array_wholly_down_and_back_heals_by_resync(void **s) {
  (void)s;
  struct fx *f = world();
  fx_create(f, "r5", MB_RAID_LEVEL_RAID5, 2, 1, SIZE, (unsigned[]){0, 2, 4});
  death(f, 0); /* r5 still takes writes on 2 and 4: slot 0 falls behind */
  death(f, 2); /* one up slot left: r5 can take no more writes */
  death(f, 4);
  assert_int_equal(fx_array(f, "r5").state, MB_RAID_ARRAY_DEGRADED);
  fx_returns(f, 0); /* behind, and nothing up to catch up from */
  wait_planning(f, 5000);
  assert_int_equal(fx_array(f, "r5").slots[0].state, MB_RAID_SLOT_DOWN);
  assert_int_equal(mb_raid_task_count(f->s), 0);
  fx_returns(f, 4);
  fx_returns(f, 2);
  fx_plan_apply(f); /* the returns are applied */
  assert_int_equal(fx_array(f, "r5").slots[1].state, MB_RAID_SLOT_UP);
  assert_int_equal(fx_array(f, "r5").slots[2].state, MB_RAID_SLOT_UP);
  wait_planning(f, 2000);
  assert_int_equal(tasks_of_kind(f, MB_RAID_TASK_RESYNC), 1);
  fx_finish_tasks(f);
  assert_int_equal(fx_array(f, "r5").state, MB_RAID_ARRAY_HEALTHY);
  assert_int_equal(tasks_of_kind(f, MB_RAID_TASK_REBUILD), 0);
  fx_free(f);
}

static void the_least_redundant_array_is_repaired_first(void **state) {
  (void)state;
  struct fx *f = world();
  f->params.max_backfills_mesh = 1;
  /* "a3" (3 copies, 1 lost: 1 left) sorts first by name; "z2" (2 copies,
   * 1 lost: none left) must still go first. */
  fx_create(f, "a3", MB_RAID_LEVEL_RAID1, 1, 2, SIZE, (unsigned[]){0, 2, 4});
  fx_create(f, "z2", MB_RAID_LEVEL_RAID1, 1, 1, SIZE, (unsigned[]){0, 3});
  death(f, 0);
  wait_planning(f, f->params.down_out_interval_ms + 1000);
  struct mb_raid_task_info t = fx_first_live(f);
  assert_string_equal(t.array, "z2");
  fx_free(f);
}

static void a_draining_device_is_emptied(void **state) {
  (void)state;
  struct fx *f = world_with_mirror();
  fx_create(f, "m2", MB_RAID_LEVEL_RAID1, 1, 1, SIZE, (unsigned[]){0, 4});
  f->obs[0].draining = true;
  fx_plan_apply(f);
  assert_int_equal(fx_planned(f, MB_RAID_CMD_DRAIN), 1);
  assert_true(fx_dev(f, 0).draining);
  fx_plan_apply(f);
  assert_int_equal(fx_first_live(f).kind, MB_RAID_TASK_MOVE);
  assert_int_equal(fx_array(f, "m").state, MB_RAID_ARRAY_HEALTHY);
  fx_finish_tasks(f);
  assert_int_equal(fx_dev(f, 0).allocated, 0);
  assert_int_equal(tasks_of_kind(f, MB_RAID_TASK_MOVE), 2);
  assert_int_equal(fx_array(f, "m").state, MB_RAID_ARRAY_HEALTHY);
  assert_int_equal(fx_array(f, "m2").state, MB_RAID_ARRAY_HEALTHY);
  fx_free(f);
}

static void a_new_leader_waits_the_whole_interval_again(void **state) {
  (void)state;
  struct fx *f = world_with_mirror();
  death(f, 0);
  wait_planning(f, f->params.down_out_interval_ms / 2);
  /* The leader changes: its timers were its own. */
  mb_raid_planner_free(f->p);
  f->p = mb_raid_planner_new();
  assert_non_null(f->p);
  fx_plan_apply(f); /* its timer starts now */
  wait_planning(f, f->params.down_out_interval_ms - 1000);
  assert_int_equal(fx_dev(f, 0).state, MB_RAID_DEV_DOWN);
  wait_planning(f, 1000);
  assert_int_equal(fx_dev(f, 0).state, MB_RAID_DEV_OUT);
  fx_free(f);
}

static void a_device_back_after_out_resyncs_what_was_not_rebuilt(void **s) {
  (void)s;
  struct fx *f = world();
  /* Every other device is full: the out slot cannot be rebuilt. */
  fx_create(f, "m", MB_RAID_LEVEL_RAID1, 1, 1, 100 * FX_GB, (unsigned[]){0, 2});
  fx_create(f, "f1", MB_RAID_LEVEL_RAID1, 1, 1, 100 * FX_GB,
            (unsigned[]){1, 3});
  fx_create(f, "f2", MB_RAID_LEVEL_RAID1, 1, 1, 100 * FX_GB,
            (unsigned[]){4, 5});
  death(f, 0);
  wait_planning(f, f->params.down_out_interval_ms + 1000);
  assert_int_equal(fx_dev(f, 0).state, MB_RAID_DEV_OUT);
  assert_int_equal(fx_array(f, "m").slots[0].state, MB_RAID_SLOT_OUT);
  assert_int_equal(fx_live_tasks(f), 0);
  fx_returns(f, 0);
  fx_plan_apply(f);
  fx_plan_apply(f);
  assert_int_equal(fx_first_live(f).kind, MB_RAID_TASK_RESYNC);
  fx_finish_tasks(f);
  assert_int_equal(fx_array(f, "m").state, MB_RAID_ARRAY_HEALTHY);
  assert_int_equal(tasks_of_kind(f, MB_RAID_TASK_REBUILD), 0);
  fx_free(f);
}

/* ---- snapshots ---------------------------------------------------------- */

static void snapshots_round_trip(void **state) {
  (void)state;
  struct fx *f = world_with_mirror();
  fx_create(f, "e", MB_RAID_LEVEL_EC, 3, 2, 7, (unsigned[]){1, 3, 4, 5, 0});
  death(f, 0);
  wait_planning(f, f->params.down_out_interval_ms + 1000);
  assert_true(fx_live_tasks(f) > 0);
  uint8_t *buf, *again;
  size_t len, again_len;
  assert_ok(mb_raid_state_encode(f->s, &buf, &len));
  struct mb_raid_state *copy;
  assert_ok(mb_raid_state_decode(buf, len, &copy));
  assert_ok(mb_raid_check(copy, NULL, 0));
  assert_ok(mb_raid_state_encode(copy, &again, &again_len));
  assert_int_equal(again_len, len);
  assert_memory_equal(again, buf, len);
  assert_int_equal(mb_raid_applied_index(copy), f->index);
  struct mb_raid_device_info d;
  assert_ok(mb_raid_device_find(copy, fx_id(2), &d));
  assert_int_equal(d.allocated, fx_dev(f, 2).allocated);
  for (size_t cut = 0; cut < len; cut += 7) {
    struct mb_raid_state *bad = NULL;
    assert_failed(mb_raid_state_decode(buf, cut, &bad));
    assert_null(bad);
  }
  free(again);
  free(buf);
  mb_raid_state_free(copy);
  fx_free(f);
}

/* A snapshot whose one array holds more than its device's capacity. */
static void an_overcommitted_snapshot_is_refused(void **state) {
  (void)state;
  uint8_t buf[512];
  uint8_t id[MB_RAID_ID_LEN], id2[MB_RAID_ID_LEN];
  memset(id, 1, sizeof id);
  memset(id2, 2, sizeof id2);
  struct mb_cbor_writer w;
  mb_cw_init(&w, buf, sizeof buf);
  mb_cw_map(&w, 5);
  mb_cw_uint(&w, 1), mb_cw_uint(&w, 9);
  mb_cw_uint(&w, 2), mb_cw_uint(&w, 1);
  mb_cw_uint(&w, 3), mb_cw_array(&w, 2);
  for (int i = 0; i < 2; i++) {
    mb_cw_map(&w, 8);
    mb_cw_uint(&w, 1), mb_cw_bytes(&w, i ? id2 : id, MB_RAID_ID_LEN);
    mb_cw_uint(&w, 2), mb_cw_textz(&w, "d");
    mb_cw_uint(&w, 3), mb_cw_textz(&w, "");
    mb_cw_uint(&w, 4), mb_cw_uint(&w, i ? 100 : 5); /* capacity */
    mb_cw_uint(&w, 5), mb_cw_uint(&w, 0);
    mb_cw_uint(&w, 6), mb_cw_uint(&w, 1);
    mb_cw_uint(&w, 7), mb_cw_uint(&w, 0);
    mb_cw_uint(&w, 8), mb_cw_bool(&w, false);
  }
  mb_cw_uint(&w, 4), mb_cw_array(&w, 1);
  mb_cw_map(&w, 7);
  mb_cw_uint(&w, 1), mb_cw_textz(&w, "m");
  mb_cw_uint(&w, 2), mb_cw_uint(&w, MB_RAID_LEVEL_RAID1);
  mb_cw_uint(&w, 3), mb_cw_uint(&w, 1);
  mb_cw_uint(&w, 4), mb_cw_uint(&w, 1);
  mb_cw_uint(&w, 5), mb_cw_uint(&w, 10); /* 10 bytes on a 5-byte device */
  mb_cw_uint(&w, 6), mb_cw_bool(&w, false);
  mb_cw_uint(&w, 7), mb_cw_array(&w, 2);
  mb_cw_array(&w, 2), mb_cw_bytes(&w, id, MB_RAID_ID_LEN), mb_cw_uint(&w, 0);
  mb_cw_array(&w, 2), mb_cw_bytes(&w, id2, MB_RAID_ID_LEN), mb_cw_uint(&w, 0);
  mb_cw_uint(&w, 5), mb_cw_array(&w, 0);
  assert_ok(mb_cw_status(&w));
  struct mb_raid_state *s = NULL;
  assert_rc(mb_raid_state_decode(buf, w.len, &s), MB_ERAIDCHECK);
  assert_null(s);
  /* The same with room for it decodes. */
  for (size_t i = 0; i + 1 < w.len; i++)
    if (buf[i] == 0x04 && buf[i + 1] == 0x05) { /* 4: 5 */
      buf[i + 1] = 0x0a;
      break;
    }
  assert_ok(mb_raid_state_decode(buf, w.len, &s));
  mb_raid_state_free(s);
}

/* A task that reads from a device the snapshot does not have. */
static void a_snapshot_naming_an_unknown_device_is_refused(void **state) {
  (void)state;
  struct fx *f = world_with_mirror();
  death(f, 0);
  wait_planning(f, f->params.down_out_interval_ms + 1000);
  assert_int_equal(fx_live_tasks(f), 1);
  uint8_t *buf;
  size_t len;
  assert_ok(mb_raid_state_encode(f->s, &buf, &len));
  /* The task's sources: key 7, an array of one 32-byte id. */
  static const uint8_t sources[] = {0x07, 0x81, 0x58, 0x20};
  uint8_t *at = memmem(buf, len, sources, sizeof sources);
  assert_non_null(at);
  memset(at + sizeof sources, 0x77, MB_RAID_ID_LEN);
  struct mb_raid_state *s = NULL;
  assert_rc(mb_raid_state_decode(buf, len, &s), MB_ERAIDCHECK);
  assert_null(s);
  free(buf);
  fx_free(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(commands_round_trip_through_the_codec),
      cmocka_unit_test(malformed_commands_are_refused),
      cmocka_unit_test(create_allocates_slot_bytes_rounded_up),
      cmocka_unit_test(create_refuses_what_would_break_the_ledger),
      cmocka_unit_test(placement_spreads_domains_and_prefers_free_space),
      cmocka_unit_test(stale_commands_are_refused_and_change_nothing),
      cmocka_unit_test(a_task_command_for_an_old_target_is_refused),
      cmocka_unit_test(a_dead_device_takes_its_slots_down_at_once),
      cmocka_unit_test(out_after_the_interval_then_rebuilt_in_another_domain),
      cmocka_unit_test(a_return_before_out_gets_a_resync_not_a_rebuild),
      cmocka_unit_test(no_out_while_too_many_devices_are_down),
      cmocka_unit_test(no_out_while_a_whole_domain_is_down),
      cmocka_unit_test(a_flapping_device_is_held_down_and_not_rebuilt),
      cmocka_unit_test(backfills_are_throttled_on_the_target),
      cmocka_unit_test(backfills_are_throttled_on_the_source),
      cmocka_unit_test(the_mesh_cap_bounds_tasks_in_flight),
      cmocka_unit_test(a_stalled_rebuild_moves_to_another_target),
      cmocka_unit_test(a_stalled_resync_is_started_again),
      cmocka_unit_test(giving_up_more_than_the_parity_fails_the_array_for_good),
      cmocka_unit_test(an_array_wholly_down_and_back_heals_by_resync),
      cmocka_unit_test(the_least_redundant_array_is_repaired_first),
      cmocka_unit_test(a_draining_device_is_emptied),
      cmocka_unit_test(a_new_leader_waits_the_whole_interval_again),
      cmocka_unit_test(a_device_back_after_out_resyncs_what_was_not_rebuilt),
      cmocka_unit_test(snapshots_round_trip),
      cmocka_unit_test(an_overcommitted_snapshot_is_refused),
      cmocka_unit_test(a_snapshot_naming_an_unknown_device_is_refused),
      cmocka_unit_test(raid_property_random_runs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
