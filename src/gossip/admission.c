/*
 * Who may speak: a node is admitted by a valid certificate from the
 * configured authority, one we hold for a member or one carried in the
 * datagram.
 *
 * Checking a certificate costs a signature verify, so none is checked
 * before it is needed, and a datagram can never make us check more than
 * the one that admits its sender until it has passed every other check:
 *
 *   - carried certificates are decoded (no signature) and verified one at
 *     a time, when a node needs admitting:
 *     the sender's, after the replay window; a record author's, after the
 *     datagram's own signature;
 *   - a sender we know needs none of them; a stranger needs the one whose
 *     node id is its kid, and nothing else is tried for it;
 *   - strangers' certificates are checked within a budget per second, and
 *     a source address whose stranger certificates failed FAIL_LIMIT times
 *     in FAIL_WINDOW_MS gets none checked until that window ends.
 *
 * Before this, every carried certificate was verified first: a datagram
 * from nobody with 16 forged certificates cost 16 verifies (724 µs,
 * bench/bench_intake.c), and 1.5 k such datagrams a second from one host
 * kept a member too busy to answer its probes.  A stranger's budget does
 * not touch members: their certificates are held, never re-checked.
 */
#include "swim_internal.h"

#include <string.h>

#define STRANGER_CHECKS_PER_S 200 /* a join storm of 1000 within seconds */
#define FAIL_LIMIT 4
#define FAIL_WINDOW_MS 10000

/* Certificates go through the shared cache too: an authority signature is
 * checked once per certificate, not once per receiver and datagram. */
int swim_admit_cert(struct swim *s, const uint8_t *p, size_t len,
                    struct mb_cert *out) {
  return mb_cert_verify_cached(s->vc, p, len, s->cfg.authority,
                               swim_wall(s) / 1000, s->cfg.cert_skew_s, out);
}

void swim_carried_init(struct swim_carried *c, const struct mb_datagram *d) {
  c->n = d->n_certs;
  for (size_t i = 0; i < c->n; i++) {
    c->raw[i] = d->certs[i];
    c->state[i] = SWIM_CERT_UNDECODED;
  }
}

/* The carried certificate that names id, checked or not, or -1.  They are
 * decoded (no signature) as the search reaches them: a datagram from a
 * member we know needs none decoded, a stranger's usually one. */
static int carried_index(struct swim_carried *c, const uint8_t *id) {
  for (size_t i = 0; i < c->n; i++) {
    if (c->state[i] == SWIM_CERT_UNDECODED)
      c->state[i] =
          mb_cert_decode(c->raw[i].p, c->raw[i].len, &c->cert[i]) == MB_OK
              ? SWIM_CERT_UNCHECKED
              : SWIM_CERT_REFUSED;
    if (c->state[i] != SWIM_CERT_REFUSED &&
        memcmp(c->cert[i].node_id, id, MB_NODE_ID_LEN) == 0)
      return (int)i;
  }
  return -1;
}

const struct mb_cert *swim_carried_admit(struct swim *s, struct swim_carried *c,
                                         const uint8_t *id, size_t *idx) {
  int i = carried_index(c, id);
  if (i < 0)
    return NULL;
  if (c->state[i] == SWIM_CERT_UNCHECKED)
    c->state[i] =
        swim_admit_cert(s, c->raw[i].p, c->raw[i].len, &c->cert[i]) == MB_OK
            ? SWIM_CERT_ADMITTED
            : SWIM_CERT_REFUSED;
  if (c->state[i] != SWIM_CERT_ADMITTED)
    return NULL;
  *idx = (size_t)i;
  return &c->cert[i];
}

bool swim_holds_cert(struct swim *s, const uint8_t *id) {
  struct member *m = swim_member_by_id(s, id);
  return m != NULL && m->cert.p != NULL &&
         swim_wall(s) / 1000 - s->cfg.cert_skew_s <= m->cert_expires;
}

bool swim_admitted(struct swim *s, const uint8_t *id, struct swim_carried *c) {
  size_t i;
  if (swim_id_revoked(s, id))
    return false; /* whatever certificate it holds (channel/revocation.c) */
  return !s->cfg.require_cert || swim_holds_cert(s, id) ||
         swim_carried_admit(s, c, id, &i) != NULL;
}

bool swim_carries_cert_for(struct swim_carried *c, const uint8_t *id) {
  return carried_index(c, id) >= 0;
}

static uint64_t addr_key(const struct mb_addr *a) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a over family, ip, port */
  const uint8_t *p = (const uint8_t *)a;
  for (size_t i = 0; i < sizeof(*a); i++)
    h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

static struct source_failures *
failures_of(struct swim *s, const struct mb_addr *from, bool take) {
  uint64_t key = addr_key(from);
  struct source_failures *oldest = &s->failures[0];
  for (size_t i = 0; i < SWIM_FAILURE_SOURCES; i++) {
    struct source_failures *f = &s->failures[i];
    if (f->count > 0 && f->key == key)
      return f;
    if (f->since < oldest->since)
      oldest = f;
  }
  if (!take)
    return NULL;
  memset(oldest, 0, sizeof(*oldest));
  oldest->key = key;
  oldest->since = s->now;
  return oldest;
}

/* May we spend a certificate check on a stranger from this address?  One
 * already in the shared cache costs nothing and is always allowed. */
bool swim_stranger_check_allowed(struct swim *s, const struct mb_addr *from,
                                 struct swim_carried *c, const uint8_t *kid) {
  int i = carried_index(c, kid);
  if (i >= 0 && s->vc != NULL &&
      mb_vcache_lookup(s->vc, NULL, 0, c->raw[i].p, c->raw[i].len))
    return true;
  struct source_failures *f = failures_of(s, from, false);
  if (f != NULL && s->now - f->since >= FAIL_WINDOW_MS)
    f->count = 0; /* its window is over */
  if (f != NULL && f->count >= FAIL_LIMIT)
    return false;
  if (!swim_budget_take(s, &s->stranger_checks, STRANGER_CHECKS_PER_S))
    return false;
  s->stats.stranger_checks++;
  return true;
}

void swim_stranger_check_failed(struct swim *s, const struct mb_addr *from) {
  struct source_failures *f = failures_of(s, from, true);
  if (f->count == 0)
    f->since = s->now;
  f->count++;
}

/*
 * A certificate binds a node id to a name and a failure domain, and the
 * record a node signs about itself carries both again: every member shows
 * the record's, and placement spreads copies across its domains.  So a
 * record that names its author or domain otherwise than its certificate
 * is refused, whoever built it (a node certified as s1 in r1 ran as notS1
 * in r9 and was shown so everywhere).  cert is the author's certificate,
 * admitted already; none (an open mesh) binds nothing.
 */
bool swim_identity_ok(const struct mb_heartbeat *hb, const struct bytes *cert) {
  struct mb_cert c;
  if (cert == NULL || cert->p == NULL)
    return true;
  if (mb_cert_decode(cert->p, cert->len, &c) != MB_OK)
    return false;
  return strcmp(c.name, hb->name) == 0 && strcmp(c.domain, hb->domain) == 0;
}
