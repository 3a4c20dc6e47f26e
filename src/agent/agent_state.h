/*
 * What the agent's files share, for them alone (the agent's face is
 * mb_agent.h): the agent object, owned by the runner (agent.c), and each
 * part's functions, under the name of the file that defines them.  Named
 * for what it holds, not after agent.c: the parts include it, and agent.c
 * is the top that only starts and stops them (docs/design.md, "The
 * agent's layout").
 */
#ifndef MESHBEAT_AGENT_STATE_H
#define MESHBEAT_AGENT_STATE_H

#include "mb_admin.h"
#include "mb_agent.h"
#include "mb_store.h"
#include "pump.h"
#include "swim.h"

#include <jansson.h>
#include <sys/types.h>
#include <uv.h>

struct agent_bridge;
struct agent_raid;

/* The log's settings and its writer (log.c, log_writer.c). */
struct agent_log_queue;
struct agent_logger {
  enum mb_log_level threshold;
  bool as_json;
  uint64_t dropped_told;         /* how many drops a line has told of */
  uint64_t dropped_before_stop;  /* the queue's count when it was let go */
  struct agent_log_queue *queue; /* NULL: lines are written at once */
};

struct agent_payload {
  uint64_t capacity, available;
  struct mb_health health;
  uint64_t cpu_busy, cpu_total; /* previous /proc/stat sample */
};

#define AGENT_LAG_BUCKETS 15 /* 1 ms .. 8.192 s, then +Inf */

struct agent_counters {
  uint64_t send_errors;  /* datagrams the kernel refused */
  uint64_t recv_errors;  /* receive errors, truncated datagrams */
  uint64_t store_errors; /* failed commits (the batch is retried) */
  uint64_t events;       /* membership events */
  /* What we send, by message kind (the index is enum mb_msg_kind). */
  uint64_t sent_by_kind[MB_MSG_GOSSIP + 1];
  uint64_t sent_bytes_by_kind[MB_MSG_GOSSIP + 1];
  uint64_t sent_records, sent_news, sent_certs; /* carried in them */
  /* How late the core's timer ran (ms), by powers of two from 1 ms: a
   * loop that runs late answers probes late, and is suspected for it. */
  uint64_t lag_hist[AGENT_LAG_BUCKETS];
  uint64_t lag_sum_ms;
};

/* A seed given by host name, resolved off the loop (seeds.c). */
struct agent_seed {
  struct agent *a;
  char text[MB_AGENT_TEXT]; /* as configured: HOST:PORT */
  char host[MB_AGENT_TEXT], port[8];
  uv_getaddrinfo_t req;
  uv_timer_t retry;
  bool resolving;
  unsigned failures; /* in a row: the retry delay doubles with each */
};

/* Seeds of one join: the configured ones and as many stored members. */
#define AGENT_MAX_SEEDS (2 * MB_AGENT_MAX_JOIN)

/* What join_watch.c last reported of the core's join (swim_join_get). */
struct agent_join_watch {
  uint64_t changes;
  uint32_t requests[AGENT_MAX_SEEDS], answers[AGENT_MAX_SEEDS];
  bool joined, gave_up;
};

/* Refusals already logged, by enum swim_reject (refusals.c). */
struct agent_refusals {
  uint64_t next_check_at;
  uint64_t seen[SWIM_REJ_COUNT_];
  uint64_t quiet_until[SWIM_REJ_COUNT_];
};

/* Our certificate over its life (cert_life.c). */
struct agent_cert {
  bool held;           /* verified against the authority: info is valid */
  bool expired;        /* we left the mesh at its expiry */
  struct mb_cert info; /* decoded */
  char path[PATH_MAX];
  int64_t warned_s; /* the last warning's milestone: seconds before expiry
                       (0: none yet) */
  uv_timer_t timer; /* the next warning, or the expiry */
};

struct agent {
  const struct mb_agent_config *cfg;
  struct agent_logger *log; /* the runner's (mb_agent_main) */
  uv_loop_t loop;
  uv_udp_t udp;
  struct agent_pump pump;   /* the cores' one timer (pump.c) */
  struct agent_core gossip; /* the gossip core, as the pump drives it */
  uv_timer_t payload_timer, commit_timer, watchdog_timer, stop_timer;
  uv_signal_t sigint, sigterm, sighup;
  struct swim *swim;
  struct mb_vcache *vc;
  struct mb_store *store;
  struct mb_admin *admin;
  struct mb_http *http;        /* NULL unless http.listen is set */
  struct agent_bridge *bridge; /* bridge_state.h */
  struct agent_raid *raid;     /* raid_state.h: the RAID coordinator */
  struct mb_identity id;
  uint8_t cert[MB_CERT_MAX_LEN];
  size_t cert_len;
  struct agent_cert certlife;
  /* Ours as the certificate says, or as configured in an open mesh. */
  char name[MB_NAME_MAX + 1], domain[MB_DOMAIN_MAX + 1];
  struct mb_addr advertise;
  char data_dir[PATH_MAX];
  char admin_path[PATH_MAX];
  uint64_t started_ms; /* monotonic */
  int64_t started_wall_ms;
  struct agent_seed seeds[MB_AGENT_MAX_JOIN];
  size_t n_seeds;
  struct agent_payload payload, told;
  struct agent_counters counters;
  struct agent_join_watch join_watch;
  struct agent_refusals refusals;
  bool stopping;
  int exit_rc;   /* what mb_agent_run returns after a stop: MB_EREVOKED when
                    the authority revoked us (records.c), MB_EEXPIRED when
                    our certificate expired (cert_life.c), MB_ECORRUPT when
                    the store turned out damaged (persist.c) */
  bool store_ok; /* the last commit succeeded */
  bool store_damaged; /* LMDB said so while running: no more writes */
  /* Incarnations reserved in the store (persist.c): durably, and
   * committed (a kill loses it not, a power cut may). */
  uint64_t stored_incarnation, incarnation_committed;
  uint64_t incarnation_retry_at; /* after a failed write (monotonic ms) */
  /* fsync runs in libuv's thread pool, one at a time (see persist.c) */
  uv_work_t sync_work;
  bool sync_running, sync_again;
  int sync_rc;
  uint64_t sync_covers; /* the reservation the running sync makes durable */
  /* recvmmsg: libuv hands out one 64 KiB slot per datagram of a batch */
  uint8_t rxbuf[8 * 64 * 1024] __attribute__((aligned(16)));
};

/* clock.c: monotonic ms for the core, wall-clock ms for what is shown. */
uint64_t agent_now(struct agent *a);
int64_t agent_wall_ms(void);
int64_t agent_mono_to_wall(struct agent *a, uint64_t mono_ms);

/* log.c: the agent's log, owned by whoever runs the agent (mb_agent_main)
 * from before the settings are checked until after the loop ends. */
void agent_logger_init(struct agent_logger *lg, enum mb_log_level level,
                       bool json);
/* A reload (SIGHUP) changes the level and format in place. */
void agent_logger_set(struct agent_logger *lg, enum mb_log_level level,
                      bool json);
bool agent_log_enabled(const struct agent_logger *lg, enum mb_log_level level);
void agent_log(struct agent_logger *lg, enum mb_log_level level, json_t *fields,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* log_writer.c: once started, lines queue for a thread of their own; a
 * line that finds no room is dropped (false) and counted. */
int agent_log_writer_start(struct agent_logger *lg);
bool agent_log_write(struct agent_logger *lg, const char *line, size_t len);
/* Waits until the queue is written out (at most timeout_ms), then lets go
 * of it: later lines are written at once. */
void agent_log_writer_stop(struct agent_logger *lg, unsigned timeout_ms);
uint64_t agent_log_dropped(const struct agent_logger *lg);

/* notify.c */
int agent_notify(const char *state);
uint64_t agent_watchdog_interval_ms(void);
void agent_watchdog_start(struct agent *a);

/* sysinfo.c */
void agent_sample_payload(struct agent_payload *p, const char *data_dir);
bool agent_payload_changed(const struct agent_payload *now,
                           const struct agent_payload *told);

/* sockaddr.c: between the wire's addresses and the socket API's; from
 * fails (false) for a family other than IPv4/IPv6. */
void agent_to_sockaddr(const struct mb_addr *m, struct sockaddr_storage *ss);
bool agent_from_sockaddr(const struct sockaddr *sa, struct mb_addr *m);

/* net.c: the UDP socket.  send: one datagram of the core's, at once
 * (dropped when the socket buffer is full); drain: hands the core what
 * already waits in the socket (at most a bounded batch). */
int agent_net_open(struct agent *a);
void agent_net_send(struct agent *a, const struct swim_output *o);
void agent_net_drain(struct agent *a);

/* gossip_core.c: makes the gossip core and registers it with the pump. */
int agent_gossip_open(struct agent *a, uint64_t incarnation);
/* After an input to the gossip core: its outputs are routed (datagrams,
 * events, records) and the pump re-armed at the nearest deadline. */
static inline void agent_flush(struct agent *a) {
  agent_pump_flush(&a->pump, &a->gossip);
}

/* raid_core.c: an app payload for the RAID coordinator (SWIM_OUT_APP);
 * after the gossip core's outputs, the coordinator's are routed if they
 * gave it input. */
void agent_raid_app(struct agent *a, const struct swim_output *o);
void agent_raid_after_gossip(struct agent *a);

/* credentials.c: the key and the certificate, loaded at start.
 * agent_open_mesh: no authority, or authority = "none": anyone may join. */
bool agent_open_mesh(const struct agent *a);
void agent_warn_open_mesh(struct agent *a);
int agent_credentials_load(struct agent *a);

/* payload.c: the heartbeat's payload, sampled at start and on a timer. */
void agent_payload_first(struct agent *a);
void agent_payload_start(struct agent *a);

/* join.c: the start's join (numeric seeds and the stored view). */
void agent_join_mesh(struct agent *a);

/* bridge_core.c: SIGHUP reads the bridge's token and secret files again
 * (a rotation); on any problem the ones in use are kept. */
void agent_bridge_reload(struct agent *a);

/* signals.c: SIGTERM/SIGINT leave, SIGHUP reloads. */
void agent_signals_start(struct agent *a);

/* stop.c: the stop sequence (leave, linger, close); begin_stop is
 * idempotent and may be called from anywhere in the loop. */
void agent_stop_init(struct agent *a);
void agent_begin_stop(struct agent *a, const char *why);
void agent_close_handles(struct agent *a);

/* dirs.c: makes every missing directory of path (mode for those it
 * makes); the directory part of path ("." when none). */
int agent_make_dirs(const char *path, mode_t mode);
void agent_dir_of(const char *path, char *out, size_t cap);

/* shell_word.c: s as one word the shell reads back as is (quoted when it
 * needs to be); cut short when cap is too small. */
void agent_shell_word(char *out, size_t cap, const char *s);

/* events.c: the gossip core's events and records, to every sink in
 * order.  A sink is one file (sink_*.c); its functions may be NULL. */
struct agent_event_view {
  const struct swim_event *ev;
  int64_t wall_ms; /* when, on the wall clock */
  uint64_t seq;    /* in the store's event log; set by the store's sink */
  json_t *shown;   /* built once by agent_event_shown, freed by events.c */
};
struct agent_sink {
  const char *name;
  void (*on_event)(struct agent *a, struct agent_event_view *v);
  void (*on_record)(struct agent *a, const struct swim_output *o);
};
extern const struct agent_sink agent_sink_store, agent_sink_log,
    agent_sink_admin, agent_sink_bridge, agent_sink_raid;
void agent_events_out(struct agent *a, const struct swim_event *ev);
void agent_records_out(struct agent *a, const struct swim_output *o);

/* event_json.c: the event as the admin API and the log show it; shown:
 * the view's, built once (borrowed: take a reference to keep it). */
json_t *agent_event_json(uint64_t seq, int64_t wall_ms, const uint8_t *id,
                         const char *name, int from, int to, int reason,
                         uint64_t incarnation);
json_t *agent_event_shown(struct agent_event_view *v);

/* advertise.c: fills a->advertise as cfg_advertise_choose does and logs
 * how it was chosen; MB_ECONFIG (exit 2), with the reason logged, when no
 * address the others can reach can be told. */
int agent_advertise_choose(struct agent *a);

/* seeds.c: resolves and joins a HOST:PORT seed with a host name, retrying
 * until it resolves; stop: no more attempts (at leave). */
void agent_seed_resolve(struct agent *a, const char *seed);
void agent_seeds_stop(struct agent *a);

/* persist.c */
/* Incarnations reserved ahead of use (see persist.c). */
#define AGENT_INCARNATION_BLOCK 8
/* Opens the store, refusing one that is damaged or lost its data unless
 * --reset-store; *incarnation is the first one this start may use. */
int agent_store_open(struct agent *a, uint64_t *incarnation);
/* Reserves a block of incarnations, synced: the last step of a start. */
int agent_reserve_incarnations(struct agent *a);
/* Before anything is sent: keeps the reservation ahead of the core. */
void agent_persist_incarnation(struct agent *a);
void agent_store_restore(struct agent *a, struct mb_addr *seeds,
                         size_t *n_seeds, size_t max_seeds);
void agent_commit(struct agent *a);
/* Commits the staged batch every commit_interval_ms. */
void agent_commit_timer_start(struct agent *a);
/* An fsync in the thread pool after a write outside the batch. */
void agent_sync_soon(struct agent *a);
/* A store error while running: damage (MB_ECORRUPT) makes the agent leave
 * and exit with 1; anything else is the caller's to report. */
void agent_store_failed(struct agent *a, int rc, const char *what);
/* Blocking fsync, for shutdown only. */
void agent_store_sync_now(struct agent *a);

/* join_watch.c: logs and publishes (stream "join") what became of the
 * latest join; call agent_join_started after each swim_join. */
void agent_join_started(struct agent *a);
void agent_join_watch(struct agent *a);
json_t *agent_join_json(struct agent *a);
/* True, with a message, while no seed answered a join for a while and no
 * other member is live: the `join` health check. */
bool agent_join_trouble(struct agent *a, char *message, size_t cap);

/* refusals.c: refused datagrams by reason, at debug level, rate-limited. */
void agent_refusals_watch(struct agent *a);

/* cert_life.c: our certificate from start to expiry or renewal.
 * agent_cert_accept: the certificate read from path (with an authority)
 * is verified and adopted: ours, valid now, its name and domain taken
 * (MB_EEXPIRED, logged, when it has expired). */
int agent_cert_accept(struct agent *a, const char *path);
/* Arms the warnings and the leave at expiry (once the loop runs). */
void agent_cert_start(struct agent *a);
/* SIGHUP: a renewed certificate at the same path replaces ours, or is
 * refused with a log line and ours kept. */
void agent_cert_reload(struct agent *a);
/* Time left (ms, <= 0: expired) and whether warnings are due (less than
 * the warning window left); false for both without a certificate. */
bool agent_cert_expiring(const struct agent *a, int64_t *left_ms);

/* health.c: {status, checks: {NAME: {status, message}}}, worst wins. */
json_t *agent_health_json(struct agent *a);

/* commands.c */
int agent_admin_open(struct agent *a);
json_t *agent_member_json(struct agent *a, size_t i);
/* What the admin commands members and info answer (docs/admin-api.md). */
json_t *agent_members_json(struct agent *a);
json_t *agent_info_json(struct agent *a);
/* Up to n committed events with seq > after, oldest first, as `events`
 * lists them: 0 with *out a new array, or the store's error (logged). */
int agent_events_json(struct agent *a, uint64_t after, size_t n, json_t **out);

/* metrics.c */
char *agent_metrics_text(struct agent *a);

/* http.c: opens the listener when configured (0, or why not, logged);
 * close is idempotent and must come before the loop's handles are walked. */
int agent_http_open(struct agent *a);
void agent_http_close(struct agent *a);

/* records.c: the record channel (restored at start, our revocation).
 * The exit status of an agent the cluster authority revoked: */
#define AGENT_EXIT_REVOKED 3
/* Before the stored members: MB_EREVOKED when one is our revocation. */
int agent_records_restore(struct agent *a);
/* After the stored members: records their signers' certificates admit. */
void agent_records_restore_again(struct agent *a);
/* After the core's outputs: if we are revoked, say so and stop. */
void agent_check_revoked(struct agent *a);
/* record_text.c: what a revocation says ("" if none), whom a record is
 * about (a member's name, else hex). */
void agent_record_reason(const uint8_t *raw, size_t len, char *out, size_t cap);
void agent_record_subject(struct agent *a, const struct swim_record_info *r,
                          char *out, size_t cap);
/* record_commands.c: the admin commands `records` and `revoke`. */
int agent_cmd_records(void *ctx, const json_t *req, json_t **result,
                      struct mb_admin_error *err);
int agent_cmd_revoke(void *ctx, const json_t *req, json_t **result,
                     struct mb_admin_error *err);

#endif
