/*
 * Channel records: signed records that are not heartbeats, one layout for
 * every kind (revocations, bridge cursors, instructions, the RAID
 * publication records), so that the core keeps, spreads and reconciles them
 * without knowing what they say.
 *
 *   channel-record = {0: kind (20..31), 1: subject, 2: version,
 *                     3: issued (ms), ?4: until (s), ?5: body}
 *
 * A kind's body is its own file's business (revocation_body.c,
 * cursor_body.c, instruction_body.c, raid_*_body.c).
 *
 * The signer is the record's kid; which signer a kind needs is the core's
 * business (src/gossip/channel/).  The body is a byte string so that the
 * channel carries a kind it cannot read as it is.
 */
#include "wire_internal.h"

#include <sodium.h>
#include <string.h>

enum channel_key {
  CH_KIND = 0,
  CH_SUBJECT = 1,
  CH_VERSION = 2,
  CH_ISSUED = 3,
  CH_UNTIL = 4,
  CH_BODY = 5,
};

_Static_assert(WIRE_CHANNEL_REQUIRED == (1u << CH_KIND | 1u << CH_SUBJECT |
                                         1u << CH_VERSION | 1u << CH_ISSUED),
               "kind, subject, version and issued are required");

bool mb_record_kind_is_channel(enum mb_record_kind kind) {
  switch (kind) {
  case MB_REC_REVOCATION:
  case MB_REC_BRIDGE_CURSOR:
  case MB_REC_INSTRUCTION:
  case MB_REC_RAID_ARRAY:
  case MB_REC_RAID_TASK:
  case MB_REC_RAID_LEADER:
    return true;
  default:
    return false;
  }
}

void mb_wire_record_ref(enum mb_record_kind kind, const uint8_t *subject,
                        size_t len, uint8_t ref[MB_RECORD_REF_LEN]) {
  uint8_t h[crypto_generichash_BYTES_MIN];
  crypto_generichash(h, sizeof(h), subject, len, NULL, 0);
  ref[0] = (uint8_t)kind;
  memcpy(ref + 1, h, MB_RECORD_REF_LEN - 1);
}

int mb_wire_channel_sign(const struct mb_identity *signer, const uint8_t *aad,
                         size_t aad_len, enum mb_record_kind kind,
                         const struct mb_channel_record *c, uint8_t *out,
                         size_t cap, size_t *out_len) {
  if (!mb_record_kind_is_channel(kind) || c->subject_len == 0 ||
      c->subject_len > MB_CHANNEL_SUBJECT_MAX || c->until_s < 0 ||
      c->body_len > MB_CHANNEL_BODY_MAX || (c->body == NULL && c->body_len > 0))
    return MB_EINVAL;
  uint8_t scratch[MB_CHANNEL_BODY_MAX + 128];
  struct mb_cbor_writer w;
  mb_cw_init(&w, scratch, sizeof(scratch));
  mb_cw_map(&w, 4 + (size_t)(c->until_s > 0) + (size_t)(c->body != NULL));
  mb_cw_uint(&w, CH_KIND), mb_cw_uint(&w, (uint64_t)kind);
  mb_cw_uint(&w, CH_SUBJECT), mb_cw_bytes(&w, c->subject, c->subject_len);
  mb_cw_uint(&w, CH_VERSION), mb_cw_uint(&w, c->version);
  mb_cw_uint(&w, CH_ISSUED), mb_cw_int(&w, c->issued_ms);
  if (c->until_s > 0)
    mb_cw_uint(&w, CH_UNTIL), mb_cw_int(&w, c->until_s);
  if (c->body != NULL)
    mb_cw_uint(&w, CH_BODY), mb_cw_bytes(&w, c->body, c->body_len);
  return wire_sign_payload(signer, aad, aad_len, &w, out, cap, out_len);
}

int mb_wire_channel_record_sign(const struct mb_identity *signer,
                                const char *cluster, enum mb_record_kind kind,
                                const uint8_t *subject, size_t subject_len,
                                uint64_t version, int64_t issued_ms,
                                int64_t until_s, const uint8_t *body,
                                size_t body_len, uint8_t *out, size_t cap,
                                size_t *len) {
  if (cluster == NULL || subject == NULL ||
      subject_len > MB_CHANNEL_SUBJECT_MAX)
    return MB_EINVAL;
  struct mb_channel_record c = {.subject_len = subject_len,
                                .version = version,
                                .issued_ms = issued_ms,
                                .until_s = until_s,
                                .body = body,
                                .body_len = body_len};
  memcpy(c.subject, subject, subject_len);
  return mb_wire_channel_sign(signer, (const uint8_t *)cluster, strlen(cluster),
                              kind, &c, out, cap, len);
}

int wire_read_channel_field(struct mb_cbor_reader *r, int64_t key,
                            struct mb_channel_record *c) {
  const uint8_t *p;
  size_t n;
  int rc;
  switch (key) {
  case CH_SUBJECT:
    rc = mb_cr_bytes(r, &p, &n);
    if (rc == MB_OK && (n == 0 || n > MB_CHANNEL_SUBJECT_MAX))
      rc = MB_ERANGE;
    if (rc == MB_OK)
      memcpy(c->subject, p, n), c->subject_len = n;
    return rc;
  case CH_VERSION:
    return mb_cr_uint(r, &c->version);
  case CH_ISSUED:
    return mb_cr_int(r, &c->issued_ms);
  case CH_UNTIL:
    rc = mb_cr_int(r, &c->until_s);
    return rc == MB_OK && c->until_s <= 0 ? MB_ERANGE : rc;
  case CH_BODY:
    rc = mb_cr_bytes(r, &c->body, &c->body_len);
    return rc == MB_OK && c->body_len > MB_CHANNEL_BODY_MAX ? MB_ETOOBIG : rc;
  default:
    return mb_cr_skip(r);
  }
}
