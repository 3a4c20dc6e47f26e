/*
 * Publication: the Raft leader tells every device what the voters know
 * (docs/raid.md, Publication), as signed channel records that the gossip
 * layer keeps at every member and hands to late joiners by anti-entropy.
 *
 * After entries that change an array or a task are applied, the leader
 * compares each array and live task of its replica with what it last
 * published and signs a record of every one that differs (kind 23, 24),
 * at version = the index of the latest apply, the state as of that index.
 * An array gone from the replica is published once as removed, a task
 * that finished (or went with its array) once as done or cancelled, both
 * lapsing after cfg.publish_until_s so they vanish from every table.  A
 * new leader forgets what it published and so republishes everything
 * live at its own index: versions only grow, and whatever the old leader
 * failed to publish is published.
 *
 * The leader record (kind 25: term, leader, voters, counts) goes out when
 * any of these changes, at the Raft index last applied.  A new leader
 * must outbid its predecessor's record, so it waits until it has
 * committed and applied an entry of its own term (its first plan, or any
 * request), which lies past everything a predecessor applied; until then
 * devices keep the old one, and a forward to it ends with MB_ENOTLEADER
 * at worst.
 */
#include "coord_internal.h"

#include <stdlib.h>
#include <string.h>

static void emit(struct mb_coord *c, enum mb_record_kind kind,
                 const uint8_t *subject, size_t subject_len, uint64_t version,
                 int64_t until_s, const uint8_t *body, size_t body_len) {
  uint8_t rec[MB_WIRE_MSG_MAX];
  size_t len;
  if (mb_wire_channel_record_sign(
          c->cfg.id, c->cfg.cluster, kind, subject, subject_len, version,
          c->wall_ms, until_s, body, body_len, rec, sizeof(rec), &len) != MB_OK)
    return;
  struct mb_coord_output o = {.kind = MB_COORD_OUT_RECORD};
  coord_push(c, &o, rec, len);
}

/* A finished record's lapse: at least a second ahead. */
static int64_t lapse_at(const struct mb_coord *c) {
  uint64_t keep = c->cfg.publish_until_s ? c->cfg.publish_until_s : 1;
  return c->wall_ms / 1000 + (int64_t)keep;
}

static void publish_array(struct mb_coord *c,
                          const struct mb_wire_raid_array *sent, uint64_t term,
                          uint64_t index, bool removed) {
  struct mb_wire_raid_array w = *sent;
  w.term = term;
  w.index = index;
  w.removed = removed;
  uint8_t body[MB_CHANNEL_BODY_MAX], subject[MB_WIRE_RAID_ARRAY_SUBJECT_LEN];
  size_t len;
  mb_wire_raid_array_subject(w.name, subject);
  if (mb_wire_raid_array_body_encode(&w, body, sizeof(body), &len) == MB_OK)
    emit(c, MB_REC_RAID_ARRAY, subject, sizeof(subject), index,
         removed ? lapse_at(c) : 0, body, len);
}

static bool task_live(int state) {
  return state == MB_RAID_TASK_QUEUED || state == MB_RAID_TASK_RUNNING;
}

static void publish_task(struct mb_coord *c,
                         const struct mb_wire_raid_task *sent, uint64_t term,
                         uint64_t index) {
  struct mb_wire_raid_task w = *sent;
  w.term = term;
  w.index = index;
  uint8_t body[MB_CHANNEL_BODY_MAX], subject[MB_WIRE_RAID_TASK_SUBJECT_LEN];
  size_t len;
  mb_wire_raid_task_subject(w.id, subject);
  if (mb_wire_raid_task_body_encode(&w, body, sizeof(body), &len) == MB_OK)
    emit(c, MB_REC_RAID_TASK, subject, sizeof(subject), index,
         task_live(w.state) ? 0 : lapse_at(c), body, len);
}

void coord_wire_array(const struct mb_raid_array_info *a,
                      struct mb_wire_raid_array *w) {
  memset(w, 0, sizeof(*w));
  coord_copy_text(w->name, sizeof(w->name), a->name);
  w->level = (uint8_t)a->level;
  w->data = (uint8_t)a->data;
  w->parity = (uint8_t)a->parity;
  w->size = a->size;
  w->state = (uint8_t)a->state;
  w->n_slots = a->n_slots;
  for (size_t s = 0; s < a->n_slots && s < MB_WIRE_RAID_SLOTS_MAX; s++) {
    memcpy(w->slots[s].device, a->slots[s].device, MB_NODE_REF_LEN);
    w->slots[s].state = (uint8_t)a->slots[s].state;
  }
}

void coord_wire_task(const struct mb_raid_task_info *t,
                     struct mb_wire_raid_task *w) {
  memset(w, 0, sizeof(*w));
  w->id = t->id;
  coord_copy_text(w->array, sizeof(w->array), t->array);
  w->slot = (uint8_t)t->slot;
  w->kind = (uint8_t)t->kind;
  w->state = (uint8_t)t->state;
  memcpy(w->target, t->target, MB_NODE_REF_LEN);
  w->n_sources = t->n_sources;
  for (size_t s = 0; s < t->n_sources && s < MB_WIRE_RAID_SLOTS_MAX; s++)
    memcpy(w->sources[s], t->sources[s], MB_NODE_REF_LEN);
  w->bytes = t->bytes;
  w->progress = t->progress;
}

/* Index of name among what was sent, or where it goes (*found false). */
static size_t sent_array(const struct coord_sent *s, const char *name,
                         bool *found) {
  size_t lo = 0, hi = s->n_arrays;
  *found = false;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int cmp = strcmp(s->arrays[mid].name, name);
    if ((*found = cmp == 0))
      return mid;
    if (cmp < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static size_t sent_task(const struct coord_sent *s, uint64_t id, bool *found) {
  size_t lo = 0, hi = s->n_tasks;
  *found = false;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if ((*found = s->tasks[mid].id == id))
      return mid;
    if (s->tasks[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static void diff_arrays(struct mb_coord *c, uint64_t term, uint64_t index) {
  struct coord_sent *s = &c->sent;
  struct mb_raid_array_info *a = malloc(sizeof(*a));
  struct mb_wire_raid_array *w = malloc(sizeof(*w));
  if (a == NULL || w == NULL)
    goto out;
  for (size_t i = s->n_arrays; i-- > 0;)
    if (mb_raid_array_find(c->replica, s->arrays[i].name, a) != 0) {
      publish_array(c, &s->arrays[i], term, index, true);
      memmove(&s->arrays[i], &s->arrays[i + 1],
              (--s->n_arrays - i) * sizeof(*s->arrays));
    }
  size_t n = mb_raid_array_count(c->replica);
  for (size_t i = 0; i < n; i++) {
    bool found;
    if (mb_raid_array_at(c->replica, i, a) != 0)
      continue;
    coord_wire_array(a, w);
    size_t k = sent_array(s, w->name, &found);
    if (found && memcmp(&s->arrays[k], w, sizeof(*w)) == 0)
      continue;
    if (!found) {
      if (coord_grow((void **)&s->arrays, &s->cap_arrays, s->n_arrays,
                     sizeof(*s->arrays)) != 0)
        break;
      memmove(&s->arrays[k + 1], &s->arrays[k],
              (s->n_arrays++ - k) * sizeof(*s->arrays));
    }
    memcpy(&s->arrays[k], w, sizeof(*w));
    publish_array(c, w, term, index, false);
  }
out:
  free(a);
  free(w);
}

/* Tasks published live that finished, or went with their array: once
 * more as what they became (cancelled when gone), then forgotten. */
static void diff_finished(struct mb_coord *c, uint64_t term, uint64_t index,
                          struct mb_raid_task_info *t) {
  struct coord_sent *s = &c->sent;
  for (size_t i = s->n_tasks; i-- > 0;) {
    struct mb_wire_raid_task w = s->tasks[i];
    if (mb_raid_task_find(c->replica, w.id, t) != 0)
      w.state = MB_RAID_TASK_CANCELLED;
    else if (task_live(t->state))
      continue;
    else
      coord_wire_task(t, &w);
    publish_task(c, &w, term, index);
    memmove(&s->tasks[i], &s->tasks[i + 1],
            (--s->n_tasks - i) * sizeof(*s->tasks));
  }
}

static void diff_tasks(struct mb_coord *c, uint64_t term, uint64_t index) {
  struct coord_sent *s = &c->sent;
  struct mb_raid_task_info *t = malloc(sizeof(*t));
  struct mb_wire_raid_task *w = malloc(sizeof(*w));
  if (t == NULL || w == NULL)
    goto out;
  diff_finished(c, term, index, t);
  size_t n = mb_raid_task_count(c->replica);
  for (size_t i = 0; i < n; i++) {
    bool found;
    if (mb_raid_task_at(c->replica, i, t) != 0 || !task_live(t->state))
      continue;
    coord_wire_task(t, w);
    size_t k = sent_task(s, w->id, &found);
    if (found && memcmp(&s->tasks[k], w, sizeof(*w)) == 0)
      continue;
    if (!found) {
      if (coord_grow((void **)&s->tasks, &s->cap_tasks, s->n_tasks,
                     sizeof(*s->tasks)) != 0)
        break;
      memmove(&s->tasks[k + 1], &s->tasks[k],
              (s->n_tasks++ - k) * sizeof(*s->tasks));
    }
    memcpy(&s->tasks[k], w, sizeof(*w));
    publish_task(c, w, term, index);
  }
out:
  free(t);
  free(w);
}

static bool leader_body(const struct mb_coord *c,
                        const struct mb_consensus_info *info,
                        struct mb_wire_raid_leader *l) {
  memset(l, 0, sizeof(*l));
  l->term = info->term;
  memcpy(l->leader, c->self, MB_NODE_ID_LEN);
  for (size_t v = 0; v < info->n_voters && v < MB_WIRE_RAID_VOTERS_MAX; v++) {
    const struct swim_member_info *m =
        coord_member_by_raft_id(c, info->voters[v]);
    if (m == NULL)
      return false; /* not in our view yet: later */
    memcpy(l->voters[l->n_voters++], m->id, MB_NODE_ID_LEN);
  }
  l->arrays = mb_raid_array_count(c->replica);
  size_t n = mb_raid_task_count(c->replica);
  for (size_t i = 0; i < n; i++) {
    struct mb_raid_task_info t;
    if (mb_raid_task_at(c->replica, i, &t) == 0 && task_live(t.state))
      l->tasks++;
  }
  return true;
}

static void publish_leader(struct mb_coord *c,
                           const struct mb_consensus_info *info) {
  struct mb_wire_raid_leader l;
  c->sent.leader_checked = info->last_applied;
  c->sent.leader_retry = !leader_body(c, info, &l);
  if (c->sent.leader_retry)
    return;
  l.index = c->sent.leader.index;
  if (memcmp(&l, &c->sent.leader, sizeof(l)) == 0)
    return;
  /* Outbid every leader record a predecessor may have signed, held here
   * or not yet: Raft's leader commits only entries of its own term, so
   * once its commit index moved and all is applied, last_applied is past
   * its log at election, which held whatever any predecessor applied. */
  if (info->commit_index <= c->sent.gain_commit ||
      info->last_applied < info->commit_index ||
      info->last_applied <= c->pub.leader.index ||
      info->last_applied <= c->sent.leader.index)
    return;
  l.index = info->last_applied;
  uint8_t body[MB_CHANNEL_BODY_MAX], subject[1] = {0};
  size_t len;
  if (mb_wire_raid_leader_body_encode(&l, body, sizeof(body), &len) != MB_OK)
    return;
  emit(c, MB_REC_RAID_LEADER, subject, sizeof(subject), l.index, 0, body, len);
  memcpy(&c->sent.leader, &l, sizeof(l));
}

static void forget_sent(struct coord_sent *s) {
  s->n_arrays = s->n_tasks = 0;
  s->term = 0;
  s->leader_checked = 0;
  s->leader_retry = false;
  memset(&s->leader, 0, sizeof(s->leader));
}

void coord_publish_step(struct mb_coord *c) {
  if (c->cfg.cluster == NULL || !coord_is_leader(c)) {
    forget_sent(&c->sent);
    return;
  }
  struct mb_consensus_info info;
  mb_consensus_get_info(c->raft, &info);
  if (c->sent.term != info.term) {
    forget_sent(&c->sent);
    c->sent.term = info.term;
    c->sent.gain_commit = info.commit_index;
    c->sent.dirty = true;
  }
  uint64_t index = mb_raid_applied_index(c->replica);
  if (c->sent.dirty && index > 0) {
    diff_arrays(c, info.term, index);
    diff_tasks(c, info.term, index);
    c->sent.dirty = false;
  }
  if (info.last_applied != c->sent.leader_checked || c->sent.leader_retry)
    publish_leader(c, &info);
}

void coord_publish_free(struct mb_coord *c) {
  free(c->sent.arrays);
  free(c->sent.tasks);
}
