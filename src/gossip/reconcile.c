/*
 * Reconciling two views that differ, by summary instead of whole views:
 * the summary's entries and the pages that carry them.
 *
 * A summary page lists, for every member whose node ref falls in the
 * page's range [lo, hi), its (ref, incarnation, state) in 17 bytes, sorted
 * by ref.  The receiver of a page can decide everything from that page
 * alone (reconcile_answer.c): it pushes what it holds newer or what the
 * range lacks, and pulls what it lacks or holds older.  At 1000 members a
 * summary is about 17 KB where the whole view with certificates would be
 * about 400 KB.
 */
#include "swim_internal.h"

#include <stdlib.h>
#include <string.h>

bool swim_summary_newer(uint64_t inc_a, uint8_t st_a, uint64_t inc_b,
                        uint8_t st_b) {
  return inc_a != inc_b ? inc_a > inc_b : st_a > st_b;
}

static int cmp_by_id(const void *a, const void *b, void *ctx) {
  const struct swim *s = ctx;
  return memcmp(s->m[*(const uint32_t *)a].id, s->m[*(const uint32_t *)b].id,
                MB_NODE_ID_LEN);
}

/* Members we hold a record of, sorted by id; caller frees. */
static uint32_t *sorted_members(const struct swim *s, size_t *n) {
  uint32_t *idx = malloc((s->n ? s->n : 1) * sizeof(*idx));
  *n = 0;
  if (idx == NULL)
    return NULL;
  for (size_t i = 0; i < s->n; i++)
    if (s->m[i].record.p != NULL && !s->m[i].revoked)
      idx[(*n)++] = (uint32_t)i;
  qsort_r(idx, *n, sizeof(*idx), cmp_by_id, (void *)s);
  return idx;
}

void swim_summary_entry(uint8_t *e, const struct member *m) {
  memcpy(e, m->id, MB_NODE_REF_LEN);
  for (int b = 0; b < 8; b++)
    e[MB_NODE_REF_LEN + b] = (uint8_t)(m->incarnation >> (56 - 8 * b));
  e[MB_NODE_REF_LEN + 8] = (uint8_t)m->state;
}

uint8_t swim_summary_read(const uint8_t *e, uint64_t *incarnation) {
  uint64_t inc = 0;
  for (int b = 0; b < 8; b++)
    inc = inc << 8 | e[MB_NODE_REF_LEN + b];
  *incarnation = inc;
  return e[MB_NODE_REF_LEN + 8];
}

/* Bytes a summary or pull page may fill: what is left of the budget after
 * envelope, our certificate and the message's other fields. */
size_t swim_page_room(const struct swim *s) {
  size_t room = s->cfg.budget > 500 ? s->cfg.budget - 500 : 0;
  if (room > MB_WIRE_MSG_MAX - 100)
    room = MB_WIRE_MSG_MAX - 100;
  return room;
}

void swim_send_page(struct swim *s, const struct mb_addr *to,
                    struct mb_msg *msg, struct member *peer) {
  struct mb_dgram_builder b;
  swim_dgram_begin(s, &b, msg, peer);
  struct bytes cert = swim_blob_bytes(s->m[s->self_idx].cert);
  if (swim_needs_cert(s, peer) && cert.p != NULL)
    mb_dgram_add_cert(&b, cert.p, cert.len);
  swim_send_built(s, to, &b);
}

size_t swim_summary_per_page(const struct swim *s) {
  return swim_page_room(s) / MB_SUMMARY_ENTRY_LEN;
}

void swim_send_summary(struct swim *s, const struct mb_addr *to,
                       struct member *peer) {
  size_t n, per = swim_summary_per_page(s);
  uint32_t *idx = sorted_members(s, &n);
  uint8_t *buf = malloc(per * MB_SUMMARY_ENTRY_LEN + 1);
  if (idx == NULL || buf == NULL || per == 0) {
    free(idx), free(buf);
    return;
  }
  struct mb_msg msg = {
      .kind = MB_MSG_PUSH_PULL_REPLY, .has_range = true, .summary = buf};
  msg.parts = (uint32_t)((n + per - 1) / per);
  for (size_t first = 0; first < n; first += per) {
    size_t k = n - first < per ? n - first : per;
    for (size_t j = 0; j < k; j++)
      swim_summary_entry(buf + j * MB_SUMMARY_ENTRY_LEN, &s->m[idx[first + j]]);
    msg.summary_len = k * MB_SUMMARY_ENTRY_LEN;
    if (first == 0)
      memset(msg.range_lo, 0x00, MB_NODE_REF_LEN);
    else
      memcpy(msg.range_lo, s->m[idx[first]].id, MB_NODE_REF_LEN);
    if (first + k < n)
      memcpy(msg.range_hi, s->m[idx[first + k]].id, MB_NODE_REF_LEN);
    else
      memset(msg.range_hi, 0xff, MB_NODE_REF_LEN);
    swim_send_page(s, to, &msg, peer);
    msg.part++;
  }
  free(idx);
  free(buf);
}

void swim_send_pulls(struct swim *s, const struct mb_addr *to,
                     struct member *peer, const uint8_t *refs, size_t n) {
  size_t per =
      swim_summary_per_page(s) * MB_SUMMARY_ENTRY_LEN / MB_NODE_REF_LEN;
  for (size_t first = 0; first < n; first += per) {
    size_t k = n - first < per ? n - first : per;
    struct mb_msg msg = {.kind = MB_MSG_PUSH_PULL,
                         .parts = 1,
                         .pull = refs + first * MB_NODE_REF_LEN,
                         .pull_len = k * MB_NODE_REF_LEN};
    swim_send_page(s, to, &msg, peer);
  }
}
