/*
 * meshbeat HTTP client: POST requests through libcurl's multi interface,
 * driven by a libuv loop (curl's multi_socket pattern: a uv_poll per socket
 * curl asks to watch, one uv_timer for curl's timeouts).  Nothing here
 * blocks the loop, starts a thread of its own or installs a signal handler;
 * every callback runs on the loop thread.  It is the bridge's transport and
 * knows no endpoint, body or retry policy: it reports what happened, and the
 * caller decides.
 *
 * What curl is told, for every request: POST only, no redirects followed,
 * http and https only, no signals (CURLOPT_NOSIGNAL), no
 * "Expect: 100-continue", a connect timeout and a whole-request timeout,
 * peer and host verification on (against ca_file, or the system's CAs).
 * Proxies follow curl's usual environment variables.
 *
 * Secrets: header values are never logged or copied into error text (the
 * client logs nothing; curl's verbose mode is never enabled), and the
 * copies of the headers this module makes are wiped before they are freed.
 * Error text is curl's own description of the failure, with every header
 * value removed should it ever appear there.
 *
 * Ownership: mb_http_client_post copies everything of the request it needs
 * (url, headers, body, ca_file): the caller may free its request as soon as
 * the call returns.  A result and everything it points to are borrowed for
 * the duration of the callback only.
 *
 * Errors: 0 or a negative code from MB_ERRNO_MAP (src/common/mb_common.h).
 */
#ifndef MESHBEAT_HTTP_CLIENT_H
#define MESHBEAT_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "mb_common.h"

/* Response bodies are untrusted: what is kept of one, unless the client's
 * options say otherwise. */
#define MB_HTTP_CLIENT_DEFAULT_BODY_CAP (64u * 1024u)
#define MB_HTTP_CLIENT_MAX_BODY_CAP (16u * 1024u * 1024u)
/* Connections kept open to one host at a time; further requests to it wait
 * in curl's queue (their timeouts run while they wait). */
#define MB_HTTP_CLIENT_DEFAULT_HOST_CONNECTIONS 16u
/* Timeouts used when a request leaves them at zero. */
#define MB_HTTP_CLIENT_DEFAULT_CONNECT_TIMEOUT_MS 10000u
#define MB_HTTP_CLIENT_DEFAULT_TIMEOUT_MS 30000u
/* A Retry-After value longer than this is reported cut to this length. */
#define MB_HTTP_CLIENT_RETRY_AFTER_MAX 128u

/* Zero means the default. */
struct mb_http_client_options {
  size_t body_cap;               /* bytes kept of a response body */
  uint32_t max_host_connections; /* concurrent connections to one host */
};

struct mb_http_client_header {
  const char *name;  /* an HTTP token, e.g. "Authorization" */
  const char *value; /* no CR, LF or NUL; may be a secret */
};

struct mb_http_client_request {
  const char *url; /* http:// or https:// */
  /* Sent as given, Host and Content-Length aside: name the body's
   * Content-Type (curl would call it application/x-www-form-urlencoded). */
  const struct mb_http_client_header *headers;
  size_t n_headers;
  const void *body; /* may be NULL when body_len is 0 */
  size_t body_len;
  uint32_t connect_timeout_ms; /* until the TCP (and TLS) connection is up */
  uint32_t timeout_ms;         /* the whole request, connecting included */
  const char *ca_file; /* PEM bundle to verify the server; NULL: system's */
};

/*
 * How a request ended.  Exactly one of:
 *   rc == 0: a response arrived; status is its HTTP status (any, 1xx-5xx:
 *            what a status means is the caller's business);
 *   rc <  0: no response; status is 0; rc says where it failed:
 *            MB_EHTTP_DNS       the host name did not resolve (also: no
 *                               address was tried before a timeout);
 *            MB_EHTTP_CONNECT   refused, unreachable, or a timeout before
 *                               the connection was up (for https that
 *                               includes a TLS handshake left unanswered);
 *            MB_EHTTP_TLS       the handshake failed or the server's
 *                               certificate did not verify;
 *            MB_EHTTP_TIMEOUT   connected, but no full response in time;
 *            MB_EHTTP_EXCHANGE  reset, closed or garbled mid-exchange;
 *            MB_EHTTP_CANCELLED the client was closed first;
 *            -ENOMEM.
 */
struct mb_http_client_result {
  int rc;
  int status;
  const char *retry_after; /* the raw Retry-After value, or NULL */
  const uint8_t *body;     /* at most the client's body_cap bytes */
  size_t body_len;         /* (body may be NULL when body_len is 0) */
  bool body_truncated;     /* the response had more; the rest was refused */
  uint64_t elapsed_ms;     /* from mb_http_client_post to the end */
  const char *error;       /* "" when rc == 0; else a line for a log */
};

/* Called once per accepted request, on the loop thread, never from inside
 * mb_http_client_post.  It may post further requests, or close the client
 * (the other requests' callbacks then run before close returns). */
typedef void (*mb_http_client_done_cb)(void *user,
                                       const struct mb_http_client_result *r);
typedef void (*mb_http_client_closed_cb)(void *arg);

struct mb_http_client;

/*
 * A client on loop (which must outlive it).  Each client holds a reference
 * on libcurl's global state (curl_global_init, counted by curl) until it is
 * closed.  0 with *out set, MB_EINVAL (a body_cap above
 * MB_HTTP_CLIENT_MAX_BODY_CAP), or -ENOMEM.
 */
int mb_http_client_open(struct mb_http_client **out, uv_loop_t *loop,
                        const struct mb_http_client_options *opt);

/*
 * Starts a POST.  0: cb(user, result) will be called exactly once.
 * Negative: cb will never be called: MB_EINVAL (no url, a scheme other than
 * http or https, a malformed url, a header name that is not a token or a
 * value with CR, LF or NUL, the client is closing), -ENOMEM.
 */
int mb_http_client_post(struct mb_http_client *c,
                        const struct mb_http_client_request *req,
                        mb_http_client_done_cb cb, void *user);

/* Requests posted and not finished yet. */
size_t mb_http_client_in_flight(const struct mb_http_client *c);

/*
 * Cancels every request in flight (each callback is called once, with
 * MB_EHTTP_CANCELLED, before this returns), closes every connection and
 * releases the client; closed(arg) (may be NULL) is called once its last
 * libuv handle is closed, after which the loop holds nothing of it.  c must
 * not be used after this call.  NULL is ignored.
 */
void mb_http_client_close(struct mb_http_client *c,
                          mb_http_client_closed_cb closed, void *arg);

#endif
