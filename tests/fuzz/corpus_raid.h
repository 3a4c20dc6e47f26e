/*
 * The RAID seeds for make_corpus.c: log entries (fuzz_raid_cmd) and
 * snapshots (fuzz_raid_state), made with src/raid's own encoders from
 * raid_world's state and checked against the decoders before they are
 * handed to put().
 */
#ifndef MESHBEAT_FUZZ_CORPUS_RAID_H
#define MESHBEAT_FUZZ_CORPUS_RAID_H

#include "corpus_store.h"

/* Returns how many seeds failed their check (0 when all is well). */
int corpus_raid_seeds(corpus_put_fn put, void *ctx);

#endif
