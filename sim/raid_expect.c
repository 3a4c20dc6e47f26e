/*
 * The RAID verdicts (docs/sim.md "RAID"), all read from the history
 * checker's own model of the committed log (raid_history.h), never from
 * src/raid: array states, counts of outs, rebuilds and resyncs, targets'
 * failure domains, the checker's violations and healing.  Also the
 * summary's RAID lines and the report's `raid` object.
 */
#include "raid.h"
#include "results.h"

#include <string.h>

static const char *state_name(int st) {
  return st < 0 ? "absent" : mb_raid_array_state_name(st);
}

void sim_raid_sample_event(struct sim *s, uint32_t k) {
  uint64_t since;
  s->raid->sampled[k] = raid_history_array_state(
      s->raid->hist, s->scn->expects[k].raid_array, &since);
}

void sim_raid_finish(struct sim *s) {
  struct sim_raid *r = s->raid;
  r->history_viol = raid_history_violation_count(r->hist);
  for (size_t k = 0; k < s->scn->n_expects; k++) {
    const struct scn_expect *e = &s->scn->expects[k];
    if (e->metric != SCN_M_RAID_HEALTHY_AFTER)
      continue;
    size_t before = raid_history_violation_count(r->hist);
    raid_history_finish(r->hist, s->now,
                        (uint64_t)(e->within_s * SCN_US_PER_S + 0.5));
    r->healing_viol[k] = raid_history_violation_count(r->hist) - before;
  }
}

/* `raid_state NAME == S at T | within D`: 1 when it holds, else 0. */
static void array_state(const struct sim *s, size_t k, double *v, char *note,
                        size_t cap) {
  const struct scn_expect *e = &s->scn->expects[k];
  const struct sim_raid *r = s->raid;
  if (e->raid_at) {
    *v = r->sampled[k] == e->raid_state;
    snprintf(note, cap, "%s at %.3fs", state_name(r->sampled[k]),
             (double)e->raid_at_us / SCN_US_PER_S);
    return;
  }
  uint64_t since = 0;
  int st = raid_history_array_state(r->hist, e->raid_array, &since);
  double after = since > r->last_action_us
                     ? (double)(since - r->last_action_us) / SCN_US_PER_S
                     : 0;
  *v = st == e->raid_state && after <= e->within_s;
  snprintf(note, cap, "%s since %.3fs (%.3fs after the last action)",
           state_name(st), (double)since / SCN_US_PER_S, after);
}

/* The first kept violation from index `from` on, as the note. */
static void violation_note(const struct sim_raid *r, size_t from, size_t count,
                           char *note, size_t cap) {
  const struct raid_violation *v = raid_history_violation(r->hist, from);
  if (count == 0)
    snprintf(note, cap, "none");
  else if (v == NULL)
    snprintf(note, cap, "%zu (not kept)", count);
  else
    snprintf(note, cap, "%.3fs: %s", (double)v->t_us / SCN_US_PER_S, v->what);
}

void sim_raid_measure(const struct sim *s, size_t k, bool *have, double *v,
                      char *note, size_t cap) {
  const struct scn_expect *e = &s->scn->expects[k];
  const struct sim_raid *r = s->raid;
  *have = r != NULL;
  note[0] = '\0';
  if (r == NULL) {
    snprintf(note, cap, "no coordinators ran");
    return;
  }
  struct raid_history_counts c;
  raid_history_counts(r->hist, &c);
  switch (e->metric) {
  case SCN_M_RAID_STATE:
    array_state(s, k, v, note, cap);
    return;
  case SCN_M_RAID_REBUILDS:
    *v = (double)c.rebuilds;
    return;
  case SCN_M_RAID_RESYNCS:
    *v = (double)c.resyncs;
    return;
  case SCN_M_RAID_OUTS:
    *v = (double)c.outs;
    return;
  case SCN_M_RAID_DOMAIN_DISTINCT:
    *v = (double)c.domain_misses;
    return;
  case SCN_M_RAID_HISTORY_OK:
    *v = (double)r->history_viol;
    violation_note(r, 0, r->history_viol, note, cap);
    return;
  case SCN_M_RAID_HEALTHY_AFTER:
    *v = (double)r->healing_viol[k];
    violation_note(r, r->history_viol, r->healing_viol[k], note, cap);
    return;
  default:
    *have = false;
    return;
  }
}

/* The running voter whose coordinator leads, or SIM_NONE. */
static uint32_t leader(const struct sim *s, struct mb_coord_status *st) {
  const struct sim_raid *r = s->raid;
  for (size_t k = 0; k < r->n_voters; k++) {
    const struct mb_coord *c = r->node[r->voters[k]].coord;
    if (c == NULL)
      continue;
    mb_coord_info(c, st);
    if (st->role == MB_COORD_LEADER)
      return r->voters[k];
  }
  return SIM_NONE;
}

static const char *req_kind(const struct mb_raid_cmd *c) {
  return c->kind == MB_RAID_CMD_ARRAY_CREATE   ? "create"
         : c->kind == MB_RAID_CMD_ARRAY_REMOVE ? "remove"
         : c->on                               ? "drain"
                                               : "undrain";
}

static const char *req_outcome(const struct sim_raid_req *q) {
  return q->pending ? "pending" : !q->done ? "retrying" : mb_strerror(q->rc);
}

static void summary_arrays(const struct sim *s, FILE *out) {
  for (size_t k = 0; k < s->scn->n_actions; k++) {
    const struct scn_action *a = &s->scn->actions[k];
    uint64_t since = 0;
    if (a->kind != SCN_RAID_CREATE)
      continue;
    int st = raid_history_array_state(s->raid->hist, a->raid.name, &since);
    fprintf(out, "  array %s: %s since %.3fs\n", a->raid.name, state_name(st),
            (double)since / SCN_US_PER_S);
  }
}

void sim_raid_summary(const struct sim *s, FILE *out) {
  const struct sim_raid *r = s->raid;
  if (r == NULL)
    return;
  struct mb_coord_status st;
  uint32_t l = leader(s, &st);
  struct raid_history_counts c;
  raid_history_counts(r->hist, &c);
  fprintf(out, "raid: %zu voters; leader at the end ", r->n_voters);
  if (l == SIM_NONE)
    fprintf(out, "none\n");
  else
    fprintf(out, "node %u (term %llu, commit %llu)\n", l,
            (unsigned long long)st.term, (unsigned long long)st.commit_index);
  summary_arrays(s, out);
  fprintf(out,
          "  committed: %llu outs, %llu rebuilds, %llu resyncs, %llu moves, "
          "%llu domain misses\n",
          (unsigned long long)c.outs, (unsigned long long)c.rebuilds,
          (unsigned long long)c.resyncs, (unsigned long long)c.moves,
          (unsigned long long)c.domain_misses);
  fprintf(out,
          "  applied %llu (%llu refused), durable entries %llu; executors: "
          "%llu starts, %llu cancels, %llu finished; views %llu, ticks %llu\n",
          (unsigned long long)r->c.applied,
          (unsigned long long)r->c.refused_applies,
          (unsigned long long)r->c.durable_entries,
          (unsigned long long)r->c.task_starts,
          (unsigned long long)r->c.task_cancels,
          (unsigned long long)r->c.tasks_finished,
          (unsigned long long)r->c.views, (unsigned long long)r->c.ticks);
  for (size_t k = 0; k < r->n_reqs; k++) {
    const struct sim_raid_req *q = &r->reqs[k];
    fprintf(out, "  request line %d: %s %s: %s after %u tries\n",
            s->scn->actions[q->action].line, req_kind(&q->cmd), q->cmd.array,
            req_outcome(q), q->tries);
  }
  size_t nv = raid_history_violation_count(r->hist);
  fprintf(out, "  history: %zu violations\n", nv);
  for (size_t k = 0; k < nv && k < RAID_HISTORY_KEEP; k++) {
    const struct raid_violation *v = raid_history_violation(r->hist, k);
    fprintf(out, "    %.3fs node %d: %s\n", (double)v->t_us / SCN_US_PER_S,
            v->node == RAID_HISTORY_NO_NODE ? -1 : (int)v->node, v->what);
  }
}

static json_t *requests_json(const struct sim *s) {
  const struct sim_raid *r = s->raid;
  json_t *a = json_array();
  for (size_t k = 0; k < r->n_reqs; k++) {
    const struct sim_raid_req *q = &r->reqs[k];
    json_array_append_new(
        a, json_pack("{s:i, s:s, s:s, s:s, s:i, s:o}", "line",
                     s->scn->actions[q->action].line, "kind", req_kind(&q->cmd),
                     "array", q->cmd.array, "outcome", req_outcome(q), "tries",
                     (int)q->tries, "answered",
                     q->done ? sim_json_seconds(q->answered_at) : json_null()));
  }
  return a;
}

static json_t *violations_json(const struct sim *s) {
  json_t *a = json_array();
  size_t nv = raid_history_violation_count(s->raid->hist);
  for (size_t k = 0; k < nv && k < RAID_HISTORY_KEEP; k++) {
    const struct raid_violation *v = raid_history_violation(s->raid->hist, k);
    json_array_append_new(
        a, json_pack("{s:o, s:i, s:s}", "t", sim_json_seconds(v->t_us), "node",
                     v->node == RAID_HISTORY_NO_NODE ? -1 : (int)v->node,
                     "what", v->what));
  }
  return a;
}

static const char *task_end_name(enum raid_history_task_end e) {
  return e == RAID_HISTORY_TASK_DONE        ? "done"
         : e == RAID_HISTORY_TASK_CANCELLED ? "cancelled"
                                            : "live";
}

/* Every task the committed log started (the HTML report draws each). */
static json_t *tasks_json(const struct sim *s) {
  json_t *a = json_array();
  size_t n = raid_history_task_count(s->raid->hist);
  for (size_t k = 0; k < n; k++) {
    const struct raid_history_task *t = raid_history_task(s->raid->hist, k);
    json_array_append_new(
        a,
        json_pack(
            "{s:I, s:s, s:i, s:s, s:o, s:o, s:o, s:s, s:i}", "id",
            (json_int_t)t->id, "array", t->array, "slot", (int)t->slot, "kind",
            mb_raid_task_kind_name(t->kind), "target",
            t->target == RAID_HISTORY_NO_NODE ? json_null()
                                              : json_integer(t->target),
            "started", sim_json_seconds(t->start_us), "ended",
            sim_json_seconds(t->end_us == UINT64_MAX ? SIM_NEVER : t->end_us),
            "result", task_end_name(t->end), "reassigned", (int)t->reassigned));
  }
  return a;
}

json_t *sim_raid_json(const struct sim *s) {
  const struct sim_raid *r = s->raid;
  if (r == NULL)
    return NULL;
  struct raid_history_counts c;
  raid_history_counts(r->hist, &c);
  struct mb_coord_status st;
  uint32_t l = leader(s, &st);
  return json_pack(
      "{s:i, s:o, s:{s:I, s:I, s:I, s:I, s:I}, s:I, s:I, s:o, s:o, s:I, "
      "s:o}",
      "voters", (int)r->n_voters, "leader",
      l == SIM_NONE ? json_null() : json_integer(l), "committed", "outs",
      (json_int_t)c.outs, "rebuilds", (json_int_t)c.rebuilds, "resyncs",
      (json_int_t)c.resyncs, "moves", (json_int_t)c.moves, "domain_misses",
      (json_int_t)c.domain_misses, "applied", (json_int_t)r->c.applied,
      "tasks_finished", (json_int_t)r->c.tasks_finished, "requests",
      requests_json(s), "violations", violations_json(s), "violation_count",
      (json_int_t)raid_history_violation_count(r->hist), "tasks",
      tasks_json(s));
}
