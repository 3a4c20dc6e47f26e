/*
 * Deterministic random numbers for the protocol core and the simulator:
 * xoshiro256** (Blackman and Vigna, 2018) seeded through splitmix64.  Not
 * for keys (libsodium makes those); for probe order, jitter and fault
 * injection, where the same seed must give the same run.
 */
#include "mb_common.h"

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

void mb_rng_seed(struct mb_rng *r, uint64_t seed) {
  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

uint64_t mb_rng_next(struct mb_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

uint64_t mb_rng_below(struct mb_rng *r, uint64_t n) {
  if (n <= 1)
    return 0;
  /* Rejection sampling keeps every value equally likely. */
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do
    x = mb_rng_next(r);
  while (x >= limit);
  return x % n;
}

double mb_rng_unit(struct mb_rng *r) {
  return (double)(mb_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}
