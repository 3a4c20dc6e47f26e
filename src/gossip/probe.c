/*
 * Failure detection (SWIM §3-4, Lifeguard §IV).
 *
 * Once per protocol period we ping the next member of a shuffled round-robin
 * order (every member once per round, order reshuffled each round: SWIM §4.3
 * bounds detection time this way).  No ack within the probe timeout: ask k
 * random members to ping it for us (ping-req), with a nack if they hear
 * nothing.  No ack by the end of the period: suspect it.
 *
 * Lifeguard's local health multiplier ("awareness") scales the period and
 * the timeout: a probe that fails, and every nack we expected but did not
 * get, count against our own health, a probe that succeeds counts for it.
 * So does a timer the driver ran late (swim_note_lateness): on a host
 * starved of CPU, agents whose loops ran seconds late accused members
 * whose acks they had not read yet.
 */
#include "swim_internal.h"

#include <stdlib.h>
#include <string.h>

uint64_t swim_scaled(const struct swim *s, uint32_t ms) {
  return (uint64_t)ms * (s->awareness + 1);
}

static void awareness_apply(struct swim *s, int delta) {
  int64_t a = (int64_t)s->awareness + delta;
  int64_t max = s->cfg.awareness_max > 0 ? s->cfg.awareness_max - 1 : 0;
  s->awareness = (uint32_t)(a < 0 ? 0 : a > max ? max : a);
}

/* Late by half a probe timeout: an ack that came in time may have been
 * read after its probe was judged, and our acks left as late. */
void swim_note_lateness(struct swim *s, uint64_t now, uint64_t late_ms) {
  s->now = now;
  if (late_ms * 2 >= s->cfg.probe_timeout_ms)
    awareness_apply(s, 1);
}

static bool probeable(const struct swim *s, size_t i) {
  return i < s->n && i != s->self_idx && swim_is_live(&s->m[i]);
}

void swim_probe_order_reset(struct swim *s) {
  s->probe_len = 0;
  s->probe_pos = 0;
}

/* Room for every member; grows geometrically, since a join storm adds
 * members one by one. */
static bool probe_room(struct swim *s) {
  if (s->probe_cap >= s->n + 1)
    return true;
  size_t cap = s->probe_cap ? 2 * s->probe_cap : 16;
  while (cap < s->n + 1)
    cap *= 2;
  uint32_t *order = realloc(s->probe_order, cap * sizeof(*order));
  if (order == NULL)
    return false;
  s->probe_order = order;
  s->probe_cap = cap;
  return true;
}

/* A fresh round: every live member once, Fisher-Yates shuffled. */
static void new_round(struct swim *s) {
  if (!probe_room(s))
    return;
  uint32_t *order = s->probe_order;
  s->probe_len = 0;
  for (size_t i = 0; i < s->n; i++)
    if (probeable(s, i))
      order[s->probe_len++] = (uint32_t)i;
  for (size_t i = s->probe_len; i > 1; i--) {
    size_t j = (size_t)mb_rng_below(&s->rng, i);
    uint32_t t = order[i - 1];
    order[i - 1] = order[j];
    order[j] = t;
  }
  s->probe_pos = 0;
}

/* A member that joins mid-round goes to a random place in what is left of
 * the round (as memberlist does), not to the next round: otherwise a node
 * that learned of it just after its round began would leave it unprobed
 * for a whole round, n periods.  Whoever held that place moves to the
 * round's end (shifting the rest along cost O(n) per join, O(n²) per
 * member in a join storm). */
void swim_probe_insert(struct swim *s, size_t idx) {
  if (!probe_room(s) || s->probe_len >= s->n + 1)
    return;
  uint32_t *order = s->probe_order;
  size_t at = s->probe_pos +
              (size_t)mb_rng_below(&s->rng, s->probe_len - s->probe_pos + 1);
  order[s->probe_len++] = order[at];
  order[at] = (uint32_t)idx;
}

static struct member *next_target(struct swim *s) {
  for (int rounds = 0; rounds < 2; rounds++) {
    while (s->probe_pos < s->probe_len) {
      size_t i = s->probe_order[s->probe_pos++];
      if (probeable(s, i))
        return &s->m[i];
    }
    new_round(s);
  }
  return NULL;
}

static void probe_member(struct swim *s, struct probe *p, struct member *t,
                         uint64_t period_end) {
  memset(p, 0, sizeof(*p));
  p->active = true;
  p->probe_id = (uint32_t)mb_rng_next(&s->rng);
  memcpy(p->target, t->id, MB_NODE_ID_LEN);
  p->indirect_at = s->now + swim_scaled(s, s->cfg.probe_timeout_ms);
  p->period_end = period_end;
  struct mb_msg msg = {.kind = MB_MSG_PING, .probe_id = p->probe_id};
  memcpy(msg.target, t->id, MB_NODE_REF_LEN);
  s->stats.probes++;
  swim_send(s, &t->addr, t, &msg, true);
}

static void start_probe(struct swim *s) {
  struct member *t = next_target(s);
  s->next_probe_at = s->now + swim_scaled(s, s->cfg.probe_interval_ms);
  if (t != NULL)
    probe_member(s, &s->probe, t, s->next_probe_at);
}

/*
 * A suspicion that reaches us without a quorum gets a probe of our own
 * (swim_suspect_to_check says when), alongside the round's: our failed
 * probe is the confirmation it lacks, or our success tells us to expect
 * a refutation.  On one side of a partition this is what turns the first
 * accusation of a far member into a verdict within seconds; for a crash
 * the second accuser usually comes first, and nothing extra is sent.
 * Taking the round's slot instead delayed the discovery of other far
 * members, and the whole partition, by seconds.
 */
static void start_check(struct swim *s) {
  if (s->check.active)
    return;
  struct member *t = swim_suspect_to_check(s);
  if (t != NULL)
    probe_member(s, &s->check, t,
                 s->now + swim_scaled(s, s->cfg.probe_interval_ms));
}

static bool picked(struct member *const *chosen, uint32_t n,
                   const struct member *m) {
  for (uint32_t i = 0; i < n; i++)
    if (chosen[i] == m)
      return true;
  return false;
}

/* k distinct random live members other than the target ask it on our
 * behalf.  (Drawn with replacement, one member in twenty got the same
 * relay twice, and a probe of a healthy member in a 64-member mesh at 1 %
 * loss failed on two paths instead of three.) */
static void send_indirect(struct swim *s, struct probe *p, struct member *t) {
  p->indirect_sent = true;
  struct member *chosen[SWIM_MAX_INDIRECT];
  uint32_t n = 0;
  size_t candidates = s->n_live > 2 ? s->n_live - 2 : 0;
  uint32_t k = s->cfg.indirect_checks;
  if (k > candidates)
    k = (uint32_t)candidates;
  if (k > SWIM_MAX_INDIRECT)
    k = SWIM_MAX_INDIRECT;
  for (size_t tries = 0; n < k && tries < 4 * s->n; tries++) {
    struct member *m = &s->m[mb_rng_below(&s->rng, s->n)];
    if (m->is_self || m == t || m->state != SWIM_ALIVE || picked(chosen, n, m))
      continue;
    memcpy(p->relays[n], m->id, MB_NODE_REF_LEN);
    chosen[n++] = m;
    struct mb_msg msg = {.kind = MB_MSG_PING_REQ,
                         .probe_id = p->probe_id,
                         .target_addr = t->addr,
                         .want_nack = true};
    memcpy(msg.target, t->id, MB_NODE_REF_LEN);
    swim_send(s, &m->addr, m, &msg, false);
    p->nacks_expected++;
  }
}

/*
 * End of the period: an unanswered probe makes its target suspect.  What
 * it says of our own health (Lifeguard §IV-A): a nack proves that we can
 * reach a relay and it us, so one nack clears us, and so does another
 * member's accusation of the same target (the fault is likely the
 * target's); a failure with neither counts against us.  Counting +1 per
 * failure, or per missing nack as memberlist does, made a member on one
 * side of a partition (two thirds of its probes fail, and most relays it
 * picks are on the far side, unable to nack) slow its probing to a crawl:
 * 30 s into a three-way split of 48 members, hundreds of cross pairs were
 * not yet detected.
 */
static void judge_probe(struct swim *s, struct probe *p) {
  p->active = false;
  if (p->acked) {
    awareness_apply(s, -1);
    return;
  }
  struct member *t = swim_member_by_id(s, p->target);
  bool others_too = t != NULL && swim_accused_by_others(s, t);
  awareness_apply(s, p->nacks_got > 0 || others_too ? 0 : 1);
  s->stats.probe_failures++;
  if (t == NULL)
    return;
  if (t->state == SWIM_ALIVE)
    swim_introduce(s, t); /* it may have restarted: a new epoch */
  swim_accuse(s, t);
}

static void relays_tick(struct swim *s) {
  for (size_t i = 0; i < SWIM_MAX_RELAYS; i++) {
    struct relay *r = &s->relays[i];
    if (!r->active)
      continue;
    if (!r->acked && r->want_nack && s->now >= r->nack_at) {
      struct mb_msg nack = {.kind = MB_MSG_NACK,
                            .probe_id = r->origin_probe_id};
      swim_send(s, &r->origin, swim_member_by_ref(s, r->origin_ref), &nack,
                false);
      r->want_nack = false;
    }
    if (s->now >= r->expires)
      r->active = false;
  }
}

static void probe_step(struct swim *s, struct probe *p) {
  if (p->active && !p->acked && !p->indirect_sent && s->now >= p->indirect_at) {
    struct member *t = swim_member_by_id(s, p->target);
    if (t != NULL) {
      t->unanswered = true; /* see swim_needs_cert */
      send_indirect(s, p, t);
    } else {
      p->active = false;
    }
  }
  if (p->active && s->now >= p->period_end)
    judge_probe(s, p);
}

void swim_probe_tick(struct swim *s) {
  relays_tick(s);
  if (s->leaving)
    return;
  probe_step(s, &s->probe);
  probe_step(s, &s->check);
  if (s->now >= s->next_probe_at)
    start_probe(s);
  start_check(s);
}

static uint64_t probe_deadline(const struct probe *p, uint64_t d) {
  if (p->active && !p->acked && !p->indirect_sent && p->indirect_at < d)
    d = p->indirect_at;
  if (p->active && p->period_end < d)
    d = p->period_end;
  return d;
}

uint64_t swim_probe_deadline(const struct swim *s) {
  uint64_t d = s->leaving ? SWIM_NEVER : s->next_probe_at;
  d = probe_deadline(&s->probe, d);
  d = probe_deadline(&s->check, d);
  if (!s->leaving && !s->check.active) {
    uint64_t c = swim_check_deadline(s);
    d = c < d ? c : d;
  }
  for (size_t i = 0; i < SWIM_MAX_RELAYS; i++) {
    const struct relay *r = &s->relays[i];
    if (!r->active)
      continue;
    if (!r->acked && r->want_nack && r->nack_at < d)
      d = r->nack_at;
    if (r->expires < d)
      d = r->expires;
  }
  return d;
}

/* Signed proofs for relays, a second: a relay's ping is rare (a direct
 * probe failed), and a malicious member asking for thousands must not
 * make us spend our time signing. */
#define ACK_PROOFS_PER_S 50

/* Our signed answer to the probe a relay pings us for, into buf. */
static bool sign_proof(struct swim *s, const struct mb_msg *ping, uint8_t *buf,
                       size_t cap, struct bytes *out) {
  struct mb_probe_ack a = {.probe_id = ping->origin_probe_id,
                           .time_ms = swim_wall(s)};
  memcpy(a.prober, ping->origin, MB_NODE_REF_LEN);
  size_t len;
  if (!swim_budget_take(s, &s->ack_proofs, ACK_PROOFS_PER_S) ||
      mb_wire_ack_sign(&s->id, s->aad, s->aad_len, &a, buf, cap, &len) != MB_OK)
    return false;
  *out = (struct bytes){buf, len};
  return true;
}

void swim_on_ping(struct swim *s, const struct mb_addr *from,
                  struct member *sender, const struct mb_msg *msg) {
  if (memcmp(msg->target, s->ref, MB_NODE_REF_LEN) != 0)
    return; /* meant for whoever had this address before us */
  struct mb_msg ack = {.kind = MB_MSG_ACK, .probe_id = msg->probe_id};
  uint8_t buf[256];
  struct bytes proof = {0};
  if (msg->has_origin)
    sign_proof(s, msg, buf, sizeof(buf), &proof);
  swim_send_with(s, from, sender, &ack, true, &proof);
}

/* The target's signed ack a datagram carries for probe p of ours: only
 * with it does an ack relayed by another member count. */
static bool carries_proof(struct swim *s, const struct probe *p,
                          const struct mb_datagram *d) {
  for (size_t i = 0; i < d->n_records; i++) {
    struct mb_record rec;
    if (mb_wire_record_parse(d->records[i].p, d->records[i].len, &rec) !=
            MB_OK ||
        rec.kind != MB_REC_ACK || rec.u.ack.probe_id != p->probe_id ||
        memcmp(rec.u.ack.prober, s->ref, MB_NODE_REF_LEN) != 0 ||
        memcmp(rec.envelope.kid, p->target, MB_NODE_ID_LEN) != 0)
      continue;
    return mb_wire_record_open(s->vc, d->records[i].p, d->records[i].len,
                               s->aad, s->aad_len, &rec) == MB_OK;
  }
  return false;
}

/* The target's proof among the records of its ack to us, to forward. */
static struct bytes proof_in(const struct mb_datagram *d) {
  for (size_t i = 0; i < d->n_records; i++) {
    struct mb_record rec;
    if (mb_wire_record_parse(d->records[i].p, d->records[i].len, &rec) ==
            MB_OK &&
        rec.kind == MB_REC_ACK)
      return (struct bytes){d->records[i].p, d->records[i].len};
  }
  return (struct bytes){0};
}

/* Which relay of the current probe this member is, or -1. */
static int relay_index(const struct probe *p, const struct member *m) {
  for (uint32_t i = 0; m != NULL && i < p->nacks_expected; i++)
    if (memcmp(p->relays[i], m->id, MB_NODE_REF_LEN) == 0)
      return (int)i;
  return -1;
}

/*
 * An ack counts only from the target itself, or, once we asked for
 * indirect probes, from a relay we asked that forwards the target's own
 * signed ack: anyone else who learned the probe id (a member on the path)
 * could otherwise hide a crash by acking for it, and a relay by acking
 * without pinging.  The probe id is random, so nobody can guess it.
 */
static bool ack_counts(struct swim *s, const struct probe *p,
                       const struct member *sender,
                       const struct mb_datagram *d) {
  if (sender == NULL)
    return false;
  if (memcmp(sender->id, p->target, MB_NODE_ID_LEN) == 0)
    return true;
  if (!p->indirect_sent || relay_index(p, sender) < 0)
    return false;
  if (carries_proof(s, p, d))
    return true;
  s->stats.unproven_acks++;
  return false;
}

/* The probe (the round's or the check) an ack or nack is about. */
static struct probe *probe_of(struct swim *s, uint64_t probe_id) {
  if (s->probe.active && s->probe.probe_id == probe_id)
    return &s->probe;
  if (s->check.active && s->check.probe_id == probe_id)
    return &s->check;
  return NULL;
}

void swim_on_ack(struct swim *s, struct member *sender,
                 const struct mb_datagram *d) {
  const struct mb_msg *msg = &d->msg;
  struct probe *p = probe_of(s, msg->probe_id);
  if (p != NULL) {
    if (!ack_counts(s, p, sender, d))
      return;
    p->acked = true;
    /* The target answered the ping that carried our certificate: it
     * holds it now, and our later datagrams to it can go without. */
    if (memcmp(sender->id, p->target, MB_NODE_ID_LEN) == 0) {
      sender->knows_us = true;
      sender->unanswered = false;
    }
    return;
  }
  for (size_t i = 0; i < SWIM_MAX_RELAYS; i++) {
    struct relay *r = &s->relays[i];
    if (r->active && !r->acked && r->local_probe_id == msg->probe_id &&
        sender != NULL &&
        memcmp(sender->id, r->target_ref, MB_NODE_REF_LEN) == 0) {
      struct mb_msg ack = {.kind = MB_MSG_ACK, .probe_id = r->origin_probe_id};
      struct bytes proof = proof_in(d);
      r->acked = true;
      swim_send_with(s, &r->origin, swim_member_by_ref(s, r->origin_ref), &ack,
                     false, &proof);
      return;
    }
  }
}

void swim_on_ping_req(struct swim *s, const struct mb_addr *from,
                      struct member *sender, const struct mb_msg *msg) {
  if (s->leaving || sender == NULL)
    return; /* only members may make us send on their behalf */
  for (size_t i = 0; i < SWIM_MAX_RELAYS; i++) {
    struct relay *r = &s->relays[i];
    if (r->active)
      continue;
    memset(r, 0, sizeof(*r));
    r->active = true;
    r->want_nack = msg->want_nack;
    r->local_probe_id = (uint32_t)mb_rng_next(&s->rng);
    r->origin_probe_id = msg->probe_id;
    r->origin = *from;
    memcpy(r->origin_ref, sender->id, MB_NODE_REF_LEN);
    memcpy(r->target_ref, msg->target, MB_NODE_REF_LEN);
    /* Nack well before the requester's period ends (memberlist: 80%). */
    r->nack_at = s->now + s->cfg.probe_timeout_ms * 4 / 5;
    r->expires = s->now + s->cfg.probe_interval_ms;
    struct mb_msg ping = {.kind = MB_MSG_PING,
                          .probe_id = r->local_probe_id,
                          .has_origin = true,
                          .origin_probe_id = msg->probe_id};
    memcpy(ping.target, msg->target, MB_NODE_REF_LEN);
    memcpy(ping.origin, sender->id, MB_NODE_REF_LEN);
    struct member *t = swim_member_by_ref(s, msg->target);
    swim_send(s, &msg->target_addr, t, &ping, false);
    return;
  }
}

/* One nack per relay we asked: a nack is proof of our own health, so it
 * must come from where we sent the request. */
void swim_on_nack(struct swim *s, struct member *sender,
                  const struct mb_msg *msg) {
  struct probe *p = probe_of(s, msg->probe_id);
  int i = p != NULL ? relay_index(p, sender) : -1;
  if (i < 0 || (p->nacked >> i & 1))
    return;
  p->nacked |= 1u << i;
  p->nacks_got++;
}
