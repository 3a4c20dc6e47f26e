/*
 * Suspicion (SWIM §4.2) with Lifeguard's dynamic timeouts (§IV-B), and the
 * evidence a verdict needs (evidence.c).
 *
 * A suspected member is declared dead when its suspicion times out *and*
 * the accusations we hold back the verdict (swim_verdict_backed).  The
 * timeout starts at max = suspicion_max_mult * min and falls towards
 *   min = suspicion_mult * max(1, log10(n)) * suspicion_unit
 * as independent accusers confirm it:
 *   timeout(C) = max(min, max - (max - min) * log(C + 1) / log(K + 1))
 * with K = suspicion_confirm independent confirmations (default 1;
 * memberlist derives K = suspicion_mult - 2 = 2).  A confirmation is a
 * failed probe by a different member, signed: for a healthy member under
 * 10% loss one probe fails with probability ~0.75%, so even one is strong
 * evidence, and by the time it comes the member has usually refuted.
 *
 * The unit is a gossip round (200 ms), where memberlist uses the probe
 * interval: what the minimum must cover is the time for the suspect to
 * hear of it and for its refutation to spread, which is a few gossip
 * rounds.
 *
 * Every observer judges for itself.  Another member's dead claim is one
 * more signed accusation, never a verdict we take on its word: a member
 * cut off from the mesh times out its suspicions with nobody to confirm
 * them, and a single malicious member can sign whatever it likes.  So a
 * dead claim adds its author to our accusers like a suspect claim does,
 * and we declare the member dead when our own timer says so and the
 * accusers make a quorum.  A suspicion that times out without one is not
 * a verdict: we tell the suspect (so it can refute), and look again later
 * (judge, below).
 *
 * Accusations that arrive in a merged view (push-pull, reconcile, the
 * reconnect after a partition heals) are old news of unknown age: a side
 * of a partition declared the other side dead, and its claims reach the
 * other side after the heal.  They start a suspicion that the subject can
 * refute, but together they count as one accuser for the timeout, so it
 * stays at the maximum until a fresh accusation (our own failed probe, a
 * claim gossiped now) confirms it, and we do not relay them as news.
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

/* Fresh accusers count one each; merged ones one together. */
static uint32_t confirmations(const struct member *m,
                              const struct suspect *sp) {
  uint32_t fresh = 0;
  for (uint32_t i = 0; i < m->n_accusers; i++)
    fresh += !(sp->merged >> i & 1);
  uint32_t accusers = fresh + (fresh < m->n_accusers);
  return accusers > 0 ? accusers - 1 : 0;
}

static void update_deadline(struct swim *s, const struct member *m,
                            struct suspect *sp) {
  sp->deadline = sp->start + timeout_after(s, confirmations(m, sp));
}

/* True when the accuser is new, or was known only from a merged view and
 * now accuses afresh. */
static int accuser_index(const struct member *m, const struct suspect *sp,
                         const uint8_t *ref) {
  for (uint32_t i = 0; i < m->n_accusers; i++)
    if (memcmp(sp->accusers[i], ref, MB_NODE_REF_LEN) == 0)
      return (int)i;
  return -1;
}

static bool add_accuser(struct member *m, struct suspect *sp,
                        const uint8_t *accuser, bool merged) {
  int i = accuser_index(m, sp, accuser);
  if (i >= 0) {
    bool freshened = !merged && (sp->merged >> i & 1);
    if (!merged)
      sp->merged &= (uint8_t) ~(1u << i);
    return freshened;
  }
  if (m->n_accusers == SWIM_MAX_ACCUSERS)
    return false;
  if (merged)
    sp->merged |= (uint8_t)(1u << m->n_accusers);
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

/* The suspect hears of it from us at once, not on our next probe of it,
 * which may be a whole round away: whoever accused it, it can only refute
 * what reaches it.  (The claim rides along as the buddy system's, since
 * the receiver is suspect: send.c.) */
static void tell_suspect(struct swim *s, struct member *m) {
  struct mb_msg msg = {.kind = MB_MSG_GOSSIP};
  swim_send(s, &m->addr, m, &msg, false);
}

/* Its entry, or NULL: out of memory for one, the member is still suspect,
 * but only a refutation ends that: without accusers there is no verdict. */
static struct suspect *suspect(struct swim *s, struct member *m,
                               const uint8_t *accuser, enum swim_reason why,
                               bool merged) {
  struct suspect *sp = suspects_add(s, swim_member_index(s, m));
  m->n_accusers = 0;
  if (sp != NULL) {
    sp->start = s->now;
    add_accuser(m, sp, accuser, merged);
    update_deadline(s, m, sp);
    /* Our own check (probe.c), one to three minimum timeouts from now: by
     * then a real failure usually has its second accuser, and we send
     * nothing. */
    uint64_t t = min_timeout(s);
    sp->check_at = s->now + t + mb_rng_below(&s->rng, 2 * t);
  }
  swim_set_state(s, m, SWIM_SUSPECT, why);
  s->stats.suspicions++;
  /* A claim gossiped now was told to the suspect by its author. */
  if (why == SWIM_R_PROBE_FAILED || merged)
    tell_suspect(s, m);
  return sp;
}

/* Our claim becomes the one we hold about m (what a push-pull sends), and
 * is gossiped when `news`. */
static int sign_claim(struct swim *s, struct member *m,
                      enum mb_record_kind kind, bool news) {
  struct mb_claim c = {.incarnation = m->incarnation, .time_ms = swim_wall(s)};
  memcpy(c.subject, m->id, MB_NODE_ID_LEN);
  uint8_t buf[256];
  size_t len;
  int rc = mb_wire_claim_sign(&s->id, s->aad, s->aad_len, kind, &c, buf,
                              sizeof(buf), &len);
  if (rc == MB_OK)
    rc = swim_blob_set(s, &m->claim, buf, len);
  struct bytes claim = {buf, len};
  if (rc == MB_OK && news)
    swim_bcast_add(s, m->id, &claim, NULL);
  return rc;
}

static bool accused_by(const struct member *m, const struct suspect *sp,
                       const uint8_t *ref) {
  return accuser_index(m, sp, ref) >= 0;
}

struct member *swim_suspect_to_check(struct swim *s) {
  for (size_t i = 0; i < s->n_suspects; i++) {
    struct suspect *sp = &s->suspects[i];
    struct member *m = &s->m[sp->idx];
    if (sp->checked || s->now < sp->check_at)
      continue;
    sp->checked = true; /* needed or not, once */
    if (!accused_by(m, sp, s->ref) && !swim_verdict_backed(s, m, sp))
      return m;
  }
  return NULL;
}

uint64_t swim_check_deadline(const struct swim *s) {
  uint64_t d = SWIM_NEVER;
  for (size_t i = 0; i < s->n_suspects; i++)
    if (!s->suspects[i].checked && s->suspects[i].check_at < d)
      d = s->suspects[i].check_at;
  return d;
}

bool swim_accused_by_others(struct swim *s, const struct member *m) {
  const struct suspect *sp = m->state == SWIM_SUSPECT ? suspect_of(s, m) : NULL;
  if (sp == NULL)
    return false;
  return m->n_accusers > (accused_by(m, sp, s->ref) ? 1u : 0u);
}

/* Our own probe failed: we accuse, in writing.  If others already suspect
 * it, our accusation is an independent confirmation (Lifeguard §IV-B) and
 * is gossiped as such, unless the evidence was complete without it: then
 * it counts here and says nothing new to others (a crash in a large mesh
 * would otherwise send a claim from every member that probes it before
 * the verdict). */
void swim_accuse(struct swim *s, struct member *m) {
  if (m->state == SWIM_SUSPECT) {
    struct suspect *sp = suspect_of(s, m);
    if (sp == NULL)
      return;
    bool backed = swim_verdict_backed(s, m, sp);
    if (!add_accuser(m, sp, s->ref, false))
      return;
    if (backed || sign_claim(s, m, MB_REC_SUSPECT, true) == MB_OK)
      update_deadline(s, m, sp);
    return;
  }
  if (m->state == SWIM_ALIVE && sign_claim(s, m, MB_REC_SUSPECT, true) == MB_OK)
    suspect(s, m, s->ref, SWIM_R_PROBE_FAILED, false);
}

/* The verdict.  We sign a dead claim and keep it: a member that missed
 * the accusations finds in our view one more signed accuser (push-pull
 * sends it).  We gossip it only when no other member's is travelling: it
 * says nothing new, and when each of 183 survivors gossiped its own, one
 * crash tripled a 500-member mesh's traffic.  Out of memory the claim may
 * be missing, but the verdict stands. */
static void declare_dead(struct swim *s, struct member *m, struct suspect *sp,
                         enum swim_reason why) {
  (void)sign_claim(s, m, MB_REC_DEAD, !sp->dead_claim_heard);
  swim_set_state(s, m, SWIM_DEAD, why); /* removes sp */
}

/* A due suspicion: dead if the evidence backs it.  Otherwise the suspect
 * is told again, we compare views with a member soon (a member that holds
 * it dead sends its claim: the gossip that carried the other accusations
 * may have missed us), and we look again a minimum timeout later, then
 * two, four... up to sixteen: a member cut off from everyone holds its
 * suspicions unbacked for as long as the cut lasts, and need not tell
 * each suspect every second and a half. */
static void judge(struct swim *s, struct member *m, struct suspect *sp,
                  enum swim_reason why) {
  if (swim_verdict_backed(s, m, sp)) {
    declare_dead(s, m, sp, why);
    return;
  }
  s->stats.unbacked_timeouts++;
  sp->deadline = s->now + (min_timeout(s) << sp->unbacked);
  if (sp->unbacked < 4)
    sp->unbacked++;
  tell_suspect(s, m);
  swim_push_pull_soon(s);
}

void swim_suspicion_tick(struct swim *s) {
  for (size_t i = 0; i < s->n_suspects;) {
    struct suspect *sp = &s->suspects[i];
    struct member *m = &s->m[sp->idx];
    size_t before = s->n_suspects;
    if (s->now >= sp->deadline)
      judge(s, m, sp, SWIM_R_TIMEOUT);
    if (s->n_suspects == before)
      i++; /* still listed at i: a verdict swaps the last entry in */
  }
}

uint64_t swim_suspicion_deadline(const struct swim *s) {
  uint64_t d = SWIM_NEVER;
  for (size_t i = 0; i < s->n_suspects; i++)
    if (s->suspects[i].deadline < d)
      d = s->suspects[i].deadline;
  return d;
}

/* A signed suspect or dead claim about m, at its current incarnation. */
static void on_claim(struct swim *s, struct member *m,
                     const struct mb_record *rec, const uint8_t *raw,
                     size_t len) {
  bool merged = s->intake_merged;
  const uint8_t *author = rec->u.claim.author;
  struct suspect *sp = NULL;
  if (m->state == SWIM_ALIVE) {
    swim_blob_set(s, &m->claim, raw, len);
    sp = suspect(s, m, author, SWIM_R_SUSPECTED, merged);
  } else if (m->state == SWIM_SUSPECT) {
    sp = suspect_of(s, m);
    if (sp == NULL || !add_accuser(m, sp, author, merged))
      return; /* nothing new: do not re-gossip */
    update_deadline(s, m, sp);
  } else {
    return;
  }
  if (sp != NULL && rec->kind == MB_REC_DEAD && !merged)
    sp->dead_claim_heard = true;
  if (!merged) {
    struct bytes b = {(uint8_t *)raw, len};
    swim_bcast_add(s, m->id, &b, NULL);
  }
  /* A due suspicion that this accusation completes is settled now. */
  if (sp != NULL && m->state == SWIM_SUSPECT && s->now >= sp->deadline &&
      swim_verdict_backed(s, m, sp))
    declare_dead(s, m, sp, SWIM_R_DECLARED);
}

/*
 * Only a member we see alive is heard as an accuser.  A member on a lossy
 * link or cut off fails its probes of everyone; the rest of the mesh soon
 * suspects it, and its claims then set off nothing: with 10 of 1000
 * members at 80 % loss (sim/scenarios/lossy_rapid.scn) their claims made
 * healthy members suspect mesh-wide more than a thousand times a second,
 * each answered by a refutation.
 */
static bool witness(struct swim *s, const uint8_t *author) {
  const struct member *a = swim_member_by_id(s, author);
  return a != NULL && a->state == SWIM_ALIVE;
}

/*
 * A claim may name only an incarnation its subject has signed: one above
 * the subject's latest record we hold is refused (one at 2^64 - 1 made the
 * refutation wrap to 0 and locked the member out for good).  One below it
 * is about a life already refuted.  About ourselves, a claim at our
 * incarnation is refuted; a record of ours from an earlier life of this
 * node, not a claim, is what makes us start above a higher incarnation
 * (swim_apply_heartbeat).
 */
int swim_apply_claim(struct swim *s, const struct mb_record *rec,
                     const uint8_t *raw, size_t len) {
  const struct mb_claim *c = &rec->u.claim;
  if (memcmp(c->subject, s->id.pk, MB_NODE_ID_LEN) == 0) {
    uint64_t ours = s->m[s->self_idx].incarnation;
    if (c->incarnation > ours)
      return MB_ERANGE;
    if (c->incarnation == ours)
      swim_refute(s, c->incarnation);
    /* The sender gets our record back (receive.c), also for a claim we
     * refuted already: an accuser that missed the refutation (it was cut
     * off) holds us suspect until it sees it, and others no longer relay
     * what it says. */
    s->accused_us = true;
    return MB_OK;
  }
  struct member *m = swim_member_by_id(s, c->subject);
  if (m == NULL || m->revoked || c->incarnation < m->incarnation)
    return MB_OK; /* unknown, out for good, or about an incarnation
                     already refuted */
  if (c->incarnation > m->incarnation)
    return MB_ERANGE;
  if (!witness(s, c->author))
    return MB_OK;
  on_claim(s, m, rec, raw, len);
  return MB_OK;
}
