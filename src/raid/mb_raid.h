/*
 * The RAID coordinator's state machine (docs/raid.md): the devices and their
 * capacity ledger, the arrays and their slots, the reconstruction tasks, the
 * commands that change them (the entries of the coordinators' Raft log), and
 * the leader's planner that turns what gossip observes into commands.
 *
 * Pure and deterministic: no clock, no sockets, no libraft, no LMDB, no
 * floating point, no hash-order iteration.  Every replica that applies the
 * same commands in the same order holds the same state, byte for byte in its
 * encoding, and refuses the same stale commands with the same code.  Time
 * comes in as `now` (monotonic ms) and only the planner, which is never
 * replicated, uses it.
 *
 * Ownership: a state is made by mb_raid_state_new or _decode and freed by
 * mb_raid_state_free; a planner by mb_raid_planner_new/_free.  The encoders
 * write into caller buffers except mb_raid_state_encode, which returns a
 * malloc'd buffer the caller frees.  Queries copy into plain structs and
 * keep no pointer to them.
 *
 * Errors: 0 (or a count) on success, a negative MB_E* code (MB_ERAID*,
 * -3001.., and the CBOR codes of mb_common.h) or -ENOMEM.
 */
#ifndef MESHBEAT_RAID_H
#define MESHBEAT_RAID_H

#include "mb_common.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MB_RAID_ID_LEN 32     /* a device is a member: its node id */
#define MB_RAID_NAME_MAX 63   /* array and device names, bytes of UTF-8 */
#define MB_RAID_DOMAIN_MAX 63 /* failure domain, as in the certificate */
#define MB_RAID_SLOTS_MAX 32  /* data + parity of one array */
#define MB_RAID_DEVICES_MAX 65536
#define MB_RAID_ARRAYS_MAX 65536
#define MB_RAID_TASKS_LIVE_MAX 65536
/* Finished (done or cancelled) tasks kept for `meshbeat tasks`; older ones
 * are forgotten, lowest id first. */
#define MB_RAID_TASK_HISTORY 64
/* Task progress pairs one observation carries (a heartbeat's key 13). */
#define MB_RAID_OBS_TASKS_MAX 8

enum mb_raid_device_state {
  MB_RAID_DEV_UP = 0,
  MB_RAID_DEV_DOWN = 1, /* dead in gossip: its slots are down */
  MB_RAID_DEV_OUT = 2,  /* down past the grace: its slots are rebuilt */
};

enum mb_raid_level {
  MB_RAID_LEVEL_RAID1 = 1, /* mirror of n: data 1, parity n-1 */
  MB_RAID_LEVEL_RAID5 = 5, /* parity 1 */
  MB_RAID_LEVEL_RAID6 = 6, /* parity 2 */
  MB_RAID_LEVEL_EC = 7,    /* erasure code k+m */
};

enum mb_raid_slot_state {
  MB_RAID_SLOT_UP = 0,
  MB_RAID_SLOT_DOWN = 1, /* its device is down, or back and not resynced */
  MB_RAID_SLOT_OUT = 2,  /* its device is out: to be rebuilt elsewhere */
  MB_RAID_SLOT_REBUILDING = 3, /* a rebuild task is writing it elsewhere */
  MB_RAID_SLOT_RESYNC = 4,     /* its device is back; a resync task runs */
};

enum mb_raid_array_state {
  MB_RAID_ARRAY_HEALTHY = 0,
  MB_RAID_ARRAY_DEGRADED = 1,   /* a slot down or out, no task for it yet */
  MB_RAID_ARRAY_REBUILDING = 2, /* every lost slot has a task */
  MB_RAID_ARRAY_FAILED = 3,     /* gave up (out) more than its parity: final */
};

enum mb_raid_task_kind {
  MB_RAID_TASK_REBUILD = 1, /* an out slot rebuilt onto a new device */
  MB_RAID_TASK_RESYNC = 2,  /* a returned device catches its slot up */
  MB_RAID_TASK_MOVE = 3,    /* a slot moved off a draining device */
};

enum mb_raid_task_state {
  MB_RAID_TASK_QUEUED = 0,
  MB_RAID_TASK_RUNNING = 1, /* progress has been reported */
  MB_RAID_TASK_DONE = 2,
  MB_RAID_TASK_CANCELLED = 3,
};

/* Names for text and JSON ("raid1", "degraded", ...); "?" when unknown. */
const char *mb_raid_device_state_name(int s);
const char *mb_raid_level_name(int level);
const char *mb_raid_slot_state_name(int s);
const char *mb_raid_array_state_name(int s);
const char *mb_raid_task_kind_name(int k);
const char *mb_raid_task_state_name(int s);
/* Parses a level name; MB_EINVAL when it is none. */
int mb_raid_level_parse(const char *name, int *level);
/* 0 when level, data and parity fit together (raid1: data 1, parity >= 1;
 * raid5: data >= 2, parity 1; raid6: data >= 2, parity 2; ec: both >= 1;
 * data + parity <= MB_RAID_SLOTS_MAX); MB_ERAIDLEVEL otherwise. */
int mb_raid_level_check(int level, unsigned data, unsigned parity);

/* ---- commands: the entries of the Raft log (codec_cmd.c) ---------------- */

enum mb_raid_cmd_kind {
  MB_RAID_CMD_DEVICE_REPORT = 1, /* ledger row: name, domain, capacity ... */
  MB_RAID_CMD_DEVICE_DOWN = 2,   /* seen dead at `incarnation` */
  MB_RAID_CMD_DEVICE_UP = 3,     /* alive again at a newer `incarnation` */
  MB_RAID_CMD_DEVICE_OUT = 4,    /* down past the grace period */
  MB_RAID_CMD_DRAIN = 5,         /* `on`: move its slots off */
  MB_RAID_CMD_ARRAY_CREATE = 6,  /* with the placement in `devices` */
  MB_RAID_CMD_ARRAY_REMOVE = 7,
  MB_RAID_CMD_TASK_START = 8,    /* id assigned at apply; reserves */
  MB_RAID_CMD_TASK_PROGRESS = 9, /* first progress seen: queued -> running */
  MB_RAID_CMD_TASK_DONE = 10,
  MB_RAID_CMD_TASK_REASSIGN = 11, /* from `device` to `target` */
  MB_RAID_CMD_TASK_CANCEL = 12,
};

/*
 * One command.  Which fields a kind carries (the rest stay zero):
 *   DEVICE_REPORT  device name domain capacity available incarnation
 *   DEVICE_DOWN    device incarnation      DEVICE_UP  device incarnation
 *   DEVICE_OUT     device                  DRAIN      device on
 *   ARRAY_CREATE   array level data parity size devices[data+parity]
 *   ARRAY_REMOVE   array
 *   TASK_START     array slot task_kind target devices[] (the sources)
 *   TASK_PROGRESS  task target progress    TASK_DONE  task target
 *   TASK_REASSIGN  task device (the target it leaves) target devices[]
 *   TASK_CANCEL    task
 * A command names what it expects to find (the target of a task, the
 * incarnation of a device), so a stale one is refused, not misapplied.
 */
struct mb_raid_cmd {
  uint8_t kind;
  uint8_t device[MB_RAID_ID_LEN];
  char name[MB_RAID_NAME_MAX + 1];
  char domain[MB_RAID_DOMAIN_MAX + 1];
  uint64_t capacity, available, incarnation;
  bool on;
  char array[MB_RAID_NAME_MAX + 1];
  uint8_t level, data, parity;
  uint64_t size;
  uint8_t n_devices;
  uint8_t devices[MB_RAID_SLOTS_MAX][MB_RAID_ID_LEN];
  uint64_t task;
  uint8_t slot, task_kind;
  uint8_t target[MB_RAID_ID_LEN];
  uint64_t progress;
};

/* Largest encoding of one command. */
#define MB_RAID_CMD_MAX 1536

/* CBOR map with the kind's fields only (docs/raid.md).  MB_ENOSPACE when it
 * does not fit cap; MB_EKIND for an unknown kind. */
int mb_raid_cmd_encode(const struct mb_raid_cmd *c, uint8_t *buf, size_t cap,
                       size_t *len);
/* Bounds-checked: exactly the fields of its kind (unknown keys above 31 are
 * skipped), texts valid UTF-8 within their limits.  *out is zeroed first. */
int mb_raid_cmd_decode(const uint8_t *buf, size_t len, struct mb_raid_cmd *out);

/* ---- the state (state.c, apply*.c, check.c, codec_state*.c) ------------- */

struct mb_raid_state;

struct mb_raid_state *mb_raid_state_new(void);
void mb_raid_state_free(struct mb_raid_state *s);

/*
 * Applies the command of log entry `index`.  0 when applied.  A command that
 * is no longer valid (device already out, slot already taken, a target that
 * would be committed past its capacity, a task reassigned since) is refused
 * with its code and changes nothing, not even the applied index, so every
 * replica refuses it identically.  An index not after the applied one is
 * refused with MB_ERAIDINDEX (a replay).  An array that has given up more
 * slots than its parity (out or rebuilding; a down slot may come back) is
 * marked failed here, its tasks cancelled; nothing is ever planned for it
 * again.
 */
int mb_raid_apply(struct mb_raid_state *s, uint64_t index,
                  const struct mb_raid_cmd *c);
/* Index of the last applied (not refused) command; 0: none. */
uint64_t mb_raid_applied_index(const struct mb_raid_state *s);

/* The invariants: ledger balances (allocated and reserved are what the
 * arrays and live tasks hold), no device past its capacity, no two slots of
 * one array on one device, at most one live task per slot, task targets
 * hold their reservation, slot and array states agree with devices and
 * tasks.  0, or MB_ERAIDCHECK with the first broken one in why. */
int mb_raid_check(const struct mb_raid_state *s, char *why, size_t cap);

/* The whole state as CBOR (the Raft snapshot); *buf malloc'd. */
int mb_raid_state_encode(const struct mb_raid_state *s, uint8_t **buf,
                         size_t *len);
/* Bounds-checked; the ledger sums and array states are recomputed, and a
 * state that fails mb_raid_check is refused (MB_ERAIDCHECK). */
int mb_raid_state_decode(const uint8_t *buf, size_t len,
                         struct mb_raid_state **out);

/* ---- queries (query.c): plain copies for the CLI, JSON and checkers ----- */

struct mb_raid_device_info {
  uint8_t id[MB_RAID_ID_LEN];
  char name[MB_RAID_NAME_MAX + 1];
  char domain[MB_RAID_DOMAIN_MAX + 1];
  uint64_t capacity, available; /* as reported */
  uint64_t allocated, reserved; /* the ledger: slots held, tasks reserved */
  uint64_t incarnation;
  int state; /* enum mb_raid_device_state */
  bool draining;
};

struct mb_raid_slot_info {
  uint8_t device[MB_RAID_ID_LEN];
  char domain[MB_RAID_DOMAIN_MAX + 1];
  int state; /* enum mb_raid_slot_state */
};

struct mb_raid_array_info {
  char name[MB_RAID_NAME_MAX + 1];
  int level; /* enum mb_raid_level */
  unsigned data, parity;
  uint64_t size, slot_bytes; /* slot_bytes = size / data, rounded up */
  int state;                 /* enum mb_raid_array_state */
  size_t n_slots;
  struct mb_raid_slot_info slots[MB_RAID_SLOTS_MAX];
};

struct mb_raid_task_info {
  uint64_t id;
  char array[MB_RAID_NAME_MAX + 1];
  unsigned slot;
  int kind;  /* enum mb_raid_task_kind */
  int state; /* enum mb_raid_task_state */
  uint8_t target[MB_RAID_ID_LEN];
  size_t n_sources;
  uint8_t sources[MB_RAID_SLOTS_MAX][MB_RAID_ID_LEN];
  uint64_t bytes, progress;
};

/* Devices in id order, arrays in name order, tasks in id order. */
size_t mb_raid_device_count(const struct mb_raid_state *s);
int mb_raid_device_at(const struct mb_raid_state *s, size_t i,
                      struct mb_raid_device_info *out);
int mb_raid_device_find(const struct mb_raid_state *s,
                        const uint8_t id[MB_RAID_ID_LEN],
                        struct mb_raid_device_info *out);
size_t mb_raid_array_count(const struct mb_raid_state *s);
int mb_raid_array_at(const struct mb_raid_state *s, size_t i,
                     struct mb_raid_array_info *out);
int mb_raid_array_find(const struct mb_raid_state *s, const char *name,
                       struct mb_raid_array_info *out);
size_t mb_raid_task_count(const struct mb_raid_state *s);
int mb_raid_task_at(const struct mb_raid_state *s, size_t i,
                    struct mb_raid_task_info *out);
int mb_raid_task_find(const struct mb_raid_state *s, uint64_t id,
                      struct mb_raid_task_info *out);

/* ---- placement (place.c) ------------------------------------------------ */

/*
 * Chooses n devices for n slots of `bytes` each: up, not draining, not in
 * holders[] nor marked busy, with that much free capacity in the ledger
 * (capacity - allocated - reserved).  Each pick prefers a failure domain
 * not yet used by holders[] or earlier picks, then the most free capacity,
 * then the lowest id, so domains stay distinct whenever that is possible.
 * Writes n ids to out; MB_ERAIDSPACE when fewer than n devices qualify.
 */
struct mb_raid_place_req {
  uint64_t bytes;
  size_t n;
  const uint8_t (*holders)[MB_RAID_ID_LEN]; /* the array's other devices */
  size_t n_holders;
  /* NULL, or one flag per device in mb_raid_device_at order: skipped
   * (throttled, not alive) without taking its domain. */
  const bool *busy;
};

int mb_raid_place(const struct mb_raid_state *s,
                  const struct mb_raid_place_req *req,
                  uint8_t (*out)[MB_RAID_ID_LEN]);

/* ---- the leader's planner (planner.c, plan*.c) -------------------------- */

struct mb_raid_params {
  uint64_t down_out_interval_ms; /* 600000: Ceph mon_osd_down_out_interval */
  unsigned max_backfills;        /* 1: Ceph osd_max_backfills, in and out */
  unsigned max_backfills_mesh;   /* 8: live tasks in the whole mesh */
  unsigned min_up_permille;      /* 300: Ceph mon_osd_min_up_ratio 0.3 */
  uint64_t stall_timeout_ms;     /* 300000: no progress for this long */
  /* A failure domain with at least this many devices is a subtree whose
   * complete loss stops automatic outs (Ceph mon_osd_down_out_subtree_limit);
   * a domain of one device is just that device. */
  unsigned subtree_min_devices; /* 2 */
};

void mb_raid_params_default(struct mb_raid_params *p);

enum mb_raid_gossip {
  MB_RAID_GOSSIP_ALIVE = 0,
  MB_RAID_GOSSIP_SUSPECT = 1,
  MB_RAID_GOSSIP_DEAD = 2,
  MB_RAID_GOSSIP_LEFT = 3,
};

struct mb_raid_progress {
  uint64_t task, done; /* bytes done, from the target's heartbeat */
};

/* One member as the leader's gossip view shows it. */
struct mb_raid_observation {
  uint8_t id[MB_RAID_ID_LEN];
  char name[MB_RAID_NAME_MAX + 1];
  char domain[MB_RAID_DOMAIN_MAX + 1];
  int gossip; /* enum mb_raid_gossip */
  uint64_t incarnation;
  uint64_t capacity, available;
  bool draining;  /* an instruction or `meshbeat raid drain` is in force */
  bool flap_held; /* held out for flapping: stays down, never rebuilt */
  size_t n_tasks;
  struct mb_raid_progress tasks[MB_RAID_OBS_TASKS_MAX];
};

/* The leader's local timers, never replicated: since when it has seen each
 * device down, and each task's last progress.  A new leader starts with
 * none, which only delays decisions (conservative). */
struct mb_raid_planner;

struct mb_raid_planner *mb_raid_planner_new(void);
void mb_raid_planner_free(struct mb_raid_planner *p);

/*
 * The planner's stall clock of a live task (as of its last mb_raid_plan):
 * the most progress it has seen the target report and since when (now
 * at that plan, for a task first seen or moved to another target).  The
 * task is stalled at since + stall_timeout_ms.  0, or MB_ENOENT for a task
 * the planner does not follow.  (The coordinator's task leases, docs/raid.md.)
 */
int mb_raid_planner_task_timer(const struct mb_raid_planner *p, uint64_t task,
                               uint64_t *progress, uint64_t *since);
/* The task's stall clock starts no earlier than `until` (a target that may
 * not start yet is not stalling).  MB_ENOENT as above. */
int mb_raid_planner_task_hold(struct mb_raid_planner *p, uint64_t task,
                              uint64_t until);

/*
 * The commands to propose now, at most cap of them, in priority order.
 * The driver proposes them and plans again once they are applied or
 * refused (commands planned twice before the first is applied are refused
 * as stale, but throttles count only applied tasks).  Devices without an
 * observation are left as they are.
 */
size_t mb_raid_plan(struct mb_raid_planner *p, const struct mb_raid_state *s,
                    const struct mb_raid_params *params, uint64_t now,
                    const struct mb_raid_observation *obs, size_t n,
                    struct mb_raid_cmd *out, size_t cap);

#endif
