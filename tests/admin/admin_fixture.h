/*
 * A real admin server on a real libuv loop and a Unix socket in a temporary
 * directory, driven from the test's own thread: clients are plain sockets,
 * and every wait pumps the loop (poll on its backend fd and the client's fd,
 * then one non-blocking loop iteration) until the awaited line arrives or a
 * deadline passes.  No sleeps stand in for synchronisation.
 *
 * Commands served (the test double of the agent's handler table):
 *   echo   -> result is the request's "arg" (null when absent)
 *   fail   -> error not_found "no member matches <arg>"
 *   boom   -> a negative return with nothing filled in (answers "internal")
 *   events -> streamable; result is an empty array
 *   quit   -> closes the server from inside the handler
 *   later  -> deferred: the token goes to fx.tokens, answered by the test
 */
#ifndef MESHBEAT_ADMIN_FIXTURE_H
#define MESHBEAT_ADMIN_FIXTURE_H

#include "test_util.h"

#include "mb_admin.h"

#include <limits.h>

#define FX_WAIT_MS 5000

struct fx {
  uv_loop_t loop;
  struct mb_admin *srv;
  char dir[64];
  char path[128];
  struct mb_admin_options opt;
  bool opened;        /* fx_start succeeded */
  bool closed;        /* set by the close callback */
  uint64_t tokens[8]; /* `later`'s deferred answers, in order */
  size_t n_tokens;
};

/* A test client: a socket and the bytes read but not yet returned. */
struct fx_client {
  int fd;
  char buf[1 << 16];
  size_t len;
};

/* Makes the directory and loop, and options with small test limits
 * (max_line 1024, heartbeat 100 ms); fx_start opens the server. */
void fx_init(struct fx *f);
void fx_start(struct fx *f);
/* Starts closing the server (callable from any loop callback). */
void fx_close(struct fx *f);
/* Closes the server (if open), runs the loop until every handle closed,
 * and checks the loop is empty; removes the directory. */
void fx_fini(struct fx *f);

/* One poll + one non-blocking loop iteration; waits at most max_ms. */
void fx_pump(struct fx *f, int extra_fd, int max_ms);

void fx_connect(struct fx *f, struct fx_client *c);
void fx_disconnect(struct fx_client *c);
void fx_send(struct fx_client *c, const char *text);
/* Waits for the next line and parses it (the caller owns the result). */
json_t *fx_line(struct fx *f, struct fx_client *c);
/* Sends text and returns the response line. */
json_t *fx_call(struct fx *f, struct fx_client *c, const char *text);
/* Waits until the server closed the connection (EOF), discarding data. */
void fx_await_eof(struct fx *f, struct fx_client *c);
/* Pumps the loop for ms (to see that something does not happen). */
void fx_pump_for(struct fx *f, int ms);
/* Runs the loop until stats satisfy pred or FX_WAIT_MS passes. */
void fx_await_stats(struct fx *f,
                    bool (*pred)(const struct mb_admin_stats *st));

/* Asserts r is {"ok":false,...} with error code `code`. */
void fx_assert_error(json_t *r, const char *code);
/* Asserts r is {"ok":true,...} and returns its result (borrowed from r). */
json_t *fx_assert_ok(json_t *r);

/* The test handler table. */
extern const struct mb_admin_command fx_commands[];
extern const size_t fx_n_commands;

#endif
