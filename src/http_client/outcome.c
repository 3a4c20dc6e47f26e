/* How a transfer ended, in our codes and in words safe to log. */
#include "http_client_internal.h"

#include <errno.h>
#include <string.h>

static bool is_tls_failure(CURLcode code) {
  switch (code) {
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_ENGINE_NOTFOUND:
  case CURLE_SSL_ENGINE_SETFAILED:
  case CURLE_SSL_ENGINE_INITFAILED:
  case CURLE_SSL_SHUTDOWN_FAILED:
  case CURLE_SSL_CLIENTCERT:
  case CURLE_USE_SSL_FAILED:
    return true;
  default:
    return false;
  }
}

/* A timeout before any address was tried is the resolver's; before the
 * connection was up, the connect's; after, the whole request's. */
static int classify_timeout(CURL *easy) {
  char *ip = NULL;
  curl_off_t connected_us = 0;
  curl_easy_getinfo(easy, CURLINFO_PRIMARY_IP, &ip);
  curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connected_us);
  if (ip == NULL || ip[0] == '\0')
    return MB_EHTTP_DNS;
  return connected_us == 0 ? MB_EHTTP_CONNECT : MB_EHTTP_TIMEOUT;
}

int http_classify(CURL *easy, CURLcode code) {
  if (is_tls_failure(code))
    return MB_EHTTP_TLS;
  switch (code) {
  case CURLE_OK:
    return 0;
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
    return MB_EHTTP_DNS;
  case CURLE_COULDNT_CONNECT:
    return MB_EHTTP_CONNECT;
  case CURLE_OPERATION_TIMEDOUT:
    return classify_timeout(easy);
  case CURLE_OUT_OF_MEMORY:
    return -ENOMEM;
  case CURLE_UNSUPPORTED_PROTOCOL:
  case CURLE_URL_MALFORMAT:
    return MB_EINVAL;
  default:
    return MB_EHTTP_EXCHANGE;
  }
}

static void star(char *text, const char *secret, size_t len) {
  if (len < 4) /* too short to be a credential; would star ordinary words */
    return;
  for (char *p = text; (p = memmem(p, strlen(p), secret, len)) != NULL;
       p += len)
    memset(p, '*', len);
}

void http_redact(char *text, const struct curl_slist *headers) {
  for (const struct curl_slist *l = headers; l != NULL; l = l->next) {
    const char *value = strchr(l->data, ':');
    if (value == NULL || value[1] == '\0')
      continue;
    value += 2; /* ": " */
    star(text, value, strlen(value));
    const char *last_word = strrchr(value, ' ');
    if (last_word != NULL)
      star(text, last_word + 1, strlen(last_word + 1));
  }
}
