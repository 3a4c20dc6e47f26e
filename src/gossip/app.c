/*
 * The application channel (swim.h, swim_app_send): a payload from one
 * member's driver to another's, Raft's among coordinators.  It rides in
 * the same bound datagram as a ping, MACed under the pair key, or signed
 * with our certificate while the receiver may not hold it; nothing is
 * piggybacked, so the room it has is known in advance (swim_app_max).
 * On the way in it passes every check a datagram passes (receive.c)
 * before it gets here, so a forged, replayed or misdirected one costs
 * what any other costs and is never delivered.
 */
#include "swim_internal.h"

#include <errno.h>
#include <string.h>

static bool channel_known(uint8_t channel) {
  return channel == SWIM_APP_RAFT || channel == SWIM_APP_RAID_ADMIN ||
         channel == SWIM_APP_TASK_LEASE;
}

/* Zeros standing for a payload while sizing one (never written). */
static const uint8_t sizing_payload[MB_WIRE_MSG_MAX];

/* Would a payload of len bytes fit in the app datagram's largest form:
 * signed, bound, with our certificate and a 9-byte sequence number? */
static bool app_fits(const struct swim *s, size_t len) {
  if (len > sizeof(sizing_payload))
    return false;
  struct mb_msg msg = {.kind = MB_MSG_APP,
                       .app_channel = UINT8_MAX,
                       .app_payload = sizing_payload,
                       .app_len = len};
  struct mb_dgram_builder b;
  if (mb_dgram_init(&b, &s->id, s->aad, s->aad_len, s->cfg.budget, UINT64_MAX,
                    &msg) != MB_OK)
    return false;
  mb_dgram_bind(&b, s->id.pk, UINT64_MAX);
  struct bytes cert = swim_blob_bytes(s->m[s->self_idx].cert);
  return cert.p == NULL || mb_dgram_add_cert(&b, cert.p, cert.len) == MB_OK;
}

size_t swim_app_max(const struct swim *s) {
  if (!app_fits(s, 0))
    return 0;
  size_t lo = 0, hi = sizeof(sizing_payload); /* app_fits(lo) holds */
  while (lo < hi) {
    size_t mid = lo + (hi - lo + 1) / 2;
    if (app_fits(s, mid))
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

/* The member a payload may go to: 0, or the code swim_app_send returns. */
static int app_peer(struct swim *s, const uint8_t *to, struct member **out) {
  struct member *m = swim_member_by_id(s, to);
  if (m == NULL)
    return -ENOENT;
  if (m->is_self || m->revoked || m->state == SWIM_LEFT)
    return MB_EINVAL;
  if (m->epoch == 0 || (m->addr.family != 4 && m->addr.family != 6))
    return -ENOENT; /* no record yet: nothing to bind the datagram to */
  *out = m;
  return MB_OK;
}

int swim_app_send(struct swim *s, uint64_t now,
                  const uint8_t to[MB_NODE_ID_LEN], uint8_t channel,
                  const uint8_t *payload, size_t len) {
  s->now = now;
  if (s->leaving || s->left || s->self_revoked || !channel_known(channel) ||
      to == NULL || (payload == NULL && len > 0))
    return MB_EINVAL;
  if (len > swim_app_max(s))
    return MB_ETOOBIG;
  struct member *peer;
  int rc = app_peer(s, to, &peer);
  if (rc != MB_OK)
    return rc;
  struct mb_msg msg = {.kind = MB_MSG_APP,
                       .app_channel = channel,
                       .app_payload = payload,
                       .app_len = len};
  struct mb_dgram_builder b;
  swim_dgram_begin(s, &b, &msg, peer);
  struct bytes cert = swim_blob_bytes(s->m[s->self_idx].cert);
  if (swim_needs_cert(s, peer) && cert.p != NULL)
    mb_dgram_add_cert(&b, cert.p, cert.len); /* fits: swim_app_max */
  rc = swim_send_built(s, &peer->addr, &b);
  if (rc == MB_OK)
    s->stats.app_sent++;
  return rc;
}

void swim_on_app(struct swim *s, struct member *sender,
                 const struct mb_datagram *d) {
  if (sender == NULL || sender->is_self || sender->state == SWIM_LEFT) {
    s->stats.app_not_member++;
    return;
  }
  if (!channel_known(d->msg.app_channel)) {
    s->stats.app_unknown_channel++;
    return;
  }
  if (swim_out_app(s, sender->id, d->msg.app_channel, d->msg.app_payload,
                   d->msg.app_len) == MB_OK)
    s->stats.app_received++;
}
