/*
 * meshbeat agent: the driver that runs the membership core on real sockets.
 * It wires the layers below together and owns no protocol logic:
 *
 *   config.c    the settings' table: file key, variable, flag, source;
 *               config_load.c defaults < config file < MESHBEAT_* <
 *               flags (config_file.c reads the file, libconfuse),
 *               config_apply.c text to value, config_report.c the
 *               messages, config_paths.c the derived paths
 *   config_check.c  what a start refuses, for --check and the start alike
 *               (exit 2): config_check_addr.c (with the address to
 *               advertise), config_check_authority.c, config_check_paths.c
 *               (with admin_group), config_check_bridge.c (the bridge's
 *               URLs and secret files: bridge_secrets.c reads them)
 *   config_dump.c   --check's JSON (the address to advertise and how, the
 *               certificate's name and domain) and --help
 *   identity.c  the key (identity_key.c, made when missing) and certificate
 *               (identity_cert.c); identity_first_start.c the first start
 *   agent.c     the top: starts the parts in order, runs, closes
 *   (the rest, one idea a file: docs/design.md, "The agent's layout")
 *   pump.c      the cores' one timer, at the nearest deadline of all
 *   gossip_core.c  the gossip core as one core of the pump
 *   events.c    membership events and records to the sinks (sink_*.c)
 *   stop.c      the stop sequence; signals.c: SIGTERM, SIGINT, SIGHUP
 *   credentials.c  key and certificate loaded at start
 *   advertise.c the address others reach us at, and why (checked with the
 *               configuration, logged at start)
 *   seeds.c     seeds given by host name, resolved off the loop
 *   net.c       the UDP socket (libuv, recvmmsg); sockaddr.c converts
 *   persist.c   the view and the event log into the store, batched
 *   records.c   channel records (revocations): restored, our own
 *               revocation; record_commands.c: revoke and records
 *   sysinfo.c   the heartbeat payload: disk, cpu, memory, load, temperature
 *   commands.c  the admin socket's commands
 *   health.c    the health checks (status and message each)
 *   clock.c     monotonic time for the core, wall-clock time for display
 *   metrics.c   the Prometheus exposition
 *   http.c      the optional HTTP listener: /metrics and /health
 *   cert_life.c our certificate: name and domain from it (cert_accept.c),
 *               expiry warnings and leaving at expiry (cert_expiry.c),
 *               renewal on SIGHUP (cert_renewal.c)
 *   log.c       text or JSON lines on stderr
 *   notify.c    systemd's notification protocol (READY, WATCHDOG, STOPPING)
 *
 * Ownership: the agent owns everything it opens; mb_agent_run returns only
 * after closing it all.  Errors: 0 or a negative MB_E* / -errno code, as in
 * every layer; mb_agent_main turns them into exit codes.
 */
#ifndef MESHBEAT_AGENT_H
#define MESHBEAT_AGENT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swim.h"

#define MB_AGENT_MAX_JOIN 16
#define MB_AGENT_TEXT 256
/* Room for the settings of config.c's table (it asserts they fit). */
#define MB_AGENT_MAX_SETTINGS 64

/* Where a setting's value came from, so that a message can name it. */
enum mb_config_source {
  MB_SOURCE_DEFAULT,
  MB_SOURCE_FILE, /* line: where in config_file */
  MB_SOURCE_ENV,
  MB_SOURCE_FLAG,
};

struct mb_config_origin {
  enum mb_config_source source;
  unsigned line;
};

enum mb_log_level { MB_LOG_DEBUG, MB_LOG_INFO, MB_LOG_WARN, MB_LOG_ERROR };
/* "debug", "info", "warn", "error": as the log shows a level and the
 * settings name it; parse gives MB_EINVAL for any other text. */
const char *mb_log_level_name(enum mb_log_level level);
int mb_log_level_parse(const char *text, enum mb_log_level *level);

/* The bridge (docs/bridge.md): what the active bridge posts and where.
 * Every destination is optional; with none set the node still runs the
 * election and keeps the events in its outbox when eligible, so it can
 * take over from a bridge that dies. */
#define MB_AGENT_MAX_BRIDGE_ELIGIBLE 16
struct mb_agent_bridge_config {
  char endpoint[MB_AGENT_TEXT]; /* consolidated view: http(s) URL; "" off */
  char token_file[PATH_MAX];    /* its Bearer token (one line); "" none */
  char ca_file[PATH_MAX];       /* PEM CAs for https; "" system's */
  uint32_t interval_ms;         /* view posted every (30000) */
  uint32_t debounce_ms;         /* and this soon after a change (1000) */
  uint64_t offline_after_ms;    /* dead this long: machine.offline (0) */
  uint32_t connect_timeout_ms;  /* per request (5000) */
  uint32_t timeout_ms;          /* whole request (10000) */
  uint32_t retry_max_ms;        /* longest wait between tries (300000) */
  uint64_t outbox_max_bytes;    /* the store's bound (64 MiB) */
  char flynas_endpoint[MB_AGENT_TEXT]; /* POST /api/raid/heartbeat URL */
  char flynas_token_file[PATH_MAX];    /* lines "DEVICE-NAME TOKEN" */
  char webhook_url[MB_AGENT_TEXT];     /* machine.offline/online; "" off */
  char webhook_secret_file[PATH_MAX];  /* whsec_... (several: rotation) */
  /* Names that may be the bridge, besides certificates with the `bridge`
   * role; every member must be given the same list. */
  char eligible[MB_AGENT_MAX_BRIDGE_ELIGIBLE][MB_NAME_MAX + 1];
  size_t n_eligible;
};

#define MB_AGENT_MAX_VOTERS 7        /* MB_CONSENSUS_VOTERS_MAX */
#define MB_AGENT_MAX_COORDINATORS 16 /* MB_SWIM_MAX_COORDINATOR_NAMES */
/* The RAID coordinator's settings (raid { } in the file; docs/raid.md):
 * the rules every coordinator applies, and how this device runs the
 * reconstruction tasks it is given. */
struct mb_agent_raid_config {
  uint64_t down_out_interval_ms; /* down this long: out (600000, Ceph's) */
  uint32_t max_backfills;        /* reconstructions in and out per device
                                    at once (1, Ceph's osd_max_backfills) */
  uint32_t max_backfills_mesh;   /* at once in the whole mesh (8) */
  uint32_t min_up_permille;      /* no automatic out below this share of
                                    devices up (300: Ceph's 0.3) */
  uint32_t stall_timeout_ms;     /* a task without progress this long is
                                    given to another target (300000) */
  char executor[MB_AGENT_TEXT];  /* "builtin", or a command for sh -c */
  uint64_t builtin_rate_bytes;   /* the built-in copier's rate per second
                                    (104857600) */
  /* The Raft voters by certified name (1, 3 or 5, in distinct failure
   * domains): every coordinator is given the same list, and those on it
   * bootstrap once all of them are alive.  Empty: this device never
   * bootstraps (it may still be added later as a replacement). */
  char voters[MB_AGENT_MAX_VOTERS][MB_NAME_MAX + 1];
  size_t n_voters;
  /* Names that are coordinators besides certificates with the role
   * `coordinator` (swim_config.coordinator_names); every member must be
   * given the same list.  Meshes without an authority need it. */
  char coordinator_names[MB_AGENT_MAX_COORDINATORS][MB_NAME_MAX + 1];
  size_t n_coordinator_names;
};

struct mb_agent_config {
  char config_file[PATH_MAX]; /* "" when none */
  char name[MB_NAME_MAX + 1];
  char domain[MB_DOMAIN_MAX + 1];
  char cluster[MB_NAME_MAX + 1];
  char bind[MB_AGENT_TEXT];      /* HOST:PORT */
  char advertise[MB_AGENT_TEXT]; /* HOST:PORT; "" = from bind */
  char join[MB_AGENT_MAX_JOIN][MB_AGENT_TEXT];
  size_t n_join;
  char data_dir[PATH_MAX];
  char admin_socket[PATH_MAX]; /* "" = DATA_DIR/admin.sock */
  char admin_group[MB_AGENT_TEXT];
  char key_file[PATH_MAX];  /* "" = DATA_DIR/node.key, made on first start */
  char cert_file[PATH_MAX]; /* "" = DATA_DIR/node.cert when it exists */
  char authority[MB_AGENT_TEXT]; /* 64 hex; "none"; "" = unset */
  char http_addr[MB_AGENT_TEXT]; /* TCP HOST:PORT; "" = no HTTP listener */
  enum mb_log_level log_level;
  bool log_json;
  uint32_t payload_interval_ms; /* 10000: disk and health refresh */
  uint32_t commit_interval_ms;  /* 200: store batch period */
  uint64_t event_retention;     /* 100000 events kept */
  struct swim_config swim;      /* protocol parameters ([gossip] section) */
  struct mb_agent_bridge_config bridge; /* [bridge] section */
  struct mb_agent_raid_config raid;     /* [raid] section */
  bool check_only;  /* --check: print the settings, do not run */
  bool reset_store; /* an empty or damaged store is set aside, not refused */
  /* The command line it was loaded from: a reload (SIGHUP) reads the
   * file, the environment and these again.  Borrowed, not copied. */
  int argc;
  char **argv;
  /* Where each value came from: by setting, in config.c's order; the
   * seeds and the bridge's eligible names one by one (a file's list spans
   * lines). */
  struct mb_config_origin origin[MB_AGENT_MAX_SETTINGS];
  struct mb_config_origin join_origin[MB_AGENT_MAX_JOIN];
  struct mb_config_origin eligible_origin[MB_AGENT_MAX_BRIDGE_ELIGIBLE];
  struct mb_config_origin voters_origin[MB_AGENT_MAX_VOTERS];
  struct mb_config_origin coordinators_origin[MB_AGENT_MAX_COORDINATORS];
};

/* The effective settings as JSON text (caller frees), for --check: the
 * values a start would use (derived paths filled in, unset ones null). */
char *mb_agent_config_dump(const struct mb_agent_config *c);

/*
 * Fills c from, in rising precedence: built-in defaults, the file named by
 * --config or MESHBEAT_CONFIG, MESHBEAT_* environment variables, and the
 * command line (argv[0] is the command name).  0; MB_ERANGE with one line
 * per refused value in err, each naming the setting and its source
 * ("bind (--bind): ...", "... (MESHBEAT_BIND): ...", "... (FILE:LINE):
 * ..."), the others loaded; MB_EINVAL when the command line or the file
 * cannot be read at all (the message in err).  --help sets *help.
 */
int mb_agent_config_load(struct mb_agent_config *c, int argc, char **argv,
                         bool *help, char *err, size_t errlen);
/*
 * Everything a start would refuse, found without starting: addresses,
 * authority, protocol parameters, paths, the key and certificate (read,
 * never created).  0, or MB_EINVAL with one line per problem in err, in
 * the same form as mb_agent_config_load's.
 */
int mb_agent_config_check(const struct mb_agent_config *c, char *err,
                          size_t errlen);
/* Where key's value came from ("--bind", "MESHBEAT_BIND", "FILE:LINE" or
 * "default"); key is the file's name for it ("bind", "gossip.budget"). */
void mb_agent_config_source(const struct mb_agent_config *c, const char *key,
                            char *out, size_t cap);
void mb_agent_config_usage(void);

/* Runs the agent until SIGTERM/SIGINT, an admin "leave" or the expiry of
 * its certificate; 0 on a clean exit, a negative code when it could not
 * start; MB_EREVOKED when the cluster authority revoked this node (at
 * start, from the store, or while running), MB_EEXPIRED when it left at
 * its certificate's expiry.  With an authority, the node's name and
 * domain are its certificate's (the configuration check refuses settings
 * that differ). */
int mb_agent_run(const struct mb_agent_config *c);

/* `meshbeat agent ...`: config, run, exit status (0 ok, 1 failed to start
 * or died, 2 usage or configuration error, which includes a node that
 * still needs its certificate, 3 no longer admitted: revoked by the
 * cluster authority, or its certificate expired; it left the mesh). */
int mb_agent_main(int argc, char **argv);

#endif
