/*
 * Shared by the scenario parser's files (scn_*.c): a cursor over the tokens
 * of one line, and readers for the value kinds of the language (durations,
 * percentages, counts, node sets, latency models).  Every reader either
 * consumes what it read and returns 0, or fills the error buffer with
 * "file:line: ..." and returns -1.
 */
#ifndef MESHBEAT_SIM_SCN_INTERNAL_H
#define MESHBEAT_SIM_SCN_INTERNAL_H

#include "scenario.h"

#define SCN_TOKENS_MAX 64

struct scn_cur {
  struct scenario *s;
  const char *tok[SCN_TOKENS_MAX];
  int n, i;
  int line;
  char *err; /* SCN_ERR_MAX bytes */
};

/* Splits line (modified in place) into c->tok; '#' starts a comment and
 * '|' is always a token of its own.  -1 when there are too many tokens. */
int scn_tokenize(struct scn_cur *c, char *line);

__attribute__((format(printf, 2, 3))) int scn_fail(struct scn_cur *c,
                                                   const char *fmt, ...);
const char *scn_peek(const struct scn_cur *c);
const char *scn_next(struct scn_cur *c);
/* Consumes the next token when it is word. */
bool scn_accept(struct scn_cur *c, const char *word);
int scn_want(struct scn_cur *c, const char *word);
/* Fails unless every token was consumed. */
int scn_end(struct scn_cur *c);

int scn_get_uint(struct scn_cur *c, uint64_t *v, const char *what);
int scn_get_duration(struct scn_cur *c, uint64_t *us, const char *what);
/* Like a duration, but with an optional leading sign. */
int scn_get_offset(struct scn_cur *c, int64_t *us, const char *what);
int scn_get_percent(struct scn_cur *c, double *p, const char *what);
int scn_get_number(struct scn_cur *c, double *v, const char *what);
int scn_get_set(struct scn_cur *c, struct scn_set *set);
/* "D [jitter uniform|normal|exp D]" */
int scn_get_latency(struct scn_cur *c, struct sim_latency *lat);
int scn_get_op(struct scn_cur *c, enum scn_op *op);

/* Token-level conversions (no cursor, no message). */
int scn_parse_duration(const char *t, uint64_t *us);

/* swim_config fields settable with `param`.  apply: -1 with a message in
 * err (SCN_ERR_MAX bytes) when the parameters together are refused. */
int scn_param_parse(struct scn_cur *c);
int scn_params_apply(const struct scenario *s, struct swim_config *cfg,
                     char *err);

/* `expect ...` */
int scn_expect_parse(struct scn_cur *c);
/* A new action of the scenario (zeroed but for line, kind, at); NULL with
 * err filled when out of memory. */
struct scn_action *scn_action_new(struct scn_cur *c, enum scn_act kind,
                                  uint64_t at_us);
/* `at T ...` and `start ...` */
int scn_action_parse(struct scn_cur *c, uint64_t at_us);
int scn_start_parse(struct scn_cur *c, uint64_t at_us, bool at_given);

/* The RAID lines (scn_raid*.c, docs/sim.md "RAID").  A byte count is a
 * whole number with an optional unit: B, kB, MB, GB, TB (powers of 1000) or
 * KiB, MiB, GiB, TiB (powers of 1024). */
int scn_parse_bytes(const char *t, uint64_t *bytes);
int scn_get_bytes(struct scn_cur *c, uint64_t *bytes, const char *what);
/* Top level: `raid voters|param|executor ...` and `capacity [SET] BYTES`. */
int scn_raid_parse(struct scn_cur *c);
int scn_capacity_parse(struct scn_cur *c);
/* After `at T raid`. */
int scn_raid_action_parse(struct scn_cur *c, uint64_t at_us);
/* After `expect raid_...`: which is the metric's word. */
int scn_raid_expect_parse(struct scn_cur *c, struct scn_expect *e,
                          const char *which);
/* Node sets against the node count, names against the arrays created. */
int scn_raid_resolve(const struct scenario *s, char err[SCN_ERR_MAX]);
/* scn_faults.c: `faults random ...` and its checks against the whole file. */
int scn_faults_parse(struct scn_cur *c);
int scn_faults_resolve(const struct scenario *s, char err[SCN_ERR_MAX]);

#endif
