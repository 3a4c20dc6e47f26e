/*
 * Pair keys: the key we share with each member (mb_pair_key), derived the
 * first time a datagram to or from it needs one.  Under Ed25519 that is an
 * X25519 agreement, tens of microseconds, so each is kept, by member
 * index, outside struct member: a simulator of n nodes holds n² members,
 * and under a scheme with cheap agreement (the simulator's stand-in) a key
 * is one BLAKE2b, cheaper to derive
 * again than 32 bytes an entry are to keep (10 000 simulated nodes would
 * need 3.2 GB more).
 */
#include "swim_internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static bool worth_keeping(const struct swim *s) {
  return s->id.scheme == NULL || !s->id.scheme->cheap_agree;
}

static uint8_t *slot(struct swim *s, size_t idx) {
  if (idx >= s->pair_keys_cap) {
    size_t cap = s->pair_keys_cap ? s->pair_keys_cap : 16;
    while (cap <= idx)
      cap *= 2;
    uint8_t(*k)[MB_PAIR_KEY_LEN] = realloc(s->pair_keys, cap * sizeof(*k));
    if (k == NULL)
      return NULL;
    s->pair_keys = k;
    s->pair_keys_cap = cap;
  }
  return s->pair_keys[idx];
}

const uint8_t *swim_pair_key(struct swim *s, struct member *m) {
  if (m->key_refused)
    return NULL;
  if (!worth_keeping(s)) {
    if (mb_pair_key(s->scratch_key, &s->id, m->id) == MB_OK)
      return s->scratch_key;
    m->key_refused = true;
    return NULL;
  }
  uint8_t *key = slot(s, swim_member_index(s, m));
  if (key == NULL)
    return NULL;
  if (!m->has_key) {
    if (mb_pair_key(key, &s->id, m->id) != MB_OK) {
      m->key_refused = true;
      return NULL;
    }
    m->has_key = true;
  }
  return key;
}

void swim_pair_key_moved(struct swim *s, size_t from, size_t to) {
  if (s->m[to].has_key)
    memcpy(s->pair_keys[to], s->pair_keys[from], MB_PAIR_KEY_LEN);
}

void swim_pair_keys_free(struct swim *s) {
  if (s->pair_keys != NULL)
    sodium_memzero(s->pair_keys, s->pair_keys_cap * MB_PAIR_KEY_LEN);
  free(s->pair_keys);
  s->pair_keys = NULL;
  s->pair_keys_cap = 0;
}
