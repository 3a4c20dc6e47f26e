/*
 * The published view: what every device learns from the records of kinds
 * 23-25 (docs/raid.md, Publication).  The gossip layer has already
 * checked each record's signature and that a coordinator signed it; here
 * it is parsed again (no allocation), its body checked against its
 * subject and version (mb_wire_raid_record_check) and decoded.  Per
 * subject the highest version wins; at an equal version, the higher term
 * (a new leader republishing the same state).  Anything older changes
 * nothing.  Removed arrays and finished tasks are kept until their lapse
 * so that an older record of them cannot bring them back.
 */
#include "coord_internal.h"

#include <stdlib.h>
#include <string.h>

/* Lapsed records are looked for this often (the channel's own period). */
#define PUB_LAPSE_CHECK_MS 10000

static bool newer(uint64_t version, uint64_t term, uint64_t held_version,
                  uint64_t held_term) {
  return version > held_version ||
         (version == held_version && term > held_term);
}

/* Index of name, or where it goes (*found false). */
static size_t array_slot(const struct coord_pub *p, const char *name,
                         bool *found) {
  size_t lo = 0, hi = p->n_arrays;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int cmp = strcmp(p->arrays[mid].w.name, name);
    if (cmp == 0) {
      *found = true;
      return mid;
    }
    if (cmp < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = false;
  return lo;
}

static size_t task_slot(const struct coord_pub *p, uint64_t id, bool *found) {
  size_t lo = 0, hi = p->n_tasks;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (p->tasks[mid].w.id == id) {
      *found = true;
      return mid;
    }
    if (p->tasks[mid].w.id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = false;
  return lo;
}

static bool take_array(struct mb_coord *c, const struct mb_wire_raid_array *w,
                       int64_t until_s) {
  struct coord_pub *p = &c->pub;
  bool found;
  size_t i = array_slot(p, w->name, &found);
  if (found &&
      !newer(w->index, w->term, p->arrays[i].w.index, p->arrays[i].w.term))
    return false;
  if (!found) {
    if (coord_grow((void **)&p->arrays, &p->cap_arrays, p->n_arrays,
                   sizeof(*p->arrays)) != 0)
      return false;
    memmove(&p->arrays[i + 1], &p->arrays[i],
            (p->n_arrays - i) * sizeof(*p->arrays));
    p->n_arrays++;
  }
  p->arrays[i] = (struct coord_pub_array){.w = *w, .until_s = until_s};
  return true;
}

static bool take_task(struct mb_coord *c, const struct mb_wire_raid_task *w,
                      int64_t until_s) {
  struct coord_pub *p = &c->pub;
  bool found;
  size_t i = task_slot(p, w->id, &found);
  if (found &&
      !newer(w->index, w->term, p->tasks[i].w.index, p->tasks[i].w.term))
    return false;
  if (!found) {
    if (coord_grow((void **)&p->tasks, &p->cap_tasks, p->n_tasks,
                   sizeof(*p->tasks)) != 0)
      return false;
    memmove(&p->tasks[i + 1], &p->tasks[i],
            (p->n_tasks - i) * sizeof(*p->tasks));
    p->n_tasks++;
  }
  p->tasks[i] = (struct coord_pub_task){.w = *w, .until_s = until_s};
  c->tasks_stale = true; /* perhaps ours: tasks.c looks */
  return true;
}

static bool take_leader(struct mb_coord *c,
                        const struct mb_wire_raid_leader *w) {
  struct coord_pub *p = &c->pub;
  if (!newer(w->index, w->term, p->leader.index, p->leader.term))
    return false;
  p->leader = *w;
  return true;
}

/* Decodes and keeps one record; false when it changed nothing. */
static bool take(struct mb_coord *c, const struct mb_record *rec) {
  const struct mb_channel_record *ch = &rec->u.ch;
  if (mb_wire_raid_record_check(rec->kind, ch) != MB_OK)
    return false;
  bool taken = false;
  if (rec->kind == MB_REC_RAID_ARRAY) {
    struct mb_wire_raid_array w;
    taken =
        mb_wire_raid_array_body_decode(ch->body, ch->body_len, &w) == MB_OK &&
        take_array(c, &w, ch->until_s);
  } else if (rec->kind == MB_REC_RAID_TASK) {
    struct mb_wire_raid_task w;
    taken =
        mb_wire_raid_task_body_decode(ch->body, ch->body_len, &w) == MB_OK &&
        take_task(c, &w, ch->until_s);
  } else {
    struct mb_wire_raid_leader w;
    taken =
        mb_wire_raid_leader_body_decode(ch->body, ch->body_len, &w) == MB_OK &&
        take_leader(c, &w);
  }
  if (taken && ch->version > c->pub.top)
    c->pub.top = ch->version;
  return taken;
}

void mb_coord_record(struct mb_coord *c, uint64_t now,
                     const struct swim_record_info *info, const uint8_t *bytes,
                     size_t len) {
  (void)info; /* the bytes say the same, and are what was checked */
  c->now = now;
  struct mb_record *rec = malloc(sizeof(*rec));
  if (rec == NULL)
    return;
  bool taken = bytes != NULL && mb_wire_record_parse(bytes, len, rec) == 0 &&
               rec->kind >= MB_REC_RAID_ARRAY &&
               rec->kind <= MB_REC_RAID_LEADER && take(c, rec);
  free(rec);
  if (taken)
    coord_settle(c);
}

static bool lapsed(const struct mb_coord *c, int64_t until_s) {
  return until_s > 0 && until_s < c->wall_ms / 1000;
}

/* Records that lapsed leave the view as they leave every member's table
 * (looked for as often as the channel does). */
void coord_pub_lapse(struct mb_coord *c) {
  struct coord_pub *p = &c->pub;
  if (p->lapse_checked != 0 && c->now - p->lapse_checked < PUB_LAPSE_CHECK_MS)
    return;
  p->lapse_checked = c->now;
  size_t w = 0;
  for (size_t i = 0; i < p->n_arrays; i++)
    if (!lapsed(c, p->arrays[i].until_s))
      p->arrays[w++] = p->arrays[i];
  p->n_arrays = w;
  w = 0;
  for (size_t i = 0; i < p->n_tasks; i++)
    if (!lapsed(c, p->tasks[i].until_s))
      p->tasks[w++] = p->tasks[i];
  if (w != p->n_tasks)
    c->tasks_stale = true;
  p->n_tasks = w;
}

void coord_pub_free(struct mb_coord *c) {
  free(c->pub.arrays);
  free(c->pub.tasks);
}
