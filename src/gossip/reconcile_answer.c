/*
 * The answering side of reconciliation (reconcile.c): a summary page
 * came, so we push what we hold newer or what its range lacks, and pull
 * what we lack or hold older; a pull came, so we send what it names.  A
 * revoked member is neither wanted nor offered.
 */
#include "swim_internal.h"

#include <stdlib.h>
#include <string.h>

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
  uint64_t inc;
  uint8_t st = swim_summary_read(e, &inc);
  struct member *m = swim_member_by_ref(s, e);
  if (m != NULL && m->revoked)
    return; /* neither wanted nor offered */
  if (m == NULL || m->record.p == NULL ||
      swim_summary_newer(inc, st, m->incarnation, (uint8_t)m->state)) {
    memcpy(l->pull + l->n_pull++ * MB_NODE_REF_LEN, e, MB_NODE_REF_LEN);
  } else if (swim_summary_newer(m->incarnation, (uint8_t)m->state, inc, st)) {
    l->push[l->n_push++] = (uint32_t)swim_member_index(s, m);
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
    swim_send_pulls(s, from, peer, l.pull, l.n_pull);
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
