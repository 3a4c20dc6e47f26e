/*
 * The storage contract of mb_consensus_storage_ops as cmocka assertions,
 * for every storage: the memory one (test_consensus) and the LMDB one.
 * What each call leaves is checked through load and snapshot_get.
 */
#ifndef MESHBEAT_TEST_CONSENSUS_CONTRACT_H
#define MESHBEAT_TEST_CONSENSUS_CONTRACT_H

#include "mb_consensus.h"

/* Runs every case on st, which must start empty; leaves it non-empty. */
void consensus_storage_contract(const struct mb_consensus_storage *st);

#endif
