/*
 * The consensus layer's LMDB storage (src/consensus/storage_lmdb.c) held
 * to the storage contract of mb_consensus.h: after every set_term,
 * set_vote, append, truncate and snapshot_put, load returns exactly the
 * durable state those calls imply (term, vote, snapshot, start index and
 * every entry's term, type and bytes), and so does a store closed and
 * opened again; snapshot_get hands out malloc'd copies, MB_ENOENT when
 * there is none; refused calls change nothing.  The expected state is a
 * small model kept beside the calls.
 */
#include "store_fixture.h"

#include "mb_consensus.h"

#include <errno.h>

#define MODEL_MAX 64

struct model {
  uint64_t term, vote;
  uint64_t snap_index, snap_term, snap_conf_index; /* snap_index 0: none */
  uint64_t start;                                  /* 0: no entries */
  size_t n;
  uint64_t terms[MODEL_MAX];
};

/* An entry's bytes follow from its index and term; entry 7 is 1 MiB, so
 * values that span many LMDB pages take the same path as small ones. */
static size_t entry_len(uint64_t index) {
  return index == 7 ? (size_t)1 << 20 : (size_t)(index * 13 % 97);
}

static void entry_fill(uint64_t index, uint64_t term, uint8_t *buf) {
  for (size_t j = 0; j < entry_len(index); j++)
    buf[j] = (uint8_t)(index * 31 + term + j);
}

static uint8_t entry_type(uint64_t index) {
  return (uint8_t)(1 + index % 3);
}

struct harness {
  struct store_fixture f;
  struct mb_store *st;
  struct mb_consensus_storage storage;
  struct model m;
};

static void attach(struct harness *h) {
  h->st = fixture_open(&h->f);
  assert_ok(mb_consensus_lmdb_storage(h->st, &h->storage));
}

static int setup(void **state) {
  struct harness *h = calloc(1, sizeof *h);
  assert_non_null(h);
  fixture_init(&h->f);
  h->f.opt.nosync = true; /* the agent's mode */
  attach(h);
  *state = h;
  return 0;
}

static int teardown(void **state) {
  struct harness *h = *state;
  mb_store_close(h->st);
  fixture_deinit(&h->f);
  free(h);
  return 0;
}

static void assert_snapshot_is(const struct mb_consensus_snapshot *s,
                               const struct model *m) {
  assert_int_equal(s->index, m->snap_index);
  assert_int_equal(s->term, m->snap_term);
  assert_int_equal(s->conf_index, m->snap_conf_index);
  assert_int_equal(s->conf_len, 5);
  assert_memory_equal(s->conf, "conf!", 5);
  assert_int_equal(s->data_len, entry_len(s->index));
  uint8_t *want = malloc(entry_len(s->index) + 1);
  assert_non_null(want);
  entry_fill(s->index, s->term, want);
  assert_memory_equal(s->data, want, s->data_len);
  free(want);
}

/* load returns exactly the model. */
static void assert_loads_model(struct harness *h) {
  const struct model *m = &h->m;
  struct mb_consensus_durable d;
  assert_ok(h->storage.ops->load(h->storage.ctx, &d));
  assert_int_equal(d.term, m->term);
  assert_int_equal(d.vote, m->vote);
  assert_int_equal(d.n_entries, m->n);
  assert_int_equal(d.start_index, m->n ? m->start : 0);
  if (m->snap_index == 0) {
    assert_null(d.snapshot);
  } else {
    assert_non_null(d.snapshot);
    assert_snapshot_is(d.snapshot, m);
  }
  uint8_t *want = malloc((size_t)1 << 20);
  assert_non_null(want);
  for (size_t i = 0; i < d.n_entries; i++) {
    uint64_t index = m->start + i;
    const struct mb_consensus_entry *e = &d.entries[i];
    assert_int_equal(e->term, m->terms[i]);
    assert_int_equal(e->type, entry_type(index));
    assert_int_equal(e->len, entry_len(index));
    assert_non_null(e->data);
    entry_fill(index, e->term, want);
    assert_memory_equal(e->data, want, e->len);
  }
  free(want);
  mb_consensus_durable_clear(&d);

  struct mb_consensus_snapshot s;
  int rc = h->storage.ops->snapshot_get(h->storage.ctx, &s);
  if (m->snap_index == 0) {
    assert_rc(rc, MB_ENOENT);
  } else {
    assert_ok(rc);
    assert_snapshot_is(&s, m);
    mb_consensus_snapshot_clear(&s);
  }
}

/* ... and so does the store, closed and opened again. */
static void assert_durable(struct harness *h) {
  assert_loads_model(h);
  mb_store_close(h->st);
  attach(h);
  assert_loads_model(h);
}

/* ---- the calls, applied to the storage and to the model ---------------- */

static void set_term(struct harness *h, uint64_t term) {
  assert_ok(h->storage.ops->set_term(h->storage.ctx, term));
  h->m.term = term;
  h->m.vote = 0;
}

static void set_vote(struct harness *h, uint64_t vote) {
  assert_ok(h->storage.ops->set_vote(h->storage.ctx, vote));
  h->m.vote = vote;
}

static int call_append(struct harness *h, uint64_t first, size_t n,
                       uint64_t term) {
  struct mb_consensus_entry e[8];
  assert_true(n <= 8);
  for (size_t i = 0; i < n; i++) {
    uint64_t index = first + i;
    e[i] = (struct mb_consensus_entry){.term = term,
                                       .type = entry_type(index),
                                       .data = malloc(entry_len(index) + 1),
                                       .len = entry_len(index)};
    assert_non_null(e[i].data);
    entry_fill(index, term, e[i].data);
  }
  int rc = h->storage.ops->append(h->storage.ctx, first, e, n);
  for (size_t i = 0; i < n; i++)
    free(e[i].data);
  return rc;
}

static void append(struct harness *h, uint64_t first, size_t n, uint64_t term) {
  assert_ok(call_append(h, first, n, term));
  struct model *m = &h->m;
  if (m->n == 0 || first < m->start) {
    m->start = first;
    m->n = 0;
  }
  m->n = (size_t)(first - m->start);
  for (size_t i = 0; i < n; i++)
    m->terms[m->n++] = term;
}

static void truncate_from(struct harness *h, uint64_t index) {
  assert_ok(h->storage.ops->truncate(h->storage.ctx, index));
  struct model *m = &h->m;
  if (m->n && index < m->start + m->n)
    m->n = index > m->start ? (size_t)(index - m->start) : 0;
}

static void snapshot_put(struct harness *h, uint64_t index, uint64_t term,
                         uint64_t conf_index, uint64_t trailing) {
  uint8_t *data = malloc(entry_len(index) + 1);
  assert_non_null(data);
  entry_fill(index, term, data);
  struct mb_consensus_snapshot s = {.index = index,
                                    .term = term,
                                    .conf_index = conf_index,
                                    .conf = (uint8_t *)"conf!",
                                    .conf_len = 5,
                                    .data = data,
                                    .data_len = entry_len(index)};
  assert_ok(h->storage.ops->snapshot_put(h->storage.ctx, &s, trailing));
  free(data);
  struct model *m = &h->m;
  m->snap_index = index;
  m->snap_term = term;
  m->snap_conf_index = conf_index;
  while (trailing < index && m->n && m->start <= index - trailing) {
    memmove(m->terms, m->terms + 1, (m->n - 1) * sizeof m->terms[0]);
    m->n--;
    m->start++;
  }
}

/* ---- the cases ----------------------------------------------------------- */

static void test_empty_store_loads_all_zero(void **state) {
  struct harness *h = *state;
  struct mb_consensus_durable d;
  memset(&d, 0xff, sizeof d);
  assert_ok(h->storage.ops->load(h->storage.ctx, &d));
  assert_int_equal(d.term, 0);
  assert_int_equal(d.vote, 0);
  assert_null(d.snapshot);
  assert_int_equal(d.start_index, 0);
  assert_null(d.entries);
  assert_int_equal(d.n_entries, 0);
  mb_consensus_durable_clear(&d);
  assert_durable(h);
  assert_rc(mb_consensus_lmdb_storage(NULL, &h->storage), MB_EINVAL);
}

static void test_term_and_vote(void **state) {
  struct harness *h = *state;
  set_term(h, 1);
  assert_durable(h);
  set_vote(h, 0x1122334455667788u);
  assert_durable(h);
  set_term(h, 2); /* clears the vote */
  assert_durable(h);
  set_vote(h, 3);
  set_vote(h, 4);
  assert_durable(h);
}

static void test_append_and_truncate(void **state) {
  struct harness *h = *state;
  set_term(h, 1);
  append(h, 1, 4, 1);
  assert_durable(h);
  append(h, 5, 4, 1); /* entry 7 is 1 MiB */
  assert_durable(h);
  append(h, 6, 2, 2); /* replaces 6..8 with 6..7 */
  assert_durable(h);
  truncate_from(h, 4);
  assert_durable(h);
  truncate_from(h, 100); /* past the end: nothing */
  assert_durable(h);
  /* A gap is refused and changes nothing. */
  assert_failed(call_append(h, 6, 1, 2));
  assert_durable(h);
  truncate_from(h, 1);
  assert_durable(h);
  append(h, 1, 3, 3);
  assert_durable(h);
}

static void test_snapshot_with_trailing(void **state) {
  struct harness *h = *state;
  set_term(h, 2);
  append(h, 1, 8, 2);
  snapshot_put(h, 3, 2, 1, 5); /* trailing > index: the log stays */
  assert_durable(h);
  snapshot_put(h, 6, 2, 1, 2); /* entries 1..4 go */
  assert_durable(h);
  snapshot_put(h, 7, 2, 7, 0); /* entries up to 7 go, 8 stays */
  assert_durable(h);
  append(h, 9, 3, 3);
  assert_durable(h);
  /* Installed from a leader, past the whole log. */
  snapshot_put(h, 30, 4, 25, 0);
  assert_durable(h);
  assert_failed(call_append(h, 32, 1, 4)); /* after the snapshot: 31 */
  append(h, 31, 2, 4);
  assert_durable(h);
  set_vote(h, 9);
  truncate_from(h, 32);
  assert_durable(h);
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_empty_store_loads_all_zero),
      T(test_term_and_vote),
      T(test_append_and_truncate),
      T(test_snapshot_with_trailing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
