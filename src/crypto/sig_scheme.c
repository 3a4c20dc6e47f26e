/*
 * The two signature schemes.  Ed25519 is the product; the stand-in exists
 * so the simulator can run tens of thousands of nodes: it keeps every size
 * and every code path the same and replaces only the arithmetic with one
 * BLAKE2b-512 of (public key, message), which anyone can compute.
 */
#include "mb_crypto.h"

#include <sodium.h>

static void ed25519_sign(uint8_t sig[MB_SIG_LEN], const uint8_t *msg,
                         size_t len, const uint8_t sk[64]) {
  crypto_sign_detached(sig, NULL, msg, len, sk);
}

static int ed25519_verify(const uint8_t sig[MB_SIG_LEN], const uint8_t *msg,
                          size_t len, const uint8_t pk[MB_NODE_ID_LEN]) {
  return crypto_sign_verify_detached(sig, msg, len, pk);
}

const struct mb_sig_scheme mb_sig_ed25519 = {
    .name = "ed25519", .sign = ed25519_sign, .verify = ed25519_verify};

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

const struct mb_sig_scheme mb_sig_standin = {
    .name = "standin", .sign = standin_sign, .verify = standin_verify};
