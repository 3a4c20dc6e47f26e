/*
 * Warnings ahead of our certificate's expiry (log lines at the window's
 * milestones; health and metrics read agent_cert_expiring), and at expiry
 * the leave, exit 3.  A timer wakes at the next milestone, at least every
 * minute, so that a wall clock set forward or back moves them.
 */
#include "cert_life_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Checked at least this often, so that a wall clock set forward or back
 * moves the warnings and the leave with it. */
#define RECHECK_MS 60000

static void on_cert_timer(uv_timer_t *t);

static void expire(struct agent *a) {
  char until[MB_TIME_LEN], cmd[512];
  cert_format_expiry(&a->certlife.info, until, sizeof(until));
  cert_renew_command(a, cmd, sizeof(cmd));
  agent_log(
      a->log, MB_LOG_ERROR,
      json_pack("{s:I}", "expires_at", (json_int_t)a->certlife.info.expires_at),
      "certificate expired at %s: leaving the mesh; renew it with "
      "`%s`, install it as %s and start the agent again (renewed "
      "before expiry, SIGHUP loads it without leaving)",
      until, cmd, a->certlife.path);
  a->certlife.expired = true;
  a->exit_rc = MB_EEXPIRED;
  agent_begin_stop(a, "certificate expired");
}

static void warn(struct agent *a, int64_t left) {
  char until[MB_TIME_LEN], cmd[512];
  cert_format_expiry(&a->certlife.info, until, sizeof(until));
  cert_renew_command(a, cmd, sizeof(cmd));
  agent_log(a->log, MB_LOG_WARN,
            json_pack("{s:I, s:I}", "expires_at",
                      (json_int_t)a->certlife.info.expires_at, "left_s",
                      (json_int_t)(left / 1000)),
            "certificate %s expires at %s, in %lld s: the agent leaves the "
            "mesh then; renew it with `%s`, install it as %s and send "
            "SIGHUP (systemctl reload meshbeat)",
            a->certlife.path, until, (long long)(left / 1000), cmd,
            a->certlife.path);
}

/* Warns at each milestone once, leaves at expiry, and sleeps until the
 * next of them (at most RECHECK_MS). */
void cert_life_check(struct agent *a) {
  struct agent_cert *cl = &a->certlife;
  if (!cl->held || a->stopping)
    return;
  int64_t left = cert_left_ms(a), window = cert_window_s(&cl->info);
  if (left <= 0) {
    expire(a);
    return;
  }
  int64_t mark = cert_mark_at(window, left);
  if (mark != 0 && (cl->warned_s == 0 || mark < cl->warned_s)) {
    warn(a, left);
    cl->warned_s = mark;
  }
  int64_t wake = left - cert_mark_below(window, left) * 1000;
  if (wake > RECHECK_MS)
    wake = RECHECK_MS;
  uv_timer_start(&cl->timer, on_cert_timer, (uint64_t)(wake > 0 ? wake : 1), 0);
}

static void on_cert_timer(uv_timer_t *t) {
  cert_life_check(t->data);
}

void agent_cert_start(struct agent *a) {
  uv_timer_init(&a->loop, &a->certlife.timer);
  a->certlife.timer.data = a;
  cert_life_check(a);
}
