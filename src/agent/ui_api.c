/*
 * The dashboard's data, read-only: /ui/api/state is what the admin
 * commands info, members, raid list, tasks and bridge answer, in one
 * object; /ui/api/events?after=SEQ the committed membership events after
 * SEQ, as `events` lists them (without after, the latest ones).  The page
 * polls both once a second: events show up within the store's commit
 * interval (200 ms by default) of happening.
 */
#include "bridge_state.h"
#include "raid_state.h"
#include "ui.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define JSON_TYPE "application/json"
/* Events per answer: the page asks again from the last one it got. */
#define UI_EVENTS_MAX 200
/* Without after, the page's first look: the latest ones. */
#define UI_EVENTS_LATEST 50
#define SEQ_DIGITS_MAX 19 /* below 2^63: no overflow to check */

static int json_body(struct mb_http_reply *r, json_t *j) {
  char *text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  if (text == NULL)
    return -ENOMEM;
  int rc = agent_ui_body(r, JSON_TYPE, text, strlen(text));
  free(text);
  return rc;
}

/* The coordinator's arrays and tasks, when it runs and is not stopping. */
static json_t *raid_json(struct agent *a) {
  if (a->raid == NULL || a->raid->stopping || a->raid->coord == NULL)
    return json_pack("{s:b}", "enabled", 0);
  return json_pack("{s:b, s:o, s:o}", "enabled", 1, "arrays",
                   agent_raid_arrays_json(a), "tasks",
                   agent_raid_tasks_json(a, NULL));
}

int agent_ui_state(void *ctx, struct mb_http_reply *r) {
  struct agent *a = ctx;
  if (!agent_ui_begin(r))
    return 0;
  /* The listener has no authentication: no file paths on it. */
  json_t *info = agent_info_json(a);
  json_object_del(info, "data_dir");
  char now[MB_TIME_LEN];
  mb_time_format(now, sizeof(now), agent_wall_ms());
  return json_body(r,
                   json_pack("{s:s, s:o, s:o, s:o, s:o}", "time", now, "agent",
                             info, "members", agent_members_json(a), "raid",
                             raid_json(a), "bridge", agent_bridge_json(a)));
}

/* after: 1 to 19 decimal digits. */
static bool parse_seq(const char *text, uint64_t *seq) {
  size_t n = strspn(text, "0123456789");
  if (n == 0 || n > SEQ_DIGITS_MAX || text[n] != '\0')
    return false;
  *seq = strtoull(text, NULL, 10);
  return true;
}

static int bad_after(struct mb_http_reply *r) {
  static const char why[] =
      "after must be an event's sequence number (decimal digits)\n";
  r->status = 400;
  return agent_ui_body(r, "text/plain; charset=utf-8", why, sizeof(why) - 1);
}

int agent_ui_events(void *ctx, struct mb_http_reply *r) {
  struct agent *a = ctx;
  if (!agent_ui_begin(r))
    return 0;
  const char *after_text = mb_http_query_arg(r->request, "after");
  uint64_t after = 0, last = mb_store_last_event_seq(a->store);
  if (after_text != NULL && !parse_seq(after_text, &after))
    return bad_after(r);
  if (after_text == NULL && last > UI_EVENTS_LATEST)
    after = last - UI_EVENTS_LATEST;
  json_t *list;
  int rc = agent_events_json(a, after, UI_EVENTS_MAX, &list);
  if (rc < 0)
    return rc;
  return json_body(r, json_pack("{s:o}", "events", list));
}
