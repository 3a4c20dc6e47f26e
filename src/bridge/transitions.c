/*
 * Offline/online transitions, exactly once.  The tracker's only state is
 * the set of open episodes (offlines reported and not yet ended), kept
 * sorted by member id; everything else is re-derived from the view at
 * every step, which is what makes a restart (restore, then step) and a
 * handover (another member's tracker, fed its own view) report the same
 * transitions under the same ids and nothing twice.
 */
#include "mb_bridge.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct mb_bridge_transitions {
  char *cluster;
  uint64_t offline_after_ms;
  struct mb_bridge_episode *eps; /* sorted by member id, one per member */
  size_t n, cap;
  uint64_t next_due;
};

struct mb_bridge_transitions *
mb_bridge_transitions_new(const char *cluster, uint64_t offline_after_ms) {
  if (cluster == NULL)
    return NULL;
  struct mb_bridge_transitions *t = calloc(1, sizeof(*t));
  if (t == NULL || (t->cluster = strdup(cluster)) == NULL) {
    free(t);
    return NULL;
  }
  t->offline_after_ms = offline_after_ms;
  t->next_due = UINT64_MAX;
  return t;
}

void mb_bridge_transitions_free(struct mb_bridge_transitions *t) {
  if (t == NULL)
    return;
  free(t->cluster);
  free(t->eps);
  free(t);
}

/* Index of the member's episode, or where it would go (*found false). */
static size_t find(const struct mb_bridge_transitions *t,
                   const uint8_t id[MB_NODE_ID_LEN], bool *found) {
  size_t lo = 0, hi = t->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = memcmp(t->eps[mid].member, id, MB_NODE_ID_LEN);
    if (c == 0)
      return *found = true, mid;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = false;
  return lo;
}

static int open_episode(struct mb_bridge_transitions *t, size_t at,
                        const uint8_t id[MB_NODE_ID_LEN], uint64_t inc) {
  if (t->n == t->cap) {
    if (t->cap >= MB_BRIDGE_MAX_EPISODES)
      return MB_EFULL;
    size_t cap = t->cap == 0 ? 16 : t->cap * 2;
    struct mb_bridge_episode *eps = realloc(t->eps, cap * sizeof(*eps));
    if (eps == NULL)
      return -ENOMEM;
    t->eps = eps, t->cap = cap;
  }
  memmove(&t->eps[at + 1], &t->eps[at], (t->n - at) * sizeof(*t->eps));
  memcpy(t->eps[at].member, id, MB_NODE_ID_LEN);
  t->eps[at].incarnation = inc;
  t->eps[at].unreported = false;
  t->n++;
  return 0;
}

static void close_episode(struct mb_bridge_transitions *t, size_t at) {
  memmove(&t->eps[at], &t->eps[at + 1], (t->n - at - 1) * sizeof(*t->eps));
  t->n--;
}

int mb_bridge_transitions_restore(struct mb_bridge_transitions *t,
                                  const struct mb_bridge_episode *eps,
                                  size_t n) {
  for (size_t i = 0; i < n; i++) {
    bool found;
    size_t at = find(t, eps[i].member, &found);
    if (!found) {
      int rc = open_episode(t, at, eps[i].member, eps[i].incarnation);
      if (rc < 0)
        return rc;
    } else if (eps[i].incarnation > t->eps[at].incarnation) {
      t->eps[at].incarnation = eps[i].incarnation; /* the later death */
      t->eps[at].unreported = false;
    }
  }
  return 0;
}

int mb_bridge_transitions_merge_unseen(struct mb_bridge_transitions *t,
                                       const struct mb_bridge_episode *ep) {
  bool found;
  size_t at = find(t, ep->member, &found);
  if (found && t->eps[at].incarnation >= ep->incarnation)
    return 0;
  if (!found) {
    int rc = open_episode(t, at, ep->member, ep->incarnation);
    if (rc < 0)
      return rc;
  }
  t->eps[at].incarnation = ep->incarnation;
  t->eps[at].unreported = true;
  return 0;
}

static void fill_event(struct mb_bridge_event *ev,
                       const struct mb_bridge_transitions *t,
                       const struct mb_bridge_member *m,
                       enum mb_bridge_event_type type, uint64_t inc) {
  memset(ev, 0, sizeof(*ev));
  ev->type = type;
  mb_bridge_event_id(ev->id, t->cluster, m->id, type, inc);
  if (type == MB_BRIDGE_EV_ONLINE)
    mb_bridge_event_id(ev->ends, t->cluster, m->id, MB_BRIDGE_EV_OFFLINE, inc);
  memcpy(ev->member, m->id, MB_NODE_ID_LEN);
  memcpy(ev->name, m->name, sizeof(ev->name));
  memcpy(ev->domain, m->domain, sizeof(ev->domain));
  ev->incarnation = inc;
}

/* When a dead member's offline is due (saturating). */
static uint64_t due_at(const struct mb_bridge_transitions *t,
                       const struct mb_bridge_member *m) {
  uint64_t since = m->state_since_ms;
  return since > UINT64_MAX - t->offline_after_ms ? UINT64_MAX
                                                  : since + t->offline_after_ms;
}

/* The member's open episode ends when it is seen at a newer incarnation in
 * any state but a leave (a restart, even one that died again). */
static bool ends_episode(const struct mb_bridge_member *m, uint64_t ep_inc) {
  return m->incarnation > ep_inc && m->state != SWIM_LEFT;
}

/* Up to three events for one member (an offline merged unseen, an
 * online, then an offline); returns how many were written, or a negative
 * code.  Stops early at cap, where the next step goes on. */
static int step_member(struct mb_bridge_transitions *t, uint64_t now,
                       const struct mb_bridge_member *m,
                       struct mb_bridge_event *out, size_t cap) {
  size_t k = 0;
  bool found;
  if (m->held)
    return 0; /* see mb_bridge_transitions_step */
  size_t at = find(t, m->id, &found);
  if (found && t->eps[at].unreported) {
    if (k == cap)
      return (int)k;
    fill_event(&out[k++], t, m, MB_BRIDGE_EV_OFFLINE, t->eps[at].incarnation);
    t->eps[at].unreported = false;
  }
  if (found && ends_episode(m, t->eps[at].incarnation)) {
    if (k == cap)
      return (int)k;
    fill_event(&out[k++], t, m, MB_BRIDGE_EV_ONLINE, t->eps[at].incarnation);
    close_episode(t, at);
    found = false;
  }
  if (m->state != SWIM_DEAD || found)
    return (int)k;
  uint64_t due = due_at(t, m);
  if (now < due) {
    if (due < t->next_due)
      t->next_due = due;
    return (int)k;
  }
  if (k == cap)
    return (int)k;
  int rc = open_episode(t, at, m->id, m->incarnation);
  if (rc < 0)
    return rc;
  fill_event(&out[k++], t, m, MB_BRIDGE_EV_OFFLINE, m->incarnation);
  return (int)k;
}

int mb_bridge_transitions_step(struct mb_bridge_transitions *t, uint64_t now,
                               const struct mb_bridge_member *view, size_t n,
                               struct mb_bridge_event *out, size_t cap) {
  if (t == NULL || (view == NULL && n > 0) || (out == NULL && cap > 0))
    return MB_EINVAL;
  t->next_due = UINT64_MAX;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    int rc = step_member(t, now, &view[i], out + k, cap - k);
    if (rc < 0)
      return rc;
    k += (size_t)rc;
  }
  return (int)k;
}

uint64_t mb_bridge_transitions_next_due(const struct mb_bridge_transitions *t) {
  return t->next_due;
}

size_t mb_bridge_transitions_episodes(const struct mb_bridge_transitions *t,
                                      const struct mb_bridge_episode **eps) {
  *eps = t->eps;
  return t->n;
}
