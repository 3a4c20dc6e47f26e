/*
 * Splitting an encoded message into datagram-sized fragments.  Header,
 * big-endian: one magic byte (0xa1: Raft, format 1), a u24 message id, a
 * u16 index, a u16 count and a u32 total length (12 bytes).  Every slice but
 * the last is ceil(total / count) bytes, so a receiver knows each
 * fragment's exact length and place from its header alone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "consensus_codec.h"
#include "fragment_header.h"
#include "mb_consensus.h"

void mb_consensus__frag_header_put(uint8_t *p,
                                   const struct mb_consensus__frag_header *h) {
  p[0] = MB_CONSENSUS_FRAG_MAGIC;
  p[1] = (uint8_t)(h->msg_id >> 16);
  p[2] = (uint8_t)(h->msg_id >> 8);
  p[3] = (uint8_t)h->msg_id;
  p[4] = (uint8_t)(h->index >> 8);
  p[5] = (uint8_t)h->index;
  p[6] = (uint8_t)(h->count >> 8);
  p[7] = (uint8_t)h->count;
  p[8] = (uint8_t)(h->total >> 24);
  p[9] = (uint8_t)(h->total >> 16);
  p[10] = (uint8_t)(h->total >> 8);
  p[11] = (uint8_t)h->total;
}

int mb_consensus__frag_header_get(const uint8_t *p, size_t len,
                                  struct mb_consensus__frag_header *h) {
  if (len <= MB_CONSENSUS_FRAG_HEADER || p[0] != MB_CONSENSUS_FRAG_MAGIC)
    return MB_EFRAGMENT;
  h->msg_id = (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
  h->index = (uint16_t)(p[4] << 8 | p[5]);
  h->count = (uint16_t)(p[6] << 8 | p[7]);
  h->total = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 |
             (uint32_t)p[10] << 8 | p[11];
  if (h->count == 0 || h->index >= h->count || h->total == 0 ||
      h->total > MB_CONSENSUS_MESSAGE_MAX || h->count > h->total)
    return MB_EFRAGMENT;
  h->slice = (h->total + h->count - 1) / h->count;
  /* Every slice must be non-empty: the count is the smallest for the
   * slice size, as the sender computes it. */
  if ((uint64_t)h->slice * (h->count - 1u) >= h->total)
    return MB_EFRAGMENT;
  h->offset = (uint32_t)h->index * h->slice;
  uint32_t want = h->index + 1u == h->count ? h->total - h->offset : h->slice;
  if (len - MB_CONSENSUS_FRAG_HEADER != want)
    return MB_EFRAGMENT;
  return 0;
}

int mb_consensus__fragment(const uint8_t *msg, size_t len, uint32_t msg_id,
                           size_t max_fragment, mb_consensus_frag_fn emit,
                           void *ctx) {
  if (max_fragment <= MB_CONSENSUS_FRAG_HEADER || len == 0 ||
      len > MB_CONSENSUS_MESSAGE_MAX)
    return MB_EINVAL;
  size_t room = max_fragment - MB_CONSENSUS_FRAG_HEADER;
  size_t count = (len + room - 1) / room;
  if (count > UINT16_MAX)
    return MB_EINVAL;
  size_t slice = (len + count - 1) / count;
  uint8_t *buf = malloc(MB_CONSENSUS_FRAG_HEADER + slice);
  if (buf == NULL)
    return -ENOMEM;
  int rc = 0;
  for (size_t i = 0; i < count && rc == 0; i++) {
    struct mb_consensus__frag_header h = {
        .msg_id = msg_id & MB_CONSENSUS_FRAG_ID_MASK,
        .index = (uint16_t)i,
        .count = (uint16_t)count,
        .total = (uint32_t)len,
    };
    size_t off = i * slice;
    size_t n = i + 1 == count ? len - off : slice;
    mb_consensus__frag_header_put(buf, &h);
    memcpy(buf + MB_CONSENSUS_FRAG_HEADER, msg + off, n);
    rc = emit(ctx, buf, MB_CONSENSUS_FRAG_HEADER + n);
  }
  free(buf);
  return rc;
}
