/*
 * Driving one core exactly as the agent will: swim_receive on every
 * delivery, swim_tick when swim_next_deadline comes, and after every input
 * the outputs drained (sends to the network, events to the ground truth) and
 * the timer re-armed.
 *
 * The timer: a node has at most one live tick event, stamped with arm_gen.
 * After an input, when the core's deadline is earlier than the live event a
 * new one is scheduled (the old one becomes stale and is skipped); when it
 * is later the live one is kept, and on firing finds the deadline not yet
 * due and re-arms.  So swim_tick runs exactly at the deadline, never early.
 */
#include "bridge.h"
#include "raid.h"
#include "sample.h"
#include "sim.h"

#include <stdlib.h>
#include <string.h>

uint64_t sim_core_now(const struct sim *s, const struct sim_node *n) {
  return SIM_MONO_BASE_MS + s->now / 1000 + n->mono_off_ms;
}

int64_t sim_node_wall(const struct sim *s, const struct sim_node *n) {
  return SIM_WALL_BASE_MS + (int64_t)(s->now / 1000) + n->wall_off_ms;
}

int sim_node_new_core(struct sim *s, uint32_t i, uint64_t incarnation,
                      uint64_t first_seq) {
  struct sim_node *n = &s->nodes[i];
  struct mb_identity id;
  uint8_t cert[MB_CERT_MAX_LEN];
  size_t cert_len = 0;
  struct mb_cert c;
  sim_node_identity(s, i, &id);
  int rc = sim_node_cert(s, i, id.pk, cert, sizeof(cert), &cert_len);
  if (rc == 0)
    rc = mb_cert_decode(cert, cert_len, &c);
  if (rc != 0) {
    mb_identity_wipe(&id);
    return sim_fail(s, "node %u: certificate: %s", i, mb_strerror(rc));
  }
  /* Name and domain as certified, as the agent takes them: peers refuse
   * records that name anything else. */
  struct swim_self self = {.id = &id,
                           .cert = cert,
                           .cert_len = cert_len,
                           .name = c.name,
                           .domain = c.domain,
                           .incarnation = incarnation,
                           .first_seq = first_seq};
  sim_node_addr(i, &self.addr);
  struct swim_config cfg = s->cfg;
  cfg.seed = sim_derive_u64(s->seed, "meshbeat-sim core", i, n->restarts);
  n->core =
      swim_new(&cfg, &self, s->vc, sim_core_now(s, n), sim_node_wall(s, n));
  mb_identity_wipe(&id);
  if (n->core == NULL)
    return sim_fail(s, "node %u: swim_new failed", i);
  n->incarnation = incarnation;
  n->first_seq = first_seq;
  n->life_sent0 = n->sent_dgrams;
  if (s->raid != NULL)
    sim_raid_core_new(s, i);
  return 0;
}

/* Joins through the seeds of the node's start line, itself excluded. */
void sim_node_join(struct sim *s, uint32_t i) {
  struct sim_node *n = &s->nodes[i];
  const struct scn_action *a = &s->scn->actions[n->start_action];
  if (!a->join_via && a->join_k == 0)
    return;
  size_t words = (s->n + 63) / 64, k = 0;
  uint64_t *bits = calloc(words, sizeof(uint64_t));
  struct mb_addr *seeds =
      calloc(a->join_via ? s->n : a->join_k, sizeof(*seeds));
  if (bits == NULL || seeds == NULL) {
    sim_fail(s, "out of memory for seeds");
  } else {
    if (a->join_via)
      scn_set_fill(&a->set2, s->n, bits);
    for (uint32_t j = 0; j < s->n; j++) {
      bool seed = a->join_via ? (bits[j / 64] >> (j % 64)) & 1 : j < a->join_k;
      if (seed && j != i)
        sim_node_addr(j, &seeds[k++]);
    }
    if (k > 0) {
      swim_join(n->core, sim_core_now(s, n), seeds, k);
      s->swim_inputs++;
    }
  }
  free(bits);
  free(seeds);
}

void sim_node_health(struct sim *s, uint32_t i) {
  struct sim_node *n = &s->nodes[i];
  bool healthy = n->status == SIM_UP && !n->frozen && !n->slow;
  if (!healthy)
    n->healthy_since = SIM_NEVER;
  else if (n->healthy_since == SIM_NEVER)
    n->healthy_since = s->now;
  sim_sample_health(s, i);
}

int sim_node_start(struct sim *s, uint32_t i, uint32_t action) {
  struct sim_node *n = &s->nodes[i];
  if (n->status != SIM_OFF)
    return sim_fail(s, "%s:%d: node %u is started twice", s->scn->path,
                    s->scn->actions[action].line, i);
  n->start_action = action;
  n->incarnation0 = 1;
  if (sim_node_new_core(s, i, 1, 1) != 0)
    return -1;
  n->status = SIM_UP;
  n->up_since = s->now;
  sim_node_health(s, i);
  sim_truth_up(s, i);
  sim_truth_started(s, action);
  if (s->raid != NULL)
    sim_raid_up(s, i);
  sim_node_join(s, i);
  sim_node_drain(s, i);
  sim_node_arm(s, i);
  return 0;
}

void sim_node_drain(struct sim *s, uint32_t i) {
  struct sim_node *n = &s->nodes[i];
  struct swim_output o;
  bool changed = false; /* the view, for the bridge */
  while (swim_poll(n->core, &o) == 1) {
    if (o.kind == SWIM_OUT_SEND) {
      n->sent_bytes += o.len;
      n->sent_dgrams++;
      sim_net_send(s, i, &o); /* copies o.buf before the next poll */
    } else if (o.kind == SWIM_OUT_EVENT) {
      sim_truth_event(s, i, &o.ev);
      changed = true;
    } else if (s->raid != NULL && o.kind == SWIM_OUT_APP) {
      sim_raid_app(s, i, &o); /* touches no core */
    } else if (s->raid != NULL && o.kind == SWIM_OUT_RECORD) {
      sim_raid_record(s, i, &o);
    } /* other records: nothing to persist in a simulation */
  }
  if (changed)
    sim_bridge_step(s, i);
  if (s->raid != NULL)
    sim_raid_after_core(s, i, changed);
}

static bool runs(const struct sim_node *n) {
  return n->status == SIM_UP || n->status == SIM_LEFT;
}

void sim_node_arm(struct sim *s, uint32_t i) {
  struct sim_node *n = &s->nodes[i];
  if (!runs(n) || n->frozen || n->armed_delayed)
    return; /* thaw re-arms; a late tick re-arms when it has run */
  uint64_t d = swim_next_deadline(n->core);
  if (d == UINT64_MAX)
    return;
  uint64_t base = SIM_MONO_BASE_MS + n->mono_off_ms;
  uint64_t t = d <= base ? 0 : (d - base) * 1000;
  if (t < s->now)
    t = s->now;
  if (n->armed_at != SIM_NEVER && n->armed_at <= t)
    return; /* the live timer comes first and will look again */
  n->armed_at = t;
  sim_schedule(s, t, SIM_EV_TICK, i, ++n->arm_gen, 0);
}

static void receive(struct sim *s, uint32_t i, uint32_t from, uint32_t id) {
  struct sim_node *n = &s->nodes[i];
  const struct sim_dgram *d = &s->pool.d[id];
  struct mb_addr addr;
  sim_node_addr(from, &addr);
  /* The trace: when, who to whom, and every byte. */
  sim_trace_u64(s, s->now);
  sim_trace_u64(s, (uint64_t)from << 32 | i);
  sim_trace_u64(s, d->len);
  sim_trace(s, d->p, d->len);
  s->net.st.delivered++;
  s->swim_inputs++;
  swim_receive(n->core, sim_core_now(s, n), &addr, d->p, d->len);
  sim_pool_unref(&s->pool, id);
  sim_node_drain(s, i);
  sim_node_arm(s, i);
}

static void drop(struct sim *s, uint32_t id, uint64_t *counter) {
  (*counter)++;
  sim_pool_unref(&s->pool, id);
}

/* A frozen node's socket buffer: kept in order, bounded like a real one. */
static void enqueue(struct sim *s, struct sim_node *n, uint32_t id,
                    uint32_t from, bool counted) {
  size_t len = s->pool.d[id].len;
  struct sim_inbox *q = &n->inbox;
  if (!counted && n->queued_bytes + len > s->net.cfg.inbox) {
    drop(s, id, &s->net.st.inbox_full);
    return;
  }
  if (q->n == q->cap) {
    uint32_t cap = q->cap ? 2 * q->cap : 64;
    struct sim_inbox_item *v = malloc(cap * sizeof(*v));
    if (v == NULL) {
      sim_fail(s, "out of memory for an inbox"); /* ends the run */
      drop(s, id, &s->net.st.inbox_full);
      return;
    }
    for (uint32_t k = 0; k < q->n; k++)
      v[k] = q->v[(q->head + k) % q->cap];
    free(q->v);
    q->v = v;
    q->head = 0;
    q->cap = cap;
  }
  q->v[(q->head + q->n++) % q->cap] = (struct sim_inbox_item){id, from};
  if (!counted)
    n->queued_bytes += len;
}

void sim_node_deliver(struct sim *s, const struct sim_event *e) {
  struct sim_node *n = &s->nodes[e->node];
  if (!runs(n)) {
    drop(s, e->ref, &s->net.st.to_down);
    return;
  }
  if (n->frozen) {
    enqueue(s, n, e->ref, e->aux, false);
    return;
  }
  if (n->slow) {
    /* One input at a time, each taking slow_delay: a queue that grows
     * when inputs come faster than the node handles them. */
    size_t len = s->pool.d[e->ref].len;
    if (n->queued_bytes + len > s->net.cfg.inbox) {
      drop(s, e->ref, &s->net.st.inbox_full);
      return;
    }
    n->queued_bytes += len;
    n->busy_until =
        (n->busy_until > s->now ? n->busy_until : s->now) + n->slow_delay;
    sim_schedule(s, n->busy_until, SIM_EV_PROCESS, e->node, e->ref,
                 e->aux | (uint32_t)n->life << 24);
    return;
  }
  receive(s, e->node, e->aux, e->ref);
}

void sim_node_process(struct sim *s, const struct sim_event *e) {
  struct sim_node *n = &s->nodes[e->node];
  uint32_t from = e->aux & 0xffffff;
  if (!runs(n) || (e->aux >> 24) != n->life) {
    n->queued_bytes -= s->pool.d[e->ref].len;
    drop(s, e->ref, &s->net.st.to_down);
    return;
  }
  if (n->frozen) {
    enqueue(s, n, e->ref, from, true);
    return;
  }
  n->queued_bytes -= s->pool.d[e->ref].len;
  receive(s, e->node, from, e->ref);
}

void sim_node_tick(struct sim *s, const struct sim_event *e) {
  struct sim_node *n = &s->nodes[e->node];
  if (e->ref != n->arm_gen || !runs(n) || n->frozen)
    return; /* stale, or the node cannot run now */
  n->armed_at = SIM_NEVER;
  n->armed_delayed = false;
  if (n->slow && e->aux == 0) {
    n->busy_until =
        (n->busy_until > s->now ? n->busy_until : s->now) + n->slow_delay;
    n->armed_at = n->busy_until;
    n->armed_delayed = true;
    sim_schedule(s, n->busy_until, SIM_EV_TICK, e->node, ++n->arm_gen, 1);
    return;
  }
  if (sim_core_now(s, n) < swim_next_deadline(n->core)) {
    sim_node_arm(s, e->node);
    return;
  } /* the deadline moved later */
  s->swim_inputs++;
  swim_tick(n->core, sim_core_now(s, n));
  sim_node_drain(s, e->node);
  sim_node_arm(s, e->node);
}

/* On thaw: the queued inputs in arrival order, then the timer. */
void sim_node_thaw(struct sim *s, uint32_t i) {
  struct sim_node *n = &s->nodes[i];
  n->frozen = false;
  sim_node_health(s, i);
  struct sim_inbox *q = &n->inbox;
  while (q->n > 0 && runs(n) && !n->frozen) {
    struct sim_inbox_item it = q->v[q->head];
    q->head = (q->head + 1) % q->cap;
    q->n--;
    n->queued_bytes -= s->pool.d[it.dgram].len;
    receive(s, i, it.from, it.dgram);
  }
  sim_bridge_step(s, i); /* offlines that fell due while it was frozen */
  if (s->raid != NULL)
    sim_raid_thaw(s, i);
  n->armed_at = SIM_NEVER; /* whatever was armed before the freeze is gone */
  n->armed_delayed = false;
  n->arm_gen++;
  sim_node_arm(s, i);
}

void sim_node_inbox_clear(struct sim *s, struct sim_node *n) {
  struct sim_inbox *q = &n->inbox;
  while (q->n > 0) {
    struct sim_inbox_item it = q->v[q->head];
    q->head = (q->head + 1) % q->cap;
    q->n--;
    n->queued_bytes -= s->pool.d[it.dgram].len;
    drop(s, it.dgram, &s->net.st.to_down);
  }
}
