/*
 * libFuzzer target: the task lease payloads (src/coord/lease.h), what a
 * coordinator decodes from any member on app channel 3.  What decodes
 * must encode back to exactly the same bytes (the format has one
 * spelling), and a grant is never longer than a request of as many
 * tasks.
 */
#include "fuzz_common.h"
#include "lease.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct coord_lease_msg m;
  if (coord_lease_decode(data, size, &m) != MB_OK)
    return 0;
  FUZZ_CHECK(m.n <= MB_HB_TASKS_MAX);
  uint8_t out[COORD_LEASE_MAX];
  size_t len = coord_lease_encode(&m, out);
  if (m.type == COORD_LEASE_GRANT) {
    FUZZ_CHECK(len == size && memcmp(out, data, size) == 0);
  } else {
    /* A request's reserved bytes are written as zero. */
    FUZZ_CHECK(len == size);
  }
  struct coord_lease_msg again;
  FUZZ_CHECK(coord_lease_decode(out, len, &again) == MB_OK);
  FUZZ_CHECK(again.n == m.n && again.nonce == m.nonce);
  return 0;
}
