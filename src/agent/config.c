/*
 * Configuration: one table names every setting once, with its key in the
 * file, its environment variable and its flag, so the three sources can
 * never disagree about what exists; the protocol's parameters come from
 * the gossip layer's own table (swim_params), as the simulator's do.
 * Precedence: defaults < file < env < flags.  The file is libconfuse
 * syntax (docs/operations.md):
 *
 *   name = "store-01"
 *   join = {"10.0.0.1:7946", "nas2.lan:7946"}
 *   gossip { probe_interval_ms = 1000 }
 *   bridge { endpoint = "https://..."  webhook { url = "https://..." } }
 *
 * Every value remembers where it came from (flag, variable, file and
 * line), so that any message about it can say where to fix it.  This file
 * holds the table and the sources' names; config_load.c loads the
 * sources in order, config_apply.c converts each text to its value,
 * config_report.c words the problems, config_check.c judges the values
 * together, config_paths.c derives the paths.
 */
#include "config_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define CFG(field)                                                             \
  offsetof(struct mb_agent_config, field),                                     \
      sizeof(((struct mb_agent_config *)0)->field)

#define TOP(name, env, flag, kind, field, help)                                \
  { NULL, name, env, flag, kind, CFG(field), 0, 0, help, NULL }
#define NUM(name, kind, field, min, max, help)                                 \
  { NULL, name, NULL, NULL, kind, CFG(field), min, max, help, NULL }
/* bridge { ... }, and its flynas { } and webhook { } sections. */
#define BRIDGE(section, name, env, flag, kind, field, min, max, help)          \
  {                                                                            \
    section, name, "MESHBEAT_BRIDGE_" env, "--bridge-" flag, kind,             \
        CFG(bridge.field), min, max, help, NULL                                \
  }

/* raid { ... } */
#define RAID(name, env, flag, kind, field, min, max, help)                     \
  {                                                                            \
    "raid", name, "MESHBEAT_RAID_" env, "--raid-" flag, kind, CFG(raid.field), \
        min, max, help, NULL                                                   \
  }

static const struct setting top[] = {
    TOP("name", "MESHBEAT_NAME", "--name", K_STR, name,
        "node name (default: host name)"),
    TOP("domain", "MESHBEAT_DOMAIN", "--domain", K_STR, domain,
        "failure domain, e.g. rack-3"),
    TOP("cluster", "MESHBEAT_CLUSTER", "--cluster", K_STR, cluster,
        "cluster name, bound into every signature (meshbeat)"),
    TOP("bind", "MESHBEAT_BIND", "--bind", K_STR, bind,
        "UDP HOST:PORT to listen on (0.0.0.0:7946)"),
    TOP("advertise", "MESHBEAT_ADVERTISE", "--advertise", K_STR, advertise,
        "HOST:PORT others reach us at (default: bind, or this host's "
        "address)"),
    TOP("join", "MESHBEAT_JOIN", "--join", K_JOIN, join,
        "seed HOST:PORT, host names too (repeatable; comma-separated in the "
        "environment)"),
    TOP("data_dir", "MESHBEAT_DATA_DIR", "--data-dir", K_STR, data_dir,
        "state directory (./meshbeat-data)"),
    TOP("admin_socket", "MESHBEAT_ADMIN_SOCKET", "--admin-socket", K_STR,
        admin_socket, "admin socket path (DATA_DIR/admin.sock)"),
    TOP("admin_group", "MESHBEAT_ADMIN_GROUP", "--admin-group", K_STR,
        admin_group, "group allowed on the admin socket (mode 0660)"),
    {"http", "listen", "MESHBEAT_HTTP_ADDR", "--http-addr", K_STR,
     CFG(http_addr), 0, 0,
     "TCP HOST:PORT serving /metrics and /health (off; no auth: keep it on "
     "loopback or a management network)",
     NULL},
    TOP("key", "MESHBEAT_KEY", "--key", K_STR, key_file,
        "node key file (DATA_DIR/node.key), created when missing"),
    TOP("cert", "MESHBEAT_CERT", "--cert", K_STR, cert_file,
        "admission certificate (DATA_DIR/node.cert)"),
    TOP("authority", "MESHBEAT_AUTHORITY", "--authority", K_STR, authority,
        "authority id (64 hex), or \"none\" for an open mesh"),
    TOP("log_level", "MESHBEAT_LOG_LEVEL", "--log-level", K_LEVEL, log_level,
        "debug|info|warn|error (info)"),
    TOP("log_format", "MESHBEAT_LOG_FORMAT", "--log-format", K_FORMAT, log_json,
        "text|json (text)"),
    TOP("reset_store", "MESHBEAT_RESET_STORE", "--reset-store", K_BOOL,
        reset_store,
        "start afresh if the store is damaged or lost (set aside)"),
    NUM("payload_interval_ms", K_U32, payload_interval_ms, 100, 86400000,
        "disk and health refresh period (10000)"),
    NUM("commit_interval_ms", K_U32, commit_interval_ms, 1, 60000,
        "store batch period (200)"),
    NUM("event_retention", K_U64, event_retention, 1, 100000000,
        "events kept in the log (100000)"),
    BRIDGE("bridge", "endpoint", "ENDPOINT", "endpoint", K_STR, endpoint, 0, 0,
           "http(s) URL the active bridge posts the mesh's view to (off)"),
    BRIDGE("bridge", "token_file", "TOKEN_FILE", "token-file", K_STR,
           token_file, 0, 0, "file holding the endpoint's Bearer token (none)"),
    BRIDGE("bridge", "ca_file", "CA_FILE", "ca-file", K_STR, ca_file, 0, 0,
           "PEM CA certificates for https (the system's)"),
    BRIDGE("bridge", "interval_ms", "INTERVAL_MS", "interval-ms", K_U32,
           interval_ms, 1000, 86400000,
           "the view posted at least every (30000)"),
    BRIDGE("bridge", "debounce_ms", "DEBOUNCE_MS", "debounce-ms", K_U32,
           debounce_ms, 0, 60000,
           "the view posted this soon after a change (1000)"),
    BRIDGE("bridge", "offline_after_ms", "OFFLINE_AFTER_MS", "offline-after-ms",
           K_U64, offline_after_ms, 0, 604800000,
           "dead this long before machine.offline is sent (0)"),
    BRIDGE("bridge", "connect_timeout_ms", "CONNECT_TIMEOUT_MS",
           "connect-timeout-ms", K_U32, connect_timeout_ms, 100, 600000,
           "connection timeout of a post (5000)"),
    BRIDGE("bridge", "timeout_ms", "TIMEOUT_MS", "timeout-ms", K_U32,
           timeout_ms, 100, 600000, "whole-request timeout of a post (10000)"),
    BRIDGE("bridge", "retry_max_ms", "RETRY_MAX_MS", "retry-max-ms", K_U32,
           retry_max_ms, 100, 3600000,
           "longest backoff between two tries of a post (300000)"),
    BRIDGE("bridge", "outbox_max_bytes", "OUTBOX_MAX_BYTES", "outbox-max-bytes",
           K_U64, outbox_max_bytes, 1048576, 68719476736ull,
           "bound of the undelivered posts kept on disk (67108864)"),
    BRIDGE("bridge", "eligible", "ELIGIBLE", "eligible", K_NAMES, eligible, 0,
           0,
           "node name that may be the bridge (repeatable; comma-separated in "
           "the environment)"),
    BRIDGE("bridge.flynas", "endpoint", "FLYNAS_ENDPOINT", "flynas-endpoint",
           K_STR, flynas_endpoint, 0, 0,
           "Flynas' POST /api/raid/heartbeat URL, one post per device (off)"),
    BRIDGE("bridge.flynas", "token_file", "FLYNAS_TOKEN_FILE",
           "flynas-token-file", K_STR, flynas_token_file, 0, 0,
           "file of lines DEVICE-NAME TOKEN for Flynas"),
    BRIDGE("bridge.webhook", "url", "WEBHOOK_URL", "webhook-url", K_STR,
           webhook_url, 0, 0, "URL for machine.offline/online webhooks (off)"),
    BRIDGE("bridge.webhook", "secret_file", "WEBHOOK_SECRET_FILE",
           "webhook-secret-file", K_STR, webhook_secret_file, 0, 0,
           "file of whsec_ secrets signing the webhooks"),
    RAID("down_out_interval_ms", "DOWN_OUT_INTERVAL_MS", "down-out-interval-ms",
         K_U64, down_out_interval_ms, 1000, 2592000000ull,
         "a dead device's slots are rebuilt elsewhere after (600000)"),
    RAID("max_backfills", "MAX_BACKFILLS", "max-backfills", K_U32,
         max_backfills, 1, 64,
         "reconstructions at once into or out of one device (1)"),
    RAID("max_backfills_mesh", "MAX_BACKFILLS_MESH", "max-backfills-mesh",
         K_U32, max_backfills_mesh, 1, 100000,
         "reconstructions at once in the whole mesh (8)"),
    RAID("min_up_ratio", "MIN_UP_RATIO", "min-up-ratio", K_RATIO,
         min_up_permille, 0, 1000,
         "no automatic out while fewer devices than this share are up (0.3)"),
    RAID("stall_timeout_ms", "STALL_TIMEOUT_MS", "stall-timeout-ms", K_U32,
         stall_timeout_ms, 1000, 86400000,
         "a task without progress this long moves to another target (300000)"),
    RAID("executor", "EXECUTOR", "executor", K_STR, executor, 0, 0,
         "\"builtin\", or the command (sh -c) that runs a task (builtin)"),
    RAID("builtin_rate_bytes", "BUILTIN_RATE_BYTES", "builtin-rate-bytes",
         K_U64, builtin_rate_bytes, 1, 1ull << 40,
         "bytes per second the built-in executor copies (104857600)"),
    RAID("voters", "VOTERS", "voters", K_NAMES, voters, 0, 0,
         "the Raft voters' names, the same list on every coordinator: 1, 3 or "
         "5 (repeatable; comma-separated in the environment; none)"),
    RAID("coordinator_names", "COORDINATOR_NAMES", "coordinator-names", K_NAMES,
         coordinator_names, 0, 0,
         "names that are coordinators besides certificates with the role "
         "(repeatable; comma-separated in the environment; none)"),
};

#define N_TOP (sizeof(top) / sizeof(top[0]))
#define N_SETTINGS (N_TOP + SWIM_N_PARAMS)
_Static_assert(N_SETTINGS <= MB_AGENT_MAX_SETTINGS,
               "raise MB_AGENT_MAX_SETTINGS");

size_t cfg_n_settings(void) {
  return N_SETTINGS;
}

struct setting cfg_setting(size_t i) {
  if (i < N_TOP)
    return top[i];
  const struct swim_param *p = &swim_params[i - N_TOP];
  return (struct setting){.section = "gossip",
                          .name = p->name,
                          .kind = K_PARAM,
                          .off = offsetof(struct mb_agent_config, swim),
                          .size = sizeof(struct swim_config),
                          .min = p->min,
                          .max = p->max,
                          .help = p->help,
                          .param = p};
}

void cfg_setting_key(const struct setting *s, char *out, size_t cap) {
  snprintf(out, cap, "%s%s%s", s->section ? s->section : "",
           s->section ? "." : "", s->name);
}

long cfg_setting_index(const char *key) {
  char k[96];
  for (size_t i = 0; i < N_SETTINGS; i++) {
    struct setting s = cfg_setting(i);
    cfg_setting_key(&s, k, sizeof(k));
    if (strcmp(k, key) == 0)
      return (long)i;
  }
  return -1;
}

const void *cfg_field(const struct mb_agent_config *c,
                      const struct setting *s) {
  return (const char *)c + s->off;
}

void cfg_origin_text(const struct mb_agent_config *c,
                     const struct mb_config_origin *o, const struct setting *s,
                     char *out, size_t cap) {
  switch (o->source) {
  case MB_SOURCE_FILE:
    snprintf(out, cap, "%s:%u", c->config_file, o->line);
    return;
  case MB_SOURCE_ENV:
    snprintf(out, cap, "%s", s->env);
    return;
  case MB_SOURCE_FLAG:
    snprintf(out, cap, "%s", s->flag);
    return;
  case MB_SOURCE_DEFAULT:
    break;
  }
  snprintf(out, cap, "default");
}

void mb_agent_config_source(const struct mb_agent_config *c, const char *key,
                            char *out, size_t cap) {
  long i = cfg_setting_index(key);
  if (i < 0) {
    snprintf(out, cap, "?");
    return;
  }
  struct setting s = cfg_setting((size_t)i);
  cfg_origin_text(c, &c->origin[i], &s, out, cap);
}
