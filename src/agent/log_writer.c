/*
 * Where log lines go once the agent runs: a bounded queue emptied by a
 * thread of its own, so that a slow reader of stderr never stalls the event
 * loop.  A stalled loop answers no probe, and its members declare it dead:
 * 256 agents whose stderr went to one busy reader stopped for 30 s at a
 * time, and the mesh declared them dead by the thousand.  journald under
 * load, a full pipe and a terminal on hold all block a writer the same way.
 *
 * Two buffers: the loop appends to one while the thread writes the other.
 * A line that does not fit is dropped and counted (log.c tells how many
 * when room comes back); membership events are kept in the store as well
 * (admin `events`), so a dropped line loses no event.
 *
 * Before agent_log_writer_start and if it fails, lines are written at once.
 */
#include "agent_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_QUEUE_BYTES (256u * 1024u)

static struct {
  pthread_mutex_t lock;
  pthread_cond_t wake, drained;
  char *filling, *writing;
  size_t filled;
  bool running, busy;
  uint64_t dropped;
} q = {.lock = PTHREAD_MUTEX_INITIALIZER,
       .wake = PTHREAD_COND_INITIALIZER,
       .drained = PTHREAD_COND_INITIALIZER};

/* Blocking, whole: what the thread (or the loop before it runs) does. */
static void write_all(const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(STDERR_FILENO, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return; /* stderr is gone: nothing better to do with the line */
    p += w;
    n -= (size_t)w;
  }
}

static void *writer(void *unused) {
  (void)unused;
  pthread_mutex_lock(&q.lock);
  for (;;) {
    while (q.filled == 0) {
      q.busy = false;
      pthread_cond_broadcast(&q.drained);
      pthread_cond_wait(&q.wake, &q.lock);
    }
    char *out = q.filling;
    size_t n = q.filled;
    q.filling = q.writing;
    q.writing = out;
    q.filled = 0;
    q.busy = true;
    pthread_mutex_unlock(&q.lock);
    write_all(out, n);
    pthread_mutex_lock(&q.lock);
  }
  return NULL;
}

int agent_log_writer_start(void) {
  pthread_mutex_lock(&q.lock);
  bool running = q.running;
  pthread_mutex_unlock(&q.lock);
  if (running)
    return MB_OK;
  q.filling = malloc(LOG_QUEUE_BYTES);
  q.writing = malloc(LOG_QUEUE_BYTES);
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int rc =
      q.filling && q.writing ? pthread_create(&t, &attr, writer, NULL) : ENOMEM;
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    free(q.filling);
    free(q.writing);
    q.filling = q.writing = NULL;
    return -rc;
  }
  pthread_mutex_lock(&q.lock);
  q.running = true;
  pthread_mutex_unlock(&q.lock);
  return MB_OK;
}

bool agent_log_write(const char *line, size_t len) {
  pthread_mutex_lock(&q.lock);
  if (!q.running) {
    pthread_mutex_unlock(&q.lock);
    write_all(line, len);
    return true;
  }
  bool fits = len <= LOG_QUEUE_BYTES - q.filled;
  if (fits) {
    memcpy(q.filling + q.filled, line, len);
    q.filled += len;
    pthread_cond_signal(&q.wake);
  } else {
    q.dropped++;
  }
  pthread_mutex_unlock(&q.lock);
  return fits;
}

void agent_log_writer_flush(unsigned timeout_ms) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += timeout_ms / 1000;
  until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&q.lock);
  while (q.running && (q.filled > 0 || q.busy))
    if (pthread_cond_timedwait(&q.drained, &q.lock, &until) == ETIMEDOUT)
      break;
  pthread_mutex_unlock(&q.lock);
}

uint64_t agent_log_dropped(void) {
  pthread_mutex_lock(&q.lock);
  uint64_t n = q.dropped;
  pthread_mutex_unlock(&q.lock);
  return n;
}
