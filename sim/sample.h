/*
 * The pictures' sampler (--html only; docs/sim.md "The HTML report").
 *
 * The run is cut into time buckets of one width (1, 2 or 5 times a power
 * of ten microseconds, the smallest giving at most SIM_SAMPLE_COLS of
 * them).  For every subject it keeps how many up observers hold it in each
 * view state (unknown, alive, suspect, dead, left), adjusted by the truth's
 * hooks: O(1) per membership event, O(n) when an observer goes up or down,
 * which is what the truth itself already pays.  From the counts a subject
 * has a class, the mesh's view of it (enum sim_vclass); the worst class a
 * subject had during a bucket, and whether it was down or frozen then, is
 * one byte per (bucket, subject), snapshot when the clock passes the
 * bucket's end.  Beside it: the traffic per node per second of each
 * bucket, the network's fault intervals, the false suspicions and deaths,
 * and with RAID the arrays' states.
 *
 * Nothing here exists unless the simulator was asked for it (s->sample is
 * NULL otherwise) and nothing here goes into the trace, so a run with
 * --html does exactly what the same run does without.
 */
#ifndef MESHBEAT_SIM_SAMPLE_H
#define MESHBEAT_SIM_SAMPLE_H

#include "sim.h"

#define SIM_SAMPLE_COLS 300
/* A state is the mesh's view of a subject when at least this share (1/N)
 * of the up observers that know it hold it. */
#define SIM_SAMPLE_SHARE 4

/* Worst last: the class of a bucket is the highest seen in it. */
enum sim_vclass {
  SIM_VC_UNKNOWN, /* no state held by a meaningful share */
  SIM_VC_ALIVE,
  SIM_VC_SUSPECT,
  SIM_VC_LEFT,
  SIM_VC_DEAD,
  SIM_VC_COUNT_
};
#define SIM_CELL_CLASS 0x0f
#define SIM_CELL_DOWN 0x80   /* the subject was down during the bucket */
#define SIM_CELL_FROZEN 0x40 /* ... or frozen */

/* Network faults drawn as bands over the time axis. */
enum sim_band_kind { SIM_BAND_PARTITION, SIM_BAND_LINKS, SIM_BAND_LOSS };
#define SIM_BAND_KINDS 3

struct sim_band {
  uint64_t from, to; /* to: SIM_NEVER while open */
  enum sim_band_kind kind;
  double loss; /* SIM_BAND_LOSS: the global loss in force */
};

/* A false suspicion or death (truth.c's definition), where it happened. */
struct sim_mark {
  uint64_t t;
  uint32_t subject;
  enum swim_state to;
};
/* Marks kept; beyond, they are counted only (the JSON report has them). */
#define SIM_MARKS_MAX 20000

/* Per bucket, over the nodes up at its end. */
struct sim_traffic {
  uint32_t nodes;
  double bytes_mean, bytes_max, dgrams_mean, dgrams_max; /* per second */
};

struct sim_sample {
  uint64_t width; /* of a bucket, microseconds */
  uint32_t cols, taken;
  uint32_t (*count)[1 + SWIM_LEFT + 1]; /* [n][view byte] */
  uint8_t *pending;                     /* [n]: the bucket being filled */
  uint8_t *cells;                       /* [cols * n] */
  uint64_t *prev_bytes, *prev_dgrams;   /* [n] at the last snapshot */
  struct sim_traffic *traffic;          /* [cols] */
  size_t n_bands, cap_bands;
  struct sim_band *bands;
  size_t n_marks, cap_marks;
  struct sim_mark *marks;
  uint64_t marks_dropped;
  /* RAID: the arrays the scenario creates, by name, and their state
   * (enum mb_raid_array_state, -1 none) at the end of every bucket. */
  size_t n_arrays;
  const char **arrays;  /* borrowed from the scenario */
  int8_t *array_states; /* [cols * n_arrays] */
};

/* Builds s->sample for the run (before it starts).  -1 with s->err. */
int sim_sample_new(struct sim *s);
void sim_sample_free(struct sim *s);

/* Hooks (no-ops unless s->sample): observer o (up) changed its view of
 * subj from byte `was` to `now` (truth.c's 1 + state, 0 unknown). */
void sim_sample_view(struct sim *s, uint32_t subj, uint8_t was, uint8_t now);
/* Observer i went up (+1) or down (-1): its whole view row counts or not. */
void sim_sample_observer(struct sim *s, uint32_t i, int sign);
/* Node i's health changed (frozen, down). */
void sim_sample_health(struct sim *s, uint32_t i);
/* A false suspicion or death. */
void sim_sample_false(struct sim *s, uint32_t subj, enum swim_state to);
/* The network changed (history.c's epochs). */
void sim_sample_network(struct sim *s);
/* The clock is about to reach t: snapshots every bucket that ends by t. */
void sim_sample_until(struct sim *s, uint64_t t);
/* The run is over: the remaining buckets and open bands are closed. */
void sim_sample_finish(struct sim *s);

#endif
