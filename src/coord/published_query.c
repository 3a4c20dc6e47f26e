/*
 * The queries of a device that holds no replica, answered from the
 * published view (published.c).  Records name devices by node ref; the
 * gossip view gives their full ids and domains (a device no longer in it
 * keeps its ref, zero-padded, and no domain).  The ledger of such a
 * device is derived, not replicated: one row per member of the gossip
 * view, capacity and available as its heartbeat says, allocated the
 * slots the published arrays place on it, reserved the live published
 * rebuilds and moves that target it, state down when gossip says dead or
 * left and out when a published slot of it is out.
 */
#include "coord_internal.h"

#include <string.h>

bool coord_from_publication(const struct mb_coord *c) {
  if (c->raft == NULL || c->replica == NULL)
    return true;
  struct mb_consensus_info info;
  mb_consensus_get_info(c->raft, &info);
  for (size_t i = 0; i < info.n_voters; i++)
    if (info.voters[i] == info.id)
      return false;
  return true;
}

const uint8_t *coord_pub_leader(const struct mb_coord *c) {
  static const uint8_t zero[MB_NODE_ID_LEN];
  if (c->pub.leader.term == 0 ||
      memcmp(c->pub.leader.leader, zero, MB_NODE_ID_LEN) == 0)
    return NULL;
  return c->pub.leader.leader;
}

/* The full id and domain of the member with this ref, or the ref alone. */
static void device_of(const struct mb_coord *c, const uint8_t *ref,
                      uint8_t id[MB_NODE_ID_LEN], char *domain, size_t cap) {
  const struct swim_member_info *m = coord_member_by_ref(c, ref);
  memset(id, 0, MB_NODE_ID_LEN);
  if (domain != NULL)
    domain[0] = '\0';
  if (m == NULL) {
    memcpy(id, ref, MB_NODE_REF_LEN);
    return;
  }
  memcpy(id, m->id, MB_NODE_ID_LEN);
  if (domain != NULL)
    coord_copy_text(domain, cap, m->domain);
}

static const struct coord_pub_array *shown_array(const struct mb_coord *c,
                                                 size_t i) {
  for (size_t k = 0; k < c->pub.n_arrays; k++)
    if (!c->pub.arrays[k].w.removed && i-- == 0)
      return &c->pub.arrays[k];
  return NULL;
}

size_t coord_pub_array_count(const struct mb_coord *c) {
  size_t n = 0;
  for (size_t k = 0; k < c->pub.n_arrays; k++)
    n += !c->pub.arrays[k].w.removed;
  return n;
}

int coord_pub_array_at(const struct mb_coord *c, size_t i,
                       struct mb_raid_array_info *out) {
  const struct coord_pub_array *p = shown_array(c, i);
  if (p == NULL)
    return MB_ENOENT;
  const struct mb_wire_raid_array *w = &p->w;
  memset(out, 0, sizeof(*out));
  coord_copy_text(out->name, sizeof(out->name), w->name);
  out->level = w->level;
  out->data = w->data;
  out->parity = w->parity;
  out->size = w->size;
  out->slot_bytes = w->data ? (w->size + w->data - 1) / w->data : 0;
  out->state = w->state;
  out->n_slots = w->n_slots;
  for (size_t s = 0; s < w->n_slots; s++) {
    device_of(c, w->slots[s].device, out->slots[s].device, out->slots[s].domain,
              sizeof(out->slots[s].domain));
    out->slots[s].state = w->slots[s].state;
  }
  return 0;
}

size_t coord_pub_task_count(const struct mb_coord *c) {
  return c->pub.n_tasks;
}

int coord_pub_task_at(const struct mb_coord *c, size_t i,
                      struct mb_raid_task_info *out) {
  if (i >= c->pub.n_tasks)
    return MB_ENOENT;
  const struct mb_wire_raid_task *w = &c->pub.tasks[i].w;
  memset(out, 0, sizeof(*out));
  out->id = w->id;
  coord_copy_text(out->array, sizeof(out->array), w->array);
  out->slot = w->slot;
  out->kind = w->kind;
  out->state = w->state;
  device_of(c, w->target, out->target, NULL, 0);
  out->n_sources = w->n_sources;
  for (size_t s = 0; s < w->n_sources; s++)
    device_of(c, w->sources[s], out->sources[s], NULL, 0);
  out->bytes = w->bytes;
  out->progress = w->progress;
  return 0;
}

size_t coord_pub_ledger_count(const struct mb_coord *c) {
  return c->n_view;
}

static bool live(const struct mb_wire_raid_task *t) {
  return t->state == MB_RAID_TASK_QUEUED || t->state == MB_RAID_TASK_RUNNING;
}

/* allocated, reserved and whether a slot of it is out, from the records. */
static void holdings(const struct mb_coord *c, const uint8_t *ref,
                     struct mb_raid_device_info *out) {
  for (size_t k = 0; k < c->pub.n_arrays; k++) {
    const struct mb_wire_raid_array *a = &c->pub.arrays[k].w;
    uint64_t slot_bytes = a->data ? (a->size + a->data - 1) / a->data : 0;
    for (size_t s = 0; !a->removed && s < a->n_slots; s++)
      if (memcmp(a->slots[s].device, ref, MB_NODE_REF_LEN) == 0) {
        out->allocated += slot_bytes;
        if (a->slots[s].state == MB_RAID_SLOT_OUT)
          out->state = MB_RAID_DEV_OUT;
      }
  }
  for (size_t k = 0; k < c->pub.n_tasks; k++) {
    const struct mb_wire_raid_task *t = &c->pub.tasks[k].w;
    if (live(t) && t->kind != MB_RAID_TASK_RESYNC &&
        memcmp(t->target, ref, MB_NODE_REF_LEN) == 0)
      out->reserved += t->bytes;
  }
}

int coord_pub_ledger_at(const struct mb_coord *c, size_t i,
                        struct mb_raid_device_info *out) {
  const struct swim_member_info *m = coord_member_in_id_order(c, i);
  if (m == NULL)
    return MB_ENOENT;
  memset(out, 0, sizeof(*out));
  memcpy(out->id, m->id, MB_NODE_ID_LEN);
  coord_copy_text(out->name, sizeof(out->name), m->name);
  coord_copy_text(out->domain, sizeof(out->domain), m->domain);
  out->capacity = m->capacity;
  out->available = m->available;
  out->incarnation = m->incarnation;
  out->draining = m->draining;
  out->state = m->state == SWIM_DEAD || m->state == SWIM_LEFT ? MB_RAID_DEV_DOWN
                                                              : MB_RAID_DEV_UP;
  holdings(c, m->id, out);
  return 0;
}

void coord_pub_info(const struct mb_coord *c, struct mb_coord_status *out) {
  const struct mb_wire_raid_leader *l = &c->pub.leader;
  out->from_publication = true;
  out->is_voter = false;
  memset(out->leader, 0, MB_NODE_ID_LEN);
  if (coord_pub_leader(c) != NULL)
    memcpy(out->leader, l->leader, MB_NODE_ID_LEN);
  out->term = l->term;
  out->commit_index = l->index;
  out->applied_index = c->pub.top;
  out->published_index = c->pub.top;
  out->n_voters = 0;
  for (size_t v = 0; v < l->n_voters && v < MB_CONSENSUS_VOTERS_MAX; v++) {
    struct mb_coord_voter *o = &out->voters[out->n_voters++];
    memset(o, 0, sizeof(*o));
    memcpy(o->id, l->voters[v], MB_NODE_ID_LEN);
    const struct swim_member_info *m = coord_member(c, l->voters[v]);
    if (m == NULL)
      continue;
    coord_copy_text(o->name, sizeof(o->name), m->name);
    coord_copy_text(o->domain, sizeof(o->domain), m->domain);
    o->alive = m->state == SWIM_ALIVE;
  }
}
