/* The task lease seeds for make_corpus.c (fuzz_coord_lease): a request, a
 * grant, an empty request and one past the count bound, each checked
 * against the decoder first. */
#ifndef MESHBEAT_FUZZ_CORPUS_COORD_LEASE_H
#define MESHBEAT_FUZZ_CORPUS_COORD_LEASE_H

#include "corpus_store.h"

/* Returns how many seeds failed their check (0 when all is well). */
int corpus_coord_lease_seeds(corpus_put_fn put, void *ctx);

#endif
