/*
 * meshbeat-sim: the command line of the simulator (wiring only).
 *
 *   meshbeat-sim run SCENARIO [--seed N] [--nodes N] [--report FILE]
 *                             [--timeline FILE] [--html FILE]
 *                             [--standin-crypto] [--quiet]
 *   meshbeat-sim run SCENARIO --seeds A..B [--nodes N] [--standin-crypto]
 *                             every seed of A..B, one line per failing one
 *   meshbeat-sim check SCENARIO...     parse only, report the first error
 *
 * Exit status: 0 when the run finished and every expectation held, 1 when
 * an expectation failed, 2 on a usage, scenario or run error.  A failing
 * run prints its seed, so the failure can be replayed exactly.
 */
#include "bridge.h"
#include "faults_random.h"
#include "html.h"
#include "raid.h"
#include "results.h"
#include "seeds.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXIT_FAILED 1
#define EXIT_ERROR 2

struct cli {
  const char *scenario, *report, *timeline, *html;
  char command[1024]; /* the command line, for the HTML report */
  bool seed_set, nodes_set, standin, quiet, seeds_set;
  uint64_t seed, nodes, seeds_first, seeds_last;
};

static int usage(FILE *f) {
  fprintf(f, "usage: meshbeat-sim run SCENARIO [--seed N] [--nodes N] "
             "[--report FILE]\n"
             "                        [--timeline FILE] [--html FILE] "
             "[--standin-crypto] [--quiet]\n"
             "       meshbeat-sim run SCENARIO --seeds A..B [--nodes N] "
             "[--standin-crypto]\n"
             "       meshbeat-sim check SCENARIO...\n"
             "The scenario language is described in docs/sim.md.\n");
  return f == stdout ? 0 : EXIT_ERROR;
}

static int bad(const char *what, const char *arg) {
  fprintf(stderr, "meshbeat-sim: %s '%s'\n", what, arg);
  return -1;
}

/* "A..B", A <= B, at most a million seeds. */
static bool parse_seeds(const char *t, struct cli *c) {
  const char *dots = strstr(t, "..");
  char first[24];
  size_t len = dots ? (size_t)(dots - t) : 0;
  if (dots == NULL || len == 0 || len >= sizeof(first))
    return false;
  memcpy(first, t, len);
  first[len] = '\0';
  return scn_parse_uint(first, &c->seeds_first) == 0 &&
         scn_parse_uint(dots + 2, &c->seeds_last) == 0 &&
         c->seeds_first <= c->seeds_last &&
         c->seeds_last - c->seeds_first < 1000000;
}

/* The words of the command line, space separated (cut if very long). */
static void command_line(int argc, char **argv, struct cli *c) {
  size_t len = 0;
  for (int i = 0; i < argc && len < sizeof(c->command); i++) {
    int w = snprintf(c->command + len, sizeof(c->command) - len, "%s%s",
                     i ? " " : "", argv[i]);
    len += w > 0 ? (size_t)w : 0;
  }
}

static int parse_cli(int argc, char **argv, struct cli *c) {
  memset(c, 0, sizeof(*c));
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    bool has_value = i + 1 < argc;
    if (strcmp(a, "--standin-crypto") == 0) {
      c->standin = true;
    } else if (strcmp(a, "--quiet") == 0) {
      c->quiet = true;
    } else if (strcmp(a, "--seed") == 0 && has_value) {
      c->seed_set = scn_parse_uint(argv[++i], &c->seed) == 0;
      if (!c->seed_set)
        return bad("bad --seed", argv[i]);
    } else if (strcmp(a, "--seeds") == 0 && has_value) {
      c->seeds_set = parse_seeds(argv[++i], c);
      if (!c->seeds_set)
        return bad("bad --seeds (A..B, A <= B, at most 10^6 seeds)", argv[i]);
    } else if (strcmp(a, "--nodes") == 0 && has_value) {
      c->nodes_set = scn_parse_uint(argv[++i], &c->nodes) == 0 &&
                     c->nodes >= 1 && c->nodes <= (1u << 24) - 2;
      if (!c->nodes_set)
        return bad("bad --nodes (1 .. 16777214)", argv[i]);
    } else if (strcmp(a, "--report") == 0 && has_value) {
      c->report = argv[++i];
    } else if (strcmp(a, "--timeline") == 0 && has_value) {
      c->timeline = argv[++i];
    } else if (strcmp(a, "--html") == 0 && has_value) {
      c->html = argv[++i];
    } else if (a[0] != '-' && c->scenario == NULL) {
      c->scenario = a;
    } else {
      return bad("unexpected", a);
    }
  }
  if (c->scenario == NULL)
    return bad("no scenario given after", argv[1]);
  if (c->seeds_set && (c->seed_set || c->report || c->timeline || c->html))
    return bad("--seeds takes none of", "--seed --report --timeline --html");
  command_line(argc, argv, c);
  return 0;
}

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

/* One whole run; fills *hash.  The simulator is an object, so a second run
 * in the same process starts from nothing the first one left. */
static struct sim *run_once(const struct scenario *scn,
                            const struct sim_opts *o, double *wall) {
  char err[SIM_ERR_MAX];
  struct sim *s = sim_new(scn, o, err);
  if (s == NULL) {
    fprintf(stderr, "meshbeat-sim: %s\n", err);
    return NULL;
  }
  double t0 = wall_now();
  int rc = sim_run(s);
  *wall = wall_now() - t0;
  if (rc != 0) {
    fprintf(stderr, "meshbeat-sim: %s (seed %llu)\n", s->err,
            (unsigned long long)s->seed);
    sim_free(s);
    return NULL;
  }
  return s;
}

static int finish(struct sim *s, const struct cli *c, double wall,
                  struct sim_results *r) {
  FILE *out = c->quiet ? NULL : stdout;
  json_t *verdicts = json_array();
  if (out) {
    sim_summary(s, r, out);
    sim_bridge_summary(s, out);
    sim_rfaults_summary(s, out);
    sim_raid_summary(s, out);
  }
  size_t failed = sim_expect_all(s, r, out ? out : stderr, verdicts);
  int rc = failed ? EXIT_FAILED : 0;
  if (c->report && sim_report_write(s, r, verdicts, c->report) != 0)
    rc = EXIT_ERROR;
  if (c->html &&
      sim_html_write(s, r, verdicts, failed, c->command, c->html) != 0)
    rc = EXIT_ERROR;
  json_decref(verdicts);
  printf("result: %s (%zu of %zu expectations failed; seed %llu, %u nodes, "
         "%.2f wall s)\n",
         failed ? "FAIL" : "PASS", failed, s->scn->n_expects,
         (unsigned long long)s->seed, s->n, wall);
  return rc;
}

static int cmd_run(const struct cli *c) {
  struct scenario scn;
  char err[SCN_ERR_MAX];
  if (scn_load(&scn, c->scenario, err) != 0) {
    fprintf(stderr, "meshbeat-sim: %s\n", err);
    return EXIT_ERROR;
  }
  if (c->seed_set)
    scn.seed = c->seed;
  if (c->nodes_set)
    scn.nodes = (uint32_t)c->nodes;
  /* --standin-crypto forces the stand-in; the file may ask for it too. */
  bool standin = c->standin || scn.standin;
  if (c->seeds_set) {
    int rc =
        sim_run_seeds(&scn, c->seeds_first, c->seeds_last, standin, stdout);
    scn_free(&scn);
    return rc;
  }
  struct sim_opts o = {.standin = standin, .sample = c->html != NULL};
  if (c->timeline && (o.timeline = fopen(c->timeline, "w")) == NULL) {
    perror(c->timeline);
    scn_free(&scn);
    return EXIT_ERROR;
  }
  double wall = 0, wall2 = 0;
  struct sim *s = run_once(&scn, &o, &wall);
  int rc = EXIT_ERROR;
  struct sim_results r;
  if (s != NULL && sim_results(s, wall, &r) == 0) {
    if (wants_second_run(&scn)) {
      struct sim_opts o2 = {.standin = standin};
      struct sim *s2 = run_once(&scn, &o2, &wall2);
      if (s2 != NULL) {
        mb_hex_encode(r.second_hex, s2->trace_hash, sizeof(s2->trace_hash));
        r.have_second = true;
      }
      sim_free(s2);
    }
    rc = finish(s, c, wall, &r);
  }
  sim_free(s);
  if (o.timeline)
    fclose(o.timeline);
  scn_free(&scn);
  return rc;
}

static int cmd_check(int argc, char **argv) {
  int rc = 0;
  for (int i = 2; i < argc; i++) {
    struct scenario scn;
    struct swim_config cfg;
    char err[SCN_ERR_MAX];
    swim_config_default(&cfg);
    if (scn_load(&scn, argv[i], err) != 0 ||
        scn_resolve(&scn, &cfg, err) != 0) {
      fprintf(stderr, "meshbeat-sim: %s\n", err);
      rc = EXIT_ERROR;
    } else {
      printf("%s: ok (%u nodes, %zu actions, %zu expectations)\n", argv[i],
             scn.nodes, scn.n_actions, scn.n_expects);
    }
    scn_free(&scn); /* harmless after a failed load, which freed it */
  }
  return rc;
}

int main(int argc, char **argv) {
  if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
                    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0))
    return usage(stdout);
  if (sodium_init() < 0) {
    fprintf(stderr, "meshbeat-sim: libsodium failed to initialise\n");
    return EXIT_ERROR;
  }
  if (argc >= 3 && strcmp(argv[1], "check") == 0)
    return cmd_check(argc, argv);
  struct cli c;
  if (argc < 2 || strcmp(argv[1], "run") != 0)
    return usage(stderr);
  if (parse_cli(argc, argv, &c) != 0)
    return usage(stderr);
  return cmd_run(&c);
}
