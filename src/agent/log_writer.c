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
 * At agent_log_writer_stop the logger lets go of the queue; the thread frees
 * it once written out, so a stderr that never drains costs no hang at exit.
 */
#include "agent_state.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_QUEUE_BYTES (256u * 1024u)

struct agent_log_queue {
  pthread_mutex_t lock;
  pthread_cond_t wake, drained;
  char *filling, *writing;
  size_t filled;
  bool busy, closing;
  uint64_t dropped;
};

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

static void queue_free(struct agent_log_queue *q) {
  pthread_mutex_destroy(&q->lock);
  pthread_cond_destroy(&q->wake);
  pthread_cond_destroy(&q->drained);
  free(q->filling);
  free(q->writing);
  free(q);
}

/* Swaps the buffers and writes one out, until the logger lets go. */
static void *writer(void *arg) {
  struct agent_log_queue *q = arg;
  pthread_mutex_lock(&q->lock);
  for (;;) {
    while (q->filled == 0 && !q->closing) {
      q->busy = false;
      pthread_cond_broadcast(&q->drained);
      pthread_cond_wait(&q->wake, &q->lock);
    }
    if (q->filled == 0)
      break; /* closing, and all written */
    char *out = q->filling;
    size_t n = q->filled;
    q->filling = q->writing;
    q->writing = out;
    q->filled = 0;
    q->busy = true;
    pthread_mutex_unlock(&q->lock);
    write_all(out, n);
    pthread_mutex_lock(&q->lock);
  }
  pthread_mutex_unlock(&q->lock);
  queue_free(q);
  return NULL;
}

static struct agent_log_queue *queue_new(void) {
  struct agent_log_queue *q = calloc(1, sizeof(*q));
  if (q == NULL)
    return NULL;
  q->filling = malloc(LOG_QUEUE_BYTES);
  q->writing = malloc(LOG_QUEUE_BYTES);
  if (q->filling == NULL || q->writing == NULL) {
    free(q->filling);
    free(q->writing);
    free(q);
    return NULL;
  }
  pthread_mutex_init(&q->lock, NULL);
  pthread_cond_init(&q->wake, NULL);
  pthread_cond_init(&q->drained, NULL);
  return q;
}

int agent_log_writer_start(struct agent_logger *lg) {
  if (lg->queue != NULL)
    return MB_OK;
  struct agent_log_queue *q = queue_new();
  if (q == NULL)
    return -ENOMEM;
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int rc = pthread_create(&t, &attr, writer, q);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    queue_free(q);
    return -rc;
  }
  lg->queue = q;
  return MB_OK;
}

bool agent_log_write(struct agent_logger *lg, const char *line, size_t len) {
  struct agent_log_queue *q = lg->queue;
  if (q == NULL) {
    write_all(line, len);
    return true;
  }
  pthread_mutex_lock(&q->lock);
  bool fits = len <= LOG_QUEUE_BYTES - q->filled;
  if (fits) {
    memcpy(q->filling + q->filled, line, len);
    q->filled += len;
    pthread_cond_signal(&q->wake);
  } else {
    q->dropped++;
  }
  pthread_mutex_unlock(&q->lock);
  return fits;
}

static struct timespec deadline_after(unsigned timeout_ms) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += timeout_ms / 1000;
  until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  return until;
}

void agent_log_writer_stop(struct agent_logger *lg, unsigned timeout_ms) {
  struct agent_log_queue *q = lg->queue;
  if (q == NULL)
    return;
  struct timespec until = deadline_after(timeout_ms);
  pthread_mutex_lock(&q->lock);
  while (q->filled > 0 || q->busy)
    if (pthread_cond_timedwait(&q->drained, &q->lock, &until) == ETIMEDOUT)
      break;
  lg->dropped_before_stop = q->dropped;
  q->closing = true; /* the thread frees q once it has written the rest */
  pthread_cond_signal(&q->wake);
  pthread_mutex_unlock(&q->lock);
  lg->queue = NULL;
}

uint64_t agent_log_dropped(const struct agent_logger *lg) {
  struct agent_log_queue *q = lg->queue;
  if (q == NULL)
    return lg->dropped_before_stop;
  pthread_mutex_lock(&q->lock);
  uint64_t n = q->dropped;
  pthread_mutex_unlock(&q->lock);
  return n;
}
