/*
 * The bridge's view: every member of the gossip core's table, as the pure
 * logic takes it, and the election over it.  Eligibility is the core's
 * verdict (the `bridge` role in a member's certificate, or the configured
 * names), so every member of the mesh reaches the same one.
 */
#include "bridge_state.h"

#include <stdlib.h>
#include <string.h>

static int reserve(struct agent_bridge *b, size_t n) {
  if (n <= b->cap_view)
    return 0;
  size_t cap = b->cap_view ? b->cap_view : 16;
  while (cap < n)
    cap *= 2;
  struct mb_bridge_member *v = realloc(b->view, cap * sizeof(*v));
  if (v == NULL)
    return -ENOMEM;
  b->view = v;
  b->cap_view = cap;
  return 0;
}

/* Our own figures are the freshest there are: the payload as sampled,
 * which our signed record catches up with at its next announcement. */
static void fill_self(struct agent_bridge *b, struct mb_bridge_member *m) {
  m->health = b->a->payload.health;
  m->last_seen_ms = agent_wall_ms();
}

int agent_bridge_view_refresh(struct agent_bridge *b) {
  struct swim *s = b->a->swim;
  size_t n = swim_member_count(s);
  if (reserve(b, n) != 0)
    return -ENOMEM;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    struct swim_member_info m;
    if (swim_member_get(s, i, &m) != MB_OK)
      continue;
    mb_bridge_member_from_swim(&b->view[k], &m, m.bridge_eligible);
    b->view[k].draining = m.draining;
    if (m.is_self) {
      fill_self(b, &b->view[k]);
      b->eligible = m.bridge_eligible;
    }
    k++;
  }
  b->n_view = k;
  return mb_bridge_elect(b->a->cfg->cluster, b->view, k, &b->election);
}

/* A member by its id, or by the first len bytes of it (a node ref). */
const struct mb_bridge_member *
agent_bridge_view_find(struct agent_bridge *b, const uint8_t *id, size_t len) {
  for (size_t i = 0; i < b->n_view; i++)
    if (memcmp(b->view[i].id, id, len) == 0)
      return &b->view[i];
  return NULL;
}
