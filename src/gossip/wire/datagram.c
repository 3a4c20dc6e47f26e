/*
 * Datagrams: one signed COSE_Sign1 per UDP payload.
 *
 *   body = {1: version, 2: seq, 3: message, ?4: [+ bstr], ?5: [+ bstr]}
 *
 * The builder knows the exact encoded size at every step (heads are
 * computable from counts and lengths), so it can refuse the record that
 * would cross the budget instead of encoding and backing out.
 */
#include "wire_internal.h"

#include <string.h>

static size_t item_bytes(size_t len) { return mb_cbor_head_len(len) + len; }

static size_t body_size(const struct mb_dgram_builder *b) {
  size_t fields = 3 + (b->n_records > 0) + (b->n_certs > 0);
  size_t n = mb_cbor_head_len(fields);
  n += 1 + mb_cbor_head_len(MB_WIRE_VERSION);
  n += 1 + mb_cbor_head_len(b->seq);
  n += 1 + b->msg_len;
  if (b->n_records > 0)
    n += 1 + mb_cbor_head_len(b->n_records) + b->records_bytes;
  if (b->n_certs > 0)
    n += 1 + mb_cbor_head_len(b->n_certs) + b->certs_bytes;
  return n;
}

size_t mb_dgram_size(const struct mb_dgram_builder *b) {
  return MB_COSE_OVERHEAD + item_bytes(body_size(b));
}

int mb_dgram_init(struct mb_dgram_builder *b, const struct mb_identity *self,
                  const uint8_t *aad, size_t aad_len, size_t budget,
                  uint64_t seq, const struct mb_msg *msg) {
  if (msg->kind < MB_MSG_PING || msg->kind > MB_MSG_GOSSIP)
    return MB_EINVAL;
  memset(b, 0, sizeof(*b));
  b->self = self;
  b->aad = aad;
  b->aad_len = aad_len;
  b->budget = budget > MB_WIRE_MAX_DATAGRAM ? MB_WIRE_MAX_DATAGRAM : budget;
  b->seq = seq;
  struct mb_cbor_writer w;
  mb_cw_init(&w, b->msg, sizeof(b->msg));
  wire_write_msg(&w, msg);
  int rc = mb_cw_status(&w);
  if (rc)
    return rc;
  b->msg_len = w.len;
  return mb_dgram_size(b) <= b->budget ? MB_OK : MB_ENOSPACE;
}

/* Adds one byte-string item to a list if the datagram still fits. */
static int add_item(struct mb_dgram_builder *b, struct mb_bytes *list,
                    size_t *count, size_t max, size_t *bytes,
                    const uint8_t *p, size_t len) {
  if (*count == max)
    return MB_ENOSPACE;
  list[*count] = (struct mb_bytes){.p = p, .len = len};
  (*count)++;
  *bytes += item_bytes(len);
  if (mb_dgram_size(b) <= b->budget)
    return MB_OK;
  (*count)--;
  *bytes -= item_bytes(len);
  return MB_ENOSPACE;
}

int mb_dgram_add_record(struct mb_dgram_builder *b, const uint8_t *rec,
                        size_t len) {
  return add_item(b, b->records, &b->n_records, MB_WIRE_MAX_RECORDS,
                  &b->records_bytes, rec, len);
}

int mb_dgram_add_cert(struct mb_dgram_builder *b, const uint8_t *cert,
                      size_t len) {
  return add_item(b, b->certs, &b->n_certs, MB_WIRE_MAX_CERTS,
                  &b->certs_bytes, cert, len);
}

void mb_dgram_save(const struct mb_dgram_builder *b, struct mb_dgram_mark *m) {
  *m = (struct mb_dgram_mark){.n_records = b->n_records,
                              .records_bytes = b->records_bytes,
                              .n_certs = b->n_certs,
                              .certs_bytes = b->certs_bytes};
}

void mb_dgram_restore(struct mb_dgram_builder *b,
                      const struct mb_dgram_mark *m) {
  b->n_records = m->n_records;
  b->records_bytes = m->records_bytes;
  b->n_certs = m->n_certs;
  b->certs_bytes = m->certs_bytes;
}

static void write_list(struct mb_cbor_writer *w, uint64_t key,
                       const struct mb_bytes *items, size_t n) {
  if (n == 0)
    return;
  mb_cw_uint(w, key);
  mb_cw_array(w, n);
  for (size_t i = 0; i < n; i++)
    mb_cw_bytes(w, items[i].p, items[i].len);
}

int mb_dgram_finish(const struct mb_dgram_builder *b, uint8_t *out,
                    size_t cap, size_t *out_len) {
  uint8_t body[MB_WIRE_MAX_DATAGRAM];
  struct mb_cbor_writer w;
  mb_cw_init(&w, body, sizeof(body));
  mb_cw_map(&w, 3 + (b->n_records > 0) + (b->n_certs > 0));
  mb_cw_uint(&w, MB_DG_VERSION), mb_cw_uint(&w, MB_WIRE_VERSION);
  mb_cw_uint(&w, MB_DG_SEQ), mb_cw_uint(&w, b->seq);
  mb_cw_uint(&w, MB_DG_MESSAGE), mb_cw_raw(&w, b->msg, b->msg_len);
  write_list(&w, MB_DG_RECORDS, b->records, b->n_records);
  write_list(&w, MB_DG_CERTS, b->certs, b->n_certs);
  int rc = mb_cw_status(&w);
  if (rc)
    return rc;
  struct mb_cbor_writer dw;
  mb_cw_init(&dw, out, cap);
  rc = mb_cose_sign1_write(&dw, b->self, b->aad, b->aad_len, body, w.len);
  if (rc == MB_OK)
    *out_len = dw.len;
  return rc;
}

static int read_list(struct mb_cbor_reader *r, struct mb_bytes *items,
                     size_t *n, size_t max) {
  struct mb_cbor_token t;
  int rc = mb_cr_expect(r, MB_CBOR_ARRAY, &t);
  if (rc)
    return rc;
  if (t.u > max)
    return MB_ETOOBIG;
  if (t.u == 0)
    return MB_ERANGE; /* an empty list is written by leaving the key out */
  for (size_t i = 0; i < t.u; i++) {
    rc = mb_cr_bytes(r, &items[i].p, &items[i].len);
    if (rc)
      return rc;
  }
  *n = (size_t)t.u;
  return MB_OK;
}

static int read_body_field(struct mb_cbor_reader *r, int64_t key,
                           void *ctx) {
  struct mb_datagram *d = ctx;
  switch (key) {
  case MB_DG_VERSION:
    return mb_cr_uint(r, &d->version);
  case MB_DG_SEQ:
    return mb_cr_uint(r, &d->seq);
  case MB_DG_MESSAGE:
    return wire_read_msg(r, &d->msg);
  case MB_DG_RECORDS:
    return read_list(r, d->records, &d->n_records, MB_WIRE_MAX_RECORDS);
  case MB_DG_CERTS:
    return read_list(r, d->certs, &d->n_certs, MB_WIRE_MAX_CERTS);
  default:
    return mb_cr_skip(r);
  }
}

#define REQUIRED_BODY_KEYS                                                     \
  (1u << MB_DG_VERSION | 1u << MB_DG_SEQ | 1u << MB_DG_MESSAGE)

static int read_body(const uint8_t *p, size_t n, struct mb_datagram *d) {
  uint32_t seen;
  int rc = mb_cr_map_walk_all(p, n, 32, read_body_field, d, &seen);
  if (rc)
    return rc;
  if ((seen & REQUIRED_BODY_KEYS) != REQUIRED_BODY_KEYS)
    return MB_EMISSING;
  return d->version == MB_WIRE_VERSION ? MB_OK : MB_EVERSION;
}

int mb_wire_datagram_parse(const uint8_t *buf, size_t len,
                           struct mb_datagram *out) {
  memset(out, 0, sizeof(*out));
  if (len > MB_WIRE_MAX_DATAGRAM)
    return MB_ETOOBIG;
  int rc = mb_cose_sign1_parse(buf, len, false, &out->envelope);
  if (rc)
    return rc;
  return read_body(out->envelope.payload, out->envelope.payload_len, out);
}

int mb_wire_datagram_verify(const struct mb_datagram *d, const uint8_t *aad,
                            size_t aad_len) {
  return mb_wire_datagram_verify_scheme(NULL, d, aad, aad_len);
}

int mb_wire_datagram_verify_scheme(const struct mb_sig_scheme *scheme,
                                   const struct mb_datagram *d,
                                   const uint8_t *aad, size_t aad_len) {
  return mb_cose_sign1_verify_scheme(scheme, &d->envelope, aad, aad_len,
                                     d->envelope.kid);
}

int mb_wire_datagram_open(const uint8_t *buf, size_t len, const uint8_t *aad,
                          size_t aad_len, struct mb_datagram *out) {
  int rc = mb_wire_datagram_parse(buf, len, out);
  if (rc == MB_OK)
    rc = mb_wire_datagram_verify(out, aad, aad_len);
  return rc;
}
