/*
 * libFuzzer target: a whole data.mdb, checked the way mb_store_open checks
 * it before LMDB maps it: its meta pages (mb_store__meta_read), then every
 * page of its trees (mb_store__pages_verify), read with pread from a memfd
 * holding the input.  Any input must come back as a verdict, never a
 * fault; a file that passes must account for its pages.
 */
#include "fuzz_common.h"
#include "store_internal.h"

#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int fd = memfd_create("data.mdb", MFD_CLOEXEC);
  FUZZ_CHECK(fd >= 0);
  FUZZ_CHECK(write(fd, data, size) == (ssize_t)size);
  struct mb_store__meta m;
  struct mb_store__page_report r;
  char why[200];
  int rc = mb_store__meta_read(fd, size, &m, why, sizeof why);
  if (rc == MB_OK) {
    FUZZ_CHECK(m.psize >= LMDB_MIN_PAGESIZE && m.psize <= LMDB_MAX_PAGESIZE);
    rc = mb_store__pages_verify(fd, &m, &r, why, sizeof why);
    FUZZ_CHECK(rc == MB_OK || rc == MB_ECORRUPT);
    if (rc == MB_OK)
      FUZZ_CHECK(r.pages == m.last_pg + 1 &&
                 r.used_pages + r.free_pages + r.leaked_pages + 2 == r.pages);
  } else {
    FUZZ_CHECK(rc == MB_ECORRUPT);
  }
  FUZZ_CHECK(rc == MB_OK || why[0] != '\0');
  close(fd);
  return 0;
}
