/*
 * The two signature schemes.  Ed25519 is the product; the stand-in exists
 * so the simulator can run tens of thousands of nodes: it keeps every size
 * and every code path the same and replaces only the arithmetic with one
 * BLAKE2b-512 of (public key, message), which anyone can compute, and
 * the key agreement with a hash of both public keys.
 */
#include "mb_crypto.h"

#include <sodium.h>
#include <string.h>

static void ed25519_sign(uint8_t sig[MB_SIG_LEN], const uint8_t *msg,
                         size_t len, const uint8_t sk[64]) {
  crypto_sign_detached(sig, NULL, msg, len, sk);
}

static int ed25519_verify(const uint8_t sig[MB_SIG_LEN], const uint8_t *msg,
                          size_t len, const uint8_t pk[MB_NODE_ID_LEN]) {
  return crypto_sign_verify_detached(sig, msg, len, pk);
}

/* crypto_kx over the X25519 forms of both identities; the lower node id is
 * the client, and both ends use the client's transmit key. */
static int ed25519_agree(uint8_t key[32], const uint8_t sk[64],
                         const uint8_t peer_pk[MB_NODE_ID_LEN]) {
  uint8_t xsk[32], xpk[32], peer_xpk[32], rx[32], tx[32];
  const uint8_t *pk = sk + 32;
  int rc = crypto_sign_ed25519_pk_to_curve25519(peer_xpk, peer_pk);
  if (rc == 0)
    rc = crypto_sign_ed25519_pk_to_curve25519(xpk, pk);
  if (rc == 0) {
    crypto_sign_ed25519_sk_to_curve25519(xsk, sk);
    if (memcmp(pk, peer_pk, MB_NODE_ID_LEN) < 0) {
      rc = crypto_kx_client_session_keys(rx, tx, xpk, xsk, peer_xpk);
      memcpy(key, tx, 32);
    } else {
      rc = crypto_kx_server_session_keys(rx, tx, xpk, xsk, peer_xpk);
      memcpy(key, rx, 32);
    }
  }
  sodium_memzero(xsk, sizeof(xsk));
  sodium_memzero(rx, sizeof(rx));
  sodium_memzero(tx, sizeof(tx));
  return rc == 0 ? 0 : -1;
}

const struct mb_sig_scheme mb_sig_ed25519 = {.name = "ed25519",
                                             .sign = ed25519_sign,
                                             .verify = ed25519_verify,
                                             .agree = ed25519_agree};

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

const struct mb_sig_scheme mb_sig_standin = {.name = "standin",
                                             .sign = standin_sign,
                                             .verify = standin_verify,
                                             .agree = standin_agree};
