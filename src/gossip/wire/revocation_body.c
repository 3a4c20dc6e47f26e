/*
 * The body of a revocation, the channel's first kind (channel.c): what
 * only a revocation's reader needs, beside the subject, version and
 * `until` every channel record has.
 *
 *   revocation body = {?1: reason}
 */
#include "wire_internal.h"

#include <string.h>

enum revocation_key { REV_REASON = 1 };

int mb_wire_revocation_body(const struct mb_revocation *r, uint8_t *out,
                            size_t cap, size_t *len) {
  if (!mb_text_ok(r->reason, MB_REVOCATION_REASON_MAX))
    return MB_EINVAL;
  struct mb_cbor_writer w;
  mb_cw_init(&w, out, cap);
  bool reason = r->reason[0] != '\0';
  mb_cw_map(&w, reason);
  if (reason)
    mb_cw_uint(&w, REV_REASON), mb_cw_textz(&w, r->reason);
  int rc = mb_cw_status(&w);
  if (rc == MB_OK)
    *len = w.len;
  return rc;
}

static int read_revocation_field(struct mb_cbor_reader *r, int64_t key,
                                 void *ctx) {
  struct mb_revocation *rev = ctx;
  if (key == REV_REASON)
    return mb_cr_text_copy(r, rev->reason, MB_REVOCATION_REASON_MAX);
  return mb_cr_skip(r);
}

int mb_wire_revocation_parse(const uint8_t *body, size_t len,
                             struct mb_revocation *out) {
  memset(out, 0, sizeof(*out));
  if (body == NULL)
    return MB_OK;
  uint32_t seen;
  return mb_cr_map_walk_all(body, len, 8, read_revocation_field, out, &seen);
}
