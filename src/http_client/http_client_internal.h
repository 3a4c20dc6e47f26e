/*
 * Inside the HTTP client: the client, its transfers and the sockets curl
 * asks it to watch.  Nothing here is visible outside src/http_client.
 */
#ifndef MESHBEAT_HTTP_CLIENT_INTERNAL_H
#define MESHBEAT_HTTP_CLIENT_INTERNAL_H

#include "mb_http_client.h"

#include <curl/curl.h>

/* A socket curl wants watched (CURLMOPT_SOCKETFUNCTION); assigned to it in
 * curl with curl_multi_assign so each later call finds it. */
struct http_socket {
  uv_poll_t poll;
  curl_socket_t fd;
  struct mb_http_client *client;
  struct http_socket *prev, *next;
};

/* One POST, from mb_http_client_post until its callback has returned. */
struct http_transfer {
  struct mb_http_client *client;
  CURL *easy;
  struct curl_slist *headers; /* "Name: value" lines; wiped when freed */
  mb_http_client_done_cb cb;
  void *user;
  uint64_t started_ns;
  uint8_t *body; /* what was kept of the response body */
  size_t body_len, body_alloc;
  bool body_truncated;
  bool body_oom;
  char retry_after[MB_HTTP_CLIENT_RETRY_AFTER_MAX + 1];
  char error[CURL_ERROR_SIZE]; /* curl's CURLOPT_ERRORBUFFER */
  struct http_transfer *prev, *next;
};

struct mb_http_client {
  uv_loop_t *loop;
  CURLM *multi;
  uv_timer_t timer; /* curl's one timeout (CURLMOPT_TIMERFUNCTION) */
  size_t body_cap;
  struct http_transfer *transfers;
  size_t n_transfers;
  struct http_socket *sockets;
  unsigned live_handles; /* uv handles not yet closed: timer + sockets */
  int dispatching;       /* depth of http_dispatch_done (callbacks) */
  bool closing;
  bool torn_down;
  mb_http_client_closed_cb closed;
  void *closed_arg;
};

/* drive.c: curl's callbacks and the loop's. */
int http_on_socket(CURL *easy, curl_socket_t fd, int what, void *clientp,
                   void *socketp);
int http_on_timer(CURLM *multi, long timeout_ms, void *clientp);
/* Reports every transfer curl has finished; then completes a close that a
 * callback asked for. */
void http_dispatch_done(struct mb_http_client *c);
/* Stops watching the socket and closes its handle (freed when closed). */
void http_socket_forget(struct http_socket *s);
/* Called from every handle's close callback. */
void http_handle_closed(struct mb_http_client *c);
/* Releases curl's state and closes every handle (client.c). */
void http_teardown(struct mb_http_client *c);

/* transfer.c */
/* Removes t from curl and the client, calls its callback with how it ended
 * (code: curl's result; cancelled overrides it) and frees it. */
void http_transfer_finish(struct http_transfer *t, CURLcode code,
                          bool cancelled);

/* outcome.c: curl's result as one of our codes. */
int http_classify(CURL *easy, CURLcode code);
/* Stars every occurrence of each header value (and of its last word, the
 * credential of "Scheme credential") in text. */
void http_redact(char *text, const struct curl_slist *headers);

#endif
