/*
 * CBOR diagnostic notation (RFC 8949 §8) for `meshbeat inspect`, with the
 * RFC 8610 Appendix G "<<...>>" form for byte strings that hold one whole
 * CBOR item, so the nested signed records of a datagram read as data.
 */
#include "cli.h"

#include "mb_common.h"

#define DIAG_MAX_DEPTH 24

static int print_item(FILE *f, struct mb_cbor_reader *r, int depth);

static void print_text(FILE *f, const uint8_t *p, size_t n) {
  fputc('"', f);
  for (size_t i = 0; i < n; i++) {
    if (p[i] == '"' || p[i] == '\\')
      fprintf(f, "\\%c", p[i]);
    else if (p[i] < 0x20 || p[i] == 0x7f)
      fprintf(f, "\\u%04x", p[i]);
    else
      fputc(p[i], f);
  }
  fputc('"', f);
}

/* True when the bytes are exactly one container item in strict encoding. */
static bool holds_cbor(const uint8_t *p, size_t n) {
  if (n == 0 || p[0] < 0x80 || p[0] > 0xdb)
    return false;
  struct mb_cbor_reader r;
  mb_cr_init(&r, p, n);
  return mb_cr_skip(&r) == MB_OK && mb_cr_done(&r);
}

static int print_bytes(FILE *f, const uint8_t *p, size_t n, int depth) {
  if (holds_cbor(p, n)) {
    struct mb_cbor_reader inner;
    mb_cr_init(&inner, p, n);
    fputs("<<", f);
    int rc = print_item(f, &inner, depth + 1);
    fputs(">>", f);
    return rc;
  }
  fputs("h'", f);
  for (size_t i = 0; i < n; i++)
    fprintf(f, "%02x", p[i]);
  fputc('\'', f);
  return MB_OK;
}

static int print_children(FILE *f, struct mb_cbor_reader *r, uint64_t n,
                          bool pairs, int depth) {
  for (uint64_t i = 0; i < n; i++) {
    if (i > 0)
      fputs(", ", f);
    int rc = print_item(f, r, depth + 1);
    if (rc == MB_OK && pairs) {
      fputs(": ", f);
      rc = print_item(f, r, depth + 1);
    }
    if (rc)
      return rc;
  }
  return MB_OK;
}

static int print_container(FILE *f, struct mb_cbor_reader *r,
                           const struct mb_cbor_token *t, int depth) {
  int rc;
  switch (t->type) {
  case MB_CBOR_ARRAY:
    fputc('[', f);
    rc = print_children(f, r, t->u, false, depth);
    fputc(']', f);
    return rc;
  case MB_CBOR_MAP:
    fputc('{', f);
    rc = print_children(f, r, t->u, true, depth);
    fputc('}', f);
    return rc;
  default: /* tag */
    fprintf(f, "%llu(", (unsigned long long)t->u);
    rc = print_item(f, r, depth + 1);
    fputc(')', f);
    return rc;
  }
}

static int print_item(FILE *f, struct mb_cbor_reader *r, int depth) {
  if (depth > DIAG_MAX_DEPTH)
    return MB_EDEPTH;
  struct mb_cbor_token t;
  int rc = mb_cr_next(r, &t);
  if (rc)
    return rc;
  switch (t.type) {
  case MB_CBOR_UINT:
    fprintf(f, "%llu", (unsigned long long)t.u);
    return MB_OK;
  case MB_CBOR_NEGINT:
    if (t.u == UINT64_MAX)
      fputs("-18446744073709551616", f);
    else
      fprintf(f, "-%llu", (unsigned long long)t.u + 1);
    return MB_OK;
  case MB_CBOR_BYTES:
    return print_bytes(f, t.ptr, t.len, depth);
  case MB_CBOR_TEXT:
    print_text(f, t.ptr, t.len);
    return MB_OK;
  case MB_CBOR_FALSE:
    fputs("false", f);
    return MB_OK;
  case MB_CBOR_TRUE:
    fputs("true", f);
    return MB_OK;
  case MB_CBOR_NULL:
    fputs("null", f);
    return MB_OK;
  case MB_CBOR_UNDEFINED:
    fputs("undefined", f);
    return MB_OK;
  case MB_CBOR_FLOAT:
    fprintf(f, "%g", t.f);
    return MB_OK;
  default:
    return print_container(f, r, &t, depth);
  }
}

int cli_print_diag(FILE *f, const uint8_t *buf, size_t len) {
  struct mb_cbor_reader r;
  mb_cr_init(&r, buf, len);
  int rc = print_item(f, &r, 0);
  fputc('\n', f);
  if (rc == MB_OK && !mb_cr_done(&r))
    rc = MB_ETRAILING;
  return rc;
}
