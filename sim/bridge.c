/*
 * Driving the bridge's pure logic from every simulated node, as the agent
 * will (bridge.h), and recording what the mesh derived beside the truth.
 *
 * A node's tracker lives as long as the node, across crashes and restarts
 * alike: the agent persists its open episodes with the events it reports
 * (one transaction), so a restarted agent resumes with them.  Only running
 * nodes step; a crashed or departed node derives nothing.
 *
 * Every derivation (time, node, id, body) is folded into the trace, so
 * `expect trace_hash stable` covers the bridge too.
 */
#include "bridge.h"

#include <stdlib.h>
#include <string.h>

#define STEP_BATCH 64

static bool bit(const uint64_t *bits, uint32_t i) {
  return (bits[i / 64] >> (i % 64)) & 1;
}

static void *grow(struct sim *s, void *v, size_t *cap, size_t n, size_t size) {
  if (n < *cap)
    return v;
  size_t c = *cap ? 2 * *cap : 16;
  void *p = realloc(v, c * size);
  if (p == NULL) {
    sim_fail(s, "out of memory for the bridge's records");
    return NULL;
  }
  *cap = c;
  return p;
}

static void open_settle(struct sim *s, enum sim_bridge_cause cause,
                        uint32_t node);

bool sim_bridge_wanted(const struct scenario *scn) {
  if (scn->bridge)
    return true;
  for (size_t k = 0; k < scn->n_expects; k++)
    if (scn->expects[k].metric >= SCN_M_BRIDGE_ONE_ID &&
        scn->expects[k].metric <= SCN_M_BRIDGE_EVENTS)
      return true;
  return false;
}

int sim_bridge_new(struct sim *s) {
  const struct scenario *scn = s->scn;
  struct sim_bridge *b = calloc(1, sizeof(*b));
  if (b == NULL)
    return sim_fail(s, "out of memory for the bridge");
  s->bridge = b;
  b->offline_after_ms = scn->bridge_offline_after_us / SCN_US_PER_MS;
  b->agreed_on = SIM_NONE;
  b->crashed_bridge = SIM_NONE;
  struct scn_set all = {.all = true};
  b->eligible =
      sim_set_bits(s, scn->has_bridge_eligible ? &scn->bridge_eligible : &all);
  b->node = calloc(s->n, sizeof(*b->node));
  b->view = calloc(s->n, sizeof(*b->view));
  if (b->eligible == NULL || b->node == NULL || b->view == NULL)
    return sim_fail(s, "out of memory for the bridge");
  open_settle(s, SIM_BA_START, SIM_NONE); /* the first agreement */
  for (uint32_t i = 0; i < s->n; i++) {
    b->node[i].active = SIM_NONE;
    b->node[i].tr =
        mb_bridge_transitions_new(scn->cluster, b->offline_after_ms);
    if (b->node[i].tr == NULL)
      return sim_fail(s, "out of memory for node %u's bridge", i);
  }
  return 0;
}

void sim_bridge_free(struct sim *s) {
  struct sim_bridge *b = s->bridge;
  if (b == NULL)
    return;
  for (uint32_t i = 0; b->node && i < s->n; i++)
    mb_bridge_transitions_free(b->node[i].tr);
  for (size_t k = 0; k < b->n_recs; k++)
    free(b->recs[k].by);
  free(b->recs);
  free(b->deaths);
  free(b->cuts);
  free(b->settle);
  free(b->node);
  free(b->view);
  free(b->eligible);
  free(b);
  s->bridge = NULL;
}

static struct sim_bridge_rec *find_rec(struct sim_bridge *b, const char *id) {
  for (size_t k = 0; k < b->n_recs; k++)
    if (strcmp(b->recs[k].id, id) == 0)
      return &b->recs[k];
  return NULL;
}

/* One event node i derived: its body built as the agent builds it, and
 * compared with what any other node derived under the same id. */
static void record(struct sim *s, uint32_t i,
                   const struct mb_bridge_event *ev) {
  struct sim_bridge *b = s->bridge;
  char *body = NULL;
  if (mb_bridge_event_body(ev, &body) != 0) {
    sim_fail(s, "node %u: event body for %s failed", i, ev->id);
    return;
  }
  uint8_t h[32];
  crypto_generichash(h, sizeof(h), (const uint8_t *)body, strlen(body), NULL,
                     0);
  sim_trace_u64(s, s->now);
  sim_trace_u64(s, i);
  sim_trace(s, ev->id, MB_BRIDGE_EVENT_ID_LEN);
  sim_trace(s, body, strlen(body));
  free(body);
  b->derivations++;
  struct sim_bridge_rec *r = find_rec(b, ev->id);
  if (r == NULL) {
    struct sim_bridge_rec *v =
        grow(s, b->recs, &b->cap_recs, b->n_recs, sizeof(*v));
    if (v == NULL)
      return;
    b->recs = v;
    r = &v[b->n_recs];
    memset(r, 0, sizeof(*r));
    if ((r->by = calloc((s->n + 63) / 64, sizeof(uint64_t))) == NULL) {
      sim_fail(s, "out of memory for the bridge's records");
      return;
    }
    b->n_recs++;
    memcpy(r->id, ev->id, sizeof(r->id));
    r->type = ev->type;
    r->member = sim_id_node(s, ev->member);
    r->incarnation = ev->incarnation;
    memcpy(r->body_hash, h, sizeof(h));
    r->first = s->now;
  } else if (memcmp(r->body_hash, h, sizeof(h)) != 0) {
    r->conflicts++;
  }
  r->derivations++;
  r->by[i / 64] |= 1ull << (i % 64);
}

/* Do all up nodes name one and the same up node?  Closes the open settle
 * measurements when they start to. */
static void check_agreement(struct sim *s) {
  struct sim_bridge *b = s->bridge;
  uint32_t on = SIM_NONE;
  bool agreed = true, any = false;
  for (uint32_t i = 0; i < s->n && agreed; i++) {
    if (s->nodes[i].status != SIM_UP)
      continue;
    uint32_t a = b->node[i].active;
    agreed = a != SIM_NONE && (!any || a == on);
    on = a, any = true;
  }
  agreed = agreed && any && s->nodes[on].status == SIM_UP;
  bool was = b->agreed;
  b->agreed = agreed;
  b->agreed_on = agreed ? on : SIM_NONE;
  /* The start's figure is when the mesh last came to agree before the
   * first fault: the first node up agrees with itself at once. */
  bool entered = agreed && !was;
  for (size_t k = 0; entered && k < b->n_settle; k++)
    if (b->settle[k].done == SIM_NEVER ||
        (b->settle[k].cause == SIM_BA_START && b->n_settle == 1))
      b->settle[k].done = s->now;
}

static void open_settle(struct sim *s, enum sim_bridge_cause cause,
                        uint32_t node) {
  struct sim_bridge *b = s->bridge;
  struct sim_bridge_settle *v =
      grow(s, b->settle, &b->cap_settle, b->n_settle, sizeof(*v));
  if (v == NULL)
    return;
  b->settle = v;
  v[b->n_settle++] = (struct sim_bridge_settle){
      .cause = cause, .node = node, .at = s->now, .done = SIM_NEVER};
}

static void schedule_due(struct sim *s, uint32_t i) {
  struct sim_bridge_node *bn = &s->bridge->node[i];
  uint64_t due = mb_bridge_transitions_next_due(bn->tr);
  bn->due_gen++; /* whatever was scheduled is superseded */
  if (due == UINT64_MAX)
    return;
  uint64_t base = SIM_MONO_BASE_MS + s->nodes[i].mono_off_ms;
  uint64_t t = due <= base ? 0 : (due - base) * SCN_US_PER_MS;
  sim_schedule(s, t < s->now ? s->now : t, SIM_EV_BRIDGE_DUE, i, bn->due_gen,
               0);
}

/* The node's view, as the agent copies it from its core. */
static size_t fill_view(struct sim *s, uint32_t i) {
  struct sim_bridge *b = s->bridge;
  const struct swim *core = s->nodes[i].core;
  size_t n = swim_member_count(core), k = 0;
  for (size_t j = 0; j < n && k < s->n; j++) {
    struct swim_member_info mi;
    if (swim_member_get(core, j, &mi) != 0)
      continue;
    uint32_t who = sim_id_node(s, mi.id);
    bool eligible = who != SIM_NONE && bit(b->eligible, who);
    mb_bridge_member_from_swim(&b->view[k++], &mi, eligible);
  }
  return k;
}

static void elect(struct sim *s, uint32_t i, size_t n) {
  struct sim_bridge *b = s->bridge;
  struct mb_bridge_election el;
  if (mb_bridge_elect(s->scn->cluster, b->view, n, &el) != 0) {
    sim_fail(s, "node %u: election failed", i);
    return;
  }
  uint32_t active = el.have ? sim_id_node(s, el.active) : SIM_NONE;
  if (active == b->node[i].active)
    return;
  b->node[i].active = active;
  b->handovers++;
  check_agreement(s);
}

void sim_bridge_step(struct sim *s, uint32_t i) {
  struct sim_bridge *b = s->bridge;
  struct sim_node *nd = &s->nodes[i];
  if (b == NULL || nd->status != SIM_UP || nd->frozen || nd->core == NULL)
    return;
  size_t n = fill_view(s, i);
  struct mb_bridge_event ev[STEP_BATCH];
  int got;
  b->steps++;
  do {
    got = mb_bridge_transitions_step(b->node[i].tr, sim_core_now(s, nd),
                                     b->view, n, ev, STEP_BATCH);
    if (got < 0) {
      sim_fail(s, "node %u: transitions: %s", i, mb_strerror(got));
      return;
    }
    for (int k = 0; k < got; k++)
      record(s, i, &ev[k]);
  } while (got == STEP_BATCH);
  schedule_due(s, i);
  elect(s, i, n);
}

void sim_bridge_due(struct sim *s, uint32_t i, uint32_t gen) {
  if (s->bridge != NULL && gen == s->bridge->node[i].due_gen)
    sim_bridge_step(s, i);
}

void sim_bridge_crash(struct sim *s, uint32_t i) {
  struct sim_bridge *b = s->bridge;
  if (b == NULL)
    return;
  struct sim_bridge_death *v =
      grow(s, b->deaths, &b->cap_deaths, b->n_deaths, sizeof(*v));
  if (v == NULL)
    return;
  b->deaths = v;
  v[b->n_deaths++] = (struct sim_bridge_death){
      .member = i,
      .incarnation = swim_self_incarnation(s->nodes[i].core),
      .at = s->now,
      .end = SIM_NEVER};
  bool was_active = b->agreed_on == i;
  for (uint32_t o = 0; o < s->n && !was_active; o++)
    was_active = s->nodes[o].status == SIM_UP && b->node[o].active == i;
  b->node[i].active = SIM_NONE;
  if (was_active)
    open_settle(s, SIM_BA_CRASH, i);
  check_agreement(s);
}

void sim_bridge_back(struct sim *s, uint32_t i) {
  struct sim_bridge *b = s->bridge;
  if (b == NULL)
    return;
  for (size_t k = b->n_deaths; k-- > 0;)
    if (b->deaths[k].member == i && b->deaths[k].end == SIM_NEVER) {
      b->deaths[k].end = s->now;
      break;
    }
  sim_bridge_step(s, i);
  check_agreement(s);
}

void sim_bridge_left(struct sim *s, uint32_t i) {
  if (s->bridge == NULL)
    return;
  s->bridge->node[i].active = SIM_NONE;
  check_agreement(s);
}

uint32_t sim_bridge_target(struct sim *s, bool crash) {
  struct sim_bridge *b = s->bridge;
  if (b == NULL)
    return SIM_NONE;
  if (!crash)
    return b->crashed_bridge;
  b->crashed_bridge = b->agreed ? b->agreed_on : SIM_NONE;
  return b->crashed_bridge;
}

void sim_bridge_partition(struct sim *s, bool open) {
  struct sim_bridge *b = s->bridge;
  if (b == NULL)
    return;
  for (size_t k = 0; k < b->n_cuts; k++)
    if (b->cuts[k].open) {
      const struct sim_node *nd = &s->nodes[b->cuts[k].member];
      if (nd->core != NULL)
        b->cuts[k].hi = swim_self_incarnation(nd->core);
      b->cuts[k].open = false;
    }
  if (!open) {
    open_settle(s, SIM_BA_HEAL, SIM_NONE);
    check_agreement(s);
    return;
  }
  for (uint32_t i = 0; i < s->n; i++) {
    if (s->nodes[i].core == NULL)
      continue;
    struct sim_bridge_cutoff *v =
        grow(s, b->cuts, &b->cap_cuts, b->n_cuts, sizeof(*v));
    if (v == NULL)
      return;
    b->cuts = v;
    uint64_t inc = swim_self_incarnation(s->nodes[i].core);
    v[b->n_cuts++] = (struct sim_bridge_cutoff){
        .member = i, .lo = inc, .hi = inc, .open = true};
  }
}
