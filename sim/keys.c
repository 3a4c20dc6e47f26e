/*
 * Who the simulated nodes are: key pairs, admission certificates and
 * addresses, all derived from the run seed, so a seed names one whole
 * world.  Ed25519 signing is deterministic (RFC 8032), so real crypto keeps
 * runs reproducible.
 */
#include "sim.h"
#include "standin_scheme.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void le64(uint8_t out[8], uint64_t v) {
  for (int i = 0; i < 8; i++)
    out[i] = (uint8_t)(v >> (8 * i));
}

/* BLAKE2b(label || seed || a || b), len 16 .. 64 bytes. */
void sim_derive(uint64_t seed, const char *label, uint64_t a, uint64_t b,
                uint8_t *out, size_t len) {
  crypto_generichash_state st;
  uint8_t w[24];
  le64(w, seed);
  le64(w + 8, a);
  le64(w + 16, b);
  crypto_generichash_init(&st, NULL, 0, len);
  crypto_generichash_update(&st, (const uint8_t *)label, strlen(label) + 1);
  crypto_generichash_update(&st, w, sizeof(w));
  crypto_generichash_final(&st, out, len);
}

uint64_t sim_derive_u64(uint64_t seed, const char *label, uint64_t a,
                        uint64_t b) {
  uint8_t d[16];
  sim_derive(seed, label, a, b, d, sizeof(d));
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v |= (uint64_t)d[i] << (8 * i);
  return v;
}

void sim_node_identity(const struct sim *s, uint32_t i,
                       struct mb_identity *id) {
  uint8_t seed[MB_SEED_LEN];
  sim_derive(s->seed, "meshbeat-sim node key", i, 0, seed, sizeof(seed));
  mb_identity_from_seed(id, seed);
  sodium_memzero(seed, sizeof(seed));
  /* The stand-in is chosen here and only here, by --standin-crypto. */
  id->scheme = s->standin ? &sim_sig_standin : NULL;
}

/* Valid from a day before the virtual epoch for ten years, so neither clock
 * skew nor a long run makes it expire. */
int sim_node_cert(const struct sim *s, uint32_t i, const uint8_t pk[32],
                  uint8_t *out, size_t cap, size_t *len) {
  struct mb_cert c;
  memset(&c, 0, sizeof(c));
  memcpy(c.node_id, pk, MB_NODE_ID_LEN);
  snprintf(c.name, sizeof(c.name), "node-%u", i);
  snprintf(c.domain, sizeof(c.domain), "d%u", i % s->scn->domains);
  c.issued_at = SIM_WALL_BASE_MS / 1000 - 86400;
  c.expires_at = c.issued_at + 10ll * 366 * 86400;
  return mb_cert_issue(&s->authority, &c, out, cap, len);
}

/* Node i lives at 127.x.y.z:7946 with x.y.z = i + 1 in base 256, so no node
 * is 127.0.0.0 and up to 2^24 - 2 nodes have distinct addresses. */
void sim_node_addr(uint32_t i, struct mb_addr *a) {
  uint32_t v = i + 1;
  memset(a, 0, sizeof(*a));
  a->family = 4;
  a->ip[0] = 127;
  a->ip[1] = (uint8_t)(v >> 16);
  a->ip[2] = (uint8_t)(v >> 8);
  a->ip[3] = (uint8_t)v;
  a->port = SIM_PORT;
}

uint32_t sim_addr_node(const struct sim *s, const struct mb_addr *a) {
  if (a->family != 4 || a->ip[0] != 127 || a->port != SIM_PORT)
    return SIM_NONE;
  uint32_t v = (uint32_t)a->ip[1] << 16 | (uint32_t)a->ip[2] << 8 | a->ip[3];
  return v >= 1 && v <= s->n ? v - 1 : SIM_NONE;
}

static size_t slot_of(const struct sim *s, const uint8_t *id) {
  uint64_t h = 0;
  memcpy(&h, id, sizeof(h)); /* public keys are uniformly random */
  return (size_t)(h & (s->id_index_cap - 1));
}

/* Every node's id, and an index from id to node for reading events. */
int sim_ids_init(struct sim *s) {
  s->ids = malloc((size_t)s->n * MB_NODE_ID_LEN);
  s->id_index_cap = 16;
  while (s->id_index_cap < 2 * (size_t)s->n)
    s->id_index_cap *= 2;
  s->id_index = calloc(s->id_index_cap, sizeof(uint32_t));
  if (s->ids == NULL || s->id_index == NULL)
    return sim_fail(s, "out of memory for %u node ids", s->n);
  for (uint32_t i = 0; i < s->n; i++) {
    struct mb_identity id;
    sim_node_identity(s, i, &id);
    memcpy(s->ids + (size_t)i * MB_NODE_ID_LEN, id.pk, MB_NODE_ID_LEN);
    mb_identity_wipe(&id);
    size_t k = slot_of(s, id.pk);
    while (s->id_index[k] != 0)
      k = (k + 1) & (s->id_index_cap - 1);
    s->id_index[k] = i + 1;
  }
  return 0;
}

uint32_t sim_id_node(const struct sim *s, const uint8_t id[MB_NODE_ID_LEN]) {
  for (size_t k = slot_of(s, id); s->id_index[k] != 0;
       k = (k + 1) & (s->id_index_cap - 1)) {
    uint32_t i = s->id_index[k] - 1;
    if (memcmp(s->ids + (size_t)i * MB_NODE_ID_LEN, id, MB_NODE_ID_LEN) == 0)
      return i;
  }
  return SIM_NONE;
}
