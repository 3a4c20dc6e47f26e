/*
 * Down -> out after down_out_interval_ms (Ceph's mon_osd_down_out_interval),
 * unless an out now would be a mistake: too large a share of the devices is
 * down (Ceph's mon_osd_min_up_ratio: more likely a partition of the leader
 * than that many failures), or the whole failure domain is down (Ceph's
 * mon_osd_down_out_subtree_limit: a rack's power or switch, which comes
 * back; rebuilding it all would flood the rest), or the device is held for
 * flapping (it would be rebuilt again at its next bounce).  Time spent held
 * back does not count toward the grace.
 */
#include "plan_internal.h"

#include <string.h>

/* More than 1 - min_up of the devices not out are down. */
static bool too_many_down(const struct plan_ctx *c) {
  uint64_t in = 0, up = 0;
  for (size_t i = 0; i < c->s->n_dev; i++) {
    in += c->s->dev[i].state != MB_RAID_DEV_OUT;
    up += c->s->dev[i].state == MB_RAID_DEV_UP;
  }
  return up * 1000 < (uint64_t)c->params->min_up_permille * in;
}

static bool whole_domain_down(const struct plan_ctx *c, const char *domain) {
  unsigned members = 0, down = 0;
  for (size_t i = 0; i < c->s->n_dev; i++) {
    const struct raid_device *d = &c->s->dev[i];
    if (strcmp(d->domain, domain) != 0)
      continue;
    members++;
    down += d->state != MB_RAID_DEV_UP;
  }
  return members >= c->params->subtree_min_devices && down == members;
}

static bool due(const struct plan_ctx *c, const struct raid_device *d) {
  const struct planner_down *since = planner_down_of(c->p, d->id);
  const struct mb_raid_observation *o = plan_obs(c, d->id);
  return since != NULL && (o == NULL || !o->flap_held) &&
         c->now - since->since >= c->params->down_out_interval_ms;
}

/* While its out is held back for the mesh's or its domain's sake, a
 * device's grace does not run: it starts afresh once outs are allowed, so
 * the last device of a domain coming back is not put out the moment the
 * first is seen back. */
static void hold(struct plan_ctx *c, const struct raid_device *d) {
  struct planner_down *since = planner_down_of(c->p, d->id);
  if (since != NULL)
    since->since = c->now;
}

void plan_outs(struct plan_ctx *c) {
  bool held = too_many_down(c);
  for (size_t i = 0; i < c->s->n_dev; i++) {
    const struct raid_device *d = &c->s->dev[i];
    if (d->state != MB_RAID_DEV_DOWN)
      continue;
    if (held || whole_domain_down(c, d->domain)) {
      hold(c, d);
      continue;
    }
    if (!due(c, d))
      continue;
    struct mb_raid_cmd cmd = {.kind = MB_RAID_CMD_DEVICE_OUT};
    memcpy(cmd.device, d->id, MB_RAID_ID_LEN);
    plan_emit(c, &cmd);
  }
}
