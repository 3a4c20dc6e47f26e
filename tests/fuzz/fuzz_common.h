/*
 * What the fuzz targets, their replay driver and the corpus generator share:
 * the cluster name, the clock and the keys.  The seed corpus is signed with
 * these keys, so targets that verify signatures see valid ones and the
 * fuzzer starts from inputs that reach the deepest code.
 */
#ifndef MESHBEAT_FUZZ_COMMON_H
#define MESHBEAT_FUZZ_COMMON_H

#include "mb_crypto.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_AAD "meshbeat-fuzz"
#define FUZZ_AAD_LEN (sizeof(FUZZ_AAD) - 1)
#define FUZZ_OTHER_AAD "another-cluster"
/* 2026-01-01T00:00:00Z, inside the validity of the seed certificates. */
#define FUZZ_NOW_S INT64_C(1767225600)
#define FUZZ_SKEW_S 60

/* Seed bytes of the fixed identities: all 32 bytes of the seed are this. */
enum fuzz_key {
  FUZZ_KEY_NODE_A = 0x01,
  FUZZ_KEY_NODE_B = 0x02,
  FUZZ_KEY_NODE_C = 0x03,
  FUZZ_KEY_AUTHORITY = 0xa0,
  FUZZ_KEY_OTHER_AUTHORITY = 0xa1,
};

static inline void fuzz_identity(struct mb_identity *id, enum fuzz_key key) {
  uint8_t seed[MB_SEED_LEN];
  memset(seed, (int)key, sizeof(seed));
  mb_identity_from_seed(id, seed);
}

/* Bound datagrams in the corpus go from node A to node B at this epoch of
 * B's; MACed ones under the pair key of A and B. */
#define FUZZ_EPOCH UINT64_C(0x0123456789abcdef)

static inline const uint8_t *fuzz_aad(void) {
  return (const uint8_t *)FUZZ_AAD;
}

/* The entry point libFuzzer calls; the replay driver calls it too. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A broken invariant must crash: a crash is the only thing libFuzzer and the
 * replay driver report.  Checks stay on in every build type.
 */
static inline void fuzz_fail(const char *what, const char *file, int line) {
  fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, what);
  abort();
}

#define FUZZ_CHECK(cond)                                                       \
  do {                                                                         \
    if (!(cond))                                                               \
      fuzz_fail(#cond, __FILE__, __LINE__);                                    \
  } while (0)

/* True when [p, p+n) lies inside [buf, buf+len): decoders return pointers
 * into their input and must never point past it. */
static inline int fuzz_within(const uint8_t *p, size_t n, const uint8_t *buf,
                              size_t len) {
  return p != NULL && p >= buf && n <= len && (size_t)(p - buf) <= len - n;
}

#endif
