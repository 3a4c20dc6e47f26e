/*
 * One admin connection: bytes in are cut into lines and dispatched in order;
 * lines out are queued with uv_write and never waited for.
 *
 * Failure modes: a line longer than max_line loses the framing, so it gets an
 * error and the connection is closed after that answer is flushed; a client
 * whose write queue grows past max_queue (it stopped reading) or whose write
 * fails is closed at once, cancelling what was queued; EOF lets queued
 * answers drain first (deferred ones too: defer.c), so `printf ... | nc -U`
 * works.
 */
#include "admin_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Read buffers grow by this much; a line may span several reads. */
#define ADMIN_READ_CHUNK (16u * 1024)

struct admin_write {
  uv_write_t req;
  struct admin_line *line;
};

struct admin_conn *admin_conn_new(struct mb_admin *a) {
  struct admin_conn *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return NULL;
  c->srv = a;
  uv_pipe_init(a->loop, &c->pipe, 0);
  c->pipe.data = c;
  c->next = a->conns;
  if (a->conns != NULL)
    a->conns->prev = c;
  a->conns = c;
  a->open_handles++;
  return c;
}

static void on_conn_closed(uv_handle_t *h) {
  struct admin_conn *c = h->data;
  struct mb_admin *a = c->srv;
  if (c->prev != NULL)
    c->prev->next = c->next;
  else
    a->conns = c->next;
  if (c->next != NULL)
    c->next->prev = c->prev;
  free(c->buf);
  free(c);
  admin_handle_closed(a);
}

/* The connection stops taking new lines or answers: forget its counts. */
static void leave_open(struct admin_conn *c) {
  if (c->state != ADMIN_CONN_OPEN)
    return;
  admin_pending_forget(c);
  admin_unsubscribe_all(c);
  if (c->admitted)
    c->srv->stats.clients--;
}

void admin_conn_close(struct admin_conn *c) {
  if (c->state == ADMIN_CONN_CLOSING)
    return;
  leave_open(c);
  c->state = ADMIN_CONN_CLOSING;
  uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
}

void admin_conn_drop(struct admin_conn *c) {
  if (c->state == ADMIN_CONN_OPEN && c->subs != 0)
    c->srv->stats.dropped++;
  admin_conn_close(c);
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  (void)status; /* closing either way; cancelled if closed meanwhile */
  admin_conn_close(req->handle->data);
}

void admin_conn_finish(struct admin_conn *c) {
  if (c->state != ADMIN_CONN_OPEN)
    return;
  leave_open(c);
  c->state = ADMIN_CONN_FINISHING;
  admin_idle_restart(c); /* bounds the flush: it may never read */
  uv_read_stop((uv_stream_t *)&c->pipe);
  if (uv_shutdown(&c->shutdown, (uv_stream_t *)&c->pipe, on_shutdown) != 0)
    admin_conn_close(c);
}

struct admin_line *admin_line_from_json(const json_t *obj) {
  char *text = json_dumps(obj, JSON_COMPACT);
  if (text == NULL)
    return NULL;
  size_t n = strlen(text);
  struct admin_line *line = malloc(sizeof(*line) + n + 1);
  if (line != NULL) {
    line->refs = 1;
    line->len = n + 1;
    memcpy(line->bytes, text, n);
    line->bytes[n] = '\n'; /* JSON_COMPACT escapes every newline inside */
  }
  free(text);
  return line;
}

void admin_line_unref(struct admin_line *line) {
  if (line != NULL && --line->refs == 0)
    free(line);
}

static void on_write(uv_write_t *req, int status) {
  struct admin_write *w = (struct admin_write *)req;
  struct admin_conn *c = req->handle->data;
  admin_line_unref(w->line);
  free(w);
  if (status < 0 && status != UV_ECANCELED)
    admin_conn_drop(c);
}

int admin_conn_write(struct admin_conn *c, struct admin_line *line) {
  uv_stream_t *s = (uv_stream_t *)&c->pipe;
  if (c->state != ADMIN_CONN_OPEN)
    return 0;
  if (uv_stream_get_write_queue_size(s) > c->srv->max_queue) {
    admin_conn_drop(c); /* it stopped reading: never let it block us */
    return UV_ENOBUFS;
  }
  struct admin_write *w = malloc(sizeof(*w));
  if (w == NULL) {
    admin_conn_drop(c);
    return -ENOMEM;
  }
  w->line = line;
  line->refs++;
  uv_buf_t b = uv_buf_init(line->bytes, (unsigned)line->len);
  int rc = uv_write(&w->req, s, &b, 1, on_write);
  if (rc < 0) {
    admin_line_unref(line);
    free(w);
    admin_conn_drop(c);
  }
  return rc;
}

int admin_conn_send(struct admin_conn *c, const json_t *obj) {
  struct admin_line *line = admin_line_from_json(obj);
  if (line == NULL) {
    admin_conn_close(c);
    return -ENOMEM;
  }
  int rc = admin_conn_write(c, line);
  admin_line_unref(line);
  return rc;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  struct admin_conn *c = h->data;
  (void)suggested;
  if (c->cap - c->len < ADMIN_READ_CHUNK) {
    char *p = realloc(c->buf, c->len + 4 * ADMIN_READ_CHUNK);
    if (p == NULL) {
      *buf = uv_buf_init(NULL, 0); /* read_cb gets UV_ENOBUFS */
      return;
    }
    c->buf = p;
    c->cap = c->len + 4 * ADMIN_READ_CHUNK;
  }
  *buf = uv_buf_init(c->buf + c->len, (unsigned)(c->cap - c->len));
}

static void too_long(struct admin_conn *c) {
  char msg[96];
  snprintf(msg, sizeof(msg), "request line exceeds %zu bytes; closing",
           c->srv->max_line);
  c->srv->stats.requests++;
  admin_send_error(c, NULL, MB_ADMIN_ERR_TOO_LONG, "line_too_long", msg);
  admin_conn_finish(c);
}

/* Dispatches every complete line in the buffer and keeps the rest. */
static void take_lines(struct admin_conn *c) {
  size_t start = 0;
  bool took = false;
  while (c->state == ADMIN_CONN_OPEN) {
    char *p = c->buf + start;
    char *nl = memchr(p, '\n', c->len - start);
    if (nl == NULL)
      break;
    size_t n = (size_t)(nl - p);
    if (n > c->srv->max_line) {
      too_long(c);
      return;
    }
    admin_dispatch(c, p, n);
    start += n + 1;
    took = true;
  }
  /* A follower was exempted by admin_subscribe; anyone else gets a new
   * idle_timeout_ms for the next line. */
  if (took && c->state == ADMIN_CONN_OPEN && c->subs == 0 && c->pending == 0)
    admin_idle_restart(c);
  memmove(c->buf, c->buf + start, c->len - start);
  c->len -= start;
  if (c->state == ADMIN_CONN_OPEN && c->len > c->srv->max_line)
    too_long(c);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  struct admin_conn *c = s->data;
  (void)buf; /* it points into c->buf */
  if (nread > 0) {
    c->len += (size_t)nread;
    take_lines(c);
  } else if (nread == UV_EOF) {
    /* The last request may lack its newline; answer it, then finish. */
    if (c->len > 0 && c->state == ADMIN_CONN_OPEN)
      admin_dispatch(c, c->buf, c->len);
    c->len = 0;
    if (c->pending > 0 && c->state == ADMIN_CONN_OPEN) {
      c->finish_when_answered = true; /* defer.c finishes it */
      uv_read_stop(s);
    } else {
      admin_conn_finish(c);
    }
  } else if (nread < 0) {
    admin_conn_close(c);
  }
}

void admin_conn_start(struct admin_conn *c) {
  if (uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) != 0)
    admin_conn_close(c);
}
