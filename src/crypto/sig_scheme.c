/*
 * Ed25519, the product's signature scheme, behind the seam struct
 * mb_sig_scheme.  The simulator's forgeable stand-in lives in
 * sim/standin_scheme.c: nothing that ships can select it.
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
                                             .agree = ed25519_agree,
                                             .cheap_agree = false};
