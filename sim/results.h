/*
 * What a run measured, and the three ways it is told: the summary on
 * stdout, the verdict of every `expect` line, and the JSON report.
 */
#ifndef MESHBEAT_SIM_RESULTS_H
#define MESHBEAT_SIM_RESULTS_H

#include "sim.h"

#include <jansson.h>

/* Per-node rates over the measurement window. */
struct sim_rate {
  double mean, p99, max;
};

struct sim_results {
  double sim_seconds, wall_seconds;
  struct sim_rate bytes, dgrams;
  uint32_t rate_nodes; /* nodes up for the whole window */
  char trace_hex[65];
  bool have_second; /* `expect trace_hash stable` ran the scenario again */
  char second_hex[65];
  struct swim_stats core; /* summed over the cores alive at the end */
  struct mb_vcache_stats vc;
};

/* Fills r from a finished run.  -1 when out of memory. */
int sim_results(const struct sim *s, double wall_seconds,
                struct sim_results *r);
/* A duration in virtual seconds, or JSON null for SIM_NEVER. */
json_t *sim_json_seconds(uint64_t us);
/* Evaluates every expectation: one "PASS"/"FAIL" line each on out, and an
 * entry each in verdicts (a JSON array).  Returns how many failed. */
size_t sim_expect_all(const struct sim *s, const struct sim_results *r,
                      FILE *out, json_t *verdicts);
void sim_summary(const struct sim *s, const struct sim_results *r, FILE *out);
/* The JSON report; verdicts is borrowed.  -1 with a message on stderr. */
int sim_report_write(const struct sim *s, const struct sim_results *r,
                     json_t *verdicts, const char *path);

#endif
