/*
 * What the RAID layer's changes mean to an operator, as entries of the
 * admin "events" stream and log lines: an array created, removed, or
 * changing state (degraded, rebuilding, healthy, failed), a task started,
 * done or cancelled.  They are found by comparing the coordinator's
 * arrays and tasks with those seen last, after anything was applied or
 * published, so a device that holds no replica reports them as its
 * voters do.  The bridge is asked to post its view after each.  A voter
 * that replays its log after a restart reports the net change once it has
 * caught up with the commit index, not every step again.
 *
 * Stream entries have the shape of membership events where they can
 * (name, from, to, reason, so `meshbeat events --follow` shows them in
 * its columns) and "type":"raid"; they have no seq and are not kept in
 * the event log.
 */
#include "bridge_state.h"
#include "raid_state.h"

#include <stdlib.h>
#include <string.h>

struct seen_array {
  char name[MB_RAID_NAME_MAX + 1];
  int state;
};

struct seen_task {
  uint64_t id;
  int state;
};

struct agent_raid_seen {
  struct seen_array *arrays;
  size_t n_arrays;
  struct seen_task *tasks;
  size_t n_tasks;
};

static void publish(struct agent *a, const char *event, const char *name,
                    const char *from, const char *to, json_t *more) {
  char when[MB_TIME_LEN];
  mb_time_format(when, sizeof(when), agent_wall_ms());
  json_t *ev =
      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", "raid", "time", when,
                "name", name, "from", from, "to", to, "reason", event);
  if (ev != NULL && more != NULL)
    json_object_update(ev, more);
  agent_log(a->log, MB_LOG_INFO, json_incref(more), "raid: %s %s (%s -> %s)",
            event, name, from, to);
  json_decref(more);
  if (a->admin != NULL && ev != NULL)
    mb_admin_publish(a->admin, "events", ev);
  else
    json_decref(ev);
  agent_bridge_poke(a->bridge);
}

static const struct seen_array *find_array(const struct agent_raid_seen *s,
                                           const char *name) {
  for (size_t i = 0; i < s->n_arrays; i++)
    if (strcmp(s->arrays[i].name, name) == 0)
      return &s->arrays[i];
  return NULL;
}

static const struct seen_task *find_task(const struct agent_raid_seen *s,
                                         uint64_t id) {
  for (size_t i = 0; i < s->n_tasks; i++)
    if (s->tasks[i].id == id)
      return &s->tasks[i];
  return NULL;
}

/* The arrays now; every change from `before` published. */
static int arrays_now(struct agent *a, const struct agent_raid_seen *before,
                      struct agent_raid_seen *now) {
  struct mb_coord *c = a->raid->coord;
  size_t n = mb_coord_array_count(c);
  now->arrays = calloc(n ? n : 1, sizeof(*now->arrays));
  if (now->arrays == NULL)
    return -ENOMEM;
  struct mb_raid_array_info ai;
  for (size_t i = 0; i < n; i++) {
    if (mb_coord_array_at(c, i, &ai) != MB_OK)
      continue;
    struct seen_array *s = &now->arrays[now->n_arrays++];
    memcpy(s->name, ai.name, sizeof(s->name));
    s->state = ai.state;
    const struct seen_array *was = find_array(before, ai.name);
    const char *to = mb_raid_array_state_name(ai.state);
    if (was == NULL)
      publish(a, "array_created", ai.name, "none", to,
              json_pack("{s:s}", "array_level", mb_raid_level_name(ai.level)));
    else if (was->state != ai.state) {
      char event[32];
      snprintf(event, sizeof(event), "array_%s", to);
      publish(a, event, ai.name, mb_raid_array_state_name(was->state), to,
              NULL);
    }
  }
  for (size_t i = 0; i < before->n_arrays; i++)
    if (find_array(now, before->arrays[i].name) == NULL)
      publish(a, "array_removed", before->arrays[i].name,
              mb_raid_array_state_name(before->arrays[i].state), "removed",
              NULL);
  return 0;
}

static void task_event(struct agent *a, const struct mb_raid_task_info *t,
                       const struct seen_task *was) {
  int from = was ? was->state : -1;
  if (from == t->state ||
      (from == MB_RAID_TASK_QUEUED && t->state == MB_RAID_TASK_RUNNING))
    return; /* running is progress, not news */
  const char *event = t->state == MB_RAID_TASK_DONE        ? "task_done"
                      : t->state == MB_RAID_TASK_CANCELLED ? "task_cancelled"
                      : was == NULL                        ? "task_started"
                                                           : NULL;
  if (event == NULL)
    return;
  char target[MB_NAME_MAX + 1];
  agent_raid_name_of(a, t->target, target, sizeof(target));
  publish(a, event, t->array, from < 0 ? "none" : mb_raid_task_state_name(from),
          mb_raid_task_state_name(t->state),
          json_pack("{s:I, s:s, s:i, s:s}", "task", (json_int_t)t->id, "kind",
                    mb_raid_task_kind_name(t->kind), "slot", (int)t->slot,
                    "target", target));
}

static int tasks_now(struct agent *a, const struct agent_raid_seen *before,
                     struct agent_raid_seen *now) {
  struct mb_coord *c = a->raid->coord;
  size_t n = mb_coord_task_count(c);
  now->tasks = calloc(n ? n : 1, sizeof(*now->tasks));
  if (now->tasks == NULL)
    return -ENOMEM;
  struct mb_raid_task_info t;
  for (size_t i = 0; i < n; i++) {
    if (mb_coord_task_at(c, i, &t) != MB_OK)
      continue;
    now->tasks[now->n_tasks++] = (struct seen_task){t.id, t.state};
    const struct seen_task *was = find_task(before, t.id);
    /* a finished task first seen here (a restart, a late joiner) is
     * history, not news */
    if (was != NULL || t.state < MB_RAID_TASK_DONE)
      task_event(a, &t, was);
  }
  return 0;
}

static void seen_free(struct agent_raid_seen *s) {
  if (s == NULL)
    return;
  free(s->arrays);
  free(s->tasks);
  free(s);
}

/* A voter replaying its log after a start compares once it caught up:
 * the net change, not every step of the history again. */
static bool catching_up(struct mb_coord *c) {
  struct mb_coord_status st;
  mb_coord_info(c, &st);
  return !st.from_publication && st.applied_index < st.commit_index;
}

void agent_raid_events(struct agent_raid *r) {
  if (catching_up(r->coord))
    return;
  struct agent_raid_seen *now = calloc(1, sizeof(*now));
  struct agent_raid_seen empty = {0};
  const struct agent_raid_seen *before = r->seen ? r->seen : &empty;
  /* tasks first: a task started or done explains its array's change */
  if (now == NULL || tasks_now(r->a, before, now) != 0 ||
      arrays_now(r->a, before, now) != 0) {
    seen_free(now);
    return; /* compared again after the next change */
  }
  seen_free(r->seen);
  r->seen = now;
}

void agent_raid_events_free(struct agent_raid *r) {
  seen_free(r->seen);
  r->seen = NULL;
}
