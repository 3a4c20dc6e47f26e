/*
 * `faults random ...` (sim/faults_random.c, docs/sim.md "Random faults"):
 * faults drawn from the run's seed over a stated period, then healed.
 * sim_rfaults_new schedules the draws (nothing without the directive);
 * sim_rfaults_free releases s->rfaults.  Errors go through sim_fail.
 */
#ifndef MESHBEAT_SIM_FAULTS_RANDOM_H
#define MESHBEAT_SIM_FAULTS_RANDOM_H

#include "sim.h"

/* What was drawn, by kind, for the summary. */
enum sim_rf_kind {
  RF_K_CRASH,
  RF_K_LEADER,
  RF_K_PARTITION,
  RF_K_LINK,
  RF_K_LOSS,
  RF_K_FREEZE,
  RF_K_NOTHING,
  RF_K_RESTART,
  RF_K_HEAL,
  RF_K_COUNT
};

struct sim_rfaults {
  struct mb_rng rng;
  uint32_t loss_gen; /* stamps the live loss burst's end */
  uint64_t drawn[RF_K_COUNT];
};

int sim_rfaults_new(struct sim *s);
void sim_rfaults_free(struct sim *s);
/* SIM_EV_FAULT. */
void sim_rfaults_event(struct sim *s, const struct sim_event *e);
/* One line: what was drawn (nothing without the directive). */
void sim_rfaults_summary(const struct sim *s, FILE *out);

#endif
