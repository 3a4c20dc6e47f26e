/* Seeds of fuzz_consensus_message (corpus_consensus.h). */
#include "corpus_consensus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus_codec.h"
#include "mb_consensus.h"

#define DIR "consensus_message"

struct seed {
  uint8_t buf[4096];
  size_t len;
};

/* libraft's configuration bytes with the padding it leaves uninitialised
 * zeroed, so the corpus is the same on every run. */
static struct raft_buffer conf_bytes(const struct raft_configuration *conf) {
  struct raft_buffer b = {NULL, 0};
  if (raft_configuration_encode(conf, &b) != 0)
    return b;
  size_t used = 9;
  for (unsigned i = 0; i < conf->n; i++)
    used += 8 + strlen(conf->servers[i].address) + 1 + 1;
  memset((uint8_t *)b.base + used, 0, b.len - used);
  return b;
}

static int emit(corpus_put_fn put, void *ctx, const char *name,
                const struct raft_message *m, struct seed *whole) {
  uint8_t *p;
  size_t len;
  struct raft_message back;
  if (mb_consensus__message_encode(m, &p, &len) != 0 ||
      len + 1 > sizeof whole->buf)
    return 1;
  int bad = mb_consensus__message_decode(p, len, &back) != 0;
  if (!bad)
    mb_consensus__message_release(&back);
  whole->buf[0] = 0;
  memcpy(whole->buf + 1, p, len);
  whole->len = len + 1;
  free(p);
  if (!bad)
    put(ctx, DIR, name, whole->buf, whole->len);
  return bad;
}

struct frag_seed {
  struct seed s;
  uint8_t sender;
  int overflow;
};

static int add_fragment(void *ctx, const uint8_t *frag, size_t len) {
  struct frag_seed *f = ctx;
  if (f->s.len + 3 + len > sizeof f->s.buf) {
    f->overflow = 1;
    return 0;
  }
  uint8_t *q = f->s.buf + f->s.len;
  q[0] = f->sender;
  q[1] = (uint8_t)(len >> 8);
  q[2] = (uint8_t)len;
  memcpy(q + 3, frag, len);
  f->s.len += 3 + len;
  return 0;
}

/* The append_entries seed's message in 96-byte fragments from sender 1,
 * then again from sender 2 in the same stream. */
static int fragment_seed(corpus_put_fn put, void *ctx, const struct seed *m) {
  static struct frag_seed f;
  memset(&f, 0, sizeof f);
  f.s.buf[0] = 1;
  f.s.len = 1;
  for (uint8_t sender = 0; sender < 2; sender++) {
    f.sender = sender;
    if (mb_consensus__fragment(m->buf + 1, m->len - 1, 7 + sender, 96,
                               add_fragment, &f) != 0)
      return 1;
  }
  if (f.overflow)
    return 1;
  put(ctx, DIR, "fragments-two-senders", f.s.buf, f.s.len);
  return 0;
}

int corpus_consensus_seeds(corpus_put_fn put, void *ctx) {
  static struct seed s, entries_seed;
  int bad = 0;
  struct raft_configuration conf;
  raft_configuration_init(&conf);
  bad += raft_configuration_add(&conf, 0x1000, "0000000000001000",
                                RAFT_VOTER) != 0;
  bad += raft_configuration_add(&conf, 0x1101, "0000000000001101",
                                RAFT_SPARE) != 0;
  struct raft_buffer cb = conf_bytes(&conf);
  bad += cb.base == NULL;

  struct raft_message m = {.type = RAFT_IO_REQUEST_VOTE};
  m.request_vote = (struct raft_request_vote){4, 0x1000, 40, 3, false, true};
  bad += emit(put, ctx, "request-vote", &m, &s);
  m = (struct raft_message){.type = RAFT_IO_REQUEST_VOTE_RESULT};
  m.request_vote_result =
      (struct raft_request_vote_result){4, true, raft_tribool_true};
  bad += emit(put, ctx, "request-vote-result", &m, &s);
  m = (struct raft_message){.type = RAFT_IO_APPEND_ENTRIES_RESULT};
  m.append_entries_result = (struct raft_append_entries_result){4, 0, 41};
  bad += emit(put, ctx, "append-entries-result", &m, &s);
  m = (struct raft_message){.type = RAFT_IO_TIMEOUT_NOW};
  /* Not "timeout-now": .gitignore keeps libFuzzer's timeout-* files out. */
  m.timeout_now = (struct raft_timeout_now){4, 41, 4};
  bad += emit(put, ctx, "leader-hands-over", &m, &s);
  m = (struct raft_message){.type = RAFT_IO_APPEND_ENTRIES};
  m.append_entries = (struct raft_append_entries){4, 41, 4, 40, NULL, 0};
  bad += emit(put, ctx, "heartbeat", &m, &s);
  struct raft_entry entries[3] = {
      {.term = 1, .type = RAFT_CHANGE, .buf = cb},
      {.term = 4, .type = RAFT_COMMAND, .buf = {(void *)"array create", 12}},
      {.term = 4, .type = RAFT_BARRIER, .buf = {NULL, 0}},
  };
  m.append_entries.entries = entries;
  m.append_entries.n_entries = 3;
  bad += emit(put, ctx, "append-entries", &m, &entries_seed);
  m = (struct raft_message){.type = RAFT_IO_INSTALL_SNAPSHOT};
  m.install_snapshot =
      (struct raft_install_snapshot){.term = 4,
                                     .last_index = 40,
                                     .last_term = 3,
                                     .conf = conf,
                                     .conf_index = 1,
                                     .data = {(void *)"state of the fsm", 16}};
  bad += emit(put, ctx, "install-snapshot", &m, &s);
  bad += fragment_seed(put, ctx, &entries_seed);
  raft_free(cb.base);
  raft_configuration_close(&conf);
  if (bad)
    fprintf(stderr, "make_corpus: %d consensus seeds failed\n", bad);
  return bad;
}
