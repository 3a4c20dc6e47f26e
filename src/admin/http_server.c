/*
 * The HTTP listener's life: parse the address, bind and listen ourselves
 * (so a taken port is -EADDRINUSE, not a log line from the library), start
 * libmicrohttpd in external-epoll mode on that socket, and drive it from the
 * loop: whenever its epoll fd is readable or its timeout comes, MHD_run does
 * the pending I/O without blocking, then the timer is re-armed from
 * MHD_get_timeout.  libmicrohttpd starts no thread in this mode.
 */
#include "http_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HTTP_BACKLOG 64

/* "127.0.0.1:9100", "[::1]:9100", "[::]:0" -> a socket address. */
static int parse_listen(const char *text, struct sockaddr_storage *sa) {
  char host[64];
  const char *colon = text != NULL ? strrchr(text, ':') : NULL;
  if (colon == NULL || colon == text || colon[1] == '\0')
    return MB_EINVAL;
  size_t hl = (size_t)(colon - text);
  const char *h = text;
  if (text[0] == '[') {
    if (hl < 2 || text[hl - 1] != ']')
      return MB_EINVAL;
    h++, hl -= 2;
  }
  if (hl >= sizeof(host))
    return MB_EINVAL;
  memcpy(host, h, hl);
  host[hl] = '\0';
  char *end;
  errno = 0;
  unsigned long port = strtoul(colon + 1, &end, 10);
  if (errno != 0 || *end != '\0' || port > 65535 || colon[1] == '-' ||
      colon[1] == '+')
    return MB_EINVAL;
  memset(sa, 0, sizeof(*sa));
  if (text[0] == '[')
    return uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)sa) == 0
               ? 0
               : MB_EINVAL;
  return uv_ip4_addr(host, (int)port, (struct sockaddr_in *)sa) == 0
             ? 0
             : MB_EINVAL;
}

static uint16_t bound_port(int fd) {
  struct sockaddr_storage sa;
  socklen_t len = sizeof(sa);
  if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
    return 0;
  return ntohs(sa.ss_family == AF_INET6
                   ? ((struct sockaddr_in6 *)&sa)->sin6_port
                   : ((struct sockaddr_in *)&sa)->sin_port);
}

static int listen_on(const struct sockaddr_storage *sa, int *out) {
  int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -errno;
  int one = 1;
  socklen_t len = sa->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                            : sizeof(struct sockaddr_in);
  /* REUSEADDR: a restart must not wait out the last run's TIME_WAITs. */
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      bind(fd, (const struct sockaddr *)sa, len) != 0 ||
      listen(fd, HTTP_BACKLOG) != 0) {
    int rc = -errno;
    close(fd);
    return rc;
  }
  *out = fd;
  return 0;
}

static void drive(struct mb_http *h);

static void on_poll(uv_poll_t *p, int status, int events) {
  (void)status, (void)events; /* MHD_run finds out what is ready */
  drive(p->data);
}

static void on_timer(uv_timer_t *t) {
  drive(t->data);
}

/* Does what libmicrohttpd has pending, then waits for its next deadline. */
static void drive(struct mb_http *h) {
  if (h->closing)
    return;
  MHD_run(h->mhd);
  MHD_UNSIGNED_LONG_LONG ms;
  if (MHD_get_timeout(h->mhd, &ms) == MHD_YES)
    uv_timer_start(&h->timer, on_timer, ms, 0);
  else
    uv_timer_stop(&h->timer);
}

static struct MHD_Daemon *start_mhd(struct mb_http *h, int fd,
                                    const struct mb_http_options *o) {
  unsigned max =
      o->max_connections ? o->max_connections : MB_HTTP_DEFAULT_MAX_CONNECTIONS;
  unsigned per_ip = max > 1 ? max / 2 : 1; /* one host cannot take all */
  unsigned timeout = o->timeout_s ? o->timeout_s : MB_HTTP_DEFAULT_TIMEOUT_S;
  return MHD_start_daemon(
      MHD_USE_EPOLL, 0, NULL, NULL, http_on_request, h,
      MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd, MHD_OPTION_CONNECTION_LIMIT,
      max, MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
      MHD_OPTION_CONNECTION_TIMEOUT, timeout, MHD_OPTION_END);
}

/* After a failed start libmicrohttpd may or may not have closed the socket
 * we gave it (it depends on where it failed); close it if it is still open.
 * Nothing else opens descriptors on this thread meanwhile. */
static void close_if_open(int fd) {
  if (fcntl(fd, F_GETFD) != -1)
    close(fd);
}

static int check_options(const struct mb_http_options *o) {
  if (o == NULL || o->routes == NULL || o->n_routes == 0)
    return MB_EINVAL;
  for (size_t i = 0; i < o->n_routes; i++)
    if (o->routes[i].path == NULL || o->routes[i].fn == NULL)
      return MB_EINVAL;
  return 0;
}

int mb_http_open(struct mb_http **out, uv_loop_t *loop,
                 const struct mb_http_options *opt) {
  struct sockaddr_storage sa;
  int fd = -1, rc = check_options(opt);
  if (rc == 0)
    rc = parse_listen(opt->listen, &sa);
  if (rc == 0)
    rc = listen_on(&sa, &fd);
  if (rc < 0)
    return rc;
  struct mb_http *h = calloc(1, sizeof(*h));
  if (h == NULL) {
    close(fd);
    return -ENOMEM;
  }
  h->loop = loop;
  h->routes = opt->routes;
  h->n_routes = opt->n_routes;
  h->ctx = opt->ctx;
  h->port = bound_port(fd);
  h->mhd = start_mhd(h, fd, opt);
  const union MHD_DaemonInfo *info =
      h->mhd ? MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
  if (info == NULL || uv_poll_init(loop, &h->poll, info->epoll_fd) != 0) {
    if (h->mhd != NULL)
      MHD_stop_daemon(h->mhd); /* closes fd too */
    else
      close_if_open(fd);
    free(h);
    return -EIO;
  }
  uv_timer_init(loop, &h->timer);
  h->poll.data = h->timer.data = h;
  h->open_handles = 2;
  uv_poll_start(&h->poll, UV_READABLE, on_poll);
  drive(h);
  *out = h;
  return 0;
}

uint16_t mb_http_port(const struct mb_http *h) {
  return h->port;
}

static void on_closed(uv_handle_t *handle) {
  struct mb_http *h = handle->data;
  if (--h->open_handles > 0)
    return;
  mb_admin_closed_cb cb = h->closed_cb;
  void *arg = h->closed_arg;
  free(h);
  if (cb != NULL)
    cb(arg);
}

void mb_http_close(struct mb_http *h, mb_admin_closed_cb cb, void *arg) {
  if (h == NULL || h->closing)
    return;
  h->closing = true;
  h->closed_cb = cb;
  h->closed_arg = arg;
  /* uv_close takes the epoll fd out of the loop's set at once, so the
   * daemon may close it right after. */
  uv_close((uv_handle_t *)&h->poll, on_closed);
  uv_close((uv_handle_t *)&h->timer, on_closed);
  MHD_stop_daemon(h->mhd);
  h->mhd = NULL;
}
