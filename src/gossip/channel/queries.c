/*
 * The table as others read it: the driver (swim_record_count/get, to
 * persist, list and report records) and the channel's anti-entropy
 * (sync.c, by index and ref).
 */
#include "channel_internal.h"

#include <string.h>

void channel_info_of(const struct swim *s, const struct held *h,
                     struct swim_record_info *out) {
  memset(out, 0, sizeof(*out));
  out->kind = (enum mb_record_kind)h->kind;
  memcpy(out->subject, h->subject, h->subject_len);
  out->subject_len = h->subject_len;
  out->version = h->version;
  out->issued_ms = h->issued_ms;
  out->until_s = h->until_s;
  memcpy(out->signer, h->signer, MB_NODE_ID_LEN);
  out->about_self = h->kind == MB_REC_REVOCATION &&
                    memcmp(h->subject, s->id.pk, MB_NODE_ID_LEN) == 0;
}

size_t swim_record_count(const struct swim *s) {
  return s->records->n;
}

int swim_record_get(const struct swim *s, size_t i,
                    struct swim_record_info *out, struct mb_bytes *raw) {
  if (i >= s->records->n)
    return MB_ERANGE;
  const struct held *h = &s->records->v[i];
  channel_info_of(s, h, out);
  if (raw != NULL)
    *raw = (struct mb_bytes){h->raw.p, h->raw.len};
  return MB_OK;
}

size_t swim_records_n(const struct swim *s) {
  return s->records->n;
}

const uint8_t *swim_records_ref(const struct swim *s, size_t i,
                                uint64_t *version) {
  *version = s->records->v[i].version;
  return s->records->v[i].ref;
}

struct bytes swim_records_raw(const struct swim *s, size_t i) {
  return s->records->v[i].raw;
}

long swim_records_find_ref(const struct swim *s, const uint8_t *ref) {
  return channel_find_ref(s->records, ref);
}
