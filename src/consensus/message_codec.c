/*
 * libraft's six messages in CBOR: an array whose first item is the type
 * (RAFT_IO_*), then the type's fields in a fixed order:
 *   append_entries         [1, term, prev_index, prev_term, commit,
 *                           [[term, type, data], ...]]
 *   append_entries_result  [2, term, rejected, last_log_index]
 *   request_vote           [3, term, candidate, last_index, last_term,
 *                           disrupt_leader, pre_vote]
 *   request_vote_result    [4, term, granted, pre_vote (0 unknown, 1, 2)]
 *   install_snapshot       [5, term, last_index, last_term, conf_index,
 *                           [[id, address, role], ...], data]
 *   timeout_now            [6, term, last_index, last_term]
 * The sender is not in the message: the transport authenticated it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "consensus_codec.h"
#include "mb_consensus.h"

static size_t encoded_bound(const struct raft_message *m) {
  size_t n = 128;
  if (m->type == RAFT_IO_APPEND_ENTRIES)
    for (unsigned i = 0; i < m->append_entries.n_entries; i++)
      n += 32 + m->append_entries.entries[i].buf.len;
  if (m->type == RAFT_IO_INSTALL_SNAPSHOT) {
    const struct raft_configuration *c = &m->install_snapshot.conf;
    for (unsigned i = 0; i < c->n; i++)
      n += 32 + strlen(c->servers[i].address);
    n += 16 + m->install_snapshot.data.len;
  }
  return n;
}

static void write_entries(struct mb_cbor_writer *w,
                          const struct raft_append_entries *a) {
  mb_cw_array(w, a->n_entries);
  for (unsigned i = 0; i < a->n_entries; i++) {
    const struct raft_entry *e = &a->entries[i];
    mb_cw_array(w, 3);
    mb_cw_uint(w, e->term);
    mb_cw_uint(w, e->type);
    mb_cw_bytes(w, e->buf.base, e->buf.len);
  }
}

static void write_conf(struct mb_cbor_writer *w,
                       const struct raft_configuration *c) {
  mb_cw_array(w, c->n);
  for (unsigned i = 0; i < c->n; i++) {
    mb_cw_array(w, 3);
    mb_cw_uint(w, c->servers[i].id);
    mb_cw_textz(w, c->servers[i].address);
    mb_cw_uint(w, (uint64_t)c->servers[i].role);
  }
}

static int write_message(struct mb_cbor_writer *w,
                         const struct raft_message *m) {
  switch (m->type) {
  case RAFT_IO_APPEND_ENTRIES: {
    const struct raft_append_entries *a = &m->append_entries;
    mb_cw_array(w, 6);
    mb_cw_uint(w, m->type);
    mb_cw_uint(w, a->term);
    mb_cw_uint(w, a->prev_log_index);
    mb_cw_uint(w, a->prev_log_term);
    mb_cw_uint(w, a->leader_commit);
    write_entries(w, a);
    return 0;
  }
  case RAFT_IO_APPEND_ENTRIES_RESULT: {
    const struct raft_append_entries_result *a = &m->append_entries_result;
    mb_cw_array(w, 4);
    mb_cw_uint(w, m->type);
    mb_cw_uint(w, a->term);
    mb_cw_uint(w, a->rejected);
    mb_cw_uint(w, a->last_log_index);
    return 0;
  }
  case RAFT_IO_REQUEST_VOTE: {
    const struct raft_request_vote *a = &m->request_vote;
    mb_cw_array(w, 7);
    mb_cw_uint(w, m->type);
    mb_cw_uint(w, a->term);
    mb_cw_uint(w, a->candidate_id);
    mb_cw_uint(w, a->last_log_index);
    mb_cw_uint(w, a->last_log_term);
    mb_cw_bool(w, a->disrupt_leader);
    mb_cw_bool(w, a->pre_vote);
    return 0;
  }
  case RAFT_IO_REQUEST_VOTE_RESULT: {
    const struct raft_request_vote_result *a = &m->request_vote_result;
    mb_cw_array(w, 4);
    mb_cw_uint(w, m->type);
    mb_cw_uint(w, a->term);
    mb_cw_bool(w, a->vote_granted);
    mb_cw_uint(w, (uint64_t)a->pre_vote);
    return 0;
  }
  case RAFT_IO_INSTALL_SNAPSHOT: {
    const struct raft_install_snapshot *a = &m->install_snapshot;
    mb_cw_array(w, 7);
    mb_cw_uint(w, m->type);
    mb_cw_uint(w, a->term);
    mb_cw_uint(w, a->last_index);
    mb_cw_uint(w, a->last_term);
    mb_cw_uint(w, a->conf_index);
    write_conf(w, &a->conf);
    mb_cw_bytes(w, a->data.base, a->data.len);
    return 0;
  }
  case RAFT_IO_TIMEOUT_NOW: {
    const struct raft_timeout_now *a = &m->timeout_now;
    mb_cw_array(w, 4);
    mb_cw_uint(w, m->type);
    mb_cw_uint(w, a->term);
    mb_cw_uint(w, a->last_log_index);
    mb_cw_uint(w, a->last_log_term);
    return 0;
  }
  default:
    return MB_EINVAL;
  }
}

int mb_consensus__message_encode(const struct raft_message *m, uint8_t **out,
                                 size_t *len) {
  size_t cap = encoded_bound(m);
  if (cap > MB_CONSENSUS_MESSAGE_MAX)
    return MB_ETOOBIG;
  uint8_t *buf = malloc(cap);
  if (buf == NULL)
    return -ENOMEM;
  struct mb_cbor_writer w;
  mb_cw_init(&w, buf, cap);
  int rc = write_message(&w, m);
  if (rc == 0)
    rc = mb_cw_status(&w);
  if (rc != 0) {
    free(buf);
    return rc;
  }
  *out = buf;
  *len = w.len;
  return 0;
}
