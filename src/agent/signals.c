/*
 * Signals: SIGTERM and SIGINT make the agent leave (a second one stops the
 * loop at once); SIGHUP reloads what can change without a restart (the
 * log's level and format, a renewed certificate, the bridge's tokens and
 * secrets).
 */
#include "agent_state.h"

#include <signal.h>

static void reload(struct agent *a) {
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
  agent_bridge_reload(a);
}

static void on_signal(uv_signal_t *s, int signum) {
  struct agent *a = s->data;
  if (signum == SIGHUP) {
    reload(a);
    return;
  }
  if (a->stopping) { /* a second signal: no more waiting */
    uv_stop(&a->loop);
    return;
  }
  agent_begin_stop(a, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void start_signal(struct agent *a, uv_signal_t *s, int signum) {
  uv_signal_init(&a->loop, s);
  s->data = a;
  uv_signal_start(s, on_signal, signum);
}

void agent_signals_start(struct agent *a) {
  start_signal(a, &a->sigint, SIGINT);
  start_signal(a, &a->sigterm, SIGTERM);
  start_signal(a, &a->sighup, SIGHUP);
}
