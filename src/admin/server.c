/*
 * Admin server: opening, closing.
 *
 * Happy path: the path is free (or holds a stale socket, which is removed),
 * we bind, set the mode (and group) and listen on our own fd under a
 * temporary name, link it to the path, and hand the fd to libuv.  Binding
 * ourselves rather than with uv_pipe_bind keeps every failure before the
 * handles exist synchronous, and leaves unlinking to us.
 *
 * Failure modes: a live agent on the path (-EADDRINUSE, never unlinked);
 * a non-socket file on the path (-EEXIST, never unlinked); a path too long
 * for the temporary name (-ENAMETOOLONG); libuv failures after the link
 * (the socket file is removed again).
 */
#include "admin_internal.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define ADMIN_BACKLOG 128
/* How long a stale-socket probe may wait on a live agent's full backlog. */
#define ADMIN_PROBE_TIMEOUT_S 1

static int resolve_group(const char *name, gid_t *gid) {
  char buf[4096];
  struct group gr, *res = NULL;
  int rc = getgrnam_r(name, &gr, buf, sizeof(buf), &res);
  if (rc != 0 || res == NULL)
    return MB_EINVAL;
  *gid = gr.gr_gid;
  return 0;
}

static int unix_addr(struct sockaddr_un *sa, const char *path) {
  memset(sa, 0, sizeof(*sa));
  sa->sun_family = AF_UNIX;
  if (strlen(path) >= sizeof(sa->sun_path))
    return -ENAMETOOLONG;
  strcpy(sa->sun_path, path);
  return 0;
}

/* 0 when path is free (removing a socket nobody accepts on), else why not. */
static int clear_stale(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0)
    return errno == ENOENT ? 0 : -errno;
  if (!S_ISSOCK(st.st_mode))
    return -EEXIST;
  struct sockaddr_un sa;
  int rc = unix_addr(&sa, path);
  if (rc < 0)
    return rc;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  struct timeval tv = {.tv_sec = ADMIN_PROBE_TIMEOUT_S};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : -errno;
  close(fd);
  if (rc == 0 || rc == -EAGAIN) /* accepted, or a busy live listener */
    return -EADDRINUSE;
  if (rc != -ECONNREFUSED)
    return rc;
  return unlink(path) == 0 || errno == ENOENT ? 0 : -errno;
}

/*
 * Creates the socket under a temporary name, gives it its mode and group,
 * listens, and only then links it to the real path: a client never finds the
 * path unready or with the wrong mode, and link() fails if another agent got
 * the path meanwhile, where rename() would silently take it over.
 */
static int bind_socket(const struct mb_admin *a, unsigned mode, int *out) {
  char tmp[sizeof(a->path) + 32]; /* unix_addr checks what fits */
  struct sockaddr_un sa;
  snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", a->path, (long)getpid());
  int rc = unix_addr(&sa, tmp);
  if (rc < 0)
    return rc;
  unlink(tmp); /* left by a crashed process that had our pid */
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
      listen(fd, ADMIN_BACKLOG) != 0 ||
      (a->has_group && chown(tmp, (uid_t)-1, a->gid) != 0) ||
      chmod(tmp, mode) != 0 || link(tmp, a->path) != 0) {
    rc = errno == EEXIST ? -EADDRINUSE : -errno;
    close(fd);
    unlink(tmp);
    return rc;
  }
  unlink(tmp);
  *out = fd;
  return 0;
}

static int check_options(const struct mb_admin_options *o) {
  if (o == NULL || o->path == NULL || o->path[0] == '\0' ||
      o->n_commands > MB_ADMIN_MAX_COMMANDS ||
      (o->n_commands > 0 && o->commands == NULL))
    return MB_EINVAL;
  for (size_t i = 0; i < o->n_commands; i++)
    if (o->commands[i].cmd == NULL || o->commands[i].fn == NULL)
      return MB_EINVAL;
  return 0;
}

static void apply_options(struct mb_admin *a,
                          const struct mb_admin_options *o) {
  a->max_line = o->max_line ? o->max_line : MB_ADMIN_DEFAULT_MAX_LINE;
  a->heartbeat_ms =
      o->heartbeat_ms ? o->heartbeat_ms : MB_ADMIN_DEFAULT_HEARTBEAT_MS;
  a->max_clients =
      o->max_clients ? o->max_clients : MB_ADMIN_DEFAULT_MAX_CLIENTS;
  a->idle_timeout_ms = o->idle_timeout_ms ? o->idle_timeout_ms
                                          : MB_ADMIN_DEFAULT_IDLE_TIMEOUT_MS;
  a->max_queue = o->max_queue ? o->max_queue : MB_ADMIN_DEFAULT_MAX_QUEUE;
  a->commands = o->commands;
  a->n_commands = o->n_commands;
  a->ctx = o->ctx;
  a->uid = geteuid();
  strcpy(a->path, o->path); /* length checked against MB_ADMIN_PATH_MAX */
}

static void on_handle_closed(uv_handle_t *h) {
  admin_handle_closed(h->data);
}

int mb_admin_open(struct mb_admin **out, uv_loop_t *loop,
                  const struct mb_admin_options *opt) {
  int rc = check_options(opt);
  if (rc < 0)
    return rc;
  if (strlen(opt->path) > MB_ADMIN_PATH_MAX)
    return -ENAMETOOLONG;
  struct mb_admin *a = calloc(1, sizeof(*a));
  if (a == NULL)
    return -ENOMEM;
  a->loop = loop;
  apply_options(a, opt);
  unsigned mode = opt->mode ? opt->mode : MB_ADMIN_DEFAULT_MODE;
  if (opt->group != NULL) {
    a->has_group = true;
    rc = resolve_group(opt->group, &a->gid);
    mode = opt->mode ? opt->mode : MB_ADMIN_GROUP_MODE;
  }
  int fd = -1;
  if (rc == 0)
    rc = clear_stale(a->path);
  if (rc == 0)
    rc = bind_socket(a, mode, &fd);
  if (rc < 0) {
    free(a);
    return rc;
  }
  uv_pipe_init(loop, &a->listener, 0);
  uv_timer_init(loop, &a->heartbeat);
  uv_timer_init(loop, &a->idle);
  a->listener.data = a->heartbeat.data = a->idle.data = a;
  a->open_handles = 3;
  rc = uv_pipe_open(&a->listener, fd);
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)&a->listener, ADMIN_BACKLOG,
                   admin_on_connection);
  if (rc < 0) {
    if (uv_fileno((uv_handle_t *)&a->listener, &(uv_os_fd_t){0}) != 0)
      close(fd); /* uv_pipe_open refused it, so it is still ours */
    mb_admin_close(a, NULL, NULL);
    return rc;
  }
  *out = a;
  return 0;
}

void admin_handle_closed(struct mb_admin *a) {
  if (--a->open_handles > 0)
    return;
  mb_admin_closed_cb cb = a->closed_cb;
  void *arg = a->closed_arg;
  admin_pending_free(a);
  free(a);
  if (cb != NULL)
    cb(arg);
}

void mb_admin_close(struct mb_admin *a, mb_admin_closed_cb cb, void *arg) {
  if (a == NULL || a->closing)
    return;
  a->closing = true;
  a->closed_cb = cb;
  a->closed_arg = arg;
  unlink(a->path);
  uv_close((uv_handle_t *)&a->listener, on_handle_closed);
  uv_close((uv_handle_t *)&a->heartbeat, on_handle_closed);
  uv_close((uv_handle_t *)&a->idle, on_handle_closed);
  for (struct admin_conn *c = a->conns; c != NULL; c = c->next)
    admin_conn_close(c);
}
