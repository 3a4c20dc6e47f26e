/*
 * What gossip says about each member, turned into ledger and device
 * commands: a new or changed ledger row, drain on or off, a death (its
 * slots go down at once), a return with a newer incarnation.  A member
 * held for flapping is dead in the view and is not brought back up until
 * the hold ends, so it cannot bounce its arrays through resync after
 * resync.
 */
#include "plan_internal.h"

#include <stdio.h>
#include <string.h>

/* Free space moves all the time; only a change of more than 1/32 of the
 * capacity is worth a log entry. */
static bool available_drifted(const struct raid_device *d, uint64_t now) {
  uint64_t delta = now > d->available ? now - d->available : d->available - now;
  return delta > d->capacity / 32;
}

static bool report_needed(const struct raid_device *d,
                          const struct mb_raid_observation *o) {
  if (d == NULL)
    return true;
  if (o->capacity != d->capacity && o->capacity < d->allocated + d->reserved)
    return false; /* apply would refuse it: it would over-commit */
  return strcmp(o->name, d->name) != 0 || strcmp(o->domain, d->domain) != 0 ||
         o->capacity != d->capacity || available_drifted(d, o->available);
}

static void report(struct plan_ctx *c, const struct mb_raid_observation *o) {
  struct mb_raid_cmd cmd = {.kind = MB_RAID_CMD_DEVICE_REPORT,
                            .capacity = o->capacity,
                            .available = o->available,
                            .incarnation = o->incarnation};
  memcpy(cmd.device, o->id, MB_RAID_ID_LEN);
  snprintf(cmd.name, sizeof cmd.name, "%s", o->name);
  snprintf(cmd.domain, sizeof cmd.domain, "%s", o->domain);
  plan_emit(c, &cmd);
}

static void device_cmd(struct plan_ctx *c, uint8_t kind, const uint8_t *id,
                       uint64_t incarnation, bool on) {
  struct mb_raid_cmd cmd = {.kind = kind, .incarnation = incarnation, .on = on};
  memcpy(cmd.device, id, MB_RAID_ID_LEN);
  plan_emit(c, &cmd);
}

static void observe_living(struct plan_ctx *c,
                           const struct mb_raid_observation *o,
                           const struct raid_device *d) {
  if (report_needed(d, o))
    report(c, o);
  if (d == NULL)
    return; /* the rest once the row exists */
  if (d->draining != o->draining)
    device_cmd(c, MB_RAID_CMD_DRAIN, o->id, 0, o->draining);
  if (d->state != MB_RAID_DEV_UP && o->gossip == MB_RAID_GOSSIP_ALIVE &&
      !o->flap_held && o->incarnation >= d->incarnation)
    device_cmd(c, MB_RAID_CMD_DEVICE_UP, o->id, o->incarnation, false);
}

static void observe(struct plan_ctx *c, const struct mb_raid_observation *o) {
  const struct raid_device *d = raid_device_find(c->s, o->id);
  bool gone =
      o->gossip == MB_RAID_GOSSIP_DEAD || o->gossip == MB_RAID_GOSSIP_LEFT;
  if (!gone) {
    observe_living(c, o, d);
    return;
  }
  if (d != NULL && d->state == MB_RAID_DEV_UP &&
      o->incarnation >= d->incarnation)
    device_cmd(c, MB_RAID_CMD_DEVICE_DOWN, o->id, o->incarnation, false);
}

void plan_devices(struct plan_ctx *c) {
  for (size_t i = 0; i < c->n_obs; i++)
    if (i == 0 || !raid_id_equal(c->obs[i - 1]->id, c->obs[i]->id))
      observe(c, c->obs[i]);
}
