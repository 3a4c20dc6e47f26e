/*
 * The blocking admin client: plain POSIX sockets, deadlines with poll().
 *
 * Lines are read with MSG_PEEK up to the newline and only then consumed, so
 * the client keeps no buffer of its own: whatever follows a response (the
 * first stream lines after a follow request) stays in the socket for the
 * next read, and the whole state of a client is its fd.
 */
#include "mb_admin.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Answers are bounded too: a metrics text of a big mesh fits many times. */
#define CLIENT_MAX_LINE (16u * 1024 * 1024)
#define CLIENT_PEEK 4096

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A deadline of -1 means none. */
static int64_t deadline_after(int timeout_ms) {
  return timeout_ms > 0 ? mono_ms() + timeout_ms : -1;
}

/* Waits until fd is ready for events or the deadline passes. */
static int wait_fd(int fd, short events, int64_t deadline) {
  for (;;) {
    int wait = -1;
    if (deadline >= 0) {
      int64_t left = deadline - mono_ms();
      if (left <= 0)
        return -ETIMEDOUT;
      wait = left > 60000 ? 60000 : (int)left;
    }
    struct pollfd p = {.fd = fd, .events = events};
    int rc = poll(&p, 1, wait);
    if (rc > 0)
      return 0; /* ready, or an error/hangup the next call reports */
    if (rc < 0 && errno != EINTR)
      return -errno;
  }
}

int mb_admin_client_connect(const char *path, int timeout_ms, int *out) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof(sa.sun_path))
    return -ENAMETOOLONG;
  strcpy(sa.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  /* A blocking Unix connect waits for room in the backlog up to SNDTIMEO. */
  struct timeval tv = {.tv_sec = timeout_ms / 1000,
                       .tv_usec = (timeout_ms % 1000) * 1000};
  if (timeout_ms > 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
    int rc = errno == EAGAIN || errno == EINPROGRESS ? -ETIMEDOUT : -errno;
    close(fd);
    return rc;
  }
  *out = fd;
  return 0;
}

static int send_all(int fd, const char *p, size_t n, int64_t deadline) {
  while (n > 0) {
    int rc = wait_fd(fd, POLLOUT, deadline);
    if (rc < 0)
      return rc;
    ssize_t k = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (k < 0 && errno != EAGAIN && errno != EINTR)
      return -errno;
    if (k > 0)
      p += k, n -= (size_t)k;
  }
  return 0;
}

/* Appends n bytes to a growing line buffer. */
static int append(char **buf, size_t *len, size_t *cap, const char *p,
                  size_t n) {
  if (*len + n + 1 > CLIENT_MAX_LINE)
    return MB_ETOOBIG;
  if (*len + n + 1 > *cap) {
    size_t c = *cap ? *cap : CLIENT_PEEK;
    while (c < *len + n + 1)
      c *= 2;
    char *b = realloc(*buf, c);
    if (b == NULL)
      return -ENOMEM;
    *buf = b, *cap = c;
  }
  memcpy(*buf + *len, p, n);
  *len += n;
  (*buf)[*len] = '\0';
  return 0;
}

/* Consumes the bytes of one line up to its newline (not kept) into *out. */
static int read_line(int fd, int64_t deadline, char **out, size_t *out_len) {
  char tmp[CLIENT_PEEK], *buf = NULL;
  size_t len = 0, cap = 0;
  int rc;
  for (;;) {
    if ((rc = wait_fd(fd, POLLIN, deadline)) < 0)
      break;
    ssize_t k = recv(fd, tmp, sizeof(tmp), MSG_PEEK | MSG_DONTWAIT);
    if (k < 0 && (errno == EAGAIN || errno == EINTR))
      continue;
    if (k <= 0) {
      rc = k == 0 ? MB_ETRUNCATED : -errno;
      break;
    }
    char *nl = memchr(tmp, '\n', (size_t)k);
    size_t take = nl ? (size_t)(nl - tmp) + 1 : (size_t)k;
    k = recv(fd, tmp, take, MSG_DONTWAIT); /* what we just peeked */
    if (k != (ssize_t)take) {
      rc = k < 0 ? -errno : MB_ETRUNCATED;
      break;
    }
    if ((rc = append(&buf, &len, &cap, tmp, nl ? take - 1 : take)) < 0)
      break;
    if (nl != NULL) {
      *out = buf;
      *out_len = len;
      return 0;
    }
  }
  free(buf);
  return rc;
}

static int read_object(int fd, int64_t deadline, json_t **out) {
  char *line;
  size_t n;
  int rc = read_line(fd, deadline, &line, &n);
  if (rc < 0)
    return rc;
  json_t *j = json_loadb(line, n, 0, NULL);
  free(line);
  if (!json_is_object(j)) {
    json_decref(j);
    return MB_EMALFORMED;
  }
  *out = j;
  return 0;
}

int mb_admin_call(int fd, json_t *request, json_t **response, int timeout_ms) {
  int64_t deadline = deadline_after(timeout_ms);
  char *text = json_dumps(request, JSON_COMPACT);
  if (text == NULL)
    return -ENOMEM;
  size_t n = strlen(text);
  text[n] = '\n'; /* the NUL's byte; from here the length is what counts */
  int rc = send_all(fd, text, n + 1, deadline);
  free(text);
  if (rc < 0)
    return rc;
  return read_object(fd, deadline, response);
}

int mb_admin_follow(int fd, int idle_timeout_ms, mb_admin_line_cb cb,
                    void *arg) {
  for (;;) {
    json_t *line;
    int rc = read_object(fd, deadline_after(idle_timeout_ms), &line);
    if (rc < 0)
      return rc;
    rc = cb(arg, line);
    json_decref(line);
    if (rc != 0)
      return rc;
  }
}
