/* The RAID world of raid_fixture.h. */
#include "raid_fixture.h"

#include <stdio.h>
#include <stdlib.h>

struct fx *fx_new(void) {
  struct fx *f = calloc(1, sizeof *f);
  assert_non_null(f);
  f->s = mb_raid_state_new();
  f->p = mb_raid_planner_new();
  assert_non_null(f->s);
  assert_non_null(f->p);
  mb_raid_params_default(&f->params);
  f->now = 1000000;
  return f;
}

void fx_free(struct fx *f) {
  mb_raid_state_free(f->s);
  mb_raid_state_free(f->replica);
  mb_raid_planner_free(f->p);
  free(f);
}

const uint8_t *fx_id(unsigned i) {
  static uint8_t ids[FX_MAX_DEV][MB_RAID_ID_LEN];
  memset(ids[i], (int)i + 1, MB_RAID_ID_LEN);
  return ids[i];
}

unsigned fx_index_of(const uint8_t *id) {
  return (unsigned)id[0] - 1;
}

static void assert_checked(const struct fx *f) {
  char why[256] = "";
  int rc = mb_raid_check(f->s, why, sizeof why);
  if (rc != MB_OK)
    fail_msg("mb_raid_check: %s", why);
}

int fx_apply(struct fx *f, const struct mb_raid_cmd *c) {
  uint8_t wire[MB_RAID_CMD_MAX];
  size_t len;
  struct mb_raid_cmd decoded;
  assert_ok(mb_raid_cmd_encode(c, wire, sizeof wire, &len));
  assert_ok(mb_raid_cmd_decode(wire, len, &decoded));
  uint8_t *before, *after;
  size_t before_len, after_len;
  assert_ok(mb_raid_state_encode(f->s, &before, &before_len));
  int rc = mb_raid_apply(f->s, f->index + 1, &decoded);
  assert_checked(f);
  if (f->replica != NULL)
    assert_rc(mb_raid_apply(f->replica, f->index + 1, &decoded), rc);
  if (decoded.kind < 16)
    (rc == MB_OK ? f->applied : f->refused)[decoded.kind]++;
  if (rc == MB_OK) {
    f->index++;
  } else {
    assert_ok(mb_raid_state_encode(f->s, &after, &after_len));
    assert_int_equal(after_len, before_len);
    assert_memory_equal(after, before, before_len);
    free(after);
  }
  free(before);
  return rc;
}

void fx_device(struct fx *f, unsigned i, const char *domain,
               uint64_t capacity) {
  assert_true(i < FX_MAX_DEV);
  struct mb_raid_observation *o = &f->obs[i];
  memset(o, 0, sizeof *o);
  memcpy(o->id, fx_id(i), MB_RAID_ID_LEN);
  snprintf(o->name, sizeof o->name, "dev%u", i);
  snprintf(o->domain, sizeof o->domain, "%s", domain);
  o->gossip = MB_RAID_GOSSIP_ALIVE;
  o->incarnation = 1;
  o->capacity = capacity;
  o->available = capacity;
  if (f->n_obs <= i)
    f->n_obs = i + 1;
  struct mb_raid_cmd c = {.kind = MB_RAID_CMD_DEVICE_REPORT,
                          .capacity = capacity,
                          .available = capacity,
                          .incarnation = 1};
  memcpy(c.device, o->id, MB_RAID_ID_LEN);
  memcpy(c.name, o->name, sizeof c.name);
  memcpy(c.domain, o->domain, sizeof c.domain);
  assert_ok(fx_apply(f, &c));
}

void fx_create(struct fx *f, const char *name, int level, unsigned data,
               unsigned parity, uint64_t size, const unsigned *devs) {
  struct mb_raid_cmd c = {.kind = MB_RAID_CMD_ARRAY_CREATE,
                          .level = (uint8_t)level,
                          .data = (uint8_t)data,
                          .parity = (uint8_t)parity,
                          .size = size,
                          .n_devices = (uint8_t)(data + parity)};
  snprintf(c.array, sizeof c.array, "%s", name);
  for (unsigned i = 0; i < data + parity; i++)
    memcpy(c.devices[i], fx_id(devs[i]), MB_RAID_ID_LEN);
  assert_ok(fx_apply(f, &c));
}

size_t fx_plan_apply(struct fx *f) {
  f->n_planned = mb_raid_plan(f->p, f->s, &f->params, f->now, f->obs, f->n_obs,
                              f->planned, 256);
  f->n_refused = 0;
  for (size_t i = 0; i < f->n_planned; i++)
    f->n_refused += fx_apply(f, &f->planned[i]) != MB_OK;
  return f->n_planned;
}

size_t fx_planned(const struct fx *f, int kind) {
  size_t n = 0;
  for (size_t i = 0; i < f->n_planned; i++)
    n += f->planned[i].kind == kind;
  return n;
}

void fx_dies(struct fx *f, unsigned i) {
  f->obs[i].gossip = MB_RAID_GOSSIP_DEAD;
  f->obs[i].n_tasks = 0;
}

void fx_returns(struct fx *f, unsigned i) {
  f->obs[i].gossip = MB_RAID_GOSSIP_ALIVE;
  f->obs[i].incarnation++;
}

static bool live(const struct fx *f, uint64_t task) {
  struct mb_raid_task_info t;
  return mb_raid_task_find(f->s, task, &t) == MB_OK &&
         (t.state == MB_RAID_TASK_QUEUED || t.state == MB_RAID_TASK_RUNNING);
}

/* A heartbeat carries only the tasks its device is running. */
static void forget_finished(const struct fx *f, struct mb_raid_observation *o) {
  size_t w = 0;
  for (size_t i = 0; i < o->n_tasks; i++)
    if (live(f, o->tasks[i].task))
      o->tasks[w++] = o->tasks[i];
  o->n_tasks = w;
}

void fx_progress(struct fx *f, uint64_t task, uint64_t done) {
  struct mb_raid_task_info t;
  assert_ok(mb_raid_task_find(f->s, task, &t));
  struct mb_raid_observation *o = &f->obs[fx_index_of(t.target)];
  forget_finished(f, o);
  for (size_t i = 0; i < o->n_tasks; i++)
    if (o->tasks[i].task == task) {
      o->tasks[i].done = done;
      return;
    }
  assert_true(o->n_tasks < MB_RAID_OBS_TASKS_MAX);
  o->tasks[o->n_tasks++] = (struct mb_raid_progress){task, done};
}

size_t fx_live_tasks(const struct fx *f) {
  size_t n = 0;
  for (size_t i = 0; i < mb_raid_task_count(f->s); i++) {
    struct mb_raid_task_info t;
    assert_ok(mb_raid_task_at(f->s, i, &t));
    n += t.state == MB_RAID_TASK_QUEUED || t.state == MB_RAID_TASK_RUNNING;
  }
  return n;
}

struct mb_raid_task_info fx_first_live(const struct fx *f) {
  for (size_t i = 0; i < mb_raid_task_count(f->s); i++) {
    struct mb_raid_task_info t;
    assert_ok(mb_raid_task_at(f->s, i, &t));
    if (t.state == MB_RAID_TASK_QUEUED || t.state == MB_RAID_TASK_RUNNING)
      return t;
  }
  fail_msg("no live task");
  struct mb_raid_task_info none = {0};
  return none;
}

void fx_finish_tasks(struct fx *f) {
  /* A task done frees its throttles only for the next plan: one quiet
   * plan more says nothing is left to start. */
  for (int round = 0; round < 100; round++) {
    if (fx_live_tasks(f) == 0) {
      fx_plan_apply(f);
      if (fx_live_tasks(f) == 0)
        break;
    }
    for (size_t i = 0; i < mb_raid_task_count(f->s); i++) {
      struct mb_raid_task_info t;
      assert_ok(mb_raid_task_at(f->s, i, &t));
      if (t.state == MB_RAID_TASK_QUEUED || t.state == MB_RAID_TASK_RUNNING)
        fx_progress(f, t.id, t.bytes);
    }
    f->now += 1000;
    fx_plan_apply(f);
  }
  assert_int_equal(fx_live_tasks(f), 0);
}

struct mb_raid_array_info fx_array(const struct fx *f, const char *name) {
  struct mb_raid_array_info a;
  assert_ok(mb_raid_array_find(f->s, name, &a));
  return a;
}

struct mb_raid_device_info fx_dev(const struct fx *f, unsigned i) {
  struct mb_raid_device_info d;
  assert_ok(mb_raid_device_find(f->s, fx_id(i), &d));
  return d;
}
