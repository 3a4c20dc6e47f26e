/* Internal to src/consensus: a fragment's header, parsed and checked
 * (fragment.c), for reassembly (reassembly.c). */
#ifndef MESHBEAT_CONSENSUS_FRAGMENT_HEADER_H
#define MESHBEAT_CONSENSUS_FRAGMENT_HEADER_H

#include <stddef.h>
#include <stdint.h>

#define MB_CONSENSUS_FRAG_MAGIC 0xa1
#define MB_CONSENSUS_FRAG_ID_MASK 0xffffffu

struct mb_consensus__frag_header {
  uint32_t msg_id; /* 24 bits */
  uint16_t index, count;
  uint32_t total;
  /* derived by _get: the slice size and this fragment's offset */
  uint32_t slice, offset;
};

void mb_consensus__frag_header_put(uint8_t *p,
                                   const struct mb_consensus__frag_header *h);
/* 0 when the header is well-formed and len is exactly this fragment's
 * length; MB_EFRAGMENT otherwise. */
int mb_consensus__frag_header_get(const uint8_t *p, size_t len,
                                  struct mb_consensus__frag_header *h);

#endif
