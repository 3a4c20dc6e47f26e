/*
 * Joining: the handshake, its cookies, and a joiner's retries.
 */
#include "swim_internal.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* A joiner asks again after 1 s, then after 2, 4 and 8 s (jittered) once
 * every seed was tried: a seed busy with a join storm answered late, and
 * each early retry drew its whole view again (a seed of 256 sent 2.7
 * views per joiner, 350 KB each, and stopped answering probes). */
#define JOIN_RETRY_MS 1000
#define JOIN_RETRY_MAX_SHIFT 3
/* A joiner that got our view this long ago gets it again; sooner, its
 * request crossed the view on the way (the pages repair what was lost). */
#define VIEW_RESEND_MS 4000

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
bool swim_from_seed(const struct swim *s, const struct mb_addr *from,
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
    if (mb_wire_record_open(s->vc, d->records[i].p, d->records[i].len, s->aad,
                            s->aad_len, &rec) != MB_OK ||
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
  /* a ref is the id's first bytes */
  if (swim_recent_has(s, s->views, SWIM_RECENT_VIEWS, VIEW_RESEND_MS, m->id))
    return true;
  swim_recent_note(s, s->views, SWIM_RECENT_VIEWS, &s->views_next, m->id);
  return false;
}

void swim_on_join(struct swim *s, const struct mb_addr *from,
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
    send_join(s, from, peer->id, peer->epoch, JOIN_INTRODUCTION, 0, s->rx_len);
    return;
  }
  if (msg->parts == JOIN_REQUEST && !view_sent_lately(s, peer)) {
    struct mb_msg reply = {.kind = MB_MSG_PUSH_PULL_REPLY};
    swim_send_view(s, &peer->addr, peer, &reply);
  }
  if (!swim_from_seed(s, from, peer))
    return;
  swim_seed_answered(s, from, peer);
  s->has_join_cookie = msg->parts == JOIN_INTRODUCTION && msg->has_digest;
  if (s->has_join_cookie)
    memcpy(s->join_cookie, msg->digest, sizeof(s->join_cookie));
  send_join(s, from, peer->id, peer->epoch, JOIN_REQUEST, 0, 0);
}

/* The member at a seed's address, once a handshake told us who it is. */
static struct member *member_at(struct swim *s, const struct mb_addr *a) {
  for (size_t i = 0; i < s->n; i++)
    if (!s->m[i].is_self && same_addr(&s->m[i].addr, a))
      return &s->m[i];
  return NULL;
}

/* The seeds stay for queries once we give up; a late view still counts
 * (swim_from_seed), but no more requests go. */
void swim_join_tick(struct swim *s) {
  if (s->joined || s->join_gave_up || s->n_seeds == 0 ||
      s->now < s->next_join_at)
    return;
  if (s->join_attempts++ >= SWIM_JOIN_MAX_ATTEMPTS) {
    s->join_attempts--;
    s->join_gave_up = true;
    s->join_changes++;
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
  s->seed_info[pick].requests++;
  s->seed_info[pick].last_request_at = s->now;
  s->join_changes++;
  uint32_t round = (s->join_attempts - 1) / (uint32_t)s->n_seeds;
  uint64_t wait =
      (uint64_t)JOIN_RETRY_MS
      << (round < JOIN_RETRY_MAX_SHIFT ? round : JOIN_RETRY_MAX_SHIFT);
  s->next_join_at = s->now + wait - wait / 4 + mb_rng_below(&s->rng, wait / 2);
}

int swim_join_begin(struct swim *s, const struct mb_addr *seeds, size_t n) {
  size_t cap = n ? n : 1;
  struct mb_addr *copy = realloc(s->seeds, cap * sizeof(*copy));
  if (copy == NULL)
    return -ENOMEM;
  s->seeds = copy;
  struct swim_seed_info *info = realloc(s->seed_info, cap * sizeof(*info));
  if (info == NULL) {
    s->n_seeds = 0; /* what was there stays valid, but the join is off */
    return -ENOMEM;
  }
  s->seed_info = info;
  memcpy(copy, seeds, n * sizeof(*copy));
  memset(info, 0, cap * sizeof(*info));
  for (size_t i = 0; i < n; i++)
    info[i].addr = seeds[i];
  s->n_seeds = n;
  s->joined = s->join_gave_up = false;
  s->join_attempts = 0;
  s->join_first_seed = n ? (size_t)mb_rng_below(&s->rng, n) : 0;
  s->next_join_at = s->now;
  s->join_started_at = s->now;
  s->join_changes++;
  return MB_OK;
}

static bool seed_known(const struct mb_addr *list, size_t n,
                       const struct mb_addr *a) {
  for (size_t i = 0; i < n; i++)
    if (same_addr(&list[i], a))
      return true;
  return false;
}

/* Room for n seeds in all (what is there stays as it is on failure). */
static int seeds_reserve(struct swim *s, size_t n) {
  struct mb_addr *copy = realloc(s->seeds, n * sizeof(*copy));
  if (copy == NULL)
    return -ENOMEM;
  s->seeds = copy;
  struct swim_seed_info *info = realloc(s->seed_info, n * sizeof(*info));
  if (info == NULL)
    return -ENOMEM;
  s->seed_info = info;
  return MB_OK;
}

/* The new seeds go to the end, and the round restarts from the first of
 * them: the seeds asked before keep their place and their counts, and are
 * asked again in turn (the join that replaced them forgot a numeric seed
 * the moment a host name resolved). */
int swim_join_extend(struct swim *s, const struct mb_addr *seeds, size_t n) {
  size_t first_new = s->n_seeds;
  int rc = n == 0 ? MB_OK : seeds_reserve(s, s->n_seeds + n);
  if (rc != MB_OK)
    return rc;
  for (size_t i = 0; i < n; i++)
    if (!seed_known(s->seeds, s->n_seeds, &seeds[i])) {
      s->seeds[s->n_seeds] = seeds[i];
      s->seed_info[s->n_seeds++] = (struct swim_seed_info){.addr = seeds[i]};
    }
  if (s->n_seeds == first_new)
    return MB_OK; /* nothing new: the join goes on as it was */
  if (first_new == 0 || s->joined || s->join_gave_up)
    s->join_started_at = s->now;
  s->joined = s->join_gave_up = false;
  s->join_attempts = 0;
  s->join_first_seed = first_new;
  s->next_join_at = s->now;
  s->join_changes++;
  return MB_OK;
}

void swim_seed_answered(struct swim *s, const struct mb_addr *from,
                        const struct member *peer) {
  for (size_t i = 0; i < s->n_seeds; i++)
    if (same_addr(&s->seeds[i], from) ||
        (peer != NULL && same_addr(&s->seeds[i], &peer->addr))) {
      s->seed_info[i].answers++;
      s->seed_info[i].last_answer_at = s->now;
      s->join_changes++;
    }
}

void swim_join_get(const struct swim *s, struct swim_join_info *out) {
  *out = (struct swim_join_info){.n_seeds = s->n_seeds,
                                 .started_at = s->join_started_at,
                                 .attempts = s->join_attempts,
                                 .next_attempt_at = s->next_join_at,
                                 .joined = s->joined,
                                 .joined_at = s->joined_at,
                                 .gave_up = s->join_gave_up,
                                 .changes = s->join_changes};
}

int swim_join_seed(const struct swim *s, size_t i, struct swim_seed_info *out) {
  if (i >= s->n_seeds)
    return MB_EINVAL;
  *out = s->seed_info[i];
  return MB_OK;
}
