/*
 * Our certificate at start: verified against the configured authority and
 * our key, not expired by our own clock (peers allow for skew; we leave at
 * our expiry, so we do not start past it); the node's name and failure
 * domain are taken from it.
 */
#include "cert_life_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int refuse_expired(struct agent *a, const char *path) {
  char until[MB_TIME_LEN], cmd[512];
  cert_format_expiry(&a->certlife.info, until, sizeof(until));
  cert_renew_command(a, cmd, sizeof(cmd));
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
  if (cert_left_ms(a) <= 0)
    return refuse_expired(a, path);
  snprintf(a->name, sizeof(a->name), "%s", cl->info.name);
  snprintf(a->domain, sizeof(a->domain), "%s", cl->info.domain);
  snprintf(cl->path, sizeof(cl->path), "%s", path);
  cl->held = true;
  return MB_OK;
}
