/*
 * The bridge's pure logic run inside the simulator (docs/sim.md, "The
 * bridge"): every running node feeds its own core's view to its own
 * transition tracker and to the election, with the very functions the
 * agent uses (mb_bridge_member_from_swim, mb_bridge_transitions_step,
 * mb_bridge_elect, mb_bridge_event_body), whenever that view changes and
 * when an offline falls due.  What every node derived is collected
 * mesh-wide, beside the ground truth of crashes and partitions, for the
 * `expect bridge_*` lines (bridge_expect.c).
 *
 * Ownership: sim_bridge_new allocates everything hung on s->bridge;
 * sim_bridge_free releases it.  Errors go through sim_fail.
 */
#ifndef MESHBEAT_SIM_BRIDGE_H
#define MESHBEAT_SIM_BRIDGE_H

#include "mb_bridge.h"
#include "sim.h"

#include <jansson.h>

/* One event id as the mesh derived it. */
struct sim_bridge_rec {
  char id[MB_BRIDGE_EVENT_ID_LEN + 1];
  enum mb_bridge_event_type type;
  uint32_t member; /* node index */
  uint64_t incarnation;
  uint8_t body_hash[32]; /* of the first body derived under this id */
  uint64_t first;        /* virtual time of the first derivation */
  uint32_t derivations;  /* by all nodes, all lives */
  uint32_t conflicts;    /* derivations whose body differed */
  uint64_t *by;          /* nodes that derived it (bitmap) */
};

/* A true death: node `member` crashed at incarnation `incarnation` at
 * `at`, and was back at `end` (NEVER: still down). */
struct sim_bridge_death {
  uint32_t member;
  uint64_t incarnation;
  uint64_t at, end;
};

/* A partition cut node `member` off while its incarnation was in
 * [lo, hi]: the other side may declare it dead there, rightly. */
struct sim_bridge_cutoff {
  uint32_t member;
  uint64_t lo, hi;
  bool open;
};

enum sim_bridge_cause { SIM_BA_START, SIM_BA_CRASH, SIM_BA_HEAL };

/* From a crash of the active bridge (or a heal, or the start) until every
 * up node names one and the same up node active. */
struct sim_bridge_settle {
  enum sim_bridge_cause cause;
  uint32_t node; /* the crashed active bridge, for a crash */
  uint64_t at, done;
};

struct sim_bridge_node {
  struct mb_bridge_transitions *tr;
  uint32_t active; /* node index its election names, or SIM_NONE */
  uint32_t due_gen;
};

struct sim_bridge {
  uint64_t offline_after_ms;
  uint64_t *eligible; /* bitmap of nodes */
  struct sim_bridge_node *node;
  struct mb_bridge_member *view; /* scratch, [n] */
  size_t n_recs, cap_recs;
  struct sim_bridge_rec *recs;
  size_t n_deaths, cap_deaths;
  struct sim_bridge_death *deaths;
  size_t n_cuts, cap_cuts;
  struct sim_bridge_cutoff *cuts;
  size_t n_settle, cap_settle;
  struct sim_bridge_settle *settle;
  bool agreed; /* all up nodes name the same up node */
  uint32_t agreed_on;
  uint32_t crashed_bridge; /* by `crash bridge`, for `restart bridge` */
  uint64_t handovers;      /* changes of any node's active bridge */
  uint64_t steps, derivations;
};

/* Whether the scenario runs the bridge: a `bridge` line or a bridge_*
 * expectation. */
bool sim_bridge_wanted(const struct scenario *scn);
int sim_bridge_new(struct sim *s);
void sim_bridge_free(struct sim *s);

/* Node i's view may have changed (its core emitted membership events, it
 * started, thawed or came back): re-derive events and the election. */
void sim_bridge_step(struct sim *s, uint32_t i);
/* The SIM_EV_BRIDGE_DUE event: an offline of node i's view falls due. */
void sim_bridge_due(struct sim *s, uint32_t i, uint32_t gen);
/* Ground truth: node i crashed (at its incarnation then) / came back. */
void sim_bridge_crash(struct sim *s, uint32_t i);
void sim_bridge_back(struct sim *s, uint32_t i);
/* Node i left gracefully: it names no bridge any more. */
void sim_bridge_left(struct sim *s, uint32_t i);
/* For `crash bridge` (crash): the node all up nodes name active; for
 * `restart bridge`: the last node crashed that way.  SIM_NONE if none. */
uint32_t sim_bridge_target(struct sim *s, bool crash);
/* The partition opened (open) or healed. */
void sim_bridge_partition(struct sim *s, bool open);

/* Verdicts (bridge_expect.c). */
struct sim_bridge_measure {
  bool have;
  double v;
  char note[96];
};
void sim_bridge_one_id(const struct sim *s, const struct scn_expect *e,
                       struct sim_bridge_measure *m);
void sim_bridge_single_active(const struct sim *s,
                              struct sim_bridge_measure *m);
void sim_bridge_events(const struct sim *s, struct sim_bridge_measure *m);
/* The figures for --report's `bridge` object; NULL when the bridge did not
 * run or out of memory. */
json_t *sim_bridge_json(const struct sim *s);
/* The figures, for the run's summary. */
void sim_bridge_summary(const struct sim *s, FILE *out);

#endif
