/*
 * Renewal on SIGHUP: the certificate file read again; one from the same
 * authority for the same key, name and domain, valid now, replaces ours
 * in the core (which re-signs our record and spreads it); anything else
 * is refused with a log line and ours kept.
 */
#include "cert_life_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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
  char until[MB_TIME_LEN];
  cert_format_expiry(&a->certlife.info, until, sizeof(until));
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
  char was[MB_TIME_LEN], until[MB_TIME_LEN];
  cert_format_expiry(&cl->info, was, sizeof(was));
  cert_format_expiry(&c, until, sizeof(until));
  memcpy(a->cert, buf, len);
  a->cert_len = len;
  cl->info = c;
  cl->warned_s = 0;
  agent_log(a->log, MB_LOG_INFO,
            json_pack("{s:I}", "expires_at", (json_int_t)c.expires_at),
            "certificate %s renewed: valid until %s (was %s)", cl->path, until,
            was);
  agent_flush(a);
  cert_life_check(a);
}
