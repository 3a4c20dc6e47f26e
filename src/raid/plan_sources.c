/*
 * Where a reconstruction reads from and writes to, under the throttles:
 * at most max_backfills tasks writing to and reading from any one device
 * (Ceph's osd_max_backfills, 1 by default), only devices gossip sees alive,
 * the target chosen by mb_raid_place like a new array's slots.
 */
#include "plan_internal.h"

#include <stdlib.h>
#include <string.h>

bool plan_sources(struct plan_ctx *c, const struct raid_array *a,
                  struct mb_raid_cmd *cmd) {
  unsigned need = raid_array_sources_needed(a), n = 0;
  for (unsigned k = 0; k < a->n_slots && n < need; k++) {
    const uint8_t *id = a->slots[k].device;
    if (a->slots[k].state != MB_RAID_SLOT_UP || !plan_alive(c, id) ||
        c->from[plan_dev_index(c, id)] >= c->params->max_backfills)
      continue;
    memcpy(cmd->devices[n++], id, MB_RAID_ID_LEN);
  }
  cmd->n_devices = (uint8_t)n;
  return n == need;
}

/* Devices that may not take a task now: throttled, not alive, `avoid`,
 * the slot's holder, or already the target of another slot of the array.
 * One flag per device; NULL on ENOMEM. */
static bool *busy_devices(const struct plan_ctx *c, const struct raid_array *a,
                          unsigned slot, const uint8_t *avoid) {
  bool *busy = calloc(c->s->n_dev + 1, sizeof *busy);
  if (busy == NULL)
    return NULL;
  for (size_t i = 0; i < c->s->n_dev; i++)
    busy[i] =
        c->in[i] >= c->params->max_backfills || !plan_alive(c, c->s->dev[i].id);
  for (size_t i = 0; i < c->s->n_task; i++) {
    const struct raid_task *t = &c->s->task[i];
    if (raid_task_live(t) && t->kind != MB_RAID_TASK_RESYNC &&
        strcmp(t->array, a->name) == 0)
      busy[plan_dev_index(c, t->target)] = true;
  }
  if (avoid != NULL)
    busy[plan_dev_index(c, avoid)] = true;
  busy[plan_dev_index(c, a->slots[slot].device)] = true;
  return busy;
}

bool plan_target(struct plan_ctx *c, const struct raid_array *a, unsigned slot,
                 const uint8_t *avoid, uint8_t *target) {
  bool *busy = busy_devices(c, a, slot, avoid);
  if (busy == NULL)
    return false;
  /* The slot's own holder is leaving: its domain is free to take. */
  uint8_t holders[MB_RAID_SLOTS_MAX][MB_RAID_ID_LEN];
  size_t n_holders = 0;
  for (unsigned k = 0; k < a->n_slots; k++)
    if (k != slot)
      memcpy(holders[n_holders++], a->slots[k].device, MB_RAID_ID_LEN);
  struct mb_raid_place_req req = {.bytes = a->slot_bytes,
                                  .n = 1,
                                  .holders =
                                      (const uint8_t(*)[MB_RAID_ID_LEN])holders,
                                  .n_holders = n_holders,
                                  .busy = busy};
  uint8_t pick[1][MB_RAID_ID_LEN];
  bool ok = mb_raid_place(c->s, &req, pick) == MB_OK;
  if (ok)
    memcpy(target, pick[0], MB_RAID_ID_LEN);
  free(busy);
  return ok;
}
