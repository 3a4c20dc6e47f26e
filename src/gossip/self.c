/*
 * Our own heartbeat record.  It is the only record this node ever signs
 * about itself; refutation (SWIM §4.2) is signing it again with a higher
 * incarnation and gossiping it.
 */
#include "swim_internal.h"

#include <string.h>

int64_t swim_wall(const struct swim *s) {
  return (int64_t)s->now + s->wall_offset;
}

static void fill_heartbeat(const struct swim *s, const struct member *me,
                           enum mb_hb_status status, struct mb_heartbeat *hb) {
  memset(hb, 0, sizeof(*hb));
  memcpy(hb->name, s->name, sizeof(hb->name));
  memcpy(hb->domain, s->domain, sizeof(hb->domain));
  hb->addr = me->addr;
  hb->incarnation = me->incarnation;
  hb->seq = me->hb_seq;
  hb->time_ms = swim_wall(s);
  hb->capacity = s->capacity;
  hb->available = s->available;
  hb->status = status;
  hb->health = s->health;
  hb->epoch = s->epoch;
  hb->draining = s->draining;
  hb->n_tasks = s->n_tasks;
  memcpy(hb->tasks, s->tasks, sizeof(hb->tasks));
}

int swim_self_sign(struct swim *s, enum mb_hb_status status) {
  struct member *me = &s->m[s->self_idx];
  struct mb_heartbeat hb;
  me->hb_seq++;
  fill_heartbeat(s, me, status, &hb);
  uint8_t buf[MB_WIRE_MAX_RECORD];
  size_t len;
  int rc = mb_wire_heartbeat_sign(&s->id, s->aad, s->aad_len, &hb, buf,
                                  sizeof(buf), &len);
  if (rc == MB_OK)
    rc = swim_blob_set(s, &me->record, buf, len);
  return rc;
}

/*
 * At most one refutation per REFUTE_GAP_MS: a claim about the incarnation
 * we hold comes due again at the end of the gap.  A malicious member that
 * accuses each new incarnation the moment it sees it otherwise drove us
 * through 6 000 incarnations in 40 s, every one signed, gossiped to the
 * whole mesh and written to disk (tests/agent/test_attack.py).  An honest
 * accusation of the incarnation we just took is rare, and its suspicion
 * lasts far longer than the gap.
 */
#define REFUTE_GAP_MS 500

void swim_refute(struct swim *s, uint64_t accused_incarnation) {
  struct member *me = &s->m[s->self_idx];
  /* Saturates: a wrapped incarnation would start a new life below every
   * claim about the old one. */
  if (s->leaving || accused_incarnation < me->incarnation ||
      accused_incarnation == UINT64_MAX)
    return;
  if (s->refuted_at != 0 && s->now < s->refuted_at + REFUTE_GAP_MS &&
      accused_incarnation == me->incarnation) {
    s->refute_due = true;
    return;
  }
  s->refuted_at = s->now;
  s->refute_due = false;
  swim_view_out(s, me);
  me->incarnation = accused_incarnation + 1;
  swim_view_in(s, me);
  s->stats.refutations++;
  /* Lifeguard: being suspected hints that we are the slow one. */
  if (s->awareness + 1 < s->cfg.awareness_max)
    s->awareness++;
  if (swim_self_sign(s, MB_HB_ALIVE) == MB_OK) {
    struct bytes rec = swim_blob_bytes(me->record);
    swim_bcast_add(s, me->id, &rec, NULL);
    s->self_news_at = s->now;
  }
}

void swim_self_tick(struct swim *s) {
  if (s->refute_due && s->now >= s->refuted_at + REFUTE_GAP_MS)
    swim_refute(s, s->m[s->self_idx].incarnation);
}

uint64_t swim_self_deadline(const struct swim *s) {
  return s->refute_due ? s->refuted_at + REFUTE_GAP_MS : SWIM_NEVER;
}

int swim_set_task_progress(struct swim *s, uint64_t now, int64_t wall_ms,
                           const struct mb_task_progress *tasks, size_t n) {
  s->now = now;
  if (s->leaving || (tasks == NULL && n > 0))
    return MB_EINVAL;
  if (n > MB_HB_TASKS_MAX)
    return MB_ETOOBIG;
  s->wall_offset = wall_ms - (int64_t)now;
  s->n_tasks = n;
  memset(s->tasks, 0, sizeof(s->tasks));
  if (n > 0)
    memcpy(s->tasks, tasks, n * sizeof(*tasks));
  int rc = swim_self_sign(s, MB_HB_ALIVE);
  if (rc != MB_OK)
    return rc;
  struct member *me = &s->m[s->self_idx];
  struct bytes rec = swim_blob_bytes(me->record);
  swim_bcast_add(s, me->id, &rec, NULL);
  s->self_news_at = s->now;
  return MB_OK;
}

static int check_new_cert(struct swim *s, const uint8_t *cert, size_t len,
                          struct mb_cert *c) {
  int rc = s->cfg.require_cert ? swim_admit_cert(s, cert, len, c)
                               : mb_cert_decode(cert, len, c);
  if (rc != MB_OK)
    return rc;
  if (memcmp(c->node_id, s->id.pk, MB_NODE_ID_LEN) != 0)
    return MB_ECERTNODE;
  /* Our records keep naming us as before: a new name or domain is a new
   * start, not a renewal. */
  if (strcmp(c->name, s->name) != 0 || strcmp(c->domain, s->domain) != 0)
    return MB_ECERTNAME;
  return MB_OK;
}

int swim_set_cert(struct swim *s, uint64_t now, int64_t wall_ms,
                  const uint8_t *cert, size_t len) {
  s->now = now;
  s->wall_offset = wall_ms - (int64_t)now;
  struct mb_cert c;
  if (s->leaving || cert == NULL)
    return MB_EINVAL;
  int rc = check_new_cert(s, cert, len, &c);
  if (rc != MB_OK)
    return rc;
  struct member *me = &s->m[s->self_idx];
  rc = swim_blob_set(s, &me->cert, cert, len);
  if (rc != MB_OK)
    return rc;
  me->cert_expires = c.expires_at;
  swim_member_cert_taken(me);
  /* Peers hold the old certificate and would stop admitting us when it
   * expires: the record re-signed now carries the new one to every
   * member by gossip, and our own datagrams carry it to each member until
   * it answers. */
  for (size_t i = 0; i < s->n; i++)
    s->m[i].knows_us = false;
  rc = swim_self_sign(s, MB_HB_ALIVE);
  if (rc != MB_OK)
    return rc;
  struct bytes rec = swim_blob_bytes(me->record);
  struct bytes own = swim_blob_bytes(me->cert);
  swim_bcast_add_renewal(s, me->id, &rec, &own);
  s->self_news_at = s->now;
  return MB_OK;
}
