/*
 * Helpers shared by the unit tests: return-code assertions that print the
 * symbolic names of both sides (cmocka would print -2101 as a 64-bit hex
 * number), a seeded PRNG so every "random" test replays exactly, and fixed
 * test identities.
 */
#ifndef MESHBEAT_TEST_UTIL_H
#define MESHBEAT_TEST_UTIL_H

/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdint.h>
#include <string.h>

#include "mb_common.h"

/* Fails unless actual == expected; prints both codes by name. */
#define assert_rc(actual, expected)                                            \
  test_assert_rc_((actual), (expected), #actual, __FILE__, __LINE__)
#define assert_ok(actual) assert_rc((actual), MB_OK)
/* Fails unless actual is a negative error code. */
#define assert_failed(actual)                                                  \
  test_assert_failed_((actual), #actual, __FILE__, __LINE__)

static inline void test_assert_rc_(int actual, int expected, const char *expr,
                                   const char *file, int line) {
  if (actual == expected)
    return;
  print_error("%s\n  returned %d (%s: %s)\n  expected %d (%s: %s)\n", expr,
              actual, mb_errname(actual), mb_strerror(actual), expected,
              mb_errname(expected), mb_strerror(expected));
  _fail(file, line);
}

static inline void test_assert_failed_(int actual, const char *expr,
                                       const char *file, int line) {
  if (actual < 0)
    return;
  print_error("%s\n  returned %d, expected an error code\n", expr, actual);
  _fail(file, line);
}

/*
 * splitmix64: small, good enough for shuffles and property tests, and the
 * seed is a constant so a failure is the same failure on every run.
 */
struct test_rng {
  uint64_t s;
};

static inline uint64_t test_rng_next(struct test_rng *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

/* Uniform enough in [0, n) for n far below 2^64. */
static inline uint64_t test_rng_below(struct test_rng *r, uint64_t n) {
  return test_rng_next(r) % n;
}

static inline void test_shuffle_u64(struct test_rng *r, uint64_t *v, size_t n) {
  for (size_t i = n; i > 1; i--) {
    size_t j = (size_t)test_rng_below(r, i);
    uint64_t t = v[i - 1];
    v[i - 1] = v[j];
    v[j] = t;
  }
}

/* A 32-byte seed whose every byte is `fill`: distinct, reproducible keys. */
static inline void test_seed(uint8_t seed[32], uint8_t fill) {
  memset(seed, fill, 32);
}

#endif
