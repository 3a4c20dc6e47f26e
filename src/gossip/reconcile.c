/*
 * Reconciling two views that differ, by summary instead of whole views.
 *
 * A summary page lists, for every member whose node ref falls in the
 * page's range [lo, hi), its (ref, incarnation, state) in 17 bytes, sorted
 * by ref.  The receiver of a page can decide everything from that page
 * alone: it pushes what it holds newer or what the range lacks, and pulls
 * what it lacks or holds older.  At 1000 members a summary is about 17 KB
 * where the whole view with certificates would be about 400 KB.
 */
#include "swim_internal.h"

#include <stdlib.h>
#include <string.h>

/* Within one incarnation, later states win: alive < suspect < dead < left. */
static bool newer_pair(uint64_t inc_a, uint8_t st_a, uint64_t inc_b,
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

static size_t entries_per_page(const struct swim *s) {
  return swim_page_room(s) / MB_SUMMARY_ENTRY_LEN;
}

void swim_send_summary(struct swim *s, const struct mb_addr *to,
                       struct member *peer) {
  size_t n, per = entries_per_page(s);
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

/* ---- the receiving side -------------------------------------------------- */

struct lists {
  uint32_t *push; /* member indices to send */
  size_t n_push;
  uint8_t *pull; /* node refs to ask for */
  size_t n_pull;
};

static bool in_range(const uint8_t *ref, const struct mb_msg *msg) {
  return memcmp(ref, msg->range_lo, MB_NODE_REF_LEN) >= 0 &&
         memcmp(ref, msg->range_hi, MB_NODE_REF_LEN) < 0;
}

static bool listed(const struct mb_msg *msg, const uint8_t *ref) {
  size_t n = msg->summary_len / MB_SUMMARY_ENTRY_LEN;
  for (size_t j = 0; j < n; j++)
    if (memcmp(msg->summary + j * MB_SUMMARY_ENTRY_LEN, ref, MB_NODE_REF_LEN) ==
        0)
      return true;
  return false;
}

static void compare_entry(struct swim *s, const uint8_t *e, struct lists *l) {
  uint64_t inc = 0;
  for (int b = 0; b < 8; b++)
    inc = inc << 8 | e[MB_NODE_REF_LEN + b];
  uint8_t st = e[MB_NODE_REF_LEN + 8];
  struct member *m = swim_member_by_ref(s, e);
  if (m != NULL && m->revoked)
    return; /* neither wanted nor offered */
  if (m == NULL || m->record.p == NULL ||
      newer_pair(inc, st, m->incarnation, (uint8_t)m->state)) {
    memcpy(l->pull + l->n_pull++ * MB_NODE_REF_LEN, e, MB_NODE_REF_LEN);
  } else if (newer_pair(m->incarnation, (uint8_t)m->state, inc, st)) {
    l->push[l->n_push++] = (uint32_t)swim_member_index(s, m);
  }
}

static void send_pull(struct swim *s, const struct mb_addr *to,
                      struct member *peer, const struct lists *l) {
  size_t per = entries_per_page(s) * MB_SUMMARY_ENTRY_LEN / MB_NODE_REF_LEN;
  for (size_t first = 0; first < l->n_pull; first += per) {
    size_t k = l->n_pull - first < per ? l->n_pull - first : per;
    struct mb_msg msg = {.kind = MB_MSG_PUSH_PULL,
                         .parts = 1,
                         .pull = l->pull + first * MB_NODE_REF_LEN,
                         .pull_len = k * MB_NODE_REF_LEN};
    swim_send_page(s, to, &msg, peer);
  }
}

void swim_on_summary(struct swim *s, const struct mb_addr *from,
                     struct member *peer, const struct mb_msg *msg) {
  size_t entries = msg->summary_len / MB_SUMMARY_ENTRY_LEN;
  struct lists l = {.push = malloc((s->n + 1) * sizeof(uint32_t)),
                    .pull = malloc((entries + 1) * MB_NODE_REF_LEN)};
  if (l.push != NULL && l.pull != NULL && msg->has_range) {
    for (size_t j = 0; j < entries; j++)
      compare_entry(s, msg->summary + j * MB_SUMMARY_ENTRY_LEN, &l);
    for (size_t i = 0; i < s->n; i++)
      if (s->m[i].record.p != NULL && !s->m[i].revoked &&
          in_range(s->m[i].id, msg) && !listed(msg, s->m[i].id))
        l.push[l.n_push++] = (uint32_t)i;
    struct swim_subset set = {
        .idx = l.push, .n = l.n_push, .with_certs = true, .peer = peer};
    struct mb_msg reply = {.kind = MB_MSG_PUSH_PULL_REPLY};
    if (l.n_push > 0)
      swim_send_members(s, from, &reply, &set);
    send_pull(s, from, peer, &l);
  }
  free(l.push);
  free(l.pull);
}

void swim_on_pull(struct swim *s, const struct mb_addr *from,
                  const uint8_t *sender_id, const struct mb_msg *msg) {
  size_t refs = msg->pull_len / MB_NODE_REF_LEN;
  uint32_t *idx = malloc((refs + 1) * sizeof(*idx));
  size_t n = 0;
  bool wants_us = false;
  for (size_t j = 0; idx != NULL && j < refs; j++) {
    struct member *m = swim_member_by_ref(s, msg->pull + j * MB_NODE_REF_LEN);
    if (m != NULL && m->record.p != NULL && !m->revoked)
      idx[n++] = (uint32_t)swim_member_index(s, m);
    wants_us |= m != NULL && m->is_self;
  }
  /* A requester that knows us already holds our certificate; one that
   * asks for our record plainly does not. */
  struct member *peer = swim_member_by_id(s, sender_id);
  struct swim_subset set = {.idx = idx,
                            .n = n,
                            .with_certs = true,
                            .omit_own_cert =
                                !wants_us && !swim_needs_cert(s, peer),
                            .peer = peer};
  struct mb_msg reply = {.kind = MB_MSG_PUSH_PULL_REPLY};
  if (n > 0)
    swim_send_members(s, from, &reply, &set);
  free(idx);
}

/* ---- news in gossip ------------------------------------------------------ */

/*
 * Several relays announce a newcomer within a few gossip rounds; one pull
 * is enough, so a ref pulled lately is not asked for again until the
 * answer had time to come back (or was lost).
 */
#define PULL_RETRY_MS 500

bool swim_pulled_lately(const struct swim *s, const uint8_t *ref) {
  return swim_recent_has(s, s->pulls, SWIM_RECENT_PULLS, PULL_RETRY_MS, ref);
}

static void note_pull(struct swim *s, const uint8_t *ref) {
  swim_recent_note(s, s->pulls, SWIM_RECENT_PULLS, &s->pulls_next, ref);
}

void swim_on_news(struct swim *s, const struct mb_addr *from,
                  struct member *sender, const struct mb_msg *msg) {
  size_t entries = msg->summary_len / MB_SUMMARY_ENTRY_LEN;
  uint8_t pull[MB_WIRE_MSG_MAX / MB_SUMMARY_ENTRY_LEN * MB_NODE_REF_LEN];
  struct lists l = {.pull = pull};
  for (size_t j = 0; j < entries && l.n_pull * MB_NODE_REF_LEN < sizeof(pull);
       j++) {
    const uint8_t *e = msg->summary + j * MB_SUMMARY_ENTRY_LEN;
    uint64_t inc = 0;
    for (int b = 0; b < 8; b++)
      inc = inc << 8 | e[MB_NODE_REF_LEN + b];
    uint8_t st = e[MB_NODE_REF_LEN + 8];
    struct member *m = swim_member_by_ref(s, e);
    bool lacking = m == NULL || m->record.p == NULL ||
                   newer_pair(inc, st, m->incarnation, (uint8_t)m->state);
    if (!lacking && inc == m->incarnation && st == (uint8_t)m->state)
      swim_news_heard(s, m);
    if (!lacking || (m != NULL && (m->is_self || m->revoked)) ||
        swim_pulled_lately(s, e))
      continue;
    memcpy(l.pull + l.n_pull++ * MB_NODE_REF_LEN, e, MB_NODE_REF_LEN);
    note_pull(s, e);
  }
  if (l.n_pull > 0)
    send_pull(s, from, sender, &l);
}
