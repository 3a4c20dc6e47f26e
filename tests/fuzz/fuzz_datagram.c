/*
 * libFuzzer target: everything a node does with a UDP payload before the
 * protocol sees it — parse the envelope and body, check the sender's
 * signature under the cluster name, then parse every piggybacked record and
 * certificate.  Records are parsed even when the signature fails, because
 * that is the code an attacker without a key reaches.
 */
#include "fuzz_common.h"
#include "mb_wire.h"

static void check_list(const struct mb_bytes *items, size_t n,
                       const uint8_t *buf, size_t len) {
  for (size_t i = 0; i < n; i++)
    FUZZ_CHECK(fuzz_within(items[i].p, items[i].len, buf, len));
}

static void check_datagram(const struct mb_datagram *d, const uint8_t *buf,
                           size_t len) {
  FUZZ_CHECK(d->version == MB_WIRE_VERSION);
  FUZZ_CHECK(d->msg.kind >= MB_MSG_PING && d->msg.kind <= MB_MSG_GOSSIP);
  FUZZ_CHECK(d->n_records <= MB_WIRE_MAX_RECORDS);
  FUZZ_CHECK(d->n_certs <= MB_WIRE_MAX_CERTS);
  FUZZ_CHECK(fuzz_within(d->envelope.kid, MB_NODE_ID_LEN, buf, len));
  FUZZ_CHECK(fuzz_within(d->envelope.signature, MB_SIG_LEN, buf, len));
  FUZZ_CHECK(fuzz_within(d->envelope.payload, d->envelope.payload_len, buf,
                         len));
  check_list(d->records, d->n_records, buf, len);
  check_list(d->certs, d->n_certs, buf, len);
}

static void parse_records(const struct mb_datagram *d) {
  for (size_t i = 0; i < d->n_records; i++) {
    struct mb_record rec;
    if (mb_wire_record_parse(d->records[i].p, d->records[i].len, &rec) ==
        MB_OK)
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
  int rc = mb_wire_datagram_verify(&d, fuzz_aad(), FUZZ_AAD_LEN);
  FUZZ_CHECK(rc == MB_OK || rc == MB_EBADSIG);
  parse_records(&d);
  decode_certs(&d);
  return 0;
}
