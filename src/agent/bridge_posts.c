/*
 * The consolidated view and Flynas' per-device heartbeats, queued while
 * this node is the active bridge: one round every interval_ms and soon
 * after a change.  A snapshot is only worth its latest version, so a new
 * round replaces the round still pending (an outage leaves one view to
 * send, not one per interval); the entry in flight is left alone.  When
 * the node stops being the active bridge its rounds are dropped: the next
 * bridge posts its own.
 */
#include "bridge_state.h"
#include "raid_state.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DROP 1024

struct pending {
  uint64_t seq[MAX_DROP];
  size_t n;
  int64_t next_attempt_ms; /* the latest of those dropped */
};

static int collect(const struct mb_store_outbox_entry *e, void *ctx) {
  struct pending *p = ctx;
  if (p->n < MAX_DROP)
    p->seq[p->n++] = e->seq;
  if (e->next_attempt_ms > p->next_attempt_ms)
    p->next_attempt_ms = e->next_attempt_ms;
  return 0;
}

/* Deletes d's pending entries, but the one in flight; returns when the
 * next attempt was due among them, which the new round inherits: a
 * replaced snapshot must not reset the backoff of an endpoint that is
 * down. */
static int64_t drop_pending(struct agent_bridge *b,
                            struct agent_dest_state *d) {
  struct pending *p = malloc(sizeof(*p));
  if (p == NULL)
    return 0;
  p->n = 0;
  p->next_attempt_ms = 0;
  mb_store_outbox_peek(b->a->store, d->name, MAX_DROP, collect, p);
  for (size_t i = 0; i < p->n; i++) {
    if (d->in_flight && p->seq[i] == d->in_flight_seq)
      continue;
    if (mb_store_outbox_delete(b->a->store, d->name, p->seq[i]) == 0)
      d->results[AGENT_RESULT_DROPPED]++;
  }
  int64_t next = p->next_attempt_ms;
  free(p);
  d->head_known = false;
  return next;
}

static void append(struct agent_bridge *b, struct agent_dest_state *d,
                   const char *id, char *body, int64_t not_before_ms) {
  struct mb_store_outbox_entry e = {.created_ms = agent_wall_ms(),
                                    .body = (const uint8_t *)body,
                                    .body_len = strlen(body)};
  snprintf(e.dest, sizeof(e.dest), "%s", d->name);
  snprintf(e.id, sizeof(e.id), "%s", id);
  uint64_t seq = 0;
  int rc = mb_store_outbox_append(b->a->store, &e, &seq);
  if (rc == 0 && not_before_ms > e.created_ms)
    mb_store_outbox_attempted(b->a->store, d->name, seq, not_before_ms);
  if (rc == MB_EOUTBOXFULL)
    b->outbox_full++;
  if (rc < 0)
    agent_log(b->a->log, MB_LOG_WARN, NULL, "bridge: %s %s not queued: %s",
              d->name, id, mb_strerror(rc));
}

/* Ids unique per bridge and snapshot: our node ref and the time. */
static void round_id(struct agent_bridge *b, char *out, size_t cap,
                     const char *what, const uint8_t *member, int64_t ms) {
  char self[17], of[17];
  mb_hex_encode(self, b->a->id.pk, 8);
  mb_hex_encode(of, member, 8);
  snprintf(out, cap, "%s-%s-%s-%lld", what, self, of, (long long)ms);
}

static void post_view(struct agent_bridge *b, int64_t now_ms) {
  struct agent_dest_state *d = &b->dest[AGENT_DEST_VIEW];
  struct agent_raid_snapshot raid;
  if (agent_raid_snapshot(b->a, &raid) != 0)
    return;
  struct mb_bridge_view_meta meta = {.cluster = b->a->cfg->cluster,
                                     .election = &b->election,
                                     .generated_ms = now_ms,
                                     .arrays = raid.arrays,
                                     .n_arrays = raid.n_arrays,
                                     .tasks = raid.tasks,
                                     .n_tasks = raid.n_tasks};
  char *body = NULL, id[MB_STORE_DELIVERY_ID_MAX + 1];
  int rc = mb_bridge_view_body(&meta, b->view, b->n_view, &body);
  agent_raid_snapshot_free(&raid);
  if (rc != 0)
    return;
  int64_t not_before = drop_pending(b, d);
  round_id(b, id, sizeof(id), "view", b->a->id.pk, now_ms);
  append(b, d, id, body, not_before);
  free(body);
}

static void post_flynas(struct agent_bridge *b, int64_t now_ms) {
  struct agent_dest_state *d = &b->dest[AGENT_DEST_FLYNAS];
  int64_t not_before = drop_pending(b, d);
  for (size_t i = 0; i < b->n_view; i++) {
    const struct mb_bridge_member *m = &b->view[i];
    char *body = NULL, id[MB_STORE_DELIVERY_ID_MAX + 1];
    if (agent_bridge_flynas_token(&b->secrets, m->name) == NULL)
      continue; /* Flynas knows a device by its token: none, no post */
    if (mb_bridge_flynas_body(m, NULL, &body) != 0)
      continue;
    round_id(b, id, sizeof(id), "fly", m->id, now_ms);
    append(b, d, id, body, not_before);
    free(body);
  }
}

void agent_bridge_post_round(struct agent_bridge *b) {
  if (!b->election.have || !b->election.self_active)
    return;
  int64_t now_ms = agent_wall_ms();
  if (agent_bridge_view_refresh(b) != 0)
    return;
  if (b->dest[AGENT_DEST_VIEW].url[0])
    post_view(b, now_ms);
  if (b->dest[AGENT_DEST_FLYNAS].url[0])
    post_flynas(b, now_ms);
  agent_commit(b->a);
}

void agent_bridge_drop_rounds(struct agent_bridge *b) {
  drop_pending(b, &b->dest[AGENT_DEST_VIEW]);
  drop_pending(b, &b->dest[AGENT_DEST_FLYNAS]);
  agent_commit(b->a);
}
