/*
 * Standard Webhooks signatures (standardwebhooks.com): the secret is
 * `whsec_` and the base64 of its key; the signature is HMAC-SHA256 over
 * "<webhook-id>.<webhook-timestamp>.<body>", sent as `v1,<base64>`.  During
 * a rotation several secrets are in force and the header carries one
 * signature per secret, space-separated, so a receiver holding either key
 * accepts the message.
 */
#include "mb_bridge.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define SECRET_PREFIX "whsec_"
#define SECRET_PREFIX_LEN (sizeof(SECRET_PREFIX) - 1)
/* Base64 of the largest key, with room to detect one too large. */
#define SECRET_B64_MAX (4 * ((MB_WEBHOOK_SECRET_MAX + 2) / 3) + 4)

static bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* One `whsec_<base64>` token of len bytes. */
static int parse_one(const char *tok, size_t len,
                     struct mb_webhook_secret *out) {
  if (len <= SECRET_PREFIX_LEN ||
      memcmp(tok, SECRET_PREFIX, SECRET_PREFIX_LEN) != 0)
    return MB_EINVAL;
  const char *b64 = tok + SECRET_PREFIX_LEN;
  size_t b64_len = len - SECRET_PREFIX_LEN;
  if (b64_len > SECRET_B64_MAX)
    return MB_ERANGE;
  uint8_t key[SECRET_B64_MAX];
  size_t key_len = 0;
  const char *end = NULL;
  /* padded as the spec's examples are, or with the padding left off */
  if ((sodium_base642bin(key, sizeof(key), b64, b64_len, NULL, &key_len, &end,
                         sodium_base64_VARIANT_ORIGINAL) != 0 ||
       end != b64 + b64_len) &&
      (sodium_base642bin(key, sizeof(key), b64, b64_len, NULL, &key_len, &end,
                         sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
       end != b64 + b64_len)) {
    sodium_memzero(key, sizeof(key));
    return MB_EINVAL;
  }
  int rc = 0;
  if (key_len < MB_WEBHOOK_SECRET_MIN || key_len > MB_WEBHOOK_SECRET_MAX)
    rc = MB_ERANGE;
  else
    memcpy(out->key, key, key_len), out->len = key_len;
  sodium_memzero(key, sizeof(key));
  return rc;
}

int mb_webhook_secrets_parse(const char *text, struct mb_webhook_secret *out,
                             size_t cap) {
  if (text == NULL || out == NULL)
    return MB_EINVAL;
  size_t n = 0;
  const char *p = text;
  for (;;) {
    while (is_space(*p))
      p++;
    if (*p == '\0')
      break;
    const char *tok = p;
    while (*p != '\0' && !is_space(*p))
      p++;
    if (n == cap)
      return MB_ETOOBIG;
    int rc = parse_one(tok, (size_t)(p - tok), &out[n]);
    if (rc < 0)
      return rc;
    n++;
  }
  return n > 0 ? (int)n : MB_EINVAL;
}

static void sign_one(const struct mb_webhook_secret *s, const char *msg_id,
                     const char *ts, const uint8_t *body, size_t body_len,
                     uint8_t mac[crypto_auth_hmacsha256_BYTES]) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, s->key, s->len);
  crypto_auth_hmacsha256_update(&st, (const uint8_t *)msg_id, strlen(msg_id));
  crypto_auth_hmacsha256_update(&st, (const uint8_t *)".", 1);
  crypto_auth_hmacsha256_update(&st, (const uint8_t *)ts, strlen(ts));
  crypto_auth_hmacsha256_update(&st, (const uint8_t *)".", 1);
  crypto_auth_hmacsha256_update(&st, body, body_len);
  crypto_auth_hmacsha256_final(&st, mac);
  sodium_memzero(&st, sizeof(st));
}

int mb_webhook_sign(const struct mb_webhook_secret *secrets, size_t n,
                    const char *msg_id, int64_t timestamp_s,
                    const uint8_t *body, size_t body_len, char *out,
                    size_t cap) {
  if (secrets == NULL || n == 0 || msg_id == NULL || out == NULL ||
      (body == NULL && body_len > 0) || timestamp_s < 0)
    return MB_EINVAL;
  if (cap < n * (MB_WEBHOOK_SIG_LEN + 1)) {
    if (cap > 0)
      out[0] = '\0';
    return MB_ENOSPACE;
  }
  char ts[24];
  snprintf(ts, sizeof(ts), "%" PRId64, timestamp_s);
  size_t len = 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    sign_one(&secrets[i], msg_id, ts, body, body_len, mac);
    if (i > 0)
      out[len++] = ' ';
    memcpy(out + len, "v1,", 3);
    len += 3;
    sodium_bin2base64(out + len, cap - len, mac, sizeof(mac),
                      sodium_base64_VARIANT_ORIGINAL);
    len += strlen(out + len);
  }
  return 0;
}
