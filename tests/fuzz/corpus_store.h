/*
 * The store's seeds for make_corpus.c: stored values (fuzz_store_value) and
 * whole data.mdb files (fuzz_store_file), made with the real store code and
 * checked against it before they are handed to put().
 */
#ifndef MESHBEAT_FUZZ_CORPUS_STORE_H
#define MESHBEAT_FUZZ_CORPUS_STORE_H

#include <stddef.h>
#include <stdint.h>

/* Writes one seed of the target directory dir; a failure is counted by the
 * callee. */
typedef void (*corpus_put_fn)(void *ctx, const char *dir, const char *name,
                              const uint8_t *p, size_t len);

/* Returns how many seeds failed their check (0 when all is well). */
int corpus_store_seeds(corpus_put_fn put, void *ctx);

#endif
