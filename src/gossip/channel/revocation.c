/*
 * What a revocation does, once the authority's signed record is held
 * (take.c): the revoked node id is out of the view for good (dead,
 * reason `revoked`, never admitted again), and everything it sends or
 * signs is refused, counted as `revoked` (receive.c, admission of record
 * authors).  A revocation of ourselves silences the core, as a leave
 * does, and the driver stops (swim_self_revoked).
 *
 * The revoked node is told: when we take the revocation, and when we
 * refuse a datagram of its, within REVOKED_ANSWERS_PER_S.  An unbound
 * introduction (a join, parts = 2) carries our certificate, our record
 * and the revocation, so that it is accepted by a node that restarted
 * (its epoch unknown to us) or lost its store (we are unknown to it); a
 * receiver takes channel records from such a datagram once its signature
 * verified (receive.c).  It goes to the revoked member's signed address,
 * or, for a node we no longer hold, to the datagram's source and only if
 * no larger than what came from there: never a way to make us send more
 * than we were sent to an address of someone else's choosing.
 */
#include "channel_internal.h"

#include <string.h>

#define REVOKED_ANSWERS_PER_S 4
#define JOIN_INTRODUCTION 2

static void tell(struct swim *s, const uint8_t *id, const struct mb_addr *to,
                 size_t at_most) {
  size_t len;
  const uint8_t *rev = swim_revocation_bytes(s, id, &len);
  if (rev == NULL || s->left ||
      !swim_budget_take(s, &s->records->told, REVOKED_ANSWERS_PER_S))
    return;
  struct mb_msg msg = {.kind = MB_MSG_JOIN, .parts = JOIN_INTRODUCTION};
  struct mb_dgram_builder b;
  const struct member *me = &s->m[s->self_idx];
  struct bytes cert = swim_blob_bytes(me->cert);
  struct bytes rec = swim_blob_bytes(me->record);
  swim_dgram_begin(s, &b, &msg, NULL); /* unbound, signed */
  if (cert.p != NULL)
    mb_dgram_add_cert(&b, cert.p, cert.len);
  mb_dgram_add_record(&b, rec.p, rec.len);
  mb_dgram_add_record(&b, rev, len);
  if (at_most == 0 || mb_dgram_size(&b) <= at_most)
    swim_send_built(s, to, &b);
}

/* Our own revocation, handed to us (an operator who ran `meshbeat revoke`
 * on the revoked node itself) or heard: before falling silent we hand it
 * on, once, to as many members as a leave is told to, or nobody else
 * might ever hear of it. */
static void pass_on_own(struct swim *s) {
  size_t len;
  const uint8_t *rev = swim_revocation_bytes(s, s->id.pk, &len);
  if (rev == NULL)
    return;
  struct bytes extra = {rev, len};
  struct mb_msg msg = {.kind = MB_MSG_GOSSIP};
  size_t want = 3 * ((size_t)s->cfg.gossip_nodes + 1), told = 0;
  size_t first = s->n ? (size_t)mb_rng_below(&s->rng, s->n) : 0;
  for (size_t k = 0; k < s->n && told < want; k++) {
    struct member *m = &s->m[(first + k) % s->n];
    if (!m->is_self && m->state == SWIM_ALIVE) {
      swim_send_with(s, &m->addr, m, &msg, false, &extra);
      told++;
    }
  }
}

void swim_revocation_apply(struct swim *s, const uint8_t *id, bool told) {
  if (memcmp(id, s->id.pk, MB_NODE_ID_LEN) == 0) {
    if (told && !s->self_revoked)
      pass_on_own(s);
    s->self_revoked = true;
    s->left = true; /* quiet from now on: nothing we say counts */
    return;
  }
  struct member *m = swim_member_by_id(s, id);
  if (m == NULL || m->revoked)
    return;
  swim_bcast_forget(s, m->id);
  swim_news_drop(s, m);
  swim_set_state(s, m, SWIM_DEAD, SWIM_R_REVOKED);
  /* Out of the view digest: its records are refused, so a member still
   * holding them must not make every comparison of views differ. */
  swim_view_out(s, m);
  m->revoked = true;
  if (told && m->record.p != NULL)
    tell(s, m->id, &m->addr, 0);
}

void swim_revocation_lapsed(struct swim *s, const uint8_t *id) {
  struct member *m = swim_member_by_id(s, id);
  if (m == NULL || !m->revoked)
    return;
  m->revoked = false;
  swim_view_in(s, m);
}

void swim_revoked_answer(struct swim *s, const uint8_t *id,
                         const struct mb_addr *from, size_t rx_len) {
  struct member *m = swim_member_by_id(s, id);
  if (m != NULL && m->record.p != NULL)
    tell(s, id, &m->addr, 0);
  else
    tell(s, id, from, rx_len);
}
