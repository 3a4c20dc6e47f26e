/*
 * The scan of scan.c, run in a forked child: LMDB has no checksums and
 * faults on what it does not expect, so a fault while reading the file
 * kills the child, and the parent turns its signal into a refusal with a
 * message naming the database being read (the child writes "@NAME" before
 * each), instead of the agent's death by signal.  A child that takes too
 * long is killed, and that too is a refusal.
 */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Generous: a full store (100 000 events) reads in well under a second. */
#define SCAN_TIMEOUT_MS 60000

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What the child said: its last "@NAME" line and its verdict line. */
struct child_report {
  char text[4096];
  size_t len;
  bool timed_out;
};

static void read_child(int fd, struct child_report *r) {
  int64_t deadline = mono_ms() + SCAN_TIMEOUT_MS;
  for (;;) {
    int64_t left = deadline - mono_ms();
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (left <= 0 || poll(&p, 1, (int)left) == 0) {
      r->timed_out = true;
      return;
    }
    if (r->len + 1 >= sizeof r->text) /* keep the tail: the latest lines */
      r->len = 0;
    ssize_t n = read(fd, r->text + r->len, sizeof r->text - 1 - r->len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    r->len += (size_t)n;
  }
  r->text[r->len] = '\0';
}

/* The last line of text that starts with prefix, without it. */
static const char *last_line(char *text, char prefix) {
  const char *found = NULL;
  char *save;
  for (char *line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save))
    if (line[0] == prefix)
      found = line + 1;
  return found;
}

static int verdict(struct child_report *r, int status, char *why, size_t len) {
  char copy[sizeof r->text];
  memcpy(copy, r->text, sizeof copy);
  const char *db = last_line(copy, '@');
  if (WIFSIGNALED(status))
    return mb_store__explain(why, len, MB_ECORRUPT,
                             "reading the %s database crashed (%s, signal %d)",
                             db ? db : "main", strsignal(WTERMSIG(status)),
                             WTERMSIG(status));
  memcpy(copy, r->text, sizeof copy);
  const char *bad = last_line(copy, '!');
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return MB_OK;
  if (bad != NULL)
    return mb_store__explain(why, len, MB_ECORRUPT, "%s", bad);
  return mb_store__explain(why, len, MB_ECORRUPT,
                           "reading the %s database failed (exit status %d)",
                           db ? db : "main", WEXITSTATUS(status));
}

static void child(const char *dir, int fd) {
  char why[400];
  /* A fault must kill the child with its signal, for verdict() to see:
   * the parent's handlers (a test harness's, a sanitizer's) would report
   * it their own way. */
  static const int faults[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
  for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
    signal(faults[i], SIG_DFL);
  int rc = mb_store__scan(dir, fd, why, sizeof why);
  if (rc != MB_OK) {
    char line[sizeof why + 3];
    int n = snprintf(line, sizeof line, "!%s\n", why);
    if (n > 0 && write(fd, line, (size_t)n) < 0) {
      /* the exit status still says it failed */
    }
  }
  _exit(rc == MB_OK ? 0 : 1);
}

int mb_store__scan_in_child(const char *dir, char *why, size_t len) {
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) != 0)
    return mb_store__explain(why, len, -errno, "pipe: %s", strerror(errno));
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(pfd[0]);
    close(pfd[1]);
    return mb_store__explain(why, len, -e, "fork: %s", strerror(e));
  }
  if (pid == 0) {
    close(pfd[0]);
    child(dir, pfd[1]);
  }
  close(pfd[1]);
  struct child_report r = {0};
  read_child(pfd[0], &r);
  close(pfd[0]);
  if (r.timed_out)
    kill(pid, SIGKILL);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (r.timed_out)
    return mb_store__explain(why, len, -ETIMEDOUT,
                             "reading it took longer than %d s",
                             SCAN_TIMEOUT_MS / 1000);
  return verdict(&r, status, why, len);
}
