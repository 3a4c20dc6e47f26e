/* The storage contract cases of consensus_contract.h. */
#include "consensus_contract.h"

#include "test_util.h"

#include <raft.h>

static struct mb_consensus_entry entry(uint64_t term, const char *data) {
  return (struct mb_consensus_entry){.term = term,
                                     .type = RAFT_COMMAND,
                                     .data = (uint8_t *)data,
                                     .len = strlen(data)};
}

/* The log load returns must be exactly first..first+n-1 with these data. */
static void expect_log(const struct mb_consensus_storage *st, uint64_t first,
                       const char *const *data, size_t n) {
  struct mb_consensus_durable d;
  assert_ok(st->ops->load(st->ctx, &d));
  assert_int_equal(d.n_entries, n);
  if (n > 0)
    assert_int_equal(d.start_index, first);
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(d.entries[i].len, strlen(data[i]));
    assert_memory_equal(d.entries[i].data, data[i], strlen(data[i]));
    assert_int_equal(d.entries[i].type, RAFT_COMMAND);
  }
  mb_consensus_durable_clear(&d);
}

static void empty(const struct mb_consensus_storage *st) {
  struct mb_consensus_durable d;
  struct mb_consensus_snapshot s;
  assert_ok(st->ops->load(st->ctx, &d));
  assert_int_equal(d.term, 0);
  assert_int_equal(d.vote, 0);
  assert_null(d.snapshot);
  assert_int_equal(d.n_entries, 0);
  mb_consensus_durable_clear(&d);
  assert_rc(st->ops->snapshot_get(st->ctx, &s), MB_ENOENT);
}

static void term_and_vote(const struct mb_consensus_storage *st) {
  struct mb_consensus_durable d;
  assert_ok(st->ops->set_term(st->ctx, 3));
  assert_ok(st->ops->set_vote(st->ctx, 0x1101));
  assert_ok(st->ops->load(st->ctx, &d));
  assert_int_equal(d.term, 3);
  assert_int_equal(d.vote, 0x1101);
  mb_consensus_durable_clear(&d);
  assert_ok(st->ops->set_term(st->ctx, 4)); /* clears the vote */
  assert_ok(st->ops->load(st->ctx, &d));
  assert_int_equal(d.term, 4);
  assert_int_equal(d.vote, 0);
  mb_consensus_durable_clear(&d);
}

static void append_and_truncate(const struct mb_consensus_storage *st) {
  struct mb_consensus_entry e[4] = {entry(1, "a"), entry(1, "bb"), entry(2, ""),
                                    entry(2, "dddd")};
  assert_ok(st->ops->append(st->ctx, 1, e, 4));
  expect_log(st, 1, (const char *[]){"a", "bb", "", "dddd"}, 4);
  assert_rc(st->ops->append(st->ctx, 6, e, 1), MB_EINVAL); /* a gap */
  assert_ok(st->ops->truncate(st->ctx, 9)); /* past the end: nothing */
  expect_log(st, 1, (const char *[]){"a", "bb", "", "dddd"}, 4);
  assert_ok(st->ops->truncate(st->ctx, 3));
  expect_log(st, 1, (const char *[]){"a", "bb"}, 2);
  /* Appending over existing entries replaces them and what follows. */
  struct mb_consensus_entry f[2] = {entry(3, "x"), entry(3, "y")};
  assert_ok(st->ops->append(st->ctx, 3, f, 2));
  assert_ok(st->ops->append(st->ctx, 2, f, 1));
  expect_log(st, 1, (const char *[]){"a", "x"}, 2);
  assert_ok(st->ops->append(st->ctx, 3, e, 4));
  expect_log(st, 1, (const char *[]){"a", "x", "a", "bb", "", "dddd"}, 6);
}

static void snapshots(const struct mb_consensus_storage *st) {
  struct mb_consensus_snapshot s = {.index = 4,
                                    .term = 2,
                                    .conf_index = 1,
                                    .conf = (uint8_t *)"conf",
                                    .conf_len = 4,
                                    .data = (uint8_t *)"state-4",
                                    .data_len = 7};
  /* trailing >= index: no entry goes */
  assert_ok(st->ops->snapshot_put(st->ctx, &s, 10));
  expect_log(st, 1, (const char *[]){"a", "x", "a", "bb", "", "dddd"}, 6);
  /* entries <= 4 - 1 go */
  assert_ok(st->ops->snapshot_put(st->ctx, &s, 1));
  expect_log(st, 4, (const char *[]){"bb", "", "dddd"}, 3);
  struct mb_consensus_durable d;
  assert_ok(st->ops->load(st->ctx, &d));
  assert_non_null(d.snapshot);
  assert_int_equal(d.snapshot->index, 4);
  assert_int_equal(d.snapshot->term, 2);
  assert_int_equal(d.snapshot->conf_index, 1);
  assert_int_equal(d.snapshot->conf_len, 4);
  assert_memory_equal(d.snapshot->conf, "conf", 4);
  assert_int_equal(d.snapshot->data_len, 7);
  assert_memory_equal(d.snapshot->data, "state-4", 7);
  mb_consensus_durable_clear(&d);
  /* A newer one replaces it; trailing 0 and a truncation after it (an
   * installed snapshot) leave no entries, and the log goes on after it. */
  s.index = 20;
  s.term = 5;
  s.data = (uint8_t *)"state-20";
  s.data_len = 8;
  assert_ok(st->ops->snapshot_put(st->ctx, &s, 0));
  assert_ok(st->ops->truncate(st->ctx, 21));
  expect_log(st, 21, NULL, 0);
  struct mb_consensus_snapshot got;
  assert_ok(st->ops->snapshot_get(st->ctx, &got));
  assert_int_equal(got.index, 20);
  assert_int_equal(got.data_len, 8);
  assert_memory_equal(got.data, "state-20", 8);
  mb_consensus_snapshot_clear(&got);
  struct mb_consensus_entry e = entry(5, "after");
  assert_ok(st->ops->append(st->ctx, 21, &e, 1));
  expect_log(st, 21, (const char *[]){"after"}, 1);
}

void consensus_storage_contract(const struct mb_consensus_storage *st) {
  empty(st);
  term_and_vote(st);
  append_and_truncate(st);
  snapshots(st);
}
