/*
 * Signed records: heartbeat records (signed by the node they describe) and
 * suspect/dead claims (signed by their accuser).
 *
 *   heartbeat = {0: 1, 1: name, 2: addr, 3: incarnation, 4: seq, 5: time-ms,
 *                6: capacity, 7: available, ?8: domain, ?9: health,
 *                ?10: status}                 ; status only when not alive
 *   health    = {?1: cpu, ?2: mem, ?3: load, ?4: temp}
 *   claim     = {0: 2 (suspect) / 3 (dead), 1: subject, 2: incarnation,
 *                3: time-ms}
 * Probe acks are in ack.c, channel records (kinds 20..31) in channel.c.
 */
#include "wire_internal.h"

#include <string.h>

enum hb_key {
  HB_KIND = 0,
  HB_NAME = 1,
  HB_ADDR = 2,
  HB_INCARNATION = 3,
  HB_SEQ = 4,
  HB_TIME = 5,
  HB_CAPACITY = 6,
  HB_AVAILABLE = 7,
  HB_DOMAIN = 8,
  HB_HEALTH = 9,
  HB_STATUS = 10,
  HB_EPOCH = 11,
};

enum claim_key {
  CLAIM_KIND = 0,
  CLAIM_SUBJECT = 1,
  CLAIM_INCARNATION = 2,
  CLAIM_TIME = 3,
};

#define HB_REQUIRED                                                            \
  (1u << HB_KIND | 1u << HB_NAME | 1u << HB_ADDR | 1u << HB_INCARNATION |      \
   1u << HB_SEQ | 1u << HB_TIME | 1u << HB_CAPACITY | 1u << HB_AVAILABLE)
#define CLAIM_REQUIRED                                                         \
  (1u << CLAIM_KIND | 1u << CLAIM_SUBJECT | 1u << CLAIM_INCARNATION |          \
   1u << CLAIM_TIME)

const char *mb_record_kind_name(enum mb_record_kind k) {
  switch (k) {
  case MB_REC_HEARTBEAT:
    return "heartbeat";
  case MB_REC_SUSPECT:
    return "suspect";
  case MB_REC_DEAD:
    return "dead";
  case MB_REC_ACK:
    return "ack";
  case MB_REC_REVOCATION:
    return "revocation";
  case MB_REC_BRIDGE_CURSOR:
    return "bridge-cursor";
  case MB_REC_INSTRUCTION:
    return "instruction";
  case MB_REC_RAID_STATE:
    return "raid-state";
  case MB_REC_RAID_ARRAY:
    return "raid-array";
  case MB_REC_RAID_TASK:
    return "raid-task";
  case MB_REC_OTHER:
    break;
  }
  return "unknown";
}

/* ---- heartbeat --------------------------------------------------------- */

static size_t health_count(const struct mb_health *h) {
  return (size_t)__builtin_popcount(h->have & 15u);
}

static void write_health(struct mb_cbor_writer *w, const struct mb_health *h) {
  mb_cw_map(w, health_count(h));
  if (h->have & MB_HEALTH_CPU)
    mb_cw_uint(w, 1), mb_cw_uint(w, h->cpu_permille);
  if (h->have & MB_HEALTH_MEM)
    mb_cw_uint(w, 2), mb_cw_uint(w, h->mem_permille);
  if (h->have & MB_HEALTH_LOAD)
    mb_cw_uint(w, 3), mb_cw_uint(w, h->load_x100);
  if (h->have & MB_HEALTH_TEMP)
    mb_cw_uint(w, 4), mb_cw_int(w, h->temp_mc);
}

static void write_heartbeat(struct mb_cbor_writer *w,
                            const struct mb_heartbeat *hb) {
  bool dom = hb->domain[0] != '\0', health = health_count(&hb->health) > 0;
  bool status = hb->status != MB_HB_ALIVE, epoch = hb->epoch != 0;
  mb_cw_map(w,
            8 + (size_t)dom + (size_t)health + (size_t)status + (size_t)epoch);
  mb_cw_uint(w, HB_KIND), mb_cw_uint(w, MB_REC_HEARTBEAT);
  mb_cw_uint(w, HB_NAME), mb_cw_textz(w, hb->name);
  mb_cw_uint(w, HB_ADDR), wire_write_addr(w, &hb->addr);
  mb_cw_uint(w, HB_INCARNATION), mb_cw_uint(w, hb->incarnation);
  mb_cw_uint(w, HB_SEQ), mb_cw_uint(w, hb->seq);
  mb_cw_uint(w, HB_TIME), mb_cw_int(w, hb->time_ms);
  mb_cw_uint(w, HB_CAPACITY), mb_cw_uint(w, hb->capacity);
  mb_cw_uint(w, HB_AVAILABLE), mb_cw_uint(w, hb->available);
  if (dom)
    mb_cw_uint(w, HB_DOMAIN), mb_cw_textz(w, hb->domain);
  if (health)
    mb_cw_uint(w, HB_HEALTH), write_health(w, &hb->health);
  if (status)
    mb_cw_uint(w, HB_STATUS), mb_cw_uint(w, (uint64_t)hb->status);
  if (epoch)
    mb_cw_uint(w, HB_EPOCH), mb_cw_uint(w, hb->epoch);
}

int mb_wire_heartbeat_sign(const struct mb_identity *signer, const uint8_t *aad,
                           size_t aad_len, const struct mb_heartbeat *hb,
                           uint8_t *out, size_t cap, size_t *out_len) {
  if (!mb_text_ok(hb->name, MB_NAME_MAX) ||
      !mb_text_ok(hb->domain, MB_DOMAIN_MAX) ||
      (hb->addr.family != 4 && hb->addr.family != 6) ||
      (unsigned)hb->status > MB_HB_LEFT)
    return MB_EINVAL;
  uint8_t scratch[MB_WIRE_MAX_RECORD];
  struct mb_cbor_writer w;
  mb_cw_init(&w, scratch, sizeof(scratch));
  write_heartbeat(&w, hb);
  return wire_sign_payload(signer, aad, aad_len, &w, out, cap, out_len);
}

static int read_u32_field(struct mb_cbor_reader *r, uint32_t *v) {
  uint64_t u;
  int rc = mb_cr_uint(r, &u);
  if (rc == MB_OK && u > UINT32_MAX)
    rc = MB_ERANGE;
  if (rc == MB_OK)
    *v = (uint32_t)u;
  return rc;
}

static int read_health_field(struct mb_cbor_reader *r, int64_t key, void *ctx) {
  struct mb_health *h = ctx;
  int64_t t;
  int rc;
  switch (key) {
  case 1:
    h->have |= MB_HEALTH_CPU;
    return read_u32_field(r, &h->cpu_permille);
  case 2:
    h->have |= MB_HEALTH_MEM;
    return read_u32_field(r, &h->mem_permille);
  case 3:
    h->have |= MB_HEALTH_LOAD;
    return read_u32_field(r, &h->load_x100);
  case 4:
    h->have |= MB_HEALTH_TEMP;
    rc = mb_cr_int(r, &t);
    if (rc == MB_OK && (t < INT32_MIN || t > INT32_MAX))
      rc = MB_ERANGE;
    if (rc == MB_OK)
      h->temp_mc = (int32_t)t;
    return rc;
  default:
    return mb_cr_skip(r);
  }
}

static int read_status(struct mb_cbor_reader *r, enum mb_hb_status *s) {
  uint64_t v;
  int rc = mb_cr_uint(r, &v);
  if (rc == MB_OK && v > MB_HB_LEFT)
    rc = MB_ERANGE;
  if (rc == MB_OK)
    *s = (enum mb_hb_status)v;
  return rc;
}

static int read_hb_field(struct mb_cbor_reader *r, int64_t key,
                         struct mb_heartbeat *hb) {
  switch (key) {
  case HB_NAME:
    return mb_cr_text_copy(r, hb->name, MB_NAME_MAX);
  case HB_ADDR:
    return wire_read_addr(r, &hb->addr);
  case HB_INCARNATION:
    return mb_cr_uint(r, &hb->incarnation);
  case HB_SEQ:
    return mb_cr_uint(r, &hb->seq);
  case HB_TIME:
    return mb_cr_int(r, &hb->time_ms);
  case HB_CAPACITY:
    return mb_cr_uint(r, &hb->capacity);
  case HB_AVAILABLE:
    return mb_cr_uint(r, &hb->available);
  case HB_DOMAIN:
    return mb_cr_text_copy(r, hb->domain, MB_DOMAIN_MAX);
  case HB_HEALTH:
    return mb_cr_map_walk(r, 16, read_health_field, &hb->health, NULL);
  case HB_STATUS:
    return read_status(r, &hb->status);
  case HB_EPOCH:
    return mb_cr_uint(r, &hb->epoch);
  default:
    return mb_cr_skip(r);
  }
}

/* ---- claims ------------------------------------------------------------ */

int mb_wire_claim_sign(const struct mb_identity *author, const uint8_t *aad,
                       size_t aad_len, enum mb_record_kind kind,
                       const struct mb_claim *c, uint8_t *out, size_t cap,
                       size_t *out_len) {
  if (kind != MB_REC_SUSPECT && kind != MB_REC_DEAD)
    return MB_EINVAL;
  uint8_t scratch[128];
  struct mb_cbor_writer w;
  mb_cw_init(&w, scratch, sizeof(scratch));
  mb_cw_map(&w, 4);
  mb_cw_uint(&w, CLAIM_KIND), mb_cw_uint(&w, (uint64_t)kind);
  mb_cw_uint(&w, CLAIM_SUBJECT), mb_cw_bytes(&w, c->subject, MB_NODE_ID_LEN);
  mb_cw_uint(&w, CLAIM_INCARNATION), mb_cw_uint(&w, c->incarnation);
  mb_cw_uint(&w, CLAIM_TIME), mb_cw_int(&w, c->time_ms);
  return wire_sign_payload(author, aad, aad_len, &w, out, cap, out_len);
}

static int read_claim_field(struct mb_cbor_reader *r, int64_t key,
                            struct mb_claim *c) {
  switch (key) {
  case CLAIM_SUBJECT:
    return wire_read_node_id(r, c->subject);
  case CLAIM_INCARNATION:
    return mb_cr_uint(r, &c->incarnation);
  case CLAIM_TIME:
    return mb_cr_int(r, &c->time_ms);
  default:
    return mb_cr_skip(r);
  }
}

/* ---- parsing ----------------------------------------------------------- */

static enum mb_record_kind known_kind(uint64_t k) {
  switch (k) {
  case MB_REC_HEARTBEAT:
  case MB_REC_SUSPECT:
  case MB_REC_DEAD:
  case MB_REC_ACK:
    return (enum mb_record_kind)k;
  default:
    return k <= MB_REC_CHANNEL_LAST &&
                   mb_record_kind_is_channel((enum mb_record_kind)k)
               ? (enum mb_record_kind)k
               : MB_REC_OTHER;
  }
}

/* Key 0, the kind, sorts first, so later keys can dispatch on it. */
static int read_record_field(struct mb_cbor_reader *r, int64_t key, void *ctx) {
  struct mb_record *rec = ctx;
  uint64_t kind;
  if (key == 0) {
    int rc = mb_cr_uint(r, &kind);
    if (rc == MB_OK)
      rec->kind = known_kind(kind);
    return rc;
  }
  if (rec->kind == MB_REC_HEARTBEAT)
    return read_hb_field(r, key, &rec->u.hb);
  if (rec->kind == MB_REC_SUSPECT || rec->kind == MB_REC_DEAD)
    return read_claim_field(r, key, &rec->u.claim);
  if (rec->kind == MB_REC_ACK)
    return wire_read_ack_field(r, key, &rec->u.ack);
  if (mb_record_kind_is_channel(rec->kind))
    return wire_read_channel_field(r, key, &rec->u.ch);
  return mb_cr_skip(r);
}

static uint32_t required_record_keys(enum mb_record_kind kind) {
  switch (kind) {
  case MB_REC_HEARTBEAT:
    return HB_REQUIRED;
  case MB_REC_SUSPECT:
  case MB_REC_DEAD:
    return CLAIM_REQUIRED;
  case MB_REC_ACK:
    return WIRE_ACK_REQUIRED;
  case MB_REC_REVOCATION:
  case MB_REC_BRIDGE_CURSOR:
  case MB_REC_INSTRUCTION:
  case MB_REC_RAID_STATE:
    return WIRE_CHANNEL_REQUIRED;
  default:
    return 1u; /* the kind */
  }
}

int mb_wire_record_parse(const uint8_t *buf, size_t len,
                         struct mb_record *out) {
  memset(out, 0, sizeof(*out));
  if (len > MB_WIRE_MAX_RECORD)
    return MB_ETOOBIG;
  int rc = mb_cose_sign1_parse(buf, len, false, &out->envelope);
  if (rc)
    return rc;
  uint32_t seen, need;
  rc = mb_cr_map_walk_all(out->envelope.payload, out->envelope.payload_len, 32,
                          read_record_field, out, &seen);
  if (rc)
    return rc;
  need = required_record_keys(out->kind);
  if (!(seen & 1u) || (seen & need) != need)
    return MB_EMISSING;
  if (out->kind == MB_REC_HEARTBEAT)
    memcpy(out->u.hb.node_id, out->envelope.kid, MB_NODE_ID_LEN);
  else if (out->kind == MB_REC_SUSPECT || out->kind == MB_REC_DEAD)
    memcpy(out->u.claim.author, out->envelope.kid, MB_NODE_ID_LEN);
  return MB_OK;
}

int mb_wire_record_open(struct mb_vcache *vc, const uint8_t *buf, size_t len,
                        const uint8_t *aad, size_t aad_len,
                        struct mb_record *out) {
  int rc = mb_wire_record_parse(buf, len, out);
  if (rc)
    return rc;
  return mb_cose_sign1_verify_cached(vc, &out->envelope, buf, len, aad, aad_len,
                                     out->envelope.kid);
}
