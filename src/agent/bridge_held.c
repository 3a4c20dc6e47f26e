/*
 * The onlines a follower holds unconfirmed (docs/bridge.md, "Handover"),
 * named in its cursor as their episodes until a cursor of the active
 * bridge confirms them.  Every eligible member derives events from its
 * own view, and the active bridge may not have derived one the others
 * did: a bridge that died and came back, or was paused until the mesh
 * declared it dead, never saw itself dead; one that restarted while a
 * member was down never saw that member die.  The others derived the
 * offline and, when they re-admitted the member, its online, which they
 * do not send while another is active.  Their trackers close the episode
 * at the re-admission, so a cursor announced after it would no longer
 * name it: so they name the episode of every online they hold, and the
 * active bridge derives that online (and sends its offline first) from
 * whichever cursor reaches it.  An online about the active bridge itself
 * is never dropped for staleness: only the followers can tell it of it.
 */
#include "bridge_state.h"

#include <string.h>

#define HELD_SCAN 256 /* outbox entries looked at, oldest first */

/* Is the entry a machine.online?  Then the member's id (64 hex digits)
 * goes to hex and the incarnation of the death it ends to *inc. */
static bool online_of(const struct mb_store_outbox_entry *e,
                      char hex[2 * MB_NODE_ID_LEN + 1], uint64_t *inc) {
  json_t *j = json_loadb((const char *)e->body, e->body_len, 0, NULL);
  const char *type = NULL, *id = NULL;
  json_int_t n = -1;
  bool yes = j != NULL &&
             json_unpack(j, "{s:s, s:{s:{s:s}, s:I}}", "type", &type, "data",
                         "machine", "id", &id, "incarnation", &n) == 0 &&
             strcmp(type, "machine.online") == 0 &&
             strlen(id) == 2 * MB_NODE_ID_LEN && n >= 0;
  if (yes) {
    memcpy(hex, id, 2 * MB_NODE_ID_LEN + 1);
    *inc = (uint64_t)n;
  }
  json_decref(j);
  return yes;
}

/* Is the entry machine.online about member (64 hex digits)? */
static bool online_about(const struct mb_store_outbox_entry *e,
                         const char *member, uint64_t *inc) {
  char hex[2 * MB_NODE_ID_LEN + 1];
  return online_of(e, hex, inc) && strcmp(hex, member) == 0;
}

/* The active bridge's id in hex, when it is another member. */
static bool active_other(const struct agent_bridge *b,
                         char hex[2 * MB_NODE_ID_LEN + 1]) {
  if (!b->election.have || b->election.self_active)
    return false;
  mb_hex_encode(hex, b->election.active, MB_NODE_ID_LEN);
  return true;
}

bool agent_bridge_about_active(const struct agent_bridge *b,
                               const struct mb_store_outbox_entry *e) {
  char hex[2 * MB_NODE_ID_LEN + 1];
  uint64_t inc;
  return active_other(b, hex) && online_about(e, hex, &inc);
}

struct held {
  struct mb_bridge_episode *out;
  size_t n, max;
};

static int collect_held(const struct mb_store_outbox_entry *e, void *ctx) {
  struct held *h = ctx;
  char hex[2 * MB_NODE_ID_LEN + 1];
  uint64_t inc;
  if (h->n < h->max && online_of(e, hex, &inc) &&
      mb_hex_decode(h->out[h->n].member, MB_NODE_ID_LEN, hex) == MB_OK)
    h->out[h->n++].incarnation = inc;
  return 0;
}

size_t agent_bridge_held_onlines(struct agent_bridge *b,
                                 struct mb_bridge_episode *out, size_t max) {
  struct held h = {.out = out, .max = max};
  char hex[2 * MB_NODE_ID_LEN + 1];
  if (!active_other(b, hex))
    return 0; /* the active bridge sends its own */
  mb_store_outbox_peek(b->a->store, "webhook", HELD_SCAN, collect_held, &h);
  return h.n;
}
