/*
 * meshbeat-sim internals: a discrete-event simulator that runs N instances
 * of the real SWIM core (src/gossip/swim.h) in one process, over a modelled
 * network, on a virtual clock.  docs/sim.md describes the model and the
 * scenario language; this header is shared by the files of sim/.
 *
 * Time.  The virtual clock counts microseconds from 0 (uint64).  The core
 * speaks milliseconds; node i is given now = SIM_MONO_BASE_MS + t/1000 +
 * its monotonic skew.  Microseconds keep sub-millisecond latencies and
 * jitter meaningful in the order of deliveries.
 *
 * Order.  Everything that happens is an event in one heap ordered by
 * (time, sequence number); the sequence number counts insertions, so of two
 * events due at the same microsecond the one scheduled first runs first.
 * Scenario actions are all scheduled before the run, in file order, so at
 * equal times they precede anything the run schedules and apply as written.
 *
 * Randomness.  One mb_rng seeded from the run seed draws every network and
 * fault decision; each core gets its own seed derived from the run seed, its
 * index and its restart count.  Nothing reads a clock or a global: the whole
 * state is the struct sim, so two simulations may run side by side.
 */
#ifndef MESHBEAT_SIM_H
#define MESHBEAT_SIM_H

#include "scenario.h"
#include "swim.h"

#include <sodium.h>
#include <stdio.h>

#define SIM_NEVER UINT64_MAX
#define SIM_NONE UINT32_MAX
#define SIM_MONO_BASE_MS 1000000ull      /* core clocks start at 1000 s */
#define SIM_WALL_BASE_MS 1767225600000ll /* 2026-01-01T00:00:00Z */
#define SIM_PORT 7946
#define SIM_ERR_MAX 800

/* ---- event heap (heap.c) --------------------------------------------------
 */

enum sim_ev {
  SIM_EV_ACTION,     /* ref: scenario action index */
  SIM_EV_START,      /* node starts; ref: its start action */
  SIM_EV_DELIVER,    /* a datagram reaches node; ref: pool id, aux: sender */
  SIM_EV_PROCESS,    /* a slow node gets to a queued input; ref: pool id,
                        aux: sender | life << 24 */
  SIM_EV_TICK,       /* node's timer; ref: arm generation, aux: 1 if delayed */
  SIM_EV_THAW,       /* a frozen node resumes; ref: freeze_gen */
  SIM_EV_SLOW_END,   /* a slow node is fast again; ref: slow_gen */
  SIM_EV_WINDOW,     /* the measurement window opens (aux 0) or closes */
  SIM_EV_RULE_END,   /* a link rule's `for D` is over; ref: rule id */
  SIM_EV_HEAL,       /* a partition's `for D` is over; ref: partition_gen */
  SIM_EV_BRIDGE_DUE, /* an offline falls due in node's view; ref: due_gen */
  /* The RAID coordinators (raid.h). */
  SIM_EV_RAID_TICK,   /* node's coordinator deadline; ref: tick_gen */
  SIM_EV_RAID_VIEW,   /* node's view goes to its coordinator; ref: view_gen */
  SIM_EV_RAID_EXEC,   /* node's executor copies a second; ref: exec_gen */
  SIM_EV_RAID_SAMPLE, /* `raid_state ... at T`; ref: expectation index */
  SIM_EV_RAID_RETRY,  /* an operator asks again; ref: request index */
  SIM_EV_FAULT,       /* `faults random`: aux what, ref and node its own */
};

struct sim_event {
  uint64_t t, seq;
  uint32_t kind, node, ref, aux;
};

struct sim_heap {
  struct sim_event *v;
  size_t n, cap, peak;
  uint64_t next_seq;
};

/* Stamps e->seq.  -ENOMEM when the heap cannot grow. */
int sim_heap_push(struct sim_heap *h, struct sim_event *e);
/* 1 with *out the earliest event, 0 when empty. */
int sim_heap_pop(struct sim_heap *h, struct sim_event *out);
const struct sim_event *sim_heap_top(const struct sim_heap *h);
void sim_heap_free(struct sim_heap *h);

/* ---- datagram pool (pool.c) ------------------------------------------------
 */

/* Bytes of datagrams in flight, copied once from the sender's output and
 * shared (reference counted) by every copy the network makes. */
#define SIM_POOL_CLASSES 12 /* 128 B .. 256 KiB */

struct sim_dgram {
  uint8_t *p;
  uint32_t len, refs;
  uint32_t cls, next_free;
};

struct sim_pool {
  struct sim_dgram *d;
  uint32_t n, cap;
  uint32_t free_head[SIM_POOL_CLASSES];
  size_t live, peak;
};

/* The id of a new buffer holding a copy of buf (one reference), or
 * SIM_NONE on allocation failure. */
uint32_t sim_pool_put(struct sim_pool *p, const uint8_t *buf, size_t len);
void sim_pool_ref(struct sim_pool *p, uint32_t id);
void sim_pool_unref(struct sim_pool *p, uint32_t id);
void sim_pool_free(struct sim_pool *p);

/* ---- nodes ------------------------------------------------------------------
 */

enum sim_status {
  SIM_OFF,  /* not started yet */
  SIM_UP,   /* running (possibly frozen or slow) */
  SIM_DOWN, /* crashed */
  SIM_LEFT, /* left gracefully; the core still runs but is quiet */
};

struct sim_inbox_item {
  uint32_t dgram, from;
};

/* Inputs a frozen node has not handled yet, in arrival order. */
struct sim_inbox {
  struct sim_inbox_item *v;
  uint32_t head, n, cap;
};

struct sim_node {
  struct swim *core;
  uint8_t status;
  bool frozen, slow;
  uint16_t group;      /* partition group */
  uint32_t arm_gen;    /* stamps the one live timer event */
  uint32_t freeze_gen; /* stamps the live thaw event */
  uint32_t slow_gen;   /* stamps the live slow-end event */
  uint32_t restarts;
  uint8_t life;           /* counts crashes: stamps a slow node's queue */
  uint32_t start_action;  /* which start launched it (for its seeds) */
  uint64_t armed_at;      /* virtual time of the live timer, or NEVER */
  bool armed_delayed;     /* the live timer is a slow node's late tick */
  uint64_t healthy_since; /* up, not frozen, not slow since; or NEVER */
  uint64_t up_since;      /* last change of status */
  uint64_t slow_delay, busy_until;
  size_t queued_bytes;   /* inputs waiting (frozen inbox, slow queue) */
  uint64_t incarnation0; /* what it first started with */
  uint64_t incarnation;  /* its core's: at start, and again at crash */
  uint64_t first_seq;    /* first datagram sequence of the current core */
  uint64_t life_sent0;   /* sent_dgrams when the current core began */
  int64_t wall_off_ms;
  uint64_t mono_off_ms;
  uint64_t sent_bytes, sent_dgrams;
  uint64_t win_bytes, win_dgrams; /* at the window's opening, then sent
                                     during it */
  bool win_ok;                    /* up for the whole window */
  struct sim_inbox inbox;
};

/* ---- network (net.c)
 * --------------------------------------------------------- */

struct sim_link_rule {
  uint64_t *from, *to; /* node bitmaps */
  uint32_t id;         /* names the rule for its `for D` end */
  bool both;
  double loss;
  bool has_lat;
  struct sim_latency lat;
};

/* Sent datagrams by message kind (index: enum mb_msg_kind, 0 unparsable). */
#define SIM_KINDS 10

struct sim_kind_stats {
  uint64_t dgrams[SIM_KINDS], bytes[SIM_KINDS];
};

struct sim_net_stats {
  uint64_t sent, delivered, lost, partitioned, oversize, to_down, inbox_full,
      unknown_addr, duplicated, reordered;
};

/* Datagrams and bytes sent by all nodes together, per simulated second:
 * where a join storm's traffic ends shows in no single window. */
struct sim_second {
  uint64_t dgrams, bytes;
};

/* The last delivery time of a burst: what one node sent one destination
 * at one instant (see net.c). */
#define SIM_BURST_SLOTS 16
struct sim_burst {
  uint32_t from, to;
  uint64_t at, deliver;
};

struct sim_net {
  struct sim_netcfg cfg;
  struct sim_burst burst[SIM_BURST_SLOTS];
  bool partitioned;
  uint32_t partition_gen; /* stamps the live `partition ... for D` heal */
  uint32_t next_rule_id;
  size_t n_rules, cap_rules;
  struct sim_link_rule *rules;
  struct sim_net_stats st;
  struct sim_kind_stats kinds;
  struct sim_second *seconds; /* [n_seconds] */
  size_t n_seconds;
};

/* ---- ground truth (truth.c)
 * ---------------------------------------------------- */

/* A crash or leave, and when observers noticed it. */
struct sim_failure {
  uint32_t node;
  bool leave;
  bool revoked; /* by the authority (a leave to the truth: not a member) */
  bool open;    /* still collecting detections */
  uint64_t at, first, all, last;
  uint32_t want, got; /* observers expected / that detected */
  uint64_t *watch;    /* observers expected to detect (bitmap) */
};

struct sim_conv {
  enum scn_conv kind;
  uint64_t at;      /* the action's time: what the figure counts from */
  uint32_t action;  /* start lines: the action whose nodes it waits for */
  uint32_t pending; /* nodes of that line not started yet */
  uint64_t done;    /* first time it held once none pending, or NEVER */
};

struct sim_false_event {
  uint64_t t;
  uint32_t observer, subject;
  enum swim_state to;
};

#define SIM_FALSE_EXAMPLES 16

/* The network as it was from `at` on: partition groups (NULL when not
 * partitioned), link rules (copies) and global loss.  One per network
 * change, so that whether a pair was clean over the grace period before
 * an event can be asked after the fact (history.c). */
struct sim_epoch {
  uint64_t at;
  double loss;
  uint16_t *group; /* [n], or NULL */
  size_t n_rules;
  struct sim_link_rule *rules;
};

/* What an event is, for counting (bits). */
enum sim_what {
  SIM_W_SUSPICION = 1,       /* SUSPECT */
  SIM_W_DEATH = 2,           /* DEAD or LEFT */
  SIM_W_FALSE_SUSPICION = 4, /* SUSPECT, false by the definition */
  SIM_W_FALSE_DEATH = 8,     /* DEAD, false by the definition */
  SIM_W_HEALTHY_DEATH = 16,  /* DEAD about a subject up and healthy */
};

/* One counting expectation's figure, kept during the run: events of a
 * kind about subjects of `about` seen by observers of `by` (NULL: all). */
struct sim_tally {
  unsigned what; /* one enum sim_what bit, 0 for other expectations */
  uint64_t *about, *by;
  uint64_t count;
};

/* Time from a partition until every up node holds every up node of every
 * other group dead.  Kept incrementally while open: cross pairs (both up,
 * different groups) and how many of them are seen DEAD. */
struct sim_pdetect {
  uint64_t at, done; /* done: NEVER until it held */
  bool open;         /* until detected, healed or replaced */
};

struct sim_truth {
  uint8_t *view; /* n*n: 0 unknown, 1 + enum swim_state */
  uint64_t good; /* (O, S) both up, O != S, O sees S alive */
  uint32_t up;   /* nodes with status UP */
  size_t n_fail, cap_fail;
  struct sim_failure *fail;
  size_t n_conv, cap_conv;
  struct sim_conv *conv;
  size_t n_epochs, cap_epochs;
  struct sim_epoch *epochs; /* oldest first; epochs[0] in force at now-G */
  uint64_t false_suspicions, false_deaths;
  uint64_t false_by_recovering; /* of those: observer itself recovering */
  uint64_t deaths_of_healthy;
  size_t n_examples;
  struct sim_false_event examples[SIM_FALSE_EXAMPLES];
  uint32_t *false_deaths_of; /* [n] per subject */
  struct sim_tally *tally;   /* [scn->n_expects] */
  size_t n_pdet, cap_pdet;
  struct sim_pdetect *pdet;
  uint64_t cross_pairs; /* while a pdetect is open: up pairs in different
                           groups (ordered), and ... */
  uint64_t cross_dead;  /* ... how many of them are seen DEAD */
  uint64_t events;
};

/* ---- adversary (adversary.c)
 * -------------------------------------------------- */

/* A declared adversary that has attacked: its keys and certificate, to
 * sign as itself (adversary.c). */
struct sim_attacker {
  uint32_t node;
  struct mb_identity id;
  uint8_t cert[MB_CERT_MAX_LEN];
  size_t cert_len;
};

/* forge_acks: an attacker acks every probe of these victims until `until`. */
struct sim_forge {
  uint32_t attacker; /* index into attackers */
  uint32_t *victims, n_victims;
  uint64_t until; /* NEVER: for the rest of the run */
};

struct sim_adversary {
  size_t n_att, cap_att;
  struct sim_attacker *att;
  size_t n_forge, cap_forge;
  struct sim_forge *forge;
  struct sim_kind_stats sent; /* injected datagrams by message kind */
  uint64_t claims;            /* claim records signed */
};

/* ---- the simulator ----------------------------------------------------------
 */

struct sim_opts {
  bool standin;   /* --standin-crypto */
  FILE *timeline; /* JSON lines, may be NULL */
  bool sample;    /* keep what --html draws (sample.h) */
};

struct sim {
  const struct scenario *scn;
  struct swim_config cfg;
  uint32_t n;
  uint64_t seed;
  uint64_t now, end;
  uint64_t grace;
  uint64_t win_from, win_to;
  /* Host monotonic seconds at the window's opening and closing: how fast
   * the simulator runs in steady state, apart from the joins.  Never part
   * of the trace. */
  double win_host_s[2];
  bool standin;
  bool started; /* a start action has run: later ones are joins */
  struct sim_heap heap;
  struct sim_pool pool;
  struct mb_rng rng;
  struct sim_node *nodes;
  uint8_t *ids;       /* n * MB_NODE_ID_LEN */
  uint32_t *id_index; /* open addressing: node index + 1, 0 empty */
  size_t id_index_cap;
  struct mb_identity authority;
  struct mb_vcache *vc;
  struct mb_blobs *blobs; /* records and certificates, shared by the cores */
  struct sim_net net;
  struct sim_truth truth;
  struct sim_adversary adv;
  struct sim_bridge *bridge;   /* NULL unless the scenario runs the bridge */
  struct sim_raid *raid;       /* NULL unless the scenario has raid lines */
  struct sim_rfaults *rfaults; /* NULL without `faults random` */
  struct sim_sample *sample;   /* NULL unless sim_opts.sample */
  crypto_generichash_state trace;
  uint8_t trace_hash[32];
  FILE *timeline;
  uint64_t events_run;
  uint64_t swim_inputs;
  char err[SIM_ERR_MAX];
};

/* Resolves scn (its node count and seed are final by now), derives the
 * world and schedules the actions.  NULL with err filled on failure.  scn
 * must outlive the simulator. */
struct sim *sim_new(const struct scenario *scn, const struct sim_opts *o,
                    char err[SIM_ERR_MAX]);
/* Runs to the end.  0, or -1 with s->err filled (a scenario action that
 * cannot apply, out of memory). */
int sim_run(struct sim *s);
void sim_free(struct sim *s);

/* Fails the run: fills s->err (first error wins). */
__attribute__((format(printf, 2, 3))) int sim_fail(struct sim *s,
                                                   const char *fmt, ...);
int sim_schedule(struct sim *s, uint64_t t, enum sim_ev kind, uint32_t node,
                 uint32_t ref, uint32_t aux);
/* Folds bytes into the trace hash. */
void sim_trace(struct sim *s, const void *p, size_t len);
void sim_trace_u64(struct sim *s, uint64_t v);

/* ---- keys and addresses (keys.c) -------------------------------------------
 */

void sim_derive(uint64_t seed, const char *label, uint64_t a, uint64_t b,
                uint8_t *out, size_t len);
uint64_t sim_derive_u64(uint64_t seed, const char *label, uint64_t a,
                        uint64_t b);
void sim_node_identity(const struct sim *s, uint32_t i, struct mb_identity *id);
int sim_node_cert(const struct sim *s, uint32_t i, const uint8_t pk[32],
                  uint8_t *out, size_t cap, size_t *len);
void sim_node_addr(uint32_t i, struct mb_addr *a);
/* The node at an address, or SIM_NONE. */
uint32_t sim_addr_node(const struct sim *s, const struct mb_addr *a);
int sim_ids_init(struct sim *s);
/* The node with this id, or SIM_NONE. */
uint32_t sim_id_node(const struct sim *s, const uint8_t id[MB_NODE_ID_LEN]);

/* ---- driving the cores (node.c) ---------------------------------------------
 */

uint64_t sim_core_now(const struct sim *s, const struct sim_node *n);
/* Node n's wall clock in ms, as its core has it. */
int64_t sim_node_wall(const struct sim *s, const struct sim_node *n);
int sim_node_new_core(struct sim *s, uint32_t i, uint64_t incarnation,
                      uint64_t first_seq);
void sim_node_join(struct sim *s, uint32_t i);
int sim_node_start(struct sim *s, uint32_t i, uint32_t action);
/* Hands every pending output of node i to the network and the truth. */
void sim_node_drain(struct sim *s, uint32_t i);
/* (Re)schedules node i's timer at its core's deadline. */
void sim_node_arm(struct sim *s, uint32_t i);
void sim_node_deliver(struct sim *s, const struct sim_event *e);
void sim_node_process(struct sim *s, const struct sim_event *e);
void sim_node_tick(struct sim *s, const struct sim_event *e);
void sim_node_thaw(struct sim *s, uint32_t i);
void sim_node_inbox_clear(struct sim *s, struct sim_node *n);
void sim_node_health(struct sim *s, uint32_t i);

/* ---- faults (faults.c) ------------------------------------------------------
 */

int sim_apply_action(struct sim *s, uint32_t idx);
void sim_slow_end(struct sim *s, uint32_t i);
/* The end of a `partition ... for D` (like `heal`) and of a link rule's
 * `for D`. */
void sim_heal(struct sim *s);
void sim_rule_end(struct sim *s, uint32_t id);
/* What `faults random` does, as the scenario's lines would (`line` names
 * the directive in errors).  sim_partition_now: the nodes' groups are set;
 * healed after dur_us (0: by a later heal).  sim_link_added: rule `id` was
 * added with sim_net_add_rule_bits; removed after dur_us (0: never). */
int sim_crash_node(struct sim *s, uint32_t i, int line);
int sim_restart_node(struct sim *s, uint32_t i, bool wipe, int line);
int sim_freeze_node(struct sim *s, uint32_t i, uint64_t dur_us, int line);
int sim_partition_now(struct sim *s, uint64_t dur_us);
int sim_link_added(struct sim *s, uint32_t id, uint64_t dur_us);
/* The members of set as a bitmap of s->n bits (caller frees), or NULL. */
uint64_t *sim_set_bits(struct sim *s, const struct scn_set *set);

/* ---- network (net.c)
 * ---------------------------------------------------------- */

void sim_net_send(struct sim *s, uint32_t from, const struct swim_output *o);
/* A datagram from an adversary (not its core) to node `to`. */
void sim_net_inject(struct sim *s, uint32_t from, uint32_t to,
                    const uint8_t *buf, size_t len);
/* Probability that a datagram from -> to survives the global loss and the
 * matching rules (the product of their 1 - loss). */
double sim_net_survival(double loss, const struct sim_link_rule *rules,
                        size_t n_rules, uint32_t from, uint32_t to);
/* Adds a's rule; *id names it for sim_net_remove_rule. */
int sim_net_add_rule(struct sim *s, const struct scn_action *a, uint32_t *id);
/* The same from bitmaps of s->n bits (copied). */
int sim_net_add_rule_bits(struct sim *s, const uint64_t *from,
                          const uint64_t *to, bool both, double loss,
                          uint32_t *id);
void sim_net_remove_rule(struct sim *s, uint32_t id);
void sim_net_clear_rules(struct sim *s);
void sim_rules_free(struct sim_link_rule *rules, size_t n);

/* ---- adversary (adversary.c): functions
 * ------------------------------------- */

int sim_adversary_attack(struct sim *s, const struct scn_action *a);
/* A datagram `from` sent: acks the probes of forge_acks victims. */
void sim_adversary_sniff(struct sim *s, uint32_t from, const uint8_t *buf,
                         size_t len);
void sim_adversary_free(struct sim *s);

/* ---- network history (history.c)
 * ---------------------------------------------- */

/* The network changed at s->now (partition, heal, rules, loss): a new
 * epoch, and the ones no event can look back at any more are dropped. */
int sim_history_note(struct sim *s);
void sim_history_free(struct sim *s);
/* Was the pair (a, b) clean over [from, s->now]: same group and datagrams
 * surviving with probability >= SIM_CLEAN_SURVIVAL both ways? */
bool sim_history_clean(const struct sim *s, uint32_t a, uint32_t b,
                       uint64_t from);
#define SIM_CLEAN_SURVIVAL 0.5

/* ---- ground truth (truth.c)
 * ---------------------------------------------------- */

int sim_truth_init(struct sim *s);
void sim_truth_free(struct sim *s);
void sim_truth_event(struct sim *s, uint32_t observer,
                     const struct swim_event *ev);
void sim_truth_up(struct sim *s, uint32_t i);
void sim_truth_down(struct sim *s, uint32_t i);
/* Node i lost its core's state: its own view starts empty. */
void sim_truth_wipe(struct sim *s, uint32_t i);
int sim_truth_failure(struct sim *s, uint32_t i, bool leave);
/* Opens a convergence measurement at s->now; a start line's waits for its
 * `pending` nodes to start (sim_truth_started). */
int sim_truth_conv(struct sim *s, enum scn_conv kind, uint32_t action,
                   uint32_t pending);
/* A node of start line `action` has started. */
void sim_truth_started(struct sim *s, uint32_t action);
void sim_truth_check(struct sim *s);
/* The groups changed: a partition (open) or a heal (closes). */
int sim_truth_partition(struct sim *s, bool open);

#endif
