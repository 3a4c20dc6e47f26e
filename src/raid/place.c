/*
 * Placement, for new arrays and for reconstruction alike: the device with
 * the most free capacity in the ledger, in a failure domain the array does
 * not use yet whenever there is one.  Deterministic: ties go to the lowest
 * id, and devices are walked in id order.
 */
#include "raid_internal.h"

#include <string.h>

static bool listed(const uint8_t (*ids)[MB_RAID_ID_LEN], size_t n,
                   const uint8_t *id) {
  for (size_t i = 0; i < n; i++)
    if (raid_id_equal(ids[i], id))
      return true;
  return false;
}

/* Whether a holder or an earlier pick is in this domain. */
static bool domain_used(const struct mb_raid_state *s,
                        const struct mb_raid_place_req *req,
                        const uint8_t (*picked)[MB_RAID_ID_LEN], size_t n,
                        const char *domain) {
  for (size_t i = 0; i < req->n_holders; i++) {
    const struct raid_device *d = raid_device_find(s, req->holders[i]);
    if (d != NULL && strcmp(d->domain, domain) == 0)
      return true;
  }
  for (size_t i = 0; i < n; i++)
    if (strcmp(raid_device_find(s, picked[i])->domain, domain) == 0)
      return true;
  return false;
}

static bool eligible(const struct mb_raid_state *s,
                     const struct mb_raid_place_req *req,
                     const uint8_t (*picked)[MB_RAID_ID_LEN], size_t n,
                     const struct raid_device *d) {
  return d->state == MB_RAID_DEV_UP && !d->draining &&
         raid_device_fits(d, req->bytes) &&
         (req->busy == NULL || !req->busy[d - s->dev]) &&
         !listed(req->holders, req->n_holders, d->id) &&
         !listed(picked, n, d->id);
}

/* True when a is a better pick than b: a fresh domain, then more free. */
static bool better(bool a_fresh, uint64_t a_free, bool b_fresh,
                   uint64_t b_free) {
  if (a_fresh != b_fresh)
    return a_fresh;
  return a_free > b_free;
}

static const struct raid_device *
pick_one(const struct mb_raid_state *s, const struct mb_raid_place_req *req,
         const uint8_t (*picked)[MB_RAID_ID_LEN], size_t n) {
  const struct raid_device *best = NULL;
  bool best_fresh = false;
  for (size_t i = 0; i < s->n_dev; i++) {
    const struct raid_device *d = &s->dev[i];
    if (!eligible(s, req, picked, n, d))
      continue;
    bool fresh = !domain_used(s, req, picked, n, d->domain);
    if (best == NULL || better(fresh, raid_device_free(d), best_fresh,
                               raid_device_free(best))) {
      best = d;
      best_fresh = fresh;
    }
  }
  return best;
}

int mb_raid_place(const struct mb_raid_state *s,
                  const struct mb_raid_place_req *req,
                  uint8_t (*out)[MB_RAID_ID_LEN]) {
  if (req->n > MB_RAID_SLOTS_MAX)
    return MB_EINVAL;
  for (size_t n = 0; n < req->n; n++) {
    const struct raid_device *d =
        pick_one(s, req, (const uint8_t(*)[MB_RAID_ID_LEN])out, n);
    if (d == NULL)
      return MB_ERAIDSPACE;
    memcpy(out[n], d->id, MB_RAID_ID_LEN);
  }
  return MB_OK;
}
