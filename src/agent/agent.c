/*
 * The agent's lifecycle: start (store, identity, core, socket, admin,
 * timers, signals), run the loop, and stop (graceful leave, last commit,
 * close everything) on SIGTERM/SIGINT or an admin "leave".
 */
#include "agent_internal.h"
#include "config_internal.h"

#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Long enough for the leave datagrams to go out and be relayed once. */
#define LEAVE_LINGER_MS 300
/* At exit, how long the log may take to write out what it queued. */
#define LOG_FLUSH_MS 2000

/* ---- identity ------------------------------------------------------------ */

/* The key exists: the start's checks made it (identity.c). */
static int load_key(struct agent *a) {
  char path[PATH_MAX];
  cfg_key_path(a->cfg, path, sizeof(path));
  int rc = mb_identity_load(&a->id, path);
  if (rc != MB_OK)
    agent_log(a->log, MB_LOG_ERROR, NULL, "cannot load node key %s: %s", path,
              mb_strerror(rc));
  return rc;
}

static int read_file(const char *path, uint8_t *buf, size_t cap, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return -errno;
  *len = fread(buf, 1, cap, f);
  bool too_big = fgetc(f) != EOF;
  fclose(f);
  return too_big ? MB_ETOOBIG : MB_OK;
}

/* No authority, or authority = "none": an open mesh, which admits anyone
 * who knows the cluster name and answers a spoofed join with its whole
 * view (14 KB of spoofed joins drew 370 KB at their victim).  The checks
 * refused it unless bound to loopback or asked for with "none". */
bool agent_open_mesh(const struct agent *a) {
  return cfg_open_mesh(a->cfg);
}

static void warn_open_mesh(struct agent *a) {
  if (!agent_open_mesh(a))
    return;
  agent_log(a->log, MB_LOG_WARN, NULL,
            "no authority: open mesh, any node that knows the cluster name "
            "is admitted%s",
            a->cfg->cert_file[0] ? " (the certificate is not used)" : "");
}

/* With an authority our certificate must be valid and ours (the start's
 * checks said so already; this reads it for the core); without one the
 * mesh is open and no certificate is used. */
static int load_cert(struct agent *a) {
  char path[PATH_MAX];
  a->cert_len = 0;
  if (agent_open_mesh(a))
    return MB_OK;
  cfg_cert_path(a->cfg, path, sizeof(path));
  int rc = read_file(path, a->cert, sizeof(a->cert), &a->cert_len);
  if (rc != MB_OK) {
    agent_log(a->log, MB_LOG_ERROR, NULL, "cannot read certificate %s: %s",
              path, mb_strerror(rc));
    return rc;
  }
  return agent_cert_accept(a, path); /* name and domain from it */
}

/* ---- the core --------------------------------------------------------------
 */

static int core_open(struct agent *a, uint64_t incarnation) {
  struct swim_config sc = a->cfg->swim;
  sc.cluster = a->cfg->cluster;
  randombytes_buf(&sc.seed, sizeof(sc.seed));
  sc.require_cert = !agent_open_mesh(a);
  if (sc.require_cert)
    mb_node_id_parse(sc.authority, a->cfg->authority);
  struct swim_self self = {.id = &a->id,
                           .cert = a->cert_len ? a->cert : NULL,
                           .cert_len = a->cert_len,
                           .name = a->name,
                           .domain = a->domain,
                           .addr = a->advertise,
                           .incarnation = incarnation};
  a->vc = mb_vcache_new(4096);
  a->swim = swim_new(&sc, &self, a->vc, agent_now(a), agent_wall_ms());
  if (a->swim == NULL) {
    agent_log(a->log, MB_LOG_ERROR, NULL,
              "the membership core refused the "
              "configuration (see docs/protocol.md)");
    return MB_EINVAL;
  }
  agent_sample_payload(&a->payload, a->data_dir);
  swim_set_payload(a->swim, agent_now(a), agent_wall_ms(), a->payload.capacity,
                   a->payload.available, &a->payload.health, false);
  a->told = a->payload;
  return MB_OK;
}

/* Numeric seeds and the stored view at once; host names as they resolve
 * (seeds.c). */
static void join_mesh(struct agent *a) {
  struct mb_addr seeds[AGENT_MAX_SEEDS];
  size_t n = 0, restored = 0;
  for (size_t i = 0; i < a->cfg->n_join; i++)
    if (mb_addr_parse(a->cfg->join[i], &seeds[n]) == MB_OK)
      n++;
    else
      agent_seed_resolve(a, a->cfg->join[i]);
  agent_store_restore(a, seeds + n, &restored, MB_AGENT_MAX_JOIN);
  n += restored;
  if (n > 0) {
    swim_join(a->swim, agent_now(a), seeds, n);
    agent_join_started(a);
  }
}

/* ---- timers and signals
 * ------------------------------------------------------ */

static void on_payload_timer(uv_timer_t *t) {
  struct agent *a = t->data;
  agent_sample_payload(&a->payload, a->data_dir);
  bool announce = agent_payload_changed(&a->payload, &a->told);
  swim_set_payload(a->swim, agent_now(a), agent_wall_ms(), a->payload.capacity,
                   a->payload.available, &a->payload.health, announce);
  if (announce)
    a->told = a->payload;
  agent_flush(a);
}

static void on_commit_timer(uv_timer_t *t) {
  agent_commit(t->data);
}

static void on_watchdog_timer(uv_timer_t *t) {
  (void)t;
  agent_notify("WATCHDOG=1");
}

static void close_handle(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

static void on_admin_closed(void *arg) {
  struct agent *a = arg;
  a->admin = NULL;
  uv_walk(&a->loop, close_handle, NULL);
}

static void finish_stop(uv_timer_t *t) {
  struct agent *a = t->data;
  agent_commit(a);
  agent_http_close(a);
  if (a->admin != NULL)
    mb_admin_close(a->admin, on_admin_closed, a);
  else
    on_admin_closed(a);
}

void agent_begin_stop(struct agent *a, const char *why) {
  if (a->stopping)
    return;
  a->stopping = true;
  agent_notify("STOPPING=1");
  agent_log(a->log, MB_LOG_INFO, NULL, "leaving the mesh (%s)", why);
  swim_leave(a->swim, agent_now(a));
  agent_flush(a);
  uv_timer_stop(&a->core_timer);
  uv_timer_stop(&a->payload_timer);
  agent_seeds_stop(a);
  uv_timer_start(&a->stop_timer, finish_stop, LEAVE_LINGER_MS, 0);
}

static void on_signal(uv_signal_t *s, int signum) {
  struct agent *a = s->data;
  if (signum == SIGHUP) {
    struct mb_agent_config fresh;
    bool help;
    char err[256];
    if (mb_agent_config_load(&fresh, a->cfg->argc, a->cfg->argv, &help, err,
                             sizeof(err)) == MB_OK) {
      agent_logger_set(a->log, fresh.log_level, fresh.log_json);
      agent_log(a->log, MB_LOG_INFO, NULL, "reloaded: log level and format");
    } else {
      agent_log(a->log, MB_LOG_ERROR, NULL, "reload refused: %s", err);
    }
    agent_cert_reload(a);
    return;
  }
  if (a->stopping) { /* a second signal: no more waiting */
    uv_stop(&a->loop);
    return;
  }
  agent_begin_stop(a, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void start_timer(struct agent *a, uv_timer_t *t, uv_timer_cb cb,
                        uint64_t every) {
  uv_timer_init(&a->loop, t);
  t->data = a;
  if (cb != NULL && every > 0)
    uv_timer_start(t, cb, every, every);
}

static void start_signal(struct agent *a, uv_signal_t *s, int signum) {
  uv_signal_init(&a->loop, s);
  s->data = a;
  uv_signal_start(s, on_signal, signum);
}

static void start_handles(struct agent *a) {
  start_timer(a, &a->payload_timer, on_payload_timer,
              a->cfg->payload_interval_ms);
  start_timer(a, &a->commit_timer, on_commit_timer, a->cfg->commit_interval_ms);
  start_timer(a, &a->watchdog_timer, on_watchdog_timer,
              agent_watchdog_interval_ms());
  start_timer(a, &a->stop_timer, NULL, 0);
  start_signal(a, &a->sigint, SIGINT);
  start_signal(a, &a->sigterm, SIGTERM);
  start_signal(a, &a->sighup, SIGHUP);
}

/* ---- run
 * ------------------------------------------------------------------------ */

/* Incarnations are reserved last, once nothing can fail any more: a start
 * that fails uses none. */
static int start(struct agent *a) {
  uint64_t incarnation = 0;
  warn_open_mesh(a);
  /* before the store: a refusal leaves it untouched */
  int rc = agent_advertise_choose(a);
  if (rc == MB_OK)
    rc = agent_store_open(a, &incarnation);
  if (rc == MB_OK)
    rc = load_key(a);
  if (rc == MB_OK)
    rc = load_cert(a);
  if (rc == MB_OK)
    rc = core_open(a, incarnation);
  if (rc == MB_OK)
    rc = agent_records_restore(a); /* before members: revocations first */
  if (rc == MB_OK)
    rc = agent_net_open(a);
  if (rc == MB_OK)
    rc = agent_admin_open(a);
  if (rc == MB_OK)
    rc = agent_http_open(a);
  if (rc == MB_OK)
    rc = agent_reserve_incarnations(a);
  if (rc != MB_OK)
    return rc;
  start_handles(a);
  agent_cert_start(a);
  join_mesh(a);
  agent_flush(a);
  char hex[MB_NODE_ID_HEX_LEN + 1], addr[MB_ADDR_TEXT_MAX];
  mb_node_id_hex(hex, a->id.pk);
  mb_addr_format(addr, sizeof(addr), &a->advertise);
  agent_log(a->log, MB_LOG_INFO,
            json_pack("{s:s, s:s, s:I, s:s}", "id", hex, "addr", addr,
                      "incarnation", (json_int_t)incarnation, "admin",
                      a->admin_path),
            "agent %s started", a->name);
  agent_notify("READY=1");
  return MB_OK;
}

static void cleanup(struct agent *a) {
  if (a->store != NULL) {
    agent_commit(a);
    agent_store_sync_now(a);
  }
  agent_http_close(a);
  if (a->admin != NULL)
    mb_admin_close(a->admin, NULL, NULL);
  a->admin = NULL;
  uv_walk(&a->loop, close_handle, NULL);
  uv_run(&a->loop, UV_RUN_DEFAULT); /* let every close callback run */
  uv_loop_close(&a->loop);
  swim_free(a->swim);
  mb_vcache_free(a->vc);
  mb_store_close(a->store);
  mb_identity_wipe(&a->id);
}

/* The loop runs with the log given; the writer thread is started here and
 * let go of at the end. */
static int run_logged(const struct mb_agent_config *cfg,
                      struct agent_logger *log) {
  struct agent *a = calloc(1, sizeof(*a));
  if (a == NULL)
    return -ENOMEM;
  a->cfg = cfg;
  a->log = log;
  snprintf(a->data_dir, sizeof(a->data_dir), "%s", cfg->data_dir);
  cfg_admin_socket_path(cfg, a->admin_path, sizeof(a->admin_path));
  snprintf(a->name, sizeof(a->name), "%s", cfg->name);
  snprintf(a->domain, sizeof(a->domain), "%s", cfg->domain);
  signal(SIGPIPE, SIG_IGN);
  int rc = uv_loop_init(&a->loop);
  if (rc != 0) {
    free(a);
    return rc;
  }
  /* uv_now is the time cached at loop init: refresh it so the pair maps
   * the core's monotonic times to wall-clock times without a gap. */
  uv_update_time(&a->loop);
  a->started_ms = uv_now(&a->loop);
  a->started_wall_ms = agent_wall_ms();
  if (agent_log_writer_start(log) != MB_OK)
    agent_log(a->log, MB_LOG_WARN, NULL,
              "log lines are written from the loop: a slow "
              "reader of stderr will stall it");
  rc = start(a);
  if (rc == MB_OK)
    uv_run(&a->loop, UV_RUN_DEFAULT);
  cleanup(a);
  if (rc == MB_OK)
    agent_log(a->log, MB_LOG_INFO, NULL, "agent stopped");
  if (rc == MB_OK)
    rc = a->exit_rc;
  agent_log_writer_stop(log, LOG_FLUSH_MS);
  free(a);
  return rc;
}

int mb_agent_run(const struct mb_agent_config *cfg) {
  struct agent_logger log;
  agent_logger_init(&log, cfg->log_level, cfg->log_json);
  return run_logged(cfg, &log);
}

/* 0 ok, 1 failed to start or died, 3 the authority no longer admits us:
 * revoked (records.c) or our certificate expired (cert_life.c), and we
 * left the mesh; the operator, or a unit's RestartPreventExitStatus,
 * knows that restarting will not help until the authority acts.  (2, a
 * usage or configuration error, is found before the agent runs.) */
static int exit_code(int rc) {
  return rc == MB_OK                              ? 0
         : rc == MB_EREVOKED || rc == MB_EEXPIRED ? AGENT_EXIT_REVOKED
         : rc == MB_ECONFIG                       ? 2
                                                  : 1;
}

/* Each line of a report, said as ours; its indented lines as they are. */
static void print_report(const char *text) {
  for (const char *line = text; *line;) {
    size_t n = strcspn(line, "\n");
    fprintf(stderr, "%s%.*s\n",
            line[0] == ' ' ? "" : "meshbeat agent: ", (int)n, line);
    line += n + (line[n] == '\n');
  }
}

/* Checks the settings (making what a first start needs) and runs. */
static int check_and_run(struct mb_agent_config *cfg, int loaded,
                         const char *err) {
  char more[8192];
  struct agent_logger log;
  agent_logger_init(&log, cfg->log_level, cfg->log_json);
  /* Every problem at once; nothing made for a refused configuration. */
  struct cfg_report r;
  cfg_report_init(&r, more, sizeof(more));
  if (cfg_validate(cfg, loaded == MB_OK && !cfg->check_only, &log, &r) !=
          MB_OK ||
      loaded != MB_OK) {
    print_report(loaded != MB_OK ? err : "");
    print_report(more);
    return 2;
  }
  if (cfg->check_only) {
    char *text = mb_agent_config_dump(cfg);
    printf("%s\n", text ? text : "{}");
    free(text);
    return text ? 0 : 1;
  }
  return exit_code(run_logged(cfg, &log));
}

int mb_agent_main(int argc, char **argv) {
  struct mb_agent_config *cfg = calloc(1, sizeof(*cfg));
  if (cfg == NULL) {
    fprintf(stderr, "meshbeat agent: out of memory\n");
    return 1;
  }
  bool help;
  char err[8192];
  int rc = mb_agent_config_load(cfg, argc, argv, &help, err, sizeof(err));
  if (rc == MB_EINVAL) {
    print_report(err);
    rc = 2;
  } else if (help) {
    mb_agent_config_usage();
    rc = 0;
  } else {
    rc = check_and_run(cfg, rc, err);
  }
  free(cfg);
  return rc;
}
