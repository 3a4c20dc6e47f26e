/*
 * Internals of the HTTP listener shared by its files:
 *   http_server.c  open (address, socket, libmicrohttpd), the loop driving
 *                  it (uv_poll on its epoll fd, uv_timer on its timeout),
 *                  close
 *   http_request.c one request: route, method, handler, response, stats
 *
 * Lifetime: the listener embeds its two libuv handles; its memory lives
 * until both close callbacks ran.  libmicrohttpd owns the listening socket,
 * its epoll fd and the connections once started, and closes them all in
 * MHD_stop_daemon, which mb_http_close calls after uv_close(poll) took the
 * epoll fd out of libuv's own epoll set.
 */
#ifndef MESHBEAT_HTTP_INTERNAL_H
#define MESHBEAT_HTTP_INTERNAL_H

#include "mb_admin.h"

#include <microhttpd.h>

struct mb_http {
  uv_loop_t *loop;
  uv_poll_t poll;   /* libmicrohttpd's epoll fd: readable when it has work */
  uv_timer_t timer; /* its next timeout (idle connections, pending work) */
  struct MHD_Daemon *mhd;
  uint16_t port;
  const struct mb_http_route *routes;
  size_t n_routes;
  void *ctx;
  unsigned open_handles; /* handles whose close callback is still due */
  bool closing;
  mb_admin_closed_cb closed_cb;
  void *closed_arg;
  struct mb_http_stats stats;
};

/* http_request.c: libmicrohttpd's access handler (cls is the listener). */
enum MHD_Result http_on_request(void *cls, struct MHD_Connection *conn,
                                const char *url, const char *method,
                                const char *version, const char *upload,
                                size_t *upload_size, void **con_cls);

#endif
