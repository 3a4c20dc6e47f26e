/*
 * The onlines about the active bridge that a follower holds unconfirmed
 * (docs/bridge.md, "Handover").  A bridge that died and came back, or was
 * paused until the mesh declared it dead, never saw itself dead: the
 * others derived its offline and, when they re-admitted it, its online,
 * which they do not send because it is active again.  It derives that
 * online itself, from the episode their cursors carry.  Their trackers
 * close the episode at the re-admission, so a cursor announced after it
 * would no longer name it, and a bridge that heard the earlier cursors
 * before its own refutation, or not at all (they were replaced before
 * they reached it), would never send it.  So a follower names the episode
 * of such an online in its cursor for as long as its outbox holds it,
 * that is until a cursor of the bridge confirms it, and never drops it
 * for staleness.
 */
#include "bridge_state.h"

#include <string.h>

#define HELD_SCAN 256 /* outbox entries looked at, oldest first */

/* Is the entry machine.online about member (64 hex digits)?  Then its
 * incarnation goes to *inc. */
static bool online_about(const struct mb_store_outbox_entry *e,
                         const char *member, uint64_t *inc) {
  json_t *j = json_loadb((const char *)e->body, e->body_len, 0, NULL);
  const char *type = NULL, *id = NULL;
  json_int_t n = -1;
  bool yes = j != NULL &&
             json_unpack(j, "{s:s, s:{s:{s:s}, s:I}}", "type", &type, "data",
                         "machine", "id", &id, "incarnation", &n) == 0 &&
             strcmp(type, "machine.online") == 0 && strcmp(id, member) == 0 &&
             n >= 0;
  if (yes)
    *inc = (uint64_t)n;
  json_decref(j);
  return yes;
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
  const struct agent_bridge *b;
  char active[2 * MB_NODE_ID_LEN + 1];
  struct mb_bridge_episode *out;
  size_t n, max;
};

static int collect_held(const struct mb_store_outbox_entry *e, void *ctx) {
  struct held *h = ctx;
  uint64_t inc;
  if (h->n < h->max && online_about(e, h->active, &inc)) {
    memcpy(h->out[h->n].member, h->b->election.active, MB_NODE_ID_LEN);
    h->out[h->n++].incarnation = inc;
  }
  return 0;
}

size_t agent_bridge_held_onlines(struct agent_bridge *b,
                                 struct mb_bridge_episode *out, size_t max) {
  struct held h = {.b = b, .out = out, .max = max};
  if (!active_other(b, h.active))
    return 0;
  mb_store_outbox_peek(b->a->store, "webhook", HELD_SCAN, collect_held, &h);
  return h.n;
}
