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
 *
 * Here the warning window's arithmetic; cert_accept.c the start,
 * cert_expiry.c the warnings and the leave, cert_renewal.c the renewal.
 */
#include "cert_life_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define DAY_S 86400
#define WINDOW_MAX_S (7 * DAY_S)

/* The milestones inside the warning window, in seconds before expiry, the
 * window's own start first. */
static const int64_t marks_s[] = {6 * DAY_S, 5 * DAY_S, 4 * DAY_S,
                                  3 * DAY_S, 2 * DAY_S, DAY_S,
                                  3600,      600,       60};
#define N_MARKS (sizeof(marks_s) / sizeof(marks_s[0]))

/* How long before expiry the warnings start: 10 % of the lifetime, at
 * most 7 days, at least 1 s. */
int64_t cert_window_s(const struct mb_cert *c) {
  int64_t from = c->not_before > 0 ? c->not_before : c->issued_at;
  int64_t w = (c->expires_at - from) / 10;
  return w > WINDOW_MAX_S ? WINDOW_MAX_S : w < 1 ? 1 : w;
}

/* The milestone crossed last when left_ms remain: the smallest one at or
 * above it (0: still outside the window). */
int64_t cert_mark_at(int64_t window, int64_t left_ms) {
  if (left_ms > window * 1000)
    return 0;
  int64_t best = window;
  for (size_t i = 0; i < N_MARKS; i++)
    if (marks_s[i] < best && marks_s[i] * 1000 >= left_ms)
      best = marks_s[i];
  return best;
}

/* The next milestone to cross (0: the expiry itself). */
int64_t cert_mark_below(int64_t window, int64_t left_ms) {
  if (left_ms > window * 1000)
    return window;
  for (size_t i = 0; i < N_MARKS; i++)
    if (marks_s[i] < window && marks_s[i] * 1000 < left_ms)
      return marks_s[i];
  return 0;
}

int64_t cert_left_ms(const struct agent *a) {
  return a->certlife.info.expires_at * 1000 - agent_wall_ms();
}

bool agent_cert_expiring(const struct agent *a, int64_t *left) {
  *left = 0;
  if (!a->certlife.held)
    return false;
  *left = cert_left_ms(a);
  return *left <= cert_window_s(&a->certlife.info) * 1000;
}

/* What the authority runs to renew us. */
void cert_renew_command(const struct agent *a, char *out, size_t cap) {
  char hex[MB_NODE_ID_HEX_LEN + 1];
  mb_node_id_hex(hex, a->id.pk);
  const struct mb_cert *c = &a->certlife.info;
  char name[2 * MB_NAME_MAX + 8], domain[2 * MB_DOMAIN_MAX + 8];
  agent_shell_word(name, sizeof(name), c->name);
  agent_shell_word(domain, sizeof(domain), c->domain);
  snprintf(out, cap,
           "meshbeat cert issue --authority AUTHORITY.key --node-id %s "
           "--name %s%s%s --out node.cert",
           hex, name, c->domain[0] ? " --domain " : "",
           c->domain[0] ? domain : "");
}

void cert_format_expiry(const struct mb_cert *c, char *out, size_t cap) {
  mb_time_format(out, cap, c->expires_at * 1000);
}
