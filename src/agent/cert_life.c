/*
 * Our certificate over its whole life (docs/operations.md, "Certificates'
 * life"):
 *
 *   start    verified: the configured authority, our key, not expired; the
 *            name and failure domain come from it (a setting that says
 *            otherwise was refused before, identity.c: exit 2);
 *   warning  when less than min(7 days, 10 % of its lifetime) remains:
 *            a log warning then, daily, and 1 h, 10 min and 1 min before
 *            expiry (those inside that window); health check
 *            `certificate` degraded all that while; the expiry in
 *            meshbeat_cert_expiry_timestamp_seconds throughout;
 *   renewal  SIGHUP reads the file again: a certificate from the same
 *            authority for the same key, name and domain, valid now,
 *            replaces ours in the core (swim_set_cert), which re-signs
 *            our record and spreads it; anything else is refused with a
 *            log line and ours kept;
 *   expiry   at its not_after the agent says so, leaves the mesh and
 *            exits 3, as when revoked: the authority no longer admits
 *            it.  Peers accept certificates cert_skew_s past their
 *            expiry (clocks differ), so they still hear the leave: the
 *            node shows as left, not dead.
 */
#include "agent_state.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define DAY_S 86400
#define WINDOW_MAX_S (7 * DAY_S)
/* Checked at least this often, so that a wall clock set forward or back
 * moves the warnings and the leave with it. */
#define RECHECK_MS 60000

/* The milestones inside the warning window, in seconds before expiry, the
 * window's own start first. */
static const int64_t marks_s[] = {6 * DAY_S, 5 * DAY_S, 4 * DAY_S,
                                  3 * DAY_S, 2 * DAY_S, DAY_S,
                                  3600,      600,       60};
#define N_MARKS (sizeof(marks_s) / sizeof(marks_s[0]))

/* How long before expiry the warnings start: 10 % of the lifetime, at
 * most 7 days, at least 1 s. */
static int64_t window_s(const struct mb_cert *c) {
  int64_t from = c->not_before > 0 ? c->not_before : c->issued_at;
  int64_t w = (c->expires_at - from) / 10;
  return w > WINDOW_MAX_S ? WINDOW_MAX_S : w < 1 ? 1 : w;
}

/* The milestone crossed last when left_ms remain: the smallest one at or
 * above it (0: still outside the window). */
static int64_t mark_at(int64_t window, int64_t left_ms) {
  if (left_ms > window * 1000)
    return 0;
  int64_t best = window;
  for (size_t i = 0; i < N_MARKS; i++)
    if (marks_s[i] < best && marks_s[i] * 1000 >= left_ms)
      best = marks_s[i];
  return best;
}

/* The next milestone to cross (0: the expiry itself). */
static int64_t mark_below(int64_t window, int64_t left_ms) {
  if (left_ms > window * 1000)
    return window;
  for (size_t i = 0; i < N_MARKS; i++)
    if (marks_s[i] < window && marks_s[i] * 1000 < left_ms)
      return marks_s[i];
  return 0;
}

static int64_t left_ms(const struct agent *a) {
  return a->certlife.info.expires_at * 1000 - agent_wall_ms();
}

bool agent_cert_expiring(const struct agent *a, int64_t *left) {
  *left = 0;
  if (!a->certlife.held)
    return false;
  *left = left_ms(a);
  return *left <= window_s(&a->certlife.info) * 1000;
}

/* What the authority runs to renew us. */
static void renew_command(const struct agent *a, char *out, size_t cap) {
  char hex[MB_NODE_ID_HEX_LEN + 1];
  mb_node_id_hex(hex, a->id.pk);
  const struct mb_cert *c = &a->certlife.info;
  snprintf(out, cap,
           "meshbeat cert issue --authority AUTHORITY.key --node-id %s "
           "--name %s%s%s --out node.cert",
           hex, c->name, c->domain[0] ? " --domain " : "", c->domain);
}

static void format_expiry(const struct mb_cert *c, char *out, size_t cap) {
  mb_admin_format_time(out, cap, c->expires_at * 1000);
}

/* ---- start --------------------------------------------------------------- */

static int refuse_expired(struct agent *a, const char *path) {
  char until[MB_ADMIN_TIME_LEN], cmd[512];
  format_expiry(&a->certlife.info, until, sizeof(until));
  renew_command(a, cmd, sizeof(cmd));
  agent_log(a->log, MB_LOG_ERROR, NULL,
            "certificate %s expired at %s: renew it with `%s` on the "
            "authority host, install it as %s and start the agent again",
            path, until, cmd, path);
  return MB_EEXPIRED;
}

int agent_cert_accept(struct agent *a, const char *path) {
  struct agent_cert *cl = &a->certlife;
  uint8_t auth[MB_NODE_ID_LEN];
  int rc = mb_node_id_parse(auth, a->cfg->authority);
  if (rc == MB_OK)
    rc = mb_cert_verify(a->cert, a->cert_len, auth, agent_wall_ms() / 1000,
                        a->cfg->swim.cert_skew_s, &cl->info);
  if (rc == MB_OK && memcmp(cl->info.node_id, a->id.pk, MB_NODE_ID_LEN) != 0)
    rc = MB_ECERTNODE;
  if (rc == MB_EEXPIRED && mb_cert_decode(a->cert, a->cert_len, &cl->info) ==
                               MB_OK) /* expired beyond the skew */
    return refuse_expired(a, path);
  if (rc != MB_OK) {
    agent_log(a->log, MB_LOG_ERROR, NULL, "certificate %s refused: %s", path,
              mb_strerror(rc));
    return rc;
  }
  /* Peers allow for skew; we leave at our own expiry, so we do not start
   * past it either. */
  if (left_ms(a) <= 0)
    return refuse_expired(a, path);
  snprintf(a->name, sizeof(a->name), "%s", cl->info.name);
  snprintf(a->domain, sizeof(a->domain), "%s", cl->info.domain);
  snprintf(cl->path, sizeof(cl->path), "%s", path);
  cl->held = true;
  return MB_OK;
}

/* ---- warnings and expiry ------------------------------------------------- */

static void on_cert_timer(uv_timer_t *t);

static void expire(struct agent *a) {
  char until[MB_ADMIN_TIME_LEN], cmd[512];
  format_expiry(&a->certlife.info, until, sizeof(until));
  renew_command(a, cmd, sizeof(cmd));
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
  char until[MB_ADMIN_TIME_LEN], cmd[512];
  format_expiry(&a->certlife.info, until, sizeof(until));
  renew_command(a, cmd, sizeof(cmd));
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
static void cert_check(struct agent *a) {
  struct agent_cert *cl = &a->certlife;
  if (!cl->held || a->stopping)
    return;
  int64_t left = left_ms(a), window = window_s(&cl->info);
  if (left <= 0) {
    expire(a);
    return;
  }
  int64_t mark = mark_at(window, left);
  if (mark != 0 && (cl->warned_s == 0 || mark < cl->warned_s)) {
    warn(a, left);
    cl->warned_s = mark;
  }
  int64_t wake = left - mark_below(window, left) * 1000;
  if (wake > RECHECK_MS)
    wake = RECHECK_MS;
  uv_timer_start(&cl->timer, on_cert_timer, (uint64_t)(wake > 0 ? wake : 1), 0);
}

static void on_cert_timer(uv_timer_t *t) {
  cert_check(t->data);
}

void agent_cert_start(struct agent *a) {
  uv_timer_init(&a->loop, &a->certlife.timer);
  a->certlife.timer.data = a;
  cert_check(a);
}

/* ---- renewal ------------------------------------------------------------- */

static int read_cert(const char *path, uint8_t *buf, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return -errno;
  *len = fread(buf, 1, MB_CERT_MAX_LEN, f);
  bool too_big = fgetc(f) != EOF;
  fclose(f);
  return too_big ? MB_ETOOBIG : MB_OK;
}

/* The renewed certificate as the core will take it (it checks the same
 * again), and not expired by our own clock. */
static int check_renewal(struct agent *a, const uint8_t *buf, size_t len,
                         struct mb_cert *c) {
  uint8_t auth[MB_NODE_ID_LEN];
  int rc = mb_node_id_parse(auth, a->cfg->authority);
  if (rc == MB_OK)
    rc = mb_cert_verify(buf, len, auth, agent_wall_ms() / 1000,
                        a->cfg->swim.cert_skew_s, c);
  if (rc == MB_OK && c->expires_at * 1000 <= agent_wall_ms())
    rc = MB_EEXPIRED;
  if (rc == MB_OK && memcmp(c->node_id, a->id.pk, MB_NODE_ID_LEN) != 0)
    rc = MB_ECERTNODE;
  if (rc == MB_OK &&
      (strcmp(c->name, a->name) != 0 || strcmp(c->domain, a->domain) != 0))
    rc = MB_ECERTNAME;
  if (rc == MB_OK)
    rc = swim_set_cert(a->swim, agent_now(a), agent_wall_ms(), buf, len);
  return rc;
}

static void refuse_renewal(struct agent *a, int rc, const struct mb_cert *c) {
  char until[MB_ADMIN_TIME_LEN];
  format_expiry(&a->certlife.info, until, sizeof(until));
  if (rc == MB_ECERTNAME)
    agent_log(a->log, MB_LOG_ERROR, NULL,
              "certificate %s not loaded: it names '%s' in domain '%s', "
              "this node runs as '%s' in domain '%s' (a new name or domain "
              "needs a restart); keeping the one valid until %s",
              a->certlife.path, c->name, c->domain, a->name, a->domain, until);
  else
    agent_log(a->log, MB_LOG_ERROR, NULL,
              "certificate %s not loaded: %s; keeping the one valid until %s",
              a->certlife.path, mb_strerror(rc), until);
}

void agent_cert_reload(struct agent *a) {
  struct agent_cert *cl = &a->certlife;
  if (!cl->held || a->stopping)
    return;
  uint8_t buf[MB_CERT_MAX_LEN];
  size_t len = 0;
  struct mb_cert c;
  memset(&c, 0, sizeof(c));
  int rc = read_cert(cl->path, buf, &len);
  if (rc == MB_OK && len == a->cert_len && memcmp(buf, a->cert, len) == 0) {
    agent_log(a->log, MB_LOG_INFO, NULL, "certificate %s unchanged", cl->path);
    return;
  }
  if (rc == MB_OK)
    rc = check_renewal(a, buf, len, &c);
  if (rc != MB_OK) {
    refuse_renewal(a, rc, &c);
    return;
  }
  char was[MB_ADMIN_TIME_LEN], until[MB_ADMIN_TIME_LEN];
  format_expiry(&cl->info, was, sizeof(was));
  format_expiry(&c, until, sizeof(until));
  memcpy(a->cert, buf, len);
  a->cert_len = len;
  cl->info = c;
  cl->warned_s = 0;
  agent_log(a->log, MB_LOG_INFO,
            json_pack("{s:I}", "expires_at", (json_int_t)c.expires_at),
            "certificate %s renewed: valid until %s (was %s)", cl->path, until,
            was);
  agent_flush(a);
  cert_check(a);
}
