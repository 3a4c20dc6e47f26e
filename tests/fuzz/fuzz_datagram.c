/*
 * libFuzzer target: everything a node does with a UDP payload before the
 * protocol sees it — parse the envelope (COSE_Sign1 or COSE_Mac0) and body,
 * check the sender's signature or MAC as node B at FUZZ_EPOCH would, then
 * parse every piggybacked record and certificate.  Records are parsed even when
 * the signature fails, because that is the code an attacker without a key
 * reaches.
 */
#include "fuzz_common.h"
#include "mb_wire.h"

static void check_list(const struct mb_bytes *items, size_t n,
                       const uint8_t *buf, size_t len) {
  for (size_t i = 0; i < n; i++)
    FUZZ_CHECK(fuzz_within(items[i].p, items[i].len, buf, len));
}

/* The record channel's fields of a paged message point into the input,
 * in whole entries. */
static void check_channel_fields(const struct mb_msg *m, const uint8_t *buf,
                                 size_t len) {
  if (m->has_rsummary) {
    FUZZ_CHECK(m->rsummary_len % MB_RECORD_ENTRY_LEN == 0);
    FUZZ_CHECK(m->rsummary_len == 0 ||
               fuzz_within(m->rsummary, m->rsummary_len, buf, len));
  }
  if (m->rpull != NULL) {
    FUZZ_CHECK(m->rpull_len > 0 && m->rpull_len % MB_RECORD_REF_LEN == 0);
    FUZZ_CHECK(fuzz_within(m->rpull, m->rpull_len, buf, len));
  }
}

static void check_datagram(const struct mb_datagram *d, const uint8_t *buf,
                           size_t len) {
  check_channel_fields(&d->msg, buf, len);
  FUZZ_CHECK(d->version == MB_WIRE_VERSION);
  FUZZ_CHECK(d->msg.kind >= MB_MSG_PING && d->msg.kind <= MB_MSG_KIND_LAST);
  FUZZ_CHECK(d->msg.kind == MB_MSG_APP || d->msg.app_len == 0);
  FUZZ_CHECK(d->msg.app_len == 0 ||
             fuzz_within(d->msg.app_payload, d->msg.app_len, buf, len));
  FUZZ_CHECK(d->n_records <= MB_WIRE_MAX_RECORDS);
  FUZZ_CHECK(d->n_certs <= MB_WIRE_MAX_CERTS);
  FUZZ_CHECK(fuzz_within(d->sender_ref, MB_NODE_REF_LEN, buf, len));
  FUZZ_CHECK(d->to == NULL || fuzz_within(d->to, MB_NODE_REF_LEN, buf, len));
  FUZZ_CHECK(!d->mac || d->to != NULL);
  if (d->mac) {
    FUZZ_CHECK(fuzz_within(d->mac0.tag, MB_MAC_TAG_LEN, buf, len));
    FUZZ_CHECK(fuzz_within(d->mac0.payload, d->mac0.payload_len, buf, len));
    return;
  }
  FUZZ_CHECK(fuzz_within(d->envelope.kid, MB_NODE_ID_LEN, buf, len));
  FUZZ_CHECK(fuzz_within(d->envelope.signature, MB_SIG_LEN, buf, len));
  FUZZ_CHECK(
      fuzz_within(d->envelope.payload, d->envelope.payload_len, buf, len));
  check_list(d->records, d->n_records, buf, len);
  check_list(d->certs, d->n_certs, buf, len);
}

static void parse_records(const struct mb_datagram *d) {
  for (size_t i = 0; i < d->n_records; i++) {
    struct mb_record rec;
    if (mb_wire_record_parse(d->records[i].p, d->records[i].len, &rec) == MB_OK)
      FUZZ_CHECK(rec.envelope.kid != NULL);
  }
}

static void decode_certs(const struct mb_datagram *d) {
  for (size_t i = 0; i < d->n_certs; i++) {
    struct mb_cert cert;
    if (mb_cert_decode(d->certs[i].p, d->certs[i].len, &cert) == MB_OK)
      FUZZ_CHECK(cert.name[0] != '\0');
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* The struct is large (80 list entries); keep it off the stack the way a
   * receive loop would keep it in its instance. */
  static struct mb_datagram d;
  if (mb_wire_datagram_parse(data, size, &d) != MB_OK)
    return 0;
  check_datagram(&d, data, size);
  static struct mb_identity a, b;
  static uint8_t key[MB_PAIR_KEY_LEN];
  if (a.pk[0] == 0) {
    fuzz_identity(&a, FUZZ_KEY_NODE_A);
    fuzz_identity(&b, FUZZ_KEY_NODE_B);
    FUZZ_CHECK(mb_pair_key(key, &b, a.pk) == MB_OK);
  }
  struct mb_dgram_auth auth = {.aad = fuzz_aad(),
                               .aad_len = FUZZ_AAD_LEN,
                               .self_id = b.pk,
                               .self_epoch = FUZZ_EPOCH,
                               .key = key};
  int rc = mb_wire_datagram_auth(&d, &auth);
  FUZZ_CHECK(rc == MB_OK || rc == MB_EBADSIG);
  parse_records(&d);
  decode_certs(&d);
  return 0;
}
