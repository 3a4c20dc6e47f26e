/* The tests' servers (test_server.h). */
#include "test_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct ts_server {
  struct MHD_Daemon *daemon;
  pthread_mutex_t lock;
  struct ts_seen seen;
  char *cert, *key;
};

/* One request being received. */
struct ts_upload {
  size_t len;
  uint8_t body[512];
};

static char *slurp(const char *dir, const char *file) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", dir, file);
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  char *buf = calloc(1, 16384);
  if (buf != NULL)
    fread(buf, 1, 16383, f);
  fclose(f);
  return buf;
}

static void remember(struct ts_server *s, struct MHD_Connection *con,
                     const struct ts_upload *up) {
  const char *auth =
      MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Authorization");
  const char *type =
      MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Content-Type");
  pthread_mutex_lock(&s->lock);
  snprintf(s->seen.authorization, sizeof(s->seen.authorization), "%s",
           auth != NULL ? auth : "");
  snprintf(s->seen.content_type, sizeof(s->seen.content_type), "%s",
           type != NULL ? type : "");
  s->seen.body_len = up->len;
  memcpy(s->seen.body, up->body, up->len);
  s->seen.requests++;
  pthread_mutex_unlock(&s->lock);
}

static enum MHD_Result answer(struct MHD_Connection *con, const char *url) {
  unsigned status = MHD_HTTP_OK;
  const char *retry_after = NULL;
  size_t len = 2;
  char *body = strdup("ok");
  if (strcmp(url, TS_PATH_FAIL) == 0) {
    status = MHD_HTTP_INTERNAL_SERVER_ERROR;
  } else if (strcmp(url, TS_PATH_BUSY_SECONDS) == 0) {
    status = MHD_HTTP_TOO_MANY_REQUESTS;
    retry_after = "7";
  } else if (strcmp(url, TS_PATH_BUSY_DATE) == 0) {
    status = MHD_HTTP_TOO_MANY_REQUESTS;
    retry_after = TS_RETRY_AFTER_DATE;
  } else if (strcmp(url, TS_PATH_BIG) == 0) {
    len = TS_BIG_BODY;
    free(body);
    body = malloc(len);
    memset(body, 'x', len);
  }
  struct MHD_Response *r =
      MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
  if (retry_after != NULL)
    MHD_add_response_header(r, "Retry-After", retry_after);
  enum MHD_Result rc = MHD_queue_response(con, status, r);
  MHD_destroy_response(r);
  return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *data_size, void **state) {
  (void)method;
  (void)version;
  struct ts_upload *up = *state;
  if (up == NULL) {
    *state = calloc(1, sizeof(*up));
    return *state != NULL ? MHD_YES : MHD_NO;
  }
  if (*data_size > 0) {
    size_t take = *data_size;
    if (take > sizeof(up->body) - up->len)
      take = sizeof(up->body) - up->len;
    memcpy(up->body + up->len, data, take);
    up->len += take;
    *data_size = 0;
    return MHD_YES;
  }
  remember(cls, con, up);
  return answer(con, url);
}

static void on_completed(void *cls, struct MHD_Connection *con, void **state,
                         enum MHD_RequestTerminationCode why) {
  (void)cls;
  (void)con;
  (void)why;
  free(*state);
  *state = NULL;
}

struct ts_server *ts_server_start(bool tls, const char *dir) {
  struct ts_server *s = calloc(1, sizeof(*s));
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  unsigned flags =
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
  pthread_mutex_init(&s->lock, NULL);
  if (tls) {
    s->cert = slurp(dir, "server.pem");
    s->key = slurp(dir, "server-key.pem");
    if (s->cert == NULL || s->key == NULL) {
      ts_server_stop(s);
      return NULL;
    }
    flags |= MHD_USE_TLS;
  }
  s->daemon = MHD_start_daemon(
      flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &sa,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_CONNECTION_LIMIT,
      512u, tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, s->key,
      MHD_OPTION_HTTPS_MEM_CERT, s->cert, MHD_OPTION_END);
  if (s->daemon == NULL) {
    ts_server_stop(s);
    return NULL;
  }
  return s;
}

uint16_t ts_server_port(const struct ts_server *s) {
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
  return info != NULL ? info->port : 0;
}

void ts_server_seen(struct ts_server *s, struct ts_seen *out) {
  pthread_mutex_lock(&s->lock);
  *out = s->seen;
  pthread_mutex_unlock(&s->lock);
}

void ts_server_stop(struct ts_server *s) {
  if (s == NULL)
    return;
  if (s->daemon != NULL)
    MHD_stop_daemon(s->daemon);
  pthread_mutex_destroy(&s->lock);
  free(s->cert);
  free(s->key);
  free(s);
}

static void on_mute_ready(uv_poll_t *p, int status, int events) {
  (void)status;
  (void)events;
  struct ts_mute *m = p->data;
  int fd = accept4(m->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0)
    return;
  if (m->n_accepted < sizeof(m->accepted) / sizeof(m->accepted[0]))
    m->accepted[m->n_accepted++] = fd;
  else
    close(fd);
}

static int listen_loopback(void) {
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
      listen(fd, 64) != 0)
    abort();
  return fd;
}

static uint16_t local_port(int fd) {
  struct sockaddr_in sa;
  socklen_t len = sizeof(sa);
  getsockname(fd, (struct sockaddr *)&sa, &len);
  return ntohs(sa.sin_port);
}

void ts_mute_start(struct ts_mute *m, uv_loop_t *loop) {
  memset(m, 0, sizeof(*m));
  m->loop = loop;
  m->fd = listen_loopback();
  uv_poll_init(loop, &m->poll, m->fd);
  m->poll.data = m;
  uv_poll_start(&m->poll, UV_READABLE, on_mute_ready);
}

uint16_t ts_mute_port(const struct ts_mute *m) {
  return local_port(m->fd);
}

static void on_mute_closed(uv_handle_t *h) {
  struct ts_mute *m = h->data;
  close(m->fd);
}

void ts_mute_stop(struct ts_mute *m) {
  for (size_t i = 0; i < m->n_accepted; i++)
    close(m->accepted[i]);
  m->n_accepted = 0;
  uv_close((uv_handle_t *)&m->poll, on_mute_closed);
}

uint16_t ts_refusing_port(void) {
  int fd = listen_loopback();
  uint16_t port = local_port(fd);
  close(fd);
  return port;
}
