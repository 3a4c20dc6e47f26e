/*
 * The record channel: signed records that are not heartbeats, the latest
 * per (kind, subject), kept by every member, spread by piggyback like
 * claims and repaired by anti-entropy (records_sync.c).  Revocations are
 * its first user (revocation.c); an active bridge's delivery cursor,
 * operators' instructions and a Raft leader's committed state are to come,
 * and need nothing here but a line in `policies`.
 *
 * What a kind needs is in its policy: who signs it (the cluster authority,
 * or any certified member), how many may be held, and whether the oldest
 * gives way when that many are.  A revocation never gives way (it must
 * hold while the revoked certificate could still be valid); it leaves the
 * table only when its `until` passes.
 *
 * Unauthenticated input changes nothing and costs little: a record is
 * parsed (no allocation), its kind and signer checked by comparing bytes,
 * its version against the one held, and only a record that would change
 * the table is verified, through the shared cache.  Echoes of a record
 * held cost a parse and a lookup.
 */
#include "swim_internal.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

enum signer_rule { BY_AUTHORITY, BY_MEMBER };

struct policy {
  enum mb_record_kind kind;
  enum signer_rule signer;
  uint32_t max;        /* held at most */
  bool evict_oldest;   /* when full, the oldest issued gives way; else a
                          newcomer is refused (MB_EFULL) */
  uint8_t subject_len; /* required subject length; 0: any */
};

static const struct policy policies[] = {
    {MB_REC_REVOCATION, BY_AUTHORITY, 1024, false, MB_NODE_ID_LEN},
    {MB_REC_INSTRUCTION, BY_AUTHORITY, 1024, false, 0},
    {MB_REC_BRIDGE_CURSOR, BY_MEMBER, 64, true, 0},
    {MB_REC_RAID_STATE, BY_MEMBER, 64, true, 0},
};
#define N_POLICIES (sizeof(policies) / sizeof(policies[0]))

/* A member-signed record carries its signer's certificate on its first
 * few relays, as a join announcement does (broadcast.c). */
#define CERT_SENDS 2
/* A member that misses a revocation keeps admitting the node, so records
 * are relayed λ·log(n) times each whatever echoes come back (for news an
 * echo counts as one of our sends), and a member that takes one compares
 * views soon (swim_push_pull_soon), as after news of a join: with echoes
 * counted and no comparison, a 32-member mesh under 1 % loss left one
 * member without the revocation for 5 to 9 s in 4 runs of 30
 * (sim/scenarios/revoke.scn); now the last member of 60 runs has it
 * within 0.71 s. */
/* Lapsed records are looked for this often. */
#define LAPSE_CHECK_MS 10000

struct held {
  uint8_t ref[MB_RECORD_REF_LEN];
  uint8_t kind;
  uint8_t subject_len;
  uint16_t relay_left; /* sends still due (0: not relayed) */
  uint16_t sent;
  uint8_t subject[MB_CHANNEL_SUBJECT_MAX];
  uint8_t signer[MB_NODE_ID_LEN];
  uint64_t version;
  int64_t issued_ms, until_s;
  struct bytes raw; /* interned */
};

struct swim_records {
  struct held *v;
  size_t n, cap;
  int32_t *slots; /* open addressing on the ref; -1: free */
  size_t n_slots;
  uint32_t count[N_POLICIES];
  size_t pending;  /* records with relays due */
  uint64_t sum[2]; /* the channel digest, kept as records change */
  uint64_t next_lapse_check;
  struct swim_budget told; /* revoked nodes told (revocation.c) */
};

int swim_records_init(struct swim *s) {
  s->records = calloc(1, sizeof(*s->records));
  return s->records ? MB_OK : -ENOMEM;
}

void swim_records_free(struct swim *s) {
  struct swim_records *r = s->records;
  if (r == NULL)
    return;
  for (size_t i = 0; i < r->n; i++)
    swim_bytes_free(s, &r->v[i].raw);
  free(r->v);
  free(r->slots);
  free(r);
  s->records = NULL;
}

struct swim_budget *swim_records_told_budget(struct swim *s) {
  return &s->records->told;
}

static const struct policy *policy_of(enum mb_record_kind kind, size_t *idx) {
  for (size_t i = 0; i < N_POLICIES; i++)
    if (policies[i].kind == kind) {
      if (idx != NULL)
        *idx = i;
      return &policies[i];
    }
  return NULL;
}

/* ---- the index ------------------------------------------------------------
 */

static size_t slot_of(const struct swim_records *r, const uint8_t *ref) {
  uint64_t h;
  memcpy(&h, ref, sizeof(h));
  return (size_t)((h * 0x9e3779b97f4a7c15ull) >> 32) & (r->n_slots - 1);
}

static long find_ref(const struct swim_records *r, const uint8_t *ref) {
  if (r->n_slots == 0)
    return -1;
  for (size_t i = slot_of(r, ref); r->slots[i] >= 0;
       i = (i + 1) & (r->n_slots - 1))
    if (memcmp(r->v[r->slots[i]].ref, ref, MB_RECORD_REF_LEN) == 0)
      return r->slots[i];
  return -1;
}

static int index_rebuild(struct swim_records *r, size_t n_slots) {
  int32_t *slots = malloc(n_slots * sizeof(*slots));
  if (slots == NULL)
    return -ENOMEM;
  free(r->slots);
  r->slots = slots;
  r->n_slots = n_slots;
  memset(slots, 0xff, n_slots * sizeof(*slots));
  for (size_t k = 0; k < r->n; k++) {
    size_t i = slot_of(r, r->v[k].ref);
    while (slots[i] >= 0)
      i = (i + 1) & (n_slots - 1);
    slots[i] = (int32_t)k;
  }
  return MB_OK;
}

static struct held *find(struct swim_records *r, enum mb_record_kind kind,
                         const uint8_t *subject, size_t len) {
  uint8_t ref[MB_RECORD_REF_LEN];
  mb_wire_record_ref(kind, subject, len, ref);
  long i = find_ref(r, ref);
  return i >= 0 ? &r->v[i] : NULL;
}

/* ---- the digest -----------------------------------------------------------
 */

static void share_of(const struct held *h, uint64_t out[2]) {
  uint8_t item[MB_RECORD_ENTRY_LEN], d[16];
  memcpy(item, h->ref, MB_RECORD_REF_LEN);
  for (int b = 0; b < 8; b++)
    item[MB_RECORD_REF_LEN + b] = (uint8_t)(h->version >> (56 - 8 * b));
  crypto_generichash(d, sizeof(d), item, sizeof(item), NULL, 0);
  memcpy(&out[0], d, 8);
  memcpy(&out[1], d + 8, 8);
}

static void digest_move(struct swim_records *r, const struct held *h, bool in) {
  uint64_t x[2];
  share_of(h, x);
  r->sum[0] += in ? x[0] : -x[0];
  r->sum[1] += in ? x[1] : -x[1];
}

void swim_records_digest(const struct swim *s,
                         uint8_t out[MB_VIEW_DIGEST_LEN]) {
  for (int b = 0; b < 8; b++) {
    out[b] = (uint8_t)(s->records->sum[0] >> (8 * b));
    out[8 + b] = (uint8_t)(s->records->sum[1] >> (8 * b));
  }
}

/* ---- keeping -----------------------------------------------------------
 */

static void remove_entry(struct swim_records *r, size_t i) {
  r->v[i] = r->v[--r->n];
  index_rebuild(r, r->n_slots);
}

static void drop(struct swim *s, size_t i) {
  struct swim_records *r = s->records;
  struct held *h = &r->v[i];
  size_t p;
  if (policy_of((enum mb_record_kind)h->kind, &p) != NULL)
    r->count[p]--;
  if (h->relay_left > 0)
    r->pending--;
  digest_move(r, h, false);
  swim_bytes_free(s, &h->raw);
  remove_entry(r, i);
}

static struct held *add_entry(struct swim *s, const uint8_t *ref) {
  struct swim_records *r = s->records;
  if (r->n == r->cap) {
    size_t cap = r->cap ? 2 * r->cap : 8;
    struct held *v = realloc(r->v, cap * sizeof(*v));
    if (v == NULL)
      return NULL;
    r->v = v;
    r->cap = cap;
  }
  struct held *h = &r->v[r->n++];
  memset(h, 0, sizeof(*h));
  memcpy(h->ref, ref, MB_RECORD_REF_LEN);
  if (r->n_slots < 2 * r->cap && index_rebuild(r, 4 * r->cap) != MB_OK) {
    r->n--;
    return NULL;
  }
  size_t i = slot_of(r, ref);
  while (r->slots[i] >= 0)
    i = (i + 1) & (r->n_slots - 1);
  r->slots[i] = (int32_t)(r->n - 1);
  return h;
}

/* The member-signed record issued longest ago gives way. */
static void evict_oldest(struct swim *s, enum mb_record_kind kind) {
  struct swim_records *r = s->records;
  long oldest = -1;
  for (size_t i = 0; i < r->n; i++)
    if (r->v[i].kind == kind &&
        (oldest < 0 || r->v[i].issued_ms < r->v[oldest].issued_ms))
      oldest = (long)i;
  if (oldest >= 0)
    drop(s, (size_t)oldest);
}

static void info_of(const struct swim *s, const struct held *h,
                    struct swim_record_info *out) {
  memset(out, 0, sizeof(*out));
  out->kind = (enum mb_record_kind)h->kind;
  memcpy(out->subject, h->subject, h->subject_len);
  out->subject_len = h->subject_len;
  out->version = h->version;
  out->issued_ms = h->issued_ms;
  out->until_s = h->until_s;
  memcpy(out->signer, h->signer, MB_NODE_ID_LEN);
  out->about_self = h->kind == MB_REC_REVOCATION &&
                    memcmp(h->subject, s->id.pk, MB_NODE_ID_LEN) == 0;
}

/* Stores rec in h (a fresh entry, or the older record it replaces). */
static int keep(struct swim *s, struct held *h, size_t policy,
                const struct mb_record *rec, const uint8_t *raw, size_t len,
                enum swim_record_origin o) {
  struct swim_records *r = s->records;
  bool fresh = h->raw.p == NULL;
  if (swim_bytes_set(s, &h->raw, raw, len) != MB_OK) {
    if (fresh) /* the entry was added for it: take it out again */
      remove_entry(r, (size_t)(h - r->v));
    return -ENOMEM;
  }
  if (fresh)
    r->count[policy]++;
  else
    digest_move(r, h, false);
  if (h->relay_left > 0)
    r->pending--;
  const struct mb_channel_record *c = &rec->u.ch;
  h->kind = (uint8_t)rec->kind;
  h->subject_len = (uint8_t)c->subject_len;
  memcpy(h->subject, c->subject, c->subject_len);
  memcpy(h->signer, rec->envelope.kid, MB_NODE_ID_LEN);
  h->version = c->version;
  h->issued_ms = c->issued_ms;
  h->until_s = c->until_s;
  digest_move(r, h, true);
  /* A joiner's first view is news to nobody; a record from the store is
   * old news the mesh has. */
  bool relay =
      o == SWIM_FROM_OFFER || (o == SWIM_FROM_PEER && !s->intake_quiet);
  h->relay_left = relay ? (uint16_t)swim_retransmit_limit(s) : 0;
  h->sent = 0;
  if (h->relay_left > 0) {
    r->pending++;
    swim_push_pull_soon(s); /* whom the rumour misses, a comparison finds */
  }
  if (o != SWIM_FROM_STORE) {
    struct swim_record_info info;
    info_of(s, h, &info);
    swim_out_record(s, &info, raw, len);
  }
  return MB_OK;
}

/* ---- checking ------------------------------------------------------------
 */

static bool lapsed(const struct swim *s, int64_t until_s) {
  return until_s > 0 && until_s + s->cfg.cert_skew_s < swim_wall(s) / 1000;
}

/* 0 when rec would replace h; otherwise why not.  Equal versions with
 * different bytes (two signings in one millisecond, or a member signing
 * twice) are settled by the larger signature, so every member that sees
 * both keeps the same one. */
static int compare(const struct held *h, const struct mb_record *rec,
                   const uint8_t *raw, size_t len) {
  if (rec->u.ch.version != h->version)
    return rec->u.ch.version > h->version ? MB_OK : MB_EOLDER;
  if (h->raw.len == len && memcmp(h->raw.p, raw, len) == 0)
    return MB_EHELD;
  struct mb_record mine;
  if (mb_wire_record_parse(h->raw.p, h->raw.len, &mine) != MB_OK)
    return MB_OK;
  return memcmp(rec->envelope.signature, mine.envelope.signature, MB_SIG_LEN) >
                 0
             ? MB_OK
             : MB_EOLDER;
}

/* The authority's kinds need the configured authority as signer; a
 * member's kinds need a signer admitted and not revoked (checked last:
 * admitting a carried certificate may cost a verify). */
static int check_signer(struct swim *s, const struct policy *p,
                        const uint8_t *kid) {
  if (p->signer == BY_AUTHORITY)
    return s->cfg.require_cert &&
                   memcmp(kid, s->cfg.authority, MB_NODE_ID_LEN) == 0
               ? MB_OK
               : MB_ESIGNER;
  return swim_id_revoked(s, kid) ? MB_EREVOKED : MB_OK;
}

static bool member_admitted(struct swim *s, const uint8_t *kid,
                            struct swim_carried *c) {
  if (c != NULL)
    return swim_admitted(s, kid, c);
  return !s->cfg.require_cert || swim_holds_cert(s, kid);
}

int swim_record_take(struct swim *s, const uint8_t *raw, size_t len,
                     struct swim_carried *c, enum swim_record_origin o) {
  struct mb_record rec;
  size_t pi;
  int rc = mb_wire_record_parse(raw, len, &rec);
  if (rc != MB_OK)
    return rc;
  const struct policy *p = policy_of(rec.kind, &pi);
  if (p == NULL)
    return MB_EKIND;
  const struct mb_channel_record *ch = &rec.u.ch;
  if (p->subject_len != 0 && ch->subject_len != p->subject_len)
    return MB_ERANGE;
  const uint8_t *kid = rec.envelope.kid;
  if ((rc = check_signer(s, p, kid)) != MB_OK)
    return rc;
  if (lapsed(s, ch->until_s))
    return MB_ELAPSED;
  struct swim_records *r = s->records;
  struct held *h = find(r, rec.kind, ch->subject, ch->subject_len);
  if (h != NULL && (rc = compare(h, &rec, raw, len)) != MB_OK)
    return rc;
  bool full = h == NULL && r->count[pi] >= p->max;
  if (full && !p->evict_oldest)
    return MB_EFULL;
  if (p->signer == BY_MEMBER && !member_admitted(s, kid, c))
    return MB_ESIGNER;
  rc = mb_cose_sign1_verify_cached(s->vc, &rec.envelope, raw, len, s->aad,
                                   s->aad_len, kid);
  if (rc != MB_OK)
    return rc;
  if (full) /* only a verified record may push another out */
    evict_oldest(s, rec.kind);
  if (h == NULL) {
    uint8_t ref[MB_RECORD_REF_LEN];
    mb_wire_record_ref(rec.kind, ch->subject, ch->subject_len, ref);
    if ((h = add_entry(s, ref)) == NULL)
      return -ENOMEM;
  }
  rc = keep(s, h, pi, &rec, raw, len, o);
  if (rc == MB_OK && rec.kind == MB_REC_REVOCATION)
    swim_revocation_apply(s, ch->subject, o != SWIM_FROM_STORE);
  return rc;
}

int swim_record_offer(struct swim *s, uint64_t now, const uint8_t *bytes,
                      size_t len) {
  s->now = now;
  if (s->left)
    return MB_EINVAL;
  return swim_record_take(s, bytes, len, NULL, SWIM_FROM_OFFER);
}

int swim_record_restore(struct swim *s, uint64_t now, const uint8_t *bytes,
                        size_t len) {
  s->now = now;
  return swim_record_take(s, bytes, len, NULL, SWIM_FROM_STORE);
}

/* ---- revocations -------------------------------------------------------
 */

bool swim_id_revoked(struct swim *s, const uint8_t *id) {
  struct member *m = swim_member_by_id(s, id);
  if (m != NULL)
    return m->revoked;
  struct swim_records *r = s->records;
  size_t p;
  policy_of(MB_REC_REVOCATION, &p);
  return r->count[p] > 0 &&
         find(r, MB_REC_REVOCATION, id, MB_NODE_ID_LEN) != NULL;
}

const uint8_t *swim_revocation_bytes(struct swim *s, const uint8_t *id,
                                     size_t *len) {
  struct held *h = find(s->records, MB_REC_REVOCATION, id, MB_NODE_ID_LEN);
  if (h == NULL)
    return NULL;
  *len = h->raw.len;
  return h->raw.p;
}

bool swim_self_revoked(const struct swim *s) {
  return s->self_revoked;
}

/* ---- dissemination -----------------------------------------------------
 */

bool swim_records_pending(const struct swim *s) {
  return s->records->pending > 0;
}

static struct bytes signer_cert(struct swim *s, const struct held *h) {
  const struct policy *p = policy_of((enum mb_record_kind)h->kind, NULL);
  struct member *m = p != NULL && p->signer == BY_MEMBER
                         ? swim_member_by_id(s, h->signer)
                         : NULL;
  return m != NULL ? swim_blob_bytes(m->cert) : (struct bytes){0};
}

struct bytes swim_records_signer_cert(struct swim *s, size_t i) {
  return signer_cert(s, &s->records->v[i]);
}

/* After the message and the buddy claim, before other records: few, and
 * one that revokes a node matters more than a payload update. */
void swim_records_fill(struct swim *s, struct mb_dgram_builder *b) {
  struct swim_records *r = s->records;
  for (size_t i = 0; i < r->n && r->pending > 0; i++) {
    struct held *h = &r->v[i];
    if (h->relay_left == 0)
      continue;
    struct mb_dgram_mark mark;
    mb_dgram_save(b, &mark);
    struct bytes cert =
        h->sent < CERT_SENDS ? signer_cert(s, h) : (struct bytes){0};
    if (mb_dgram_add_record(b, h->raw.p, h->raw.len) != MB_OK ||
        (cert.p != NULL && mb_dgram_add_cert(b, cert.p, cert.len) != MB_OK)) {
      mb_dgram_restore(b, &mark);
      return; /* full: the rest rides on the next datagram */
    }
    h->sent++;
    if (--h->relay_left == 0)
      r->pending--;
  }
}

void swim_records_tick(struct swim *s) {
  struct swim_records *r = s->records;
  if (s->now < r->next_lapse_check)
    return;
  r->next_lapse_check = s->now + LAPSE_CHECK_MS;
  for (size_t i = 0; i < r->n;) {
    struct held *h = &r->v[i];
    if (!lapsed(s, h->until_s)) {
      i++;
      continue;
    }
    uint8_t subject[MB_CHANNEL_SUBJECT_MAX];
    bool revocation = h->kind == MB_REC_REVOCATION;
    memcpy(subject, h->subject, h->subject_len);
    drop(s, i);
    if (revocation)
      swim_revocation_lapsed(s, subject);
  }
}

/* ---- queries -------------------------------------------------------------
 */

size_t swim_record_count(const struct swim *s) {
  return s->records->n;
}

int swim_record_get(const struct swim *s, size_t i,
                    struct swim_record_info *out, struct mb_bytes *raw) {
  if (i >= s->records->n)
    return MB_ERANGE;
  const struct held *h = &s->records->v[i];
  info_of(s, h, out);
  if (raw != NULL)
    *raw = (struct mb_bytes){h->raw.p, h->raw.len};
  return MB_OK;
}

size_t swim_records_n(const struct swim *s) {
  return s->records->n;
}

const uint8_t *swim_records_ref(const struct swim *s, size_t i,
                                uint64_t *version) {
  *version = s->records->v[i].version;
  return s->records->v[i].ref;
}

struct bytes swim_records_raw(const struct swim *s, size_t i) {
  return s->records->v[i].raw;
}

long swim_records_find_ref(const struct swim *s, const uint8_t *ref) {
  return find_ref(s->records, ref);
}
