/*
 * Wire and crypto benchmark: what one heartbeat costs to sign, check, encode
 * and parse, how much the COSE envelope adds to a bare Ed25519 operation
 * (the brief allows 5 %), what the verified-record cache saves, and how many
 * records a 1400-byte datagram carries.  Results: docs/benchmarks.md.
 *
 * Usage: bench_wire [--quick]
 *
 * Every rate is the median of REPS runs, each at least min_seconds long.
 * Envelope and bare operations run in alternating 10 ms slices within each
 * run, so a noisy neighbour slows both alike; the overhead is taken per run,
 * then the median.
 *
 * It reaches into wire_internal.h for the message encoder only to time the
 * body encoding on its own, which no public function does without signing.
 */
#include "mb_wire.h"
#include "wire_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPS 3
#define AAD "bench-cluster"
#define AAD_LEN (sizeof(AAD) - 1)
#define EPOCH_MS INT64_C(1767225600000) /* 2026-01-01, a realistic width */

struct fixture {
  struct mb_identity self;
  struct mb_msg ping;
  uint8_t hb_rec[512];
  size_t hb_rec_len;
  uint8_t dgram[MB_WIRE_DEFAULT_BUDGET];
  size_t dgram_len;
  uint8_t tbs[MB_WIRE_DEFAULT_BUDGET + 128]; /* the Sig_structure signed */
  size_t tbs_len;
  uint8_t sig[MB_SIG_LEN];
  struct mb_vcache *vc;
  struct mb_datagram scratch;
  uint64_t failures; /* results that were not MB_OK; also keeps loops live */
};

/* ---- timing ------------------------------------------------------------- */

typedef void (*bench_fn)(struct fixture *f, uint64_t n);

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Operations per second of fn, in doubling batches so the clock is read
 * rarely, until min_s has passed. */
static double rate(bench_fn fn, struct fixture *f, double min_s) {
  uint64_t batch = 1, done = 0;
  double start = now_s(), elapsed;
  do {
    fn(f, batch);
    done += batch;
    elapsed = now_s() - start;
    batch *= 2;
  } while (elapsed < min_s);
  return (double)done / elapsed;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(const double *v, size_t n) {
  double s[REPS];
  memcpy(s, v, n * sizeof(*v));
  qsort(s, n, sizeof(*s), cmp_double);
  return s[n / 2];
}

static double median_rate(bench_fn fn, struct fixture *f, double min_s) {
  double r[REPS];
  for (int i = 0; i < REPS; i++)
    r[i] = rate(fn, f, min_s);
  return median(r, REPS);
}

struct paired {
  double envelope, bare, overhead_pct;
};

/* Interleaving grain: short enough that noise lasting longer than a few
 * slices (a neighbour's burst, a frequency change) hits both sides. */
#define SLICE_S 0.01

static double timed(bench_fn fn, struct fixture *f, uint64_t n) {
  double start = now_s();
  fn(f, n);
  return now_s() - start;
}

static uint64_t ops_per_slice(bench_fn fn, struct fixture *f) {
  uint64_t n = (uint64_t)(rate(fn, f, 5 * SLICE_S) * SLICE_S);
  return n > 0 ? n : 1;
}

/*
 * Runs the envelope and the bare operation in alternating slices until each
 * has had min_s, REPS times.  Overhead is the extra time per envelope
 * operation relative to the bare one, median over the repetitions.
 */
static struct paired compare(bench_fn envelope, bench_fn bare,
                             struct fixture *f, double min_s) {
  uint64_t ke = ops_per_slice(envelope, f), kb = ops_per_slice(bare, f);
  double e[REPS], b[REPS], o[REPS];
  for (int i = 0; i < REPS; i++) {
    double te = 0, tb = 0;
    uint64_t ne = 0, nb = 0;
    while (te < min_s || tb < min_s) {
      te += timed(envelope, f, ke), ne += ke;
      tb += timed(bare, f, kb), nb += kb;
    }
    e[i] = (double)ne / te;
    b[i] = (double)nb / tb;
    o[i] = (b[i] / e[i] - 1.0) * 100.0;
  }
  return (struct paired){median(e, REPS), median(b, REPS), median(o, REPS)};
}

/* ---- operations --------------------------------------------------------- */

static int sign_heartbeat_datagram(struct fixture *f, uint8_t *out,
                                   size_t *out_len) {
  struct mb_dgram_builder b;
  int rc = mb_dgram_init(&b, &f->self, (const uint8_t *)AAD, AAD_LEN,
                         MB_WIRE_DEFAULT_BUDGET, 7, &f->ping);
  if (rc == MB_OK)
    rc = mb_dgram_add_record(&b, f->hb_rec, f->hb_rec_len);
  if (rc == MB_OK)
    rc = mb_dgram_finish(&b, out, MB_WIRE_DEFAULT_BUDGET, out_len);
  return rc;
}

static void op_dgram_sign(struct fixture *f, uint64_t n) {
  uint8_t out[MB_WIRE_DEFAULT_BUDGET];
  size_t len;
  for (uint64_t i = 0; i < n; i++)
    f->failures += sign_heartbeat_datagram(f, out, &len) != MB_OK;
}

static void op_bare_sign(struct fixture *f, uint64_t n) {
  uint8_t sig[MB_SIG_LEN];
  for (uint64_t i = 0; i < n; i++)
    f->failures +=
        crypto_sign_detached(sig, NULL, f->tbs, f->tbs_len, f->self.sk) != 0;
}

static void op_dgram_open(struct fixture *f, uint64_t n) {
  for (uint64_t i = 0; i < n; i++)
    f->failures +=
        mb_wire_datagram_open(f->dgram, f->dgram_len, (const uint8_t *)AAD,
                              AAD_LEN, &f->scratch) != MB_OK;
}

static void op_bare_verify(struct fixture *f, uint64_t n) {
  for (uint64_t i = 0; i < n; i++)
    f->failures += crypto_sign_verify_detached(f->sig, f->tbs, f->tbs_len,
                                               f->self.pk) != 0;
}

/* The body exactly as mb_dgram_finish lays it out (checked in setup). */
static size_t encode_body(const struct fixture *f, uint8_t *out, size_t cap) {
  struct mb_cbor_writer w;
  mb_cw_init(&w, out, cap);
  mb_cw_map(&w, 4);
  mb_cw_uint(&w, MB_DG_VERSION), mb_cw_uint(&w, MB_WIRE_VERSION);
  mb_cw_uint(&w, MB_DG_SEQ), mb_cw_uint(&w, 7);
  mb_cw_uint(&w, MB_DG_MESSAGE), wire_write_msg(&w, &f->ping);
  mb_cw_uint(&w, MB_DG_RECORDS), mb_cw_array(&w, 1);
  mb_cw_bytes(&w, f->hb_rec, f->hb_rec_len);
  return mb_cw_status(&w) == MB_OK ? w.len : 0;
}

static void op_body_encode(struct fixture *f, uint64_t n) {
  uint8_t out[MB_WIRE_DEFAULT_BUDGET];
  for (uint64_t i = 0; i < n; i++)
    f->failures += encode_body(f, out, sizeof(out)) == 0;
}

static void op_dgram_parse(struct fixture *f, uint64_t n) {
  for (uint64_t i = 0; i < n; i++)
    f->failures +=
        mb_wire_datagram_parse(f->dgram, f->dgram_len, &f->scratch) != MB_OK;
}

static void record_open(struct fixture *f, struct mb_vcache *vc, uint64_t n) {
  struct mb_record rec;
  for (uint64_t i = 0; i < n; i++)
    f->failures +=
        mb_wire_record_open(vc, f->hb_rec, f->hb_rec_len, (const uint8_t *)AAD,
                            AAD_LEN, &rec) != MB_OK;
}

static void op_record_open(struct fixture *f, uint64_t n) {
  record_open(f, NULL, n);
}

static void op_record_open_cached(struct fixture *f, uint64_t n) {
  record_open(f, f->vc, n);
}

/* ---- fixture ------------------------------------------------------------ */

static void identity_of(struct mb_identity *id, uint32_t i) {
  uint8_t seed[MB_SEED_LEN] = {0};
  memcpy(seed, &i, sizeof(i));
  mb_identity_from_seed(id, seed);
}

/* A heartbeat as a production node sends it: every optional field set. */
static struct mb_heartbeat realistic_heartbeat(uint32_t i) {
  struct mb_heartbeat hb;
  memset(&hb, 0, sizeof(hb));
  snprintf(hb.name, sizeof(hb.name), "node-%03u", (unsigned)(i % 1000));
  snprintf(hb.domain, sizeof(hb.domain), "dc1/row3/rack%02u",
           (unsigned)(i % 40));
  hb.addr = (struct mb_addr){.family = 4, .ip = {10, 1, 3, 42}, .port = 7946};
  hb.incarnation = 2;
  hb.seq = 86400;
  hb.time_ms = EPOCH_MS + 123456;
  hb.capacity = UINT64_C(16000000000000);
  hb.available = UINT64_C(9876543210987);
  hb.health = (struct mb_health){.have = 15u,
                                 .cpu_permille = 273,
                                 .mem_permille = 641,
                                 .load_x100 = 187,
                                 .temp_mc = 48500};
  return hb;
}

static int sign_heartbeat(uint32_t i, uint8_t *out, size_t cap, size_t *len) {
  struct mb_identity id;
  identity_of(&id, i);
  struct mb_heartbeat hb = realistic_heartbeat(i);
  return mb_wire_heartbeat_sign(&id, (const uint8_t *)AAD, AAD_LEN, &hb, out,
                                cap, len);
}

static int sign_suspect(uint32_t i, uint8_t *out, size_t cap, size_t *len) {
  struct mb_identity author, subject;
  identity_of(&author, i);
  identity_of(&subject, i + 100000);
  struct mb_claim c = {.incarnation = 2, .time_ms = EPOCH_MS + 99};
  memcpy(c.subject, subject.pk, MB_NODE_ID_LEN);
  return mb_wire_claim_sign(&author, (const uint8_t *)AAD, AAD_LEN,
                            MB_REC_SUSPECT, &c, out, cap, len);
}

static struct mb_msg ping_to(uint32_t target) {
  struct mb_identity t;
  identity_of(&t, target);
  struct mb_msg m = {.kind = MB_MSG_PING, .probe_id = 1234567};
  memcpy(m.target, t.pk, MB_NODE_REF_LEN);
  return m;
}

/* The Sig_structure of RFC 9052 §4.4 for the signed datagram, built here
 * independently and checked against the signature, so the bare runs verify
 * exactly the bytes the envelope verifies. */
static int build_tbs(struct fixture *f) {
  struct mb_cose_sign1 *m = &f->scratch.envelope;
  int rc = mb_wire_datagram_parse(f->dgram, f->dgram_len, &f->scratch);
  if (rc != MB_OK)
    return rc;
  struct mb_cbor_writer w;
  mb_cw_init(&w, f->tbs, sizeof(f->tbs));
  mb_cw_array(&w, 4);
  mb_cw_textz(&w, "Signature1");
  mb_cw_bytes(&w, m->protected_hdr, m->protected_len);
  mb_cw_bytes(&w, AAD, AAD_LEN);
  mb_cw_bytes(&w, m->payload, m->payload_len);
  if ((rc = mb_cw_status(&w)) != MB_OK)
    return rc;
  f->tbs_len = w.len;
  memcpy(f->sig, m->signature, MB_SIG_LEN);
  return crypto_sign_verify_detached(f->sig, f->tbs, f->tbs_len, f->self.pk)
             ? MB_EBADSIG
             : MB_OK;
}

/* Our body encoder must match the one the builder signs. */
static int check_body(struct fixture *f) {
  uint8_t body[MB_WIRE_DEFAULT_BUDGET];
  size_t n = encode_body(f, body, sizeof(body));
  const struct mb_cose_sign1 *m = &f->scratch.envelope;
  return n == m->payload_len && memcmp(body, m->payload, n) == 0 ? MB_OK
                                                                 : MB_EINVAL;
}

static int setup(struct fixture *f) {
  memset(f, 0, sizeof(*f));
  identity_of(&f->self, 1);
  f->ping = ping_to(2);
  int rc = sign_heartbeat(1, f->hb_rec, sizeof(f->hb_rec), &f->hb_rec_len);
  if (rc == MB_OK)
    rc = sign_heartbeat_datagram(f, f->dgram, &f->dgram_len);
  if (rc == MB_OK)
    rc = build_tbs(f);
  if (rc == MB_OK)
    rc = check_body(f);
  f->vc = mb_vcache_new(1024);
  if (rc == MB_OK && f->vc == NULL)
    rc = MB_ENOSPACE;
  if (rc == MB_OK) /* warm: the timed cached opens are all hits */
    op_record_open_cached(f, 1);
  return rc;
}

/* ---- sizes -------------------------------------------------------------- */

enum fill_mix { FILL_SUSPECTS, FILL_HEARTBEATS, FILL_ALTERNATE };

struct fill {
  size_t suspects, heartbeats, bytes;
};

#define REC_CAP 256

/*
 * Fills a ping with records from distinct authors until the 1400-byte budget
 * refuses one.  Records are kept in one array because the builder references
 * them until finish.
 */
static int fill_ping(enum fill_mix mix, struct fill *out) {
  static uint8_t recs[MB_WIRE_MAX_RECORDS][REC_CAP];
  struct mb_identity self;
  identity_of(&self, 1);
  struct mb_msg ping = ping_to(2);
  struct mb_dgram_builder b;
  int rc = mb_dgram_init(&b, &self, (const uint8_t *)AAD, AAD_LEN,
                         MB_WIRE_DEFAULT_BUDGET, 7, &ping);
  memset(out, 0, sizeof(*out));
  for (uint32_t i = 0; rc == MB_OK && i < MB_WIRE_MAX_RECORDS; i++) {
    bool hb = mix == FILL_HEARTBEATS || (mix == FILL_ALTERNATE && i % 2);
    size_t len;
    rc = hb ? sign_heartbeat(10 + i, recs[i], REC_CAP, &len)
            : sign_suspect(10 + i, recs[i], REC_CAP, &len);
    if (rc == MB_OK)
      rc = mb_dgram_add_record(&b, recs[i], len);
    if (rc == MB_OK && hb)
      out->heartbeats++;
    else if (rc == MB_OK)
      out->suspects++;
  }
  if (rc != MB_OK && rc != MB_ENOSPACE)
    return rc;
  uint8_t dgram[MB_WIRE_DEFAULT_BUDGET];
  return mb_dgram_finish(&b, dgram, sizeof(dgram), &out->bytes);
}

static size_t bare_ping_size(void) {
  struct mb_identity self;
  identity_of(&self, 1);
  struct mb_msg ping = ping_to(2);
  struct mb_dgram_builder b;
  uint8_t out[MB_WIRE_DEFAULT_BUDGET];
  size_t len = 0;
  if (mb_dgram_init(&b, &self, (const uint8_t *)AAD, AAD_LEN,
                    MB_WIRE_DEFAULT_BUDGET, 7, &ping) != MB_OK ||
      mb_dgram_finish(&b, out, sizeof(out), &len) != MB_OK)
    return 0;
  return len;
}

static size_t claim_size(void) {
  uint8_t rec[REC_CAP];
  size_t len = 0;
  return sign_suspect(3, rec, sizeof(rec), &len) == MB_OK ? len : 0;
}

/* ---- report ------------------------------------------------------------- */

struct results {
  struct paired sign, verify;
  double encode, parse, rec_open, rec_cached;
  size_t hb_rec, hb_dgram, ping, claim;
  struct fill suspects, heartbeats, mixed;
};

static void row(const char *what, double per_s) {
  printf("  %-44s %12.0f /s %10.2f us\n", what, per_s, 1e6 / per_s);
}

static void print_table(const struct results *r, double min_s) {
  printf("meshbeat bench_wire: median of %d runs of >= %.2f s each\n\n", REPS,
         min_s);
  printf("  %-44s %15s %13s\n", "operation", "rate", "time/op");
  row("heartbeat datagram sign (build + sign)", r->sign.envelope);
  row("Ed25519 sign, bare, same bytes", r->sign.bare);
  printf("  %-44s %+11.1f %%\n", "  envelope overhead on sign",
         r->sign.overhead_pct);
  row("heartbeat datagram open (parse + verify)", r->verify.envelope);
  row("Ed25519 verify, bare, same bytes", r->verify.bare);
  printf("  %-44s %+11.1f %%   (brief: <= 5 %%)\n",
         "  envelope overhead on verify", r->verify.overhead_pct);
  row("datagram body encode (no signing)", r->encode);
  row("datagram parse (no verify)", r->parse);
  row("record open, no cache", r->rec_open);
  row("record open, cache hit", r->rec_cached);
  printf("\n  %-44s %8s\n", "size", "bytes");
  printf("  %-44s %8zu\n", "heartbeat record", r->hb_rec);
  printf("  %-44s %8zu\n", "suspect claim record", r->claim);
  printf("  %-44s %8zu\n", "heartbeat datagram (ping + 1 heartbeat)",
         r->hb_dgram);
  printf("  %-44s %8zu\n", "bare ping", r->ping);
  printf("  ping filled to the %d-byte budget:\n", MB_WIRE_DEFAULT_BUDGET);
  printf("  %-44s %8zu   (%zu records)\n", "  suspect claims only",
         r->suspects.bytes, r->suspects.suspects);
  printf("  %-44s %8zu   (%zu records)\n", "  heartbeats only",
         r->heartbeats.bytes, r->heartbeats.heartbeats);
  printf("  %-44s %8zu   (%zu suspects + %zu heartbeats)\n", "  alternating",
         r->mixed.bytes, r->mixed.suspects, r->mixed.heartbeats);
}

static void print_json(const struct results *r, bool quick) {
  printf("{\"bench\":\"wire\",\"quick\":%s,\"reps\":%d,"
         "\"dgram_sign_per_s\":%.0f,\"ed25519_sign_per_s\":%.0f,"
         "\"sign_overhead_pct\":%.2f,"
         "\"dgram_open_per_s\":%.0f,\"ed25519_verify_per_s\":%.0f,"
         "\"verify_overhead_pct\":%.2f,"
         "\"body_encode_per_s\":%.0f,\"dgram_parse_per_s\":%.0f,"
         "\"record_open_per_s\":%.0f,\"record_open_cached_per_s\":%.0f,"
         "\"hb_record_bytes\":%zu,\"claim_record_bytes\":%zu,"
         "\"hb_dgram_bytes\":%zu,\"ping_bytes\":%zu,"
         "\"max_suspects\":%zu,\"max_suspects_bytes\":%zu,"
         "\"max_heartbeats\":%zu,\"max_heartbeats_bytes\":%zu,"
         "\"mixed_suspects\":%zu,\"mixed_heartbeats\":%zu,"
         "\"mixed_bytes\":%zu}\n",
         quick ? "true" : "false", REPS, r->sign.envelope, r->sign.bare,
         r->sign.overhead_pct, r->verify.envelope, r->verify.bare,
         r->verify.overhead_pct, r->encode, r->parse, r->rec_open,
         r->rec_cached, r->hb_rec, r->claim, r->hb_dgram, r->ping,
         r->suspects.suspects, r->suspects.bytes, r->heartbeats.heartbeats,
         r->heartbeats.bytes, r->mixed.suspects, r->mixed.heartbeats,
         r->mixed.bytes);
}

static int measure_sizes(const struct fixture *f, struct results *r) {
  r->hb_rec = f->hb_rec_len;
  r->hb_dgram = f->dgram_len;
  r->ping = bare_ping_size();
  r->claim = claim_size();
  int rc = fill_ping(FILL_SUSPECTS, &r->suspects);
  if (rc == MB_OK)
    rc = fill_ping(FILL_HEARTBEATS, &r->heartbeats);
  if (rc == MB_OK)
    rc = fill_ping(FILL_ALTERNATE, &r->mixed);
  if (rc == MB_OK && (r->ping == 0 || r->claim == 0))
    rc = MB_EINVAL;
  return rc;
}

static void measure_rates(struct fixture *f, struct results *r, double min_s) {
  r->sign = compare(op_dgram_sign, op_bare_sign, f, min_s);
  r->verify = compare(op_dgram_open, op_bare_verify, f, min_s);
  r->encode = median_rate(op_body_encode, f, min_s);
  r->parse = median_rate(op_dgram_parse, f, min_s);
  r->rec_open = median_rate(op_record_open, f, min_s);
  r->rec_cached = median_rate(op_record_open_cached, f, min_s);
}

int main(int argc, char **argv) {
  bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
  if (argc > 2 || (argc == 2 && !quick)) {
    fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
    return 2;
  }
  if (sodium_init() < 0)
    return 1;
  double min_s = quick ? 0.05 : 0.75;
  static struct fixture f;
  static struct results r;
  int rc = setup(&f);
  if (rc == MB_OK)
    rc = measure_sizes(&f, &r);
  if (rc != MB_OK) {
    fprintf(stderr, "bench_wire: setup failed: %s\n", mb_strerror(rc));
    return 1;
  }
  measure_rates(&f, &r, min_s);
  mb_vcache_free(f.vc);
  if (f.failures > 0) {
    fprintf(stderr, "bench_wire: %llu operations failed\n",
            (unsigned long long)f.failures);
    return 1;
  }
  print_table(&r, min_s);
  print_json(&r, quick);
  return 0;
}
