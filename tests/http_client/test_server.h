/*
 * Real servers for the HTTP client's tests, all on 127.0.0.1 with a port
 * the kernel picks:
 *   - an HTTP or HTTPS server (libmicrohttpd, its own thread) with canned
 *     answers by path, remembering the last request it took;
 *   - a listener that accepts connections on the test's loop and never
 *     reads from them nor answers.
 */
#ifndef MESHBEAT_TEST_HTTP_SERVER_H
#define MESHBEAT_TEST_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

/* Paths and what they answer. */
#define TS_PATH_OK "/ok"               /* 200 "ok" */
#define TS_PATH_FAIL "/fail"           /* 500 */
#define TS_PATH_BUSY_SECONDS "/busy-s" /* 429, Retry-After: 7 */
#define TS_PATH_BUSY_DATE "/busy-date" /* 429, Retry-After: an HTTP-date */
#define TS_PATH_BIG "/big"             /* 200, TS_BIG_BODY bytes */
#define TS_RETRY_AFTER_DATE "Wed, 21 Oct 2026 07:28:00 GMT"
#define TS_BIG_BODY (200u * 1024u)

struct ts_seen {
  char authorization[256];
  char content_type[128];
  size_t body_len;
  uint8_t body[512];
  unsigned requests;
};

struct ts_server;

/* dir holds server.pem and server-key.pem when tls; NULL on failure. */
struct ts_server *ts_server_start(bool tls, const char *dir);
uint16_t ts_server_port(const struct ts_server *s);
/* A copy of what the last complete request carried. */
void ts_server_seen(struct ts_server *s, struct ts_seen *out);
void ts_server_stop(struct ts_server *s);

struct ts_mute {
  uv_loop_t *loop;
  int fd;
  uv_poll_t poll;
  int accepted[256];
  size_t n_accepted;
};

/* Listens on 127.0.0.1; accepted connections are held open, unread. */
void ts_mute_start(struct ts_mute *m, uv_loop_t *loop);
uint16_t ts_mute_port(const struct ts_mute *m);
/* Closes every connection and the listener (its handle closes on the next
 * loop turn). */
void ts_mute_stop(struct ts_mute *m);

/* A TCP port on 127.0.0.1 that nothing listens on (bound, then released). */
uint16_t ts_refusing_port(void);

#endif
