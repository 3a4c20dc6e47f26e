/*
 * What became of a join, told where an operator looks: a debug line for
 * every request sent and every answer heard, one when a whole round of
 * seeds stayed silent, a warning when the joiner gives up; the `join`
 * health check; and the "join" stream that `meshbeat join` follows to say
 * which seed answered.  The core keeps the facts (swim_join_get and
 * swim_join_seed); this file only watches them change.
 */
#include "agent_state.h"

#include <stdio.h>
#include <string.h>

/* A join nobody answered is worth a degraded health after this long: a
 * seed on a LAN answers within milliseconds, one busy with a join storm
 * within a few seconds. */
#define JOIN_HEALTH_GRACE_MS 10000

void agent_join_started(struct agent *a) {
  memset(&a->join_watch, 0, sizeof(a->join_watch));
  agent_join_watch(a);
}

/* "10.0.0.1:7946, 10.0.0.2:7946" (those that answered, or all of them),
 * cut short with "..." when it does not fit. */
static void seed_list(struct agent *a, bool answered_only, char *out,
                      size_t cap) {
  struct swim_join_info ji;
  swim_join_get(a->swim, &ji);
  size_t len = 0;
  out[0] = '\0';
  for (size_t i = 0; i < ji.n_seeds; i++) {
    struct swim_seed_info si;
    char addr[MB_ADDR_TEXT_MAX];
    if (swim_join_seed(a->swim, i, &si) != MB_OK ||
        (answered_only && si.answers == 0))
      continue;
    mb_addr_format(addr, sizeof(addr), &si.addr);
    int n = snprintf(out + len, cap - len, "%s%s", len ? ", " : "", addr);
    if (n < 0 || (size_t)n >= cap - len) {
      snprintf(out + (cap > 4 ? cap - 4 : 0), cap > 4 ? 4 : cap, "...");
      return;
    }
    len += (size_t)n;
  }
}

static bool any_answer(struct agent *a, const struct swim_join_info *ji) {
  for (size_t i = 0; i < ji->n_seeds; i++) {
    struct swim_seed_info si;
    if (swim_join_seed(a->swim, i, &si) == MB_OK && si.answers > 0)
      return true;
  }
  return false;
}

/* Requests and answers since we last looked, one debug line each.  A
 * request that starts a new round while no seed ever answered also says
 * so, with the back-off the core chose. */
static void report_seed(struct agent *a, const struct swim_join_info *ji,
                        size_t i) {
  struct agent_join_watch *w = &a->join_watch;
  struct swim_seed_info si;
  char addr[MB_ADDR_TEXT_MAX];
  if (swim_join_seed(a->swim, i, &si) != MB_OK)
    return;
  mb_addr_format(addr, sizeof(addr), &si.addr);
  if (si.requests > w->requests[i]) {
    agent_log(a->log, MB_LOG_DEBUG, NULL,
              "join request %u of at most %u sent to %s", ji->attempts,
              SWIM_JOIN_MAX_ATTEMPTS, addr);
    bool new_round =
        ji->attempts > ji->n_seeds && (ji->attempts - 1) % ji->n_seeds == 0;
    uint64_t now = agent_now(a);
    if (new_round && !any_answer(a, ji)) {
      char all[400];
      seed_list(a, false, all, sizeof(all));
      uint64_t wait = ji->next_attempt_at > now ? ji->next_attempt_at - now : 0;
      agent_log(a->log, MB_LOG_DEBUG, NULL,
                "no answer from any seed after round %zu (tried %s); "
                "backing off %.1f s",
                (size_t)((ji->attempts - 1) / ji->n_seeds), all,
                (double)wait / 1000.0);
    }
  }
  if (si.answers > w->answers[i])
    agent_log(a->log, MB_LOG_DEBUG, NULL, "join answered by %s", addr);
  w->requests[i] = si.requests;
  w->answers[i] = si.answers;
}

static void report_end(struct agent *a, const struct swim_join_info *ji) {
  struct agent_join_watch *w = &a->join_watch;
  char list[400];
  if (ji->joined && !w->joined) {
    seed_list(a, true, list, sizeof(list));
    agent_log(a->log, MB_LOG_INFO, NULL,
              "joined the mesh through %s (%zu members)",
              list[0] ? list : "a seed", swim_member_count(a->swim));
  }
  if (ji->gave_up && !w->gave_up) {
    seed_list(a, false, list, sizeof(list));
    agent_log(a->log, MB_LOG_WARN, NULL,
              "gave up joining after %u requests: no seed answered (tried "
              "%s); `meshbeat join HOST:PORT` tries again",
              ji->attempts, list);
  }
  w->joined = ji->joined;
  w->gave_up = ji->gave_up;
}

void agent_join_watch(struct agent *a) {
  struct agent_join_watch *w = &a->join_watch;
  struct swim_join_info ji;
  swim_join_get(a->swim, &ji);
  if (ji.changes == w->changes)
    return;
  w->changes = ji.changes;
  size_t n = ji.n_seeds < AGENT_MAX_SEEDS ? ji.n_seeds : AGENT_MAX_SEEDS;
  for (size_t i = 0; i < n; i++)
    report_seed(a, &ji, i);
  report_end(a, &ji);
  if (a->admin != NULL)
    mb_admin_publish(a->admin, "join", agent_join_json(a));
}

json_t *agent_join_json(struct agent *a) {
  struct swim_join_info ji;
  swim_join_get(a->swim, &ji);
  json_t *seeds = json_array();
  for (size_t i = 0; i < ji.n_seeds; i++) {
    struct swim_seed_info si;
    char addr[MB_ADDR_TEXT_MAX], when[MB_TIME_LEN];
    if (swim_join_seed(a->swim, i, &si) != MB_OK)
      continue;
    mb_addr_format(addr, sizeof(addr), &si.addr);
    json_t *s =
        json_pack("{s:s, s:I, s:I}", "addr", addr, "requests",
                  (json_int_t)si.requests, "answers", (json_int_t)si.answers);
    if (si.answers > 0) {
      mb_time_format(when, sizeof(when),
                     agent_mono_to_wall(a, si.last_answer_at));
      json_object_set_new(s, "last_answer", json_string(when));
    }
    json_array_append_new(seeds, s);
  }
  return json_pack("{s:o, s:I, s:b, s:b}", "seeds", seeds, "attempts",
                   (json_int_t)ji.attempts, "view_received", ji.joined,
                   "gave_up", ji.gave_up);
}

static bool knows_other_live_member(struct agent *a) {
  for (size_t i = 0; i < swim_member_count(a->swim); i++) {
    struct swim_member_info m;
    if (swim_member_get(a->swim, i, &m) == MB_OK && !m.is_self &&
        (m.state == SWIM_ALIVE || m.state == SWIM_SUSPECT))
      return true;
  }
  return false;
}

/* Degraded while the agent was given seeds, none of them answered for a
 * while, and it knows no other live member (one that joined through us
 * puts us in a mesh all the same). */
bool agent_join_trouble(struct agent *a, char *message, size_t cap) {
  struct swim_join_info ji;
  swim_join_get(a->swim, &ji);
  uint64_t now = agent_now(a);
  if (ji.n_seeds == 0 || ji.joined || any_answer(a, &ji) ||
      now < ji.started_at + JOIN_HEALTH_GRACE_MS || knows_other_live_member(a))
    return false;
  char all[120];
  seed_list(a, false, all, sizeof(all));
  snprintf(message, cap, "no seed answered (tried %s) for %llu s%s", all,
           (unsigned long long)((now - ji.started_at) / 1000),
           ji.gave_up ? "; gave up: run meshbeat join" : "");
  return true;
}
