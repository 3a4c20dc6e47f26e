/*
 * What the driver may ask of a running core: its members (as the
 * member says of itself, with our view of its state), our own
 * incarnation and epoch, local health and counters.  Nothing here
 * changes the core.  The record channel's table is read through
 * channel/queries.c.
 */
#include "swim_internal.h"

#include <string.h>

size_t swim_member_count(const struct swim *s) {
  return s->n;
}

int swim_member_get(const struct swim *s, size_t i,
                    struct swim_member_info *out) {
  if (i >= s->n)
    return MB_ERANGE;
  const struct member *m = &s->m[i];
  struct mb_heartbeat hb;
  swim_member_hb(m, &hb); /* what the member says of itself */
  memset(out, 0, sizeof(*out));
  memcpy(out->id, m->id, MB_NODE_ID_LEN);
  memcpy(out->name, hb.name, sizeof(out->name));
  memcpy(out->domain, hb.domain, sizeof(out->domain));
  out->addr = m->addr;
  out->state = m->state;
  out->incarnation = m->incarnation;
  out->state_since = m->state_since;
  /* Ours as last set, even when not signed yet (leaving). */
  out->capacity = m->is_self ? s->capacity : hb.capacity;
  out->available = m->is_self ? s->available : hb.available;
  out->record_time_ms = hb.time_ms;
  out->health = hb.health;
  out->confirmations = m->n_accusers > 0 ? m->n_accusers - 1 : 0;
  out->reason = (enum swim_reason)m->reason;
  out->is_self = m->is_self;
  out->revoked = m->revoked;
  out->flap_held = swim_flap_holding(s, m);
  out->bridge_eligible = swim_member_eligible(s, m);
  out->draining = (m->is_self ? s->draining : hb.draining) ||
                  swim_instructed_drain(s, m->id);
  out->coordinator = swim_member_coordinator(s, m);
  /* Ours as last set, like the payload above. */
  out->n_tasks = m->is_self ? s->n_tasks : hb.n_tasks;
  memcpy(out->tasks, m->is_self ? s->tasks : hb.tasks, sizeof(out->tasks));
  return MB_OK;
}

int swim_member_raw(const struct swim *s, size_t i, struct mb_bytes *record,
                    struct mb_bytes *cert) {
  if (i >= s->n)
    return MB_ERANGE;
  const struct member *m = &s->m[i];
  struct bytes r = swim_blob_bytes(m->record), c = swim_blob_bytes(m->cert);
  *record = (struct mb_bytes){r.p, r.len};
  *cert = (struct mb_bytes){c.p, c.len};
  return MB_OK;
}

long swim_member_find(const struct swim *s, const uint8_t id[MB_NODE_ID_LEN]) {
  struct member *m = swim_member_by_id((struct swim *)s, id);
  return m ? (long)swim_member_index(s, m) : -1;
}

uint64_t swim_self_incarnation(const struct swim *s) {
  return s->m[s->self_idx].incarnation;
}

uint64_t swim_self_epoch(const struct swim *s) {
  return s->epoch;
}

uint32_t swim_awareness(const struct swim *s) {
  return s->awareness;
}

void swim_get_stats(const struct swim *s, struct swim_stats *out) {
  *out = s->stats;
}
