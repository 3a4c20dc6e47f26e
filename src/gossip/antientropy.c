/*
 * Anti-entropy and re-merging: our view in pages, its digest, push-pull,
 * and the timers that drive them (joining is join.c).
 *
 * Every
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

static uint64_t push_pull_period(const struct swim *s) {
  double n = (double)s->n_live;
  double mult = n > 32.0 ? ceil(log2(n) - log2(32.0)) + 1.0 : 1.0;
  return (uint64_t)(s->cfg.push_pull_interval_ms * mult);
}

/* What a member contributes to a push-pull: its record, and its latest
 * claim while it is suspect or dead. */
static bool member_items(const struct member *m, struct bytes *rec,
                         struct bytes *claim) {
  if (m->record.p == NULL || m->revoked)
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
void swim_send_view(struct swim *s, const struct mb_addr *to,
                    struct member *peer, struct mb_msg *msg) {
  struct swim_subset all = {.with_certs = true, .peer = peer};
  /* Channel records first: a revocation must land before the revoked
   * member's record would make it a member. */
  swim_send_records(s, to, peer);
  swim_send_members(s, to, msg, &all);
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

/* A revoked member has no share: its records are refused, and a member
 * still holding them must not make every comparison of views differ. */
void swim_view_out(struct swim *s, const struct member *m) {
  uint64_t h[2];
  if (m->record.p == NULL || m->revoked)
    return;
  share_of(m, h);
  s->view_sum[0] -= h[0];
  s->view_sum[1] -= h[1];
}

void swim_view_in(struct swim *s, const struct member *m) {
  uint64_t h[2];
  if (m->record.p == NULL || m->revoked)
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
    if (s->m[i].record.p != NULL && !s->m[i].revoked) {
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
  swim_records_digest_into(s, &msg);
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
      !msg->has_rsummary && swim_from_seed(s, from, peer)) {
    swim_seed_answered(s, from, peer);
    s->joined = true;
    s->joined_at = s->now;
  }
  if (s->leaving)
    return;
  if (msg->kind == MB_MSG_JOIN) {
    swim_on_join(s, from, peer, msg);
    return;
  }
  if (msg->has_rsummary) {
    swim_on_record_summary(s, from, peer, msg);
    return;
  }
  if (msg->rpull != NULL) {
    swim_on_record_pull(s, from, peer, msg);
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
    swim_records_compare(s, from, peer, msg);
    swim_view_digest(s, reply.digest);
    if (memcmp(reply.digest, msg->digest, MB_VIEW_DIGEST_LEN) != 0)
      swim_send_summary(s, from, peer);
    else
      s->views_agreed_at = s->now; /* see swim_needs_cert */
    return;                        /* equal: views agree, nothing to exchange */
  }
  swim_send_view(s, from, peer, &reply);
}

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
/* A dead member gets an introduction on every INTRODUCE_EVERY-th
 * reconnect (join.c, swim_introduce). */
#define INTRODUCE_EVERY 6

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
       k < want && (s->n_bq + s->news.n > 0 || swim_records_pending(s)) &&
       tries < 4 * want;
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
  swim_join_tick(s);
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
    if (m != NULL && !m->revoked && !swim_flap_holding(s, m)) {
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
  if (!s->joined && !s->join_gave_up && s->n_seeds > 0 && s->next_join_at < d)
    d = s->next_join_at;
  return d;
}
