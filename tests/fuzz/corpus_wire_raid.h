/*
 * The RAID publication seeds for make_corpus.c: bodies of kinds 23-25 for
 * fuzz_wire_raid (typical, largest, with an unknown key, and hand-broken
 * ones), each checked against its decoder first, and whole records
 * signed by `signer` for the record, COSE and coordinator (fuzz_coord_record)
 * targets.
 */
#ifndef MESHBEAT_FUZZ_CORPUS_WIRE_RAID_H
#define MESHBEAT_FUZZ_CORPUS_WIRE_RAID_H

#include "corpus_store.h"
#include "mb_crypto.h"

/* Returns how many seeds failed their check (0 when all is well). */
int corpus_wire_raid_seeds(corpus_put_fn put, void *ctx,
                           const struct mb_identity *signer);

#endif
