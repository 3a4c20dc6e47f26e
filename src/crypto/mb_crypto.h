/*
 * meshbeat crypto layer: node identity, COSE_Sign1 envelopes, pairwise
 * keys and COSE_Mac0 envelopes, admission
 * certificates (CWT), per-sender replay windows and a cache of verified
 * records.  Uses libsodium for every primitive and the common layer's CBOR
 * reader and writer for the envelopes; knows nothing of gossip messages.
 *
 * Standards:
 *   COSE_Sign1 — RFC 9052 §4.2 (tag 18), EdDSA alg -8 (RFC 9053 §2.2) in the
 *     protected header, kid (label 4) in the unprotected header, external
 *     AAD supplied by the caller (the cluster name for gossip).
 *   Certificates — CWT, RFC 8392, optionally wrapped in tag 61; the node key
 *     is a proof-of-possession key (RFC 8747 "cnf") as an OKP COSE_Key.
 *   Replay window — in the spirit of RFC 4303 §3.4.3.
 *
 * Errors: 0 or a negative MB_E* / -errno code (see mb_common.h).
 * Ownership: parse functions return pointers into the caller's input, valid
 * as long as that input is; nothing here keeps them.  mb_vcache_new() and
 * mb_blobs_new() allocate, their _free functions release; nothing else
 * allocates except the signing of payloads larger than MB_COSE_STACK_MAX,
 * which uses the heap.
 */
#ifndef MESHBEAT_CRYPTO_H
#define MESHBEAT_CRYPTO_H

#include "mb_common.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MB_NODE_ID_LEN 32
#define MB_NODE_ID_HEX_LEN (2 * MB_NODE_ID_LEN)
#define MB_SIG_LEN 64
#define MB_SEED_LEN 32

/* ---- signature schemes ------------------------------------------------- */

/*
 * The one seam in the crypto layer: how a 64-byte signature is made and
 * checked.  mb_sig_ed25519 is the product.  The simulator brings its own
 * scheme (sim/standin_scheme.c), a hash of the same size that anyone can
 * forge, for simulations too large to pay for Ed25519; nothing shipped can
 * select it.  NULL wherever a scheme is taken means Ed25519.
 */
struct mb_sig_scheme {
  const char *name;
  void (*sign)(uint8_t sig[MB_SIG_LEN], const uint8_t *msg, size_t len,
               const uint8_t sk[64]);
  /* 0 when sig is valid for msg under pk. */
  int (*verify)(const uint8_t sig[MB_SIG_LEN], const uint8_t *msg, size_t len,
                const uint8_t pk[MB_NODE_ID_LEN]);
  /* The key two nodes share (mb_pair_key): 0, or -1 for a peer key that
   * admits no agreement. */
  int (*agree)(uint8_t key[32], const uint8_t sk[64],
               const uint8_t peer_pk[MB_NODE_ID_LEN]);
  /* Agreement costs less than looking a kept key up: callers derive it
   * again each time instead of keeping one per peer. */
  bool cheap_agree;
};

extern const struct mb_sig_scheme mb_sig_ed25519;

/* ---- identity ---------------------------------------------------------- */

struct mb_identity {
  uint8_t pk[MB_NODE_ID_LEN];         /* the node id */
  uint8_t sk[64];                     /* libsodium's seed||pk secret key */
  const struct mb_sig_scheme *scheme; /* NULL: Ed25519 */
};

/* A fresh random key pair. */
void mb_identity_generate(struct mb_identity *id);
/* The key pair of a 32-byte seed (for reproducible test vectors). */
void mb_identity_from_seed(struct mb_identity *id,
                           const uint8_t seed[MB_SEED_LEN]);
/* Overwrites the secret half in memory. */
void mb_identity_wipe(struct mb_identity *id);

/*
 * Key files hold one line "meshbeat-ed25519-secret-v1 <64 hex of seed>".
 * save: creates path with mode 0600 and refuses to replace an existing file
 * (-EEXIST).  load: refuses a file readable by group or others (MB_EKEYPERM)
 * and anything that is not a key file (MB_EKEYFORMAT).
 */
int mb_identity_save(const struct mb_identity *id, const char *path);
int mb_identity_load(struct mb_identity *id, const char *path);

/* 64 lowercase hex characters plus NUL. */
void mb_node_id_hex(char out[MB_NODE_ID_HEX_LEN + 1],
                    const uint8_t id[MB_NODE_ID_LEN]);
int mb_node_id_parse(uint8_t id[MB_NODE_ID_LEN], const char *hex);

/* ---- COSE_Sign1 -------------------------------------------------------- */

#define MB_COSE_TAG_SIGN1 18
#define MB_CWT_TAG 61
#define MB_COSE_ALG_EDDSA (-8)
#define MB_COSE_HDR_ALG 1
#define MB_COSE_HDR_CRIT 2
#define MB_COSE_HDR_KID 4
/* Sig_structure payloads up to this size are built on the stack. */
#define MB_COSE_STACK_MAX 2048
/* Fixed bytes a COSE_Sign1 adds around its payload (payload head excluded):
 * tag, array, protected {1:-8}, unprotected {4: kid}, signature. */
#define MB_COSE_OVERHEAD (1 + 1 + 4 + 36 + 66)

struct mb_cose_sign1 {
  const uint8_t *protected_hdr; /* the serialized protected header */
  size_t protected_len;
  const uint8_t *kid; /* MB_NODE_ID_LEN bytes */
  const uint8_t *payload;
  size_t payload_len;
  const uint8_t *signature; /* MB_SIG_LEN bytes */
  bool cwt_tagged;          /* was wrapped in tag 61 */
};

/*
 * Writes 18([h'a10127', {4: kid}, payload, signature]) with the signer's
 * public key as kid.  Sticky-fails the writer when it does not fit.
 */
int mb_cose_sign1_write(struct mb_cbor_writer *w,
                        const struct mb_identity *signer, const uint8_t *aad,
                        size_t aad_len, const uint8_t *payload,
                        size_t payload_len);

/*
 * Parses one COSE_Sign1 that must fill buf exactly.  Requires tag 18 (tag 61
 * around it is accepted when allow_cwt_tag), alg -8 in the protected header,
 * no crit header, and a 32-byte kid.  Does not verify.
 */
int mb_cose_sign1_parse(const uint8_t *buf, size_t len, bool allow_cwt_tag,
                        struct mb_cose_sign1 *out);

/* A serialized protected header that names `alg` (label 1) and nothing
 * critical (label 2): MB_OK, or MB_EALG. */
int mb_cose_check_protected(const uint8_t *p, size_t n, int64_t alg);

/* Verifies the signature over the RFC 9052 Sig_structure with public key pk
 * (pass m->kid for self-identified messages).  MB_OK or MB_EBADSIG. */
int mb_cose_sign1_verify(const struct mb_cose_sign1 *m, const uint8_t *aad,
                         size_t aad_len, const uint8_t pk[MB_NODE_ID_LEN]);
/* The same under another scheme (NULL: Ed25519). */
int mb_cose_sign1_verify_scheme(const struct mb_sig_scheme *scheme,
                                const struct mb_cose_sign1 *m,
                                const uint8_t *aad, size_t aad_len,
                                const uint8_t pk[MB_NODE_ID_LEN]);

/* ---- pairwise keys and COSE_Mac0 ------------------------------------- */

/*
 * Two members that hold each other's certificates authenticate datagrams
 * with a MAC instead of a signature: a forged one then costs the receiver
 * one HMAC, and a tag is 8 bytes instead of 64.
 *
 * The key of a pair is libsodium's key exchange (crypto_kx: BLAKE2b-512 of
 * the X25519 shared point and both X25519 public keys) over the members'
 * Ed25519 identities converted to X25519; the member with the lower node
 * id takes the client's role, and the pair uses the client's transmit key
 * (= the server's receive key) in both directions.  The direction, and the
 * receiver, are bound by the external AAD each datagram is MACed with.
 *
 * COSE_Mac0 — RFC 9052 §6.2 (tag 17), alg HMAC 256/64 (value 4, RFC 9053
 * §3.1) in the protected header, kid (label 4) in the unprotected header:
 * the sender's 8-byte node ref, since the receiver holds the full id.
 */
#define MB_PAIR_KEY_LEN 32
#define MB_MAC_TAG_LEN 8
#define MB_MAC_KID_LEN 8
#define MB_COSE_TAG_MAC0 17
#define MB_COSE_ALG_HMAC256_64 4
/* Fixed bytes a COSE_Mac0 adds around its payload (payload head excluded):
 * tag, array, protected {1: 4}, unprotected {4: kid}, tag. */
#define MB_MAC0_OVERHEAD (1 + 1 + 4 + 11 + 9)

/* The key self shares with peer, under self's scheme (NULL: Ed25519).
 * MB_EKID when peer's key admits no agreement (not a curve point, or of
 * low order). */
int mb_pair_key(uint8_t key[MB_PAIR_KEY_LEN], const struct mb_identity *self,
                const uint8_t peer[MB_NODE_ID_LEN]);

struct mb_cose_mac0 {
  const uint8_t *protected_hdr;
  size_t protected_len;
  const uint8_t *kid; /* MB_MAC_KID_LEN bytes */
  const uint8_t *payload;
  size_t payload_len;
  const uint8_t *tag; /* MB_MAC_TAG_LEN bytes */
};

/* Writes 17([h'a10104', {4: kid}, payload, tag]). */
int mb_cose_mac0_write(struct mb_cbor_writer *w,
                       const uint8_t key[MB_PAIR_KEY_LEN],
                       const uint8_t kid[MB_MAC_KID_LEN], const uint8_t *aad,
                       size_t aad_len, const uint8_t *payload,
                       size_t payload_len);
/* Parses one COSE_Mac0 that must fill buf exactly: tag 17, alg 4, no crit
 * header, an 8-byte kid and an 8-byte tag.  Does not verify. */
int mb_cose_mac0_parse(const uint8_t *buf, size_t len,
                       struct mb_cose_mac0 *out);
/* MB_OK when the tag is HMAC-SHA-256 (truncated to 64 bits) of the
 * RFC 9052 MAC_structure ["MAC0", protected, aad, payload]; MB_EBADSIG
 * otherwise. */
int mb_cose_mac0_verify(const struct mb_cose_mac0 *m,
                        const uint8_t key[MB_PAIR_KEY_LEN], const uint8_t *aad,
                        size_t aad_len);

/* ---- admission certificates (CWT) -------------------------------------- */

#define MB_NAME_MAX 63
#define MB_DOMAIN_MAX 63
#define MB_ROLE_MAX 31
#define MB_CERT_MAX_ROLES 8
#define MB_CERT_MAX_LEN 768

/* CWT claim keys (RFC 8392 §4) and our private-use claims (< -65536). */
#define MB_CWT_SUB 2
#define MB_CWT_EXP 4
#define MB_CWT_NBF 5
#define MB_CWT_IAT 6
#define MB_CWT_CNF 8
#define MB_CWT_DOMAIN (-65537)
#define MB_CWT_ROLES (-65538)

struct mb_cert {
  uint8_t node_id[MB_NODE_ID_LEN];
  char name[MB_NAME_MAX + 1];
  char domain[MB_DOMAIN_MAX + 1]; /* "" when absent */
  int64_t issued_at;              /* seconds since the Unix epoch */
  int64_t expires_at;
  int64_t not_before; /* 0 when absent */
  size_t n_roles;
  char roles[MB_CERT_MAX_ROLES][MB_ROLE_MAX + 1];
  uint8_t authority[MB_NODE_ID_LEN]; /* the kid of the signature */
};

/* Signs the claims of c (its authority field is ignored and set from the
 * signer) as 61(18([...])) into out; *out_len receives the size. */
int mb_cert_issue(const struct mb_identity *authority, const struct mb_cert *c,
                  uint8_t *out, size_t cap, size_t *out_len);

/* Decodes the claims without verifying anything (for display). */
int mb_cert_decode(const uint8_t *buf, size_t len, struct mb_cert *out);

/*
 * Accepts a certificate only if it parses, names authority_pk as its signer,
 * verifies under that key and is valid at now_s (with skew_s of tolerance
 * for clocks on either side).  Returns MB_OK or the reason: MB_EAUTHORITY,
 * MB_EBADSIG, MB_EEXPIRED, MB_ENOTYET, or a decoding error.
 */
int mb_cert_verify(const uint8_t *buf, size_t len,
                   const uint8_t authority_pk[MB_NODE_ID_LEN], int64_t now_s,
                   int64_t skew_s, struct mb_cert *out);

/* The same, checking the signature once per certificate through a cache
 * of verified records (and with the cache's signature scheme). */
struct mb_vcache;
int mb_cert_verify_cached(struct mb_vcache *vc, const uint8_t *buf, size_t len,
                          const uint8_t authority_pk[MB_NODE_ID_LEN],
                          int64_t now_s, int64_t skew_s, struct mb_cert *out);

/* ---- replay window ----------------------------------------------------- */

#define MB_REPLAY_WINDOW 256

/*
 * One per sender.  Sequence numbers are 64-bit and must grow; the window
 * remembers which of the last MB_REPLAY_WINDOW numbers below the highest seen
 * have arrived.  Check before the (expensive) signature check, commit after,
 * so forged datagrams cannot move the window.
 */
struct mb_replay_window {
  uint64_t top;                         /* highest committed number */
  uint64_t seen[MB_REPLAY_WINDOW / 64]; /* bit i: top - i has arrived;
                                           bit 0 doubles as "started" */
};

void mb_replay_init(struct mb_replay_window *w);
/* MB_OK if seq would be accepted; MB_EREPLAY or MB_ESTALE otherwise. */
int mb_replay_check(const struct mb_replay_window *w, uint64_t seq);
/* Records seq as seen (call only after authentication succeeded). */
void mb_replay_commit(struct mb_replay_window *w, uint64_t seq);

/* ---- interned byte strings ---------------------------------------------- */

/*
 * Immutable byte strings shared by reference count: mb_blob_get returns a
 * copy of p (an existing one when the same bytes are already held, with one
 * more reference; NULL when out of memory), mb_blob_put drops a reference
 * to what mb_blob_get returned.  Single-threaded, like the cores that share
 * one pool in the simulator.  mb_blobs_free frees every blob still held.
 */
struct mb_blobs;
struct mb_blobs *mb_blobs_new(void);
void mb_blobs_free(struct mb_blobs *b);
const uint8_t *mb_blob_get(struct mb_blobs *b, const uint8_t *p, size_t len);
void mb_blob_put(struct mb_blobs *b, const uint8_t *data);
/* The length of what mb_blob_get returned (0 for NULL): holders that keep
 * many blobs need not store it again. */
size_t mb_blob_len(const uint8_t *data);
void mb_blobs_get_stats(const struct mb_blobs *b, size_t *count, size_t *bytes);

/* ---- cache of verified records ----------------------------------------- */

/*
 * Remembers which (aad, bytes) pairs have verified, keyed by their BLAKE2b
 * digest, so a record that reaches a node many times is verified once.  Fixed
 * memory: capacity 32-byte digests, set-associative with CLOCK
 * eviction.  Only successes are remembered.
 */
struct mb_vcache;

struct mb_vcache_stats {
  uint64_t hits;
  uint64_t misses;
  uint64_t evictions;
  size_t capacity;
};

/* capacity is rounded up to a multiple of 4; NULL on allocation failure.
 * Verifications made through the cache use its scheme (NULL: Ed25519). */
struct mb_vcache *mb_vcache_new(size_t capacity);
struct mb_vcache *mb_vcache_new_scheme(size_t capacity,
                                       const struct mb_sig_scheme *scheme);
const struct mb_sig_scheme *mb_vcache_scheme(const struct mb_vcache *c);
void mb_vcache_free(struct mb_vcache *c);
bool mb_vcache_lookup(struct mb_vcache *c, const uint8_t *aad, size_t aad_len,
                      const uint8_t *bytes, size_t len);
void mb_vcache_insert(struct mb_vcache *c, const uint8_t *aad, size_t aad_len,
                      const uint8_t *bytes, size_t len);
void mb_vcache_get_stats(const struct mb_vcache *c,
                         struct mb_vcache_stats *out);

/*
 * Verifies an already parsed COSE_Sign1 (whose bytes are buf) under pk,
 * consulting and filling the cache when c is not NULL: the one place that
 * decides what a cache hit may skip.
 */
int mb_cose_sign1_verify_cached(struct mb_vcache *c,
                                const struct mb_cose_sign1 *m,
                                const uint8_t *buf, size_t len,
                                const uint8_t *aad, size_t aad_len,
                                const uint8_t pk[MB_NODE_ID_LEN]);

/*
 * Parses and verifies a self-identified COSE_Sign1 (signed by its kid),
 * consulting and filling the cache when c is not NULL.
 */
int mb_cose_verify_cached(struct mb_vcache *c, const uint8_t *buf, size_t len,
                          const uint8_t *aad, size_t aad_len,
                          struct mb_cose_sign1 *out);

#endif
