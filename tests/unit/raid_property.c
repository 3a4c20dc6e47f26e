/*
 * The randomized property case of unit_raid: many seeds of random meshes,
 * arrays, deaths, returns, flapping, drains, stalled and progressing
 * executors, and random (mostly stale or invalid) raw commands, all through
 * the planner and mb_raid_apply.  fx_apply checks the invariants after every
 * command and that a refusal changes nothing; a second replica must answer
 * every command alike and end byte for byte the same; the snapshot must
 * round-trip; and once the faults stop, every array that did not lose more
 * than its parity must be healthy again.
 */
#include "raid_fixture.h"

#include <stdio.h>
#include <stdlib.h>

#define SEEDS 300
#define STEPS 150

static unsigned pick(struct mb_rng *r, unsigned n) {
  return (unsigned)mb_rng_below(r, n);
}

static void make_mesh(struct fx *f, struct mb_rng *r, unsigned n_dev) {
  unsigned domains = 1 + pick(r, 4);
  for (unsigned i = 0; i < n_dev; i++) {
    char domain[8];
    snprintf(domain, sizeof domain, "d%u", pick(r, domains));
    fx_device(f, i, domain, (50 + pick(r, 100)) * FX_GB);
  }
  f->params.down_out_interval_ms = 60000;
  f->params.stall_timeout_ms = 30000;
  f->params.max_backfills = 1 + pick(r, 2);
  f->params.max_backfills_mesh = 1 + pick(r, 8);
}

static void random_shape(struct mb_rng *r, unsigned n_dev,
                         struct mb_raid_cmd *c) {
  static const int levels[] = {MB_RAID_LEVEL_RAID1, MB_RAID_LEVEL_RAID5,
                               MB_RAID_LEVEL_RAID6, MB_RAID_LEVEL_EC};
  c->level = (uint8_t)levels[pick(r, 4)];
  unsigned most = n_dev < 6 ? n_dev : 6;
  switch (c->level) {
  case MB_RAID_LEVEL_RAID1:
    c->data = 1, c->parity = (uint8_t)(1 + pick(r, most - 1));
    break;
  case MB_RAID_LEVEL_RAID5:
    c->data = (uint8_t)(2 + pick(r, most - 2)), c->parity = 1;
    break;
  case MB_RAID_LEVEL_RAID6:
    c->data = (uint8_t)(2 + pick(r, most > 4 ? most - 3 : 1)), c->parity = 2;
    break;
  default:
    c->data = (uint8_t)(1 + pick(r, most - 1));
    c->parity = (uint8_t)(1 + pick(r, most - c->data));
  }
}

/* An operator's create, placed like the CLI will place it. */
static void create_random(struct fx *f, struct mb_rng *r, unsigned n_dev) {
  struct mb_raid_cmd c = {.kind = MB_RAID_CMD_ARRAY_CREATE};
  random_shape(r, n_dev, &c);
  snprintf(c.array, sizeof c.array, "arr%u", pick(r, 12));
  c.size = (1 + pick(r, 20)) * FX_GB + pick(r, 1000);
  c.n_devices = (uint8_t)(c.data + c.parity);
  struct mb_raid_place_req req = {.bytes = (c.size + c.data - 1) / c.data,
                                  .n = c.n_devices};
  if (c.n_devices <= n_dev && mb_raid_place(f->s, &req, c.devices) == MB_OK)
    fx_apply(f, &c);
}

/* Any kind, fields from small pools: mostly refused, sometimes applied. */
static void raw_command(struct fx *f, struct mb_rng *r, unsigned n_dev) {
  struct mb_raid_cmd c = {.kind = (uint8_t)(1 + pick(r, 12))};
  unsigned dev = pick(r, n_dev);
  memcpy(c.device, fx_id(dev), MB_RAID_ID_LEN);
  memcpy(c.target, fx_id(pick(r, n_dev)), MB_RAID_ID_LEN);
  snprintf(c.name, sizeof c.name, "dev%u", dev);
  snprintf(c.domain, sizeof c.domain, "%s", f->obs[dev].domain);
  c.capacity = f->obs[dev].capacity - pick(r, 2) * FX_GB;
  c.incarnation = f->obs[dev].incarnation + pick(r, 2);
  c.on = pick(r, 2);
  snprintf(c.array, sizeof c.array, "arr%u", pick(r, 12));
  random_shape(r, n_dev, &c);
  c.size = (1 + pick(r, 20)) * FX_GB;
  c.n_devices = (uint8_t)pick(r, 4);
  for (unsigned i = 0; i < c.n_devices; i++)
    memcpy(c.devices[i], fx_id(pick(r, n_dev)), MB_RAID_ID_LEN);
  c.task = pick(r, 40);
  c.slot = (uint8_t)pick(r, 6);
  c.task_kind = (uint8_t)(1 + pick(r, 3));
  c.progress = pick(r, 3) * FX_GB;
  fx_apply(f, &c);
}

/* A member seen dead at an incarnation refutes with a newer one. */
static void refute_stale_deaths(struct fx *f, unsigned n_dev) {
  for (unsigned i = 0; i < n_dev; i++) {
    struct mb_raid_device_info d = fx_dev(f, i);
    struct mb_raid_observation *o = &f->obs[i];
    if (o->gossip == MB_RAID_GOSSIP_ALIVE && d.state != MB_RAID_DEV_UP &&
        o->incarnation <= d.incarnation)
      o->incarnation = d.incarnation + 1;
  }
}

/* Executors on live targets move on by a random share, or stall. */
static void run_executors(struct fx *f, struct mb_rng *r, bool steady) {
  for (size_t i = 0; i < mb_raid_task_count(f->s); i++) {
    struct mb_raid_task_info t;
    assert_ok(mb_raid_task_at(f->s, i, &t));
    bool live =
        t.state == MB_RAID_TASK_QUEUED || t.state == MB_RAID_TASK_RUNNING;
    struct mb_raid_observation *o = &f->obs[fx_index_of(t.target)];
    if (!live || o->gossip != MB_RAID_GOSSIP_ALIVE ||
        (!steady && pick(r, 3) == 0))
      continue;
    uint64_t done = t.progress;
    for (size_t k = 0; k < o->n_tasks; k++)
      if (o->tasks[k].task == t.id && o->tasks[k].done > done)
        done = o->tasks[k].done;
    done += steady ? t.bytes : mb_rng_below(r, t.bytes / 2 + 1);
    fx_progress(f, t.id, done < t.bytes ? done : t.bytes);
  }
}

static void fault(struct fx *f, struct mb_rng *r, unsigned n_dev) {
  unsigned dev = pick(r, n_dev), roll = pick(r, 100);
  struct mb_raid_observation *o = &f->obs[dev];
  if (roll < 5)
    fx_dies(f, dev);
  else if (roll < 15 && o->gossip != MB_RAID_GOSSIP_ALIVE)
    fx_returns(f, dev);
  else if (roll < 19)
    o->flap_held = !o->flap_held;
  else if (roll < 22)
    o->draining = !o->draining;
  else if (roll < 24)
    o->gossip = MB_RAID_GOSSIP_SUSPECT;
  else if (roll < 34)
    raw_command(f, r, n_dev);
  else if (roll < 38)
    create_random(f, r, n_dev);
}

static void faults_stop(struct fx *f, struct mb_rng *r, unsigned n_dev) {
  for (unsigned i = 0; i < n_dev; i++) {
    struct mb_raid_observation *o = &f->obs[i];
    if (o->gossip != MB_RAID_GOSSIP_ALIVE)
      fx_returns(f, i);
    o->flap_held = false;
    o->draining = false;
  }
  for (int round = 0; round < 600; round++) {
    refute_stale_deaths(f, n_dev);
    run_executors(f, r, true);
    f->now += 10000;
    fx_plan_apply(f);
  }
}

static void assert_healed(const struct fx *f, uint64_t seed) {
  for (size_t i = 0; i < mb_raid_array_count(f->s); i++) {
    struct mb_raid_array_info a;
    assert_ok(mb_raid_array_at(f->s, i, &a));
    if (a.state != MB_RAID_ARRAY_FAILED && a.state != MB_RAID_ARRAY_HEALTHY)
      fail_msg("seed %llu: array %s still %s after the faults stopped",
               (unsigned long long)seed, a.name,
               mb_raid_array_state_name(a.state));
  }
}

static void assert_replicas_alike(const struct fx *f) {
  uint8_t *a, *b;
  size_t alen, blen;
  assert_ok(mb_raid_state_encode(f->s, &a, &alen));
  assert_ok(mb_raid_state_encode(f->replica, &b, &blen));
  assert_int_equal(alen, blen);
  assert_memory_equal(a, b, alen);
  struct mb_raid_state *copy;
  assert_ok(mb_raid_state_decode(a, alen, &copy));
  free(b);
  assert_ok(mb_raid_state_encode(copy, &b, &blen));
  assert_int_equal(alen, blen);
  assert_memory_equal(a, b, alen);
  mb_raid_state_free(copy);
  free(a);
  free(b);
}

/* What the runs went through, so a change that stops them reaching a
 * rule shows (printed once). */
struct tally {
  uint64_t applied[16], refused[16], failed, arrays;
};

static void count(struct tally *t, const struct fx *f) {
  for (int k = 0; k < 16; k++) {
    t->applied[k] += f->applied[k];
    t->refused[k] += f->refused[k];
  }
  for (size_t i = 0; i < mb_raid_array_count(f->s); i++) {
    struct mb_raid_array_info a;
    assert_ok(mb_raid_array_at(f->s, i, &a));
    t->failed += a.state == MB_RAID_ARRAY_FAILED;
    t->arrays++;
  }
}

static void print_tally(const struct tally *t) {
  static const char *const kinds[] = {
      "",       "report", "down",     "up",   "out",      "drain", "create",
      "remove", "start",  "progress", "done", "reassign", "cancel"};
  print_message("random runs: %d seeds, %llu arrays at the end (%llu "
                "failed)\n",
                SEEDS, (unsigned long long)t->arrays,
                (unsigned long long)t->failed);
  for (int k = 1; k <= MB_RAID_CMD_TASK_CANCEL; k++)
    print_message("  %-9s applied %6llu  refused %6llu\n", kinds[k],
                  (unsigned long long)t->applied[k],
                  (unsigned long long)t->refused[k]);
}

static void one_run(uint64_t seed, struct tally *tally) {
  struct mb_rng r;
  mb_rng_seed(&r, seed);
  struct fx *f = fx_new();
  f->replica = mb_raid_state_new();
  unsigned n_dev = 3 + pick(&r, 10);
  make_mesh(f, &r, n_dev);
  for (unsigned i = 0, n = 1 + pick(&r, 6); i < n; i++)
    create_random(f, &r, n_dev);
  for (int step = 0; step < STEPS; step++) {
    fault(f, &r, n_dev);
    refute_stale_deaths(f, n_dev);
    run_executors(f, &r, false);
    f->now += mb_rng_below(&r, 20000);
    fx_plan_apply(f);
  }
  faults_stop(f, &r, n_dev);
  assert_healed(f, seed);
  assert_replicas_alike(f);
  count(tally, f);
  fx_free(f);
}

void raid_property_random_runs(void **state) {
  (void)state;
  struct tally tally = {0};
  for (uint64_t seed = 1; seed <= SEEDS; seed++)
    one_run(seed, &tally);
  print_tally(&tally);
}
