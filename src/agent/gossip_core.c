/*
 * The gossip core (src/gossip) as one core of the pump (pump.h): made
 * from the settings, ticked at its deadline, and its outputs routed:
 * datagrams to the socket (net.c), membership events and channel records
 * to the sinks (events.c), app payloads to the RAID coordinator.  The watchers
 * that read the core's state after each batch of outputs (join, refusals, our
 * own revocation) run last.
 */
#include "agent_state.h"

#include <sodium.h>
#include <string.h>

static uint64_t gossip_deadline(void *ctx) {
  struct agent *a = ctx;
  return swim_next_deadline(a->swim);
}

/* How late the core's timer ran, for Lifeguard and the metrics.  Counted
 * for this core alone: the lateness is the loop's, but only the gossip
 * core acts on it (a node that answers probes late is suspected for it,
 * so it slows down and says so), and meshbeat_loop_lag_seconds keeps its
 * meaning when other cores tick more often. */
static void count_lag(struct agent *a, uint64_t now, uint64_t lag) {
  swim_note_lateness(a->swim, now, lag);
  int b = 0;
  while (b + 1 < AGENT_LAG_BUCKETS && lag > (uint64_t)1 << b)
    b++;
  a->counters.lag_hist[b]++;
  a->counters.lag_sum_ms += lag;
}

static void gossip_tick(void *ctx, uint64_t now, uint64_t late_ms) {
  struct agent *a = ctx;
  count_lag(a, now, late_ms);
  agent_net_drain(a); /* what waits in the socket first: see net.c */
  swim_tick(a->swim, agent_now(a));
}

static void gossip_drain(void *ctx) {
  struct agent *a = ctx;
  struct swim_output o;
  agent_persist_incarnation(a); /* before a record that carries it leaves */
  while (swim_poll(a->swim, &o))
    if (o.kind == SWIM_OUT_SEND)
      agent_net_send(a, &o);
    else if (o.kind == SWIM_OUT_RECORD)
      agent_records_out(a, &o);
    else if (o.kind == SWIM_OUT_EVENT)
      agent_events_out(a, &o.ev);
    else if (o.kind == SWIM_OUT_APP)
      agent_raid_app(a, &o);
  agent_raid_after_gossip(a); /* what the outputs gave the coordinator */
  agent_join_watch(a);
  agent_refusals_watch(a);
  agent_check_revoked(a);
}

static const struct agent_core_ops gossip_ops = {
    .name = "gossip",
    .next_deadline = gossip_deadline,
    .tick = gossip_tick,
    .drain = gossip_drain,
};

int agent_gossip_open(struct agent *a, uint64_t incarnation) {
  struct swim_config sc = a->cfg->swim;
  sc.cluster = a->cfg->cluster;
  randombytes_buf(&sc.seed, sizeof(sc.seed));
  sc.require_cert = !agent_open_mesh(a);
  _Static_assert(sizeof(sc.bridge_eligible) == sizeof(a->cfg->bridge.eligible),
                 "one list, two layers");
  memcpy(sc.bridge_eligible, a->cfg->bridge.eligible,
         sizeof(sc.bridge_eligible));
  sc.n_bridge_eligible = a->cfg->bridge.n_eligible;
  _Static_assert(sizeof(sc.coordinator_names) ==
                     sizeof(a->cfg->raid.coordinator_names),
                 "one list, two layers");
  memcpy(sc.coordinator_names, a->cfg->raid.coordinator_names,
         sizeof(sc.coordinator_names));
  sc.n_coordinator_names = a->cfg->raid.n_coordinator_names;
  if (sc.require_cert)
    mb_node_id_parse(sc.authority, a->cfg->authority);
  struct swim_self self = {.id = &a->id,
                           .cert = a->cert_len ? a->cert : NULL,
                           .cert_len = a->cert_len,
                           .name = a->name,
                           .domain = a->domain,
                           .addr = a->advertise,
                           .incarnation = incarnation};
  a->vc = mb_vcache_new(4096);
  a->swim = swim_new(&sc, &self, a->vc, agent_now(a), agent_wall_ms());
  if (a->swim == NULL) {
    agent_log(a->log, MB_LOG_ERROR, NULL,
              "the membership core refused the "
              "configuration (see docs/protocol.md)");
    return MB_EINVAL;
  }
  agent_payload_first(a);
  agent_core_init(&a->gossip, &gossip_ops, a);
  return agent_pump_add(&a->pump, &a->gossip);
}
