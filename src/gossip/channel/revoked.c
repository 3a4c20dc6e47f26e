/*
 * Is a node revoked?  Every intake path asks before any cryptography
 * (receive.c, admission.c, take.c), so the answer is O(1): a member's
 * flag, else one lookup in the channel's table.  What taking a
 * revocation does is in revocation.c.
 */
#include "channel_internal.h"

bool swim_id_revoked(struct swim *s, const uint8_t *id) {
  struct member *m = swim_member_by_id(s, id);
  if (m != NULL)
    return m->revoked;
  struct swim_records *r = s->records;
  size_t p;
  channel_policy_of(MB_REC_REVOCATION, &p);
  return r->count[p] > 0 &&
         channel_find(r, MB_REC_REVOCATION, id, MB_NODE_ID_LEN) != NULL;
}

const uint8_t *swim_revocation_bytes(struct swim *s, const uint8_t *id,
                                     size_t *len) {
  struct held *h =
      channel_find(s->records, MB_REC_REVOCATION, id, MB_NODE_ID_LEN);
  if (h == NULL)
    return NULL;
  *len = h->raw.len;
  return h->raw.p;
}

bool swim_self_revoked(const struct swim *s) {
  return s->self_revoked;
}
