/*
 * The record channel's anti-entropy, beside the view's (antientropy.c,
 * reconcile.c) and shaped like it, so that a joiner, a member that missed
 * the gossip or the far side of a healed partition gets every record:
 *
 *   A -> B  push-pull {view digest, records digest}   the records digest
 *           (16 bytes) only when A holds records: nothing more at rest
 *   B -> A  when the records digests differ (an absent one is all zero):
 *           reply pages {records summary, range}, 16 bytes a record (its
 *           ref and version), a page with no entries when B holds none
 *   A -> B  reply pages of the records A holds newer or B lacks
 *   A -> B  push-pull {records pull: refs} for what A lacks or holds older
 *   B -> A  reply pages of the pulled records
 *
 * The digest is a sum of BLAKE2b-128 of (ref, version) per record
 * (digest.c keeps it as records change).  A joiner gets every record
 * before the members in its seed's view (swim_send_view).
 */
#include "channel_internal.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(MB_RECORD_REF_LEN == MB_NODE_REF_LEN,
               "a summary's range holds record refs as it holds node refs");

void swim_records_digest_into(const struct swim *s, struct mb_msg *msg) {
  msg->has_rdigest = swim_records_n(s) > 0;
  if (msg->has_rdigest)
    swim_records_digest(s, msg->rdigest);
}

/* Entries per summary page, in the same room as the view's. */
static size_t entries_per_page(const struct swim *s) {
  return swim_page_room(s) / MB_RECORD_ENTRY_LEN;
}

static int cmp_ref(const void *a, const void *b, void *ctx) {
  const struct swim *s = ctx;
  uint64_t v;
  return memcmp(swim_records_ref(s, *(const uint32_t *)a, &v),
                swim_records_ref(s, *(const uint32_t *)b, &v),
                MB_RECORD_REF_LEN);
}

static void entry_of(const struct swim *s, size_t i, uint8_t *e) {
  uint64_t v;
  memcpy(e, swim_records_ref(s, i, &v), MB_RECORD_REF_LEN);
  for (int b = 0; b < 8; b++)
    e[MB_RECORD_REF_LEN + b] = (uint8_t)(v >> (56 - 8 * b));
}

static void send_summary(struct swim *s, const struct mb_addr *to,
                         struct member *peer) {
  size_t n = swim_records_n(s), per = entries_per_page(s);
  uint32_t *idx = malloc((n ? n : 1) * sizeof(*idx));
  uint8_t *buf = malloc(per * MB_RECORD_ENTRY_LEN + 1);
  if (idx == NULL || buf == NULL || per == 0) {
    free(idx), free(buf);
    return;
  }
  for (size_t i = 0; i < n; i++)
    idx[i] = (uint32_t)i;
  qsort_r(idx, n, sizeof(*idx), cmp_ref, (void *)s);
  struct mb_msg msg = {.kind = MB_MSG_PUSH_PULL_REPLY,
                       .has_range = true,
                       .has_rsummary = true,
                       .rsummary = buf};
  msg.parts = n > 0 ? (uint32_t)((n + per - 1) / per) : 1;
  size_t first = 0;
  do { /* at least one page: "I hold none" is an answer too */
    size_t k = n - first < per ? n - first : per;
    for (size_t j = 0; j < k; j++)
      entry_of(s, idx[first + j], buf + j * MB_RECORD_ENTRY_LEN);
    msg.rsummary_len = k * MB_RECORD_ENTRY_LEN;
    uint64_t v;
    if (first == 0)
      memset(msg.range_lo, 0x00, MB_RECORD_REF_LEN);
    else
      memcpy(msg.range_lo, swim_records_ref(s, idx[first], &v),
             MB_RECORD_REF_LEN);
    if (first + k < n)
      memcpy(msg.range_hi, swim_records_ref(s, idx[first + k], &v),
             MB_RECORD_REF_LEN);
    else
      memset(msg.range_hi, 0xff, MB_RECORD_REF_LEN);
    swim_send_page(s, to, &msg, peer);
    msg.part++;
    first += k;
  } while (first < n);
  free(idx);
  free(buf);
}

void swim_records_compare(struct swim *s, const struct mb_addr *to,
                          struct member *peer, const struct mb_msg *msg) {
  uint8_t ours[MB_VIEW_DIGEST_LEN] = {0}, theirs[MB_VIEW_DIGEST_LEN] = {0};
  if (swim_records_n(s) > 0)
    swim_records_digest(s, ours);
  if (msg->has_rdigest)
    memcpy(theirs, msg->rdigest, sizeof(theirs));
  if (memcmp(ours, theirs, sizeof(ours)) != 0)
    send_summary(s, to, peer);
}

/* Records in pages of push-pull replies, each with the certificate its
 * signer needs when it is a member (idx NULL: every record). */
static void send_records(struct swim *s, const struct mb_addr *to,
                         struct member *peer, const uint32_t *idx, size_t n) {
  struct mb_msg msg = {.kind = MB_MSG_PUSH_PULL_REPLY, .parts = 1};
  struct mb_dgram_builder b;
  bool open = false;
  for (size_t k = 0; k < n; k++) {
    size_t i = idx ? idx[k] : k;
    struct bytes raw = swim_records_raw(s, i);
    struct bytes cert = swim_records_signer_cert(s, i);
    for (int attempt = 0; attempt < 2; attempt++) {
      if (!open) {
        swim_dgram_begin(s, &b, &msg, peer);
        open = true;
      }
      struct mb_dgram_mark mark;
      mb_dgram_save(&b, &mark);
      if (mb_dgram_add_record(&b, raw.p, raw.len) == MB_OK &&
          (cert.p == NULL || mb_dgram_add_cert(&b, cert.p, cert.len) == MB_OK))
        break;
      mb_dgram_restore(&b, &mark);
      if (b.n_records == 0)
        break; /* alone too big: skipped */
      swim_send_built(s, to, &b);
      open = false;
    }
  }
  if (open && b.n_records > 0)
    swim_send_built(s, to, &b);
}

void swim_send_records(struct swim *s, const struct mb_addr *to,
                       struct member *peer) {
  send_records(s, to, peer, NULL, swim_records_n(s));
}

static bool in_range(const uint8_t *ref, const struct mb_msg *msg) {
  return memcmp(ref, msg->range_lo, MB_RECORD_REF_LEN) >= 0 &&
         memcmp(ref, msg->range_hi, MB_RECORD_REF_LEN) < 0;
}

static bool listed(const struct mb_msg *msg, const uint8_t *ref) {
  for (size_t j = 0; j < msg->rsummary_len; j += MB_RECORD_ENTRY_LEN)
    if (memcmp(msg->rsummary + j, ref, MB_RECORD_REF_LEN) == 0)
      return true;
  return false;
}

static uint64_t entry_version(const uint8_t *e) {
  uint64_t v = 0;
  for (int b = 0; b < 8; b++)
    v = v << 8 | e[MB_RECORD_REF_LEN + b];
  return v;
}

static void send_pull(struct swim *s, const struct mb_addr *to,
                      struct member *peer, const uint8_t *refs, size_t n) {
  size_t per = entries_per_page(s) * MB_RECORD_ENTRY_LEN / MB_RECORD_REF_LEN;
  for (size_t first = 0; first < n; first += per) {
    size_t k = n - first < per ? n - first : per;
    struct mb_msg msg = {.kind = MB_MSG_PUSH_PULL,
                         .parts = 1,
                         .rpull = refs + first * MB_RECORD_REF_LEN,
                         .rpull_len = k * MB_RECORD_REF_LEN};
    swim_send_page(s, to, &msg, peer);
  }
}

/* What to push (ours newer, or missing from their range) and what to
 * pull (theirs newer, or missing here), from one page of their summary.
 * A summary naming one ref many times gets it pushed at most once per
 * record we hold: push has room for swim_records_n. */
static void compare_page(struct swim *s, const struct mb_msg *msg,
                         uint32_t *push, size_t *n_push, uint8_t *pull,
                         size_t *n_pull) {
  size_t room = swim_records_n(s);
  for (size_t j = 0; j < msg->rsummary_len; j += MB_RECORD_ENTRY_LEN) {
    const uint8_t *e = msg->rsummary + j;
    long i = swim_records_find_ref(s, e);
    uint64_t mine = 0, theirs = entry_version(e);
    if (i >= 0)
      swim_records_ref(s, (size_t)i, &mine);
    if (i < 0 || theirs > mine)
      memcpy(pull + (*n_pull)++ * MB_RECORD_REF_LEN, e, MB_RECORD_REF_LEN);
    else if (mine > theirs && *n_push < room)
      push[(*n_push)++] = (uint32_t)i;
  }
  for (size_t i = 0; i < swim_records_n(s) && *n_push < room; i++) {
    uint64_t v;
    const uint8_t *ref = swim_records_ref(s, i, &v);
    if (in_range(ref, msg) && !listed(msg, ref))
      push[(*n_push)++] = (uint32_t)i;
  }
}

void swim_on_record_summary(struct swim *s, const struct mb_addr *from,
                            struct member *peer, const struct mb_msg *msg) {
  size_t entries = msg->rsummary_len / MB_RECORD_ENTRY_LEN;
  uint32_t *push = malloc((swim_records_n(s) + 1) * sizeof(*push));
  uint8_t *pull = malloc((entries + 1) * MB_RECORD_REF_LEN);
  size_t n_push = 0, n_pull = 0;
  if (push != NULL && pull != NULL && msg->has_range) {
    compare_page(s, msg, push, &n_push, pull, &n_pull);
    send_records(s, from, peer, push, n_push);
    send_pull(s, from, peer, pull, n_pull);
  }
  free(push);
  free(pull);
}

void swim_on_record_pull(struct swim *s, const struct mb_addr *from,
                         struct member *peer, const struct mb_msg *msg) {
  size_t refs = msg->rpull_len / MB_RECORD_REF_LEN;
  uint32_t *idx = malloc((refs + 1) * sizeof(*idx));
  size_t n = 0;
  for (size_t j = 0; idx != NULL && j < refs; j++) {
    long i = swim_records_find_ref(s, msg->rpull + j * MB_RECORD_REF_LEN);
    if (i >= 0)
      idx[n++] = (uint32_t)i;
  }
  if (idx != NULL)
    send_records(s, from, peer, idx, n);
  free(idx);
}
