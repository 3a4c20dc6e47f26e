/*
 * The coordinator's outputs, routed (raid_state.h): app payloads and
 * signed records into the gossip core, tasks to the executor, the
 * progress list into our heartbeat, answers to the operators waiting on
 * the admin socket, applied commands to the log, the events stream and
 * the counters.
 *
 * Re-entry: routing calls into the gossip core, whose outputs may carry
 * input back to the coordinator (our own record reported, an app payload)
 * and flush it again; a flush while routing only asks for another round,
 * so the coordinator is never polled from inside its own poll loop.
 */
#include "raid_state.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool worth_logging(int kind) {
  return kind != MB_RAID_CMD_DEVICE_REPORT && kind != MB_RAID_CMD_TASK_PROGRESS;
}

static const char *cmd_name(int kind) {
  static const char *const names[] = {
      "?",          "device_report", "device_down",  "device_up",
      "device_out", "drain",         "array_create", "array_remove",
      "task_start", "task_progress", "task_done",    "task_reassign",
      "task_cancel"};
  return kind > 0 && kind <= MB_RAID_CMD_TASK_CANCEL ? names[kind] : "?";
}

static void note_applied(struct agent_raid *r,
                         const struct mb_coord_output *o) {
  struct agent *a = r->a;
  if (o->rc != 0)
    r->counters.refused++;
  else
    r->counters.applied++;
  enum mb_log_level level =
      o->rc == 0 && worth_logging(o->cmd.kind) ? MB_LOG_INFO : MB_LOG_DEBUG;
  if (!agent_log_enabled(a->log, level))
    return;
  char device[MB_NAME_MAX + 1], target[MB_NAME_MAX + 1];
  agent_raid_name_of(a, o->cmd.device, device, sizeof(device));
  agent_raid_name_of(a, o->cmd.target, target, sizeof(target));
  agent_log(a->log, level,
            json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:i}", "index",
                      (json_int_t)o->index, "command", cmd_name(o->cmd.kind),
                      "array", o->cmd.array, "device", device, "target", target,
                      "task", (json_int_t)o->cmd.task, "rc", o->rc),
            "raid: %s %s%s%s", o->rc == 0 ? "applied" : "refused",
            cmd_name(o->cmd.kind), o->rc == 0 ? "" : ": ",
            o->rc == 0 ? "" : mb_strerror(o->rc));
}

static void set_progress(struct agent *a, const struct mb_coord_output *o) {
  int rc = swim_set_task_progress(a->swim, agent_now(a), agent_wall_ms(),
                                  o->progress, o->n_progress);
  if (rc != MB_OK)
    agent_log(a->log, MB_LOG_WARN, NULL,
              "raid: cannot put task progress in the heartbeat: %s",
              mb_strerror(rc));
}

static void offer_record(struct agent *a, const struct mb_coord_output *o) {
  int rc = swim_record_offer(a->swim, agent_now(a), o->buf, o->len);
  if (rc != MB_OK && rc != MB_EHELD && rc != MB_EOLDER)
    agent_log(a->log, MB_LOG_WARN, NULL,
              "raid: the gossip core refused our publication record: %s",
              mb_strerror(rc));
}

/* One output; true when it went into the gossip core. */
static bool route_one(struct agent_raid *r, const struct mb_coord_output *o) {
  struct agent *a = r->a;
  switch (o->kind) {
  case MB_COORD_OUT_APP:
    swim_app_send(a->swim, agent_now(a), o->to, o->channel, o->buf, o->len);
    return true; /* best effort: Raft and the forwards retry */
  case MB_COORD_OUT_RECORD:
    offer_record(a, o);
    return true;
  case MB_COORD_OUT_TASK_START:
    agent_raid_task_start(r, &o->task);
    return false;
  case MB_COORD_OUT_TASK_CANCEL:
    agent_raid_task_cancel(r, o->task.id);
    return false;
  case MB_COORD_OUT_PROGRESS:
    set_progress(a, o);
    return true;
  case MB_COORD_OUT_ANSWER:
    agent_raid_answer(r, o->req, o->rc, o->text);
    return false;
  case MB_COORD_OUT_APPLIED:
    note_applied(r, o);
    r->changed |= o->rc == 0;
    return false;
  }
  return false;
}

static const char *role_word(int role) {
  return role == MB_COORD_LEADER     ? "leads the coordinators"
         : role == MB_COORD_FOLLOWER ? "follows the Raft leader"
         : role == MB_COORD_WAITING  ? "is a coordinator without Raft yet"
                                     : "is no coordinator";
}

/* Our role and the leader we know, logged when they change. */
static void note_role(struct agent_raid *r) {
  struct mb_coord_status st;
  mb_coord_info(r->coord, &st);
  if (st.role == r->role && memcmp(st.leader, r->leader, MB_NODE_ID_LEN) == 0)
    return;
  r->role = st.role;
  memcpy(r->leader, st.leader, MB_NODE_ID_LEN);
  char leader[MB_NAME_MAX + 1];
  agent_raid_name_of(r->a, st.leader, leader, sizeof(leader));
  agent_log(r->a->log, MB_LOG_INFO,
            json_pack("{s:I, s:s, s:b}", "term", (json_int_t)st.term, "leader",
                      leader, "voter", st.is_voter),
            "raid: this node %s (term %llu, leader %s)", role_word(st.role),
            (unsigned long long)st.term, leader[0] ? leader : "unknown");
}

void agent_raid_route(struct agent_raid *r) {
  if (r->coord == NULL)
    return;
  if (r->draining) {
    r->drain_again = true;
    return;
  }
  r->draining = true;
  do {
    r->drain_again = false;
    bool gossip = false;
    struct mb_coord_output o;
    while (mb_coord_poll(r->coord, &o))
      gossip |= route_one(r, &o);
    if (gossip)
      agent_flush(r->a); /* may feed the coordinator: another round */
  } while (r->drain_again);
  r->draining = false;
  note_role(r);
  if (r->changed) {
    r->changed = false;
    agent_raid_events(r);
    agent_raid_watch(r);
  }
}
