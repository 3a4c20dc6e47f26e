/*
 * The simulator's stand-in signature scheme: every size and code path of
 * Ed25519 kept, the arithmetic replaced by one BLAKE2b-512 of (public key,
 * message), which anyone can compute, and the key agreement by a hash of
 * both public keys.  It lets the simulator run tens of thousands of nodes;
 * it lives here, outside the crypto library, so that no shipped binary can
 * select a forgeable scheme.
 */
#include "standin_scheme.h"

#include <sodium.h>
#include <string.h>

static void standin_digest(uint8_t out[MB_SIG_LEN], const uint8_t *msg,
                           size_t len, const uint8_t pk[MB_NODE_ID_LEN]) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, MB_SIG_LEN);
  crypto_generichash_update(&st, pk, MB_NODE_ID_LEN);
  crypto_generichash_update(&st, msg, len);
  crypto_generichash_final(&st, out, MB_SIG_LEN);
}

/* libsodium's secret key is seed || public key. */
static void standin_sign(uint8_t sig[MB_SIG_LEN], const uint8_t *msg,
                         size_t len, const uint8_t sk[64]) {
  standin_digest(sig, msg, len, sk + 32);
}

static int standin_verify(const uint8_t sig[MB_SIG_LEN], const uint8_t *msg,
                          size_t len, const uint8_t pk[MB_NODE_ID_LEN]) {
  uint8_t want[MB_SIG_LEN];
  standin_digest(want, msg, len, pk);
  return sodium_memcmp(want, sig, MB_SIG_LEN);
}

/* BLAKE2b-256 of both public keys, lower first: the same at both ends,
 * and computable by anyone. */
static int standin_agree(uint8_t key[32], const uint8_t sk[64],
                         const uint8_t peer_pk[MB_NODE_ID_LEN]) {
  const uint8_t *pk = sk + 32;
  bool low = memcmp(pk, peer_pk, MB_NODE_ID_LEN) < 0;
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, 32);
  crypto_generichash_update(&st, low ? pk : peer_pk, MB_NODE_ID_LEN);
  crypto_generichash_update(&st, low ? peer_pk : pk, MB_NODE_ID_LEN);
  crypto_generichash_final(&st, key, 32);
  return 0;
}

const struct mb_sig_scheme sim_sig_standin = {.name = "standin",
                                              .sign = standin_sign,
                                              .verify = standin_verify,
                                              .agree = standin_agree,
                                              .cheap_agree = true};
