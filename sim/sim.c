/*
 * The simulator object: building the world from a scenario, the event loop,
 * and the trace hash.
 *
 * The trace is a running BLAKE2b-256 over, in event order: the run's
 * identity (seed, node count, signature scheme), every scenario action
 * (time, kind, line), every delivered datagram (time, sender, receiver,
 * length, bytes) and every membership event (time, observer, subject, from,
 * to, reason, incarnation).  Equal hashes mean the runs did the same thing
 * in the same order, to the byte.
 */
#include "sim.h"
#include "bridge.h"
#include "faults_random.h"
#include "raid.h"
#include "sample.h"
#include "standin_scheme.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int sim_fail(struct sim *s, const char *fmt, ...) {
  if (s->err[0] != '\0')
    return -1; /* the first error is the cause; keep it */
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->err, sizeof(s->err), fmt, ap);
  va_end(ap);
  return -1;
}

int sim_schedule(struct sim *s, uint64_t t, enum sim_ev kind, uint32_t node,
                 uint32_t ref, uint32_t aux) {
  struct sim_event e = {
      .t = t, .kind = kind, .node = node, .ref = ref, .aux = aux};
  if (sim_heap_push(&s->heap, &e) != 0)
    return sim_fail(s, "out of memory for events");
  return 0;
}

void sim_trace(struct sim *s, const void *p, size_t len) {
  crypto_generichash_update(&s->trace, p, len);
}

void sim_trace_u64(struct sim *s, uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++)
    b[i] = (uint8_t)(v >> (8 * i));
  sim_trace(s, b, sizeof(b));
}

static void apply_skews(struct sim *s) {
  for (size_t k = 0; k < s->scn->n_skews; k++) {
    const struct scn_skew *sk = &s->scn->skews[k];
    uint64_t *bits = sim_set_bits(s, &sk->set);
    for (uint32_t i = 0; bits && i < s->n; i++)
      if ((bits[i / 64] >> (i % 64)) & 1) {
        s->nodes[i].wall_off_ms = sk->wall_ms;
        s->nodes[i].mono_off_ms = sk->mono_ms;
      }
    free(bits);
  }
}

static int init_crypto(struct sim *s) {
  uint8_t seed[MB_SEED_LEN];
  sim_derive(s->seed, "meshbeat-sim authority", 0, 0, seed, sizeof(seed));
  mb_identity_from_seed(&s->authority, seed);
  sodium_memzero(seed, sizeof(seed));
  /* Certificates are signed with the authority's scheme, which must be the
   * one the cores verify with. */
  s->authority.scheme = s->standin ? &sim_sig_standin : NULL;
  memcpy(s->cfg.authority, s->authority.pk, MB_NODE_ID_LEN);
  /* One cache for all: whether bytes verify does not depend on who asks.
   * Room for every node's heartbeat and claims many times over. */
  size_t cap = 4096 + 32 * (size_t)s->n;
  s->vc = s->standin ? mb_vcache_new_scheme(cap, &sim_sig_standin)
                     : mb_vcache_new(cap);
  /* One pool for all: every core holds the same records and certificates,
   * and n copies of each were half of a large run's memory. */
  s->blobs = mb_blobs_new();
  s->cfg.blobs = s->blobs;
  if (s->vc == NULL || s->blobs == NULL)
    return sim_fail(s, "out of memory for the verified cache");
  return 0;
}

/* Every occurrence of action k, all before the run: so, at equal times,
 * actions still come before anything the run schedules, in file order. */
static int schedule_action(struct sim *s, size_t k) {
  const struct scn_action *a = &s->scn->actions[k];
  uint64_t until = a->until_us ? a->until_us : s->end;
  uint64_t t = a->at_us;
  do {
    if (sim_schedule(s, t, SIM_EV_ACTION, 0, (uint32_t)k, 0) != 0)
      return -1;
    t += a->every_us;
  } while (a->every_us > 0 && t < until);
  return 0;
}

static int init_world(struct sim *s, const struct sim_opts *o) {
  const struct scenario *scn = s->scn;
  s->n = scn->nodes;
  s->seed = scn->seed;
  s->standin = o->standin;
  s->timeline = o->timeline;
  s->end = scn->duration_us;
  s->net.cfg = scn->net;
  s->grace = scn->has_grace ? scn->grace_us
                            : 2ull * s->cfg.probe_interval_ms * SCN_US_PER_MS;
  s->win_from = scn->has_window ? scn->window_from_us : s->end / 2;
  s->win_to = scn->has_window ? scn->window_to_us : s->end;
  mb_rng_seed(&s->rng, sim_derive_u64(s->seed, "meshbeat-sim network", 0, 0));
  s->nodes = calloc(s->n, sizeof(*s->nodes));
  if (s->nodes == NULL)
    return sim_fail(s, "out of memory for %u nodes", s->n);
  for (uint32_t i = 0; i < s->n; i++) {
    s->nodes[i].armed_at = SIM_NEVER;
    s->nodes[i].healthy_since = SIM_NEVER;
  }
  apply_skews(s);
  if (init_crypto(s) != 0 || sim_ids_init(s) != 0 || sim_truth_init(s) != 0)
    return -1;
  if (sim_bridge_wanted(scn) && sim_bridge_new(s) != 0)
    return -1;
  /* Before any core exists: it names the coordinators in s->cfg. */
  if (sim_raid_wanted(scn) && sim_raid_new(s) != 0)
    return -1;
  if (sim_rfaults_new(s) != 0)
    return -1;
  crypto_generichash_init(&s->trace, NULL, 0, sizeof(s->trace_hash));
  sim_trace_u64(s, s->seed);
  sim_trace_u64(s, s->n);
  sim_trace_u64(s, s->standin);
  for (size_t k = 0; k < scn->n_actions; k++)
    if (schedule_action(s, k) != 0)
      return -1;
  if (sim_schedule(s, s->win_from, SIM_EV_WINDOW, 0, 0, 0) != 0 ||
      sim_schedule(s, s->win_to, SIM_EV_WINDOW, 0, 0, 1) != 0)
    return -1;
  return 0;
}

struct sim *sim_new(const struct scenario *scn, const struct sim_opts *o,
                    char err[SIM_ERR_MAX]) {
  struct sim *s = calloc(1, sizeof(*s));
  if (s == NULL) {
    snprintf(err, SIM_ERR_MAX, "out of memory");
    return NULL;
  }
  s->scn = scn;
  swim_config_default(&s->cfg);
  s->cfg.cluster = scn->cluster;
  s->cfg.require_cert = true; /* real admission unless a param says no */
  if (scn_resolve(scn, &s->cfg, err) != 0) {
    free(s);
    return NULL;
  }
  if (init_world(s, o) != 0 || (o->sample && sim_sample_new(s) != 0)) {
    snprintf(err, SIM_ERR_MAX, "%s", s->err);
    sim_free(s);
    return NULL;
  }
  return s;
}

static double host_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void window(struct sim *s, bool close) {
  s->win_host_s[close] = host_seconds();
  for (uint32_t i = 0; i < s->n; i++) {
    struct sim_node *n = &s->nodes[i];
    if (!close) {
      n->win_bytes = n->sent_bytes;
      n->win_dgrams = n->sent_dgrams;
      continue;
    }
    n->win_bytes = n->sent_bytes - n->win_bytes;
    n->win_dgrams = n->sent_dgrams - n->win_dgrams;
    n->win_ok = n->status == SIM_UP && n->up_since <= s->win_from;
  }
}

static void dispatch(struct sim *s, const struct sim_event *e) {
  struct sim_node *n = &s->nodes[e->node];
  switch (e->kind) {
  case SIM_EV_ACTION:
    sim_apply_action(s, e->ref);
    break;
  case SIM_EV_START:
    sim_node_start(s, e->node, e->ref);
    break;
  case SIM_EV_DELIVER:
    sim_node_deliver(s, e);
    break;
  case SIM_EV_PROCESS:
    sim_node_process(s, e);
    break;
  case SIM_EV_TICK:
    sim_node_tick(s, e);
    break;
  case SIM_EV_THAW:
    if (e->ref == n->freeze_gen && n->frozen)
      sim_node_thaw(s, e->node);
    break;
  case SIM_EV_SLOW_END:
    if (e->ref == n->slow_gen && n->slow)
      sim_slow_end(s, e->node);
    break;
  case SIM_EV_WINDOW:
    window(s, e->aux != 0);
    break;
  case SIM_EV_RULE_END:
    sim_rule_end(s, e->ref);
    break;
  case SIM_EV_BRIDGE_DUE:
    sim_bridge_due(s, e->node, e->ref);
    break;
  case SIM_EV_RAID_TICK:
    sim_raid_tick_event(s, e->node, e->ref);
    break;
  case SIM_EV_RAID_VIEW:
    sim_raid_view_event(s, e->node, e->ref);
    break;
  case SIM_EV_RAID_EXEC:
    sim_raid_exec_event(s, e->node, e->ref);
    break;
  case SIM_EV_RAID_SAMPLE:
    sim_raid_sample_event(s, e->ref);
    break;
  case SIM_EV_RAID_RETRY:
    sim_raid_retry_event(s, e->ref);
    break;
  case SIM_EV_FAULT:
    sim_rfaults_event(s, e);
    break;
  case SIM_EV_HEAL:
    if (e->ref == s->net.partition_gen && s->net.partitioned)
      sim_heal(s);
    break;
  }
}

int sim_run(struct sim *s) {
  struct sim_event e;
  const struct sim_event *top;
  while (s->err[0] == '\0' && (top = sim_heap_top(&s->heap)) != NULL &&
         top->t <= s->end) {
    sim_heap_pop(&s->heap, &e);
    sim_sample_until(s, e.t);
    s->now = e.t;
    s->events_run++;
    dispatch(s, &e);
  }
  s->now = s->end;
  if (s->raid != NULL)
    sim_raid_finish(s);
  sim_sample_finish(s);
  crypto_generichash_state copy = s->trace; /* the trace may go on */
  crypto_generichash_final(&copy, s->trace_hash, sizeof(s->trace_hash));
  return s->err[0] ? -1 : 0;
}

void sim_free(struct sim *s) {
  if (s == NULL)
    return;
  for (uint32_t i = 0; s->nodes && i < s->n; i++) {
    if (s->nodes[i].core != NULL)
      swim_free(s->nodes[i].core);
    free(s->nodes[i].inbox.v);
  }
  sim_net_clear_rules(s);
  free(s->net.rules);
  free(s->net.seconds);
  sim_truth_free(s);
  sim_sample_free(s);
  sim_bridge_free(s);
  sim_raid_free(s); /* after the cores: nothing refers to it then */
  sim_rfaults_free(s);
  sim_adversary_free(s);
  sim_pool_free(&s->pool);
  sim_heap_free(&s->heap);
  mb_vcache_free(s->vc);
  mb_blobs_free(s->blobs); /* after the cores: they hold references */
  mb_identity_wipe(&s->authority);
  free(s->nodes);
  free(s->ids);
  free(s->id_index);
  free(s);
}
