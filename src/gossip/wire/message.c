/*
 * The primary message of a datagram (ping, ack, ping-req, nack, push-pull,
 * join, leave) and the address type it shares with records.
 *
 *   message = {0: kind, ?1: probe-id / part, ?2: target / parts,
 *              ?3: target-addr, ?4: want-nack, ?5: origin, ?6: origin's
 *              probe-id}
 * Paged messages (push-pull, its reply, join) instead carry
 *   {1: part, 2: parts, ?3: view digest, ?4: summary, ?5: range, ?6: pull,
 *    ?7: records digest, ?8: records summary, ?9: records pull}
 * A relay's ping names the member it probes for (5, a node ref) and that
 * member's probe id (6): the target signs its ack for them (ack.c).
 * An application's message carries
 *   {1: channel (0..255), 2: payload (bstr)}
 */
#include "wire_internal.h"

#include <string.h>

enum msg_key {
  KEY_KIND = 0,
  KEY_PROBE_ID = 1,
  KEY_TARGET = 2,
  KEY_TARGET_ADDR = 3,
  KEY_WANT_NACK = 4,
  KEY_ORIGIN = 5,
  KEY_ORIGIN_PROBE_ID = 6,
  KEY_PART = 1,
  KEY_PARTS = 2,
  KEY_DIGEST = 3,
  KEY_SUMMARY = 4,
  KEY_RANGE = 5,
  KEY_PULL = 6,
  KEY_RDIGEST = 7,  /* the record channel's digest */
  KEY_RSUMMARY = 8, /* its summary entries, possibly none */
  KEY_RPULL = 9,    /* record refs wanted */
  KEY_CHANNEL = 1,  /* app */
  KEY_PAYLOAD = 2,
};

const char *mb_msg_kind_name(enum mb_msg_kind k) {
  switch (k) {
  case MB_MSG_PING:
    return "ping";
  case MB_MSG_ACK:
    return "ack";
  case MB_MSG_PING_REQ:
    return "ping-req";
  case MB_MSG_NACK:
    return "nack";
  case MB_MSG_PUSH_PULL:
    return "push-pull";
  case MB_MSG_PUSH_PULL_REPLY:
    return "push-pull-reply";
  case MB_MSG_JOIN:
    return "join";
  case MB_MSG_LEAVE:
    return "leave";
  case MB_MSG_GOSSIP:
    return "gossip";
  case MB_MSG_APP:
    return "app";
  }
  return "unknown";
}

size_t mb_cbor_head_len(uint64_t n) {
  if (n < 24)
    return 1;
  if (n <= 0xff)
    return 2;
  if (n <= 0xffff)
    return 3;
  if (n <= 0xffffffffu)
    return 5;
  return 9;
}

void wire_write_addr(struct mb_cbor_writer *w, const struct mb_addr *a) {
  mb_cw_array(w, 2);
  mb_cw_bytes(w, a->ip, a->family == 6 ? 16 : 4);
  mb_cw_uint(w, a->port);
}

int wire_read_addr(struct mb_cbor_reader *r, struct mb_addr *a) {
  struct mb_cbor_token t;
  int rc = mb_cr_expect(r, MB_CBOR_ARRAY, &t);
  if (rc)
    return rc;
  if (t.u != 2)
    return MB_ETYPE;
  const uint8_t *ip;
  size_t n;
  uint64_t port;
  rc = mb_cr_bytes(r, &ip, &n);
  if (rc)
    return rc;
  if (n != 4 && n != 16)
    return MB_ERANGE;
  rc = mb_cr_uint(r, &port);
  if (rc)
    return rc;
  if (port > 0xffff)
    return MB_ERANGE;
  memset(a, 0, sizeof(*a));
  a->family = n == 4 ? 4 : 6;
  memcpy(a->ip, ip, n);
  a->port = (uint16_t)port;
  return MB_OK;
}

int wire_read_node_id(struct mb_cbor_reader *r, uint8_t *id) {
  const uint8_t *p;
  size_t n;
  int rc = mb_cr_bytes(r, &p, &n);
  if (rc)
    return rc;
  if (n != MB_NODE_ID_LEN)
    return MB_ERANGE;
  memcpy(id, p, n);
  return MB_OK;
}

static int read_node_ref(struct mb_cbor_reader *r, uint8_t *ref) {
  const uint8_t *p;
  size_t n;
  int rc = mb_cr_bytes(r, &p, &n);
  if (rc)
    return rc;
  if (n != MB_NODE_REF_LEN)
    return MB_ERANGE;
  memcpy(ref, p, n);
  return MB_OK;
}

static bool is_probe_kind(enum mb_msg_kind k) {
  return k == MB_MSG_PING || k == MB_MSG_ACK || k == MB_MSG_PING_REQ ||
         k == MB_MSG_NACK;
}

static bool is_paged_kind(enum mb_msg_kind k) {
  return k == MB_MSG_PUSH_PULL || k == MB_MSG_PUSH_PULL_REPLY ||
         k == MB_MSG_JOIN;
}

static size_t msg_field_count(const struct mb_msg *m) {
  switch (m->kind) {
  case MB_MSG_PING:
    return m->has_origin ? 5 : 3;
  case MB_MSG_PING_REQ:
    return m->want_nack ? 5 : 4;
  case MB_MSG_ACK:
  case MB_MSG_NACK:
    return 2;
  case MB_MSG_LEAVE:
    return 1;
  case MB_MSG_GOSSIP:
    return 1 + (size_t)(m->summary != NULL);
  case MB_MSG_APP:
    return 3;
  default:
    return 3 + (size_t)m->has_digest + (size_t)(m->summary != NULL) +
           (size_t)m->has_range + (size_t)(m->pull != NULL) +
           (size_t)m->has_rdigest + (size_t)m->has_rsummary +
           (size_t)(m->rpull != NULL); /* paged */
  }
}

static void write_reconcile_fields(struct mb_cbor_writer *w,
                                   const struct mb_msg *m) {
  if (m->summary != NULL) {
    mb_cw_uint(w, KEY_SUMMARY);
    mb_cw_bytes(w, m->summary, m->summary_len);
  }
  if (m->has_range) {
    uint8_t range[2 * MB_NODE_REF_LEN];
    memcpy(range, m->range_lo, MB_NODE_REF_LEN);
    memcpy(range + MB_NODE_REF_LEN, m->range_hi, MB_NODE_REF_LEN);
    mb_cw_uint(w, KEY_RANGE);
    mb_cw_bytes(w, range, sizeof(range));
  }
  if (m->pull != NULL) {
    mb_cw_uint(w, KEY_PULL);
    mb_cw_bytes(w, m->pull, m->pull_len);
  }
  if (m->has_rdigest) {
    mb_cw_uint(w, KEY_RDIGEST);
    mb_cw_bytes(w, m->rdigest, MB_VIEW_DIGEST_LEN);
  }
  if (m->has_rsummary) {
    mb_cw_uint(w, KEY_RSUMMARY);
    mb_cw_bytes(w, m->rsummary, m->rsummary_len);
  }
  if (m->rpull != NULL) {
    mb_cw_uint(w, KEY_RPULL);
    mb_cw_bytes(w, m->rpull, m->rpull_len);
  }
}

void wire_write_msg(struct mb_cbor_writer *w, const struct mb_msg *m) {
  mb_cw_map(w, msg_field_count(m));
  mb_cw_uint(w, KEY_KIND);
  mb_cw_uint(w, (uint64_t)m->kind);
  if (is_probe_kind(m->kind)) {
    mb_cw_uint(w, KEY_PROBE_ID);
    mb_cw_uint(w, m->probe_id);
  }
  if (m->kind == MB_MSG_PING || m->kind == MB_MSG_PING_REQ) {
    mb_cw_uint(w, KEY_TARGET);
    mb_cw_bytes(w, m->target, MB_NODE_REF_LEN);
  }
  if (m->kind == MB_MSG_PING && m->has_origin) {
    mb_cw_uint(w, KEY_ORIGIN);
    mb_cw_bytes(w, m->origin, MB_NODE_REF_LEN);
    mb_cw_uint(w, KEY_ORIGIN_PROBE_ID);
    mb_cw_uint(w, m->origin_probe_id);
  }
  if (m->kind == MB_MSG_PING_REQ) {
    mb_cw_uint(w, KEY_TARGET_ADDR);
    wire_write_addr(w, &m->target_addr);
    if (m->want_nack) {
      mb_cw_uint(w, KEY_WANT_NACK);
      mb_cw_bool(w, true);
    }
  }
  if (is_paged_kind(m->kind)) {
    mb_cw_uint(w, KEY_PART);
    mb_cw_uint(w, m->part);
    mb_cw_uint(w, KEY_PARTS);
    mb_cw_uint(w, m->parts);
    if (m->has_digest) {
      mb_cw_uint(w, KEY_DIGEST);
      mb_cw_bytes(w, m->digest, MB_VIEW_DIGEST_LEN);
    }
    write_reconcile_fields(w, m);
  }
  if (m->kind == MB_MSG_GOSSIP && m->summary != NULL) {
    mb_cw_uint(w, KEY_SUMMARY);
    mb_cw_bytes(w, m->summary, m->summary_len);
  }
  if (m->kind == MB_MSG_APP) {
    mb_cw_uint(w, KEY_CHANNEL);
    mb_cw_uint(w, m->app_channel);
    mb_cw_uint(w, KEY_PAYLOAD);
    mb_cw_bytes(w, m->app_payload, m->app_len);
  }
}

static int read_u32(struct mb_cbor_reader *r, uint32_t *v) {
  uint64_t u;
  int rc = mb_cr_uint(r, &u);
  if (rc)
    return rc;
  if (u > UINT32_MAX)
    return MB_ERANGE;
  *v = (uint32_t)u;
  return MB_OK;
}

static int read_probe_field(struct mb_cbor_reader *r, int64_t key,
                            struct mb_msg *m) {
  switch (key) {
  case KEY_PROBE_ID:
    return mb_cr_uint(r, &m->probe_id);
  case KEY_TARGET:
    return read_node_ref(r, m->target);
  case KEY_TARGET_ADDR:
    return wire_read_addr(r, &m->target_addr);
  case KEY_WANT_NACK:
    return mb_cr_bool(r, &m->want_nack);
  case KEY_ORIGIN:
    m->has_origin = true;
    return read_node_ref(r, m->origin);
  case KEY_ORIGIN_PROBE_ID:
    return mb_cr_uint(r, &m->origin_probe_id);
  default:
    return mb_cr_skip(r);
  }
}

/* A byte string whose length is a multiple of `unit` (and not empty). */
static int read_units(struct mb_cbor_reader *r, size_t unit, const uint8_t **p,
                      size_t *n) {
  int rc = mb_cr_bytes(r, p, n);
  if (rc == MB_OK && (*n == 0 || *n % unit != 0))
    rc = MB_ERANGE;
  return rc;
}

static int read_reconcile_field(struct mb_cbor_reader *r, int64_t key,
                                struct mb_msg *m) {
  const uint8_t *p;
  size_t n;
  int rc;
  switch (key) {
  case KEY_SUMMARY:
    rc = read_units(r, MB_SUMMARY_ENTRY_LEN, &m->summary, &m->summary_len);
    return rc;
  case KEY_RANGE:
    rc = mb_cr_bytes(r, &p, &n);
    if (rc == MB_OK && n != 2 * MB_NODE_REF_LEN)
      rc = MB_ERANGE;
    if (rc == MB_OK) {
      memcpy(m->range_lo, p, MB_NODE_REF_LEN);
      memcpy(m->range_hi, p + MB_NODE_REF_LEN, MB_NODE_REF_LEN);
      m->has_range = true;
    }
    return rc;
  case KEY_PULL:
    return read_units(r, MB_NODE_REF_LEN, &m->pull, &m->pull_len);
  case KEY_RDIGEST:
    rc = mb_cr_bytes(r, &p, &n);
    if (rc == MB_OK && n != MB_VIEW_DIGEST_LEN)
      rc = MB_ERANGE;
    if (rc == MB_OK)
      memcpy(m->rdigest, p, n), m->has_rdigest = true;
    return rc;
  case KEY_RSUMMARY: /* may be empty: "I hold none" */
    rc = mb_cr_bytes(r, &m->rsummary, &m->rsummary_len);
    if (rc == MB_OK && m->rsummary_len % MB_RECORD_ENTRY_LEN != 0)
      rc = MB_ERANGE;
    m->has_rsummary = rc == MB_OK;
    return rc;
  case KEY_RPULL:
    return read_units(r, MB_RECORD_REF_LEN, &m->rpull, &m->rpull_len);
  default:
    return mb_cr_skip(r);
  }
}

static int read_page_field(struct mb_cbor_reader *r, int64_t key,
                           struct mb_msg *m) {
  switch (key) {
  case KEY_PART:
    return read_u32(r, &m->part);
  case KEY_PARTS:
    return read_u32(r, &m->parts);
  case KEY_DIGEST: {
    const uint8_t *p;
    size_t n;
    int rc = mb_cr_bytes(r, &p, &n);
    if (rc == MB_OK && n != MB_VIEW_DIGEST_LEN)
      rc = MB_ERANGE;
    if (rc == MB_OK)
      memcpy(m->digest, p, n), m->has_digest = true;
    return rc;
  }
  default:
    return read_reconcile_field(r, key, m);
  }
}

static int read_msg_kind(struct mb_cbor_reader *r, struct mb_msg *m) {
  uint64_t kind;
  int rc = mb_cr_uint(r, &kind);
  if (rc)
    return rc;
  if (kind < MB_MSG_PING || kind > MB_MSG_KIND_LAST)
    return MB_EKIND;
  m->kind = (enum mb_msg_kind)kind;
  return MB_OK;
}

static int read_app_field(struct mb_cbor_reader *r, int64_t key,
                          struct mb_msg *m) {
  uint64_t channel;
  int rc;
  switch (key) {
  case KEY_CHANNEL:
    rc = mb_cr_uint(r, &channel);
    if (rc == MB_OK && channel > UINT8_MAX)
      rc = MB_ERANGE;
    if (rc == MB_OK)
      m->app_channel = (uint8_t)channel;
    return rc;
  case KEY_PAYLOAD:
    return mb_cr_bytes(r, &m->app_payload, &m->app_len);
  default:
    return mb_cr_skip(r);
  }
}

/* Key 0, the kind, sorts first, so later keys can dispatch on it. */
static int read_msg_field(struct mb_cbor_reader *r, int64_t key, void *ctx) {
  struct mb_msg *m = ctx;
  if (key == KEY_KIND)
    return read_msg_kind(r, m);
  if (is_probe_kind(m->kind))
    return read_probe_field(r, key, m);
  if (is_paged_kind(m->kind))
    return read_page_field(r, key, m);
  if (m->kind == MB_MSG_GOSSIP && key == KEY_SUMMARY)
    return read_units(r, MB_SUMMARY_ENTRY_LEN, &m->summary, &m->summary_len);
  if (m->kind == MB_MSG_APP)
    return read_app_field(r, key, m);
  return mb_cr_skip(r);
}

/* Bit set of the keys each kind must carry. */
static unsigned required_keys(enum mb_msg_kind k) {
  switch (k) {
  case MB_MSG_PING:
    return 1u << KEY_PROBE_ID | 1u << KEY_TARGET;
  case MB_MSG_PING_REQ:
    return 1u << KEY_PROBE_ID | 1u << KEY_TARGET | 1u << KEY_TARGET_ADDR;
  case MB_MSG_ACK:
  case MB_MSG_NACK:
    return 1u << KEY_PROBE_ID;
  case MB_MSG_LEAVE:
  case MB_MSG_GOSSIP:
    return 0;
  case MB_MSG_APP:
    return 1u << KEY_CHANNEL | 1u << KEY_PAYLOAD;
  default:
    return 1u << KEY_PART | 1u << KEY_PARTS;
  }
}

int wire_read_msg(struct mb_cbor_reader *r, struct mb_msg *m) {
  uint32_t seen;
  memset(m, 0, sizeof(*m));
  int rc = mb_cr_map_walk(r, 16, read_msg_field, m, &seen);
  if (rc)
    return rc;
  uint32_t need = 1u << KEY_KIND | required_keys(m->kind);
  if ((seen & need) != need)
    return MB_EMISSING;
  if (is_paged_kind(m->kind) && (m->parts == 0 || m->part >= m->parts))
    return MB_ERANGE;
  return MB_OK;
}
