/*
 * Reassembly of fragmented messages per sender with bounded memory: at most
 * MB_CONSENSUS_REASM_MESSAGES messages and MB_CONSENSUS_REASM_BYTES bytes in
 * progress per sender, MB_CONSENSUS_REASM_SENDERS senders; the oldest
 * message (or least recently heard sender) is dropped to make room, since
 * Raft retries whatever is lost.  A fragment that contradicts the header
 * of the message it claims to belong to drops that message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "consensus_codec.h"
#include "fragment_header.h"
#include "mb_consensus.h"

struct partial {
  uint8_t *buf;  /* NULL: slot free */
  uint8_t *have; /* one bit per fragment */
  uint32_t msg_id, total;
  uint16_t count, received;
  uint64_t started; /* reassembly clock when the first fragment came */
};

struct sender {
  uint64_t from; /* 0: slot free */
  uint64_t heard;
  size_t bytes;
  struct partial p[MB_CONSENSUS_REASM_MESSAGES];
};

struct mb_consensus__reasm {
  uint64_t clock; /* counts fragments: orders age without wall time */
  struct sender s[MB_CONSENSUS_REASM_SENDERS];
};

struct mb_consensus__reasm *mb_consensus__reasm_new(void) {
  return calloc(1, sizeof(struct mb_consensus__reasm));
}

static void drop_partial(struct sender *s, struct partial *p) {
  if (p->buf == NULL)
    return;
  s->bytes -= p->total;
  free(p->buf);
  free(p->have);
  memset(p, 0, sizeof *p);
}

static void drop_sender(struct sender *s) {
  for (size_t i = 0; i < MB_CONSENSUS_REASM_MESSAGES; i++)
    drop_partial(s, &s->p[i]);
  memset(s, 0, sizeof *s);
}

void mb_consensus__reasm_free(struct mb_consensus__reasm *r) {
  if (r == NULL)
    return;
  for (size_t i = 0; i < MB_CONSENSUS_REASM_SENDERS; i++)
    drop_sender(&r->s[i]);
  free(r);
}

static struct sender *sender_of(struct mb_consensus__reasm *r, uint64_t from) {
  struct sender *oldest = &r->s[0];
  for (size_t i = 0; i < MB_CONSENSUS_REASM_SENDERS; i++) {
    struct sender *s = &r->s[i];
    if (s->from == from)
      return s;
    if (s->from == 0 || (oldest->from != 0 && s->heard < oldest->heard))
      oldest = s;
  }
  drop_sender(oldest);
  oldest->from = from;
  return oldest;
}

static struct partial *oldest_partial(struct sender *s) {
  struct partial *oldest = NULL;
  for (size_t i = 0; i < MB_CONSENSUS_REASM_MESSAGES; i++)
    if (s->p[i].buf != NULL &&
        (oldest == NULL || s->p[i].started < oldest->started))
      oldest = &s->p[i];
  return oldest;
}

static struct partial *free_slot(struct sender *s) {
  for (size_t i = 0; i < MB_CONSENSUS_REASM_MESSAGES; i++)
    if (s->p[i].buf == NULL)
      return &s->p[i];
  return NULL;
}

static int start_partial(struct mb_consensus__reasm *r, struct sender *s,
                         const struct mb_consensus__frag_header *h,
                         struct partial **out) {
  struct partial *p = NULL;
  while (s->bytes + h->total > MB_CONSENSUS_REASM_BYTES ||
         (p = free_slot(s)) == NULL)
    drop_partial(s, oldest_partial(s));
  p->buf = malloc(h->total);
  p->have = calloc((h->count + 7u) / 8u, 1);
  if (p->buf == NULL || p->have == NULL) {
    free(p->buf);
    free(p->have);
    memset(p, 0, sizeof *p);
    return -ENOMEM;
  }
  p->msg_id = h->msg_id;
  p->total = h->total;
  p->count = h->count;
  p->started = r->clock;
  s->bytes += h->total;
  *out = p;
  return 0;
}

static struct partial *find_partial(struct sender *s, uint32_t msg_id) {
  for (size_t i = 0; i < MB_CONSENSUS_REASM_MESSAGES; i++)
    if (s->p[i].buf != NULL && s->p[i].msg_id == msg_id)
      return &s->p[i];
  return NULL;
}

static int single(const uint8_t *payload, size_t n, uint8_t **msg,
                  size_t *msg_len) {
  *msg = malloc(n);
  if (*msg == NULL)
    return -ENOMEM;
  memcpy(*msg, payload, n);
  *msg_len = n;
  return 1;
}

int mb_consensus__reasm_push(struct mb_consensus__reasm *r, uint64_t from,
                             const uint8_t *frag, size_t len, uint8_t **msg,
                             size_t *msg_len) {
  struct mb_consensus__frag_header h;
  if (mb_consensus__frag_header_get(frag, len, &h) != 0)
    return MB_EFRAGMENT;
  const uint8_t *payload = frag + MB_CONSENSUS_FRAG_HEADER;
  size_t n = len - MB_CONSENSUS_FRAG_HEADER;
  if (h.count == 1)
    return single(payload, n, msg, msg_len);
  r->clock++;
  struct sender *s = sender_of(r, from);
  s->heard = r->clock;
  struct partial *p = find_partial(s, h.msg_id);
  if (p != NULL && (p->count != h.count || p->total != h.total)) {
    drop_partial(s, p);
    return MB_EFRAGMENT;
  }
  if (p == NULL) {
    int rc = start_partial(r, s, &h, &p);
    if (rc != 0)
      return rc;
  }
  uint8_t bit = (uint8_t)(1u << (h.index % 8));
  if (p->have[h.index / 8] & bit)
    return 0; /* a duplicate */
  p->have[h.index / 8] |= bit;
  memcpy(p->buf + h.offset, payload, n);
  if (++p->received < p->count)
    return 0;
  *msg = p->buf;
  *msg_len = p->total;
  p->buf = NULL; /* handed over */
  s->bytes -= p->total;
  free(p->have);
  memset(p, 0, sizeof *p);
  return 1;
}
