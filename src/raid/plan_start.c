/*
 * New tasks.  Candidates: out slots (rebuild elsewhere), down slots whose
 * device is back (resync in place: a return before the out needs no
 * rebuild), and up slots on draining devices of healthy arrays (move).
 * Repairs go before moves, and among repairs the arrays with the least
 * redundancy left go first (HDFS's replication queues: blocks with the
 * fewest live replicas first).  Failed arrays get nothing, ever.  Stops at
 * the mesh-wide cap.
 */
#include "plan_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct candidate {
  const struct raid_array *a;
  unsigned slot;
  uint8_t kind;
  unsigned rank; /* 0: repair, 1: move */
  unsigned left; /* redundancy left: parity - slots not up, at least 0 */
};

static int candidate_cmp(const void *x, const void *y) {
  const struct candidate *a = x, *b = y;
  if (a->rank != b->rank)
    return a->rank < b->rank ? -1 : 1;
  if (a->left != b->left)
    return a->left < b->left ? -1 : 1;
  if (a->a != b->a) /* arrays are in name order in the state */
    return a->a < b->a ? -1 : 1;
  return a->slot < b->slot ? -1 : a->slot > b->slot;
}

/* The task kind a slot needs now, or 0. */
static uint8_t needed(const struct plan_ctx *c, const struct raid_array *a,
                      unsigned k) {
  const struct raid_slot *slot = &a->slots[k];
  const struct raid_device *d = raid_device_find(c->s, slot->device);
  if (raid_slot_task(c->s, a->name, k) != NULL)
    return 0;
  if (slot->state == MB_RAID_SLOT_OUT)
    return MB_RAID_TASK_REBUILD;
  if (slot->state == MB_RAID_SLOT_DOWN && d->state == MB_RAID_DEV_UP)
    return MB_RAID_TASK_RESYNC;
  if (slot->state == MB_RAID_SLOT_UP && d->draining &&
      a->state == MB_RAID_ARRAY_HEALTHY)
    return MB_RAID_TASK_MOVE;
  return 0;
}

static size_t collect(const struct plan_ctx *c, struct candidate *out) {
  size_t n = 0;
  for (size_t i = 0; i < c->s->n_arr; i++) {
    const struct raid_array *a = &c->s->arr[i];
    if (a->failed)
      continue;
    /* Redundancy left counts every slot not up, down ones too. */
    unsigned missing = a->n_slots - raid_array_up(a);
    unsigned left = missing < a->parity ? a->parity - missing : 0;
    for (unsigned k = 0; k < a->n_slots; k++) {
      uint8_t kind = needed(c, a, k);
      if (kind != 0)
        out[n++] =
            (struct candidate){a, k, kind, kind == MB_RAID_TASK_MOVE, left};
    }
  }
  return n;
}

static bool resync_target(struct plan_ctx *c, const struct raid_array *a,
                          unsigned slot, uint8_t *target) {
  const uint8_t *id = a->slots[slot].device;
  if (!plan_alive(c, id) ||
      c->in[plan_dev_index(c, id)] >= c->params->max_backfills)
    return false;
  memcpy(target, id, MB_RAID_ID_LEN);
  return true;
}

static void start(struct plan_ctx *c, const struct candidate *k) {
  struct mb_raid_cmd cmd = {.kind = MB_RAID_CMD_TASK_START,
                            .slot = (uint8_t)k->slot,
                            .task_kind = k->kind};
  memcpy(cmd.array, k->a->name, sizeof cmd.array);
  bool ok = k->kind == MB_RAID_TASK_RESYNC
                ? resync_target(c, k->a, k->slot, cmd.target)
                : plan_target(c, k->a, k->slot, NULL, cmd.target);
  if (ok && plan_sources(c, k->a, &cmd) && plan_emit(c, &cmd))
    plan_count(c, cmd.target, (const uint8_t(*)[MB_RAID_ID_LEN])cmd.devices,
               cmd.n_devices);
}

int plan_new_tasks(struct plan_ctx *c) {
  size_t slots = 0;
  for (size_t i = 0; i < c->s->n_arr; i++)
    slots += c->s->arr[i].n_slots;
  struct candidate *cand = calloc(slots + 1, sizeof *cand);
  if (cand == NULL)
    return -ENOMEM;
  size_t n = collect(c, cand);
  qsort(cand, n, sizeof *cand, candidate_cmp);
  for (size_t i = 0; i < n && c->mesh < c->params->max_backfills_mesh; i++)
    start(c, &cand[i]);
  free(cand);
  return MB_OK;
}
