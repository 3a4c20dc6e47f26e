/*
 * The state's three ordered tables and their lookups.  Sorted arrays, not
 * hash tables: a walk is in the same order on every replica, which keeps
 * apply and the planner deterministic.
 */
#include "raid_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mb_raid_state *mb_raid_state_new(void) {
  struct mb_raid_state *s = calloc(1, sizeof *s);
  if (s != NULL)
    s->next_task_id = 1;
  return s;
}

void mb_raid_state_free(struct mb_raid_state *s) {
  if (s == NULL)
    return;
  free(s->dev);
  free(s->arr);
  free(s->task);
  free(s);
}

uint64_t mb_raid_applied_index(const struct mb_raid_state *s) {
  return s->applied;
}

bool raid_id_equal(const uint8_t *a, const uint8_t *b) {
  return memcmp(a, b, MB_RAID_ID_LEN) == 0;
}

/* The table p with room for one more element (p itself when it has
 * room); NULL on ENOMEM, p then unchanged. */
static void *grow(void *p, size_t *cap, size_t n, size_t elem) {
  if (n < *cap)
    return p;
  size_t want = *cap ? *cap * 2 : 16;
  void *q = realloc(p, want * elem);
  if (q != NULL)
    *cap = want;
  return q;
}

/* First index whose device id is >= id. */
static size_t device_lower_bound(const struct mb_raid_state *s,
                                 const uint8_t *id) {
  size_t lo = 0, hi = s->n_dev;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (memcmp(s->dev[mid].id, id, MB_RAID_ID_LEN) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

struct raid_device *raid_device_find(const struct mb_raid_state *s,
                                     const uint8_t id[MB_RAID_ID_LEN]) {
  size_t i = device_lower_bound(s, id);
  return i < s->n_dev && raid_id_equal(s->dev[i].id, id) ? &s->dev[i] : NULL;
}

struct raid_device *raid_device_insert(struct mb_raid_state *s,
                                       const uint8_t id[MB_RAID_ID_LEN]) {
  void *grown = grow(s->dev, &s->cap_dev, s->n_dev, sizeof *s->dev);
  if (grown == NULL)
    return NULL;
  s->dev = grown;
  size_t i = device_lower_bound(s, id);
  memmove(&s->dev[i + 1], &s->dev[i], (s->n_dev - i) * sizeof *s->dev);
  s->n_dev++;
  memset(&s->dev[i], 0, sizeof s->dev[i]);
  memcpy(s->dev[i].id, id, MB_RAID_ID_LEN);
  return &s->dev[i];
}

static size_t array_lower_bound(const struct mb_raid_state *s,
                                const char *name) {
  size_t lo = 0, hi = s->n_arr;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(s->arr[mid].name, name) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

struct raid_array *raid_array_find(const struct mb_raid_state *s,
                                   const char *name) {
  size_t i = array_lower_bound(s, name);
  return i < s->n_arr && strcmp(s->arr[i].name, name) == 0 ? &s->arr[i] : NULL;
}

struct raid_array *raid_array_insert(struct mb_raid_state *s,
                                     const char *name) {
  void *grown = grow(s->arr, &s->cap_arr, s->n_arr, sizeof *s->arr);
  if (grown == NULL)
    return NULL;
  s->arr = grown;
  size_t i = array_lower_bound(s, name);
  memmove(&s->arr[i + 1], &s->arr[i], (s->n_arr - i) * sizeof *s->arr);
  s->n_arr++;
  memset(&s->arr[i], 0, sizeof s->arr[i]);
  snprintf(s->arr[i].name, sizeof s->arr[i].name, "%s", name);
  return &s->arr[i];
}

void raid_array_delete(struct mb_raid_state *s, struct raid_array *a) {
  size_t i = (size_t)(a - s->arr);
  memmove(&s->arr[i], &s->arr[i + 1], (s->n_arr - i - 1) * sizeof *s->arr);
  s->n_arr--;
}

struct raid_task *raid_task_find(const struct mb_raid_state *s, uint64_t id) {
  size_t lo = 0, hi = s->n_task;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->task[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < s->n_task && s->task[lo].id == id ? &s->task[lo] : NULL;
}

struct raid_task *raid_task_append(struct mb_raid_state *s) {
  void *grown = grow(s->task, &s->cap_task, s->n_task, sizeof *s->task);
  if (grown == NULL)
    return NULL;
  s->task = grown;
  struct raid_task *t = &s->task[s->n_task++];
  memset(t, 0, sizeof *t);
  t->id = s->next_task_id++;
  return t;
}

bool raid_task_live(const struct raid_task *t) {
  return t->state == MB_RAID_TASK_QUEUED || t->state == MB_RAID_TASK_RUNNING;
}

void raid_task_prune(struct mb_raid_state *s) {
  size_t finished = 0;
  for (size_t i = 0; i < s->n_task; i++)
    finished += !raid_task_live(&s->task[i]);
  size_t drop =
      finished > MB_RAID_TASK_HISTORY ? finished - MB_RAID_TASK_HISTORY : 0;
  size_t w = 0;
  for (size_t i = 0; i < s->n_task; i++) {
    if (drop > 0 && !raid_task_live(&s->task[i])) {
      drop--;
      continue;
    }
    s->task[w++] = s->task[i];
  }
  s->n_task = w;
}

struct raid_task *raid_slot_task(const struct mb_raid_state *s,
                                 const char *array, unsigned slot) {
  for (size_t i = 0; i < s->n_task; i++) {
    struct raid_task *t = &s->task[i];
    if (raid_task_live(t) && t->slot == slot && strcmp(t->array, array) == 0)
      return t;
  }
  return NULL;
}

int raid_array_slot_of(const struct raid_array *a,
                       const uint8_t id[MB_RAID_ID_LEN]) {
  for (unsigned i = 0; i < a->n_slots; i++)
    if (raid_id_equal(a->slots[i].device, id))
      return (int)i;
  return -1;
}
