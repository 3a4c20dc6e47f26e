/*
 * The scenario language of meshbeat-sim: what a scenario file says, once
 * parsed.  docs/sim.md is the reference of the text form; this header is its
 * C face.
 *
 * Parsing is strict: anything unknown, out of range or left over on a line
 * is an error that names the file and line.  Node indices are kept symbolic
 * (`last`, `50%`) until the node count is final (a --nodes option overrides
 * the file), then resolved by scn_resolve(), which checks the ranges.
 *
 * Ownership: scn_load fills a caller-owned struct scenario and allocates its
 * action and expectation arrays; scn_free releases them.  Errors: 0 or -1
 * with a message (file:line: ...) in the caller's buffer.
 */
#ifndef MESHBEAT_SIM_SCENARIO_H
#define MESHBEAT_SIM_SCENARIO_H

#include "swim.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCN_ERR_MAX 800
#define SCN_SET_MAX 16    /* ranges in one node set */
#define SCN_GROUPS_MAX 16 /* groups in one partition */
#define SCN_NAME_MAX 63

/* Durations and times are in microseconds of virtual time. */
#define SCN_US_PER_MS 1000u
#define SCN_US_PER_S 1000000u

/* ---- node sets ----------------------------------------------------------- */

enum scn_idx_kind {
  SCN_IDX_ABS,  /* a plain index */
  SCN_IDX_LAST, /* nodes - 1 */
  SCN_IDX_PCT,  /* floor(nodes * v / 100) */
};

struct scn_idx {
  uint8_t kind;
  uint32_t v;
};

struct scn_range {
  struct scn_idx lo, hi; /* inclusive */
};

struct scn_set {
  bool all;
  uint8_t n;
  struct scn_range r[SCN_SET_MAX];
};

/* ---- network ------------------------------------------------------------- */

enum sim_dist {
  SIM_DIST_CONSTANT, /* base */
  SIM_DIST_UNIFORM,  /* base + U[0, spread) */
  SIM_DIST_NORMAL,   /* base + |N(0, spread)|, capped at 4 spread */
  SIM_DIST_EXP,      /* base + Exp(mean = spread), capped at 20 spread */
};

struct sim_latency {
  uint64_t base_us;
  uint64_t spread_us;
  enum sim_dist dist;
};

struct sim_netcfg {
  struct sim_latency lat;
  double loss;         /* every datagram, independently */
  double dup;          /* probability of one extra copy */
  double reorder;      /* probability of an extra delay ... */
  uint64_t reorder_us; /* ... uniform in [0, reorder_us) */
  size_t mtu;          /* larger datagrams are dropped */
  size_t inbox;        /* bytes a frozen or slow node can queue */
};

/* ---- actions ---------------------------------------------------------------
 */

enum scn_act {
  SCN_START,     /* set, stagger, join */
  SCN_CRASH,     /* set */
  SCN_RESTART,   /* set, wipe, incarnation */
  SCN_FREEZE,    /* set, dur */
  SCN_SLOW,      /* set, delay, dur */
  SCN_LEAVE,     /* set */
  SCN_PARTITION, /* groups */
  SCN_HEAL,      /* - */
  SCN_LINK,      /* set -> set2 (both: <->), loss, lat */
  SCN_UNLINK,    /* clears every link rule */
  SCN_NET_LOSS,  /* new global loss */
  SCN_ATTACK,    /* set: adversaries, set2: victims, attack, dur */
  SCN_REVOKE,    /* set: revoked by the authority; set2: handed to */
  /* RAID operators' requests (struct scn_raid_req), made through a
   * coordinator as `meshbeat raid ...` would.  These come last: parse_at
   * refuses `every` for them. */
  SCN_RAID_CREATE,  /* raid: name level data parity size */
  SCN_RAID_REMOVE,  /* raid: name */
  SCN_RAID_DRAIN,   /* set: the devices to drain */
  SCN_RAID_UNDRAIN, /* set */
};

/* `at T raid create NAME level L data K parity M size BYTES`, `raid remove
 * NAME`.  level is enum mb_raid_level (src/raid/mb_raid.h). */
struct scn_raid_req {
  char name[SCN_NAME_MAX + 1];
  uint8_t level, data, parity;
  uint64_t size;
};

/* What an adversary does (`attack node A ...`, adversary.c). */
enum scn_attack {
  SCN_ATK_DEAD_CLAIM,    /* signs and spreads dead claims about set2 */
  SCN_ATK_SUSPECT_CLAIM, /* the same with suspect claims */
  SCN_ATK_FORGE_ACKS,    /* acks every probe of set2, from now (for dur) */
};

enum scn_inc {
  SCN_INC_NEXT,  /* one above the last incarnation it used */
  SCN_INC_OLD,   /* the incarnation it first started with */
  SCN_INC_VALUE, /* a given number */
};

struct scn_action {
  int line;
  enum scn_act kind;
  uint64_t at_us;
  uint64_t every_us; /* `at T every P`: repeats at T + kP ... */
  uint64_t until_us; /* ... while below this (0: the run's end) */
  struct scn_set set, set2;
  uint64_t dur_us; /* freeze, slow: how long; link, partition, forge
                      acks: how long when has_dur */
  bool has_dur;
  uint64_t delay_us; /* slow: per input; start: stagger */
  bool wipe;         /* restart */
  bool seq_fresh;    /* restart wipe: sequence numbers start at 1 again */
  enum scn_inc inc;
  uint64_t inc_value;
  uint32_t join_k; /* start: join through nodes 0..k-1 ... */
  bool join_via;   /* ... or through set2 */
  bool preload;    /* start: every node holds every node's record at once */
  bool both;       /* link: both directions */
  double loss;     /* link, net loss */
  bool has_lat;    /* link: own latency */
  struct sim_latency lat;
  uint8_t n_groups; /* partition */
  struct scn_set *groups;
  enum scn_attack attack;
  bool on_bridge;      /* crash, restart: `bridge` instead of a node set */
  bool on_raid_leader; /* crash, restart: `raid leader` instead */
  bool inc_max;        /* suspect claim at incarnation UINT64_MAX ... */
  bool has_inc;        /* ... or at inc_value */
  struct scn_raid_req raid;
};

/* ---- expectations ----------------------------------------------------------
 */

enum scn_metric {
  SCN_M_FIRST_DETECT,       /* set, seconds */
  SCN_M_ALL_DETECT,         /* set, seconds */
  SCN_M_FALSE_SUSPICIONS,   /* count */
  SCN_M_FALSE_DEATHS,       /* count */
  SCN_M_CONVERGENCE,        /* conv, seconds */
  SCN_M_ALIVE,              /* set: seen alive by every running node */
  SCN_M_DEATHS,             /* set, count */
  SCN_M_SUSPICIONS,         /* set, count */
  SCN_M_INCARNATION,        /* set, own incarnation at the end */
  SCN_M_BYTES,              /* stat, bytes per node per second */
  SCN_M_DATAGRAMS,          /* stat, datagrams per node per second */
  SCN_M_TRACE_STABLE,       /* a second run gives the same trace hash */
  SCN_M_DEATHS_OF_HEALTHY,  /* [about set] [by set], count */
  SCN_M_PARTITION_DETECTED, /* seconds, worst over the partitions */
  /* The bridge (sim/bridge.h); these come last: sim_bridge_wanted. */
  SCN_M_BRIDGE_ONE_ID,        /* [within D]: violations, must be 0 */
  SCN_M_BRIDGE_SINGLE_ACTIVE, /* within D: seconds, worst */
  SCN_M_BRIDGE_EVENTS,        /* count of distinct event ids */
  /* The RAID coordinators (docs/sim.md "RAID"); run needs the driver. */
  SCN_M_RAID_STATE,           /* raid_array, raid_state [at T|within D] */
  SCN_M_RAID_REBUILDS,        /* count of rebuild tasks started */
  SCN_M_RAID_RESYNCS,         /* count of resync tasks started */
  SCN_M_RAID_OUTS,            /* count of devices marked out */
  SCN_M_RAID_DOMAIN_DISTINCT, /* violations, must be 0 */
  SCN_M_RAID_HISTORY_OK,      /* violations, must be 0 */
  SCN_M_RAID_HEALTHY_AFTER,   /* within D: violations, must be 0 */
};

enum scn_op { SCN_LE, SCN_LT, SCN_EQ, SCN_NE, SCN_GE, SCN_GT };
enum scn_stat { SCN_MEAN, SCN_P99, SCN_MAX };

/* Which convergence events an expectation looks at. */
enum scn_conv {
  SCN_CONV_START,
  SCN_CONV_JOIN,
  SCN_CONV_HEAL,
  SCN_CONV_RESTART,
  SCN_CONV_ALL
};

struct scn_expect {
  int line;
  char text[160]; /* the line as written, for the verdict */
  enum scn_metric metric;
  struct scn_set set; /* the subjects (`about`), when has_set */
  struct scn_set by;  /* the observers, when has_by */
  bool has_set, has_by;
  enum scn_conv conv;
  enum scn_stat stat;
  enum scn_op op;
  double value;    /* seconds for durations, plain number otherwise */
  double within_s; /* bridge_one_id_per_transition: how long a witness
                      may take after offline_after; raid_state,
                      raid_healthy_after_faults: the bound */
  char raid_array[SCN_NAME_MAX + 1]; /* raid_state */
  int raid_state;                    /* enum mb_raid_array_state */
  bool raid_at;                      /* raid_state ... at T (else within) */
  uint64_t raid_at_us;
};

/* ---- the whole scenario ----------------------------------------------------
 */

struct scn_param {
  char name[40];
  uint64_t value;
  int line;
};

struct scn_skew {
  int line;
  struct scn_set set;
  int64_t wall_ms;
  uint64_t mono_ms;
};

/* `raid param NAME VALUE`: a field of struct mb_raid_params. */
enum scn_raid_param {
  SCN_RP_DOWN_OUT_INTERVAL, /* value in ms */
  SCN_RP_MAX_BACKFILLS,
  SCN_RP_MAX_BACKFILLS_MESH,
  SCN_RP_MIN_UP_RATIO,  /* value in permille */
  SCN_RP_STALL_TIMEOUT, /* value in ms */
  SCN_RP_SUBTREE_MIN_DEVICES,
  SCN_RP_COUNT
};

/* `capacity [SET] BYTES`: what the named nodes' devices report. */
struct scn_capacity {
  int line;
  bool all;
  struct scn_set set;
  uint64_t bytes;
};

/* Every raid line of the file; `any` is set by each, so a scenario that
 * needs the coordinators cannot run without them. */
struct scn_raid {
  bool any;
  int first_line;
  bool has_voters;
  int voters_line;
  struct scn_set voters;
  bool has_param[SCN_RP_COUNT];
  uint64_t param[SCN_RP_COUNT];
  uint64_t executor_rate; /* bytes per second; 0: the default */
  size_t n_capacities;
  struct scn_capacity capacities[16];
};

/* `faults random from T until T2 every P [max_down N]`: a fault drawn
 * from the seed every P from T, all healed at T2 (sim/faults_random.c). */
struct scn_faults {
  bool on;
  int line;
  uint64_t from_us, until_us, every_us;
  uint32_t max_down; /* nodes crashed at once, at most (default 1) */
};

/* A node set declared once for the whole run. */
struct scn_decl {
  int line;
  struct scn_set set;
};

struct scenario {
  char path[256];
  uint32_t nodes;
  uint64_t seed;
  uint64_t duration_us;
  char cluster[SCN_NAME_MAX + 1];
  uint32_t domains;
  bool has_grace;
  uint64_t grace_us;
  bool has_window;
  uint64_t window_from_us, window_to_us;
  struct sim_netcfg net;
  size_t n_params;
  struct scn_param params[32];
  size_t n_skews;
  struct scn_skew skews[16];
  bool standin; /* `crypto standin` */
  /* `bridge [offline_after D] [eligible SET]`: every node runs the
   * bridge's tracker and election (sim/bridge.h). */
  bool bridge;
  uint64_t bridge_offline_after_us;
  bool has_bridge_eligible;
  struct scn_set bridge_eligible;
  size_t n_adversaries;
  struct scn_decl adversaries[16]; /* `adversary node SET` */
  struct scn_raid raid;
  struct scn_faults faults;
  size_t n_actions, cap_actions;
  struct scn_action *actions;
  size_t n_expects, cap_expects;
  struct scn_expect *expects;
};

/* Defaults, then the file.  -1 with err filled on any error. */
int scn_load(struct scenario *s, const char *path, char err[SCN_ERR_MAX]);
void scn_free(struct scenario *s);

/* Checks every node index against s->nodes and applies the parameters to
 * cfg.  -1 with err filled when something is out of range. */
int scn_resolve(const struct scenario *s, struct swim_config *cfg,
                char err[SCN_ERR_MAX]);

/* The resolved index of i for n nodes. */
uint32_t scn_idx_value(struct scn_idx i, uint32_t n);
/* Sets the bits of the members of set (n nodes) in bits (n bits, zeroed by
 * the caller).  Returns how many members. */
uint32_t scn_set_fill(const struct scn_set *set, uint32_t n, uint64_t *bits);
/* -1 with err filled when an index of set is >= n or a range is empty. */
int scn_set_check(const struct scn_set *set, uint32_t n, int line,
                  const char *path, char err[SCN_ERR_MAX]);

/* A whole decimal number, the whole token.  0 or -1. */
int scn_parse_uint(const char *t, uint64_t *v);

/* Names, for reports. */
const char *scn_act_name(enum scn_act a);
const char *scn_conv_name(enum scn_conv c);
const char *scn_op_name(enum scn_op op);
bool scn_compare(double measured, enum scn_op op, double bound);

#endif
