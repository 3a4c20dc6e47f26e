/* The task leases' payloads (lease.h). */
#include "lease.h"

static void put_be(uint8_t *p, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; i--, v >>= 8)
    p[i] = (uint8_t)v;
}

static uint64_t get_be(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; i++)
    v = v << 8 | p[i];
  return v;
}

/* Requests carry 4 zero bytes where grants have the time left: a grant is
 * never larger than the request it answers. */
#define ITEM_LEN 12

size_t coord_lease_encode(const struct coord_lease_msg *m,
                          uint8_t out[COORD_LEASE_MAX]) {
  size_t n = m->n < MB_HB_TASKS_MAX ? m->n : MB_HB_TASKS_MAX;
  out[0] = m->type;
  put_be(out + 1, m->nonce, 8);
  out[9] = (uint8_t)n;
  uint8_t *p = out + COORD_LEASE_HEAD;
  for (size_t i = 0; i < n; i++, p += ITEM_LEN) {
    put_be(p, m->task[i], 8);
    put_be(p + 8, m->type == COORD_LEASE_GRANT ? m->left_ms[i] : 0, 4);
  }
  return (size_t)(p - out);
}

int coord_lease_decode(const uint8_t *buf, size_t len,
                       struct coord_lease_msg *out) {
  if (buf == NULL || len < COORD_LEASE_HEAD ||
      (buf[0] != COORD_LEASE_REQUEST && buf[0] != COORD_LEASE_GRANT) ||
      buf[9] > MB_HB_TASKS_MAX ||
      len != COORD_LEASE_HEAD + (size_t)buf[9] * ITEM_LEN)
    return MB_EINVAL;
  out->type = buf[0];
  out->nonce = get_be(buf + 1, 8);
  out->n = buf[9];
  const uint8_t *p = buf + COORD_LEASE_HEAD;
  for (size_t i = 0; i < out->n; i++, p += ITEM_LEN) {
    out->task[i] = get_be(p, 8);
    out->left_ms[i] =
        out->type == COORD_LEASE_GRANT ? (uint32_t)get_be(p + 8, 4) : 0;
  }
  return MB_OK;
}
