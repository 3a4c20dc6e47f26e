/*
 * The agent's top: `meshbeat agent` checks the settings, starts each part
 * in order (address, store, credentials, gossip core, RAID coordinator,
 * socket, admin, HTTP, incarnations, timers, signals), runs the loop until the
 * stop sequence (stop.c) ends it, and closes what is left.  The parts are in
 * files of their own (docs/design.md, "The agent's layout").
 */
#include "bridge_state.h"
#include "config_internal.h"
#include "raid_state.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* At exit, how long the log may take to write out what it queued. */
#define LOG_FLUSH_MS 2000

static void start_handles(struct agent *a) {
  agent_payload_start(a);
  agent_commit_timer_start(a);
  agent_watchdog_start(a);
  agent_stop_init(a);
  agent_signals_start(a);
}

/* Incarnations are reserved last, once nothing can fail any more: a start
 * that fails uses none. */
static int start(struct agent *a) {
  uint64_t incarnation = 0;
  agent_warn_open_mesh(a);
  /* before the store: a refusal leaves it untouched */
  int rc = agent_advertise_choose(a);
  if (rc == MB_OK)
    rc = agent_store_open(a, &incarnation);
  if (rc == MB_OK)
    rc = agent_credentials_load(a);
  if (rc == MB_OK)
    rc = agent_gossip_open(a, incarnation);
  if (rc == MB_OK)
    rc = agent_records_restore(a); /* before members: revocations first */
  if (rc == MB_OK)
    rc = agent_raid_open(a); /* given the restored RAID records */
  if (rc == MB_OK)
    rc = agent_net_open(a);
  if (rc == MB_OK)
    rc = agent_admin_open(a);
  if (rc == MB_OK)
    rc = agent_http_open(a);
  if (rc == MB_OK)
    rc = agent_bridge_open(a);
  if (rc == MB_OK)
    rc = agent_reserve_incarnations(a);
  if (rc != MB_OK)
    return rc;
  start_handles(a);
  agent_cert_start(a);
  agent_join_mesh(a);
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
  agent_bridge_close(a);
  if (a->admin != NULL)
    mb_admin_close(a->admin, NULL, NULL);
  a->admin = NULL;
  agent_raid_stop(a); /* a start that failed: the executor is idle */
  agent_close_handles(a);
  uv_run(&a->loop, UV_RUN_DEFAULT); /* let every close callback run */
  uv_loop_close(&a->loop);
  agent_raid_free(a); /* before the store its Raft is on */
  agent_bridge_free(a);
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
  agent_pump_init(&a->pump, &a->loop);
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
