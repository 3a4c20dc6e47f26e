/*
 * Datagrams: one COSE_Mac0 (between members) or COSE_Sign1 per UDP
 * payload.
 *
 *   body = {1: version, 2: seq, 3: message, ?4: [+ bstr], ?5: [+ bstr],
 *           ?6: receiver's ref, ?7: padding}
 *
 * The builder knows the exact encoded size at every step (heads are
 * computable from counts and lengths), so it can refuse the record that
 * would cross the budget instead of encoding and backing out.
 */
#include "wire_internal.h"

#include <string.h>

static size_t item_bytes(size_t len) {
  return mb_cbor_head_len(len) + len;
}

static size_t n_fields(const struct mb_dgram_builder *b, size_t pad) {
  return 3 + (b->n_records > 0) + (b->n_certs > 0) + (b->to_id != NULL) +
         (pad > 0);
}

static size_t body_size_padded(const struct mb_dgram_builder *b, size_t pad) {
  size_t n = mb_cbor_head_len(n_fields(b, pad));
  n += 1 + mb_cbor_head_len(MB_WIRE_VERSION);
  n += 1 + mb_cbor_head_len(b->seq);
  n += 1 + b->msg_len;
  if (b->n_records > 0)
    n += 1 + mb_cbor_head_len(b->n_records) + b->records_bytes;
  if (b->n_certs > 0)
    n += 1 + mb_cbor_head_len(b->n_certs) + b->certs_bytes;
  if (b->to_id != NULL)
    n += 1 + item_bytes(MB_NODE_REF_LEN);
  if (pad > 0)
    n += 1 + item_bytes(pad);
  return n;
}

static size_t size_padded(const struct mb_dgram_builder *b, size_t pad) {
  size_t envelope = b->mac_key ? MB_MAC0_OVERHEAD : MB_COSE_OVERHEAD;
  return envelope + item_bytes(body_size_padded(b, pad));
}

/* Padding bytes that bring the datagram to pad_to (0: none needed). */
static size_t padding(const struct mb_dgram_builder *b) {
  size_t bare = size_padded(b, 0);
  if (b->pad_to <= bare + 2)
    return 0;
  size_t pad = b->pad_to - bare - 2;
  while (pad > 1 && size_padded(b, pad) > b->pad_to)
    pad--;
  while (size_padded(b, pad) < b->pad_to)
    pad++;
  return pad;
}

size_t mb_dgram_size(const struct mb_dgram_builder *b) {
  return size_padded(b, padding(b));
}

void mb_dgram_bind(struct mb_dgram_builder *b, const uint8_t *to_id,
                   uint64_t to_epoch) {
  b->to_id = to_id;
  b->to_epoch = to_epoch;
}

int mb_dgram_use_mac(struct mb_dgram_builder *b, const uint8_t *key) {
  if (b->to_id == NULL)
    return MB_EINVAL;
  b->mac_key = key;
  return MB_OK;
}

void mb_dgram_pad(struct mb_dgram_builder *b, size_t total) {
  b->pad_to = total > b->budget ? b->budget : total;
}

int mb_wire_bound_aad(uint8_t out[MB_WIRE_AAD_MAX], const uint8_t *aad,
                      size_t aad_len, const uint8_t *to_id, uint64_t epoch,
                      size_t *out_len) {
  if (aad_len > MB_WIRE_AAD_MAX - MB_NODE_ID_LEN - 8)
    return MB_ETOOBIG;
  if (aad_len > 0)
    memcpy(out, aad, aad_len);
  memcpy(out + aad_len, to_id, MB_NODE_ID_LEN);
  for (int i = 0; i < 8; i++)
    out[aad_len + MB_NODE_ID_LEN + i] = (uint8_t)(epoch >> (56 - 8 * i));
  *out_len = aad_len + MB_NODE_ID_LEN + 8;
  return MB_OK;
}

int mb_dgram_init(struct mb_dgram_builder *b, const struct mb_identity *self,
                  const uint8_t *aad, size_t aad_len, size_t budget,
                  uint64_t seq, const struct mb_msg *msg) {
  if (msg->kind < MB_MSG_PING || msg->kind > MB_MSG_KIND_LAST)
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
                    size_t *count, size_t max, size_t *bytes, const uint8_t *p,
                    size_t len) {
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
  return add_item(b, b->certs, &b->n_certs, MB_WIRE_MAX_CERTS, &b->certs_bytes,
                  cert, len);
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

static void write_body(struct mb_cbor_writer *w,
                       const struct mb_dgram_builder *b) {
  static const uint8_t zeros[MB_WIRE_DEFAULT_BUDGET];
  size_t pad = padding(b);
  mb_cw_map(w, n_fields(b, pad));
  mb_cw_uint(w, MB_DG_VERSION), mb_cw_uint(w, MB_WIRE_VERSION);
  mb_cw_uint(w, MB_DG_SEQ), mb_cw_uint(w, b->seq);
  mb_cw_uint(w, MB_DG_MESSAGE), mb_cw_raw(w, b->msg, b->msg_len);
  write_list(w, MB_DG_RECORDS, b->records, b->n_records);
  write_list(w, MB_DG_CERTS, b->certs, b->n_certs);
  if (b->to_id != NULL)
    mb_cw_uint(w, MB_DG_TO), mb_cw_bytes(w, b->to_id, MB_NODE_REF_LEN);
  if (pad > sizeof(zeros))
    pad = sizeof(zeros); /* a budget above the default: pads less */
  if (pad > 0)
    mb_cw_uint(w, MB_DG_PADDING), mb_cw_bytes(w, zeros, pad);
}

int mb_dgram_finish(const struct mb_dgram_builder *b, uint8_t *out, size_t cap,
                    size_t *out_len) {
  uint8_t body[MB_WIRE_MAX_DATAGRAM];
  uint8_t bound[MB_WIRE_AAD_MAX];
  const uint8_t *aad = b->aad;
  size_t aad_len = b->aad_len;
  struct mb_cbor_writer w;
  mb_cw_init(&w, body, sizeof(body));
  write_body(&w, b);
  int rc = mb_cw_status(&w);
  if (rc == MB_OK && b->to_id != NULL) {
    rc = mb_wire_bound_aad(bound, b->aad, b->aad_len, b->to_id, b->to_epoch,
                           &aad_len);
    aad = bound;
  }
  if (rc)
    return rc;
  struct mb_cbor_writer dw;
  mb_cw_init(&dw, out, cap);
  if (b->mac_key != NULL)
    rc = mb_cose_mac0_write(&dw, b->mac_key, b->self->pk, aad, aad_len, body,
                            w.len);
  else
    rc = mb_cose_sign1_write(&dw, b->self, aad, aad_len, body, w.len);
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

static int read_body_field(struct mb_cbor_reader *r, int64_t key, void *ctx) {
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
  case MB_DG_TO: {
    size_t n;
    int rc = mb_cr_bytes(r, &d->to, &n);
    return rc ? rc : n == MB_NODE_REF_LEN ? MB_OK : MB_ERANGE;
  }
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
  out->mac = len > 0 && buf[0] == 0xc0 + MB_COSE_TAG_MAC0;
  int rc;
  if (out->mac) {
    rc = mb_cose_mac0_parse(buf, len, &out->mac0);
    out->sender_ref = out->mac0.kid;
  } else {
    rc = mb_cose_sign1_parse(buf, len, false, &out->envelope);
    out->sender_ref = out->envelope.kid;
  }
  if (rc)
    return rc;
  const uint8_t *body = out->mac ? out->mac0.payload : out->envelope.payload;
  size_t body_len =
      out->mac ? out->mac0.payload_len : out->envelope.payload_len;
  rc = read_body(body, body_len, out);
  if (rc == MB_OK && out->mac && out->to == NULL)
    rc = MB_EMISSING; /* a MAC binds a pair: it names its receiver */
  return rc;
}

int mb_wire_datagram_auth(const struct mb_datagram *d,
                          const struct mb_dgram_auth *a) {
  uint8_t bound[MB_WIRE_AAD_MAX];
  const uint8_t *aad = a->aad;
  size_t aad_len = a->aad_len;
  if (d->to != NULL) {
    if (a->self_id == NULL)
      return MB_EINVAL;
    int rc = mb_wire_bound_aad(bound, a->aad, a->aad_len, a->self_id,
                               a->self_epoch, &aad_len);
    if (rc)
      return rc;
    aad = bound;
  }
  if (d->mac)
    return a->key ? mb_cose_mac0_verify(&d->mac0, a->key, aad, aad_len)
                  : MB_EKID;
  return mb_cose_sign1_verify_scheme(a->scheme, &d->envelope, aad, aad_len,
                                     d->envelope.kid);
}

int mb_wire_datagram_verify(const struct mb_datagram *d, const uint8_t *aad,
                            size_t aad_len) {
  return mb_wire_datagram_verify_scheme(NULL, d, aad, aad_len);
}

int mb_wire_datagram_verify_scheme(const struct mb_sig_scheme *scheme,
                                   const struct mb_datagram *d,
                                   const uint8_t *aad, size_t aad_len) {
  if (d->mac || d->to != NULL)
    return MB_EBADSIG; /* needs the receiver's side: mb_wire_datagram_auth */
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
