/*
 * curl's multi_socket pattern on libuv: curl says which sockets to watch
 * for what (http_on_socket) and when to call it back (http_on_timer); the
 * loop says when a socket is ready or the time has come, and curl is told
 * with curl_multi_socket_action.  Never curl_multi_socket_action from
 * inside curl's callbacks: they only arm and disarm libuv handles.
 */
#include "http_client_internal.h"

#include <stdlib.h>

static void on_socket_closed(uv_handle_t *h) {
  struct http_socket *s = h->data;
  struct mb_http_client *c = s->client;
  free(s);
  http_handle_closed(c);
}

void http_socket_forget(struct http_socket *s) {
  struct mb_http_client *c = s->client;
  if (s->prev != NULL)
    s->prev->next = s->next;
  else
    c->sockets = s->next;
  if (s->next != NULL)
    s->next->prev = s->prev;
  uv_poll_stop(&s->poll);
  uv_close((uv_handle_t *)&s->poll, on_socket_closed);
}

static void act(struct mb_http_client *c, curl_socket_t fd, int flags) {
  int running = 0;
  curl_multi_socket_action(c->multi, fd, flags, &running);
  http_dispatch_done(c);
}

static void on_poll(uv_poll_t *p, int status, int events) {
  struct http_socket *s = p->data;
  int flags = 0;
  if (status < 0)
    flags = CURL_CSELECT_ERR;
  if (events & UV_READABLE)
    flags |= CURL_CSELECT_IN;
  if (events & UV_WRITABLE)
    flags |= CURL_CSELECT_OUT;
  act(s->client, s->fd, flags);
}

static void on_timeout(uv_timer_t *t) {
  act(t->data, CURL_SOCKET_TIMEOUT, 0);
}

static struct http_socket *socket_watch(struct mb_http_client *c,
                                        curl_socket_t fd) {
  struct http_socket *s = calloc(1, sizeof(*s));
  if (s == NULL)
    return NULL;
  if (uv_poll_init_socket(c->loop, &s->poll, fd) != 0) {
    free(s);
    return NULL;
  }
  s->poll.data = s;
  s->fd = fd;
  s->client = c;
  s->next = c->sockets;
  if (s->next != NULL)
    s->next->prev = s;
  c->sockets = s;
  c->live_handles++;
  curl_multi_assign(c->multi, fd, s);
  return s;
}

int http_on_socket(CURL *easy, curl_socket_t fd, int what, void *clientp,
                   void *socketp) {
  (void)easy;
  struct mb_http_client *c = clientp;
  struct http_socket *s = socketp;
  if (what == CURL_POLL_REMOVE) {
    /* curl forgets the assignment itself, and closes the socket after. */
    if (s != NULL)
      http_socket_forget(s);
    return 0;
  }
  if (s == NULL && (s = socket_watch(c, fd)) == NULL)
    return -1; /* curl fails the transfers on this socket */
  int events = 0;
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
    events |= UV_READABLE;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
    events |= UV_WRITABLE;
  return uv_poll_start(&s->poll, events, on_poll) == 0 ? 0 : -1;
}

int http_on_timer(CURLM *multi, long timeout_ms, void *clientp) {
  (void)multi;
  struct mb_http_client *c = clientp;
  if (timeout_ms < 0)
    uv_timer_stop(&c->timer);
  else /* 0 means at once: on the loop's next turn, not from in here */
    uv_timer_start(&c->timer, on_timeout, (uint64_t)timeout_ms, 0);
  return 0;
}

void http_dispatch_done(struct mb_http_client *c) {
  c->dispatching++;
  CURLMsg *msg;
  int left = 0;
  while (!c->closing && (msg = curl_multi_info_read(c->multi, &left))) {
    if (msg->msg != CURLMSG_DONE)
      continue;
    struct http_transfer *t = NULL;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
    http_transfer_finish(t, msg->data.result, false);
  }
  if (--c->dispatching == 0 && c->closing)
    http_teardown(c);
}
