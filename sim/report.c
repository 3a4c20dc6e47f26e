/*
 * The JSON report (--report FILE).  docs/sim.md lists every field; times
 * are virtual seconds, detection and convergence times are seconds after
 * the fault or event, null when it never happened.
 */
#include "bridge.h"
#include "raid.h"
#include "results.h"

#include <stdio.h>

static json_t *rate_json(const struct sim_rate *r) {
  return json_pack("{s:f, s:f, s:f}", "mean", r->mean, "p99", r->p99, "max",
                   r->max);
}

static json_t *after(uint64_t when, uint64_t at) {
  return sim_json_seconds(when == SIM_NEVER ? when : when - at);
}

static json_t *failures_json(const struct sim *s) {
  json_t *a = json_array();
  for (size_t k = 0; k < s->truth.n_fail; k++) {
    const struct sim_failure *f = &s->truth.fail[k];
    json_array_append_new(
        a, json_pack("{s:i, s:s, s:o, s:o, s:o, s:i, s:i}", "node",
                     (int)f->node, "kind",
                     f->revoked ? "revoke"
                     : f->leave ? "leave"
                                : "crash",
                     "at", sim_json_seconds(f->at), "first_detect",
                     after(f->first, f->at), "all_detect", after(f->all, f->at),
                     "observers", (int)f->want, "detected", (int)f->got));
  }
  return a;
}

static json_t *convergence_json(const struct sim *s) {
  json_t *a = json_array();
  for (size_t k = 0; k < s->truth.n_conv; k++) {
    const struct sim_conv *c = &s->truth.conv[k];
    json_array_append_new(
        a, json_pack("{s:s, s:o, s:o}", "event", scn_conv_name(c->kind), "at",
                     sim_json_seconds(c->at), "converged_after",
                     after(c->done, c->at)));
  }
  return a;
}

static json_t *examples_json(const struct sim *s) {
  json_t *a = json_array();
  for (size_t k = 0; k < s->truth.n_examples; k++) {
    const struct sim_false_event *x = &s->truth.examples[k];
    json_array_append_new(
        a, json_pack("{s:o, s:i, s:i, s:s}", "t", sim_json_seconds(x->t),
                     "observer", (int)x->observer, "subject", (int)x->subject,
                     "to", swim_state_name(x->to)));
  }
  return a;
}

/* Subjects falsely declared dead, by index; only those that were. */
static json_t *false_by_subject_json(const struct sim *s) {
  json_t *o = json_object();
  for (uint32_t i = 0; i < s->n; i++) {
    char key[16];
    if (s->truth.false_deaths_of[i] == 0)
      continue;
    snprintf(key, sizeof(key), "%u", i);
    json_object_set_new(o, key, json_integer(s->truth.false_deaths_of[i]));
  }
  return o;
}

static json_t *partitions_json(const struct sim *s) {
  json_t *a = json_array();
  for (size_t k = 0; k < s->truth.n_pdet; k++) {
    const struct sim_pdetect *p = &s->truth.pdet[k];
    json_array_append_new(a,
                          json_pack("{s:o, s:o}", "at", sim_json_seconds(p->at),
                                    "detected", after(p->done, p->at)));
  }
  return a;
}

static json_t *kind_stats_json(const struct sim_kind_stats *st) {
  json_t *o = json_object();
  for (int k = 0; k < SIM_KINDS; k++) {
    if (st->dgrams[k] == 0)
      continue;
    const char *name = k ? mb_msg_kind_name((enum mb_msg_kind)k) : "unparsed";
    json_object_set_new(o, name,
                        json_pack("{s:I, s:I}", "datagrams",
                                  (json_int_t)st->dgrams[k], "bytes",
                                  (json_int_t)st->bytes[k]));
  }
  return o;
}

/* What the adversaries injected; null when the scenario has none. */
static json_t *adversary_json(const struct sim *s) {
  if (s->scn->n_adversaries == 0)
    return json_null();
  return json_pack("{s:o, s:I}", "sent", kind_stats_json(&s->adv.sent),
                   "claims", (json_int_t)s->adv.claims);
}

static json_t *network_json(const struct sim *s) {
  const struct sim_net_stats *n = &s->net.st;
  return json_pack(
      "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "sent",
      (json_int_t)n->sent, "delivered", (json_int_t)n->delivered, "lost",
      (json_int_t)n->lost, "partitioned", (json_int_t)n->partitioned, "to_down",
      (json_int_t)n->to_down, "inbox_full", (json_int_t)n->inbox_full,
      "oversize", (json_int_t)n->oversize, "unknown_address",
      (json_int_t)n->unknown_addr, "duplicated", (json_int_t)n->duplicated,
      "reordered", (json_int_t)n->reordered);
}

static json_t *kinds_json(const struct sim *s) {
  return kind_stats_json(&s->net.kinds);
}

/* Totals over all nodes, one entry per simulated second of the run. */
static json_t *seconds_json(const struct sim *s) {
  json_t *bytes = json_array(), *dgrams = json_array();
  size_t n = (size_t)((s->now + 999999) / 1000000);
  for (size_t i = 0; i < n; i++) {
    const struct sim_second *c =
        i < s->net.n_seconds ? &s->net.seconds[i] : &(struct sim_second){0};
    json_array_append_new(bytes, json_integer((json_int_t)c->bytes));
    json_array_append_new(dgrams, json_integer((json_int_t)c->dgrams));
  }
  return json_pack("{s:o, s:o}", "bytes", bytes, "datagrams", dgrams);
}

static json_t *core_json(const struct sim_results *r) {
  json_t *rej = json_object();
  for (int k = 0; k < SWIM_REJ_COUNT_; k++)
    json_object_set_new(rej, swim_reject_name(k),
                        json_integer((json_int_t)r->core.rejected[k]));
  return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "probes",
                   (json_int_t)r->core.probes, "probe_failures",
                   (json_int_t)r->core.probe_failures, "suspicions",
                   (json_int_t)r->core.suspicions, "refutations",
                   (json_int_t)r->core.refutations, "sent_datagrams",
                   (json_int_t)r->core.sent_datagrams, "recv_datagrams",
                   (json_int_t)r->core.recv_datagrams, "rejected", rej);
}

static json_t *sim_json(const struct sim *s, const struct sim_results *r) {
  return json_pack(
      "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "events",
      (json_int_t)s->events_run, "core_inputs", (json_int_t)s->swim_inputs,
      "membership_events", (json_int_t)s->truth.events, "heap_peak",
      (json_int_t)s->heap.peak, "datagrams_in_flight_peak",
      (json_int_t)s->pool.peak, "vcache_hits", (json_int_t)r->vc.hits,
      "vcache_misses", (json_int_t)r->vc.misses, "vcache_evictions",
      (json_int_t)r->vc.evictions, "vcache_capacity",
      (json_int_t)r->vc.capacity);
}

/* Host seconds per simulated second inside the window. */
static double window_wall_per_sim(const struct sim *s) {
  double span = (double)(s->win_to - s->win_from) / 1e6;
  return span > 0 ? (s->win_host_s[1] - s->win_host_s[0]) / span : 0.0;
}

int sim_report_write(const struct sim *s, const struct sim_results *r,
                     json_t *verdicts, const char *path) {
  const struct sim_truth *t = &s->truth;
  json_t *root = json_pack(
      "{s:s, s:I, s:i, s:s, s:f, s:f, s:s, s:o, s:I, s:I, s:I, s:o, s:o, "
      "s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:O}",
      "scenario", s->scn->path, "seed", (json_int_t)s->seed, "nodes", (int)s->n,
      "crypto", s->standin ? "standin" : "ed25519", "sim_seconds",
      r->sim_seconds, "wall_seconds", r->wall_seconds, "trace_hash",
      r->trace_hex, "failures", failures_json(s), "false_suspicions",
      (json_int_t)t->false_suspicions, "false_deaths",
      (json_int_t)t->false_deaths, "false_by_recovering_observers",
      (json_int_t)t->false_by_recovering, "false_examples", examples_json(s),
      "bytes_per_node_per_s", rate_json(&r->bytes), "datagrams_per_node_per_s",
      rate_json(&r->dgrams), "window",
      json_pack("{s:o, s:o, s:i, s:f}", "from", sim_json_seconds(s->win_from),
                "to", sim_json_seconds(s->win_to), "nodes", (int)r->rate_nodes,
                "wall_per_sim_s", window_wall_per_sim(s)),
      "convergence", convergence_json(s), "network", network_json(s),
      "sent_by_kind", kinds_json(s), "sent_per_second", seconds_json(s), "core",
      core_json(r), "simulator", sim_json(s, r), "expectations", verdicts);
  if (root != NULL &&
      (json_object_set_new(root, "deaths_of_healthy",
                           json_integer((json_int_t)t->deaths_of_healthy)) ||
       json_object_set_new(root, "false_deaths_by_subject",
                           false_by_subject_json(s)) ||
       json_object_set_new(root, "partitions", partitions_json(s)) ||
       json_object_set_new(root, "adversary", adversary_json(s)) ||
       (s->bridge != NULL &&
        json_object_set_new(root, "bridge", sim_bridge_json(s))) ||
       (s->raid != NULL &&
        json_object_set_new(root, "raid", sim_raid_json(s))))) {
    json_decref(root);
    root = NULL;
  }
  if (root == NULL) {
    fprintf(stderr, "meshbeat-sim: cannot build the report\n");
    return -1;
  }
  int rc = json_dump_file(root, path, JSON_INDENT(2) | JSON_SORT_KEYS);
  json_decref(root);
  if (rc != 0) {
    fprintf(stderr, "meshbeat-sim: cannot write %s\n", path);
    return -1;
  }
  return 0;
}
