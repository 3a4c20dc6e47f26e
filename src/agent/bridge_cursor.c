/*
 * The delivery cursor (docs/bridge.md, "Handover"): every eligible member
 * announces, as a channel record of kind 21 signed by itself, its open
 * episodes, and the active bridge also the ids of the events it delivered
 * lately, how many it delivered and how many wait.  Every other eligible
 * member removes the events named from its own outbox (by id: outboxes
 * number their entries each their own way) and merges the episodes, so
 * the next bridge sends exactly what the first had not confirmed, and
 * ends the offlines it reported.  The followers' episodes matter for one
 * event above all: a bridge's own machine.online, which it cannot derive
 * from its own view (it never saw itself dead) and the others, who now
 * see it active, do not send.
 * An event the cursor never named is kept, and sent again at a handover:
 * the receiver de-duplicates by id.  Kept at most until an active bridge
 * that is caught up (nothing pending) has had FOLLOWER_GRACE_MS to derive
 * it too.
 */
#include "bridge_state.h"

#include <stdlib.h>
#include <string.h>

#define ANNOUNCE_EVERY_MS 1000 /* at most, while delivering */
#define FOLLOWER_GRACE_MS (10 * 60 * 1000)

static bool raw_id(const char *event_id, uint8_t raw[16]) {
  return strncmp(event_id, "evt_", 4) == 0 &&
         mb_hex_decode(raw, 16, event_id + 4) == MB_OK;
}

static void remember(struct agent_bridge *b, const uint8_t raw[16]) {
  memcpy(b->confirmed[b->next_confirmed], raw, 16);
  b->next_confirmed = (b->next_confirmed + 1) % AGENT_CONFIRMED_IDS;
  if (b->n_confirmed < AGENT_CONFIRMED_IDS)
    b->n_confirmed++;
}

bool agent_bridge_confirmed(const struct agent_bridge *b,
                            const char *event_id) {
  uint8_t raw[16];
  if (!raw_id(event_id, raw))
    return false;
  for (size_t i = 0; i < b->n_confirmed; i++)
    if (memcmp(b->confirmed[i], raw, 16) == 0)
      return true;
  return false;
}

void agent_bridge_delivered(struct agent_bridge *b, const char *event_id) {
  uint8_t raw[16];
  b->delivered_total++;
  if (!raw_id(event_id, raw))
    return;
  remember(b, raw);
  if (b->n_delivered == AGENT_CURSOR_IDS) {
    memmove(b->delivered[0], b->delivered[1],
            (AGENT_CURSOR_IDS - 1) * sizeof(b->delivered[0]));
    b->n_delivered--;
  }
  memcpy(b->delivered[b->n_delivered++], raw, sizeof(raw));
  agent_bridge_cursor_soon(b);
}

void agent_bridge_cursor_soon(struct agent_bridge *b) {
  if (b->cursor_due != AGENT_PUMP_NEVER)
    return; /* at most once a second */
  uint64_t now = agent_bridge_now(b);
  uint64_t next = b->cursor_sent_at + ANNOUNCE_EVERY_MS;
  b->cursor_due = b->cursor_sent_at != 0 && next > now ? next : now;
}

static void add_episode(struct mb_bridge_cursor *c,
                        const struct mb_bridge_episode *ep) {
  for (size_t i = 0; i < c->n_episodes; i++)
    if (memcmp(c->episodes[i].member, ep->member, MB_NODE_REF_LEN) == 0)
      return; /* one per member: the tracker's comes first */
  memcpy(c->episodes[c->n_episodes].member, ep->member, MB_NODE_REF_LEN);
  c->episodes[c->n_episodes++].incarnation = ep->incarnation;
}

/* The latest ids delivered, as many as fit beside the open episodes:
 * ids_max of them. */
static void fill(struct agent_bridge *b, struct mb_bridge_cursor *c,
                 size_t ids_max) {
  memset(c, 0, sizeof(*c));
  size_t skip = b->n_delivered > ids_max ? b->n_delivered - ids_max : 0;
  c->n_events = b->n_delivered - skip;
  memcpy(c->events, b->delivered[skip], c->n_events * MB_CURSOR_EVENT_ID_LEN);
  c->delivered = b->delivered_total;
  struct mb_store_outbox_depth d;
  if (mb_store_outbox_depth(b->a->store, "webhook", &d) == 0)
    c->pending = d.pending;
  const struct mb_bridge_episode *eps;
  size_t n = mb_bridge_transitions_episodes(b->tr, &eps);
  for (size_t i = 0; i < n && i < MB_CURSOR_MAX_EPISODES; i++)
    add_episode(c, &eps[i]);
  struct mb_bridge_episode held[MB_CURSOR_MAX_EPISODES];
  n = agent_bridge_held_onlines(b, held, MB_CURSOR_MAX_EPISODES);
  for (size_t i = 0; i < n && c->n_episodes < MB_CURSOR_MAX_EPISODES; i++)
    add_episode(c, &held[i]);
}

/* Fewer ids when the episodes leave no room for all of them. */
static int encode(struct agent_bridge *b, uint8_t *body, size_t *len) {
  struct mb_bridge_cursor cur;
  int rc = MB_ETOOBIG;
  for (size_t ids = MB_CURSOR_MAX_EVENTS; rc == MB_ETOOBIG; ids--) {
    fill(b, &cur, ids);
    rc = mb_wire_cursor_body(&cur, body, MB_CHANNEL_BODY_MAX, len);
    if (ids == 0)
      break;
  }
  return rc;
}

static int announce(struct agent_bridge *b) {
  uint8_t body[MB_CHANNEL_BODY_MAX], rec[MB_WIRE_MSG_MAX];
  size_t body_len = 0, len = 0;
  int64_t now_ms = agent_wall_ms();
  int64_t version = now_ms > b->cursor_version ? now_ms : b->cursor_version + 1;
  int rc = encode(b, body, &body_len);
  if (rc == MB_OK)
    rc = mb_wire_channel_record_sign(&b->a->id, b->a->cfg->cluster,
                                     MB_REC_BRIDGE_CURSOR, b->a->id.pk,
                                     MB_NODE_ID_LEN, (uint64_t)version, now_ms,
                                     0, body, body_len, rec, sizeof(rec), &len);
  if (rc == MB_OK)
    rc = swim_record_offer(b->a->swim, agent_now(b->a), rec, len);
  if (rc == MB_OK)
    b->cursor_version = version;
  agent_flush(b->a);
  return rc;
}

void agent_bridge_cursor_tick(struct agent_bridge *b, uint64_t now) {
  if (now < b->cursor_due)
    return;
  b->cursor_due = AGENT_PUMP_NEVER;
  if (!b->eligible)
    return;
  int rc = announce(b);
  b->cursor_sent_at = now;
  if (rc != MB_OK) {
    agent_log(b->a->log, MB_LOG_WARN, NULL,
              "bridge: cannot announce the delivery cursor: %s",
              mb_strerror(rc));
    b->cursor_due = now + ANNOUNCE_EVERY_MS;
  }
}

struct old_entries {
  const struct agent_bridge *b;
  int64_t before_ms;
  uint64_t seq[256];
  size_t n;
};

static int collect_old(const struct mb_store_outbox_entry *e, void *ctx) {
  struct old_entries *o = ctx;
  if (e->created_ms < o->before_ms && o->n < 256 &&
      !agent_bridge_about_active(o->b, e))
    o->seq[o->n++] = e->seq;
  return 0;
}

/* Ours, older than the grace, while the active bridge has nothing
 * pending: it derived them too and delivered them, or never will.  Not
 * an online about the active bridge itself: it derives that one only
 * from our cursor (bridge_held.c), so it is late, never done without. */
static void drop_stale(struct agent_bridge *b, int64_t issued_ms) {
  struct old_entries *o = calloc(1, sizeof(*o));
  if (o == NULL)
    return;
  o->b = b;
  o->before_ms = issued_ms - FOLLOWER_GRACE_MS;
  mb_store_outbox_peek(b->a->store, "webhook", 256, collect_old, o);
  for (size_t i = 0; i < o->n; i++)
    mb_store_outbox_delete(b->a->store, "webhook", o->seq[i]);
  free(o);
}

static bool signed_by_active(struct agent_bridge *b,
                             const struct swim_output *o) {
  return b->election.have &&
         memcmp(o->rec.signer, b->election.active, MB_NODE_ID_LEN) == 0;
}

/* Ours is the core's: the view is as of the last evaluation, and a
 * cursor heard in the same batch as the claim of our death we refuted
 * must already see the refutation. */
static uint64_t incarnation_now(struct agent_bridge *b,
                                const struct mb_bridge_member *m) {
  return m->is_self ? swim_self_incarnation(b->a->swim) : m->incarnation;
}

/* Which of another member's episodes are ours to take:
 * - the active bridge's: the offlines it reported, ours to end;
 * - a follower's about ourselves: we never saw ourselves dead;
 * - while we are the active bridge, a follower's: an online it holds
 *   (bridge_held.c) of a death we never saw, which only we may send.
 * Any other follower's episode is not: an offline of another member it
 * derived before us must not stop us reporting it. */
static bool ours_to_take(const struct agent_bridge *b,
                         const struct mb_bridge_member *m, bool from_active) {
  return from_active || m->is_self ||
         (b->election.have && b->election.self_active);
}

static void merge_episode(struct agent_bridge *b,
                          const struct mb_cursor_episode *e, bool from_active) {
  const struct mb_bridge_member *m =
      agent_bridge_view_find(b, e->member, MB_NODE_REF_LEN);
  /* Only an episode the member has ended in our view: one that is still
   * open there we derive ourselves, and merged now it would keep its
   * offline out of our outbox (a handover during an outage would then
   * lose it). */
  if (m == NULL || !ours_to_take(b, m, from_active) ||
      incarnation_now(b, m) <= e->incarnation)
    return;
  struct mb_bridge_episode ep = {.incarnation = e->incarnation};
  memcpy(ep.member, m->id, MB_NODE_ID_LEN);
  /* The active bridge's: an offline it reported, kept as ours.  A
   * follower's: a death we never saw, whose offline our next step reports
   * (and keeps, with the event) ahead of the online. */
  if (!from_active)
    mb_bridge_transitions_merge_unseen(b->tr, &ep);
  else if (mb_bridge_transitions_restore(b->tr, &ep, 1) == 0)
    mb_store_episode_put(b->a->store, ep.member, ep.incarnation);
}

static void apply(struct agent_bridge *b, const struct mb_bridge_cursor *c,
                  int64_t issued_ms, bool from_active) {
  for (size_t i = 0; i < c->n_events; i++) {
    char id[MB_BRIDGE_EVENT_ID_LEN + 1] = "evt_";
    uint64_t seq;
    mb_hex_encode(id + 4, c->events[i], MB_CURSOR_EVENT_ID_LEN);
    if (!agent_bridge_confirmed(b, id))
      remember(b, c->events[i]);
    if (mb_store_outbox_find(b->a->store, "webhook", id, &seq) == 0)
      mb_store_outbox_delete(b->a->store, "webhook", seq);
  }
  if (c->pending == 0 && from_active)
    drop_stale(b, issued_ms);
  for (size_t i = 0; i < c->n_episodes; i++)
    merge_episode(b, &c->episodes[i], from_active);
  b->cursors_applied++;
  b->dest[AGENT_DEST_WEBHOOK].head_known = false;
  agent_commit(b->a);
  agent_bridge_poke(b); /* a merged episode may end at once (ours) */
}

static int read_body(const uint8_t *raw, size_t len, struct mb_record *rec,
                     struct mb_bridge_cursor *c) {
  int rc = mb_wire_record_parse(raw, len, rec);
  return rc == MB_OK
             ? mb_wire_cursor_parse(rec->u.ch.body, rec->u.ch.body_len, c)
             : rc;
}

void agent_bridge_cursor_heard(struct agent_bridge *b,
                               const struct swim_output *o) {
  if (o->rec.kind != MB_REC_BRIDGE_CURSOR || !b->eligible ||
      memcmp(o->rec.signer, b->a->id.pk, MB_NODE_ID_LEN) == 0)
    return;
  struct mb_record rec;
  struct mb_bridge_cursor c;
  if (read_body(o->buf, o->len, &rec, &c) != MB_OK)
    return; /* the core verified it; a body we cannot read changes nothing */
  apply(b, &c, rec.u.ch.issued_ms, signed_by_active(b, o));
}

/* What the cursors restored with the store say: ids confirmed (deleted
 * from our outbox, remembered) and our own episodes; not the others' nor
 * the stale-drop, which need to know the active bridge. */
void agent_bridge_cursors_read(struct agent_bridge *b) {
  b->cursors_read = true;
  for (size_t i = 0; i < swim_record_count(b->a->swim); i++) {
    struct swim_record_info r;
    struct mb_bytes raw;
    struct mb_record rec;
    struct mb_bridge_cursor c;
    if (swim_record_get(b->a->swim, i, &r, &raw) != MB_OK ||
        r.kind != MB_REC_BRIDGE_CURSOR ||
        memcmp(r.signer, b->a->id.pk, MB_NODE_ID_LEN) == 0 ||
        read_body(raw.p, raw.len, &rec, &c) != MB_OK)
      continue;
    apply(b, &c, rec.u.ch.issued_ms, false);
  }
}
