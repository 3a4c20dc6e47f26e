/*
 * What the planner's rules share during one mb_raid_plan call: the
 * observation of a device, whether it is alive, its place in the state,
 * the throttles' counts and the commands emitted so far.
 */
#include "plan_internal.h"

#include <string.h>

const struct mb_raid_observation *plan_obs(const struct plan_ctx *c,
                                           const uint8_t *id) {
  size_t lo = 0, hi = c->n_obs;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (memcmp(c->obs[mid]->id, id, MB_RAID_ID_LEN) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < c->n_obs && raid_id_equal(c->obs[lo]->id, id) ? c->obs[lo] : NULL;
}

bool plan_alive(const struct plan_ctx *c, const uint8_t *id) {
  const struct mb_raid_observation *o = plan_obs(c, id);
  return o != NULL && o->gossip == MB_RAID_GOSSIP_ALIVE && !o->flap_held;
}

size_t plan_dev_index(const struct plan_ctx *c, const uint8_t *id) {
  return (size_t)(raid_device_find(c->s, id) - c->s->dev);
}

bool plan_emit(struct plan_ctx *c, const struct mb_raid_cmd *cmd) {
  if (c->n_out >= c->cap_out)
    return false;
  c->out[c->n_out++] = *cmd;
  return true;
}

void plan_count(struct plan_ctx *c, const uint8_t *target,
                const uint8_t (*sources)[MB_RAID_ID_LEN], size_t n_sources) {
  c->in[plan_dev_index(c, target)]++;
  for (size_t i = 0; i < n_sources; i++)
    c->from[plan_dev_index(c, sources[i])]++;
  c->mesh++;
}

void plan_uncount(struct plan_ctx *c, const uint8_t *target,
                  const uint8_t (*sources)[MB_RAID_ID_LEN], size_t n_sources) {
  c->in[plan_dev_index(c, target)]--;
  for (size_t i = 0; i < n_sources; i++)
    c->from[plan_dev_index(c, sources[i])]--;
  c->mesh--;
}
