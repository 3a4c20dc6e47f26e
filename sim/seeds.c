/*
 * `meshbeat-sim run SCENARIO --seeds A..B`: one scenario under every seed
 * of a range, in one process, one run after another (each a fresh struct
 * sim, so nothing leaks between seeds).  Quiet by design: one line per
 * failing seed with its failed expectations, then one result line.  A
 * campaign of many seeds is split into several such ranges, one ctest
 * entry each, so ctest -j spreads them over the cores
 * (sim/scenarios.cmake).
 */
#include "seeds.h"

#include "results.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool wants_second_run(const struct scenario *scn) {
  for (size_t k = 0; k < scn->n_expects; k++)
    if (scn->expects[k].metric == SCN_M_TRACE_STABLE)
      return true;
  return false;
}

/* A finished run, or NULL after printing why: a scenario that cannot be
 * set up (the same for every seed) on stderr with *setup set, a run that
 * failed with its seed on out. */
static struct sim *run(const struct scenario *scn, bool standin, FILE *out,
                       bool *setup) {
  char err[SIM_ERR_MAX];
  struct sim_opts o = {.standin = standin};
  struct sim *s = sim_new(scn, &o, err);
  if (s == NULL) {
    fprintf(stderr, "meshbeat-sim: %s\n", err);
    *setup = true;
    return NULL;
  }
  if (sim_run(s) != 0) {
    fprintf(out, "seed %llu: ERROR %s\n", (unsigned long long)scn->seed,
            s->err);
    sim_free(s);
    return NULL;
  }
  return s;
}

/* The FAIL lines of the verdicts, each prefixed with the seed. */
static void print_failures(const char *verdicts, uint64_t seed, FILE *out) {
  for (const char *p = verdicts; p != NULL && *p;) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    if (strncmp(p, "FAIL", 4) == 0)
      fprintf(out, "seed %llu: %.*s\n", (unsigned long long)seed, (int)len, p);
    p = nl ? nl + 1 : NULL;
  }
}

/* 0 passed, 1 an expectation failed, 2 the run failed. */
static int one_seed(const struct scenario *scn, bool standin, FILE *out,
                    bool *setup) {
  struct sim *s = run(scn, standin, out, setup);
  if (s == NULL)
    return 2;
  struct sim_results r;
  int rc = 2;
  if (sim_results(s, 0, &r) == 0) {
    if (wants_second_run(scn)) {
      struct sim *s2 = run(scn, standin, out, setup);
      if (s2 != NULL) {
        mb_hex_encode(r.second_hex, s2->trace_hash, sizeof(s2->trace_hash));
        r.have_second = true;
      }
      sim_free(s2);
    }
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    json_t *verdicts = json_array();
    if (mem != NULL && verdicts != NULL) {
      size_t failed = sim_expect_all(s, &r, mem, verdicts);
      fclose(mem);
      mem = NULL;
      print_failures(text, scn->seed, out);
      rc = failed ? 1 : 0;
    }
    if (mem != NULL)
      fclose(mem);
    json_decref(verdicts);
    free(text);
  }
  sim_free(s);
  return rc;
}

int sim_run_seeds(struct scenario *scn, uint64_t first, uint64_t last,
                  bool standin, FILE *out) {
  size_t failed = 0, errors = 0;
  double t0 = wall_now();
  for (uint64_t seed = first;; seed++) {
    scn->seed = seed;
    bool setup = false;
    int rc = one_seed(scn, standin, out, &setup);
    if (setup)
      return 2; /* every seed would fail the same way */
    failed += rc == 1;
    errors += rc == 2;
    fflush(out);
    if (seed == last)
      break;
  }
  fprintf(out,
          "result: %s (seeds %llu..%llu: %llu runs, %zu failed, %zu errors; "
          "%.2f wall s)\n",
          failed || errors ? "FAIL" : "PASS", (unsigned long long)first,
          (unsigned long long)last, (unsigned long long)(last - first + 1),
          failed, errors, wall_now() - t0);
  return errors ? 2 : failed ? 1 : 0;
}
