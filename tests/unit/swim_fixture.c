/* See swim_fixture.h. */
#include "swim_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mb_addr fx_addr(int i) {
  struct mb_addr a = {.family = 4, .port = (uint16_t)(7000 + i)};
  a.ip[0] = 127;
  a.ip[3] = 1;
  return a;
}

static int node_of(const struct fixture *fx, const struct mb_addr *a) {
  for (int i = 0; i < fx->n; i++) {
    struct mb_addr b = fx_addr(i);
    if (a->port == b.port && memcmp(a->ip, b.ip, 4) == 0)
      return i;
  }
  return -1;
}

/* Node i's certificate, naming it as fx_start_node runs it: n<i> in the
 * given failure domain (a record naming anything else is refused). */
static void issue_cert(struct fixture *fx, int i, const char *domain) {
  struct mb_cert c = {.issued_at = 1700000000, .expires_at = 4000000000};
  memcpy(c.node_id, fx->id[i].pk, MB_NODE_ID_LEN);
  snprintf(c.name, sizeof(c.name), "n%d", i);
  snprintf(c.domain, sizeof(c.domain), "%s", domain);
  if (fx->bridge_role[i])
    snprintf(c.roles[c.n_roles++], sizeof(c.roles[0]), "%s", SWIM_BRIDGE_ROLE);
  if (fx->coordinator_role[i])
    snprintf(c.roles[c.n_roles++], sizeof(c.roles[0]), "%s",
             SWIM_COORDINATOR_ROLE);
  if (mb_cert_issue(&fx->authority, &c, fx->cert[i], MB_CERT_MAX_LEN,
                    &fx->cert_len[i]) != MB_OK)
    abort();
}

void fx_init(struct fixture *fx, int n) {
  memset(fx, 0, sizeof(*fx));
  fx->n = n;
  fx->latency_ms = 1;
  uint8_t seed[MB_SEED_LEN];
  memset(seed, 0xee, sizeof(seed));
  mb_identity_from_seed(&fx->authority, seed);
  /* Every identity gets a certificate, also those of nodes never started:
   * tests use them as admitted outsiders. */
  for (int i = 0; i < FX_MAX_NODES; i++) {
    memset(seed, i + 1, sizeof(seed));
    mb_identity_from_seed(&fx->id[i], seed);
    issue_cert(fx, i, "");
  }
  fx->vc = mb_vcache_new(4096);
  swim_config_default(&fx->cfg);
  fx->cfg.cluster = FX_CLUSTER;
  fx->cfg.require_cert = true;
  memcpy(fx->cfg.authority, fx->authority.pk, MB_NODE_ID_LEN);
}

static void log_event(struct fixture *fx, int i, const struct swim_event *ev) {
  if (fx->n_events == fx->cap_events) {
    fx->cap_events = fx->cap_events ? 2 * fx->cap_events : 256;
    fx->events = realloc(fx->events, fx->cap_events * sizeof(*fx->events));
  }
  fx->events[fx->n_events++] = (struct fx_event){.observer = i, .ev = *ev};
}

static void log_record(struct fixture *fx, int i, const struct swim_output *o) {
  if (fx->n_records == fx->cap_records) {
    fx->cap_records = fx->cap_records ? 2 * fx->cap_records : 16;
    fx->records = realloc(fx->records, fx->cap_records * sizeof(*fx->records));
  }
  struct fx_record *r = &fx->records[fx->n_records++];
  r->at = i;
  r->info = o->rec;
  r->len = o->len < sizeof(r->buf) ? o->len : sizeof(r->buf);
  memcpy(r->buf, o->buf, r->len);
}

static void log_app(struct fixture *fx, int i, const struct swim_output *o) {
  if (fx->n_apps == fx->cap_apps) {
    fx->cap_apps = fx->cap_apps ? 2 * fx->cap_apps : 16;
    fx->apps = realloc(fx->apps, fx->cap_apps * sizeof(*fx->apps));
  }
  struct fx_app *a = &fx->apps[fx->n_apps++];
  a->to = i;
  a->from = -1;
  for (int j = 0; j < FX_MAX_NODES; j++)
    if (memcmp(o->app_from, fx->id[j].pk, MB_NODE_ID_LEN) == 0)
      a->from = j;
  a->channel = o->app_channel;
  a->len = o->len < sizeof(a->buf) ? o->len : sizeof(a->buf);
  memcpy(a->buf, o->buf, a->len);
}

static void count_heartbeats(struct fixture *fx, int from,
                             const struct mb_datagram *d) {
  for (size_t r = 0; r < d->n_records; r++) {
    struct mb_record rec;
    if (mb_wire_record_parse(d->records[r].p, d->records[r].len, &rec) != MB_OK)
      continue;
    if (mb_record_kind_is_channel(rec.kind))
      fx->channel_records_by_kind[d->msg.kind & 15]++;
    if (rec.kind != MB_REC_HEARTBEAT)
      continue;
    for (int j = 0; j < fx->n; j++)
      if (j != from &&
          memcmp(rec.envelope.kid, fx->id[j].pk, MB_NODE_ID_LEN) == 0)
        fx->heartbeats_about[j]++;
  }
}

static void count_news(struct fixture *fx, const struct mb_datagram *d) {
  if (d->msg.kind != MB_MSG_GOSSIP)
    return;
  for (size_t e = 0; e + MB_SUMMARY_ENTRY_LEN <= d->msg.summary_len;
       e += MB_SUMMARY_ENTRY_LEN)
    for (int j = 0; j < fx->n; j++)
      if (memcmp(d->msg.summary + e, fx->id[j].pk, MB_NODE_REF_LEN) == 0)
        fx->news_about[j]++;
}

/* Views exchanged carry every member's certificate; this counts the
 * sender's own on probes and gossip, where it is an introduction. */
static void count_own_cert(struct fixture *fx, int from, int to,
                           const struct mb_datagram *d) {
  enum mb_msg_kind k = d->msg.kind;
  if (k != MB_MSG_PING && k != MB_MSG_ACK && k != MB_MSG_PING_REQ &&
      k != MB_MSG_NACK && k != MB_MSG_GOSSIP)
    return;
  for (size_t c = 0; to >= 0 && c < d->n_certs; c++)
    if (d->certs[c].len == fx->cert_len[from] &&
        memcmp(d->certs[c].p, fx->cert[from], fx->cert_len[from]) == 0)
      fx->certs_sent[from][to]++;
}

static void send_packet(struct fixture *fx, int from,
                        const struct swim_output *o) {
  int to = node_of(fx, &o->to);
  fx->sent++;
  struct mb_datagram d;
  if (mb_wire_datagram_parse(o->buf, o->len, &d) == MB_OK) {
    fx->bytes_by_kind[d.msg.kind & 15] += o->len;
    fx->records_by_kind[d.msg.kind & 15] += d.n_records;
    count_heartbeats(fx, from, &d);
    count_news(fx, &d);
    count_own_cert(fx, from, to, &d);
  }
  if (o->len > fx->max_sent_len)
    fx->max_sent_len = o->len;
  if (to < 0 || fx->cut[from][to] || o->len > sizeof(fx->inflight->buf))
    return;
  if (fx->n_inflight == fx->cap_inflight) {
    fx->cap_inflight = fx->cap_inflight ? 2 * fx->cap_inflight : 256;
    fx->inflight =
        realloc(fx->inflight, fx->cap_inflight * sizeof(*fx->inflight));
  }
  struct fx_packet *p = &fx->inflight[fx->n_inflight++];
  p->at = fx->now + fx->latency_ms;
  p->from = from;
  p->to = to;
  p->len = o->len;
  memcpy(p->buf, o->buf, o->len);
}

/* Every input of every test also checks that the core's running view
 * digest matches its member table (a change site that forgot to update it
 * would make views never compare equal). */
void fx_drain(struct fixture *fx, int i) {
  struct swim_output o;
  while (swim_poll(fx->node[i], &o))
    if (o.kind == SWIM_OUT_SEND) {
      send_packet(fx, i, &o);
    } else if (o.kind == SWIM_OUT_RECORD) {
      fx->records_out[i]++;
      fx->revoked_out[i] |= o.rec.about_self;
      if (fx->log_records)
        log_record(fx, i, &o);
    } else if (o.kind == SWIM_OUT_APP) {
      log_app(fx, i, &o);
    } else {
      log_event(fx, i, &o.ev);
    }
  if (!swim_view_check(fx->node[i])) {
    fprintf(stderr, "node %d: view digest out of step at %llu ms\n", i,
            (unsigned long long)fx->now);
    abort();
  }
}

void fx_start_node(struct fixture *fx, int i, uint64_t incarnation) {
  char name[16], domain[16] = "";
  snprintf(name, sizeof(name), "n%d", i);
  if (fx->domains > 0)
    snprintf(domain, sizeof(domain), "rack%d", i % fx->domains);
  issue_cert(fx, i, domain);
  struct swim_self self = {.id = &fx->id[i],
                           .cert = fx->cert[i],
                           .cert_len = fx->cert_len[i],
                           .name = name,
                           .domain = domain,
                           .addr = fx_addr(i),
                           .incarnation = incarnation,
                           .first_seq = fx->now * 1000 + 1};
  struct swim_config cfg = fx->cfg;
  cfg.seed = fx->cfg.seed * 1000 + (uint64_t)i;
  swim_free(fx->node[i]);
  fx->node[i] =
      swim_new(&cfg, &self, fx->vc, fx->now, 1790000000000 + (int64_t)fx->now);
  fx->down[i] = false;
}

void fx_start_all(struct fixture *fx) {
  struct mb_addr seed = fx_addr(0);
  for (int i = 0; i < fx->n; i++) {
    fx_start_node(fx, i, 1);
    if (i > 0)
      swim_join(fx->node[i], fx->now, &seed, 1);
    fx_drain(fx, i);
  }
}

void fx_inject(struct fixture *fx, int i, int from, const uint8_t *buf,
               size_t len) {
  struct mb_addr a = fx_addr(from);
  swim_receive(fx->node[i], fx->now, &a, buf, len);
  fx_drain(fx, i);
}

/* Next packet due at or before t, in (time, arrival) order. */
static long next_packet(struct fixture *fx, uint64_t t) {
  long best = -1;
  for (size_t k = 0; k < fx->n_inflight; k++)
    if (fx->inflight[k].at <= t &&
        (best < 0 || fx->inflight[k].at < fx->inflight[best].at))
      best = (long)k;
  return best;
}

static uint64_t next_timer(struct fixture *fx) {
  uint64_t t = UINT64_MAX;
  for (int i = 0; i < fx->n; i++)
    if (fx->node[i] && !fx->down[i]) {
      uint64_t d = swim_next_deadline(fx->node[i]);
      if (d < t)
        t = d;
    }
  return t;
}

static void deliver(struct fixture *fx, long k) {
  struct fx_packet p = fx->inflight[k];
  memmove(&fx->inflight[k], &fx->inflight[k + 1],
          (fx->n_inflight - (size_t)k - 1) * sizeof(p));
  fx->n_inflight--;
  if (fx->now < p.at)
    fx->now = p.at;
  if (fx->down[p.to] || fx->node[p.to] == NULL)
    return;
  fx->delivered++;
  fx_inject(fx, p.to, p.from, p.buf, p.len);
}

void fx_run_until(struct fixture *fx, uint64_t t) {
  for (;;) {
    uint64_t timer = next_timer(fx);
    long k = next_packet(fx, timer < t ? timer : t);
    if (k >= 0) {
      deliver(fx, k);
      continue;
    }
    if (timer > t)
      break;
    fx->now = timer;
    for (int i = 0; i < fx->n; i++)
      if (fx->node[i] && !fx->down[i] &&
          swim_next_deadline(fx->node[i]) <= fx->now) {
        swim_tick(fx->node[i], fx->now);
        fx_drain(fx, i);
      }
  }
  fx->now = t;
}

int fx_state(struct fixture *fx, int i, int j) {
  long k = swim_member_find(fx->node[i], fx->id[j].pk);
  struct swim_member_info info;
  if (k < 0 || swim_member_get(fx->node[i], (size_t)k, &info) != MB_OK)
    return -1;
  return (int)info.state;
}

bool fx_converged(struct fixture *fx) {
  for (int i = 0; i < fx->n; i++)
    for (int j = 0; j < fx->n; j++)
      if (!fx->down[i] && !fx->down[j] && fx_state(fx, i, j) != SWIM_ALIVE)
        return false;
  return true;
}

size_t fx_count_events(struct fixture *fx, int subject, enum swim_state to) {
  size_t c = 0;
  for (size_t k = 0; k < fx->n_events; k++)
    if (fx->events[k].ev.to == to &&
        memcmp(fx->events[k].ev.id, fx->id[subject].pk, MB_NODE_ID_LEN) == 0)
      c++;
  return c;
}

void fx_free(struct fixture *fx) {
  for (int i = 0; i < fx->n; i++)
    swim_free(fx->node[i]);
  mb_vcache_free(fx->vc);
  free(fx->inflight);
  free(fx->events);
  free(fx->apps);
  free(fx->records);
}

void fx_bind(struct fixture *fx, struct mb_dgram_builder *b, int to) {
  mb_dgram_bind(b, fx->id[to].pk, swim_self_epoch(fx->node[to]));
}

static size_t claim_in(struct fixture *fx, int to, const struct mb_msg *msg,
                       int author, int subject, enum mb_record_kind kind,
                       uint64_t inc, uint64_t seq, uint8_t *out, size_t cap) {
  struct mb_claim c = {.incarnation = inc, .time_ms = 1790000000000};
  memcpy(c.subject, fx->id[subject].pk, MB_NODE_ID_LEN);
  uint8_t rec[256];
  size_t rec_len, len = 0;
  const uint8_t *aad = (const uint8_t *)FX_CLUSTER;
  struct mb_dgram_builder b;
  if (mb_wire_claim_sign(&fx->id[author], aad, strlen(FX_CLUSTER), kind, &c,
                         rec, sizeof(rec), &rec_len) != MB_OK ||
      mb_dgram_init(&b, &fx->id[FX_OUTSIDER], aad, strlen(FX_CLUSTER), 1400,
                    seq, msg) != MB_OK ||
      (fx_bind(fx, &b, to), false) ||
      mb_dgram_add_cert(&b, fx->cert[FX_OUTSIDER], fx->cert_len[FX_OUTSIDER]) !=
          MB_OK ||
      mb_dgram_add_record(&b, rec, rec_len) != MB_OK ||
      mb_dgram_finish(&b, out, cap, &len) != MB_OK)
    abort();
  return len;
}

size_t fx_claim_datagram(struct fixture *fx, int to, int author, int subject,
                         enum mb_record_kind kind, uint64_t inc, uint64_t seq,
                         uint8_t *out, size_t cap) {
  struct mb_msg msg = {.kind = MB_MSG_GOSSIP};
  return claim_in(fx, to, &msg, author, subject, kind, inc, seq, out, cap);
}

size_t fx_merged_claim_datagram(struct fixture *fx, int to, int author,
                                int subject, enum mb_record_kind kind,
                                uint64_t inc, uint64_t seq, uint8_t *out,
                                size_t cap) {
  struct mb_msg msg = {.kind = MB_MSG_PUSH_PULL_REPLY, .part = 0, .parts = 1};
  return claim_in(fx, to, &msg, author, subject, kind, inc, seq, out, cap);
}

size_t fx_revocation(struct fixture *fx, const struct mb_identity *signer,
                     int subject, uint64_t version, int64_t until_s,
                     uint8_t *out, size_t cap) {
  struct mb_channel_record c = {.subject_len = MB_NODE_ID_LEN,
                                .version = version,
                                .issued_ms = 1790000000000,
                                .until_s = until_s};
  memcpy(c.subject, fx->id[subject].pk, MB_NODE_ID_LEN);
  size_t len;
  if (mb_wire_channel_sign(signer, (const uint8_t *)FX_CLUSTER,
                           strlen(FX_CLUSTER), MB_REC_REVOCATION, &c, out, cap,
                           &len) != MB_OK)
    abort();
  return len;
}

size_t fx_raid_task(const struct mb_identity *signer, uint64_t id,
                    uint64_t version, int64_t until_s, uint8_t *out,
                    size_t cap) {
  struct mb_wire_raid_task t = {.term = 1,
                                .index = version,
                                .id = id,
                                .slot = 1,
                                .kind = 1,
                                .bytes = 1 << 20,
                                .n_sources = 1};
  snprintf(t.array, sizeof(t.array), "array-%llu", (unsigned long long)id);
  memset(t.target, 0x11, MB_NODE_REF_LEN);
  memset(t.sources[0], 0x22, MB_NODE_REF_LEN);
  uint8_t body[MB_CHANNEL_BODY_MAX], subject[MB_WIRE_RAID_TASK_SUBJECT_LEN];
  size_t body_len, len;
  mb_wire_raid_task_subject(id, subject);
  if (mb_wire_raid_task_body_encode(&t, body, sizeof(body), &body_len) !=
          MB_OK ||
      mb_wire_channel_record_sign(signer, FX_CLUSTER, MB_REC_RAID_TASK, subject,
                                  sizeof(subject), version,
                                  1790000000000 + (int64_t)version, until_s,
                                  body, body_len, out, cap, &len) != MB_OK)
    abort();
  return len;
}

void fx_start_converged(struct fixture *fx, int n) {
  fx_init(fx, n);
  fx_start_all(fx);
  fx_run_until(fx, 4000);
  if (!fx_converged(fx)) {
    fprintf(stderr, "%d nodes did not converge in 4 s\n", n);
    abort();
  }
}

uint64_t fx_incarnation(struct fixture *fx, int observer, int subject) {
  struct swim_member_info info;
  long k = swim_member_find(fx->node[observer], fx->id[subject].pk);
  if (k < 0 || swim_member_get(fx->node[observer], (size_t)k, &info) != 0) {
    fprintf(stderr, "node %d holds no record of node %d\n", observer, subject);
    abort();
  }
  return info.incarnation;
}
