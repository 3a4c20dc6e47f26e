/*
 * The decoder of message_codec.c's CBOR, bounds-checked (this is what a
 * peer controls), allocating with raft_malloc exactly what libraft's recv
 * callback takes over: an AppendEntries' entries array and ONE batch that
 * all their data points into (libraft frees entries[0].batch when it
 * answers at once), an InstallSnapshot's conf and data buffer.
 */
#include <errno.h>
#include <string.h>

#include "consensus_codec.h"
#include "mb_consensus.h"

static int read_uints(struct mb_cbor_reader *r, unsigned long long *out[],
                      size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint64_t v;
    int rc = mb_cr_uint(r, &v);
    if (rc != 0)
      return rc;
    *out[i] = v;
  }
  return 0;
}

/* A CHANGE entry's payload is a configuration libraft will decode without
 * checks: refuse the message unless ours accepts it. */
static int check_change(const uint8_t *p, size_t n) {
  struct raft_configuration conf;
  raft_configuration_init(&conf);
  int rc = mb_consensus__conf_decode(p, n, &conf);
  if (rc == 0)
    raft_configuration_close(&conf);
  return rc;
}

static int read_entry(struct mb_cbor_reader *r, struct raft_entry *e) {
  struct mb_cbor_token t;
  uint64_t term, type;
  const uint8_t *data;
  size_t len;
  int rc = mb_cr_expect(r, MB_CBOR_ARRAY, &t);
  if (rc == 0 && t.u != 3)
    rc = MB_ECORRUPT;
  if (rc == 0)
    rc = mb_cr_uint(r, &term);
  if (rc == 0)
    rc = mb_cr_uint(r, &type);
  if (rc == 0)
    rc = mb_cr_bytes(r, &data, &len);
  if (rc != 0)
    return rc;
  if (type < RAFT_COMMAND || type > RAFT_CHANGE)
    return MB_ECORRUPT;
  if (type == RAFT_CHANGE && (rc = check_change(data, len)) != 0)
    return rc;
  e->term = term;
  e->type = (unsigned short)type;
  e->buf.base = (void *)data; /* into the input until copied to the batch */
  e->buf.len = len;
  e->batch = NULL;
  return 0;
}

/* Entries first point into the input; once all are read their data is
 * copied into one batch. */
static int read_entries(struct mb_cbor_reader *r,
                        struct raft_append_entries *a) {
  struct mb_cbor_token t;
  int rc = mb_cr_expect(r, MB_CBOR_ARRAY, &t);
  if (rc != 0)
    return rc;
  if (t.u > MB_CONSENSUS_ENTRIES_MAX || t.u > (uint64_t)(r->end - r->p))
    return MB_ETOOBIG;
  if (t.u == 0)
    return 0;
  struct raft_entry *entries = raft_calloc((size_t)t.u, sizeof *entries);
  if (entries == NULL)
    return -ENOMEM;
  size_t total = 0;
  for (size_t i = 0; i < t.u && rc == 0; i++) {
    rc = read_entry(r, &entries[i]);
    total += entries[i].buf.len;
  }
  uint8_t *batch = rc == 0 ? raft_malloc(total > 0 ? total : 1) : NULL;
  if (rc == 0 && batch == NULL)
    rc = -ENOMEM;
  if (rc != 0) {
    raft_free(entries);
    return rc;
  }
  size_t off = 0;
  for (size_t i = 0; i < t.u; i++) {
    if (entries[i].buf.len > 0)
      memcpy(batch + off, entries[i].buf.base, entries[i].buf.len);
    entries[i].buf.base = batch + off;
    entries[i].batch = batch;
    off += entries[i].buf.len;
  }
  a->entries = entries;
  a->n_entries = (unsigned)t.u;
  return 0;
}

static int read_server(struct mb_cbor_reader *r,
                       struct raft_configuration *conf) {
  struct mb_cbor_token t;
  uint64_t id, role;
  char address[MB_CONSENSUS_ADDRESS_MAX + 1];
  int rc = mb_cr_expect(r, MB_CBOR_ARRAY, &t);
  if (rc == 0 && t.u != 3)
    rc = MB_ECORRUPT;
  if (rc == 0)
    rc = mb_cr_uint(r, &id);
  if (rc == 0)
    rc = mb_cr_text_copy(r, address, MB_CONSENSUS_ADDRESS_MAX);
  if (rc == 0)
    rc = mb_cr_uint(r, &role);
  if (rc != 0)
    return rc;
  if (id == 0 || role > RAFT_SPARE || address[0] == '\0')
    return MB_ECORRUPT;
  rc = raft_configuration_add(conf, id, address, (int)role);
  return rc == RAFT_NOMEM ? -ENOMEM : rc != 0 ? MB_ECORRUPT : 0;
}

static int read_conf(struct mb_cbor_reader *r,
                     struct raft_configuration *conf) {
  struct mb_cbor_token t;
  int rc = mb_cr_expect(r, MB_CBOR_ARRAY, &t);
  if (rc != 0)
    return rc;
  if (t.u == 0 || t.u > MB_CONSENSUS_SERVERS_MAX)
    return MB_ECORRUPT;
  for (size_t i = 0; i < t.u && rc == 0; i++)
    rc = read_server(r, conf);
  return rc;
}

static int read_snapshot(struct mb_cbor_reader *r,
                         struct raft_install_snapshot *a) {
  unsigned long long *fields[] = {&a->term, &a->last_index, &a->last_term,
                                  &a->conf_index};
  const uint8_t *data;
  size_t len;
  raft_configuration_init(&a->conf);
  int rc = read_uints(r, fields, 4);
  if (rc == 0)
    rc = read_conf(r, &a->conf);
  if (rc == 0)
    rc = mb_cr_bytes(r, &data, &len);
  if (rc == 0 && (a->data.base = raft_malloc(len > 0 ? len : 1)) == NULL)
    rc = -ENOMEM;
  if (rc != 0) {
    raft_configuration_close(&a->conf);
    return rc;
  }
  if (len > 0)
    memcpy(a->data.base, data, len);
  a->data.len = len;
  return 0;
}

static int read_tribool(struct mb_cbor_reader *r, raft_tribool *v) {
  uint64_t u;
  int rc = mb_cr_uint(r, &u);
  if (rc == 0 && u > raft_tribool_false)
    rc = MB_ECORRUPT;
  if (rc == 0)
    *v = (raft_tribool)u;
  return rc;
}

static int read_body(struct mb_cbor_reader *r, uint64_t items,
                     struct raft_message *m) {
  static const uint64_t items_of[] = {0, 6, 4, 7, 4, 7, 4};
  if (m->type < RAFT_IO_APPEND_ENTRIES || m->type > RAFT_IO_TIMEOUT_NOW ||
      items != items_of[m->type])
    return MB_ECORRUPT;
  int rc;
  switch (m->type) {
  case RAFT_IO_APPEND_ENTRIES: {
    struct raft_append_entries *a = &m->append_entries;
    unsigned long long *f[] = {&a->term, &a->prev_log_index, &a->prev_log_term,
                               &a->leader_commit};
    rc = read_uints(r, f, 4);
    return rc != 0 ? rc : read_entries(r, a);
  }
  case RAFT_IO_APPEND_ENTRIES_RESULT: {
    struct raft_append_entries_result *a = &m->append_entries_result;
    unsigned long long *f[] = {&a->term, &a->rejected, &a->last_log_index};
    return read_uints(r, f, 3);
  }
  case RAFT_IO_REQUEST_VOTE: {
    struct raft_request_vote *a = &m->request_vote;
    unsigned long long *f[] = {&a->term, &a->candidate_id, &a->last_log_index,
                               &a->last_log_term};
    rc = read_uints(r, f, 4);
    if (rc == 0)
      rc = mb_cr_bool(r, &a->disrupt_leader);
    return rc != 0 ? rc : mb_cr_bool(r, &a->pre_vote);
  }
  case RAFT_IO_REQUEST_VOTE_RESULT: {
    struct raft_request_vote_result *a = &m->request_vote_result;
    unsigned long long *f[] = {&a->term};
    rc = read_uints(r, f, 1);
    if (rc == 0)
      rc = mb_cr_bool(r, &a->vote_granted);
    return rc != 0 ? rc : read_tribool(r, &a->pre_vote);
  }
  case RAFT_IO_INSTALL_SNAPSHOT:
    return read_snapshot(r, &m->install_snapshot);
  default: {
    struct raft_timeout_now *a = &m->timeout_now;
    unsigned long long *f[] = {&a->term, &a->last_log_index, &a->last_log_term};
    return read_uints(r, f, 3);
  }
  }
}

int mb_consensus__message_decode(const uint8_t *p, size_t n,
                                 struct raft_message *m) {
  struct mb_cbor_reader r;
  struct mb_cbor_token t;
  uint64_t type;
  memset(m, 0, sizeof *m);
  mb_cr_init(&r, p, n);
  int rc = mb_cr_expect(&r, MB_CBOR_ARRAY, &t);
  if (rc == 0 && t.u < 1)
    rc = MB_ECORRUPT;
  if (rc == 0)
    rc = mb_cr_uint(&r, &type);
  if (rc != 0)
    return rc;
  m->type = type <= RAFT_IO_TIMEOUT_NOW ? (unsigned short)type : 0;
  rc = read_body(&r, t.u, m);
  if (rc == 0 && !mb_cr_done(&r)) {
    mb_consensus__message_release(m);
    rc = MB_ETRAILING;
  }
  if (rc != 0)
    memset(m, 0, sizeof *m);
  return rc;
}

void mb_consensus__message_release(struct raft_message *m) {
  if (m->type == RAFT_IO_APPEND_ENTRIES && m->append_entries.entries != NULL) {
    raft_free(m->append_entries.entries[0].batch);
    raft_free(m->append_entries.entries);
  } else if (m->type == RAFT_IO_INSTALL_SNAPSHOT) {
    raft_configuration_close(&m->install_snapshot.conf);
    raft_free(m->install_snapshot.data.base);
  }
  memset(m, 0, sizeof *m);
}
