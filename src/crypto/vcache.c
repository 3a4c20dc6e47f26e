/*
 * Cache of verified records.  Gossip repeats every record λ·log(n) times and
 * push-pull repeats whole views, so most records a node receives it has
 * verified before; an Ed25519 verification costs ~50 µs, a BLAKE2b digest of
 * a few hundred bytes well under 1 µs.
 *
 * Layout: sets of WAYS digests; a digest picks its set from its first bytes.
 * Eviction is CLOCK within the set: a hit sets the entry's reference bit, the
 * hand clears bits until it finds an entry without one.
 */
#include "mb_crypto.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define WAYS 4
#define DIGEST_LEN 32

struct vcache_set {
  uint8_t digest[WAYS][DIGEST_LEN];
  uint8_t used; /* bit per way */
  uint8_t ref;  /* bit per way */
  uint8_t hand;
};

struct mb_vcache {
  const struct mb_sig_scheme *scheme;
  struct vcache_set *sets;
  size_t n_sets;
  struct mb_vcache_stats stats;
};

struct mb_vcache *mb_vcache_new(size_t capacity) {
  return mb_vcache_new_scheme(capacity, NULL);
}

const struct mb_sig_scheme *mb_vcache_scheme(const struct mb_vcache *c) {
  return c->scheme;
}

struct mb_vcache *mb_vcache_new_scheme(size_t capacity,
                                       const struct mb_sig_scheme *scheme) {
  struct mb_vcache *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return NULL;
  c->scheme = scheme;
  /* Written so that it cannot wrap for capacities near SIZE_MAX. */
  c->n_sets = capacity < WAYS ? 1 : capacity / WAYS + (capacity % WAYS != 0);
  c->sets = calloc(c->n_sets, sizeof(*c->sets));
  if (c->sets == NULL) {
    free(c);
    return NULL;
  }
  c->stats.capacity = c->n_sets * WAYS;
  return c;
}

void mb_vcache_free(struct mb_vcache *c) {
  if (c == NULL)
    return;
  free(c->sets);
  free(c);
}

/* Digest of len(aad) || aad || bytes, so equal bytes under another cluster
 * name are a different entry. */
static void digest_of(uint8_t out[DIGEST_LEN], const uint8_t *aad,
                      size_t aad_len, const uint8_t *bytes, size_t len) {
  crypto_generichash_state st;
  uint8_t n[8];
  for (int i = 0; i < 8; i++)
    n[i] = (uint8_t)((uint64_t)aad_len >> (8 * i));
  crypto_generichash_init(&st, NULL, 0, DIGEST_LEN);
  crypto_generichash_update(&st, n, sizeof(n));
  crypto_generichash_update(&st, aad, aad_len);
  crypto_generichash_update(&st, bytes, len);
  crypto_generichash_final(&st, out, DIGEST_LEN);
}

static struct vcache_set *set_of(struct mb_vcache *c,
                                 const uint8_t digest[DIGEST_LEN]) {
  uint64_t h;
  memcpy(&h, digest, sizeof(h));
  return &c->sets[h % c->n_sets];
}

static int find_way(const struct vcache_set *s,
                    const uint8_t digest[DIGEST_LEN]) {
  for (int i = 0; i < WAYS; i++)
    if ((s->used >> i & 1) && memcmp(s->digest[i], digest, DIGEST_LEN) == 0)
      return i;
  return -1;
}

bool mb_vcache_lookup(struct mb_vcache *c, const uint8_t *aad, size_t aad_len,
                      const uint8_t *bytes, size_t len) {
  uint8_t d[DIGEST_LEN];
  digest_of(d, aad, aad_len, bytes, len);
  struct vcache_set *s = set_of(c, d);
  int way = find_way(s, d);
  if (way < 0) {
    c->stats.misses++;
    return false;
  }
  s->ref |= (uint8_t)(1u << way);
  c->stats.hits++;
  return true;
}

static int choose_victim(struct mb_vcache *c, struct vcache_set *s) {
  for (int i = 0; i < WAYS; i++)
    if (!(s->used >> i & 1))
      return i;
  for (;;) {
    int way = s->hand;
    s->hand = (uint8_t)((s->hand + 1) % WAYS);
    if (!(s->ref >> way & 1)) {
      c->stats.evictions++;
      return way;
    }
    s->ref &= (uint8_t) ~(1u << way);
  }
}

void mb_vcache_insert(struct mb_vcache *c, const uint8_t *aad, size_t aad_len,
                      const uint8_t *bytes, size_t len) {
  uint8_t d[DIGEST_LEN];
  digest_of(d, aad, aad_len, bytes, len);
  struct vcache_set *s = set_of(c, d);
  if (find_way(s, d) >= 0)
    return;
  int way = choose_victim(c, s);
  memcpy(s->digest[way], d, DIGEST_LEN);
  s->used |= (uint8_t)(1u << way);
  s->ref &= (uint8_t) ~(1u << way);
}

void mb_vcache_get_stats(const struct mb_vcache *c,
                         struct mb_vcache_stats *out) {
  *out = c->stats;
}
