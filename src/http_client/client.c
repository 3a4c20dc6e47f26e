/* The client's life: open, close and the release of its handles. */
#include "http_client_internal.h"

#include <errno.h>
#include <stdlib.h>

static void on_timer_closed(uv_handle_t *h) {
  http_handle_closed(h->data);
}

static int setup_multi(struct mb_http_client *c,
                       const struct mb_http_client_options *opt) {
  long per_host = (long)MB_HTTP_CLIENT_DEFAULT_HOST_CONNECTIONS;
  if (opt != NULL && opt->max_host_connections != 0)
    per_host = (long)opt->max_host_connections;
  c->multi = curl_multi_init();
  if (c->multi == NULL)
    return -ENOMEM;
  if (curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, http_on_socket) ||
      curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c) ||
      curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, http_on_timer) ||
      curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c) ||
      curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, per_host)) {
    curl_multi_cleanup(c->multi);
    return -ENOMEM;
  }
  return 0;
}

int mb_http_client_open(struct mb_http_client **out, uv_loop_t *loop,
                        const struct mb_http_client_options *opt) {
  size_t cap = MB_HTTP_CLIENT_DEFAULT_BODY_CAP;
  if (opt != NULL && opt->body_cap != 0)
    cap = opt->body_cap;
  if (out == NULL || loop == NULL || cap > MB_HTTP_CLIENT_MAX_BODY_CAP)
    return MB_EINVAL;
  struct mb_http_client *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return -ENOMEM;
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    free(c);
    return -ENOMEM;
  }
  c->loop = loop;
  c->body_cap = cap;
  int rc = setup_multi(c, opt);
  if (rc < 0) {
    curl_global_cleanup();
    free(c);
    return rc;
  }
  uv_timer_init(loop, &c->timer);
  c->timer.data = c;
  c->live_handles = 1;
  *out = c;
  return 0;
}

size_t mb_http_client_in_flight(const struct mb_http_client *c) {
  return c->n_transfers;
}

void mb_http_client_close(struct mb_http_client *c,
                          mb_http_client_closed_cb closed, void *arg) {
  if (c == NULL || c->closing)
    return;
  c->closing = true;
  c->closed = closed;
  c->closed_arg = arg;
  while (c->transfers != NULL)
    http_transfer_finish(c->transfers, CURLE_OK, true);
  /* A callback being dispatched may have closed the client: curl's state
   * is still in use up the stack, so the dispatcher tears down after. */
  if (c->dispatching == 0)
    http_teardown(c);
}

void http_teardown(struct mb_http_client *c) {
  if (c->torn_down)
    return;
  c->torn_down = true;
  /* curl closes its cached connections here and tells http_on_socket to
   * forget each socket. */
  curl_multi_cleanup(c->multi);
  c->multi = NULL;
  while (c->sockets != NULL)
    http_socket_forget(c->sockets);
  uv_timer_stop(&c->timer);
  uv_close((uv_handle_t *)&c->timer, on_timer_closed);
  curl_global_cleanup();
}

void http_handle_closed(struct mb_http_client *c) {
  if (--c->live_handles > 0 || !c->torn_down)
    return;
  mb_http_client_closed_cb closed = c->closed;
  void *arg = c->closed_arg;
  free(c);
  if (closed != NULL)
    closed(arg);
}
