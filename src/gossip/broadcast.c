/*
 * The dissemination queue (SWIM §4.1, "infection-style" dissemination) of
 * signed records carried unchanged: suspect and dead claims, refutations,
 * leaves, payload updates, our own record.  Each is sent about
 * retransmit_mult * ceil(log10(n + 1)) times, least-sent first (ties:
 * newest first), and newer word about a member replaces older.
 *
 * Joins travel differently, as news (news.c): a record with its
 * certificate is about 450 bytes, and sending it λ·log(n) times per relay
 * made a 1000-member join storm cost 20 KB per member per second for
 * minutes.
 */
#include "swim_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

uint32_t swim_retransmit_limit(const struct swim *s) {
  double scale = ceil(log10((double)s->n_live + 1.0));
  return s->cfg.retransmit_mult * (uint32_t)(scale < 1 ? 1 : scale);
}

uint64_t swim_news_lifetime(const struct swim *s) {
  return (uint64_t)swim_retransmit_limit(s) * s->cfg.gossip_interval_ms;
}

static void bcast_drop(struct swim *s, size_t i) {
  swim_bytes_free(s, &s->bq[i].rec);
  swim_bytes_free(s, &s->bq[i].cert);
  s->bq[i] = s->bq[--s->n_bq];
}

void swim_bcast_free(struct swim *s) {
  while (s->n_bq > 0)
    bcast_drop(s, 0);
  free(s->bq);
  s->bq = NULL;
  s->cap_bq = 0;
}

void swim_bcast_forget(struct swim *s, const uint8_t *subject) {
  for (size_t i = 0; i < s->n_bq;)
    if (memcmp(s->bq[i].subject, subject, MB_NODE_ID_LEN) == 0)
      bcast_drop(s, i);
    else
      i++;
}

/* A fresh item about `subject`, replacing any older word of it; NULL when
 * out of memory. */
static struct bcast *bcast_new(struct swim *s, const uint8_t *subject) {
  swim_bcast_forget(s, subject);
  struct member *m = swim_member_by_id(s, subject);
  if (m != NULL)
    swim_news_drop(s, m);
  if (s->n_bq == s->cap_bq) {
    size_t cap = s->cap_bq ? 2 * s->cap_bq : 16;
    struct bcast *q = realloc(s->bq, cap * sizeof(*q));
    if (q == NULL)
      return NULL;
    s->bq = q;
    s->cap_bq = cap;
  }
  struct bcast *b = &s->bq[s->n_bq];
  memset(b, 0, sizeof(*b));
  memcpy(b->subject, subject, MB_NODE_ID_LEN);
  b->order = ++s->bq_order;
  return b;
}

void swim_bcast_add(struct swim *s, const uint8_t *subject,
                    const struct bytes *rec, const struct bytes *cert) {
  struct bcast *b = bcast_new(s, subject);
  if (b == NULL)
    return;
  if (swim_bytes_set(s, &b->rec, rec->p, rec->len) != MB_OK)
    return;
  if (cert != NULL && cert->p != NULL &&
      swim_bytes_set(s, &b->cert, cert->p, cert->len) != MB_OK) {
    swim_bytes_free(s, &b->rec);
    return;
  }
  s->n_bq++;
}

/* A record re-signed for a renewed certificate is the same record to
 * every member but for its sequence number: one that got it bare would
 * see no news in any later copy, nor a difference in any view compared,
 * and keep the old certificate until it expired.  So the certificate goes
 * with every copy; renewals are rare. */
void swim_bcast_add_renewal(struct swim *s, const uint8_t *subject,
                            const struct bytes *rec, const struct bytes *cert) {
  swim_bcast_add(s, subject, rec, cert);
  if (s->n_bq == 0)
    return;
  struct bcast *b = &s->bq[s->n_bq - 1];
  if (memcmp(b->subject, subject, MB_NODE_ID_LEN) == 0)
    b->cert_always = true;
}

/* Least transmitted first; among equals, the newest. */
static int bcast_cmp(const void *a, const void *b) {
  const struct bcast *x = a, *y = b;
  if (x->transmits != y->transmits)
    return x->transmits < y->transmits ? -1 : 1;
  return x->order > y->order ? -1 : (x->order < y->order);
}

/*
 * A certificate doubles what a join announcement costs, and only members
 * that have not heard of the newcomer need it: each relay attaches it to
 * its first CERT_TRANSMITS sends only.  A member that still lacks it gets
 * it from the newcomer's own first datagram or from reconciliation.
 */
#define CERT_TRANSMITS 2

/* No signed record is smaller than its envelope; and after a few refusals
 * in a row the datagram is as good as full. */
#define MIN_RECORD_BYTES (MB_COSE_OVERHEAD + 8)
#define MAX_REFUSALS 16

void swim_bcast_fill(struct swim *s, struct mb_dgram_builder *b) {
  if (s->n_bq == 0)
    return;
  qsort(s->bq, s->n_bq, sizeof(*s->bq), bcast_cmp);
  unsigned refused = 0;
  for (size_t i = 0; i < s->n_bq && refused < MAX_REFUSALS; i++) {
    struct bcast *q = &s->bq[i];
    if (mb_dgram_size(b) + MIN_RECORD_BYTES > b->budget)
      break; /* full: trying the rest of a long queue would only cost */
    struct mb_dgram_mark mark;
    mb_dgram_save(b, &mark);
    /* A record whose author the receiver cannot admit is wasted bytes:
     * record and certificate go together or not at all. */
    bool cert =
        q->cert.p != NULL && (q->transmits < CERT_TRANSMITS || q->cert_always);
    if (mb_dgram_add_record(b, q->rec.p, q->rec.len) != MB_OK ||
        (cert && mb_dgram_add_cert(b, q->cert.p, q->cert.len) != MB_OK)) {
      mb_dgram_restore(b, &mark);
      refused++;
      continue; /* a smaller one further down may still fit */
    }
    q->transmits++;
  }
}

/* Separate from filling: the builder points into the queue's bytes until
 * the datagram is finished. */
void swim_bcast_prune(struct swim *s) {
  uint32_t limit = swim_retransmit_limit(s);
  for (size_t i = 0; i < s->n_bq;)
    if (s->bq[i].transmits >= limit)
      bcast_drop(s, i);
    else
      i++;
}
