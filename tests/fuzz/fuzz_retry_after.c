/*
 * libFuzzer target: the Retry-After parser, fed what an endpoint may send
 * back.  The input is the header value as curl hands it over (a length,
 * no NUL).  Besides "no crash": an accepted value never waits longer than
 * the cap; its answer depends only on the bytes (parsed twice, and once
 * more from a copy with a NUL after it, the same); surrounding white space
 * changes nothing; and an accepted date waits exactly as long as it says
 * relative to a later `now` (never longer).
 */
#include "fuzz_common.h"
#include "mb_bridge.h"

#define CAP_MS (UINT64_C(3600) * 1000)
#define MAX_INPUT 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  const int64_t now_ms = FUZZ_NOW_S * 1000;
  uint64_t d1 = 0, d2 = 0;
  int rc1 = mb_retry_after_parse(text, size, now_ms, CAP_MS, &d1);
  int rc2 = mb_retry_after_parse(text, size, now_ms, CAP_MS, &d2);
  FUZZ_CHECK(rc1 == rc2);
  FUZZ_CHECK(rc1 == 0 || rc1 == MB_EINVAL);
  if (rc1 == 0) {
    FUZZ_CHECK(d1 == d2);
    FUZZ_CHECK(d1 <= CAP_MS);
    uint64_t later = 0;
    FUZZ_CHECK(
        mb_retry_after_parse(text, size, now_ms + 1000, CAP_MS, &later) == 0);
    FUZZ_CHECK(later <= d1);
  }
  if (size > MAX_INPUT)
    return 0;
  char padded[MAX_INPUT + 3];
  padded[0] = ' ';
  memcpy(padded + 1, data, size);
  padded[size + 1] = '\t';
  padded[size + 2] = '\0';
  uint64_t d3 = 0;
  int rc3 = mb_retry_after_parse(padded, size + 2, now_ms, CAP_MS, &d3);
  FUZZ_CHECK(rc3 == rc1);
  if (rc1 == 0)
    FUZZ_CHECK(rc3 == 0 && d3 == d1);
  return 0;
}
