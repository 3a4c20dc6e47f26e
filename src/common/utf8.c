/*
 * UTF-8 validation (RFC 3629).  CBOR text must be UTF-8 (RFC 8949 §3.1), and
 * names end up in JSON (jansson refuses invalid UTF-8) and on terminals, so
 * the decoder checks it once, at the edge.
 */
#include "mb_common.h"

#include <string.h>

/* Length of the sequence a lead byte starts, or 0 for an invalid lead. */
static size_t sequence_length(uint8_t lead) {
  if (lead < 0x80)
    return 1;
  if (lead >= 0xc2 && lead <= 0xdf)
    return 2;
  if (lead >= 0xe0 && lead <= 0xef)
    return 3;
  if (lead >= 0xf0 && lead <= 0xf4)
    return 4;
  return 0; /* continuation byte, overlong 0xc0/0xc1, or beyond U+10FFFF */
}

/* The second byte's range rules out overlongs, surrogates and > U+10FFFF. */
static bool second_byte_ok(uint8_t lead, uint8_t b) {
  switch (lead) {
  case 0xe0:
    return b >= 0xa0 && b <= 0xbf;
  case 0xed:
    return b >= 0x80 && b <= 0x9f;
  case 0xf0:
    return b >= 0x90 && b <= 0xbf;
  case 0xf4:
    return b >= 0x80 && b <= 0x8f;
  default:
    return b >= 0x80 && b <= 0xbf;
  }
}

bool mb_utf8_valid(const uint8_t *p, size_t n) {
  size_t i = 0;
  while (i < n) {
    size_t len = sequence_length(p[i]);
    if (len == 0 || len > n - i)
      return false;
    if (len > 1 && !second_byte_ok(p[i], p[i + 1]))
      return false;
    for (size_t k = 2; k < len; k++)
      if ((p[i + k] & 0xc0) != 0x80)
        return false;
    i += len;
  }
  return true;
}

bool mb_text_ok(const char *s, size_t max) {
  size_t n = strnlen(s, max + 1);
  return n <= max && mb_utf8_valid((const uint8_t *)s, n);
}
