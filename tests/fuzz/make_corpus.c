/*
 * Writes the seed corpus of the fuzz targets: valid inputs made with the
 * real API and the fixed keys of fuzz_common.h, plus a few hand-broken ones.
 * Ed25519 signatures are deterministic, so the output is the same on every
 * run and ctest can compare it with the committed corpus (fuzz_corpus_current).
 *
 * Every input is opened again through the API before it is written and the
 * result compared with what it should be: a "valid" seed that the decoders
 * reject would only ever exercise their first few bytes.
 *
 * Usage: make_fuzz_corpus OUTDIR    writes OUTDIR/<target>/<name>
 */
#include "corpus_consensus.h"
#include "corpus_coord_lease.h"
#include "corpus_raid.h"
#include "corpus_store.h"
#include "corpus_wire_raid.h"
#include "fuzz_common.h"
#include "mb_bridge.h"
#include "mb_wire.h"

#include <errno.h>
#include <sys/stat.h>

enum target {
  T_DATAGRAM = 1,
  T_COSE = 2,
  T_CERT = 4,
  T_RECORD = 8,
  T_CBOR = 16,
};
static const char *const target_dirs[] = {"datagram", "cose", "cert", "record",
                                          "cbor"};
#define N_TARGETS (sizeof(target_dirs) / sizeof(target_dirs[0]))

struct blob {
  uint8_t buf[2048];
  size_t len;
};

struct gen {
  const char *outdir;
  int errors;
  struct mb_identity a, b, c, authority, other_authority;
  uint64_t seq; /* datagram sequence numbers, as a sender would number them */
};

/* ---- output ------------------------------------------------------------- */

static void fail(struct gen *g, const char *name, const char *what, int rc) {
  fprintf(stderr, "make_corpus: %s: %s (%s)\n", name, what, mb_errname(rc));
  g->errors++;
}

static int ensure_dir(const char *path) {
  return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -errno;
}

static void write_one(struct gen *g, const char *dir, const char *name,
                      const uint8_t *p, size_t len) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s", g->outdir, dir);
  if (ensure_dir(path) != 0) {
    fail(g, path, "cannot create directory", -errno);
    return;
  }
  snprintf(path, sizeof(path), "%s/%s/%s", g->outdir, dir, name);
  FILE *f = fopen(path, "wb");
  if (f == NULL || fwrite(p, 1, len, f) != len)
    fail(g, path, "cannot write", -errno);
  if (f != NULL && fclose(f) != 0)
    fail(g, path, "cannot close", -errno);
}

static void put(struct gen *g, unsigned targets, const char *name,
                const uint8_t *p, size_t len) {
  for (size_t i = 0; i < N_TARGETS; i++)
    if (targets & (1u << i))
      write_one(g, target_dirs[i], name, p, len);
}

/* corpus_store.c and corpus_raid.c write through this. */
static void put_store_seed(void *ctx, const char *dir, const char *name,
                           const uint8_t *p, size_t len) {
  write_one(ctx, dir, name, p, len);
}

static void expect(struct gen *g, const char *name, int rc, int want) {
  if (rc != want) {
    fprintf(stderr, "make_corpus: %s: got %s, want %s\n", name, mb_errname(rc),
            mb_errname(want));
    g->errors++;
  }
}

/* ---- records ------------------------------------------------------------ */

enum hb_shape { HB_FULL, HB_MINIMAL, HB_LEAVING, HB_TASKS };

static struct mb_heartbeat heartbeat(const char *name, enum hb_shape shape) {
  static const uint8_t v4[4] = {10, 0, 0, 1};
  static const uint8_t v6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0,
                                 0,    0, 0, 0, 0, 0, 0, 1};
  struct mb_heartbeat hb;
  memset(&hb, 0, sizeof(hb));
  snprintf(hb.name, sizeof(hb.name), "%s", name);
  hb.addr.family = 4;
  memcpy(hb.addr.ip, v4, sizeof(v4));
  hb.addr.port = 7946;
  hb.incarnation = 3;
  hb.seq = 1042;
  hb.time_ms = FUZZ_NOW_S * 1000 + 250;
  hb.capacity = UINT64_C(4000000000000);
  hb.available = UINT64_C(1500000000000);
  if (shape == HB_FULL) {
    hb.addr.family = 6;
    memcpy(hb.addr.ip, v6, sizeof(v6));
    snprintf(hb.domain, sizeof(hb.domain), "dc1/room2/rack7");
    hb.health = (struct mb_health){.have = 15u,
                                   .cpu_permille = 420,
                                   .mem_permille = 615,
                                   .load_x100 = 137,
                                   .temp_mc = -5000};
  }
  if (shape == HB_LEAVING)
    hb.status = MB_HB_LEFT;
  if (shape == HB_TASKS) { /* as many as fit, the largest values too */
    hb.n_tasks = MB_HB_TASKS_MAX;
    for (size_t i = 0; i < MB_HB_TASKS_MAX; i++)
      hb.tasks[i] = (struct mb_task_progress){
          .id = i == 0 ? UINT64_MAX : 1000 + i,
          .done = i == 1 ? UINT64_MAX : (uint64_t)i << 28};
  }
  return hb;
}

static void sign_heartbeat(struct gen *g, const struct mb_identity *signer,
                           const char *name, enum hb_shape shape,
                           struct blob *out) {
  struct mb_heartbeat hb = heartbeat(name, shape);
  int rc = mb_wire_heartbeat_sign(signer, fuzz_aad(), FUZZ_AAD_LEN, &hb,
                                  out->buf, sizeof(out->buf), &out->len);
  if (rc != MB_OK)
    fail(g, name, "heartbeat_sign", rc);
}

static void sign_claim(struct gen *g, const struct mb_identity *author,
                       enum mb_record_kind kind, const uint8_t *subject,
                       struct blob *out) {
  struct mb_claim c = {.incarnation = 3, .time_ms = FUZZ_NOW_S * 1000};
  memcpy(c.subject, subject, MB_NODE_ID_LEN);
  int rc = mb_wire_claim_sign(author, fuzz_aad(), FUZZ_AAD_LEN, kind, &c,
                              out->buf, sizeof(out->buf), &out->len);
  if (rc != MB_OK)
    fail(g, "claim", "claim_sign", rc);
}

/* Signs a hand-written payload: record shapes the API cannot produce (a kind
 * reserved for later, a field from a newer version) that must still parse. */
static void sign_payload(struct gen *g, const struct mb_identity *signer,
                         const struct mb_cbor_writer *payload,
                         struct blob *out) {
  struct mb_cbor_writer w;
  mb_cw_init(&w, out->buf, sizeof(out->buf));
  int rc = mb_cw_status(payload);
  if (rc == MB_OK)
    rc = mb_cose_sign1_write(&w, signer, fuzz_aad(), FUZZ_AAD_LEN, payload->buf,
                             payload->len);
  if (rc != MB_OK)
    fail(g, "payload", "cose_sign1_write", rc);
  out->len = w.len;
}

/* A record of a channel kind this version does not know. */
static void unknown_record(struct gen *g, struct blob *out) {
  uint8_t p[64];
  struct mb_cbor_writer w;
  mb_cw_init(&w, p, sizeof(p));
  mb_cw_map(&w, 2);
  mb_cw_uint(&w, 0), mb_cw_uint(&w, MB_REC_CHANNEL_LAST); /* unknown */
  mb_cw_uint(&w, 1), mb_cw_textz(&w, "array-0");
  sign_payload(g, &g->b, &w, out);
}

static void heartbeat_from_future(struct gen *g, struct blob *out) {
  uint8_t p[128];
  struct mb_cbor_writer w;
  mb_cw_init(&w, p, sizeof(p));
  mb_cw_map(&w, 9);
  mb_cw_uint(&w, 0), mb_cw_uint(&w, MB_REC_HEARTBEAT);
  mb_cw_uint(&w, 1), mb_cw_textz(&w, "node-c");
  mb_cw_uint(&w, 2), mb_cw_array(&w, 2);
  mb_cw_bytes(&w, "\x0a\x00\x00\x03", 4), mb_cw_uint(&w, 7946);
  for (uint64_t key = 3; key <= 7; key++)
    mb_cw_uint(&w, key), mb_cw_uint(&w, key * 1000);
  mb_cw_uint(&w, 23), mb_cw_array(&w, 1), mb_cw_textz(&w, "new-field");
  sign_payload(g, &g->c, &w, out);
}

static void check_record(struct gen *g, const char *name, const struct blob *b,
                         int want) {
  struct mb_record rec;
  expect(
      g, name,
      mb_wire_record_open(NULL, b->buf, b->len, fuzz_aad(), FUZZ_AAD_LEN, &rec),
      want);
}

/* ---- certificates ------------------------------------------------------- */

#define T_2025_01_01 INT64_C(1735689600)
#define T_2025_06_01 INT64_C(1748736000)
#define T_2026_06_01 INT64_C(1780272000)
#define T_2027_01_01 INT64_C(1798761600)

static struct mb_cert cert_for(const struct mb_identity *node,
                               const char *name) {
  struct mb_cert c;
  memset(&c, 0, sizeof(c));
  memcpy(c.node_id, node->pk, MB_NODE_ID_LEN);
  snprintf(c.name, sizeof(c.name), "%s", name);
  c.issued_at = T_2025_01_01;
  c.expires_at = T_2027_01_01;
  return c;
}

static void issue(struct gen *g, const struct mb_identity *authority,
                  const struct mb_cert *c, struct blob *out) {
  int rc = mb_cert_issue(authority, c, out->buf, sizeof(out->buf), &out->len);
  if (rc != MB_OK)
    fail(g, c->name, "cert_issue", rc);
}

static void check_cert(struct gen *g, const char *name, const struct blob *b,
                       int want) {
  struct mb_cert c;
  expect(g, name,
         mb_cert_verify(b->buf, b->len, g->authority.pk, FUZZ_NOW_S,
                        FUZZ_SKEW_S, &c),
         want);
}

/* One certificate: issue, check the verdict, write it. */
static void cert_seed(struct gen *g, const char *file,
                      const struct mb_identity *authority,
                      const struct mb_cert *c, int want, struct blob *out) {
  issue(g, authority, c, out);
  check_cert(g, file, out, want);
  put(g, T_CERT | T_COSE, file, out->buf, out->len);
}

static void cert_seeds(struct gen *g, struct blob *cert_a) {
  struct blob b;
  struct mb_cert c = cert_for(&g->a, "node-a");
  snprintf(c.domain, sizeof(c.domain), "dc1/room2/rack7");
  c.not_before = T_2025_01_01;
  c.n_roles = 2;
  snprintf(c.roles[0], sizeof(c.roles[0]), "storage");
  snprintf(c.roles[1], sizeof(c.roles[1]), "gateway");
  cert_seed(g, "cert-full", &g->authority, &c, MB_OK, cert_a);
  put(g, T_CBOR, "cert-full", cert_a->buf, cert_a->len);

  c = cert_for(&g->b, "node-b");
  cert_seed(g, "cert-minimal", &g->authority, &c, MB_OK, &b);
  cert_seed(g, "cert-other-authority", &g->other_authority, &c, MB_EAUTHORITY,
            &b);
  c.expires_at = T_2025_06_01;
  cert_seed(g, "cert-expired", &g->authority, &c, MB_EEXPIRED, &b);
  c = cert_for(&g->c, "node-c");
  c.issued_at = T_2026_06_01;
  cert_seed(g, "cert-not-yet", &g->authority, &c, MB_ENOTYET, &b);
  c.issued_at = T_2025_01_01;
  c.expires_at = INT64_MAX; /* an authority may issue "never expires" */
  cert_seed(g, "cert-never-expires", &g->authority, &c, MB_OK, &b);
}

/* ---- datagrams ---------------------------------------------------------- */

struct piggyback {
  const struct blob *records[MB_WIRE_MAX_RECORDS];
  size_t n_records;
  const struct blob *certs[MB_WIRE_MAX_CERTS];
  size_t n_certs;
};

static struct mb_msg message(enum mb_msg_kind kind, const struct gen *g) {
  struct mb_msg m;
  memset(&m, 0, sizeof(m));
  m.kind = kind;
  m.probe_id = 77;
  memcpy(m.target, g->b.pk, MB_NODE_REF_LEN);
  m.target_addr.family = 4;
  memcpy(m.target_addr.ip, "\x0a\x00\x00\x02", 4);
  m.target_addr.port = 7946;
  m.parts = 1;
  return m;
}

/* Builds a datagram from node A; records after the first refusal are left
 * out, as a sender filling a budget would. */
static void build(struct gen *g, const char *aad, const struct mb_msg *m,
                  const struct piggyback *pb, struct blob *out) {
  struct mb_dgram_builder b;
  int rc = mb_dgram_init(&b, &g->a, (const uint8_t *)aad, strlen(aad),
                         MB_WIRE_DEFAULT_BUDGET, ++g->seq, m);
  for (size_t i = 0; pb != NULL && rc == MB_OK && i < pb->n_certs; i++)
    rc = mb_dgram_add_cert(&b, pb->certs[i]->buf, pb->certs[i]->len);
  for (size_t i = 0; pb != NULL && rc == MB_OK && i < pb->n_records; i++)
    rc = mb_dgram_add_record(&b, pb->records[i]->buf, pb->records[i]->len);
  if (rc != MB_OK && rc != MB_ENOSPACE)
    fail(g, "datagram", "builder", rc);
  rc = mb_dgram_finish(&b, out->buf, sizeof(out->buf), &out->len);
  if (rc != MB_OK)
    fail(g, "datagram", "finish", rc);
}

/* A receiver's view: the datagram opens and so does all it carries. */
static void check_datagram(struct gen *g, const char *name,
                           const struct blob *b) {
  static struct mb_datagram d;
  int rc = mb_wire_datagram_open(b->buf, b->len, fuzz_aad(), FUZZ_AAD_LEN, &d);
  expect(g, name, rc, MB_OK);
  for (size_t i = 0; rc == MB_OK && i < d.n_records; i++) {
    struct mb_record rec;
    expect(g, name,
           mb_wire_record_open(NULL, d.records[i].p, d.records[i].len,
                               fuzz_aad(), FUZZ_AAD_LEN, &rec),
           MB_OK);
  }
  for (size_t i = 0; rc == MB_OK && i < d.n_certs; i++) {
    struct mb_cert c;
    expect(g, name,
           mb_cert_verify(d.certs[i].p, d.certs[i].len, g->authority.pk,
                          FUZZ_NOW_S, FUZZ_SKEW_S, &c),
           MB_OK);
  }
}

static void datagram_seed(struct gen *g, const char *file,
                          enum mb_msg_kind kind, const struct piggyback *pb,
                          struct blob *out) {
  struct mb_msg m = message(kind, g);
  if (kind == MB_MSG_PING_REQ)
    m.want_nack = true;
  build(g, FUZZ_AAD, &m, pb, out);
  check_datagram(g, file, out);
  put(g, T_DATAGRAM | T_COSE, file, out->buf, out->len);
}

/* The records every datagram seed draws from. */
struct records {
  struct blob hb_full, hb_min, hb_left, hb_future, suspect, dead, unknown;
  struct blob cert_a;
};

static void record_seeds(struct gen *g, struct records *r) {
  sign_heartbeat(g, &g->a, "node-a", HB_FULL, &r->hb_full);
  sign_heartbeat(g, &g->b, "node-b", HB_MINIMAL, &r->hb_min);
  sign_heartbeat(g, &g->a, "node-a", HB_LEAVING, &r->hb_left);
  heartbeat_from_future(g, &r->hb_future);
  sign_claim(g, &g->a, MB_REC_SUSPECT, g->c.pk, &r->suspect);
  sign_claim(g, &g->b, MB_REC_DEAD, g->c.pk, &r->dead);
  unknown_record(g, &r->unknown);
  const struct {
    const char *file;
    const struct blob *b;
  } all[] = {{"rec-heartbeat-full", &r->hb_full},
             {"rec-heartbeat-minimal", &r->hb_min},
             {"rec-heartbeat-left", &r->hb_left},
             {"rec-heartbeat-unknown-key", &r->hb_future},
             {"rec-suspect", &r->suspect},
             {"rec-dead", &r->dead},
             {"rec-unknown-kind", &r->unknown}};
  for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
    check_record(g, all[i].file, all[i].b, MB_OK);
    put(g, T_RECORD | T_COSE, all[i].file, all[i].b->buf, all[i].b->len);
  }
  put(g, T_CBOR, "rec-heartbeat-full", r->hb_full.buf, r->hb_full.len);
}

static void plain_datagram_seeds(struct gen *g, struct blob *ping) {
  struct blob b;
  datagram_seed(g, "dg-ping", MB_MSG_PING, NULL, ping);
  put(g, T_CBOR, "dg-ping", ping->buf, ping->len);
  datagram_seed(g, "dg-ack", MB_MSG_ACK, NULL, &b);
  datagram_seed(g, "dg-ping-req", MB_MSG_PING_REQ, NULL, &b);
  datagram_seed(g, "dg-nack", MB_MSG_NACK, NULL, &b);
  datagram_seed(g, "dg-leave", MB_MSG_LEAVE, NULL, &b);
  datagram_seed(g, "dg-gossip", MB_MSG_GOSSIP, NULL, &b);

  struct mb_msg m = message(MB_MSG_PING_REQ, g);
  m.target_addr.family = 6;
  memcpy(m.target_addr.ip, "\xfd\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x03", 16);
  build(g, FUZZ_AAD, &m, NULL, &b);
  check_datagram(g, "dg-ping-req-v6", &b);
  put(g, T_DATAGRAM | T_COSE, "dg-ping-req-v6", b.buf, b.len);

  m = message(MB_MSG_PING, g);
  build(g, FUZZ_OTHER_AAD, &m, NULL, &b);
  struct mb_datagram *d = malloc(sizeof(*d));
  expect(g, "dg-other-cluster",
         d == NULL
             ? -ENOMEM
             : mb_wire_datagram_open(b.buf, b.len, fuzz_aad(), FUZZ_AAD_LEN, d),
         MB_EBADSIG);
  free(d);
  put(g, T_DATAGRAM | T_COSE, "dg-other-cluster", b.buf, b.len);
}

/* Node A to node B, bound to B at FUZZ_EPOCH: signed, and MACed under
 * their pair key; both must open as B would open them. */
static void bound_datagram_seeds(struct gen *g, const struct records *r) {
  static const char *const names[] = {"dg-ping-bound", "dg-ping-mac"};
  uint8_t key[MB_PAIR_KEY_LEN];
  expect(g, "pair key", mb_pair_key(key, &g->a, g->b.pk), MB_OK);
  for (int mac = 0; mac < 2; mac++) {
    struct mb_msg m = message(MB_MSG_PING, g);
    struct mb_dgram_builder b;
    struct blob out;
    int rc = mb_dgram_init(&b, &g->a, fuzz_aad(), FUZZ_AAD_LEN,
                           MB_WIRE_DEFAULT_BUDGET, ++g->seq, &m);
    mb_dgram_bind(&b, g->b.pk, FUZZ_EPOCH);
    if (rc == MB_OK && mac)
      rc = mb_dgram_use_mac(&b, key);
    if (rc == MB_OK)
      rc = mb_dgram_add_record(&b, r->suspect.buf, r->suspect.len);
    if (rc == MB_OK)
      rc = mb_dgram_finish(&b, out.buf, sizeof(out.buf), &out.len);
    static struct mb_datagram d;
    struct mb_dgram_auth auth = {.aad = fuzz_aad(),
                                 .aad_len = FUZZ_AAD_LEN,
                                 .self_id = g->b.pk,
                                 .self_epoch = FUZZ_EPOCH,
                                 .key = key};
    if (rc == MB_OK)
      rc = mb_wire_datagram_parse(out.buf, out.len, &d);
    if (rc == MB_OK)
      rc = mb_wire_datagram_auth(&d, &auth);
    expect(g, names[mac], rc, MB_OK);
    if (rc == MB_OK)
      put(g, T_DATAGRAM | T_COSE, names[mac], out.buf, out.len);
  }
}

static void piggyback_datagram_seeds(struct gen *g, const struct records *r) {
  struct blob b;
  struct piggyback pb = {.records = {&r->hb_full}, .n_records = 1};
  datagram_seed(g, "dg-ping-heartbeat", MB_MSG_PING, &pb, &b);
  pb = (struct piggyback){.records = {&r->suspect, &r->dead}, .n_records = 2};
  datagram_seed(g, "dg-ping-claims", MB_MSG_PING, &pb, &b);
  pb = (struct piggyback){.records = {&r->hb_full, &r->hb_min, &r->hb_left},
                          .n_records = 3};
  datagram_seed(g, "dg-push-pull", MB_MSG_PUSH_PULL, &pb, &b);
  datagram_seed(g, "dg-push-pull-reply", MB_MSG_PUSH_PULL_REPLY, &pb, &b);
  pb = (struct piggyback){.records = {&r->hb_full},
                          .n_records = 1,
                          .certs = {&r->cert_a},
                          .n_certs = 1};
  datagram_seed(g, "dg-join-cert", MB_MSG_JOIN, &pb, &b);
  pb = (struct piggyback){.records = {&r->hb_left}, .n_records = 1};
  datagram_seed(g, "dg-leave-heartbeat", MB_MSG_LEAVE, &pb, &b);
  pb = (struct piggyback){.records = {&r->unknown, &r->hb_future},
                          .n_records = 2};
  datagram_seed(g, "dg-ping-unknown-records", MB_MSG_PING, &pb, &b);

  /* As full as the budget allows: the builder drops what does not fit. */
  pb = (struct piggyback){.n_records = MB_WIRE_MAX_RECORDS};
  const struct blob *cycle[] = {&r->suspect, &r->dead, &r->hb_full, &r->hb_min};
  for (size_t i = 0; i < MB_WIRE_MAX_RECORDS; i++)
    pb.records[i] = cycle[i % 4];
  datagram_seed(g, "dg-ping-full-budget", MB_MSG_PING, &pb, &b);
}

/* ---- the record channel ------------------------------------------------- */

static void channel_record(struct gen *g, const struct mb_identity *signer,
                           enum mb_record_kind kind,
                           const struct mb_channel_record *c,
                           struct blob *out) {
  int rc = mb_wire_channel_sign(signer, fuzz_aad(), FUZZ_AAD_LEN, kind, c,
                                out->buf, sizeof(out->buf), &out->len);
  if (rc != MB_OK)
    fail(g, mb_record_kind_name(kind), "sign", rc);
}

/* A revocation by the authority (with a reason), a member's cursor (with
 * an opaque body and a lapse time); datagrams carrying one, and the
 * channel's anti-entropy fields (digest, summary, empty summary, pull). */
static void channel_seeds(struct gen *g) {
  struct blob rev, cursor, b;
  uint8_t body[64];
  size_t body_len;
  struct mb_revocation why = {.reason = "key lost"};
  if (mb_wire_revocation_body(&why, body, sizeof(body), &body_len) != MB_OK)
    fail(g, "rec-revocation", "body", MB_EINVAL);
  struct mb_channel_record c = {.subject_len = MB_NODE_ID_LEN,
                                .version = 1751328000000,
                                .issued_ms = 1751328000000,
                                .body = body,
                                .body_len = body_len};
  memcpy(c.subject, g->c.pk, MB_NODE_ID_LEN);
  channel_record(g, &g->authority, MB_REC_REVOCATION, &c, &rev);
  c = (struct mb_channel_record){.subject_len = 9,
                                 .version = 42,
                                 .issued_ms = 1751328000000,
                                 .until_s = 1751414400,
                                 .body = (const uint8_t *)"\x01\x02\x03",
                                 .body_len = 3};
  memcpy(c.subject, "bridge-eu", 9);
  channel_record(g, &g->b, MB_REC_BRIDGE_CURSOR, &c, &cursor);
  check_record(g, "rec-revocation", &rev, MB_OK);
  check_record(g, "rec-bridge-cursor", &cursor, MB_OK);
  put(g, T_RECORD | T_COSE, "rec-revocation", rev.buf, rev.len);
  put(g, T_RECORD | T_COSE, "rec-bridge-cursor", cursor.buf, cursor.len);
  put(g, T_CBOR, "rec-revocation", rev.buf, rev.len);

  struct piggyback pb = {.records = {&rev, &cursor}, .n_records = 2};
  datagram_seed(g, "dg-gossip-channel", MB_MSG_GOSSIP, &pb, &b);

  uint8_t entries[2 * MB_RECORD_ENTRY_LEN], refs[MB_RECORD_REF_LEN];
  mb_wire_record_ref(MB_REC_REVOCATION, g->c.pk, MB_NODE_ID_LEN, entries);
  memset(entries + MB_RECORD_REF_LEN, 0x01, 8);
  mb_wire_record_ref(MB_REC_BRIDGE_CURSOR, (const uint8_t *)"bridge-eu", 9,
                     entries + MB_RECORD_ENTRY_LEN);
  memset(entries + MB_RECORD_ENTRY_LEN + MB_RECORD_REF_LEN, 0x02, 8);
  memcpy(refs, entries, MB_RECORD_REF_LEN);
  struct mb_msg m = message(MB_MSG_PUSH_PULL, g);
  m.has_digest = m.has_rdigest = true;
  memset(m.rdigest, 0x5a, sizeof(m.rdigest));
  m.rpull = refs;
  m.rpull_len = sizeof(refs);
  build(g, FUZZ_AAD, &m, NULL, &b);
  check_datagram(g, "dg-push-pull-records", &b);
  put(g, T_DATAGRAM | T_COSE, "dg-push-pull-records", b.buf, b.len);
  m = message(MB_MSG_PUSH_PULL_REPLY, g);
  m.has_range = m.has_rsummary = true;
  memset(m.range_hi, 0xff, sizeof(m.range_hi));
  m.rsummary = entries;
  m.rsummary_len = sizeof(entries);
  build(g, FUZZ_AAD, &m, NULL, &b);
  check_datagram(g, "dg-records-summary", &b);
  put(g, T_DATAGRAM | T_COSE, "dg-records-summary", b.buf, b.len);
  m.rsummary_len = 0; /* "I hold none" */
  build(g, FUZZ_AAD, &m, NULL, &b);
  check_datagram(g, "dg-records-summary-empty", &b);
  put(g, T_DATAGRAM | T_COSE, "dg-records-summary-empty", b.buf, b.len);
}

/* ---- the bridge's record bodies ---------------------------------------- */

/* A body seed for the cursor or instruction target, checked against its
 * decoder first. */
static void body_seed(struct gen *g, const char *dir, const char *name,
                      const uint8_t *p, size_t len, int want) {
  struct mb_bridge_cursor cur;
  struct mb_instruction in;
  int rc = strcmp(dir, "cursor") == 0 ? mb_wire_cursor_parse(p, len, &cur)
                                      : mb_wire_instruction_parse(p, len, &in);
  expect(g, name, rc, want);
  write_one(g, dir, name, p, len);
}

static void hex_body_seed(struct gen *g, const char *dir, const char *name,
                          const char *hex, int want) {
  uint8_t bin[MB_CHANNEL_BODY_MAX + 8];
  size_t len = strlen(hex) / 2;
  int rc = len <= sizeof(bin) ? mb_hex_decode(bin, len, hex) : MB_ETOOBIG;
  if (rc != MB_OK)
    fail(g, name, "bad hex", rc);
  else
    body_seed(g, dir, name, bin, len, want);
}

static struct mb_bridge_cursor full_cursor(size_t events, size_t episodes) {
  struct mb_bridge_cursor c;
  memset(&c, 0, sizeof(c));
  c.n_events = events;
  for (size_t i = 0; i < events; i++)
    memset(c.events[i], (int)(0x30 + i), MB_CURSOR_EVENT_ID_LEN);
  c.delivered = 98765;
  c.pending = 3;
  c.n_episodes = episodes;
  for (size_t i = 0; i < episodes; i++) {
    memset(c.episodes[i].member, (int)(0xc0 + i), MB_NODE_REF_LEN);
    c.episodes[i].incarnation = 1 + 1000 * i;
  }
  return c;
}

static void cursor_seeds(struct gen *g, struct blob *body) {
  static const size_t shapes[][2] = {{0, 0}, {16, 0}, {4, 3}, {16, 11}};
  static const char *const names[] = {"cursor-empty", "cursor-16-ids",
                                      "cursor-episodes", "cursor-largest"};
  for (size_t k = 0; k < 4; k++) {
    struct mb_bridge_cursor c = full_cursor(shapes[k][0], shapes[k][1]);
    int rc = mb_wire_cursor_body(&c, body->buf, sizeof(body->buf), &body->len);
    if (rc != MB_OK)
      fail(g, names[k], "cursor_body", rc);
    else
      body_seed(g, "cursor", names[k], body->buf, body->len, MB_OK);
  }
  hex_body_seed(g, "cursor", "cursor-unknown-key", "a40180020003000763666f6f",
                MB_OK);
  hex_body_seed(g, "cursor", "broken-cursor-short-id",
                "a301814f000000000000000000000000000000"
                "02000300",
                MB_ERANGE);
  hex_body_seed(g, "cursor", "broken-cursor-episode-3",
                "a4018002000300048183480000000000000000"
                "0101",
                MB_ERANGE);
  hex_body_seed(g, "cursor", "broken-cursor-17-ids", "a3019100", MB_ETOOBIG);
  hex_body_seed(g, "cursor", "broken-cursor-missing", "a201800200",
                MB_EMISSING);
}

static void instruction_seeds(struct gen *g, struct blob *body) {
  static const struct {
    const char *name;
    struct mb_instruction in;
  } seeds[] = {
      {"instruction-drain", {.op = MB_INSTR_DRAIN}},
      {"instruction-undrain-id", {.op = MB_INSTR_UNDRAIN, .id = "ins-1"}},
      {"instruction-other-op", {.name = "reboot", .id = "ins-2"}},
  };
  for (size_t k = 0; k < sizeof(seeds) / sizeof(seeds[0]); k++) {
    int rc = mb_wire_instruction_body(&seeds[k].in, body->buf,
                                      sizeof(body->buf), &body->len);
    if (rc != MB_OK)
      fail(g, seeds[k].name, "instruction_body", rc);
    else
      body_seed(g, "instruction", seeds[k].name, body->buf, body->len, MB_OK);
  }
  hex_body_seed(g, "instruction", "broken-instruction-op-bytes", "a1014178",
                MB_ETYPE);
  hex_body_seed(g, "instruction", "broken-instruction-no-op", "a1026178",
                MB_EMISSING);
  hex_body_seed(g, "instruction", "broken-instruction-nul", "a101626100",
                MB_ERANGE);
}

/* The bodies alone, for their own targets, and whole records: a cursor
 * by node B about itself, a drain of node C by the authority. */
static void bridge_seeds(struct gen *g) {
  struct blob body, rec;
  cursor_seeds(g, &body); /* leaves the largest cursor in body */
  struct mb_channel_record c = {.subject_len = MB_NODE_ID_LEN,
                                .version = 1767225600123,
                                .issued_ms = 1767225600123,
                                .body = body.buf,
                                .body_len = body.len};
  memcpy(c.subject, g->b.pk, MB_NODE_ID_LEN);
  channel_record(g, &g->b, MB_REC_BRIDGE_CURSOR, &c, &rec);
  check_record(g, "rec-cursor", &rec, MB_OK);
  put(g, T_RECORD | T_COSE, "rec-cursor", rec.buf, rec.len);
  instruction_seeds(g, &body); /* leaves the unknown op in body */
  struct mb_instruction drain = {.op = MB_INSTR_DRAIN, .id = "ins-7"};
  if (mb_wire_instruction_body(&drain, body.buf, sizeof(body.buf), &body.len) !=
      MB_OK)
    fail(g, "rec-instruction", "instruction_body", MB_EINVAL);
  memcpy(c.subject, g->c.pk, MB_NODE_ID_LEN);
  c.body = body.buf;
  c.body_len = body.len;
  channel_record(g, &g->authority, MB_REC_INSTRUCTION, &c, &rec);
  check_record(g, "rec-instruction", &rec, MB_OK);
  put(g, T_RECORD | T_COSE, "rec-instruction", rec.buf, rec.len);
}

/* ---- broken inputs ------------------------------------------------------ */

static void broken_seed(struct gen *g, const char *file, const uint8_t *p,
                        size_t len, int want) {
  struct mb_datagram *d = malloc(sizeof(*d));
  if (d == NULL) {
    fail(g, file, "malloc", -ENOMEM);
    return;
  }
  expect(g, file, mb_wire_datagram_open(p, len, fuzz_aad(), FUZZ_AAD_LEN, d),
         want);
  free(d);
  put(g, T_DATAGRAM | T_COSE | T_CBOR, file, p, len);
}

/* Hand-broken variants of a valid ping (which starts d2 84: tag 18, array). */
static void broken_seeds(struct gen *g, const struct blob *ping) {
  struct blob b;
  broken_seed(g, "broken-truncated", ping->buf, ping->len / 2, MB_ETRUNCATED);

  b = *ping;
  b.buf[b.len++] = 0x00;
  broken_seed(g, "broken-trailing-byte", b.buf, b.len, MB_ETRAILING);

  b = *ping;
  b.buf[1] = 0x9f;       /* indefinite-length array ... */
  b.buf[b.len++] = 0xff; /* ... closed by a break */
  broken_seed(g, "broken-indefinite", b.buf, b.len, MB_EINDEF);

  b.buf[0] = 0xd2, b.buf[1] = 0x98, b.buf[2] = 0x04; /* 4 in a 2-byte head */
  memcpy(b.buf + 3, ping->buf + 2, ping->len - 2);
  broken_seed(g, "broken-non-shortest", b.buf, ping->len + 1, MB_ENONCANON);

  b = *ping;
  b.buf[b.len - 1] ^= 0x01;
  broken_seed(g, "broken-signature", b.buf, b.len, MB_EBADSIG);

  b.buf[0] = 0xd8, b.buf[1] = MB_CWT_TAG; /* a datagram is never a CWT */
  memcpy(b.buf + 2, ping->buf, ping->len);
  broken_seed(g, "broken-cwt-tag", b.buf, ping->len + 2, MB_ETYPE);
}

static void broken_record_and_cert_seeds(struct gen *g,
                                         const struct records *r) {
  struct blob b = r->hb_full;
  b.len -= 7;
  check_record(g, "broken-rec-truncated", &b, MB_ETRUNCATED);
  put(g, T_RECORD, "broken-rec-truncated", b.buf, b.len);
  b = r->hb_full;
  b.buf[b.len - 1] ^= 0x80;
  check_record(g, "broken-rec-signature", &b, MB_EBADSIG);
  put(g, T_RECORD, "broken-rec-signature", b.buf, b.len);

  b = r->cert_a;
  b.buf[b.len - 1] ^= 0x80;
  check_cert(g, "broken-cert-signature", &b, MB_EBADSIG);
  put(g, T_CERT, "broken-cert-signature", b.buf, b.len);
  put(g, T_CERT, "broken-cert-truncated", r->cert_a.buf, r->cert_a.len - 40);
}

/* Bare CBOR for the reader: each edge its checks exist for. */
static void cbor_seeds(struct gen *g) {
  static const struct {
    const char *file, *hex;
  } seeds[] = {
      {"cbor-ints", "8e0017181818ff19010019ffff1a000100001b00000001000000"
                    "001bffffffffffffffff2037381838ff3bffffffffffffffff"},
      {"cbor-strings", "8640604161616158184141414141414141414141414141414141"
                       "414141414141416668c3a96c6c6f"},
      {"cbor-floats", "83f93c00fa3f800000fb3ff0000000000000"},
      {"cbor-simple", "86f4f5f6f7e0f820"},
      {"cbor-tags", "84c600d280d83dd280db000000010000000000"},
      {"cbor-map-ordered", "a60000010117171818181820002100"},
      {"cbor-map-unordered", "a201000000"},
      {"cbor-map-duplicate", "a201000100"},
      {"cbor-map-text-key", "a1616100"},
      {"cbor-nested-deep", "8181818181818181818100"},
      {"cbor-nested-maps", "a100a101a102a10380"},
      {"cbor-indefinite", "5f4100ff9fffbfff7fff"},
      {"cbor-huge-counts", "9bffffffffffffffffbbffffffffffffffff"},
      {"cbor-huge-string", "5bffffffffffffffff00"},
      {"cbor-reserved", "1c3c5c7c9cbcdcfc"},
      {"cbor-non-shortest", "1817190017"},
  };
  for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
    uint8_t bin[128];
    size_t len = strlen(seeds[i].hex) / 2;
    int rc =
        len <= sizeof(bin) ? mb_hex_decode(bin, len, seeds[i].hex) : MB_ETOOBIG;
    if (rc != MB_OK)
      fail(g, seeds[i].file, "bad hex", rc);
    else
      put(g, T_CBOR, seeds[i].file, bin, len);
  }
}

/* ---- Retry-After header values ---------------------------------------- */

/* Each seed is checked against the parser: the valid ones must parse (so
 * the fuzzer starts from both branches' deepest code), the broken ones
 * must not. */
static void retry_after_seeds(struct gen *g) {
  static const struct {
    const char *file, *value;
    bool valid;
  } seeds[] = {
      {"delta-zero", "0", true},
      {"delta-120", "120", true},
      {"delta-ows", " \t30\t ", true},
      {"delta-huge", "184467440737095516160000", true},
      {"date-past", "Sun, 06 Nov 1994 08:49:37 GMT", true},
      {"date-soon", "Thu, 01 Jan 2026 00:10:00 GMT", true},
      {"date-far", "Fri, 31 Dec 9999 23:59:59 GMT", true},
      {"date-leap-second", "Sat, 31 Dec 2016 23:59:60 GMT", true},
      {"date-leap-day", "Thu, 29 Feb 2024 00:00:00 GMT", true},
      {"bad-weekday", "Mon, 06 Nov 1994 08:49:37 GMT", false},
      {"bad-rfc850", "Sunday, 06-Nov-94 08:49:37 GMT", false},
      {"bad-asctime", "Sun Nov  6 08:49:37 1994", false},
      {"bad-day", "Wed, 31 Feb 2024 00:00:00 GMT", false},
      {"bad-negative", "-5", false},
      {"bad-fraction", "1.5", false},
      {"bad-empty", "", false},
  };
  for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
    const char *v = seeds[i].value;
    uint64_t delay;
    int rc = mb_retry_after_parse(v, strlen(v), FUZZ_NOW_S * 1000,
                                  UINT64_C(3600000), &delay);
    if ((rc == 0) != seeds[i].valid)
      fail(g, seeds[i].file, "parses otherwise than the seed says", rc);
    else
      write_one(g, "retry_after", seeds[i].file, (const uint8_t *)v, strlen(v));
  }
}

/* What the RAID layer added to gossip: a heartbeat with task progress
 * (key 13), alone and in a ping; app messages, unbound and signed, and
 * bound and MACed from A to B as members send them. */
static void raid_gossip_seeds(struct gen *g) {
  struct blob hb, b;
  sign_heartbeat(g, &g->a, "node-a", HB_TASKS, &hb);
  check_record(g, "rec-heartbeat-tasks", &hb, MB_OK);
  put(g, T_RECORD | T_COSE, "rec-heartbeat-tasks", hb.buf, hb.len);
  struct piggyback pb = {.records = {&hb}, .n_records = 1};
  datagram_seed(g, "dg-ping-heartbeat-tasks", MB_MSG_PING, &pb, &b);
  static const uint8_t payload[] = "a raft fragment, or any bytes";
  struct mb_msg m = message(MB_MSG_APP, g);
  m.app_channel = 1;
  m.app_payload = payload;
  m.app_len = sizeof(payload) - 1;
  build(g, FUZZ_AAD, &m, NULL, &b);
  check_datagram(g, "dg-app", &b);
  put(g, T_DATAGRAM | T_COSE, "dg-app", b.buf, b.len);
  uint8_t key[MB_PAIR_KEY_LEN];
  struct mb_dgram_builder db;
  expect(g, "pair key", mb_pair_key(key, &g->a, g->b.pk), MB_OK);
  int rc = mb_dgram_init(&db, &g->a, fuzz_aad(), FUZZ_AAD_LEN,
                         MB_WIRE_DEFAULT_BUDGET, ++g->seq, &m);
  mb_dgram_bind(&db, g->b.pk, FUZZ_EPOCH);
  if (rc == MB_OK)
    rc = mb_dgram_use_mac(&db, key);
  if (rc == MB_OK)
    rc = mb_dgram_finish(&db, b.buf, sizeof(b.buf), &b.len);
  static struct mb_datagram d;
  struct mb_dgram_auth auth = {.aad = fuzz_aad(),
                               .aad_len = FUZZ_AAD_LEN,
                               .self_id = g->b.pk,
                               .self_epoch = FUZZ_EPOCH,
                               .key = key};
  if (rc == MB_OK)
    rc = mb_wire_datagram_parse(b.buf, b.len, &d);
  if (rc == MB_OK)
    rc = mb_wire_datagram_auth(&d, &auth);
  expect(g, "dg-app-mac", rc, MB_OK);
  if (rc == MB_OK && (d.msg.kind != MB_MSG_APP || d.msg.app_len != m.app_len))
    fail(g, "dg-app-mac", "message changed", MB_EINVAL);
  if (rc == MB_OK)
    put(g, T_DATAGRAM | T_COSE, "dg-app-mac", b.buf, b.len);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
    return 2;
  }
  static struct gen g;
  static struct records r;
  struct blob ping;
  g.outdir = argv[1];
  if (ensure_dir(g.outdir) != 0)
    fail(&g, g.outdir, "cannot create directory", -errno);
  fuzz_identity(&g.a, FUZZ_KEY_NODE_A);
  fuzz_identity(&g.b, FUZZ_KEY_NODE_B);
  fuzz_identity(&g.c, FUZZ_KEY_NODE_C);
  fuzz_identity(&g.authority, FUZZ_KEY_AUTHORITY);
  fuzz_identity(&g.other_authority, FUZZ_KEY_OTHER_AUTHORITY);
  cert_seeds(&g, &r.cert_a);
  record_seeds(&g, &r);
  plain_datagram_seeds(&g, &ping);
  piggyback_datagram_seeds(&g, &r);
  bound_datagram_seeds(&g, &r);
  broken_seeds(&g, &ping);
  broken_record_and_cert_seeds(&g, &r);
  cbor_seeds(&g);
  channel_seeds(&g); /* last: the sequence numbers above stay as they were */
  bridge_seeds(&g);
  raid_gossip_seeds(&g); /* after every seed that takes a seq */
  retry_after_seeds(&g);
  g.errors += corpus_store_seeds(put_store_seed, &g);
  g.errors += corpus_raid_seeds(put_store_seed, &g);
  g.errors += corpus_consensus_seeds(put_store_seed, &g);
  g.errors += corpus_wire_raid_seeds(put_store_seed, &g, &g.b);
  g.errors += corpus_coord_lease_seeds(put_store_seed, &g);
  if (g.errors > 0) {
    fprintf(stderr, "make_corpus: %d problems\n", g.errors);
    return 1;
  }
  printf("make_corpus: wrote %s\n", g.outdir);
  return 0;
}
