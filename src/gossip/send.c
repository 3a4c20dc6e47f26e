/*
 * Outgoing datagrams and events.  Every datagram is built here, so the
 * piggyback order is written down once (0 goes first because without it
 * the rest would be refused):
 *   0. our certificate and record, while the receiver may not know us,
 *   1. the message itself (failure detection: ping, ack, ping-req, nack),
 *   2. buddy system: our suspect claim about the receiver, if we hold one
 *      (Lifeguard §IV-C: a suspected member learns it on the next probe),
 *   3. channel records still being relayed (channel/relay.c): few, and a
 *      revocation matters more than anything below,
 *   4. queued news, least-sent first: in a gossip message up to NEWS_MAX
 *      summary entries (joins and updates, pulled by who lacks them), then
 *      in any datagram signed records (claims, refutations, leaves).
 * Bytes live in an arena that is reset once the driver has polled
 * everything, so a datagram costs no allocation in the steady state.
 */
#include "swim_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_FIRST 16384
#define OUTQ_FIRST 64

/* All polled: start over.  A burst (a whole view, a summary: about 17
 * bytes a member) grows both buffers with the mesh, and a simulator of
 * n cores would keep n such high-water marks; so what grew past its
 * first size goes back, to be allocated again by the next burst. */
static void outputs_reset(struct swim *s) {
  s->n_out = s->out_head = 0;
  s->arena_len = 0;
  if (s->arena_cap > ARENA_FIRST) {
    free(s->arena);
    s->arena = NULL;
    s->arena_cap = 0;
  }
  if (s->cap_out > OUTQ_FIRST) {
    free(s->outq);
    s->outq = NULL;
    s->cap_out = 0;
  }
}

static int arena_reserve(struct swim *s, size_t len, size_t *off) {
  if (s->out_head == s->n_out)
    outputs_reset(s);
  if (s->arena_len + len > s->arena_cap) {
    size_t cap = s->arena_cap ? 2 * s->arena_cap : ARENA_FIRST;
    while (cap < s->arena_len + len)
      cap *= 2;
    uint8_t *a = realloc(s->arena, cap);
    if (a == NULL)
      return -ENOMEM;
    s->arena = a;
    s->arena_cap = cap;
  }
  *off = s->arena_len;
  s->arena_len += len;
  return MB_OK;
}

static struct outq_item *outq_push(struct swim *s) {
  if (s->n_out == s->cap_out) {
    size_t cap = s->cap_out ? 2 * s->cap_out : OUTQ_FIRST;
    struct outq_item *q = realloc(s->outq, cap * sizeof(*q));
    if (q == NULL)
      return NULL;
    s->outq = q;
    s->cap_out = cap;
  }
  struct outq_item *it = &s->outq[s->n_out++];
  memset(it, 0, sizeof(*it));
  return it;
}

void swim_out_event(struct swim *s, const struct swim_event *ev) {
  size_t off;
  if (arena_reserve(s, 0, &off) != MB_OK) /* resets a drained queue */
    return;
  struct outq_item *it = outq_push(s);
  if (it == NULL)
    return;
  it->out.kind = SWIM_OUT_EVENT;
  it->out.ev = *ev;
}

void swim_out_record(struct swim *s, const struct swim_record_info *info,
                     const uint8_t *raw, size_t len) {
  size_t off;
  if (arena_reserve(s, len, &off) != MB_OK)
    return;
  memcpy(s->arena + off, raw, len);
  struct outq_item *it = outq_push(s);
  if (it == NULL)
    return;
  it->out.kind = SWIM_OUT_RECORD;
  it->out.rec = *info;
  it->out.len = len;
  it->arena_off = off;
}

int swim_out_app(struct swim *s, const uint8_t *from, uint8_t channel,
                 const uint8_t *payload, size_t len) {
  size_t off;
  int rc = arena_reserve(s, len, &off);
  if (rc)
    return rc;
  if (len > 0)
    memcpy(s->arena + off, payload, len);
  struct outq_item *it = outq_push(s);
  if (it == NULL)
    return -ENOMEM;
  it->out.kind = SWIM_OUT_APP;
  memcpy(it->out.app_from, from, MB_NODE_ID_LEN);
  it->out.app_channel = channel;
  it->out.len = len;
  it->arena_off = off;
  return MB_OK;
}

/*
 * A datagram to a member whose epoch we know is bound to it: no other
 * receiver accepts it, nor this one after a restart.  If the member also
 * holds our certificate, it is MACed under our pair key instead of signed
 * (64 bytes of signature and 24 of kid fewer, and a forgery costs the
 * receiver an HMAC).  The rest are signed and unbound: a join to a seed's
 * address, and datagrams to members whose record has no epoch; receivers
 * accept unbound datagrams only as joins (receive.c).
 */
void swim_dgram_begin(struct swim *s, struct mb_dgram_builder *b,
                      const struct mb_msg *msg, struct member *peer) {
  mb_dgram_init(b, &s->id, s->aad, s->aad_len, s->cfg.budget, s->next_seq++,
                msg);
  if (peer == NULL || peer->is_self || peer->epoch == 0)
    return;
  mb_dgram_bind(b, peer->id, peer->epoch);
  if (swim_needs_cert(s, peer))
    return;
  const uint8_t *key = swim_pair_key(s, peer);
  if (key != NULL)
    mb_dgram_use_mac(b, key);
}

int swim_send_built(struct swim *s, const struct mb_addr *to,
                    struct mb_dgram_builder *b) {
  size_t off, len;
  size_t want = mb_dgram_size(b);
  int rc = arena_reserve(s, want, &off);
  if (rc)
    return rc;
  rc = mb_dgram_finish(b, s->arena + off, want, &len);
  if (rc)
    return rc;
  struct outq_item *it = outq_push(s);
  if (it == NULL)
    return -ENOMEM;
  it->out.kind = SWIM_OUT_SEND;
  it->out.to = *to;
  it->out.len = len;
  it->arena_off = off;
  s->stats.sent_datagrams++;
  s->stats.sent_bytes += len;
  return MB_OK;
}

/* Buddy system: the receiver is suspected by us; tell it so it can refute. */
static void add_buddy_claim(struct mb_dgram_builder *b,
                            const struct member *peer) {
  if (peer == NULL || peer->state != SWIM_SUSPECT)
    return;
  struct bytes claim = swim_blob_bytes(peer->claim);
  if (claim.p != NULL)
    mb_dgram_add_record(b, claim.p, claim.len);
}

/* How long our record counts as news after it last went out as such:
 * long enough for λ·log(n) gossip rounds to carry it everywhere, with
 * room for a join storm's queues. */
static bool self_news_fresh(const struct swim *s) {
  uint64_t lifetime = swim_news_lifetime(s);
  uint64_t fresh = 4 * lifetime > 10000 ? 4 * lifetime : 10000;
  return s->now < s->self_news_at + fresh;
}

/*
 * A receiver that may not know us needs our certificate, or nothing we
 * send counts; while our record is fresh news, it gets the record too, to
 * learn of us from the datagram itself instead of waiting for gossip that
 * may miss it.
 *
 * A member that has not answered us yet may hold both all the same: once
 * our record is old news and some member's view has since matched ours
 * (a digest comparison found them equal), the mesh has settled with us in
 * it, and new members get us in their seed's view.  Until then the
 * certificate goes along: presumed any earlier, in a 2000-member join
 * storm, members that had not heard of us yet dropped our probes and
 * suspected us in thousands.  After it, the certificate stays home: in a
 * 1000-member mesh, where first contacts go on for n probe periods,
 * attaching it until each peer answered made the steady state cost 470
 * bytes a second instead of 330.
 *
 * A member that missed us anyway shows it by leaving a direct probe
 * unanswered (it drops what it cannot admit); the indirect probes reach
 * it through members it knows, and from then on it is sent both again
 * until it answers.  So does a member that answered once and may have
 * forgotten us since (a restart we have not heard of, an hour-long
 * partition): a lost ack costs one datagram with both, not a suspicion.
 */
bool swim_needs_cert(const struct swim *s, const struct member *peer) {
  if (peer == NULL || peer->unanswered)
    return true;
  bool settled = !self_news_fresh(s) && s->views_agreed_at > s->self_news_at;
  return !peer->knows_us && !settled;
}

bool swim_needs_record(const struct swim *s, const struct member *peer) {
  return swim_needs_cert(s, peer) &&
         (self_news_fresh(s) || (peer != NULL && peer->unanswered));
}

/* About half a datagram: the rest stays for records, which decide
 * suspicions and must not wait behind a join storm's news. */
#define NEWS_MAX 40

int swim_send(struct swim *s, const struct mb_addr *to, struct member *peer,
              const struct mb_msg *msg, bool piggyback) {
  return swim_send_with(s, to, peer, msg, piggyback, NULL);
}

int swim_send_with(struct swim *s, const struct mb_addr *to,
                   struct member *peer, const struct mb_msg *msg,
                   bool piggyback, const struct bytes *extra) {
  struct mb_dgram_builder b;
  const struct member *me = &s->m[s->self_idx];
  struct mb_msg with_news = *msg;
  uint8_t news[NEWS_MAX * MB_SUMMARY_ENTRY_LEN];
  if (piggyback && msg->kind == MB_MSG_GOSSIP) {
    size_t k = swim_news_take(s, news, NEWS_MAX);
    with_news.summary = k ? news : NULL;
    with_news.summary_len = k * MB_SUMMARY_ENTRY_LEN;
  }
  swim_dgram_begin(s, &b, &with_news, peer);
  struct bytes cert = swim_blob_bytes(me->cert);
  struct bytes rec = swim_blob_bytes(me->record);
  if (swim_needs_cert(s, peer)) {
    if (cert.p != NULL)
      mb_dgram_add_cert(&b, cert.p, cert.len);
    if (swim_needs_record(s, peer))
      mb_dgram_add_record(&b, rec.p, rec.len);
  } else if (s->accused_us) {
    /* Whoever accuses us gets our refutation at once, not by chance. */
    mb_dgram_add_record(&b, rec.p, rec.len);
  }
  if (extra != NULL && extra->p != NULL)
    mb_dgram_add_record(&b, extra->p, extra->len);
  add_buddy_claim(&b, peer);
  if (piggyback) {
    swim_records_fill(s, &b);
    swim_bcast_fill(s, &b);
  }
  int rc = swim_send_built(s, to, &b);
  if (piggyback)
    swim_bcast_prune(s);
  return rc;
}

int swim_poll(struct swim *s, struct swim_output *out) {
  if (s->out_head == s->n_out) {
    /* At once, not at the next output: after a preloaded start every core
     * of a simulator holds a burst of n events until it next sends. */
    outputs_reset(s);
    return 0;
  }
  struct outq_item *it = &s->outq[s->out_head++];
  *out = it->out;
  if (out->kind == SWIM_OUT_SEND || out->kind == SWIM_OUT_RECORD ||
      out->kind == SWIM_OUT_APP)
    out->buf = s->arena + it->arena_off;
  return 1;
}
