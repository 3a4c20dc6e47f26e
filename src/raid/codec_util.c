/* Small CBOR readers the command and state decoders share. */
#include "raid_internal.h"

#include <string.h>

int raid_cr_u8(struct mb_cbor_reader *r, uint8_t *out) {
  uint64_t v;
  int rc = mb_cr_uint(r, &v);
  if (rc == MB_OK && v > UINT8_MAX)
    rc = MB_ERANGE;
  if (rc == MB_OK)
    *out = (uint8_t)v;
  return rc;
}

int raid_cr_id(struct mb_cbor_reader *r, uint8_t *out) {
  const uint8_t *p;
  size_t n;
  int rc = mb_cr_bytes(r, &p, &n);
  if (rc == MB_OK && n != MB_RAID_ID_LEN)
    rc = MB_ERANGE;
  if (rc == MB_OK)
    memcpy(out, p, MB_RAID_ID_LEN);
  return rc;
}

int raid_cr_ids(struct mb_cbor_reader *r, uint8_t (*out)[MB_RAID_ID_LEN],
                uint8_t *n) {
  struct mb_cbor_token t;
  int rc = mb_cr_expect(r, MB_CBOR_ARRAY, &t);
  if (rc == MB_OK && t.u > MB_RAID_SLOTS_MAX)
    rc = MB_ETOOBIG;
  for (uint64_t i = 0; rc == MB_OK && i < t.u; i++)
    rc = raid_cr_id(r, out[i]);
  if (rc == MB_OK)
    *n = (uint8_t)t.u;
  return rc;
}

void raid_cw_ids(struct mb_cbor_writer *w, const uint8_t (*ids)[MB_RAID_ID_LEN],
                 size_t n) {
  mb_cw_array(w, n);
  for (size_t i = 0; i < n; i++)
    mb_cw_bytes(w, ids[i], MB_RAID_ID_LEN);
}
