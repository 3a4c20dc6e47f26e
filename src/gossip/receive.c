/*
 * Intake of one datagram.  Bad input is normal input: whatever fails here is
 * counted and dropped, changes no state and gets no reply.
 *
 *   parse (strict, no allocation) -> not from ourselves -> bound to us
 *   (or an unbound join) -> then, for a COSE_Mac0: the sender is a member
 *   we hold a certificate of -> replay window -> MAC under our pair key;
 *   for a COSE_Sign1: the sender is such a member, or carries a
 *   certificate naming it -> replay window -> a stranger's certificate
 *   (admission.c) -> signature; then replay commit -> records -> message.
 *
 * Every check before the MAC or signature costs well under a microsecond.
 * A forged datagram between members costs one HMAC; otherwise a datagram
 * makes us verify at most its sender's certificate (strangers only,
 * within a budget) and its signature before it is authenticated.
 */
#include "swim_internal.h"

#include <errno.h>
#include <string.h>

/* A channel record (channel/take.c): refusals that say something about its
 * sender are counted (a bad signature, a signer or subject its kind does
 * not take, a body that does not decode), and so is one the table has no
 * room for; a copy we hold, an older one, one lapsed or of a kind we do
 * not keep are what gossip brings, and are not. */
static void take_channel_record(struct swim *s, const struct mb_bytes *raw,
                                struct swim_carried *c) {
  int rc = swim_record_take(s, raw->p, raw->len, c, SWIM_FROM_PEER);
  if (rc == MB_EREVOKED)
    s->stats.rejected[SWIM_REJ_REVOKED]++;
  else if (rc == MB_EFULL) /* a revocation the table cannot hold */
    s->stats.rejected[SWIM_REJ_CHANNEL_FULL]++;
  else if (rc != MB_OK && rc != MB_EHELD && rc != MB_EOLDER &&
           rc != MB_ELAPSED && rc != MB_EKIND && rc != -ENOMEM)
    s->stats.rejected[SWIM_REJ_RECORD]++;
}

static void apply_record(struct swim *s, const struct mb_bytes *raw,
                         struct swim_carried *c) {
  struct mb_record rec;
  int parsed = mb_wire_record_parse(raw->p, raw->len, &rec);
  if (parsed == MB_OK && rec.kind == MB_REC_ACK)
    return; /* a probe's proof, not state: checked by whom it is for */
  if (parsed == MB_OK && mb_record_kind_is_channel(rec.kind)) {
    take_channel_record(s, raw, c);
    return;
  }
  if (parsed == MB_OK && swim_id_revoked(s, rec.envelope.kid)) {
    s->stats.rejected[SWIM_REJ_REVOKED]++; /* refused unverified */
    return;
  }
  if (mb_wire_record_open(s->vc, raw->p, raw->len, s->aad, s->aad_len, &rec) !=
          MB_OK ||
      !swim_admitted(s, rec.envelope.kid, c)) {
    s->stats.rejected[SWIM_REJ_RECORD]++;
    return;
  }
  if (rec.kind == MB_REC_HEARTBEAT) {
    size_t i;
    const struct mb_cert *ct = swim_carried_admit(s, c, rec.envelope.kid, &i);
    struct bytes cert = {0};
    if (ct != NULL)
      cert = (struct bytes){(uint8_t *)c->raw[i].p, c->raw[i].len};
    if (swim_apply_heartbeat(s, &rec, raw->p, raw->len, ct ? &cert : NULL,
                             ct ? ct->expires_at : 0) == MB_ECERTNAME)
      s->stats.rejected[SWIM_REJ_IDENTITY]++;
  } else if (rec.kind == MB_REC_SUSPECT || rec.kind == MB_REC_DEAD) {
    if (swim_apply_claim(s, &rec, raw->p, raw->len) != MB_OK)
      s->stats.rejected[SWIM_REJ_CLAIM]++;
  }
}

int swim_restore(struct swim *s, uint64_t now, const uint8_t *record,
                 size_t record_len, const uint8_t *cert, size_t cert_len) {
  s->now = now;
  struct mb_datagram d = {.n_records = 1, .n_certs = cert_len > 0};
  d.records[0] = (struct mb_bytes){record, record_len};
  d.certs[0] = (struct mb_bytes){cert, cert_len};
  struct swim_carried c;
  swim_carried_init(&c, &d);
  uint64_t rejected = s->stats.rejected[SWIM_REJ_RECORD];
  uint64_t revoked = s->stats.rejected[SWIM_REJ_REVOKED];
  uint64_t contradicted = s->stats.rejected[SWIM_REJ_IDENTITY];
  s->intake_quiet = s->intake_stored = true;
  apply_record(s, &d.records[0], &c);
  s->intake_quiet = s->intake_stored = false;
  if (s->stats.rejected[SWIM_REJ_REVOKED] != revoked)
    return MB_EREVOKED;
  if (s->stats.rejected[SWIM_REJ_IDENTITY] != contradicted)
    return MB_ECERTNAME;
  return s->stats.rejected[SWIM_REJ_RECORD] == rejected ? MB_OK : MB_EBADSIG;
}

/* The sender passed every check: remember its certificate.  A member that
 * sends us a datagram of its own accord picked us from its member table,
 * so it holds our certificate and we may stop attaching it.  (So does the
 * target of our probe once it acks: see swim_on_ack.)  Answers are not
 * counted: they may answer a datagram that carried our certificate.  Nor
 * are pings: an indirect probe's relay found our address in the request,
 * and, counted, it got our acks without a certificate in join storms,
 * could not admit them, and the prober suspected us. */
static void note_sender(struct swim *s, struct member *m,
                        const struct mb_datagram *d, struct swim_carried *c) {
  size_t i;
  const struct mb_cert *ct = swim_carried_admit(s, c, m->id, &i);
  if (ct != NULL &&
      swim_blob_set(s, &m->cert, c->raw[i].p, c->raw[i].len) == MB_OK) {
    m->cert_expires = ct->expires_at;
    swim_member_cert_taken(m);
  }
  /* A join request that reaches here is bound to us: its sender took our
   * record and certificate from our introduction (the view we answer with
   * is MACed then: signing its pages was 43 % of a join storm's seed).
   * An introduction is not: it answers a join it did not apply. */
  enum mb_msg_kind k = d->msg.kind;
  if (k == MB_MSG_PING_REQ || k == MB_MSG_GOSSIP || k == MB_MSG_PUSH_PULL ||
      (k == MB_MSG_JOIN && d->msg.parts == 1)) {
    m->knows_us = true;
    m->unanswered = false;
  }
}

static void dispatch(struct swim *s, const struct mb_addr *from,
                     struct member *sender, const struct mb_datagram *d) {
  switch (d->msg.kind) {
  case MB_MSG_PING:
    swim_on_ping(s, from, sender, &d->msg);
    break;
  case MB_MSG_ACK:
    swim_on_ack(s, sender, d);
    break;
  case MB_MSG_PING_REQ:
    swim_on_ping_req(s, from, sender, &d->msg);
    break;
  case MB_MSG_NACK:
    swim_on_nack(s, sender, &d->msg);
    break;
  case MB_MSG_PUSH_PULL:
  case MB_MSG_JOIN:
  case MB_MSG_PUSH_PULL_REPLY:
    swim_on_push_pull(s, from, d->envelope.kid, &d->msg);
    break;
  case MB_MSG_GOSSIP:
    if (d->msg.summary != NULL)
      swim_on_news(s, from, sender, &d->msg);
    break;
  case MB_MSG_APP:
    swim_on_app(s, sender, d);
    break;
  default: /* leave: its record was the point */
    break;
  }
}

static struct stranger *stranger_find(struct swim *s, const uint8_t *id) {
  for (size_t i = 0; i < SWIM_STRANGERS; i++)
    if (s->strangers[i].used &&
        memcmp(s->strangers[i].id, id, MB_NODE_ID_LEN) == 0)
      return &s->strangers[i];
  return NULL;
}

static struct stranger *stranger_take(struct swim *s, const uint8_t *id) {
  struct stranger *st = stranger_find(s, id);
  if (st == NULL) {
    st = &s->strangers[0];
    for (size_t i = 1; i < SWIM_STRANGERS; i++)
      if (s->strangers[i].used < st->used)
        st = &s->strangers[i];
    memcpy(st->id, id, MB_NODE_ID_LEN);
    mb_replay_init(&st->window);
  }
  st->used = ++s->stranger_clock;
  return st;
}

/* A stranger that becomes a member keeps the window it had. */
void swim_stranger_adopt(struct swim *s, struct member *m) {
  struct stranger *st = stranger_find(s, m->id);
  if (st != NULL) {
    m->replay = st->window;
    st->used = 0;
  }
}

static const struct mb_replay_window *window_of(struct swim *s,
                                                const uint8_t *id) {
  struct member *m = swim_member_by_id(s, id);
  if (m != NULL)
    return &m->replay;
  struct stranger *st = stranger_find(s, id);
  return st ? &st->window : NULL;
}

/* The datagram passed every check: its sequence number is spent, in the
 * sender's window as a member if it is one (returned), or a stranger. */
static struct member *commit_seq(struct swim *s, const struct mb_datagram *d) {
  struct member *m = swim_member_by_id(s, d->envelope.kid);
  if (m != NULL)
    mb_replay_commit(&m->replay, d->seq);
  else
    mb_replay_commit(&stranger_take(s, d->envelope.kid)->window, d->seq);
  return m;
}

/* A joiner's first view (the pages of its seed's answer, which arrive
 * within moments of each other) holds nothing the mesh needs to hear. */
#define JOIN_VIEW_MS 2000

static bool joining_view(const struct swim *s, const struct mb_datagram *d) {
  const struct mb_msg *m = &d->msg;
  if (m->kind != MB_MSG_PUSH_PULL_REPLY || m->summary != NULL ||
      s->n_seeds == 0)
    return false; /* not an answer to a join of ours */
  return !s->joined || s->now < s->joined_at + JOIN_VIEW_MS;
}

/* Records that come in a view (push-pull, reconcile, a join's answer, the
 * reconnect after a heal) are state of unknown age, not news: claims in
 * them are softer (suspicion.c). */
static bool merged_view(const struct mb_datagram *d) {
  enum mb_msg_kind k = d->msg.kind;
  return k == MB_MSG_PUSH_PULL || k == MB_MSG_PUSH_PULL_REPLY ||
         k == MB_MSG_JOIN;
}

/* A stranger's certificate for its own kid: the one certificate a
 * datagram may make us check before it is authenticated. */
static bool stranger_admitted(struct swim *s, const struct mb_addr *from,
                              struct swim_carried *c, const uint8_t *kid) {
  size_t i;
  if (!swim_stranger_check_allowed(s, from, c, kid))
    return false;
  if (swim_carried_admit(s, c, kid, &i) != NULL)
    return true;
  swim_stranger_check_failed(s, from);
  return false;
}

/* Our record in answer to claims about us: ANSWERS_PER_S a second.  An
 * honest mesh accuses us a few times per suspicion; a malicious member
 * sending 20 000 claims a second drew as many records back. */
#define ANSWERS_PER_S 20

static bool answer_allowed(struct swim *s) {
  return swim_budget_take(s, &s->answers, ANSWERS_PER_S);
}

static struct mb_dgram_auth auth_of(struct swim *s, const uint8_t *key) {
  return (struct mb_dgram_auth){.scheme =
                                    s->vc ? mb_vcache_scheme(s->vc) : NULL,
                                .aad = s->aad,
                                .aad_len = s->aad_len,
                                .self_id = s->id.pk,
                                .self_epoch = s->epoch,
                                .key = key};
}

/* A datagram MACed by a member: its kid is the member's node ref.  Once
 * authenticated, envelope.kid holds the member's full id, as for a
 * signed datagram. */
static int check_maced(struct swim *s, struct mb_datagram *d) {
  struct member *m = swim_member_by_ref(s, d->sender_ref);
  if (m == NULL || (s->cfg.require_cert && !swim_holds_cert(s, m->id)))
    return SWIM_REJ_ADMISSION;
  if (mb_replay_check(&m->replay, d->seq) != MB_OK)
    return SWIM_REJ_REPLAY;
  struct mb_dgram_auth a = auth_of(s, swim_pair_key(s, m));
  if (a.key == NULL || mb_wire_datagram_auth(d, &a) != MB_OK)
    return SWIM_REJ_SIGNATURE;
  d->envelope.kid = m->id;
  return -1;
}

/* Signatures of members' datagrams checked a second.  Members MAC what
 * they send each other; they sign only while a peer may not hold their
 * certificate (a restart, a first contact), a few datagrams a second in
 * a join storm.  A flood of forged signed datagrams naming a member then
 * costs at most this many Ed25519 verifications, and only the signed
 * datagrams in excess are lost, not the MACed ones probes run on. */
#define SIGNED_PER_S 400

/* Is the sender revoked?  A member's flag, or for a stranger's signed
 * datagram a lookup in the record channel: before any cryptography. */
static const uint8_t *revoked_sender(struct swim *s,
                                     const struct mb_datagram *d) {
  if (d->mac) {
    struct member *m = swim_member_by_ref(s, d->sender_ref);
    return m != NULL && m->revoked ? m->id : NULL;
  }
  return swim_id_revoked(s, d->envelope.kid) ? d->envelope.kid : NULL;
}

/* Checks everything about the datagram before anything is applied. */
static int check_datagram(struct swim *s, const struct mb_addr *from,
                          struct mb_datagram *d, struct swim_carried *c) {
  if (memcmp(d->sender_ref, s->ref, MB_NODE_REF_LEN) == 0 &&
      (d->mac || memcmp(d->envelope.kid, s->id.pk, MB_NODE_ID_LEN) == 0))
    return SWIM_REJ_SELF;
  const uint8_t *revoked = revoked_sender(s, d);
  if (revoked != NULL) {
    swim_revoked_answer(s, revoked, from, s->rx_len);
    return SWIM_REJ_REVOKED;
  }
  if (d->to != NULL ? memcmp(d->to, s->ref, MB_NODE_REF_LEN) != 0
                    : d->msg.kind != MB_MSG_JOIN)
    return SWIM_REJ_BINDING;
  if (d->mac)
    return check_maced(s, d);
  const uint8_t *kid = d->envelope.kid;
  bool known = !s->cfg.require_cert || swim_holds_cert(s, kid);
  if (!known && !swim_carries_cert_for(c, kid))
    return SWIM_REJ_ADMISSION;
  const struct mb_replay_window *w = window_of(s, kid);
  if (w != NULL && mb_replay_check(w, d->seq) != MB_OK)
    return SWIM_REJ_REPLAY;
  if (!known && !stranger_admitted(s, from, c, kid))
    return SWIM_REJ_ADMISSION;
  if (known && !swim_budget_take(s, &s->signed_checks, SIGNED_PER_S))
    return SWIM_REJ_BUDGET;
  struct mb_dgram_auth a = auth_of(s, NULL);
  if (mb_wire_datagram_auth(d, &a) != MB_OK)
    return SWIM_REJ_SIGNATURE;
  return -1;
}

/*
 * An unbound join applies nothing (join.c), except channel records: they
 * are signed end to end by whoever their kind needs, a replayed one is
 * older than or equal to what is held, and the datagram's own signature
 * has verified.  So a node that restarted, or lost its store, and whose
 * datagrams every member refuses still learns of its own revocation
 * (channel/revocation.c).
 */
static void take_unbound_channel_records(struct swim *s,
                                         const struct mb_datagram *d,
                                         struct swim_carried *c) {
  for (size_t i = 0; i < d->n_records && !s->left; i++) {
    struct mb_record rec;
    if (mb_wire_record_parse(d->records[i].p, d->records[i].len, &rec) ==
            MB_OK &&
        mb_record_kind_is_channel(rec.kind))
      take_channel_record(s, &d->records[i], c);
  }
}

void swim_receive(struct swim *s, uint64_t now, const struct mb_addr *from,
                  const uint8_t *buf, size_t len) {
  struct mb_datagram d;
  struct swim_carried c;
  s->now = now;
  s->stats.recv_datagrams++;
  s->stats.recv_bytes += len;
  s->rx_len = len;
  s->accused_us = false;
  if (s->left || mb_wire_datagram_parse(buf, len, &d) != MB_OK) {
    s->stats.rejected[SWIM_REJ_MALFORMED]++;
    return;
  }
  swim_carried_init(&c, &d);
  int why = check_datagram(s, from, &d, &c);
  if (why >= 0) {
    s->stats.rejected[why]++;
    return;
  }
  if (d.to == NULL) { /* an unbound join (check_datagram) */
    commit_seq(s, &d);
    take_unbound_channel_records(s, &d, &c);
    if (!s->left)
      swim_answer_unbound_join(s, from, &d, &c, len);
    return;
  }
  s->intake_quiet = joining_view(s, &d);
  s->intake_merged = merged_view(&d);
  for (size_t i = 0; i < d.n_records; i++)
    apply_record(s, &d.records[i], &c);
  s->intake_quiet = s->intake_merged = false;
  /* Records may have created the sender; look it up only now. */
  struct member *sender = commit_seq(s, &d);
  if (sender != NULL)
    note_sender(s, sender, &d, &c);
  dispatch(s, from, sender, &d);
  if (s->accused_us && d.msg.kind != MB_MSG_PING && !s->leaving &&
      answer_allowed(s)) {
    struct mb_msg msg = {.kind = MB_MSG_GOSSIP};
    swim_send(s, from, sender, &msg, false);
  }
  s->accused_us = false;
}
