/*
 * attacker: floods meshbeat agents with hostile datagrams, for
 * tests/agent/test_attack.py.  It measures what the mesh lets through; it
 * is not part of meshbeat.
 *
 *   attacker MODE --target H:P [--target H:P]... --duration S [options]
 *
 * A member accepts from another only datagrams bound to it (body key 6:
 * its node ref; its id and epoch in the external AAD), and unbound ones
 * only as joins (docs/wire-format.md).  So every mode that means to reach
 * a check past the binding binds its datagrams to their target: --receiver
 * ID:EPOCH (the target's node id, and its epoch as `info` shows it: 16 hex
 * digits), once per --target, in the same order.  As a member (--member)
 * the attacker also follows its targets' epochs from the heartbeat records
 * that reach it, and MACs its datagrams to a target under the key they
 * share once that target has sent it anything (it then holds the
 * attacker's certificate), as an agent does: a member's signed datagrams
 * are checked within a budget, its MACed ones all.
 *
 * Modes, each sent as fast as one thread can (or --rate per second):
 *   dead-claims      signed dead claims about --victim, as a certified
 *   suspect-claims   member (--key, --cert), in gossip datagrams signed by
 *   max-incarnation  it, bound to their target and carrying its
 *                    certificate; the claim names the victim's incarnation
 *                    (--incarnation), followed upward from the victim's
 *                    records that reach us, or 2^64-1 for max-incarnation
 *                    (a suspect claim)
 *   forged-certs     a random unadmitted key, in join requests (unbound:
 *                    what a stranger may send without knowing anyone);
 *                    16 certificates naming the cluster authority
 *                    (--authority) with bad signatures
 *   bad-signature    a COSE_Sign1 under a member's kid (--kid), bound to
 *                    the target, whose signature is not that member's (a
 *                    well-formed one: canonical S, so each the receiver
 *                    checks costs it a whole verification; it checks 400
 *                    a second of members' signed datagrams)
 *   forged-mac       a COSE_Mac0 under a member's node ref (--kid), bound
 *                    to the target, whose tag is not under the pair's key
 *   garbage          random bytes of random lengths (a third of them
 *                    behind a valid COSE_Sign1 prefix, a third behind a
 *                    COSE_Mac0 one, to reach past the first byte)
 *   replay-relay     the datagrams of --captured (hex lines), sent again
 *   replay-restart   (the test chooses the target: another member, or the
 *                    one they were meant for after it restarted); the JSON
 *                    line also says what the captured datagrams were
 *   capture          not an attack: from a raw socket in the namespace
 *                    it runs in, writes every UDP datagram to --port as a
 *                    hex line to --out, for --duration
 *
 * With --member NAME (claim modes) the attacker is a member in the view of
 * others: its datagrams carry its own heartbeat (advertising --bind), it
 * acks pings, refutes suspicions of itself, and leaves at the end.  Its
 * accusations then count as those of a live member.
 *
 * Every datagram that reaches the attacker's socket is counted as a reply.
 * At the end it prints one JSON line:
 *   {"mode":..., "sent":N, "rate_per_s":..., "replies":N, "reply_bytes":N,
 *    "send_errors":N, "incarnation":N,
 *    "maced":N (datagrams MACed as a member), ...}
 * with, for the replay modes, what the captured datagrams were:
 *   "captured_kinds":{"datagrams":N, "mac0":N, "sign1_bound":N,
 *                     "unbound":N, "unbound_joins":N, "unbound_bytes":N,
 *                     "unparsed":N}
 */
#include "mb_crypto.h"
#include "mb_wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_TARGETS 16
#define FORGED_CERTS MB_WIRE_MAX_CERTS
#define MAX_CAPTURED 100000

enum mode {
  M_DEAD,
  M_SUSPECT,
  M_MAXINC,
  M_FORGED,
  M_BADSIG,
  M_FORGED_MAC,
  M_GARBAGE,
  M_REPLAY_RELAY,
  M_REPLAY_RESTART,
  M_CAPTURE,
};

static const char *const mode_names[] = {
    "dead-claims",    "suspect-claims", "max-incarnation", "forged-certs",
    "bad-signature",  "forged-mac",     "garbage",         "replay-relay",
    "replay-restart", "capture"};

struct captured {
  uint8_t *p;
  size_t len;
};

/* A target, and what binds a datagram to it (known: --receiver, or its
 * heartbeat record). */
struct target {
  struct sockaddr_in sa;
  bool known;
  uint8_t id[MB_NODE_ID_LEN];
  uint64_t epoch;
  int64_t record_ms; /* time of the record the epoch came from */
  bool heard;        /* it sent us something: it holds our certificate */
  bool has_key;      /* key: the one we share with it (members MAC) */
  uint8_t key[MB_PAIR_KEY_LEN];
};

/* What the captured datagrams are (replay modes). */
struct captured_kinds {
  uint64_t mac0, sign1_bound, unbound, unbound_joins, unbound_bytes, unparsed;
};

struct attacker {
  enum mode mode;
  const char *cluster;
  double duration_s;
  double rate; /* 0: as fast as possible */
  struct target targets[MAX_TARGETS];
  size_t n_targets, n_receivers;
  struct sockaddr_in bind;
  int fd;

  /* certified identity (claim modes) */
  struct mb_identity id;
  uint8_t cert[MB_CERT_MAX_LEN];
  size_t cert_len;
  uint8_t ref[MB_NODE_REF_LEN];
  uint64_t seq;

  /* claims */
  uint8_t victim[MB_NODE_ID_LEN];
  bool have_victim;
  uint64_t incarnation;
  uint8_t claim[256];
  size_t claim_len;
  uint64_t claims_signed;

  /* membership (--member) */
  const char *member_name;
  struct mb_heartbeat hb;
  uint8_t hb_rec[MB_WIRE_MAX_RECORD];
  size_t hb_len;
  uint64_t acks_sent, refutations, maced;

  /* forged-certs, bad-signature */
  uint8_t authority[MB_NODE_ID_LEN];
  bool have_authority;
  uint8_t kid[MB_NODE_ID_LEN];
  bool have_kid;
  struct mb_identity rogue;
  uint8_t forged[FORGED_CERTS][MB_CERT_MAX_LEN];
  size_t forged_len[FORGED_CERTS];

  /* replays */
  struct captured *cap;
  size_t n_cap;
  struct captured_kinds kinds;

  /* capture */
  const char *out;
  unsigned port;

  struct mb_rng rng;
  uint64_t sent, send_errors, replies, reply_bytes;
};

static void die(const char *what, const char *why) {
  fprintf(stderr, "attacker: %s: %s\n", what, why);
  exit(2);
}

static double mono_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void parse_sockaddr(const char *text, struct sockaddr_in *sa) {
  struct mb_addr a;
  if (mb_addr_parse(text, &a) != MB_OK || a.family != 4)
    die(text, "want an IPv4 address as A.B.C.D:PORT");
  memset(sa, 0, sizeof(*sa));
  sa->sin_family = AF_INET;
  sa->sin_port = htons(a.port);
  memcpy(&sa->sin_addr, a.ip, 4);
}

static void read_whole(const char *path, uint8_t *buf, size_t cap,
                       size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    die(path, strerror(errno));
  *len = fread(buf, 1, cap, f);
  if (ferror(f) || !feof(f) || *len == 0)
    die(path, "unreadable, empty or too large");
  fclose(f);
}

static void parse_id(const char *hex, uint8_t id[MB_NODE_ID_LEN]) {
  if (mb_node_id_parse(id, hex) != MB_OK)
    die(hex, "want a node id of 64 hex characters");
}

/* ID:EPOCH, as `info` shows them (64 and 16 hex digits). */
static void parse_receiver(const char *text, struct target *t) {
  char id[MB_NODE_ID_HEX_LEN + 1];
  const char *colon = strchr(text, ':');
  char *end = NULL;
  if (colon == NULL || (size_t)(colon - text) != MB_NODE_ID_HEX_LEN ||
      strlen(colon + 1) != 16)
    die(text, "want --receiver NODE_ID:EPOCH (64 and 16 hex digits)");
  memcpy(id, text, MB_NODE_ID_HEX_LEN);
  id[MB_NODE_ID_HEX_LEN] = '\0';
  parse_id(id, t->id);
  t->epoch = strtoull(colon + 1, &end, 16);
  if (end == NULL || *end != '\0' || t->epoch == 0)
    die(text, "want an epoch of 16 hex digits, not 0");
  t->known = true;
}

/* ---- datagrams --------------------------------------------------------- */

/* Seq numbers as the core makes them: never below the wall clock in ms
 * shifted left by 20 bits, so each run starts above the last one's. */
static uint64_t next_seq(struct attacker *a) {
  uint64_t floor = (uint64_t)wall_ms() << 20;
  if (a->seq < floor)
    a->seq = floor;
  return a->seq++;
}

static const uint8_t *aad(const struct attacker *a) {
  return (const uint8_t *)a->cluster;
}

static void sign_claim(struct attacker *a) {
  struct mb_claim c = {.incarnation = a->incarnation, .time_ms = wall_ms()};
  memcpy(c.subject, a->victim, MB_NODE_ID_LEN);
  enum mb_record_kind kind = a->mode == M_DEAD ? MB_REC_DEAD : MB_REC_SUSPECT;
  if (mb_wire_claim_sign(&a->id, aad(a), strlen(a->cluster), kind, &c, a->claim,
                         sizeof(a->claim), &a->claim_len) != MB_OK)
    die("claim", "cannot sign");
  a->claims_signed++;
}

static void sign_heartbeat(struct attacker *a) {
  a->hb.seq++;
  a->hb.time_ms = wall_ms();
  if (mb_wire_heartbeat_sign(&a->id, aad(a), strlen(a->cluster), &a->hb,
                             a->hb_rec, sizeof(a->hb_rec), &a->hb_len) != MB_OK)
    die("heartbeat", "cannot sign");
}

/* Binds a datagram to its target, when we know the target's epoch: a
 * member refuses every other datagram but a join. */
static void bind_to(struct mb_dgram_builder *b, const struct target *t) {
  if (t != NULL && t->known)
    mb_dgram_bind(b, t->id, t->epoch);
}

static struct target *target_at(struct attacker *a,
                                const struct sockaddr_in *sa) {
  for (size_t i = 0; i < a->n_targets; i++)
    if (a->targets[i].sa.sin_addr.s_addr == sa->sin_addr.s_addr &&
        a->targets[i].sa.sin_port == sa->sin_port)
      return &a->targets[i];
  return NULL;
}

/* The key we share with t, once it holds our certificate: a member then
 * MACs what it sends (NULL: sign). */
static const uint8_t *mac_key(struct attacker *a, struct target *t) {
  if (a->member_name == NULL || t == NULL || !t->known || !t->heard)
    return NULL;
  if (!t->has_key && mb_pair_key(t->key, &a->id, t->id) == MB_OK)
    t->has_key = true;
  return t->has_key ? t->key : NULL;
}

/* A datagram from our certified identity, bound to t (NULL: unbound),
 * with our heartbeat (as a member); `rec` is one more record, or NULL.
 * MACed when t holds our certificate, otherwise signed and carrying it. */
static size_t certified_dgram(struct attacker *a, struct target *t,
                              const struct mb_msg *msg, const uint8_t *rec,
                              size_t rec_len, uint8_t *out, size_t cap) {
  struct mb_dgram_builder b;
  size_t len = 0;
  const uint8_t *key = mac_key(a, t);
  int rc = mb_dgram_init(&b, &a->id, aad(a), strlen(a->cluster),
                         MB_WIRE_DEFAULT_BUDGET, next_seq(a), msg);
  bind_to(&b, t);
  if (rc == MB_OK && key != NULL) {
    rc = mb_dgram_use_mac(&b, key);
    a->maced++;
  }
  if (rc == MB_OK && a->member_name != NULL)
    rc = mb_dgram_add_record(&b, a->hb_rec, a->hb_len);
  if (rc == MB_OK && rec != NULL)
    rc = mb_dgram_add_record(&b, rec, rec_len);
  if (rc == MB_OK && key == NULL)
    rc = mb_dgram_add_cert(&b, a->cert, a->cert_len);
  if (rc == MB_OK)
    rc = mb_dgram_finish(&b, out, cap, &len);
  if (rc != MB_OK)
    die("datagram", mb_strerror(rc));
  return len;
}

static size_t claim_dgram(struct attacker *a, struct target *t, uint8_t *out,
                          size_t cap) {
  struct mb_msg msg = {.kind = MB_MSG_GOSSIP};
  return certified_dgram(a, t, &msg, a->claim, a->claim_len, out, cap);
}

/* Certificates under the authority's kid, signed by a key of our own: each
 * costs a receiver one Ed25519 verification, every time (only successes
 * are cached).  The first admits, or would, the rogue sender. */
static void forge_certs(struct attacker *a) {
  struct mb_identity fake_auth;
  mb_identity_generate(&fake_auth);
  for (size_t i = 0; i < FORGED_CERTS; i++) {
    struct mb_cert c = {.issued_at = wall_ms() / 1000 - 60};
    c.expires_at = c.issued_at + 86400;
    snprintf(c.name, sizeof(c.name), "forged%zu", i);
    if (i == 0) {
      memcpy(c.node_id, a->rogue.pk, MB_NODE_ID_LEN);
    } else {
      struct mb_identity other;
      mb_identity_generate(&other);
      memcpy(c.node_id, other.pk, MB_NODE_ID_LEN);
    }
    if (mb_cert_issue(&fake_auth, &c, a->forged[i], MB_CERT_MAX_LEN,
                      &a->forged_len[i]) != MB_OK)
      die("forged certificate", "cannot issue");
    uint8_t *kid =
        memmem(a->forged[i], a->forged_len[i], fake_auth.pk, MB_NODE_ID_LEN);
    if (kid == NULL)
      die("forged certificate", "no kid to replace");
    memcpy(kid, a->authority, MB_NODE_ID_LEN);
  }
}

/* A join request (unbound, as a stranger's first datagram is) from the
 * rogue key, with the forged certificates: a join is the one unbound
 * datagram a member reads past the binding, so the only way for a
 * stranger who knows no epoch to reach admission. */
static size_t forged_dgram(struct attacker *a, uint8_t *out, size_t cap) {
  struct mb_msg msg = {.kind = MB_MSG_JOIN, .parts = 1};
  struct mb_dgram_builder b;
  size_t len = 0;
  int rc = mb_dgram_init(&b, &a->rogue, aad(a), strlen(a->cluster),
                         MB_WIRE_MAX_DATAGRAM, next_seq(a), &msg);
  for (size_t i = 0; rc == MB_OK && i < FORGED_CERTS; i++)
    rc = mb_dgram_add_cert(&b, a->forged[i], a->forged_len[i]);
  if (rc == MB_OK)
    rc = mb_dgram_finish(&b, out, cap, &len);
  if (rc != MB_OK)
    die("forged datagram", mb_strerror(rc));
  return len;
}

/* A ping under the member's kid, bound to the target, signed with the
 * rogue's secret key: the receiver admits the kid, finds itself named,
 * passes the replay check (the seq is far above anything real) and pays
 * one verification.  The signature stays well-formed: libsodium refuses
 * a non-canonical S (the last byte's high bits) before any curve
 * arithmetic, which an earlier version of this mode hit every time by
 * corrupting the last byte; a bit of R costs the whole verification. */
static size_t badsig_dgram(struct attacker *a, const struct target *t,
                           uint8_t *out, size_t cap) {
  struct mb_identity liar = a->rogue;
  memcpy(liar.pk, a->kid, MB_NODE_ID_LEN);
  struct mb_msg msg = {.kind = MB_MSG_PING, .probe_id = mb_rng_next(&a->rng)};
  memcpy(msg.target, t->id, MB_NODE_REF_LEN);
  struct mb_dgram_builder b;
  size_t len = 0;
  uint64_t seq = (UINT64_C(1) << 62) + a->sent;
  int rc = mb_dgram_init(&b, &liar, aad(a), strlen(a->cluster),
                         MB_WIRE_DEFAULT_BUDGET, seq, &msg);
  bind_to(&b, t);
  if (rc == MB_OK)
    rc = mb_dgram_finish(&b, out, cap, &len);
  if (rc != MB_OK)
    die("bad-signature datagram", mb_strerror(rc));
  out[len - MB_SIG_LEN] ^= 0x01; /* R's first byte */
  return len;
}

/* A ping MACed under the member's node ref as kid, bound to the target,
 * with a random key for the pair's: the receiver finds the member, passes
 * the replay check and pays one HMAC. */
static size_t forged_mac_dgram(struct attacker *a, const struct target *t,
                               uint8_t *out, size_t cap) {
  struct mb_identity liar = a->rogue;
  memcpy(liar.pk, a->kid, MB_NODE_ID_LEN);
  struct mb_msg msg = {.kind = MB_MSG_PING, .probe_id = mb_rng_next(&a->rng)};
  memcpy(msg.target, t->id, MB_NODE_REF_LEN);
  uint8_t key[MB_PAIR_KEY_LEN];
  for (size_t i = 0; i < sizeof(key); i += 8) {
    uint64_t r = mb_rng_next(&a->rng);
    memcpy(key + i, &r, 8);
  }
  struct mb_dgram_builder b;
  size_t len = 0;
  uint64_t seq = (UINT64_C(1) << 62) + a->sent;
  int rc = mb_dgram_init(&b, &liar, aad(a), strlen(a->cluster),
                         MB_WIRE_DEFAULT_BUDGET, seq, &msg);
  bind_to(&b, t);
  if (rc == MB_OK)
    rc = mb_dgram_use_mac(&b, key);
  if (rc == MB_OK)
    rc = mb_dgram_finish(&b, out, cap, &len);
  if (rc != MB_OK)
    die("forged-mac datagram", mb_strerror(rc));
  return len;
}

static size_t garbage_dgram(struct attacker *a, uint8_t *out, size_t cap) {
  /* COSE_Sign1: tag 18, [h'a10127', {4: h'<32 bytes>... */
  static const uint8_t sign1[] = {0xd2, 0x84, 0x43, 0xa1, 0x01,
                                  0x27, 0xa1, 0x04, 0x58, 0x20};
  /* COSE_Mac0: tag 17, [h'a10104', {4: h'<8 bytes>... */
  static const uint8_t mac0[] = {0xd1, 0x84, 0x43, 0xa1, 0x01,
                                 0x04, 0xa1, 0x04, 0x48};
  size_t len = 1 + (size_t)mb_rng_below(&a->rng, MB_WIRE_DEFAULT_BUDGET);
  if (len > cap)
    len = cap;
  for (size_t i = 0; i < len; i += 8) {
    uint64_t r = mb_rng_next(&a->rng);
    memcpy(out + i, &r, len - i < 8 ? len - i : 8);
  }
  if (a->sent % 3 == 1 && len > sizeof(sign1))
    memcpy(out, sign1, sizeof(sign1));
  if (a->sent % 3 == 2 && len > sizeof(mac0))
    memcpy(out, mac0, sizeof(mac0));
  return len;
}

/* ---- replies ----------------------------------------------------------- */

/* A heartbeat record with an epoch, from a target's address: the epoch
 * our datagrams to that target must be bound to (the newest record wins,
 * as in an agent's view). */
static void learn_epoch(struct attacker *a, const struct mb_record *r) {
  const struct mb_heartbeat *hb = &r->u.hb;
  if (hb->epoch == 0 || hb->addr.family != 4)
    return;
  for (size_t i = 0; i < a->n_targets; i++) {
    struct target *t = &a->targets[i];
    if (memcmp(&t->sa.sin_addr, hb->addr.ip, 4) != 0 ||
        ntohs(t->sa.sin_port) != hb->addr.port ||
        (t->known && hb->time_ms <= t->record_ms))
      continue;
    if (memcmp(t->id, r->envelope.kid, MB_NODE_ID_LEN) != 0)
      t->has_key = false; /* another node at that address */
    memcpy(t->id, r->envelope.kid, MB_NODE_ID_LEN);
    t->epoch = hb->epoch;
    t->record_ms = hb->time_ms;
    t->known = true;
  }
}

static void sendto_addr(struct attacker *a, const uint8_t *p, size_t len,
                        const struct sockaddr_in *to) {
  if (sendto(a->fd, p, len, 0, (const struct sockaddr *)to, sizeof(*to)) < 0)
    a->send_errors++;
}

/* A member: ack pings meant for us, refute claims about us.  A claim
 * mode: follow the victim's incarnation from its records. */
static void on_reply(struct attacker *a, const uint8_t *buf, size_t len,
                     const struct sockaddr_in *from) {
  if (a->mode > M_MAXINC)
    return;
  struct mb_datagram d;
  if (mb_wire_datagram_parse(buf, len, &d) != MB_OK)
    return;
  bool refute = false;
  for (size_t i = 0; i < d.n_records; i++) {
    struct mb_record r;
    if (mb_wire_record_parse(d.records[i].p, d.records[i].len, &r) != MB_OK)
      continue;
    if (r.kind == MB_REC_HEARTBEAT && a->member_name != NULL)
      learn_epoch(a, &r);
    if (r.kind == MB_REC_HEARTBEAT && a->mode != M_MAXINC &&
        memcmp(r.envelope.kid, a->victim, MB_NODE_ID_LEN) == 0 &&
        r.u.hb.incarnation > a->incarnation) {
      a->incarnation = r.u.hb.incarnation;
      sign_claim(a);
    }
    if ((r.kind == MB_REC_SUSPECT || r.kind == MB_REC_DEAD) &&
        a->member_name != NULL &&
        memcmp(r.u.claim.subject, a->id.pk, MB_NODE_ID_LEN) == 0 &&
        r.u.claim.incarnation >= a->hb.incarnation) {
      a->hb.incarnation = r.u.claim.incarnation + 1;
      refute = true;
    }
  }
  if (refute) {
    sign_heartbeat(a);
    a->refutations++;
  }
  if (a->member_name != NULL && d.msg.kind == MB_MSG_PING &&
      memcmp(d.msg.target, a->ref, MB_NODE_REF_LEN) == 0) {
    struct mb_msg ack = {.kind = MB_MSG_ACK, .probe_id = d.msg.probe_id};
    uint8_t out[MB_WIRE_DEFAULT_BUDGET];
    size_t n =
        certified_dgram(a, target_at(a, from), &ack, NULL, 0, out, sizeof(out));
    sendto_addr(a, out, n, from);
    a->acks_sent++;
  }
}

static void drain(struct attacker *a) {
  static uint8_t buf[MB_WIRE_MAX_DATAGRAM];
  for (;;) {
    struct sockaddr_in from;
    socklen_t fl = sizeof(from);
    ssize_t n = recvfrom(a->fd, buf, sizeof(buf), MSG_DONTWAIT,
                         (struct sockaddr *)&from, &fl);
    if (n < 0)
      return;
    a->replies++;
    a->reply_bytes += (uint64_t)n;
    struct target *t = target_at(a, &from);
    if (t != NULL)
      t->heard = true;
    on_reply(a, buf, (size_t)n, &from);
  }
}

/* ---- the flood --------------------------------------------------------- */

static size_t make_dgram(struct attacker *a, struct target *t, uint8_t *out,
                         size_t cap) {
  switch (a->mode) {
  case M_DEAD:
  case M_SUSPECT:
  case M_MAXINC:
    return claim_dgram(a, t, out, cap);
  case M_FORGED:
    return forged_dgram(a, out, cap);
  case M_BADSIG:
    return badsig_dgram(a, t, out, cap);
  case M_FORGED_MAC:
    return forged_mac_dgram(a, t, out, cap);
  case M_GARBAGE:
    return garbage_dgram(a, out, cap);
  default: {
    const struct captured *c = &a->cap[a->sent % a->n_cap];
    memcpy(out, c->p, c->len);
    return c->len;
  }
  }
}

static void send_one(struct attacker *a, const uint8_t *p, size_t len,
                     const struct sockaddr_in *to) {
  for (;;) {
    if (sendto(a->fd, p, len, 0, (const struct sockaddr *)to, sizeof(*to)) >=
        0) {
      a->sent++;
      return;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
      a->send_errors++;
      a->sent++; /* skip it, as a lost packet */
      return;
    }
    struct pollfd pfd = {.fd = a->fd, .events = POLLOUT};
    poll(&pfd, 1, 5);
  }
}

static void leave(struct attacker *a) {
  a->hb.status = MB_HB_LEFT;
  sign_heartbeat(a);
  struct mb_msg msg = {.kind = MB_MSG_LEAVE};
  for (int round = 0; round < 3; round++)
    for (size_t t = 0; t < a->n_targets; t++) {
      uint8_t out[MB_WIRE_DEFAULT_BUDGET];
      size_t n =
          certified_dgram(a, &a->targets[t], &msg, NULL, 0, out, sizeof(out));
      sendto_addr(a, out, n, &a->targets[t].sa);
    }
}

static void flood(struct attacker *a) {
  static uint8_t out[MB_WIRE_MAX_DATAGRAM];
  double t0 = mono_s(), end = t0 + a->duration_s;
  double now = t0;
  while (now < end) {
    struct target *t = &a->targets[a->sent % a->n_targets];
    size_t len = make_dgram(a, t, out, sizeof(out));
    send_one(a, out, len, &t->sa);
    if (a->sent % 32 == 0) {
      drain(a);
      now = mono_s();
      if (a->member_name != NULL && a->sent % 4096 == 0)
        sign_heartbeat(a); /* a payload update now and then, like agents */
    }
    if (a->rate > 0) {
      double due = t0 + (double)a->sent / a->rate;
      while ((now = mono_s()) < due && now < end) {
        drain(a);
        struct pollfd pfd = {.fd = a->fd, .events = POLLIN};
        int ms = (int)((due - now) * 1000);
        poll(&pfd, 1, ms > 0 ? ms : 0);
      }
    }
  }
  double elapsed = mono_s() - t0;
  /* Answers to the last datagrams still count. */
  double stop = mono_s() + 1.0;
  while (mono_s() < stop) {
    struct pollfd pfd = {.fd = a->fd, .events = POLLIN};
    poll(&pfd, 1, 50);
    drain(a);
  }
  if (a->member_name != NULL)
    leave(a);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu =
      (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
      ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
  printf("{\"mode\":\"%s\",\"sent\":%llu,\"seconds\":%.3f,\"cpu_s\":%.2f,"
         "\"rate_per_s\":%.0f,\"replies\":%llu,\"reply_bytes\":%llu,"
         "\"send_errors\":%llu,\"incarnation\":%llu,\"claims_signed\":%llu,"
         "\"acks_sent\":%llu,\"refutations\":%llu,\"maced\":%llu",
         mode_names[a->mode], (unsigned long long)a->sent, elapsed, cpu,
         (double)a->sent / elapsed, (unsigned long long)a->replies,
         (unsigned long long)a->reply_bytes, (unsigned long long)a->send_errors,
         (unsigned long long)a->incarnation,
         (unsigned long long)a->claims_signed, (unsigned long long)a->acks_sent,
         (unsigned long long)a->refutations, (unsigned long long)a->maced);
  if (a->mode >= M_REPLAY_RELAY) {
    const struct captured_kinds *k = &a->kinds;
    printf(",\"captured_kinds\":{\"datagrams\":%zu,\"mac0\":%llu,"
           "\"sign1_bound\":%llu,\"unbound\":%llu,\"unbound_joins\":%llu,"
           "\"unbound_bytes\":%llu,\"unparsed\":%llu}",
           a->n_cap, (unsigned long long)k->mac0,
           (unsigned long long)k->sign1_bound, (unsigned long long)k->unbound,
           (unsigned long long)k->unbound_joins,
           (unsigned long long)k->unbound_bytes,
           (unsigned long long)k->unparsed);
  }
  printf("}\n");
}

/* ---- capture ----------------------------------------------------------- */

/* A raw UDP socket sees a copy of every UDP datagram this namespace
 * receives, IP header included; no capture tool needed. */
static void capture(struct attacker *a) {
  int fd = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
  if (fd < 0)
    die("raw socket", strerror(errno));
  FILE *f = fopen(a->out, "w");
  if (f == NULL)
    die(a->out, strerror(errno));
  static uint8_t buf[70000];
  static char hex[2 * sizeof(buf) + 1];
  double end = mono_s() + a->duration_s;
  uint64_t n = 0;
  while (mono_s() < end) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, 100) <= 0)
      continue;
    ssize_t got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (got < 28)
      continue;
    size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
    if ((size_t)got < ihl + 8)
      continue;
    unsigned dport = (unsigned)buf[ihl + 2] << 8 | buf[ihl + 3];
    if (dport != a->port)
      continue;
    char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, buf + 12, src, sizeof(src));
    inet_ntop(AF_INET, buf + 16, dst, sizeof(dst));
    unsigned sport = (unsigned)buf[ihl] << 8 | buf[ihl + 1];
    mb_hex_encode(hex, buf + ihl + 8, (size_t)got - ihl - 8);
    fprintf(f, "%s:%u %s:%u %s\n", src, sport, dst, dport, hex);
    n++;
  }
  if (fclose(f) != 0)
    die(a->out, strerror(errno));
  close(fd);
  printf("{\"mode\":\"capture\",\"captured\":%llu}\n", (unsigned long long)n);
}

/* What a replayed datagram may reach: a Mac0 or a bound Sign1 is for one
 * receiver's epoch; only an unbound one (a join, or an introduction) is
 * read by anyone, and answered with no more than its own size. */
static void classify(struct captured_kinds *k, const uint8_t *p, size_t len) {
  struct mb_datagram d;
  if (mb_wire_datagram_parse(p, len, &d) != MB_OK) {
    k->unparsed++;
  } else if (d.mac) {
    k->mac0++;
  } else if (d.to != NULL) {
    k->sign1_bound++;
  } else {
    k->unbound++;
    k->unbound_joins += d.msg.kind == MB_MSG_JOIN;
    k->unbound_bytes += len;
  }
}

/* Lines "SRC DST HEX" (capture's format) or bare "HEX". */
static void load_captured(struct attacker *a, const char *path) {
  FILE *f = fopen(path, "r");
  if (f == NULL)
    die(path, strerror(errno));
  a->cap = calloc(MAX_CAPTURED, sizeof(*a->cap));
  char *line = NULL;
  size_t cap = 0;
  while (a->cap != NULL && getline(&line, &cap, f) > 0 &&
         a->n_cap < MAX_CAPTURED) {
    char *hex = strrchr(line, ' ');
    hex = hex ? hex + 1 : line;
    hex[strcspn(hex, "\r\n")] = '\0';
    size_t len = strlen(hex) / 2;
    uint8_t *p = malloc(len ? len : 1);
    if (len == 0 || p == NULL || mb_hex_decode(p, len, hex) != MB_OK) {
      free(p);
      continue;
    }
    a->cap[a->n_cap++] = (struct captured){p, len};
    classify(&a->kinds, p, len);
  }
  free(line);
  fclose(f);
  if (a->n_cap == 0)
    die(path, "no captured datagrams");
}

/* ---- setup ------------------------------------------------------------- */

static void usage(void) {
  fprintf(
      stderr,
      "usage: attacker MODE --target H:P [--target H:P]... --duration S\n"
      "         [--receiver ID:EPOCH]... [--rate N] [--cluster NAME]\n"
      "         [--bind H:P]\n"
      "  --receiver: the node id and epoch (16 hex digits) of each target,\n"
      "         in order; datagrams are bound to them\n"
      "  claim modes (dead-claims suspect-claims max-incarnation):\n"
      "         --key FILE --cert FILE --victim HEX [--incarnation N]\n"
      "         [--member NAME] --receiver for every target\n"
      "  forged-certs: --authority HEX\n"
      "  bad-signature, forged-mac: --kid HEX, --receiver for every target\n"
      "  replay-relay, replay-restart: --captured FILE\n"
      "  capture: --out FILE --duration S [--port N]\n");
  exit(2);
}

static void parse_args(struct attacker *a, int argc, char **argv) {
  static const struct option opts[] = {
      {"target", required_argument, 0, 't'},
      {"duration", required_argument, 0, 'd'},
      {"rate", required_argument, 0, 'r'},
      {"cluster", required_argument, 0, 'C'},
      {"bind", required_argument, 0, 'b'},
      {"key", required_argument, 0, 'k'},
      {"cert", required_argument, 0, 'c'},
      {"victim", required_argument, 0, 'v'},
      {"incarnation", required_argument, 0, 'i'},
      {"member", required_argument, 0, 'm'},
      {"authority", required_argument, 0, 'a'},
      {"kid", required_argument, 0, 'K'},
      {"captured", required_argument, 0, 'R'},
      {"out", required_argument, 0, 'o'},
      {"port", required_argument, 0, 'p'},
      {"receiver", required_argument, 0, 'E'},
      {0, 0, 0, 0}};
  const char *key = NULL, *cert = NULL, *captured = NULL;
  int c;
  a->cluster = "meshbeat-test";
  a->port = 7946;
  a->bind.sin_family = AF_INET;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
    case 't':
      if (a->n_targets == MAX_TARGETS)
        die("--target", "too many");
      parse_sockaddr(optarg, &a->targets[a->n_targets++].sa);
      break;
    case 'E':
      if (a->n_receivers == MAX_TARGETS)
        die("--receiver", "too many");
      parse_receiver(optarg, &a->targets[a->n_receivers++]);
      break;
    case 'd':
      a->duration_s = atof(optarg);
      break;
    case 'r':
      a->rate = atof(optarg);
      break;
    case 'C':
      a->cluster = optarg;
      break;
    case 'b':
      parse_sockaddr(optarg, &a->bind);
      break;
    case 'k':
      key = optarg;
      break;
    case 'c':
      cert = optarg;
      break;
    case 'v':
      parse_id(optarg, a->victim), a->have_victim = true;
      break;
    case 'i':
      a->incarnation = strtoull(optarg, NULL, 10);
      break;
    case 'm':
      a->member_name = optarg;
      break;
    case 'a':
      parse_id(optarg, a->authority), a->have_authority = true;
      break;
    case 'K':
      parse_id(optarg, a->kid), a->have_kid = true;
      break;
    case 'R':
      captured = optarg;
      break;
    case 'o':
      a->out = optarg;
      break;
    case 'p':
      a->port = (unsigned)atoi(optarg);
      break;
    default:
      usage();
    }
  }
  if (optind + 1 != argc)
    usage();
  size_t n_modes = sizeof(mode_names) / sizeof(mode_names[0]);
  for (a->mode = 0; (size_t)a->mode < n_modes; a->mode++)
    if (strcmp(argv[optind], mode_names[a->mode]) == 0)
      break;
  if ((size_t)a->mode == n_modes || a->duration_s <= 0)
    usage();
  if (a->mode == M_CAPTURE) {
    if (a->out == NULL)
      usage();
    return;
  }
  if (a->n_targets == 0)
    usage();
  if (a->mode <= M_MAXINC) {
    if (key == NULL || cert == NULL || !a->have_victim)
      usage();
    int rc = mb_identity_load(&a->id, key);
    if (rc != MB_OK)
      die(key, mb_strerror(rc));
    read_whole(cert, a->cert, sizeof(a->cert), &a->cert_len);
  }
  if (a->mode == M_FORGED && !a->have_authority)
    usage();
  if ((a->mode == M_BADSIG || a->mode == M_FORGED_MAC) && !a->have_kid)
    usage();
  bool bound =
      a->mode <= M_MAXINC || a->mode == M_BADSIG || a->mode == M_FORGED_MAC;
  if (a->n_receivers > a->n_targets ||
      (bound && a->n_receivers != a->n_targets))
    die("--receiver", "want one per --target");
  if (a->mode >= M_REPLAY_RELAY) {
    if (captured == NULL)
      usage();
    load_captured(a, captured);
  }
}

static void setup(struct attacker *a) {
  mb_rng_seed(&a->rng, (uint64_t)wall_ms() ^ (uint64_t)getpid() << 32);
  mb_identity_generate(&a->rogue);
  memcpy(a->ref, a->id.pk, MB_NODE_REF_LEN);
  if (a->mode == M_MAXINC)
    a->incarnation = UINT64_MAX;
  if (a->mode <= M_MAXINC)
    sign_claim(a);
  if (a->mode == M_FORGED)
    forge_certs(a);
  if (a->member_name != NULL) {
    struct mb_cert c;
    if (a->bind.sin_port == 0)
      die("--member", "needs --bind A.B.C.D:PORT to advertise");
    if (mb_cert_decode(a->cert, a->cert_len, &c) != MB_OK)
      die("--cert", "not a certificate");
    snprintf(a->hb.name, sizeof(a->hb.name), "%s", a->member_name);
    snprintf(a->hb.domain, sizeof(a->hb.domain), "%s", c.domain);
    a->hb.addr.family = 4;
    a->hb.addr.port = ntohs(a->bind.sin_port);
    memcpy(a->hb.addr.ip, &a->bind.sin_addr, 4);
    a->hb.incarnation = (uint64_t)wall_ms() / 1000;
    a->hb.epoch = mb_rng_next(&a->rng) | 1; /* as an agent: per start */
    a->hb.capacity = UINT64_C(1) << 40;
    a->hb.available = UINT64_C(1) << 39;
    sign_heartbeat(a);
  }
  a->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (a->fd < 0)
    die("socket", strerror(errno));
  int big = 4 << 20;
  setsockopt(a->fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
  if (bind(a->fd, (const struct sockaddr *)&a->bind, sizeof(a->bind)) != 0)
    die("bind", strerror(errno));
}

int main(int argc, char **argv) {
  static struct attacker a;
  parse_args(&a, argc, argv);
  if (a.mode == M_CAPTURE) {
    capture(&a);
    return 0;
  }
  setup(&a);
  flood(&a);
  mb_identity_wipe(&a.id);
  return 0;
}
