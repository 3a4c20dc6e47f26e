/*
 * The body of a bridge cursor (channel kind 21): what the active bridge
 * tells every member about its deliveries, so that the member that takes
 * over after it knows which events went out and which episodes are open
 * (docs/bridge.md).
 *
 *   cursor body = {1: [* bstr .size 16], 2: delivered, 3: pending,
 *                  ?4: [* [bstr .size 8, incarnation]]}
 *
 * Every count is bounded before anything is read, and the body as a whole
 * by MB_CHANNEL_BODY_MAX, on both sides.
 */
#include "wire_internal.h"

#include <string.h>

enum cursor_key {
  CUR_EVENTS = 1,
  CUR_DELIVERED = 2,
  CUR_PENDING = 3,
  CUR_EPISODES = 4,
};

#define CURSOR_REQUIRED                                                        \
  (1u << CUR_EVENTS | 1u << CUR_DELIVERED | 1u << CUR_PENDING)
#define CURSOR_MAX_PAIRS 8

static void write_episodes(struct mb_cbor_writer *w,
                           const struct mb_bridge_cursor *c) {
  mb_cw_array(w, c->n_episodes);
  for (size_t i = 0; i < c->n_episodes; i++) {
    mb_cw_array(w, 2);
    mb_cw_bytes(w, c->episodes[i].member, MB_NODE_REF_LEN);
    mb_cw_uint(w, c->episodes[i].incarnation);
  }
}

int mb_wire_cursor_body(const struct mb_bridge_cursor *c, uint8_t *out,
                        size_t cap, size_t *len) {
  if (c->n_events > MB_CURSOR_MAX_EVENTS ||
      c->n_episodes > MB_CURSOR_MAX_EPISODES)
    return MB_EINVAL;
  uint8_t scratch[MB_CHANNEL_BODY_MAX];
  struct mb_cbor_writer w;
  mb_cw_init(&w, scratch, sizeof(scratch));
  bool episodes = c->n_episodes > 0;
  mb_cw_map(&w, 3 + (size_t)episodes);
  mb_cw_uint(&w, CUR_EVENTS), mb_cw_array(&w, c->n_events);
  for (size_t i = 0; i < c->n_events; i++)
    mb_cw_bytes(&w, c->events[i], MB_CURSOR_EVENT_ID_LEN);
  mb_cw_uint(&w, CUR_DELIVERED), mb_cw_uint(&w, c->delivered);
  mb_cw_uint(&w, CUR_PENDING), mb_cw_uint(&w, c->pending);
  if (episodes)
    mb_cw_uint(&w, CUR_EPISODES), write_episodes(&w, c);
  if (mb_cw_status(&w) != MB_OK)
    return MB_ETOOBIG; /* past MB_CHANNEL_BODY_MAX */
  if (w.len > cap)
    return MB_ENOSPACE;
  memcpy(out, scratch, w.len);
  *len = w.len;
  return MB_OK;
}

/* An array head of at most max items: its count. */
static int read_count(struct mb_cbor_reader *r, size_t max, size_t *n) {
  struct mb_cbor_token t;
  int rc = mb_cr_expect(r, MB_CBOR_ARRAY, &t);
  if (rc == MB_OK && t.u > max)
    rc = MB_ETOOBIG;
  if (rc == MB_OK)
    *n = (size_t)t.u;
  return rc;
}

/* A byte string of exactly len bytes, copied. */
static int read_fixed(struct mb_cbor_reader *r, uint8_t *dst, size_t len) {
  const uint8_t *p;
  size_t n;
  int rc = mb_cr_bytes(r, &p, &n);
  if (rc == MB_OK && n != len)
    rc = MB_ERANGE;
  if (rc == MB_OK)
    memcpy(dst, p, len);
  return rc;
}

static int read_events(struct mb_cbor_reader *r, struct mb_bridge_cursor *c) {
  int rc = read_count(r, MB_CURSOR_MAX_EVENTS, &c->n_events);
  for (size_t i = 0; rc == MB_OK && i < c->n_events; i++)
    rc = read_fixed(r, c->events[i], MB_CURSOR_EVENT_ID_LEN);
  return rc;
}

/* [node ref, incarnation]: exactly two items. */
static int read_episode(struct mb_cbor_reader *r, struct mb_cursor_episode *e) {
  struct mb_cbor_token t;
  int rc = mb_cr_expect(r, MB_CBOR_ARRAY, &t);
  if (rc == MB_OK && t.u != 2)
    rc = MB_ERANGE;
  if (rc == MB_OK)
    rc = read_fixed(r, e->member, MB_NODE_REF_LEN);
  if (rc == MB_OK)
    rc = mb_cr_uint(r, &e->incarnation);
  return rc;
}

static int read_episodes(struct mb_cbor_reader *r, struct mb_bridge_cursor *c) {
  int rc = read_count(r, MB_CURSOR_MAX_EPISODES, &c->n_episodes);
  for (size_t i = 0; rc == MB_OK && i < c->n_episodes; i++)
    rc = read_episode(r, &c->episodes[i]);
  return rc;
}

static int read_cursor_field(struct mb_cbor_reader *r, int64_t key, void *ctx) {
  struct mb_bridge_cursor *c = ctx;
  switch (key) {
  case CUR_EVENTS:
    return read_events(r, c);
  case CUR_DELIVERED:
    return mb_cr_uint(r, &c->delivered);
  case CUR_PENDING:
    return mb_cr_uint(r, &c->pending);
  case CUR_EPISODES:
    return read_episodes(r, c);
  default:
    return mb_cr_skip(r);
  }
}

int mb_wire_cursor_parse(const uint8_t *body, size_t len,
                         struct mb_bridge_cursor *out) {
  memset(out, 0, sizeof(*out));
  if (body == NULL)
    return MB_EMISSING;
  if (len > MB_CHANNEL_BODY_MAX)
    return MB_ETOOBIG;
  uint32_t seen;
  int rc = mb_cr_map_walk_all(body, len, CURSOR_MAX_PAIRS, read_cursor_field,
                              out, &seen);
  if (rc == MB_OK && (seen & CURSOR_REQUIRED) != CURSOR_REQUIRED)
    rc = MB_EMISSING;
  if (rc != MB_OK)
    memset(out, 0, sizeof(*out));
  return rc;
}
