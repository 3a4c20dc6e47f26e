/*
 * Scenario actions: what happens to nodes and to the network at a given
 * time.  What each node fault means:
 *
 *   crash         the node stops: nothing is delivered to it (datagrams
 *                 arriving are lost, its queued inputs too), its timer stops.
 *   restart keep  the same core resumes, having missed the time it was down
 *                 (a process suspended and resumed, or an agent that kept
 *                 its whole state on disk); its first input is a tick at the
 *                 current time.  It does not join again: it still knows the
 *                 mesh.
 *   restart wipe  a new core (swim_free + swim_new): the state is lost, the
 *                 incarnation is one above anything it used (or the first
 *                 one it had, with `incarnation old`, or a given number),
 *                 datagram sequence numbers continue above what it sent
 *                 (or start at 1 again with `seq fresh`: an agent that lost
 *                 everything), and it joins through its seeds again.
 *   freeze        inputs are queued (bounded by `network inbox`), no ticks;
 *                 on thaw the queue is delivered in order, then the timer.
 *   slow          every input (delivery or tick) costs `by` of processing:
 *                 inputs wait in a FIFO until the node gets to them.
 *   leave         swim_leave; the core keeps running (it is quiet by
 *                 contract) but the node no longer counts as a member.
 *   revoke        the authority's signed revocation of the node, handed
 *                 to one member (`via`, else the lowest-numbered running
 *                 one) with swim_record_offer, as `meshbeat revoke` does;
 *                 from then on the node is no member to the truth (as
 *                 after a leave) and its core runs on until it is told.
 */
#include "bridge.h"
#include "raid.h"
#include "sim.h"

#include <stdlib.h>
#include <string.h>

uint64_t *sim_set_bits(struct sim *s, const struct scn_set *set) {
  uint64_t *bits = calloc((s->n + 63) / 64, sizeof(uint64_t));
  if (bits == NULL)
    sim_fail(s, "out of memory");
  else
    scn_set_fill(set, s->n, bits);
  return bits;
}

static int need(struct sim *s, const struct scn_action *a, uint32_t i, bool ok,
                const char *state) {
  if (ok)
    return 0;
  return sim_fail(s, "%s:%d: %s node %u: the node is %s", s->scn->path, a->line,
                  scn_act_name(a->kind), i, state);
}

static int crash(struct sim *s, const struct scn_action *a, uint32_t i) {
  struct sim_node *n = &s->nodes[i];
  if (need(s, a, i, n->status == SIM_UP, "not running") != 0)
    return -1;
  sim_truth_failure(s, i, false);
  n->status = SIM_DOWN;
  sim_bridge_crash(s, i);
  n->life++; /* what a slow node had queued is lost with it */
  n->up_since = s->now;
  n->frozen = n->slow = n->armed_delayed = false;
  n->armed_at = SIM_NEVER;
  n->arm_gen++;
  n->incarnation = swim_self_incarnation(n->core);
  sim_node_inbox_clear(s, n);
  sim_node_health(s, i);
  sim_truth_down(s, i);
  if (s->raid != NULL) {
    sim_raid_down(s, i);
    sim_raid_fault_instant(s);
    sim_raid_fault_sync(s); /* a frozen or slow node is neither now */
  }
  return 0;
}

static uint64_t restart_incarnation(const struct sim_node *n,
                                    const struct scn_action *a) {
  if (a->inc == SCN_INC_OLD)
    return n->incarnation0;
  if (a->inc == SCN_INC_VALUE)
    return a->inc_value;
  return n->incarnation + 1;
}

static int restart(struct sim *s, const struct scn_action *a, uint32_t i) {
  struct sim_node *n = &s->nodes[i];
  bool ok = n->status == SIM_DOWN || (a->wipe && n->status == SIM_LEFT);
  if (need(s, a, i, ok, a->wipe ? "running" : "not crashed") != 0)
    return -1;
  if (a->wipe) {
    if (n->status == SIM_LEFT)
      n->incarnation = swim_self_incarnation(n->core);
    /* Well above every sequence number the old core can have used, unless
     * the scenario wants an agent that lost that too. */
    uint64_t seq = n->first_seq + (n->sent_dgrams - n->life_sent0) + (1 << 20);
    if (a->seq_fresh)
      seq = 1;
    swim_free(n->core);
    n->core = NULL;
    n->restarts++;
    if (sim_node_new_core(s, i, restart_incarnation(n, a), seq) != 0)
      return -1;
    sim_truth_wipe(s, i);
  }
  n->status = SIM_UP;
  n->up_since = s->now;
  n->busy_until = s->now;
  sim_node_health(s, i);
  sim_truth_up(s, i);
  if (s->raid != NULL) {
    sim_raid_up(s, i);
    sim_raid_fault_instant(s);
  }
  if (a->wipe)
    sim_node_join(s, i);
  sim_node_drain(s, i);
  sim_node_arm(s, i);
  sim_bridge_back(s, i);
  return 0;
}

static int freeze(struct sim *s, const struct scn_action *a, uint32_t i) {
  struct sim_node *n = &s->nodes[i];
  if (need(s, a, i, n->status == SIM_UP, "not running") != 0)
    return -1;
  n->frozen = true; /* a second freeze replaces the first's end */
  sim_node_health(s, i);
  sim_raid_fault_sync(s);
  return sim_schedule(s, s->now + a->dur_us, SIM_EV_THAW, i, ++n->freeze_gen,
                      0);
}

static int slow(struct sim *s, const struct scn_action *a, uint32_t i) {
  struct sim_node *n = &s->nodes[i];
  if (need(s, a, i, n->status == SIM_UP, "not running") != 0)
    return -1;
  n->slow = true;
  n->slow_delay = a->delay_us;
  if (n->busy_until < s->now)
    n->busy_until = s->now;
  sim_node_health(s, i);
  sim_raid_fault_sync(s);
  return sim_schedule(s, s->now + a->dur_us, SIM_EV_SLOW_END, i, ++n->slow_gen,
                      0);
}

void sim_slow_end(struct sim *s, uint32_t i) {
  s->nodes[i].slow = false;
  sim_node_health(s, i);
  sim_raid_fault_sync(s);
}

static int leave(struct sim *s, const struct scn_action *a, uint32_t i) {
  struct sim_node *n = &s->nodes[i];
  if (need(s, a, i, n->status == SIM_UP, "not running") != 0)
    return -1;
  sim_truth_failure(s, i, true);
  n->status = SIM_LEFT;
  n->up_since = s->now;
  sim_node_health(s, i);
  sim_truth_down(s, i);
  s->swim_inputs++;
  swim_leave(n->core, sim_core_now(s, n));
  sim_node_drain(s, i);
  sim_node_arm(s, i);
  sim_bridge_left(s, i);
  if (s->raid != NULL) {
    sim_raid_down(s, i); /* a departed agent stops */
    sim_raid_fault_instant(s);
  }
  return 0;
}

/* The member a revocation is handed to: a's set2 if given, else the
 * lowest-numbered running node other than the revoked one. */
static int revocation_taker(struct sim *s, const struct scn_action *a,
                            uint32_t revoked) {
  uint64_t *bits = a->set2.n > 0 ? sim_set_bits(s, &a->set2) : NULL;
  for (uint32_t i = 0; i < s->n; i++)
    if (i != revoked && s->nodes[i].status == SIM_UP &&
        (bits == NULL || ((bits[i / 64] >> (i % 64)) & 1))) {
      free(bits);
      return (int)i;
    }
  free(bits);
  return -1;
}

static int revoke(struct sim *s, const struct scn_action *a, uint32_t i) {
  struct sim_node *n = &s->nodes[i];
  int via = revocation_taker(s, a, i);
  if (need(s, a, i, n->status == SIM_UP, "not running") != 0 ||
      need(s, a, i, via >= 0, "revoked, but no running member takes it") != 0)
    return -1;
  struct sim_node *v = &s->nodes[via];
  struct mb_channel_record c = {.subject_len = MB_NODE_ID_LEN,
                                .issued_ms = sim_node_wall(s, v)};
  c.version = (uint64_t)c.issued_ms;
  struct mb_identity id;
  sim_node_identity(s, i, &id);
  memcpy(c.subject, id.pk, MB_NODE_ID_LEN);
  mb_identity_wipe(&id);
  uint8_t rec[MB_WIRE_MAX_RECORD];
  size_t len;
  int rc = mb_wire_channel_sign(&s->authority, (const uint8_t *)s->cfg.cluster,
                                strlen(s->cfg.cluster), MB_REC_REVOCATION, &c,
                                rec, sizeof(rec), &len);
  if (rc == MB_OK) {
    s->swim_inputs++;
    rc = swim_record_offer(v->core, sim_core_now(s, v), rec, len);
  }
  if (rc != MB_OK)
    return sim_fail(s, "%s:%d: revoke node %u: %s", s->scn->path, a->line, i,
                    mb_strerror(rc));
  sim_truth_failure(s, i, true);
  s->truth.fail[s->truth.n_fail - 1].revoked = true;
  if (s->raid != NULL)
    sim_raid_down(s, i); /* a revoked agent stops, as after a leave */
  n->status = SIM_LEFT;
  n->up_since = s->now;
  sim_node_health(s, i);
  sim_truth_down(s, i);
  sim_node_drain(s, (uint32_t)via);
  sim_node_arm(s, (uint32_t)via);
  return 0;
}

/* Every member of a's set, through fn, in index order. */
static int each_node(struct sim *s, const struct scn_action *a,
                     int (*fn)(struct sim *, const struct scn_action *,
                               uint32_t)) {
  uint64_t *bits = sim_set_bits(s, &a->set);
  int rc = bits ? 0 : -1;
  for (uint32_t i = 0; rc == 0 && i < s->n; i++)
    if ((bits[i / 64] >> (i % 64)) & 1)
      rc = fn(s, a, i);
  free(bits);
  return rc;
}

/* `crash bridge`: the node every up node names active; `restart bridge`:
 * the last node crashed so.  The same for `raid leader`. */
static int on_bridge(struct sim *s, const struct scn_action *a,
                     int (*fn)(struct sim *, const struct scn_action *,
                               uint32_t)) {
  if (a->on_raid_leader) {
    uint32_t i = sim_raid_leader_target(s, a->kind == SCN_CRASH);
    if (i == SIM_NONE)
      return sim_fail(s, "%s:%d: %s raid leader: %s", s->scn->path, a->line,
                      scn_act_name(a->kind),
                      a->kind == SCN_CRASH ? "no coordinator leads now"
                                           : "no raid leader was crashed");
    return fn(s, a, i);
  }
  uint32_t i = sim_bridge_target(s, a->kind == SCN_CRASH);
  if (i == SIM_NONE)
    return sim_fail(s, "%s:%d: %s bridge: %s", s->scn->path, a->line,
                    scn_act_name(a->kind),
                    a->kind == SCN_CRASH ? "no single active bridge now"
                                         : "no bridge was crashed");
  return fn(s, a, i);
}

static bool in_set(const uint64_t *bits, uint32_t i) {
  return (bits[i / 64] >> (i % 64)) & 1;
}

/* One started node's own record and certificate, copied. */
struct stored {
  uint8_t *rec, *cert;
  size_t rec_len, cert_len;
};

static int copy_own(struct sim *s, uint32_t j, struct stored *out) {
  struct mb_bytes rec, cert;
  /* A core that has just started knows itself only: member 0. */
  if (swim_member_raw(s->nodes[j].core, 0, &rec, &cert) != MB_OK)
    return sim_fail(s, "node %u: no record of its own", j);
  out->rec = malloc(rec.len);
  out->cert = malloc(cert.len ? cert.len : 1);
  if (out->rec == NULL || out->cert == NULL)
    return sim_fail(s, "out of memory for stored views");
  memcpy(out->rec, rec.p, rec.len);
  memcpy(out->cert, cert.p, cert.len);
  out->rec_len = rec.len;
  out->cert_len = cert.len;
  return 0;
}

/* Gives every node of the set every other's record, through the path an
 * agent takes when it restores its stored view (swim_restore): a whole
 * mesh restarting at once, or a large run that skips its join storm. */
static int preload(struct sim *s, const uint64_t *bits) {
  struct stored *v = calloc(s->n, sizeof(*v));
  int rc = v == NULL ? sim_fail(s, "out of memory for stored views") : 0;
  for (uint32_t j = 0; rc == 0 && j < s->n; j++)
    if (in_set(bits, j))
      rc = copy_own(s, j, &v[j]);
  for (uint32_t i = 0; rc == 0 && i < s->n; i++) {
    if (!in_set(bits, i))
      continue;
    struct sim_node *n = &s->nodes[i];
    for (uint32_t j = 0; rc == 0 && j < s->n; j++)
      if (j != i && in_set(bits, j) &&
          swim_restore(n->core, sim_core_now(s, n), v[j].rec, v[j].rec_len,
                       v[j].cert, v[j].cert_len) != MB_OK)
        rc = sim_fail(s, "node %u: node %u's record refused", i, j);
    s->swim_inputs++;
    sim_node_drain(s, i);
    sim_node_arm(s, i);
  }
  for (uint32_t j = 0; v != NULL && j < s->n; j++)
    free(v[j].rec), free(v[j].cert);
  free(v);
  return rc;
}

static int start(struct sim *s, const struct scn_action *a, uint32_t idx) {
  uint64_t *bits = sim_set_bits(s, &a->set);
  if (bits == NULL)
    return -1;
  /* Converged once every node of this line has started (each one tells
   * the truth, sim_truth_started) and all see all; measured from now. */
  uint32_t count = 0;
  for (uint32_t i = 0; i < s->n; i++)
    count += in_set(bits, i);
  int rc = sim_truth_conv(s, s->started ? SCN_CONV_JOIN : SCN_CONV_START, idx,
                          count);
  s->started = true;
  for (uint32_t i = 0, k = 0; rc == 0 && i < s->n; i++)
    if (in_set(bits, i)) {
      uint64_t t = s->now + (uint64_t)k++ * a->delay_us;
      rc = a->preload ? sim_node_start(s, i, idx)
                      : sim_schedule(s, t, SIM_EV_START, i, idx, 0);
    }
  if (rc == 0 && a->preload)
    rc = preload(s, bits);
  free(bits);
  return rc;
}

static int partition(struct sim *s, const struct scn_action *a) {
  for (uint32_t i = 0; i < s->n; i++)
    s->nodes[i].group = 0; /* nodes in no group form a group together */
  for (uint8_t g = 0; g < a->n_groups; g++) {
    uint64_t *bits = sim_set_bits(s, &a->groups[g]);
    if (bits == NULL)
      return -1;
    for (uint32_t i = 0; i < s->n; i++)
      if ((bits[i / 64] >> (i % 64)) & 1)
        s->nodes[i].group = (uint16_t)(g + 1);
    free(bits);
  }
  return sim_partition_now(s, a->has_dur ? a->dur_us : 0);
}

int sim_partition_now(struct sim *s, uint64_t dur_us) {
  s->net.partitioned = true;
  s->net.partition_gen++;
  if (sim_history_note(s) != 0 || sim_truth_partition(s, true) != 0)
    return -1;
  sim_bridge_partition(s, true);
  sim_raid_fault_sync(s);
  if (dur_us > 0)
    return sim_schedule(s, s->now + dur_us, SIM_EV_HEAL, 0,
                        s->net.partition_gen, 0);
  return 0;
}

void sim_heal(struct sim *s) {
  s->net.partitioned = false;
  s->net.partition_gen++; /* a pending `for D` heal has nothing to do */
  if (sim_history_note(s) == 0 && sim_truth_partition(s, false) == 0)
    sim_truth_conv(s, SCN_CONV_HEAL, 0, 0);
  sim_bridge_partition(s, false);
  sim_raid_fault_sync(s);
}

static int link(struct sim *s, const struct scn_action *a) {
  uint32_t id;
  if (sim_net_add_rule(s, a, &id) != 0)
    return -1;
  return sim_link_added(s, id, a->has_dur ? a->dur_us : 0);
}

int sim_link_added(struct sim *s, uint32_t id, uint64_t dur_us) {
  if (sim_history_note(s) != 0)
    return -1;
  sim_raid_fault_sync(s);
  if (dur_us > 0)
    return sim_schedule(s, s->now + dur_us, SIM_EV_RULE_END, 0, id, 0);
  return 0;
}

/* The primitives `faults random` draws from (faults_random.c), as the
 * scenario's own lines would do them (`line` for messages). */
int sim_crash_node(struct sim *s, uint32_t i, int line) {
  struct scn_action a = {.kind = SCN_CRASH, .line = line};
  return crash(s, &a, i);
}

int sim_restart_node(struct sim *s, uint32_t i, bool wipe, int line) {
  struct scn_action a = {
      .kind = SCN_RESTART, .line = line, .wipe = wipe, .inc = SCN_INC_NEXT};
  return restart(s, &a, i) || sim_truth_conv(s, SCN_CONV_RESTART, 0, 0) ? -1
                                                                        : 0;
}

int sim_freeze_node(struct sim *s, uint32_t i, uint64_t dur_us, int line) {
  struct scn_action a = {.kind = SCN_FREEZE, .line = line, .dur_us = dur_us};
  return freeze(s, &a, i);
}

void sim_rule_end(struct sim *s, uint32_t id) {
  size_t before = s->net.n_rules;
  sim_net_remove_rule(s, id);
  if (s->net.n_rules != before) /* not cleared by an unlink meanwhile */
    sim_history_note(s);
  sim_raid_fault_sync(s);
}

int sim_apply_action(struct sim *s, uint32_t idx) {
  const struct scn_action *a = &s->scn->actions[idx];
  sim_trace_u64(s, s->now);
  sim_trace_u64(s, 0xac000000u | (uint64_t)a->kind << 16 | (unsigned)a->line);
  switch (a->kind) {
  case SCN_START:
    return start(s, a, idx);
  case SCN_CRASH:
    return a->on_bridge || a->on_raid_leader ? on_bridge(s, a, crash)
                                             : each_node(s, a, crash);
  case SCN_RESTART:
    return (a->on_bridge || a->on_raid_leader ? on_bridge(s, a, restart)
                                              : each_node(s, a, restart)) ||
                   sim_truth_conv(s, SCN_CONV_RESTART, idx, 0)
               ? -1
               : 0;
  case SCN_FREEZE:
    return each_node(s, a, freeze);
  case SCN_SLOW:
    return each_node(s, a, slow);
  case SCN_LEAVE:
    return each_node(s, a, leave);
  case SCN_PARTITION:
    return partition(s, a);
  case SCN_HEAL:
    sim_heal(s);
    return s->err[0] ? -1 : 0;
  case SCN_LINK:
    return link(s, a);
  case SCN_UNLINK:
    sim_net_clear_rules(s);
    sim_raid_fault_sync(s);
    return sim_history_note(s);
  case SCN_NET_LOSS:
    s->net.cfg.loss = a->loss;
    sim_raid_fault_sync(s);
    return sim_history_note(s);
  case SCN_ATTACK:
    return sim_adversary_attack(s, a);
  case SCN_REVOKE:
    return each_node(s, a, revoke);
  case SCN_RAID_CREATE:
  case SCN_RAID_REMOVE:
  case SCN_RAID_DRAIN:
  case SCN_RAID_UNDRAIN:
    return sim_raid_action(s, idx); /* raid lines always make s->raid */
  }
  return 0;
}
