/*
 * Pieces the three RAID publication bodies share (raid_array_body.c,
 * raid_task_body.c, raid_leader_body.c): bounded numbers, bounded
 * arrays, fixed-size refs and ids, array names.
 */
#include "wire_internal.h"

#include <string.h>

int wire_read_small(struct mb_cbor_reader *r, uint64_t max, uint8_t *v) {
  uint64_t u;
  int rc = mb_cr_uint(r, &u);
  if (rc == MB_OK && u > max)
    rc = MB_ERANGE;
  if (rc == MB_OK)
    *v = (uint8_t)u;
  return rc;
}

int wire_read_count(struct mb_cbor_reader *r, size_t max, size_t *n) {
  struct mb_cbor_token t;
  int rc = mb_cr_expect(r, MB_CBOR_ARRAY, &t);
  if (rc == MB_OK && t.u > max)
    rc = MB_ETOOBIG;
  if (rc == MB_OK)
    *n = (size_t)t.u;
  return rc;
}

int wire_read_fixed(struct mb_cbor_reader *r, uint8_t *dst, size_t len) {
  const uint8_t *p;
  size_t n;
  int rc = mb_cr_bytes(r, &p, &n);
  if (rc == MB_OK && n != len)
    rc = MB_ERANGE;
  if (rc == MB_OK)
    memcpy(dst, p, len);
  return rc;
}

int wire_read_raid_name(struct mb_cbor_reader *r, char *dst) {
  int rc = mb_cr_text_copy(r, dst, MB_WIRE_RAID_NAME_MAX);
  return rc == MB_OK && dst[0] == '\0' ? MB_ERANGE : rc;
}

bool wire_raid_name_ok(const char *name) {
  return name[0] != '\0' && mb_text_ok(name, MB_WIRE_RAID_NAME_MAX);
}

int wire_body_out(const struct mb_cbor_writer *w, uint8_t *out, size_t cap,
                  size_t *len) {
  if (mb_cw_status(w) != MB_OK)
    return MB_EINVAL;
  if (w->len > cap)
    return MB_ENOSPACE;
  memcpy(out, w->buf, w->len);
  *len = w->len;
  return MB_OK;
}

int wire_read_raid_body(const uint8_t *body, size_t len, uint64_t max_pairs,
                        mb_cr_field_fn field, uint32_t required, void *out,
                        size_t out_size) {
  memset(out, 0, out_size);
  if (body == NULL)
    return MB_EMISSING;
  if (len > MB_CHANNEL_BODY_MAX)
    return MB_ETOOBIG;
  uint32_t seen;
  int rc = mb_cr_map_walk_all(body, len, max_pairs, field, out, &seen);
  if (rc == MB_OK && (seen & required) != required)
    rc = MB_EMISSING;
  if (rc != MB_OK)
    memset(out, 0, out_size);
  return rc;
}
