/*
 * The channel digest: a sum of BLAKE2b-128 of (ref, version) per record,
 * moved as records come and go rather than recomputed, so that a
 * comparison of views (sync.c) costs 16 bytes and no walk of the table.
 */
#include "channel_internal.h"

#include <sodium.h>
#include <string.h>

static void share_of(const struct held *h, uint64_t out[2]) {
  uint8_t item[MB_RECORD_ENTRY_LEN], d[16];
  memcpy(item, h->ref, MB_RECORD_REF_LEN);
  for (int b = 0; b < 8; b++)
    item[MB_RECORD_REF_LEN + b] = (uint8_t)(h->version >> (56 - 8 * b));
  crypto_generichash(d, sizeof(d), item, sizeof(item), NULL, 0);
  memcpy(&out[0], d, 8);
  memcpy(&out[1], d + 8, 8);
}

void channel_digest_move(struct swim_records *r, const struct held *h,
                         bool in) {
  uint64_t x[2];
  share_of(h, x);
  r->sum[0] += in ? x[0] : -x[0];
  r->sum[1] += in ? x[1] : -x[1];
}

void swim_records_digest(const struct swim *s,
                         uint8_t out[MB_VIEW_DIGEST_LEN]) {
  for (int b = 0; b < 8; b++) {
    out[b] = (uint8_t)(s->records->sum[0] >> (8 * b));
    out[8 + b] = (uint8_t)(s->records->sum[1] >> (8 * b));
  }
}
