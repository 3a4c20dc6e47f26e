/* Lowercase hex text for node ids, digests and key files. */
#include "mb_common.h"

void mb_hex_encode(char *out, const uint8_t *bin, size_t len) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < len; i++) {
    out[2 * i] = digits[bin[i] >> 4];
    out[2 * i + 1] = digits[bin[i] & 0x0f];
  }
  out[2 * len] = '\0';
}

static int hex_nibble(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int mb_hex_decode(uint8_t *bin, size_t len, const char *hex) {
  for (size_t i = 0; i < len; i++) {
    int hi = hex_nibble(hex[2 * i]);
    if (hi < 0)
      return MB_EINVAL;
    int lo = hex_nibble(hex[2 * i + 1]);
    if (lo < 0)
      return MB_EINVAL;
    bin[i] = (uint8_t)(hi << 4 | lo);
  }
  return hex[2 * len] == '\0' ? MB_OK : MB_EINVAL;
}
