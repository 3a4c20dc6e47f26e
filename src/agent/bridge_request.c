/*
 * The headers of one delivery.  Every delivery names its id as
 * Idempotency-Key; the view carries the bridge's Bearer token, a Flynas
 * heartbeat its device's own token (Flynas knows a device by its token),
 * and a webhook its Standard Webhooks headers, signed at sending time
 * with every configured secret.  Secret values go into scratch only, which
 * the caller wipes once curl has copied them.
 */
#include "bridge_state.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void add(struct mb_http_client_header *h, int *n, const char *name,
                const char *value) {
  h[*n].name = name;
  h[*n].value = value;
  (*n)++;
}

/* The device of a Flynas entry, from its id "fly-SELF-DEVICE-MS". */
static const char *flynas_token(struct agent_bridge *b, const char *id) {
  uint8_t ref[8];
  char hex[17];
  if (strncmp(id, "fly-", 4) != 0 || strlen(id) < 4 + 17 + 16)
    return NULL;
  memcpy(hex, id + 4 + 17, 16);
  hex[16] = '\0';
  if (mb_hex_decode(ref, sizeof(ref), hex) != MB_OK)
    return NULL;
  const struct mb_bridge_member *m = agent_bridge_view_find(b, ref, 8);
  return m ? agent_bridge_flynas_token(&b->secrets, m->name) : NULL;
}

static int bearer(struct agent_request_scratch *s, const char *token) {
  int n = snprintf(s->auth, sizeof(s->auth), "Bearer %s", token);
  return n > 0 && (size_t)n < sizeof(s->auth) ? 0 : MB_ETOOBIG;
}

static int webhook(struct agent_bridge *b,
                   const struct mb_store_outbox_entry *e,
                   struct mb_http_client_header *h, int *n,
                   struct agent_request_scratch *s) {
  int64_t ts = agent_wall_ms() / 1000;
  snprintf(s->ts, sizeof(s->ts), "%lld", (long long)ts);
  int rc = mb_webhook_sign(b->secrets.webhook, b->secrets.n_webhook, e->id, ts,
                           e->body, e->body_len, s->sig, sizeof(s->sig));
  if (rc < 0)
    return rc;
  add(h, n, "webhook-id", e->id);
  add(h, n, "webhook-timestamp", s->ts);
  add(h, n, "webhook-signature", s->sig);
  return 0;
}

int agent_bridge_headers(struct agent_bridge *b, struct agent_dest_state *d,
                         const struct mb_store_outbox_entry *e,
                         struct mb_http_client_header *h,
                         struct agent_request_scratch *s) {
  int n = 0, rc = 0;
  memset(s, 0, sizeof(*s));
  add(h, &n, "Content-Type", "application/json");
  add(h, &n, "Idempotency-Key", e->id);
  switch (d->which) {
  case AGENT_DEST_VIEW:
    if (b->secrets.token[0] && (rc = bearer(s, b->secrets.token)) == 0)
      add(h, &n, "Authorization", s->auth);
    break;
  case AGENT_DEST_FLYNAS: {
    const char *token = flynas_token(b, e->id);
    if (token == NULL)
      return -ENOENT;
    if ((rc = bearer(s, token)) == 0)
      add(h, &n, "Authorization", s->auth);
    break;
  }
  case AGENT_DEST_WEBHOOK:
    rc = webhook(b, e, h, &n, s);
    break;
  }
  return rc < 0 ? rc : n;
}
