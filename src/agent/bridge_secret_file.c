/*
 * A secret's file read whole, within a bound: it must be a regular file
 * (a FIFO or device named by mistake must not block the agent or feed it
 * forever), and what was read is zeroed before it is freed, whatever
 * happens to it.
 */
#include "bridge_secrets_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void secret_text_free(char *text, size_t len) {
  if (text == NULL)
    return;
  sodium_memzero(text, len + 1);
  free(text);
}

/* Reads fd to its end or past max; -errno on a read error. */
static ssize_t read_all(int fd, char *buf, size_t cap) {
  size_t n = 0;
  while (n < cap) {
    ssize_t got = read(fd, buf + n, cap - n);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      return -errno;
    if (got == 0)
      break;
    n += (size_t)got;
  }
  return (ssize_t)n;
}

static int open_regular(struct secrets_report *r) {
  /* O_NONBLOCK: opening a FIFO must not wait for a writer */
  int fd = open(r->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    secrets_problem(r, "cannot read it: %s", strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    secrets_problem(r, "is not a regular file");
    close(fd);
    return -1;
  }
  return fd;
}

int secret_file_read(struct secrets_report *r, size_t max, char **text,
                     size_t *len) {
  *text = NULL;
  *len = 0;
  int fd = open_regular(r);
  if (fd < 0)
    return MB_EINVAL;
  char *buf = malloc(max + 2); /* a byte past max tells "too large" */
  ssize_t n = buf ? read_all(fd, buf, max + 1) : -ENOMEM;
  close(fd);
  bool ok = false;
  if (n < 0)
    secrets_problem(r, "cannot read it: %s", strerror((int)-n));
  else if ((size_t)n > max)
    secrets_problem(r, "is larger than %zu bytes", max);
  else if (memchr(buf, '\0', (size_t)n) != NULL)
    secrets_problem(r, "has a NUL byte in it");
  else
    ok = true;
  if (!ok) {
    if (buf != NULL)
      secret_text_free(buf, max + 1);
    return MB_EINVAL;
  }
  buf[n] = '\0';
  *text = buf;
  *len = (size_t)n;
  return MB_OK;
}
