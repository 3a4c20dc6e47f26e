/*
 * What the store tests need: a fresh temporary directory per test (under
 * $TMPDIR, removed afterwards) with a store path inside it that does not
 * exist yet, and options that keep unit tests fast.
 */
#ifndef MESHBEAT_STORE_FIXTURE_H
#define MESHBEAT_STORE_FIXTURE_H

#include "test_util.h"

#include "mb_store.h"

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct store_fixture {
  char root[1024];
  char dir[1040]; /* root/store, created by mb_store_open */
  char errbuf[256];
  struct mb_store_options opt;
};

static inline void fixture_init(struct store_fixture *f) {
  const char *base = getenv("TMPDIR");
  snprintf(f->root, sizeof f->root, "%s/mbstore.XXXXXX",
           base && *base ? base : "/tmp");
  assert_non_null(mkdtemp(f->root));
  snprintf(f->dir, sizeof f->dir, "%s/store", f->root);
  mb_store_options_default(&f->opt);
  f->opt.errbuf = f->errbuf;
  f->opt.errbuf_len = sizeof f->errbuf;
  f->errbuf[0] = '\0';
}

static inline int fixture_rm_one(const char *path, const struct stat *st,
                                 int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static inline void fixture_deinit(struct store_fixture *f) {
  nftw(f->root, fixture_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* cmocka setup and teardown: a fixture per test in *state.  Its store runs
 * nosync, the agent's mode and fast: durability is the crash tests'
 * subject, and Raft's writes sync anyway. */
static inline int fixture_setup(void **state) {
  struct store_fixture *f = calloc(1, sizeof *f);
  assert_non_null(f);
  fixture_init(f);
  f->opt.nosync = true;
  *state = f;
  return 0;
}

static inline int fixture_teardown(void **state) {
  fixture_deinit(*state);
  free(*state);
  return 0;
}

/* Opens the fixture's store and insists that it works. */
static inline struct mb_store *fixture_open(struct store_fixture *f) {
  struct mb_store *s = NULL;
  int rc = mb_store_open(&s, f->dir, &f->opt);
  if (rc != 0)
    print_error("mb_store_open: %s\n", f->errbuf);
  assert_ok(rc);
  assert_non_null(s);
  return s;
}

#endif
