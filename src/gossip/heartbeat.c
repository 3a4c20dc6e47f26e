/*
 * Applying a member's heartbeat record: whether it is newer than the one
 * we hold, what state it brings, and whether it is news to relay.
 */
#include "swim_internal.h"

#include <errno.h>
#include <string.h>

static bool newer(const struct member *m, const struct mb_heartbeat *hb) {
  if (m->record.p == NULL)
    return true;
  if (hb->incarnation != m->incarnation)
    return hb->incarnation > m->incarnation;
  return hb->seq > m->hb_seq;
}

/* The rest of the payload stays in the record (swim_member_hb). */
static void take_record(struct swim *s, struct member *m,
                        const struct mb_heartbeat *hb, const uint8_t *raw,
                        size_t len) {
  swim_blob_set(s, &m->record, raw, len);
  m->addr = hb->addr;
  m->hb_seq = hb->seq;
  m->epoch = hb->epoch;
  uint32_t domain = swim_domain_hash(hb->domain);
  bool counted = m->state == SWIM_ALIVE && domain != m->domain_hash;
  if (counted)
    swim_census_out(s, m);
  m->domain_hash = domain;
  if (counted)
    swim_census_in(s, m);
}

/* Does hb change what the member offers (capacity, available, whether
 * it is draining, its tasks' progress, which the RAID coordinator reads
 * wherever it is) from the record we hold?  Read from that record: rare
 * enough not to keep. */
static bool offer_changed(const struct member *m,
                          const struct mb_heartbeat *hb) {
  struct mb_heartbeat old;
  swim_member_hb(m, &old);
  return hb->capacity != old.capacity || hb->available != old.available ||
         hb->draining != old.draining || hb->n_tasks != old.n_tasks ||
         memcmp(hb->tasks, old.tasks, hb->n_tasks * sizeof(hb->tasks[0])) != 0;
}

/* Which state and reason a newer record brings.  A member new to the view
 * came from the store (a restart is no join) or is first heard of. */
static enum swim_state next_state(const struct swim *s, const struct member *m,
                                  const struct mb_heartbeat *hb, bool is_new,
                                  enum swim_reason *why) {
  enum swim_state to = hb->status == MB_HB_LEFT ? SWIM_LEFT : SWIM_ALIVE;
  if (is_new) {
    *why = s->intake_stored  ? SWIM_R_RESTORED
           : to == SWIM_LEFT ? SWIM_R_LEFT
                             : SWIM_R_JOINED;
    return to;
  }
  if (to == SWIM_LEFT) {
    *why = SWIM_R_LEFT;
    return SWIM_LEFT;
  }
  if (hb->incarnation <= m->incarnation) { /* same life, newer payload */
    *why = SWIM_R_UPDATED;
    return m->state;
  }
  *why = m->state == SWIM_SUSPECT ? SWIM_R_REFUTED
         : m->state == SWIM_ALIVE ? SWIM_R_UPDATED
                                  : SWIM_R_REJOINED;
  return SWIM_ALIVE;
}

/*
 * How a newer record travels on: a join as news (receivers pull the
 * record and certificate once); anything else as the record itself.  A
 * news entry names only (incarnation, state), so it cannot say "newer
 * payload, same life"; and whatever may settle a verdict must land before
 * a suspicion times out: sent as news, a refutation reached a suspecting
 * member under 10 % loss only after its timeout.  A joiner's first view is
 * no news to anyone and is not relayed at all.
 */
static void relay(struct swim *s, struct member *m, enum swim_state to,
                  enum swim_reason why, bool is_new, bool renewed) {
  if (s->intake_quiet && !swim_pulled_lately(s, m->id))
    return; /* a joiner's first view; but news it pulled is still news */
  if (to == SWIM_ALIVE && (why == SWIM_R_JOINED || why == SWIM_R_RESTORED)) {
    swim_news_add(s, m);
    return;
  }
  struct bytes rec = swim_blob_bytes(m->record);
  struct bytes cert = swim_blob_bytes(m->cert);
  if (renewed)
    swim_bcast_add_renewal(s, m->id, &rec, &cert);
  else
    swim_bcast_add(s, m->id, &rec, is_new ? &cert : NULL);
}

/*
 * A member that restarted without its state signs records below the
 * incarnation we hold until it learns of that one and refutes above it;
 * but only datagrams bound to its new epoch reach it, so it learns nothing
 * unless we take the epoch of the older record.  We do when that record
 * was signed later than the one we hold, and keep the record, whose
 * incarnation the new life must learn of to refute it.  A replayed record
 * of the earlier life is older than the one held, unless we missed the
 * last ones that life signed: then the epoch flips back until the new
 * life re-signs its record or refutes, which it does within seconds.
 */
static bool new_life(const struct member *m, const struct mb_heartbeat *hb) {
  struct mb_heartbeat held;
  return hb->epoch != 0 && hb->epoch != m->epoch &&
         swim_member_hb(m, &held) == MB_OK && hb->time_ms > held.time_ms;
}

/*
 * A renewed certificate (swim_set_cert) travels with the record re-signed
 * for it and is relayed with it; a member that got the record first, bare,
 * takes the certificate from any later copy, or from a view compared
 * (push-pull pages carry every member's), so that all hold it before the
 * old one expires.  Only one that expires later replaces the held one: a
 * replayed older certificate never does.
 */
static bool renews(const struct member *m, const struct bytes *cert,
                   int64_t cert_expires) {
  return cert != NULL && (m->cert.p == NULL || cert_expires > m->cert_expires);
}

static void take_cert(struct swim *s, struct member *m,
                      const struct bytes *cert, int64_t cert_expires) {
  if (cert != NULL && swim_blob_set(s, &m->cert, cert->p, cert->len) == MB_OK) {
    m->cert_expires = cert_expires;
    swim_member_cert_taken(m);
  }
}

int swim_apply_heartbeat(struct swim *s, const struct mb_record *rec,
                         const uint8_t *raw, size_t len,
                         const struct bytes *cert, int64_t cert_expires) {
  const struct mb_heartbeat *hb = &rec->u.hb;
  if (memcmp(hb->node_id, s->id.pk, MB_NODE_ID_LEN) == 0) {
    /* Our own record echoed back is nothing; a record of ours newer than
     * the one we hold is an earlier life of this node: start above it. */
    const struct member *me = &s->m[s->self_idx];
    if (hb->incarnation > me->incarnation ||
        (hb->incarnation == me->incarnation && hb->seq > me->hb_seq))
      swim_refute(s, hb->incarnation);
    return MB_OK;
  }
  struct member *m = swim_member_by_id(s, hb->node_id);
  bool is_new = m == NULL;
  bool fresh = is_new || newer(m, hb);
  bool renewed = !is_new && renews(m, cert, cert_expires);
  bool later_life = !fresh && new_life(m, hb);
  if (!fresh && !renewed && !later_life)
    return MB_OK;
  struct bytes held = is_new ? (struct bytes){0} : swim_blob_bytes(m->cert);
  if (!swim_identity_ok(hb, cert != NULL ? cert : &held))
    return MB_ECERTNAME;
  if (!fresh) {
    if (renewed)
      take_cert(s, m, cert, cert_expires);
    if (later_life) {
      m->epoch = hb->epoch;
      m->knows_us = false;
    }
    return MB_OK;
  }
  if (is_new && (m = swim_member_add(s, hb->node_id)) == NULL)
    return -ENOMEM;
  enum swim_reason why;
  enum swim_state to = next_state(s, m, hb, is_new, &why);
  bool bumped = !is_new && hb->incarnation > m->incarnation;
  /* A member re-signs its record now and then with nothing new in it;
   * only what others would act on is worth relaying. */
  bool worth = is_new || bumped || renewed || to != m->state ||
               memcmp(&hb->addr, &m->addr, sizeof(hb->addr)) != 0 ||
               offer_changed(m, hb);
  /* Back too often: held out for now (flap.c).  Its refutation is still
   * relayed: members that let it back in must hear it before their own
   * suspicions of its old incarnation come due. */
  if (m->state == SWIM_DEAD && to == SWIM_ALIVE && !is_new &&
      swim_flap_hold(s, m))
    to = SWIM_DEAD;
  if (hb->incarnation > m->incarnation || hb->epoch != m->epoch)
    m->knows_us = false; /* a new life has forgotten us */
  swim_view_out(s, m);
  if (hb->incarnation > m->incarnation || is_new)
    m->incarnation = hb->incarnation;
  take_record(s, m, hb, raw, len);
  swim_view_in(s, m);
  take_cert(s, m, cert, cert_expires);
  if (to != m->state)
    swim_set_state(s, m, to, why);
  if (is_new && swim_is_live(m)) {
    swim_probe_insert(s, swim_member_index(s, m));
    swim_push_pull_soon(s);
  }
  if (worth)
    relay(s, m, to, why, is_new, renewed);
  return MB_OK;
}

void swim_member_readmit(struct swim *s, struct member *m) {
  swim_set_state(s, m, SWIM_ALIVE, SWIM_R_REJOINED);
  swim_probe_insert(s, swim_member_index(s, m));
}
