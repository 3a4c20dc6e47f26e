/*
 * A hook's progress report: `progress BYTES`, one per line, BYTES the
 * bytes of the slot written so far in decimal.  Anything else a hook
 * prints is its own business (logged, never parsed further).
 */
#include "executor.h"

#include <string.h>

int agent_progress_line(const char *line, size_t len, uint64_t limit,
                        uint64_t *done) {
  static const char word[] = "progress ";
  const size_t wlen = sizeof(word) - 1;
  if (len <= wlen || memcmp(line, word, wlen) != 0)
    return 0;
  uint64_t v = 0;
  size_t digits = 0;
  for (size_t i = wlen; i < len; i++, digits++) {
    char c = line[i];
    if (c == '\r' && i + 1 == len)
      break;
    if (c < '0' || c > '9')
      return 0;
    unsigned d = (unsigned)(c - '0');
    if (v > (UINT64_MAX - d) / 10)
      return 0;
    v = v * 10 + d;
  }
  if (digits == 0 || v > limit)
    return 0;
  *done = v;
  return 1;
}
