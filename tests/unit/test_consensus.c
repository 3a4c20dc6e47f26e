/*
 * src/consensus: libraft 0.15 on our raft_io, through a deterministic
 * in-test network (consensus_net.c) of 3 and 5 servers with memory storage,
 * delay, loss, partitions and crashes; plus the message codec, the
 * fragments and the memory storage on their own.
 */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>

#include "consensus_codec.h"
#include "consensus_contract.h"
#include "consensus_net.h"
#include "mb_consensus.h"

#define ALL 0xffu

/* Proposes `count` commands "<tag>-<k>" through whoever leads, retrying on
 * a leader change; returns the highest index applied at the leader. */
static uint64_t commit_many(struct net *net, const char *tag, int count) {
  for (int k = 0; k < count; k++) {
    char cmd[64];
    snprintf(cmd, sizeof cmd, "%s-%d", tag, k);
    for (int tries = 0; tries < 50; tries++) {
      int l = net_wait_leader(net, 20000);
      assert_true(l >= 0);
      uint64_t before = net_last_applied(net, l);
      if (mb_consensus_propose(net->s[l].c, net->now, (const uint8_t *)cmd,
                               strlen(cmd)) == 0 &&
          net_wait_applied(net, 1u << l, before + 1, 3000) &&
          net_applied_cmd(net, l, (const uint8_t *)cmd, strlen(cmd)))
        break;
      assert_true(tries < 49);
    }
  }
  int l = net_wait_leader(net, 20000);
  return net_last_applied(net, l);
}

static void test_leader_elected(void **state) {
  (void)state;
  for (int n = 3; n <= 5; n += 2) {
    struct net net;
    net_init(&net, n, 11);
    net_boot(&net, n);
    int l = net_wait_leader(&net, 20000);
    assert_true(l >= 0);
    /* The others follow it. */
    net_run_until(&net, net.now + 1000);
    struct mb_consensus_info li;
    mb_consensus_get_info(net.s[l].c, &li);
    assert_int_equal(li.n_voters, n);
    for (int i = 0; i < n; i++) {
      struct mb_consensus_info info;
      mb_consensus_get_info(net.s[i].c, &info);
      assert_int_equal(info.leader, li.id);
      assert_int_equal(info.term, li.term);
    }
    assert_false(net.violated);
    net_free(&net);
  }
}

static void test_proposals_apply_in_order(void **state) {
  (void)state;
  struct net net;
  net_init(&net, 3, 12);
  net.loss_permille = 50;
  net_boot(&net, 3);
  uint64_t last = commit_many(&net, "cmd", 40);
  assert_true(net_wait_applied(&net, ALL, last, 20000));
  for (int i = 0; i < 3; i++) {
    assert_int_equal(net.s[i].applied.n, 40);
    for (int k = 0; k < 40; k++) {
      char cmd[64];
      snprintf(cmd, sizeof cmd, "cmd-%d", k);
      assert_int_equal(net.s[i].applied.len[k], strlen(cmd));
      assert_memory_equal(net.s[i].applied.cmd[k], cmd, strlen(cmd));
    }
  }
  /* A follower refuses proposals. */
  int f = (net_leader(&net) + 1) % 3;
  assert_rc(mb_consensus_propose(net.s[f].c, net.now, (const uint8_t *)"x", 1),
            MB_ENOTLEADER);
  assert_false(net.violated);
  net_free(&net);
}

static void test_crashed_server_catches_up(void **state) {
  (void)state;
  struct net net;
  net_init(&net, 3, 13);
  net_boot(&net, 3);
  commit_many(&net, "before", 10);
  int l = net_leader(&net);
  int f = (l + 1) % 3;
  net_crash(&net, f);
  commit_many(&net, "during", 10);
  net_start(&net, f);
  /* And the leader crashes too, later, and comes back. */
  net_run_until(&net, net.now + 500);
  net_crash(&net, l);
  uint64_t last = commit_many(&net, "after", 10);
  net_start(&net, l);
  assert_true(net_wait_applied(&net, ALL, last, 30000));
  for (int i = 0; i < 3; i++)
    assert_int_equal(net.s[i].applied.n, 30);
  assert_true(net_histories_prefix(&net));
  assert_false(net.violated);
  net_free(&net);
}

static void test_minority_commits_nothing(void **state) {
  (void)state;
  struct net net;
  net_init(&net, 5, 14);
  net_boot(&net, 5);
  commit_many(&net, "base", 5);
  int l = net_leader(&net);
  int buddy = (l + 1) % 5;
  struct mb_consensus_info before;
  mb_consensus_get_info(net.s[l].c, &before);
  for (int i = 0; i < 5; i++)
    net.s[i].group = (i == l || i == buddy) ? 1 : 0;
  /* The old leader still takes proposals for a while; none may commit. */
  int accepted = 0;
  for (int k = 0; k < 5; k++) {
    char cmd[32];
    snprintf(cmd, sizeof cmd, "minority-%d", k);
    if (mb_consensus_propose(net.s[l].c, net.now, (const uint8_t *)cmd,
                             strlen(cmd)) == 0)
      accepted++;
    net_run_until(&net, net.now + 100);
  }
  assert_true(accepted > 0);
  /* The majority side elects its own leader and goes on. */
  commit_many(&net, "majority", 5);
  net_run_until(&net, net.now + 10000);
  struct mb_consensus_info after;
  mb_consensus_get_info(net.s[l].c, &after);
  assert_int_equal(after.commit_index, before.commit_index);
  assert_true(after.role != 2); /* it stepped down, alone with one */
  assert_rc(
      mb_consensus_propose(net.s[l].c, net.now, (const uint8_t *)"late", 4),
      MB_ENOTLEADER);
  assert_true(after.proposals_lost >= (uint64_t)accepted);
  /* Healed: everyone converges on the majority's log. */
  for (int i = 0; i < 5; i++)
    net.s[i].group = 0;
  uint64_t last = commit_many(&net, "healed", 2);
  assert_true(net_wait_applied(&net, ALL, last, 30000));
  for (int i = 0; i < 5; i++)
    for (int k = 0; k < 5; k++) {
      char cmd[32];
      snprintf(cmd, sizeof cmd, "minority-%d", k);
      assert_false(net_applied_cmd(&net, i, (const uint8_t *)cmd, strlen(cmd)));
    }
  assert_true(net_histories_prefix(&net));
  assert_false(net.violated);
  net_free(&net);
}

static void test_snapshot_installed_on_laggard(void **state) {
  (void)state;
  struct net net;
  net_init(&net, 3, 15);
  net.snapshot_threshold = 8;
  net.snapshot_trailing = 2;
  net_boot(&net, 3);
  commit_many(&net, "early", 3);
  int f = (net_leader(&net) + 2) % 3;
  net_crash(&net, f);
  uint64_t last = commit_many(&net, "missed", 40);
  int l = net_leader(&net);
  struct mb_consensus_info li;
  mb_consensus_get_info(net.s[l].c, &li);
  assert_true(li.snapshots_taken > 0);
  net_start(&net, f);
  assert_true(net_wait_applied(&net, ALL, last, 30000));
  struct mb_consensus_info fi;
  mb_consensus_get_info(net.s[f].c, &fi);
  assert_true(fi.snapshots_installed > 0);
  assert_int_equal(net.s[f].applied.n, 43);
  /* And it restarts from its own snapshot. */
  net_crash(&net, f);
  net_start(&net, f);
  last = commit_many(&net, "later", 2);
  assert_true(net_wait_applied(&net, ALL, last, 30000));
  assert_int_equal(net.s[f].applied.n, 45);
  assert_true(net_histories_prefix(&net));
  assert_false(net.violated);
  net_free(&net);
}

static void test_entry_larger_than_a_fragment(void **state) {
  (void)state;
  struct net net;
  net_init(&net, 3, 16);
  net.max_fragment = 256;
  net.loss_permille = 20;
  net_boot(&net, 3);
  uint8_t big[5000];
  for (size_t i = 0; i < sizeof big; i++)
    big[i] = (uint8_t)(i * 7 + 3);
  int l = net_wait_leader(&net, 20000);
  assert_ok(mb_consensus_propose(net.s[l].c, net.now, big, sizeof big));
  assert_true(
      net_wait_applied(&net, ALL, net_last_applied(&net, l) + 1, 30000));
  for (int i = 0; i < 3; i++) {
    assert_true(net_applied_cmd(&net, i, big, sizeof big));
    assert_true(net.s[i].max_frag_len <= 256);
  }
  assert_true(net.s[l].frags_sent > sizeof big / 256);
  assert_false(net.violated);
  net_free(&net);
}

static void test_replace_voter(void **state) {
  (void)state;
  struct net net;
  net_init(&net, 5, 17);
  net_boot(&net, 3); /* servers 3 and 4 start empty, not voters */
  commit_many(&net, "first", 5);
  int l = net_leader(&net);
  int old = (l + 1) % 3;
  assert_ok(mb_consensus_replace_voter(net.s[l].c, net.now, net.s[old].id,
                                       net.s[3].id));
  assert_rc(mb_consensus_replace_voter(net.s[l].c, net.now,
                                       net.s[(l + 2) % 3].id, net.s[4].id),
            MB_EBUSY);
  struct mb_consensus_info info;
  for (int t = 0; t < 400; t++) {
    net_run_until(&net, net.now + 50);
    mb_consensus_get_info(net.s[l].c, &info);
    if (info.replacements_done > 0)
      break;
  }
  if (info.replacements_done != 1)
    fprintf(stderr, "replace: failed %llu busy %d role %d\n",
            (unsigned long long)info.replacements_failed, info.replace_busy,
            info.role);
  assert_int_equal(info.replacements_done, 1);
  assert_int_equal(info.n_voters, 3);
  for (size_t i = 0; i < info.n_voters; i++)
    assert_true(info.voters[i] != net.s[old].id);
  bool has_new = false;
  for (size_t i = 0; i < info.n_voters; i++)
    has_new |= info.voters[i] == net.s[3].id;
  assert_true(has_new);
  /* The old voter gone for good, the new one counts. */
  net_crash(&net, old);
  uint64_t last = commit_many(&net, "second", 5);
  assert_true(net_wait_applied(&net, (1u << 3) | (1u << l), last, 20000));
  assert_int_equal(net.s[3].applied.n, 10);
  /* Not a voter, no replacement. */
  assert_rc(mb_consensus_replace_voter(net.s[l].c, net.now, net.s[old].id,
                                       net.s[4].id),
            MB_EINVAL);
  assert_false(net.violated);
  net_free(&net);
}

/* Random faults over many seeds: crashes and restarts, partitions of any
 * shape, loss; Raft's safety must hold throughout. */
static void campaign(uint64_t seed, int n) {
  struct net net;
  net_init(&net, n, seed);
  struct mb_rng r;
  mb_rng_seed(&r, seed ^ 0xabcdef);
  net.loss_permille = (uint32_t)mb_rng_below(&r, 150);
  net.snapshot_threshold = 16 + (uint32_t)mb_rng_below(&r, 32);
  net.snapshot_trailing = (uint32_t)mb_rng_below(&r, 8);
  net.max_fragment = 256 + mb_rng_below(&r, 1100);
  net_boot(&net, n);
  int proposed = 0;
  for (int step = 0; step < 120; step++) {
    uint64_t roll = mb_rng_below(&r, 100);
    int i = (int)mb_rng_below(&r, (uint64_t)n);
    if (roll < 5 && net.s[i].c != NULL) {
      if (getenv("MB_CONSENSUS_TRACE"))
        fprintf(stderr, "t=%llu crash %d\n", (unsigned long long)net.now, i);
      net_crash(&net, i);
    } else if (roll < 15 && net.s[i].c == NULL) {
      if (getenv("MB_CONSENSUS_TRACE"))
        fprintf(stderr, "t=%llu start %d\n", (unsigned long long)net.now, i);
      net_start(&net, i);
    } else if (roll < 20)
      for (int k = 0; k < n; k++)
        net.s[k].group = (int)mb_rng_below(&r, 2);
    else if (roll < 25)
      for (int k = 0; k < n; k++)
        net.s[k].group = 0;
    int l = net_leader(&net);
    if (l >= 0) {
      char cmd[48];
      int len = snprintf(cmd, sizeof cmd, "s%llu-%d", (unsigned long long)seed,
                         proposed++);
      (void)mb_consensus_propose(net.s[l].c, net.now, (const uint8_t *)cmd,
                                 (size_t)len);
    }
    net_run_until(&net, net.now + 50 + mb_rng_below(&r, 400));
    if (net.violated)
      break;
  }
  /* Faults stop: everyone back, one group; the logs converge. */
  for (int k = 0; k < n; k++) {
    net.s[k].group = 0;
    if (net.s[k].c == NULL)
      net_start(&net, k);
  }
  net.loss_permille = 0;
  int l = net_wait_leader(&net, 60000);
  if (l < 0) {
    fprintf(stderr, "campaign seed %llu: no leader after healing\n",
            (unsigned long long)seed);
    for (int k = 0; k < n; k++) {
      struct mb_consensus_info info;
      mb_consensus_get_info(net.s[k].c, &info);
      fprintf(
          stderr,
          "  server %d role %d term %llu commit %llu applied %llu voters %zu\n",
          k, info.role, (unsigned long long)info.term,
          (unsigned long long)info.commit_index,
          (unsigned long long)info.last_applied, info.n_voters);
    }
  }
  assert_true(l >= 0);
  assert_int_equal(
      mb_consensus_propose(net.s[l].c, net.now, (const uint8_t *)"end", 3), 0);
  net_run_until(&net, net.now + 1000);
  l = net_wait_leader(&net, 60000);
  assert_true(l >= 0);
  if (!net_wait_applied(&net, ALL, net_last_applied(&net, l), 60000)) {
    fprintf(stderr, "campaign seed %llu: no convergence, leader %d\n",
            (unsigned long long)seed, l);
    for (int k = 0; k < n; k++) {
      struct mb_consensus_info info;
      mb_consensus_get_info(net.s[k].c, &info);
      fprintf(stderr,
              "  server %d role %d term %llu leader %llx commit %llu applied "
              "%llu voters %zu\n",
              k, info.role, (unsigned long long)info.term,
              (unsigned long long)info.leader,
              (unsigned long long)info.commit_index,
              (unsigned long long)info.last_applied, info.n_voters);
    }
    fail();
  }
  if (!net_histories_prefix(&net))
    fprintf(stderr, "campaign seed %llu: histories diverge\n",
            (unsigned long long)seed);
  assert_true(net_histories_prefix(&net));
  assert_false(net.violated);
  if (getenv("MB_CONSENSUS_TRACE"))
    fprintf(stderr, "seed %llu: n %d applied %zu at leader, t=%llu\n",
            (unsigned long long)seed, n, net.s[l].applied.n,
            (unsigned long long)net.now);
  net_free(&net);
}

static void test_safety_campaign(void **state) {
  (void)state;
  const char *env = getenv("MB_CONSENSUS_SEEDS");
  int seeds = env != NULL ? atoi(env) : 1000;
  const char *only = getenv("MB_CONSENSUS_SEED");
  if (only != NULL) {
    campaign((uint64_t)atoi(only), atoi(only) % 2 ? 5 : 3);
    return;
  }
  for (int s = 1; s <= seeds; s++)
    campaign((uint64_t)s, s % 2 ? 5 : 3);
}

/* ---- codec, fragments, storage on their own ---------------------------- */

static void round_trip(const struct raft_message *m) {
  uint8_t *buf;
  size_t len;
  assert_ok(mb_consensus__message_encode(m, &buf, &len));
  struct raft_message d;
  assert_ok(mb_consensus__message_decode(buf, len, &d));
  assert_int_equal(d.type, m->type);
  /* Every strict prefix is refused, and nothing leaks (ASan/valgrind). */
  for (size_t cut = 0; cut < len; cut++) {
    struct raft_message x;
    assert_failed(mb_consensus__message_decode(buf, cut, &x));
  }
  uint8_t *again;
  size_t again_len;
  assert_ok(mb_consensus__message_encode(&d, &again, &again_len));
  assert_int_equal(again_len, len);
  assert_memory_equal(again, buf, len);
  mb_consensus__message_release(&d);
  free(again);
  free(buf);
}

static void test_message_codec(void **state) {
  (void)state;
  struct raft_message m = {.type = RAFT_IO_REQUEST_VOTE};
  m.request_vote = (struct raft_request_vote){7, 3, 99, 6, true, true};
  round_trip(&m);
  m = (struct raft_message){.type = RAFT_IO_REQUEST_VOTE_RESULT};
  m.request_vote_result =
      (struct raft_request_vote_result){7, true, raft_tribool_false};
  round_trip(&m);
  m = (struct raft_message){.type = RAFT_IO_APPEND_ENTRIES_RESULT};
  m.append_entries_result = (struct raft_append_entries_result){7, 0, 42};
  round_trip(&m);
  m = (struct raft_message){.type = RAFT_IO_TIMEOUT_NOW};
  m.timeout_now = (struct raft_timeout_now){7, 42, 6};
  round_trip(&m);

  struct raft_configuration conf;
  raft_configuration_init(&conf);
  assert_int_equal(
      raft_configuration_add(&conf, 5, "0000000000000005", RAFT_VOTER), 0);
  assert_int_equal(
      raft_configuration_add(&conf, 9, "0000000000000009", RAFT_SPARE), 0);
  struct raft_buffer cbuf;
  assert_int_equal(raft_configuration_encode(&conf, &cbuf), 0);
  /* libraft leaves the padding to 8 bytes uninitialised: 1 + 8 + 2 * (8 +
   * 17 + 1) = 61 bytes used of 64; zeroed so the bytes compare. */
  assert_int_equal(cbuf.len, 64);
  memset((uint8_t *)cbuf.base + 61, 0, 3);
  /* libraft's own configuration bytes pass our bounded decoder... */
  struct raft_configuration back;
  raft_configuration_init(&back);
  assert_ok(mb_consensus__conf_decode(cbuf.base, cbuf.len, &back));
  assert_int_equal(back.n, 2);
  assert_int_equal(back.servers[1].id, 9);
  assert_string_equal(back.servers[1].address, "0000000000000009");
  assert_int_equal(back.servers[1].role, RAFT_SPARE);
  raft_configuration_close(&back);
  /* ...and none of their prefixes does. */
  for (size_t cut = 0; cut < cbuf.len; cut++) {
    raft_configuration_init(&back);
    assert_failed(mb_consensus__conf_decode(cbuf.base, cut, &back));
  }

  struct raft_entry entries[3] = {
      {.term = 1, .type = RAFT_CHANGE, .buf = cbuf},
      {.term = 2, .type = RAFT_COMMAND, .buf = {(void *)"hello", 5}},
      {.term = 2, .type = RAFT_BARRIER, .buf = {NULL, 0}},
  };
  m = (struct raft_message){.type = RAFT_IO_APPEND_ENTRIES};
  m.append_entries = (struct raft_append_entries){7, 1, 1, 1, entries, 3};
  round_trip(&m);
  m.append_entries.entries = NULL;
  m.append_entries.n_entries = 0;
  round_trip(&m);
  /* A configuration entry libraft could not decode is refused here. */
  uint8_t bad_conf[16] = {1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  entries[0].buf = (struct raft_buffer){bad_conf, sizeof bad_conf};
  m.append_entries.entries = entries;
  m.append_entries.n_entries = 1;
  uint8_t *buf;
  size_t len;
  assert_ok(mb_consensus__message_encode(&m, &buf, &len));
  struct raft_message d;
  assert_rc(mb_consensus__message_decode(buf, len, &d), MB_ECORRUPT);
  free(buf);

  m = (struct raft_message){.type = RAFT_IO_INSTALL_SNAPSHOT};
  m.install_snapshot =
      (struct raft_install_snapshot){.term = 7,
                                     .last_index = 40,
                                     .last_term = 6,
                                     .conf = conf,
                                     .conf_index = 1,
                                     .data = {(void *)"state", 5}};
  round_trip(&m);
  raft_configuration_close(&conf);
  raft_free(cbuf.base);

  static const uint8_t junk[][4] = {
      {0x80}, {0x81, 0x07}, {0x82, 0x06, 0x01}, {0xa0}, {0x81, 0x00}};
  for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++)
    assert_failed(mb_consensus__message_decode(junk[i], 3, &d));
}

struct frags {
  uint8_t data[64][300];
  size_t len[64];
  int n;
};

static int collect(void *ctx, const uint8_t *frag, size_t len) {
  struct frags *f = ctx;
  assert_true(f->n < 64 && len <= sizeof f->data[0]);
  memcpy(f->data[f->n], frag, len);
  f->len[f->n++] = len;
  return 0;
}

static void test_fragments(void **state) {
  (void)state;
  uint8_t msg[3000];
  for (size_t i = 0; i < sizeof msg; i++)
    msg[i] = (uint8_t)(i ^ (i >> 8));
  struct frags f = {0};
  assert_ok(mb_consensus__fragment(msg, sizeof msg, 77, 300, collect, &f));
  assert_int_equal(f.n, 11);
  struct mb_consensus__reasm *r = mb_consensus__reasm_new();
  uint8_t *out = NULL;
  size_t out_len = 0;
  /* In reverse order, with a duplicate, interleaved with another sender. */
  for (int i = f.n - 1; i >= 0; i--) {
    int rc =
        mb_consensus__reasm_push(r, 2, f.data[i], f.len[i], &out, &out_len);
    assert_int_equal(rc, i == 0 ? 1 : 0);
    if (i == 5)
      assert_int_equal(
          mb_consensus__reasm_push(r, 2, f.data[i], f.len[i], &out, &out_len),
          0);
    if (i > 0)
      assert_int_equal(
          mb_consensus__reasm_push(r, 3, f.data[i], f.len[i], &out, &out_len),
          0);
  }
  assert_int_equal(out_len, sizeof msg);
  assert_memory_equal(out, msg, sizeof msg);
  free(out);
  /* A fragment that contradicts its message's header drops the message:
   * sender 3's first fragment never completes it afterwards. */
  uint8_t liar[300];
  memcpy(liar, f.data[3], f.len[3]);
  liar[11] ^= 1; /* another total length */
  assert_int_equal(
      mb_consensus__reasm_push(r, 3, liar, f.len[3], &out, &out_len),
      MB_EFRAGMENT);
  assert_int_equal(
      mb_consensus__reasm_push(r, 3, f.data[0], f.len[0], &out, &out_len), 0);
  struct frags g = {0};
  assert_ok(mb_consensus__fragment(msg, 2000, 77, 300, collect, &g));
  assert_rc(mb_consensus__reasm_push(r, 3, g.data[0], g.len[0], &out, &out_len),
            MB_EFRAGMENT);
  /* Wrong length for its header, bad magic, too short. */
  assert_rc(
      mb_consensus__reasm_push(r, 4, f.data[1], f.len[1] - 1, &out, &out_len),
      MB_EFRAGMENT);
  liar[0] = 0;
  assert_rc(mb_consensus__reasm_push(r, 4, liar, f.len[3], &out, &out_len),
            MB_EFRAGMENT);
  assert_rc(mb_consensus__reasm_push(r, 4, liar, 5, &out, &out_len),
            MB_EFRAGMENT);
  /* Bounded: many half messages from one sender keep only the newest. */
  for (uint32_t id = 100; id < 140; id++) {
    struct frags h = {0};
    assert_ok(mb_consensus__fragment(msg, sizeof msg, id, 300, collect, &h));
    assert_int_equal(
        mb_consensus__reasm_push(r, 5, h.data[0], h.len[0], &out, &out_len), 0);
  }
  mb_consensus__reasm_free(r);
}

static void test_memory_storage(void **state) {
  (void)state;
  struct mb_consensus_storage *st = mb_consensus_memory_new();
  consensus_storage_contract(st);
  mb_consensus_memory_free(st);
}

static void test_bad_config_and_bootstrap(void **state) {
  (void)state;
  struct net net;
  net_init(&net, 3, 18);
  net_boot(&net, 3);
  uint64_t ids[2] = {1, 1};
  assert_rc(mb_consensus_bootstrap(net.s[0].c, ids, 2), MB_EINVAL);
  ids[1] = 2;
  /* Already bootstrapped: refused, and the server still runs. */
  assert_rc(mb_consensus_bootstrap(net.s[0].c, ids, 2), MB_EINVAL);
  assert_true(net_wait_leader(&net, 20000) >= 0);
  struct mb_consensus_config cfg;
  mb_consensus_config_default(&cfg);
  int err = 0;
  assert_null(mb_consensus_new_err(&cfg, 0, &err));
  assert_rc(err, MB_EINVAL);
  uint8_t node[32] = {0};
  assert_int_equal(mb_consensus_id_of(node), 1);
  node[0] = 0x12;
  node[7] = 0x34;
  node[8] = 0xff;
  assert_int_equal(mb_consensus_id_of(node), 0x1200000000000034ull);
  net_free(&net);
}

static int no_apply(void *ctx, uint64_t index, const uint8_t *cmd, size_t len) {
  (void)ctx, (void)index, (void)cmd, (void)len;
  return 0;
}

static int no_send(void *ctx, uint64_t to, const uint8_t *frag, size_t len) {
  (void)ctx, (void)to, (void)frag, (void)len;
  return 0;
}

/* A damaged store is an error from mb_consensus_new, not an abort inside
 * libraft (whose loader asserts what it expects). */
static void test_damaged_storage_refused(void **state) {
  (void)state;
  struct mb_consensus_config cfg;
  mb_consensus_config_default(&cfg);
  cfg.id = 7;
  cfg.fsm.apply = no_apply;
  cfg.net = (struct mb_consensus_transport){NULL, no_send, 1200};
  static uint8_t bad_conf[16] = {1, 9}; /* claims 9 servers */
  static const struct mb_consensus_entry shapes[][2] = {
      /* a configuration libraft would decode blindly */
      {{1, RAFT_CHANGE, bad_conf, sizeof bad_conf}, {0}},
      /* a log that does not start with a configuration */
      {{1, RAFT_COMMAND, (uint8_t *)"x", 1}, {0}},
      /* an entry type libraft does not know */
      {{1, 9, (uint8_t *)"x", 1}, {0}},
  };
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
    struct mb_consensus_storage *st = mb_consensus_memory_new();
    assert_ok(st->ops->append(st->ctx, 1, shapes[i], 1));
    cfg.storage = *st;
    int err = 0;
    assert_null(mb_consensus_new_err(&cfg, 0, &err));
    assert_rc(err, MB_ECORRUPT);
    mb_consensus_memory_free(st);
  }
  /* And an empty one starts, refuses proposals, and takes a bootstrap. */
  struct mb_consensus_storage *st = mb_consensus_memory_new();
  cfg.storage = *st;
  struct mb_consensus *c = mb_consensus_new(&cfg, 0);
  assert_non_null(c);
  assert_rc(mb_consensus_propose(c, 1, (const uint8_t *)"x", 1), MB_ENOTLEADER);
  uint64_t me = 7;
  assert_ok(mb_consensus_bootstrap(c, &me, 1));
  struct mb_consensus_info info;
  mb_consensus_get_info(c, &info);
  assert_int_equal(info.role, 2); /* a single voter elects itself */
  assert_rc(mb_consensus_propose(c, 2, (const uint8_t *)"x", 0), MB_EINVAL);
  assert_ok(mb_consensus_propose(c, 2, (const uint8_t *)"x", 1));
  mb_consensus_free(c);
  mb_consensus_memory_free(st);
}

/* The leader replaces its own voter: it completes the change, steps down,
 * and the remaining voters with the new one go on. */
static void test_replace_leader_itself(void **state) {
  (void)state;
  struct net net;
  net_init(&net, 4, 19);
  net_boot(&net, 3);
  commit_many(&net, "first", 3);
  int l = net_leader(&net);
  assert_ok(mb_consensus_replace_voter(net.s[l].c, net.now, net.s[l].id,
                                       net.s[3].id));
  net_run_until(&net, net.now + 20000);
  struct mb_consensus_info info;
  mb_consensus_get_info(net.s[l].c, &info);
  assert_int_equal(info.replacements_done, 1);
  assert_int_not_equal(info.role, 2);
  int l2 = net_wait_leader(&net, 20000);
  assert_true(l2 >= 0 && l2 != l);
  mb_consensus_get_info(net.s[l2].c, &info);
  assert_int_equal(info.n_voters, 3);
  for (size_t i = 0; i < info.n_voters; i++)
    assert_true(info.voters[i] != net.s[l].id);
  uint64_t last = commit_many(&net, "after", 3);
  assert_true(net_wait_applied(&net, 1u << 3, last, 20000));
  assert_int_equal(net.s[3].applied.n, 6);
  assert_false(net.violated);
  net_free(&net);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++)
    h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}

/* Everything a run produced, as one number: every server's applied
 * history, the virtual time at the end and how many fragments crossed. */
static uint64_t run_digest(uint64_t seed) {
  struct net net;
  net_init(&net, 5, seed);
  net.loss_permille = 100;
  net.max_fragment = 300;
  net_boot(&net, 5);
  commit_many(&net, "a", 10);
  net_crash(&net, (net_leader(&net) + 1) % 5);
  commit_many(&net, "b", 10);
  net_start(&net, (net_leader(&net) + 1) % 5);
  net_run_until(&net, net.now + 5000);
  uint64_t h = 0xcbf29ce484222325ull;
  for (int i = 0; i < net.n; i++)
    for (size_t k = 0; k < net.s[i].applied.n; k++) {
      h = fnv(h, &net.s[i].applied.index[k], 8);
      h = fnv(h, net.s[i].applied.cmd[k], net.s[i].applied.len[k]);
    }
  h = fnv(h, &net.now, sizeof net.now);
  h = fnv(h, &net.pk_seq, sizeof net.pk_seq);
  net_free(&net);
  return h;
}

/* No clock, no hidden randomness: a run replays exactly from its seed. */
static void test_replays_from_seed(void **state) {
  (void)state;
  assert_int_equal(run_digest(21), run_digest(21));
  assert_int_not_equal(run_digest(21), run_digest(22));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_message_codec),
      cmocka_unit_test(test_fragments),
      cmocka_unit_test(test_memory_storage),
      cmocka_unit_test(test_bad_config_and_bootstrap),
      cmocka_unit_test(test_damaged_storage_refused),
      cmocka_unit_test(test_leader_elected),
      cmocka_unit_test(test_proposals_apply_in_order),
      cmocka_unit_test(test_crashed_server_catches_up),
      cmocka_unit_test(test_minority_commits_nothing),
      cmocka_unit_test(test_snapshot_installed_on_laggard),
      cmocka_unit_test(test_entry_larger_than_a_fragment),
      cmocka_unit_test(test_replace_voter),
      cmocka_unit_test(test_replays_from_seed),
      cmocka_unit_test(test_safety_campaign),
      cmocka_unit_test(test_replace_leader_itself),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
