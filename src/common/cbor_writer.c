/*
 * Deterministic CBOR output into a fixed buffer.  libcbor's cbor_encode_*
 * functions already choose the shortest head; this file adds the sticky
 * "did it all fit" state that lets builders stop at a datagram budget.
 */
#include "mb_common.h"

#include <cbor.h>
#include <string.h>

void mb_cw_init(struct mb_cbor_writer *w, uint8_t *buf, size_t cap) {
  w->buf = buf;
  w->cap = cap;
  w->len = 0;
  w->err = MB_OK;
}

int mb_cw_status(const struct mb_cbor_writer *w) {
  return w->err;
}

/* Applies one libcbor encoder result: 0 bytes written means "did not fit". */
static void cw_advance(struct mb_cbor_writer *w, size_t written) {
  if (written == 0)
    w->err = MB_ENOSPACE;
  else
    w->len += written;
}

static unsigned char *cw_cursor(struct mb_cbor_writer *w, size_t *room) {
  *room = w->cap - w->len;
  return w->buf + w->len;
}

void mb_cw_uint(struct mb_cbor_writer *w, uint64_t v) {
  size_t room;
  if (w->err)
    return;
  unsigned char *p = cw_cursor(w, &room);
  cw_advance(w, cbor_encode_uint(v, p, room));
}

void mb_cw_int(struct mb_cbor_writer *w, int64_t v) {
  size_t room;
  if (w->err)
    return;
  unsigned char *p = cw_cursor(w, &room);
  if (v >= 0)
    cw_advance(w, cbor_encode_uint((uint64_t)v, p, room));
  else
    cw_advance(w, cbor_encode_negint((uint64_t)(-(v + 1)), p, room));
}

void mb_cw_raw(struct mb_cbor_writer *w, const void *p, size_t n) {
  if (w->err)
    return;
  if (n > w->cap - w->len) {
    w->err = MB_ENOSPACE;
    return;
  }
  if (n > 0)
    memcpy(w->buf + w->len, p, n);
  w->len += n;
}

void mb_cw_bytes_head(struct mb_cbor_writer *w, size_t n) {
  size_t room;
  if (w->err)
    return;
  unsigned char *p = cw_cursor(w, &room);
  cw_advance(w, cbor_encode_bytestring_start(n, p, room));
}

void mb_cw_bytes(struct mb_cbor_writer *w, const void *p, size_t n) {
  mb_cw_bytes_head(w, n);
  mb_cw_raw(w, p, n);
}

void mb_cw_text(struct mb_cbor_writer *w, const char *s, size_t n) {
  size_t room;
  if (w->err)
    return;
  unsigned char *p = cw_cursor(w, &room);
  cw_advance(w, cbor_encode_string_start(n, p, room));
  mb_cw_raw(w, s, n);
}

void mb_cw_textz(struct mb_cbor_writer *w, const char *s) {
  mb_cw_text(w, s, strlen(s));
}

void mb_cw_array(struct mb_cbor_writer *w, size_t n) {
  size_t room;
  if (w->err)
    return;
  unsigned char *p = cw_cursor(w, &room);
  cw_advance(w, cbor_encode_array_start(n, p, room));
}

void mb_cw_map(struct mb_cbor_writer *w, size_t n) {
  size_t room;
  if (w->err)
    return;
  unsigned char *p = cw_cursor(w, &room);
  cw_advance(w, cbor_encode_map_start(n, p, room));
}

void mb_cw_tag(struct mb_cbor_writer *w, uint64_t tag) {
  size_t room;
  if (w->err)
    return;
  unsigned char *p = cw_cursor(w, &room);
  cw_advance(w, cbor_encode_tag(tag, p, room));
}

void mb_cw_bool(struct mb_cbor_writer *w, bool v) {
  size_t room;
  if (w->err)
    return;
  unsigned char *p = cw_cursor(w, &room);
  cw_advance(w, cbor_encode_bool(v, p, room));
}

void mb_cw_null(struct mb_cbor_writer *w) {
  size_t room;
  if (w->err)
    return;
  unsigned char *p = cw_cursor(w, &room);
  cw_advance(w, cbor_encode_null(p, room));
}
