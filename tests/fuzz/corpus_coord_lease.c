/* The task lease seeds (corpus_coord_lease.h). */
#include "corpus_coord_lease.h"
#include "lease.h"

#include <stdio.h>

static int seed(corpus_put_fn put, void *ctx, const char *name,
                const struct coord_lease_msg *m, size_t cut, int want) {
  uint8_t buf[COORD_LEASE_MAX] = {0};
  size_t len = coord_lease_encode(m, buf);
  if (cut > 0) {
    buf[9] = MB_HB_TASKS_MAX + 1; /* a count past the bound */
    len = cut;
  }
  struct coord_lease_msg back;
  int rc = coord_lease_decode(buf, len, &back);
  put(ctx, "coord_lease", name, buf, len);
  if (rc != want) {
    fprintf(stderr, "make_corpus: coord_lease/%s: got %s\n", name,
            mb_errname(rc));
    return 1;
  }
  return 0;
}

int corpus_coord_lease_seeds(corpus_put_fn put, void *ctx) {
  struct coord_lease_msg req = {
      .type = COORD_LEASE_REQUEST, .nonce = 123456, .n = 2, .task = {3, 9}};
  struct coord_lease_msg grant = {.type = COORD_LEASE_GRANT,
                                  .nonce = 123456,
                                  .n = 1,
                                  .task = {3},
                                  .left_ms = {150000}};
  struct coord_lease_msg empty = {.type = COORD_LEASE_REQUEST, .nonce = 1};
  int errors = seed(put, ctx, "request", &req, 0, MB_OK);
  errors += seed(put, ctx, "grant", &grant, 0, MB_OK);
  errors += seed(put, ctx, "empty-request", &empty, 0, MB_OK);
  errors +=
      seed(put, ctx, "count-past-bound", &req, COORD_LEASE_MAX, MB_EINVAL);
  return errors;
}
