/*
 * Joining, anti-entropy and re-merging.
 *
 * A joiner sends a join (its own record and certificate) to its seeds until
 * one answers with its whole view (push-pull reply pages).  Every
 * push_pull_interval (scaled up above 32 members, as memberlist does) a
 * member sends a random live member a digest of its view; only when the
 * digests differ do both sides send their whole views, so a mesh at rest
 * pays one small datagram per exchange instead of two full views.  Every
 * reconnect_interval it also sends a digest to one dead member: if that
 * member is in fact alive on the far side of a healed partition, it sees
 * itself declared dead, refutes, and both sides re-merge with no operator
 * action.
 */
#include "swim_internal.h"

#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* A joiner asks again after 1 s, then after 2, 4 and 8 s (jittered) once
 * every seed was tried: a seed busy with a join storm answered late, and
 * each early retry drew its whole view again (a seed of 256 sent 2.7
 * views per joiner, 350 KB each, and stopped answering probes). */
#define JOIN_RETRY_MS 1000
#define JOIN_RETRY_MAX_SHIFT 3
#define JOIN_MAX_ATTEMPTS 30
/* A joiner that got our view this long ago gets it again; sooner, its
 * request crossed the view on the way (the pages repair what was lost). */
#define VIEW_RESEND_MS 4000

static uint64_t push_pull_period(const struct swim *s) {
  double n = (double)s->n_live;
  double mult = n > 32.0 ? ceil(log2(n) - log2(32.0)) + 1.0 : 1.0;
  return (uint64_t)(s->cfg.push_pull_interval_ms * mult);
}

/* ---- applying a heartbeat record --------------------------------------- */

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

/* Does hb change what the member offers (capacity, available) from the
 * record we hold?  Read from that record: rare enough not to keep. */
static bool offer_changed(const struct member *m,
                          const struct mb_heartbeat *hb) {
  struct mb_heartbeat old;
  swim_member_hb(m, &old);
  return hb->capacity != old.capacity || hb->available != old.available;
}

/* Which state and reason a newer record brings. */
static enum swim_state next_state(const struct member *m,
                                  const struct mb_heartbeat *hb, bool is_new,
                                  enum swim_reason *why) {
  if (hb->status == MB_HB_LEFT) {
    *why = SWIM_R_LEFT;
    return SWIM_LEFT;
  }
  if (is_new) {
    *why = SWIM_R_JOINED;
    return SWIM_ALIVE;
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
                  enum swim_reason why, bool is_new) {
  if (s->intake_quiet && !swim_pulled_lately(s, m->id))
    return; /* a joiner's first view; but news it pulled is still news */
  if (to == SWIM_ALIVE && why == SWIM_R_JOINED) {
    swim_news_add(s, m);
    return;
  }
  struct bytes rec = swim_blob_bytes(m->record);
  struct bytes cert = swim_blob_bytes(m->cert);
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
static void note_new_life(struct member *m, const struct mb_heartbeat *hb) {
  struct mb_heartbeat held;
  if (hb->epoch == 0 || hb->epoch == m->epoch ||
      swim_member_hb(m, &held) != MB_OK || hb->time_ms <= held.time_ms)
    return;
  m->epoch = hb->epoch;
  m->knows_us = false;
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
  if (is_new && (m = swim_member_add(s, hb->node_id)) == NULL)
    return -ENOMEM;
  if (!newer(m, hb) && !(m->state == SWIM_DEAD && m->record.p == NULL)) {
    note_new_life(m, hb);
    return MB_OK;
  }
  enum swim_reason why;
  enum swim_state to = next_state(m, hb, is_new, &why);
  bool bumped = !is_new && hb->incarnation > m->incarnation;
  /* A member re-signs its record now and then with nothing new in it;
   * only what others would act on is worth relaying. */
  bool worth = is_new || bumped || to != m->state ||
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
  if (cert != NULL && swim_blob_set(s, &m->cert, cert->p, cert->len) == MB_OK)
    m->cert_expires = cert_expires;
  if (to != m->state || is_new)
    swim_set_state(s, m, to, why);
  if (is_new && swim_is_live(m)) {
    swim_probe_insert(s, swim_member_index(s, m));
    swim_push_pull_soon(s);
  }
  if (worth)
    relay(s, m, to, why, is_new);
  return MB_OK;
}

void swim_member_readmit(struct swim *s, struct member *m) {
  swim_set_state(s, m, SWIM_ALIVE, SWIM_R_REJOINED);
  swim_probe_insert(s, swim_member_index(s, m));
}

/* ---- sending our view -------------------------------------------------- */

/* What a member contributes to a push-pull: its record, and its latest
 * claim while it is suspect or dead. */
static bool member_items(const struct member *m, struct bytes *rec,
                         struct bytes *claim) {
  if (m->record.p == NULL)
    return false;
  *rec = swim_blob_bytes(m->record);
  *claim = m->state == SWIM_SUSPECT || m->state == SWIM_DEAD
               ? swim_blob_bytes(m->claim)
               : (struct bytes){0};
  return true;
}

static bool add_member(struct mb_dgram_builder *b, const struct member *m,
                       bool with_cert) {
  struct bytes rec, claim;
  if (!member_items(m, &rec, &claim))
    return true; /* nothing to send: not a reason to start a page */
  struct mb_dgram_mark mark;
  mb_dgram_save(b, &mark);
  bool ok = mb_dgram_add_record(b, rec.p, rec.len) == MB_OK;
  if (ok && claim.p != NULL)
    ok = mb_dgram_add_record(b, claim.p, claim.len) == MB_OK;
  struct bytes cert = swim_blob_bytes(m->cert);
  if (ok && with_cert && cert.p != NULL && !m->is_self)
    ok = mb_dgram_add_cert(b, cert.p, cert.len) == MB_OK;
  if (!ok) /* all of a member or nothing */
    mb_dgram_restore(b, &mark);
  return ok;
}

/* A page starts with our certificate: the receiver may not know us. */
static void page_begin(struct swim *s, struct mb_dgram_builder *b,
                       const struct mb_msg *msg, bool send, bool own_cert,
                       struct member *peer) {
  uint64_t seq = s->next_seq;
  swim_dgram_begin(s, b, msg, peer);
  if (!send) { /* widest sequence number: the dry run must not undercount
                  pages */
    s->next_seq = seq;
    b->seq = UINT64_MAX;
  }
  struct bytes cert = swim_blob_bytes(s->m[s->self_idx].cert);
  if (own_cert && cert.p != NULL)
    mb_dgram_add_cert(b, cert.p, cert.len);
}

/* Pages of our view.  A dry run (send = false) counts the pages, assuming
 * the widest page numbers, so the real run never needs more. */
static uint32_t send_pages(struct swim *s, const struct mb_addr *to,
                           const struct mb_msg *proto,
                           const struct swim_subset *set, bool send) {
  struct mb_msg msg = *proto;
  if (!send)
    msg.parts = UINT16_MAX;
  struct mb_dgram_builder b;
  page_begin(s, &b, &msg, send, !set->omit_own_cert, set->peer);
  size_t count = set->idx ? set->n : s->n;
  for (size_t k = 0; k < count; k++) {
    const struct member *m = &s->m[set->idx ? set->idx[k] : k];
    if (add_member(&b, m, set->with_certs))
      continue;
    if (send)
      swim_send_built(s, to, &b);
    msg.part++;
    page_begin(s, &b, &msg, send, !set->omit_own_cert, set->peer);
    add_member(&b, m, set->with_certs); /* alone too big: skipped */
  }
  if (send)
    swim_send_built(s, to, &b);
  return msg.part + 1;
}

void swim_send_members(struct swim *s, const struct mb_addr *to,
                       struct mb_msg *msg, const struct swim_subset *set) {
  msg->part = 0;
  msg->parts = send_pages(s, to, msg, set, false);
  send_pages(s, to, msg, set, true);
}

/* Our whole view, every member with its certificate, ours on every page:
 * leaving ours out for a joiner that showed it holds it (a bound request)
 * kept a member that had been slow for 20 s dead in 30 of 31 views. */
static void send_view(struct swim *s, const struct mb_addr *to,
                      struct member *peer, struct mb_msg *msg) {
  struct swim_subset all = {.with_certs = true, .peer = peer};
  swim_send_members(s, to, msg, &all);
}

/*
 * A join is a handshake, so that no datagram anyone can capture or forge
 * draws more than its own size in answer.  A join with parts = 1 asks for
 * the receiver's view; one with parts = 2 only introduces its sender.
 *   A -> seed  join request, unbound (A knows an address, not a member),
 *              padded to JOIN_PAD bytes; A's certificate and record
 *   seed -> A  introduction bound to A: the seed's certificate and record,
 *              no larger than what it answers
 *   A -> seed  join request bound to the seed (A now knows its epoch)
 *   seed -> A  its whole view, bound to A
 * Every unbound join is answered with an introduction; a bound request
 * with the view; and either, from a seed we are still joining through,
 * with a bound request of ours (two seeds joining each other finish).
 *
 * A member whose epoch we may have missed (it left a probe unanswered, or
 * is dead in our view) gets an unbound introduction: if it restarted, it
 * drops everything bound to its old epoch, and its answer brings us its
 * new record.
 */
#define JOIN_PAD 1200
#define INTRODUCE_EVERY 6
#define JOIN_REQUEST 1
#define JOIN_INTRODUCTION 2

/*
 * The view goes to the address in the requester's record, which the
 * requester signs but nobody vouches for: an admitted node could name a
 * victim's address there and draw views to it.  So an introduction
 * carries a cookie (message key 3, 16 bytes) for the address it was sent
 * to, and a request gets the view only with a cookie for the address the
 * view would go to: the requester has shown that it receives there (as
 * DTLS's HelloVerifyRequest and QUIC's Retry do).  The cookie is a keyed
 * BLAKE2b-128 of the requester's id, that address and the half-minute,
 * under a key from our secret key and epoch: nothing to keep per joiner,
 * and void at our restart.  One from the half-minute before is taken too.
 */
#define COOKIE_PERIOD_MS 30000

void swim_cookie_key_init(struct swim *s) {
  static const char label[] = "meshbeat join cookie";
  uint8_t msg[sizeof(label) + 8];
  memcpy(msg, label, sizeof(label));
  for (int b = 0; b < 8; b++)
    msg[sizeof(label) + b] = (uint8_t)(s->epoch >> (56 - 8 * b));
  crypto_generichash(s->cookie_key, sizeof(s->cookie_key), msg, sizeof(msg),
                     s->id.sk, 32);
}

static void cookie_for(const struct swim *s, const uint8_t *id,
                       const struct mb_addr *a, uint64_t period,
                       uint8_t out[MB_VIEW_DIGEST_LEN]) {
  uint8_t msg[MB_NODE_ID_LEN + 3 + 16 + 8] = {0};
  memcpy(msg, id, MB_NODE_ID_LEN);
  msg[MB_NODE_ID_LEN] = a->family;
  msg[MB_NODE_ID_LEN + 1] = (uint8_t)(a->port >> 8);
  msg[MB_NODE_ID_LEN + 2] = (uint8_t)a->port;
  memcpy(msg + MB_NODE_ID_LEN + 3, a->ip, a->family == 4 ? 4 : 16);
  for (int b = 0; b < 8; b++)
    msg[MB_NODE_ID_LEN + 19 + b] = (uint8_t)(period >> (56 - 8 * b));
  crypto_generichash(out, MB_VIEW_DIGEST_LEN, msg, sizeof(msg), s->cookie_key,
                     sizeof(s->cookie_key));
}

static bool cookie_valid(const struct swim *s, const struct member *peer,
                         const struct mb_msg *msg) {
  if (!msg->has_digest)
    return false;
  uint64_t period = s->now / COOKIE_PERIOD_MS;
  for (uint64_t back = 0; back < 2 && back <= period; back++) {
    uint8_t c[MB_VIEW_DIGEST_LEN];
    cookie_for(s, peer->id, &peer->addr, period - back, c);
    if (sodium_memcmp(c, msg->digest, sizeof(c)) == 0)
      return true;
  }
  return false;
}

/* A join bound to to_id at its epoch (unbound when to_id is NULL or the
 * epoch unknown), signed whatever the receiver holds: it introduces us.
 * An introduction carries a cookie for (to_id, to); a request, the cookie
 * of the seed it goes to, if we hold one, and is padded without it. */
static void send_join(struct swim *s, const struct mb_addr *to,
                      const uint8_t *to_id, uint64_t to_epoch, uint32_t parts,
                      size_t pad, size_t at_most) {
  struct mb_msg msg = {.kind = MB_MSG_JOIN, .parts = parts};
  if (parts == JOIN_INTRODUCTION && to_id != NULL) {
    cookie_for(s, to_id, to, s->now / COOKIE_PERIOD_MS, msg.digest);
    msg.has_digest = true;
  } else if (parts == JOIN_REQUEST && s->has_join_cookie && to_id != NULL) {
    memcpy(msg.digest, s->join_cookie, sizeof(msg.digest));
    msg.has_digest = true;
  }
  struct mb_dgram_builder b;
  const struct member *me = &s->m[s->self_idx];
  struct bytes cert = swim_blob_bytes(me->cert);
  struct bytes rec = swim_blob_bytes(me->record);
  swim_dgram_begin(s, &b, &msg, NULL);
  if (to_id != NULL && to_epoch != 0)
    mb_dgram_bind(&b, to_id, to_epoch);
  if (cert.p != NULL)
    mb_dgram_add_cert(&b, cert.p, cert.len);
  mb_dgram_add_record(&b, rec.p, rec.len);
  if (b.to_id == NULL || (parts == JOIN_REQUEST && !msg.has_digest))
    mb_dgram_pad(&b, pad ? pad : JOIN_PAD);
  if (at_most == 0 || mb_dgram_size(&b) <= at_most)
    swim_send_built(s, to, &b);
}

static bool same_addr(const struct mb_addr *a, const struct mb_addr *b) {
  return a->family == b->family && a->port == b->port &&
         memcmp(a->ip, b->ip, a->family == 4 ? 4 : 16) == 0;
}

/* Is this one of the seeds we are still joining through (by the source
 * address, or the address its record advertises)?  Only a seed's view
 * ends our join: a joiner that answers ours with its own (two seeds
 * joining each other) is not the mesh. */
static bool from_seed(const struct swim *s, const struct mb_addr *from,
                      const struct member *peer) {
  if (s->joined)
    return false;
  for (size_t i = 0; i < s->n_seeds; i++)
    if (same_addr(&s->seeds[i], from) ||
        (peer != NULL && same_addr(&s->seeds[i], &peer->addr)))
      return true;
  return false;
}

/* Padded to what its introduction in answer will take: the member's
 * certificate and record, which we hold, and the envelope around them. */
#define INTRO_SLACK 184

void swim_introduce(struct swim *s, const struct member *m) {
  size_t pad = mb_blob_len(m->cert.p) + mb_blob_len(m->record.p) + INTRO_SLACK;
  send_join(s, &m->addr, NULL, 0, JOIN_INTRODUCTION, pad, 0);
}

/*
 * An unbound join may be a replay, from any source address: it changes
 * nothing here (its records are not applied, its sender not added) and
 * draws one introduction no larger than itself, bound to the sender at
 * the epoch of the record it carries of itself.  Only a sender that
 * receives it can go on, with a bound request.
 */
void swim_answer_unbound_join(struct swim *s, const struct mb_addr *from,
                              const struct mb_datagram *d,
                              struct swim_carried *c, size_t len) {
  const uint8_t *kid = d->envelope.kid;
  for (size_t i = 0; i < d->n_records; i++) {
    struct mb_record rec;
    if (mb_wire_record_open(s->vc, d->records[i].p, d->records[i].len,
                            s->aad, s->aad_len, &rec) != MB_OK ||
        rec.kind != MB_REC_HEARTBEAT ||
        memcmp(rec.envelope.kid, kid, MB_NODE_ID_LEN) != 0 ||
        !swim_admitted(s, kid, c))
      continue;
    if (!s->leaving && rec.u.hb.epoch != 0)
      send_join(s, from, kid, rec.u.hb.epoch, JOIN_INTRODUCTION, 0, len);
    return;
  }
}

/* Did we send this member our view lately?  If not, it is noted as sent. */
static bool view_sent_lately(struct swim *s, const struct member *m) {
  const uint8_t *ref = m->id; /* a ref is the id's first bytes */
  for (size_t i = 0; i < SWIM_RECENT_VIEWS; i++)
    if (s->views[i].at != 0 && s->now < s->views[i].at + VIEW_RESEND_MS &&
        memcmp(s->views[i].ref, ref, MB_NODE_REF_LEN) == 0)
      return true;
  struct recent_view *v = &s->views[s->views_next++ % SWIM_RECENT_VIEWS];
  memcpy(v->ref, ref, MB_NODE_REF_LEN);
  v->at = s->now ? s->now : 1;
  return false;
}

static void on_join(struct swim *s, const struct mb_addr *from,
                    struct member *peer, const struct mb_msg *msg) {
  if (peer == NULL)
    return; /* its record did not admit it */
  /* The view, the one large answer, goes to the address the requester
   * signed into its record, not to the datagram's source: a member
   * replaying its own bound request from a forged source address drew
   * 13.5 KB from a 32-member mesh with 141 bytes. */
  if (msg->parts == JOIN_REQUEST && !cookie_valid(s, peer, msg)) {
    /* No cookie for the record's address: an introduction, with one, to
     * where the request came from, no larger than the request. */
    send_join(s, from, peer->id, peer->epoch, JOIN_INTRODUCTION, 0,
              s->rx_len);
    return;
  }
  if (msg->parts == JOIN_REQUEST && !view_sent_lately(s, peer)) {
    struct mb_msg reply = {.kind = MB_MSG_PUSH_PULL_REPLY};
    send_view(s, &peer->addr, peer, &reply);
  }
  if (!from_seed(s, from, peer))
    return;
  s->has_join_cookie = msg->parts == JOIN_INTRODUCTION && msg->has_digest;
  if (s->has_join_cookie)
    memcpy(s->join_cookie, msg->digest, sizeof(s->join_cookie));
  send_join(s, from, peer->id, peer->epoch, JOIN_REQUEST, 0, 0);
}

/*
 * The view digest is a sum, lane by lane mod 2^64, of one BLAKE2b-128 per
 * member we hold a record of, over (id, incarnation big-endian, state):
 * the same set gives the same sum in any order, and a change moves one
 * share.  Kept up to date as members change, a digest costs nothing to
 * send; computed afresh (sorting n entries) it was most of what a
 * simulated 10 000-node mesh did once joined.
 */
static void share_of(const struct member *m, uint64_t out[2]) {
  uint8_t item[MB_NODE_ID_LEN + 9], h[16];
  memcpy(item, m->id, MB_NODE_ID_LEN);
  for (int b = 0; b < 8; b++)
    item[MB_NODE_ID_LEN + b] = (uint8_t)(m->incarnation >> (56 - 8 * b));
  item[MB_NODE_ID_LEN + 8] = (uint8_t)m->state;
  crypto_generichash(h, sizeof(h), item, sizeof(item), NULL, 0);
  memcpy(&out[0], h, 8);
  memcpy(&out[1], h + 8, 8);
}

void swim_view_out(struct swim *s, const struct member *m) {
  uint64_t h[2];
  if (m->record.p == NULL)
    return;
  share_of(m, h);
  s->view_sum[0] -= h[0];
  s->view_sum[1] -= h[1];
}

void swim_view_in(struct swim *s, const struct member *m) {
  uint64_t h[2];
  if (m->record.p == NULL)
    return;
  share_of(m, h);
  s->view_sum[0] += h[0];
  s->view_sum[1] += h[1];
}

void swim_view_digest(const struct swim *s, uint8_t out[MB_VIEW_DIGEST_LEN]) {
  for (int b = 0; b < 8; b++) {
    out[b] = (uint8_t)(s->view_sum[0] >> (8 * b));
    out[8 + b] = (uint8_t)(s->view_sum[1] >> (8 * b));
  }
}

bool swim_view_check(const struct swim *s) {
  uint64_t sum[2] = {0, 0}, h[2];
  for (size_t i = 0; i < s->n; i++)
    if (s->m[i].record.p != NULL) {
      share_of(&s->m[i], h);
      sum[0] += h[0];
      sum[1] += h[1];
    }
  return sum[0] == s->view_sum[0] && sum[1] == s->view_sum[1];
}

static void send_digest(struct swim *s, struct member *peer) {
  struct mb_msg msg = {
      .kind = MB_MSG_PUSH_PULL, .parts = 1, .has_digest = true};
  swim_view_digest(s, msg.digest);
  swim_send(s, &peer->addr, peer, &msg, false);
}

/*
 * The exchange, from A's digest to repaired views:
 *   A -> B  push-pull {digest}            equal at B: done
 *   B -> A  reply pages {summary, range}  B's view, 17 bytes a member
 *   A -> B  reply pages of records        what A holds newer or B lacks
 *   A -> B  push-pull {pull: refs}        what A lacks or holds older
 *   B -> A  reply pages of records        the pulled ones
 * A join is a handshake first (send_join).
 */
void swim_on_push_pull(struct swim *s, const struct mb_addr *from,
                       const uint8_t *sender_id, const struct mb_msg *msg) {
  struct member *peer = swim_member_by_id(s, sender_id);
  if (msg->kind == MB_MSG_PUSH_PULL_REPLY && msg->summary == NULL &&
      from_seed(s, from, peer)) {
    s->joined = true;
    s->joined_at = s->now;
  }
  if (s->leaving)
    return;
  if (msg->kind == MB_MSG_JOIN) {
    on_join(s, from, peer, msg);
    return;
  }
  if (msg->summary != NULL) {
    swim_on_summary(s, from, peer, msg);
    return;
  }
  if (msg->pull != NULL) {
    swim_on_pull(s, from, sender_id, msg);
    return;
  }
  if (msg->kind == MB_MSG_PUSH_PULL_REPLY || msg->part != 0)
    return; /* records already applied; nothing to answer */
  struct mb_msg reply = {.kind = MB_MSG_PUSH_PULL_REPLY};
  if (msg->kind == MB_MSG_PUSH_PULL && msg->has_digest) {
    swim_view_digest(s, reply.digest);
    if (memcmp(reply.digest, msg->digest, MB_VIEW_DIGEST_LEN) != 0)
      swim_send_summary(s, from, peer);
    else
      s->views_agreed_at = s->now; /* see swim_needs_cert */
    return; /* equal: views agree, nothing to exchange */
  }
  send_view(s, from, peer, &reply);
}

/* ---- timers ------------------------------------------------------------ */

/*
 * Gossip alone loses news now and then: with λ·log(n) retransmits a member
 * misses a given join with probability about (1 - 1/n)^(λ n log n), which
 * memberlist shows as a member unseen for a minute in 2 runs of 6 at n = 64.
 * So a member that has learned of a newcomer compares views with a random
 * member soon, instead of at the next push-pull period, and again after
 * 2, 4, 8... news lifetimes (λ·log(n) gossip rounds) until the regular
 * period takes over: a member that missed a newcomer learns nothing that
 * would prompt it, so the follow-ups are what find it.  Comparisons are at
 * least one news lifetime apart: in a join storm views keep differing only
 * because news is in flight, and with a fixed 1 s gap every member of a
 * 1000-member storm swapped whole summaries every second.
 */
#define PUSH_PULL_SOON_MS 500

void swim_push_pull_soon(struct swim *s) {
  uint64_t at =
      s->now + PUSH_PULL_SOON_MS + mb_rng_below(&s->rng, PUSH_PULL_SOON_MS);
  uint64_t gap = swim_news_lifetime(s);
  if (at < s->last_push_pull_at + gap)
    at = s->last_push_pull_at + gap;
  if (at < s->next_push_pull_at)
    s->next_push_pull_at = at;
  s->follow_ups = 1;
}

/* When the next comparison is due after one that runs now. */
static uint64_t next_push_pull(struct swim *s) {
  uint64_t period = push_pull_period(s);
  if (s->follow_ups > 0 && s->follow_ups < 16) {
    uint64_t wait = swim_news_lifetime(s) << s->follow_ups;
    if (wait < period) {
      s->follow_ups++;
      return s->now + wait + mb_rng_below(&s->rng, wait / 4 + 1);
    }
  }
  s->follow_ups = 0;
  return s->now + period;
}

#define STATE_BIT(st) (1u << (st))

static bool eligible(const struct member *m, unsigned states) {
  return !m->is_self && (states & STATE_BIT(m->state));
}

/* A uniformly random member in one of the given states.  A few random
 * draws find one in O(1) when most members qualify (the usual case, and
 * what keeps 10k-node simulations fast); a counted scan decides otherwise. */
static struct member *random_member(struct swim *s, unsigned states) {
  for (int tries = 0; tries < 8 && s->n > 1; tries++) {
    struct member *m = &s->m[mb_rng_below(&s->rng, s->n)];
    if (eligible(m, states))
      return m;
  }
  size_t count = 0;
  for (size_t i = 0; i < s->n; i++)
    count += eligible(&s->m[i], states);
  if (count == 0)
    return NULL;
  size_t pick = (size_t)mb_rng_below(&s->rng, count);
  for (size_t i = 0; i < s->n; i++)
    if (eligible(&s->m[i], states) && pick-- == 0)
      return &s->m[i];
  return NULL;
}

/* The member at a seed's address, once a handshake told us who it is. */
static struct member *member_at(struct swim *s, const struct mb_addr *a) {
  for (size_t i = 0; i < s->n; i++)
    if (!s->m[i].is_self && same_addr(&s->m[i].addr, a))
      return &s->m[i];
  return NULL;
}

static void join_tick(struct swim *s) {
  if (s->joined || s->n_seeds == 0 || s->now < s->next_join_at)
    return;
  if (s->join_attempts++ >= JOIN_MAX_ATTEMPTS) {
    s->n_seeds = 0;
    return;
  }
  /* One seed per attempt, in turn: every seed that hears a join answers
   * with its whole view, and three whole views for one joiner were a third
   * of what a 1000-member join storm sent. */
  size_t pick = (s->join_first_seed + s->join_attempts - 1) % s->n_seeds;
  const struct member *seed = member_at(s, &s->seeds[pick]);
  /* A retry: the cookie we hold may be stale; the padded request draws a
   * fresh one. */
  s->has_join_cookie = false;
  send_join(s, &s->seeds[pick], seed ? seed->id : NULL, seed ? seed->epoch : 0,
            JOIN_REQUEST, JOIN_PAD, 0);
  uint32_t round = (s->join_attempts - 1) / (uint32_t)s->n_seeds;
  uint64_t wait = (uint64_t)JOIN_RETRY_MS
                  << (round < JOIN_RETRY_MAX_SHIFT ? round : JOIN_RETRY_MAX_SHIFT);
  s->next_join_at = s->now + wait - wait / 4 + mb_rng_below(&s->rng, wait / 2);
}

static void forget_old_dead(struct swim *s) {
  for (size_t i = 0; i < s->n;) {
    struct member *m = &s->m[i];
    bool gone = m->state == SWIM_DEAD || m->state == SWIM_LEFT;
    if (gone && !m->is_self && s->now - m->state_since >= s->cfg.dead_keep_ms)
      swim_member_remove(s, i);
    else
      i++;
  }
}

/* One gossip round: news to gossip_nodes distinct random live members. */
static void gossip_tick(struct swim *s) {
  s->next_gossip_at = s->now + s->cfg.gossip_interval_ms;
  struct member *sent[16];
  uint32_t want = s->cfg.gossip_nodes < 16 ? s->cfg.gossip_nodes : 16;
  uint32_t k = 0;
  for (uint32_t tries = 0;
       k < want && s->n_bq + s->news.n > 0 && tries < 4 * want;
       tries++) {
    /* Alive members only: a suspect hears what is said of it from its
     * accusers (suspicion.c), and on one side of a partition most
     * suspects are on the far side, where fanout is lost. */
    struct member *m = random_member(s, STATE_BIT(SWIM_ALIVE));
    if (m == NULL)
      return;
    bool dup = false;
    for (uint32_t j = 0; j < k; j++)
      dup |= sent[j] == m;
    if (dup)
      continue;
    sent[k++] = m;
    struct mb_msg msg = {.kind = MB_MSG_GOSSIP};
    swim_send(s, &m->addr, m, &msg, true);
  }
}

void swim_antientropy_tick(struct swim *s) {
  if (s->leaving)
    return;
  join_tick(s);
  if (s->now >= s->next_gossip_at)
    gossip_tick(s);
  if (s->now >= s->next_push_pull_at) {
    s->next_push_pull_at = next_push_pull(s);
    s->last_push_pull_at = s->now;
    struct member *m = random_member(s, STATE_BIT(SWIM_ALIVE));
    if (m != NULL)
      send_digest(s, m);
  }
  if (s->now >= s->next_reconnect_at) {
    s->next_reconnect_at = s->now + s->cfg.reconnect_interval_ms;
    /* A digest is enough: a member that is in fact alive sees views that
     * differ (it is dead in ours) and answers with its whole view.  Not a
     * member we hold out (flap.c): we know it is there, and ten of them
     * drew every member's reconnects, 17 KB summaries each, 20 times the
     * bytes of a mesh at rest. */
    struct member *m = random_member(s, STATE_BIT(SWIM_DEAD));
    if (m != NULL && !swim_flap_holding(s, m)) {
      send_digest(s, m);
      /* In case it came back with a new epoch, whose record has not
       * reached us: every INTRODUCE_EVERY reconnects, since an
       * introduction is the size of a certificate and a record, and one
       * to a crashed member from each survivor every reconnect interval
       * was 140 bytes a second per member. */
      if (++s->reconnects % INTRODUCE_EVERY == 0)
        swim_introduce(s, m);
    }
    forget_old_dead(s);
  }
}

uint64_t swim_antientropy_deadline(const struct swim *s) {
  if (s->leaving)
    return SWIM_NEVER;
  uint64_t d = s->next_gossip_at;
  if (s->next_push_pull_at < d)
    d = s->next_push_pull_at;
  if (s->next_reconnect_at < d)
    d = s->next_reconnect_at;
  if (!s->joined && s->n_seeds > 0 && s->next_join_at < d)
    d = s->next_join_at;
  return d;
}
