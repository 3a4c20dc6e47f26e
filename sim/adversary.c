/*
 * The adversary: a certified member whose core runs as any other's (so it
 * is in every view and every replay window knows it) but which also lies,
 * with its own identity and certificate, through the real wire API.  The
 * simulator is omniscient on its behalf: it reads victims' incarnations
 * from their cores and sees every datagram any node sends.
 *
 *   dead_claim SET     signs a dead claim (MB_REC_DEAD) about each node of
 *                      SET at its current incarnation, and sends the claims
 *                      in GOSSIP datagrams to every up node.
 *   suspect_claim SET  the same with suspect claims, optionally at a given
 *                      incarnation or UINT64_MAX (which no refutation can
 *                      top).
 *   forge_acks SET     from now (for D): whenever a node sends a PING or a
 *                      PING_REQ whose target is a node of SET, the
 *                      adversary sends the sender an ACK with the same
 *                      probe id at once.  A core that takes any ack with
 *                      the right probe id for proof then never notices a
 *                      crash of SET's nodes.
 *
 * Sequence numbers.  Injected datagrams take the next number of the
 * adversary's own core (swim_take_seq), so both streams share one count
 * and receivers' replay windows accept both, as they would a real
 * member's that added its forgeries to its own traffic.
 */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

static bool bit(const uint64_t *b, uint32_t i) {
  return (b[i / 64] >> (i % 64)) & 1;
}

/* The attacker entry of node i, made at its first attack. */
static struct sim_attacker *attacker(struct sim *s, uint32_t i) {
  struct sim_adversary *v = &s->adv;
  for (size_t k = 0; k < v->n_att; k++)
    if (v->att[k].node == i)
      return &v->att[k];
  if (v->n_att == v->cap_att) {
    size_t cap = v->cap_att ? 2 * v->cap_att : 4;
    struct sim_attacker *a = realloc(v->att, cap * sizeof(*a));
    if (a == NULL)
      return NULL;
    v->att = a;
    v->cap_att = cap;
  }
  struct sim_attacker *a = &v->att[v->n_att];
  memset(a, 0, sizeof(*a));
  a->node = i;
  sim_node_identity(s, i, &a->id);
  if (sim_node_cert(s, i, a->id.pk, a->cert, sizeof(a->cert), &a->cert_len) !=
      MB_OK) {
    mb_identity_wipe(&a->id);
    return NULL;
  }
  v->n_att++;
  return a;
}

static int begin(struct sim *s, struct sim_attacker *a,
                 struct mb_dgram_builder *b, const struct mb_msg *msg) {
  struct swim *core = s->nodes[a->node].core;
  if (core == NULL)
    return sim_fail(s, "node %u: no core to inject for", a->node);
  uint64_t seq = swim_take_seq(core);
  const char *aad = s->cfg.cluster;
  if (mb_dgram_init(b, &a->id, (const uint8_t *)aad, strlen(aad), s->cfg.budget,
                    seq, msg) != MB_OK ||
      mb_dgram_add_cert(b, a->cert, a->cert_len) != MB_OK)
    return sim_fail(s, "node %u: cannot build a datagram", a->node);
  return 0;
}

/* Finishes b and sends it to `to`, or to every up node but the attacker
 * when to is SIM_NONE: bound to each receiver (its id and epoch), as a
 * certified member's datagrams are, or every receiver would refuse them
 * unread. */
static int finish_send(struct sim *s, struct sim_attacker *a,
                       const struct mb_dgram_builder *b, enum mb_msg_kind kind,
                       uint32_t to) {
  uint8_t buf[MB_WIRE_MAX_DATAGRAM];
  size_t len;
  for (uint32_t j = 0; j < s->n; j++) {
    if (to != SIM_NONE ? j != to
                       : (j == a->node || s->nodes[j].status != SIM_UP))
      continue;
    if (s->nodes[j].core == NULL)
      continue;
    struct mb_dgram_builder bound = *b;
    mb_dgram_bind(&bound, s->ids + (size_t)j * MB_NODE_ID_LEN,
                  swim_self_epoch(s->nodes[j].core));
    if (mb_dgram_finish(&bound, buf, sizeof(buf), &len) != MB_OK)
      return sim_fail(s, "node %u: cannot sign a datagram", a->node);
    s->adv.sent.dgrams[kind]++;
    s->adv.sent.bytes[kind] += len;
    sim_net_inject(s, a->node, j, buf, len);
  }
  return 0;
}

static uint64_t claim_incarnation(const struct scn_action *a,
                                  const struct swim *victim) {
  if (a->inc_max)
    return UINT64_MAX;
  if (a->has_inc)
    return a->inc_value;
  return swim_self_incarnation(victim);
}

/* One claim about victim v into out (MB_WIRE_MAX_RECORD bytes). */
static int sign_claim(struct sim *s, struct sim_attacker *a,
                      const struct scn_action *act, uint32_t v, uint8_t *out,
                      size_t *len) {
  struct mb_claim c;
  memset(&c, 0, sizeof(c));
  memcpy(c.author, a->id.pk, MB_NODE_ID_LEN);
  memcpy(c.subject, s->ids + (size_t)v * MB_NODE_ID_LEN, MB_NODE_ID_LEN);
  c.incarnation = claim_incarnation(act, s->nodes[v].core);
  c.time_ms = sim_node_wall(s, &s->nodes[a->node]);
  enum mb_record_kind kind =
      act->attack == SCN_ATK_DEAD_CLAIM ? MB_REC_DEAD : MB_REC_SUSPECT;
  const char *aad = s->cfg.cluster;
  if (mb_wire_claim_sign(&a->id, (const uint8_t *)aad, strlen(aad), kind, &c,
                         out, MB_WIRE_MAX_RECORD, len) != MB_OK)
    return sim_fail(s, "node %u: cannot sign a claim", a->node);
  s->adv.claims++;
  return 0;
}

/* Adds the claim in tmp to b, through the slot of recs it will occupy
 * (a record must stay put until its datagram is finished); when b is full,
 * sends it first and starts another. */
static int add_claim(struct sim *s, struct sim_attacker *a,
                     struct mb_dgram_builder *b, uint8_t *recs, size_t *held,
                     const uint8_t *tmp, size_t len) {
  uint8_t *slot = recs + *held * MB_WIRE_MAX_RECORD;
  if (*held < MB_WIRE_MAX_RECORDS) {
    memcpy(slot, tmp, len);
    if (mb_dgram_add_record(b, slot, len) == MB_OK) {
      (*held)++;
      return 0;
    }
  }
  struct mb_msg msg = {.kind = MB_MSG_GOSSIP};
  if (*held == 0 || finish_send(s, a, b, MB_MSG_GOSSIP, SIM_NONE) != 0 ||
      begin(s, a, b, &msg) != 0)
    return sim_fail(s, "node %u: a claim does not fit a datagram", a->node);
  memcpy(recs, tmp, len);
  if (mb_dgram_add_record(b, recs, len) != MB_OK)
    return sim_fail(s, "node %u: a claim does not fit a datagram", a->node);
  *held = 1;
  return 0;
}

/* Claims about every started node of victims, as many per datagram as the
 * budget takes, each datagram to every up node. */
static int claims(struct sim *s, struct sim_attacker *a,
                  const struct scn_action *act, const uint64_t *victims) {
  uint8_t *recs =
      malloc((size_t)(MB_WIRE_MAX_RECORDS + 1) * MB_WIRE_MAX_RECORD);
  if (recs == NULL)
    return sim_fail(s, "out of memory for claims");
  uint8_t *tmp = recs + (size_t)MB_WIRE_MAX_RECORDS * MB_WIRE_MAX_RECORD;
  struct mb_msg msg = {.kind = MB_MSG_GOSSIP};
  struct mb_dgram_builder b;
  size_t held = 0, len;
  int rc = begin(s, a, &b, &msg);
  for (uint32_t v = 0; rc == 0 && v < s->n; v++) {
    if (!bit(victims, v) || v == a->node || s->nodes[v].core == NULL)
      continue;
    rc = sign_claim(s, a, act, v, tmp, &len);
    if (rc == 0)
      rc = add_claim(s, a, &b, recs, &held, tmp, len);
  }
  if (rc == 0 && held > 0)
    rc = finish_send(s, a, &b, MB_MSG_GOSSIP, SIM_NONE);
  free(recs);
  return rc;
}

static int forge_on(struct sim *s, size_t att, const struct scn_action *act,
                    const uint64_t *victims) {
  struct sim_adversary *v = &s->adv;
  if (v->n_forge == v->cap_forge) {
    size_t cap = v->cap_forge ? 2 * v->cap_forge : 4;
    struct sim_forge *f = realloc(v->forge, cap * sizeof(*f));
    if (f == NULL)
      return sim_fail(s, "out of memory");
    v->forge = f;
    v->cap_forge = cap;
  }
  struct sim_forge *f = &v->forge[v->n_forge];
  memset(f, 0, sizeof(*f));
  f->attacker = (uint32_t)att;
  f->until = act->has_dur ? s->now + act->dur_us : SIM_NEVER;
  f->victims = calloc(s->n, sizeof(uint32_t));
  if (f->victims == NULL)
    return sim_fail(s, "out of memory");
  for (uint32_t i = 0; i < s->n; i++)
    if (bit(victims, i))
      f->victims[f->n_victims++] = i;
  v->n_forge++;
  return 0;
}

int sim_adversary_attack(struct sim *s, const struct scn_action *act) {
  uint64_t *attackers = sim_set_bits(s, &act->set);
  uint64_t *victims = sim_set_bits(s, &act->set2);
  int rc = attackers && victims ? 0 : -1;
  for (uint32_t i = 0; rc == 0 && i < s->n; i++) {
    if (!bit(attackers, i))
      continue;
    if (s->nodes[i].status != SIM_UP) {
      rc = sim_fail(s, "%s:%d: attack: node %u is not running", s->scn->path,
                    act->line, i);
      break;
    }
    struct sim_attacker *a = attacker(s, i);
    if (a == NULL) {
      rc = sim_fail(s, "node %u: cannot make the adversary's keys", i);
      break;
    }
    rc = act->attack == SCN_ATK_FORGE_ACKS
             ? forge_on(s, (size_t)(a - s->adv.att), act, victims)
             : claims(s, a, act, victims);
  }
  free(attackers);
  free(victims);
  return rc;
}

static bool targets(const struct sim *s, const struct sim_forge *f,
                    const uint8_t ref[MB_NODE_REF_LEN]) {
  for (uint32_t k = 0; k < f->n_victims; k++)
    if (memcmp(s->ids + (size_t)f->victims[k] * MB_NODE_ID_LEN, ref,
               MB_NODE_REF_LEN) == 0)
      return true;
  return false;
}

static void forge_ack(struct sim *s, struct sim_attacker *a, uint32_t prober,
                      uint64_t probe_id) {
  struct mb_msg ack = {.kind = MB_MSG_ACK, .probe_id = probe_id};
  struct mb_dgram_builder b;
  if (begin(s, a, &b, &ack) == 0)
    finish_send(s, a, &b, MB_MSG_ACK, prober);
}

void sim_adversary_sniff(struct sim *s, uint32_t from, const uint8_t *buf,
                         size_t len) {
  struct mb_datagram d;
  if (mb_wire_datagram_parse(buf, len, &d) != MB_OK ||
      (d.msg.kind != MB_MSG_PING && d.msg.kind != MB_MSG_PING_REQ))
    return;
  for (size_t k = 0; k < s->adv.n_forge; k++) {
    const struct sim_forge *f = &s->adv.forge[k];
    struct sim_attacker *a = &s->adv.att[f->attacker];
    if (f->until <= s->now || a->node == from ||
        s->nodes[a->node].status != SIM_UP || !targets(s, f, d.msg.target))
      continue;
    forge_ack(s, a, from, d.msg.probe_id);
    return; /* one forged ack per probe is enough */
  }
}

void sim_adversary_free(struct sim *s) {
  struct sim_adversary *v = &s->adv;
  for (size_t k = 0; k < v->n_att; k++)
    mb_identity_wipe(&v->att[k].id);
  for (size_t k = 0; k < v->n_forge; k++)
    free(v->forge[k].victims);
  free(v->att);
  free(v->forge);
  memset(v, 0, sizeof(*v));
}
