/*
 * The consensus layer's seeds for make_corpus.c (fuzz_consensus_message):
 * every Raft message type encoded by the real codec, and a message split
 * into fragments from two senders, each checked before it is written.
 */
#ifndef MESHBEAT_FUZZ_CORPUS_CONSENSUS_H
#define MESHBEAT_FUZZ_CORPUS_CONSENSUS_H

#include "corpus_store.h"

/* Returns how many seeds failed their check (0 when all is well). */
int corpus_consensus_seeds(corpus_put_fn put, void *ctx);

#endif
