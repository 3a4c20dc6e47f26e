/*
 * The bridge's end: closed in the stop sequence (its HTTP client first,
 * the requests in flight cancelled, their entries left pending for the
 * next start or the next bridge), freed after the loop.
 */
#include "bridge_state.h"

#include <stdlib.h>

/* Requests in flight are cancelled: their entries stay in the outbox as
 * they were, for the next start or the next bridge. */
void agent_bridge_close(struct agent *a) {
  struct agent_bridge *b = a->bridge;
  if (b == NULL || b->closing)
    return;
  b->closing = true;
  agent_pump_remove(&a->pump, &b->core);
  mb_http_client_close(b->http, NULL, NULL);
  b->http = NULL;
}

void agent_bridge_free(struct agent *a) {
  struct agent_bridge *b = a->bridge;
  if (b == NULL)
    return;
  agent_bridge_secrets_wipe(&b->secrets);
  mb_bridge_transitions_free(b->tr);
  free(b->view);
  free(b);
  a->bridge = NULL;
}
