/*
 * Many seeds of one scenario in one process (`run --seeds A..B`).
 */
#ifndef MESHBEAT_SIM_SEEDS_H
#define MESHBEAT_SIM_SEEDS_H

#include "sim.h"

#include <stdio.h>

/* Runs scn under every seed of first..last (scn->seed is overwritten),
 * printing on out one line per failed expectation of a failing seed
 * ("seed N: FAIL  line L: expect ...") or per run error ("seed N: ERROR
 * ..."), then one result line.  Returns the exit status: 0 every seed
 * passed, 1 an expectation failed, 2 a run failed. */
int sim_run_seeds(struct scenario *scn, uint64_t first, uint64_t last,
                  bool standin, FILE *out);

#endif
