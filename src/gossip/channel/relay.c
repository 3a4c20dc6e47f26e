/*
 * Records riding on outgoing datagrams: after the message and the buddy
 * claim, before other records (send.c), since they are few and one that
 * revokes a node matters more than a payload update.  Each is sent as
 * many times as keep.c scheduled; a member-signed one carries its
 * signer's certificate on its first few sends, as a join announcement
 * does (broadcast.c).
 */
#include "channel_internal.h"

#define CERT_SENDS 2

bool swim_records_pending(const struct swim *s) {
  return s->records->pending > 0;
}

static struct bytes signer_cert(struct swim *s, const struct held *h) {
  const struct policy *p =
      channel_policy_of((enum mb_record_kind)h->kind, NULL);
  struct member *m = p != NULL && p->signer != BY_AUTHORITY
                         ? swim_member_by_id(s, h->signer)
                         : NULL;
  return m != NULL ? swim_blob_bytes(m->cert) : (struct bytes){0};
}

struct bytes swim_records_signer_cert(struct swim *s, size_t i) {
  return signer_cert(s, &s->records->v[i]);
}

void swim_records_fill(struct swim *s, struct mb_dgram_builder *b) {
  struct swim_records *r = s->records;
  for (size_t i = 0; i < r->n && r->pending > 0; i++) {
    struct held *h = &r->v[i];
    if (h->relay_left == 0)
      continue;
    struct mb_dgram_mark mark;
    mb_dgram_save(b, &mark);
    struct bytes cert =
        h->sent < CERT_SENDS ? signer_cert(s, h) : (struct bytes){0};
    if (mb_dgram_add_record(b, h->raw.p, h->raw.len) != MB_OK ||
        (cert.p != NULL && mb_dgram_add_cert(b, cert.p, cert.len) != MB_OK)) {
      mb_dgram_restore(b, &mark);
      return; /* full: the rest rides on the next datagram */
    }
    h->sent++;
    if (--h->relay_left == 0)
      r->pending--;
  }
}
