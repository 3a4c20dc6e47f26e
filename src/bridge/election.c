/*
 * Choosing the one active bridge: rendezvous (highest random weight)
 * hashing over the live eligible members.  Each member's weight depends
 * only on the cluster and its own id, so the choice is the same for every
 * member holding the same set of live eligible ids, whatever the order of
 * their views, and losing any member but the active one moves nothing.
 */
#include "mb_bridge.h"

#include <sodium.h>
#include <string.h>

#define WEIGHT_LEN 16
#define ELECTION_TAG "meshbeat bridge election v1"

static void weight(uint8_t out[WEIGHT_LEN], const char *cluster,
                   const uint8_t id[MB_NODE_ID_LEN]) {
  size_t cluster_len = strlen(cluster);
  uint8_t len_be[2] = {(uint8_t)(cluster_len >> 8), (uint8_t)cluster_len};
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, WEIGHT_LEN);
  crypto_generichash_update(&st, (const uint8_t *)ELECTION_TAG,
                            sizeof(ELECTION_TAG));
  /* length-prefixed, so no cluster name and id can run into another's */
  crypto_generichash_update(&st, len_be, sizeof(len_be));
  crypto_generichash_update(&st, (const uint8_t *)cluster, cluster_len);
  crypto_generichash_update(&st, id, MB_NODE_ID_LEN);
  crypto_generichash_final(&st, out, WEIGHT_LEN);
}

/* Weight first; equal weights (never seen in practice) fall back to the
 * id, so the order stays total. */
static int compare(const uint8_t wa[WEIGHT_LEN], const uint8_t *ida,
                   const uint8_t wb[WEIGHT_LEN], const uint8_t *idb) {
  int c = memcmp(wa, wb, WEIGHT_LEN);
  return c != 0 ? c : memcmp(ida, idb, MB_NODE_ID_LEN);
}

int mb_bridge_elect(const char *cluster, const struct mb_bridge_member *view,
                    size_t n, struct mb_bridge_election *out) {
  if (cluster == NULL || (view == NULL && n > 0) || out == NULL)
    return MB_EINVAL;
  memset(out, 0, sizeof(*out));
  out->total = n;
  uint8_t best[WEIGHT_LEN], w[WEIGHT_LEN];
  for (size_t i = 0; i < n; i++) {
    const struct mb_bridge_member *m = &view[i];
    if (!mb_bridge_member_live(m))
      continue;
    out->live++;
    if (!m->eligible)
      continue;
    weight(w, cluster, m->id);
    if (out->have && compare(w, m->id, best, view[out->active_index].id) <= 0)
      continue;
    memcpy(best, w, WEIGHT_LEN);
    out->have = true;
    out->active_index = i;
  }
  if (out->have) {
    memcpy(out->active, view[out->active_index].id, MB_NODE_ID_LEN);
    out->self_active = view[out->active_index].is_self;
  }
  return 0;
}

bool mb_bridge_election_changed(const struct mb_bridge_election *before,
                                const struct mb_bridge_election *after) {
  if (before->have != after->have)
    return true;
  return before->have &&
         memcmp(before->active, after->active, MB_NODE_ID_LEN) != 0;
}
