/*
 * Suspicion (SWIM §4.2) with Lifeguard's dynamic timeouts (§IV-B).
 *
 * A suspected member is declared dead when its suspicion times out.  The
 * timeout starts at max = suspicion_max_mult * min and falls towards
 *   min = suspicion_mult * max(1, log10(n)) * suspicion_unit
 * as independent accusers confirm it:
 *   timeout(C) = max(min, max - (max - min) * log(C + 1) / log(K + 1))
 * with K = suspicion_confirm independent confirmations (default 1;
 * memberlist derives K = suspicion_mult - 2 = 2).  A confirmation is a
 * failed probe by a different member, signed: for a healthy member under
 * 10% loss one probe fails with probability ~0.75%, so even one is strong
 * evidence, and by the time it comes the member has usually refuted.
 * A truly dead member is probed by many and confirmed fast; a member that
 * one slow node wrongly accuses gets the long timeout and time to refute.
 *
 * The unit is a gossip round (200 ms), where memberlist uses the probe
 * interval: what the minimum must cover is the time for the suspect to
 * hear of it and for its refutation to spread, which is a few gossip
 * rounds; the protection against a lone wrong accuser is the maximum,
 * reached only without independent, signed confirmations.
 *
 * Every accusation is a claim signed by its author and kept, so that later
 * layers can ask who accused whom, and from which failure domains.
 */
#include "swim_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t min_timeout(const struct swim *s) {
  double n = (double)s->n_live;
  double scale = n > 10.0 ? log10(n) : 1.0;
  return (uint64_t)(s->cfg.suspicion_mult * scale * s->cfg.suspicion_unit_ms);
}

static uint64_t timeout_after(const struct swim *s, uint32_t confirmations) {
  uint64_t lo = min_timeout(s);
  uint64_t hi = lo * s->cfg.suspicion_max_mult;
  double k = s->cfg.suspicion_confirm;
  double frac = log((double)confirmations + 1.0) / log(k + 1.0);
  double t = (double)hi - (double)(hi - lo) * frac;
  return t < (double)lo ? lo : (uint64_t)t;
}

/* The member's entry in the suspects table, or NULL. */
static struct suspect *suspect_of(struct swim *s, const struct member *m) {
  size_t idx = swim_member_index(s, m);
  for (size_t i = 0; i < s->n_suspects; i++)
    if (s->suspects[i].idx == idx)
      return &s->suspects[i];
  return NULL;
}

static void update_deadline(struct swim *s, const struct member *m,
                            struct suspect *sp) {
  uint32_t confirmations = m->n_accusers > 0 ? m->n_accusers - 1 : 0;
  sp->deadline = sp->start + timeout_after(s, confirmations);
}

static bool add_accuser(struct member *m, struct suspect *sp,
                        const uint8_t *accuser) {
  for (uint32_t i = 0; i < m->n_accusers; i++)
    if (memcmp(sp->accusers[i], accuser, MB_NODE_REF_LEN) == 0)
      return false;
  if (m->n_accusers == SWIM_MAX_ACCUSERS)
    return false;
  memcpy(sp->accusers[m->n_accusers++], accuser, MB_NODE_REF_LEN);
  return true;
}

static struct suspect *suspects_add(struct swim *s, size_t idx) {
  if (s->n_suspects == s->cap_suspects) {
    size_t cap = s->cap_suspects ? 2 * s->cap_suspects : 16;
    struct suspect *a = realloc(s->suspects, cap * sizeof(*a));
    if (a == NULL)
      return NULL;
    s->suspects = a;
    s->cap_suspects = cap;
  }
  struct suspect *sp = &s->suspects[s->n_suspects++];
  memset(sp, 0, sizeof(*sp));
  sp->idx = (uint32_t)idx;
  return sp;
}

void swim_suspects_remove(struct swim *s, size_t idx) {
  for (size_t i = 0; i < s->n_suspects; i++)
    if (s->suspects[i].idx == idx) {
      s->suspects[i] = s->suspects[--s->n_suspects];
      return;
    }
}

/* Out of memory for its entry, the member is still suspect, but only a
 * refutation or a dead claim ends that. */
void swim_suspect(struct swim *s, struct member *m, const uint8_t *accuser,
                  enum swim_reason why) {
  struct suspect *sp = suspects_add(s, swim_member_index(s, m));
  m->n_accusers = 0;
  if (sp != NULL) {
    sp->start = s->now;
    add_accuser(m, sp, accuser);
    update_deadline(s, m, sp);
  }
  swim_set_state(s, m, SWIM_SUSPECT, why);
  s->stats.suspicions++;
}

static int sign_claim(struct swim *s, struct member *m,
                      enum mb_record_kind kind) {
  struct mb_claim c = {.incarnation = m->incarnation, .time_ms = swim_wall(s)};
  memcpy(c.subject, m->id, MB_NODE_ID_LEN);
  uint8_t buf[256];
  size_t len;
  int rc = mb_wire_claim_sign(&s->id, s->aad, s->aad_len, kind, &c, buf,
                              sizeof(buf), &len);
  if (rc == MB_OK)
    rc = swim_blob_set(s, &m->claim, buf, len);
  struct bytes claim = {buf, len};
  if (rc == MB_OK)
    swim_bcast_add(s, m->id, &claim, NULL);
  return rc;
}

/* Our own probe failed: we accuse, in writing.  If others already suspect
 * it, our accusation is an independent confirmation (Lifeguard §IV-B) and
 * is gossiped as such. */
void swim_accuse(struct swim *s, struct member *m) {
  if (m->state == SWIM_SUSPECT) {
    struct suspect *sp = suspect_of(s, m);
    if (sp != NULL && add_accuser(m, sp, s->ref) &&
        sign_claim(s, m, MB_REC_SUSPECT) == MB_OK)
      update_deadline(s, m, sp);
    return;
  }
  if (m->state == SWIM_ALIVE && sign_claim(s, m, MB_REC_SUSPECT) == MB_OK)
    swim_suspect(s, m, s->ref, SWIM_R_PROBE_FAILED);
}

/* Out of memory the claim for others may be missing, but the verdict is
 * ours all the same: left suspect, the member would stay at the head of
 * the expired list and swim_suspicion_tick would never return. */
static void declare_dead(struct swim *s, struct member *m) {
  (void)sign_claim(s, m, MB_REC_DEAD);
  swim_set_state(s, m, SWIM_DEAD, SWIM_R_TIMEOUT);
}

void swim_suspicion_tick(struct swim *s) {
  for (size_t i = 0; i < s->n_suspects;) {
    struct member *m = &s->m[s->suspects[i].idx];
    if (m->state == SWIM_SUSPECT && s->now >= s->suspects[i].deadline)
      declare_dead(s, m); /* removes it from the list */
    else
      i++;
  }
}

uint64_t swim_suspicion_deadline(const struct swim *s) {
  uint64_t d = SWIM_NEVER;
  for (size_t i = 0; i < s->n_suspects; i++)
    if (s->suspects[i].deadline < d)
      d = s->suspects[i].deadline;
  return d;
}

static void on_suspect_claim(struct swim *s, struct member *m,
                             const struct mb_claim *c, const uint8_t *raw,
                             size_t len) {
  if (m->state == SWIM_ALIVE) {
    swim_view_out(s, m);
    m->incarnation = c->incarnation;
    swim_view_in(s, m);
    swim_blob_set(s, &m->claim, raw, len);
    swim_suspect(s, m, c->author, SWIM_R_SUSPECTED);
  } else if (m->state == SWIM_SUSPECT) {
    struct suspect *sp = suspect_of(s, m);
    if (sp == NULL || !add_accuser(m, sp, c->author))
      return; /* nothing new: do not re-gossip */
    update_deadline(s, m, sp);
  } else {
    return;
  }
  struct bytes b = {(uint8_t *)raw, len};
  swim_bcast_add(s, m->id, &b, NULL);
}

static void on_dead_claim(struct swim *s, struct member *m, const uint8_t *raw,
                          size_t len, uint64_t inc) {
  if (!swim_is_live(m))
    return;
  swim_view_out(s, m);
  m->incarnation = inc;
  swim_view_in(s, m);
  swim_blob_set(s, &m->claim, raw, len);
  swim_set_state(s, m, SWIM_DEAD, SWIM_R_DECLARED);
  struct bytes b = {(uint8_t *)raw, len};
  swim_bcast_add(s, m->id, &b, NULL);
}

int swim_apply_claim(struct swim *s, const struct mb_record *rec,
                     const uint8_t *raw, size_t len) {
  const struct mb_claim *c = &rec->u.claim;
  if (memcmp(c->subject, s->id.pk, MB_NODE_ID_LEN) == 0) {
    swim_refute(s, c->incarnation);
    s->accused_us = true; /* the sender gets our record back: receive.c */
    return MB_OK;
  }
  struct member *m = swim_member_by_id(s, c->subject);
  if (m == NULL || c->incarnation < m->incarnation)
    return MB_OK; /* unknown, or about an incarnation already refuted */
  if (rec->kind == MB_REC_SUSPECT)
    on_suspect_claim(s, m, c, raw, len);
  else
    on_dead_claim(s, m, raw, len, c->incarnation);
  return MB_OK;
}
