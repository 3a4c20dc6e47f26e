/*
 * meshbeat admin layer: the operator's surfaces.  The local admin socket (a
 * Unix stream socket speaking JSON lines, docs/admin-api.md), the blocking
 * client the CLI uses, the optional HTTP listener for Prometheus and health
 * probes, and the small formatting helpers they share (RFC 3339 times,
 * Prometheus text).
 *
 * This layer is transport, protocol and formatting only.  It knows no
 * command and no endpoint: the agent supplies tables of handlers and
 * publishes stream events; the admin layer frames, parses, dispatches,
 * answers, fans out and cleans up.  It uses mb_common, libuv, jansson and
 * libmicrohttpd, nothing above them.
 *
 * Threading: a server belongs to the thread running its uv loop; every
 * mb_admin_* server function and every handler runs on that thread.  The
 * client functions block, keep no state beyond the fd and may be used from
 * any thread.  The formatting helpers are pure.
 *
 * Signals: libuv writes with write(2), so a client that disconnects while
 * an answer is in flight raises SIGPIPE.  A process running the server must
 * ignore SIGPIPE (signal(SIGPIPE, SIG_IGN) at start-up); the failed write is
 * then seen and that client dropped.  The client functions never raise it.
 *
 * Errors: 0 (or a non-negative count) on success, a negative code on failure:
 * -errno for OS errors (libuv's UV_E* are the same values on Linux) or an
 * MB_E* code from mb_common.h.  Each function lists the codes it returns.
 *
 * Ownership: json_t arguments are borrowed unless a comment says the
 * reference is stolen; json_t results are new references the caller owns.
 */
#ifndef MESHBEAT_ADMIN_H
#define MESHBEAT_ADMIN_H

#include "mb_common.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* ---- server ------------------------------------------------------------ */

#define MB_ADMIN_DEFAULT_MODE 0600
#define MB_ADMIN_GROUP_MODE 0660
#define MB_ADMIN_DEFAULT_MAX_LINE (64u * 1024)
#define MB_ADMIN_DEFAULT_HEARTBEAT_MS 10000u
#define MB_ADMIN_DEFAULT_MAX_CLIENTS 64u
#define MB_ADMIN_DEFAULT_IDLE_TIMEOUT_MS 10000u
#define MB_ADMIN_DEFAULT_MAX_QUEUE (1024u * 1024)
/* Longest socket path: sun_path (108) less room for a temporary suffix. */
#define MB_ADMIN_PATH_MAX 91
/* Commands are indexed by a 64-bit subscription mask. */
#define MB_ADMIN_MAX_COMMANDS 64

/* What a handler fills in when it fails.  code is a short snake_case word
 * clients branch on ("not_found"); message is for people. */
struct mb_admin_error {
  char code[32];
  char message[256];
};

/* Fills err (code truncated to fit, message printf-style); returns rc, so a
 * handler can `return mb_admin_error_set(err, -ENOENT, "not_found", ...)`. */
int mb_admin_error_set(struct mb_admin_error *err, int rc, const char *code,
                       const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * A command handler, called on the loop thread with the whole request object
 * (borrowed, valid for the call; it holds "cmd", "id", "follow" and the
 * command's own arguments).  Returns 0 and sets *result to a new reference
 * the admin layer takes over (left NULL it answers JSON null), or a negative
 * code with err filled (an empty err->code answers "internal").  Handlers
 * answer synchronously.  A streamable command's handler that succeeds for a
 * request with "follow":true subscribes that connection to the stream named
 * like the command; since both happen in one loop callback, no event
 * published afterwards can be missed between the answer and the stream.
 */
typedef int (*mb_admin_handler)(void *ctx, const json_t *request,
                                json_t **result, struct mb_admin_error *err);

/*
 * Deferred answers.  A handler whose answer comes later (a command the
 * RAID coordinators must commit first) calls mb_admin_defer during its
 * call and returns MB_ADMIN_DEFERRED; it answers later, on the loop
 * thread, with mb_admin_answer(token, result, NULL) or (token, NULL,
 * &err), exactly once (already during its own call, if what it waits
 * for happens at once).  Meanwhile the connection takes further requests,
 * whose answers may overtake the deferred one (clients match by "id"); it
 * is not closed for idleness, and an EOF waits for its pending answers.
 * The caller bounds the wait (answer with a timeout error): the admin
 * layer never answers a deferred request by itself.
 *
 * mb_admin_defer: the token (never 0), or 0 outside a handler, when the
 * handler took one already, or when ADMIN_PENDING_MAX answers are pending
 * (the handler then answers at once, e.g. "busy").
 * mb_admin_answer steals result; 0, or -ENOENT for an unknown token
 * (answered already).  When the connection went away meanwhile, nothing
 * is sent and 0 is returned.
 */
#define MB_ADMIN_DEFERRED 1
struct mb_admin;
uint64_t mb_admin_defer(struct mb_admin *a);
int mb_admin_answer(struct mb_admin *a, uint64_t token, json_t *result,
                    const struct mb_admin_error *err);

struct mb_admin_command {
  const char *cmd;
  mb_admin_handler fn;
  bool streamable;
};

/* Zero means the default for every number; the strings and the command table
 * are borrowed and must outlive the server (static tables are the norm). */
struct mb_admin_options {
  const char *path;      /* socket path (<= MB_ADMIN_PATH_MAX), required */
  unsigned mode;         /* 0: 0600, or 0660 when group is set */
  const char *group;     /* NULL: no group; else chgrp to it, admit members */
  size_t max_line;       /* request line limit, bytes without the newline */
  uint32_t heartbeat_ms; /* stream heartbeat interval */
  /* Connections beyond this are answered and closed, except that one more
   * is kept for uid 0 and the server's own uid: an operator gets in while
   * the group's clients fill the table. */
  uint32_t max_clients;
  /* A connection that does not complete a request line within this long
   * (counted from its accept or its previous line) is told so and closed,
   * so half-written requests cannot hold slots; one following a stream
   * never is.  Also bounds how long a closing connection may flush. */
  uint32_t idle_timeout_ms;
  size_t max_queue; /* bytes queued to a client before it is dropped */
  const struct mb_admin_command *commands;
  size_t n_commands; /* at most MB_ADMIN_MAX_COMMANDS */
  void *ctx;         /* passed to every handler */
};

/* Error kinds, counted in the stats; the wire code of each is in
 * docs/admin-api.md ("parse_error", "invalid_request", ...). */
enum mb_admin_errkind {
  MB_ADMIN_ERR_PARSE,     /* line is not JSON */
  MB_ADMIN_ERR_INVALID,   /* not an object, bad cmd/follow */
  MB_ADMIN_ERR_UNKNOWN,   /* no such command */
  MB_ADMIN_ERR_TOO_LONG,  /* line over max_line; connection closed */
  MB_ADMIN_ERR_HANDLER,   /* the handler said no */
  MB_ADMIN_ERR_FORBIDDEN, /* peer credentials refused; connection closed */
  MB_ADMIN_ERR_BUSY,      /* max_clients reached; connection closed */
  MB_ADMIN_ERR_IDLE,      /* idle_timeout_ms without a request; closed */
  MB_ADMIN_ERR__COUNT
};

struct mb_admin_stats {
  uint64_t connections; /* accepted and admitted, ever */
  uint64_t rejected;    /* refused for credentials or max_clients */
  uint32_t clients;     /* connected now (at most max_clients + 1) */
  uint64_t requests;    /* request lines answered */
  uint64_t errors[MB_ADMIN_ERR__COUNT];
  uint32_t subscribers;  /* connections following a stream now */
  uint64_t dropped;      /* subscribers dropped: slow or write failed */
  uint64_t stream_lines; /* stream and heartbeat lines queued */
};

struct mb_admin;

/*
 * Binds the socket and starts listening on loop.  A stale socket file (no
 * one accepts on it) is replaced; a live one is refused.  The socket appears
 * at path only once it listens with its final mode (and group).  Whatever
 * the mode, peer credentials are checked on every connection: only uid 0,
 * the server's own effective uid and, with a group, processes that have
 * that group (primary or supplementary) are admitted.  Returns 0 with *out set,
 * or MB_EINVAL (bad options, unknown group), -ENAMETOOLONG, -EADDRINUSE (an
 * agent is listening on path), -EEXIST (path exists and is not a socket),
 * -ENOMEM, or another -errno.
 */
int mb_admin_open(struct mb_admin **out, uv_loop_t *loop,
                  const struct mb_admin_options *opt);

/*
 * Sends {"stream":stream,"data":data} to every connection following stream
 * (steals the reference to data, also on failure).  Never blocks: a
 * subscriber whose queue exceeds max_queue is dropped.  Returns the number of
 * subscribers the line was queued to, MB_EINVAL when no streamable command
 * has that name, or -ENOMEM.
 */
int mb_admin_publish(struct mb_admin *a, const char *stream, json_t *data);

/* A snapshot of the counters. */
void mb_admin_get_stats(const struct mb_admin *a, struct mb_admin_stats *st);

/* Appends the stats as Prometheus families named meshbeat_admin_* to p. */
struct mb_prom;
void mb_admin_stats_prom(const struct mb_admin_stats *st, struct mb_prom *p);

typedef void (*mb_admin_closed_cb)(void *arg);

/*
 * Stops listening, unlinks the socket file and closes every connection
 * (pending writes are cancelled).  The handles close asynchronously: the
 * memory is released, and cb (may be NULL) called, from the last close
 * callback, so the caller keeps running the loop (uv_run until it returns,
 * or until cb fired).  a must not be used after this call.  Safe to call from
 * a handler; the answer to that request is then not sent.
 */
void mb_admin_close(struct mb_admin *a, mb_admin_closed_cb cb, void *arg);

/* ---- HTTP listener (Prometheus, health probes) -------------------------- */

/*
 * An HTTP/1.1 listener on a TCP address, through libmicrohttpd with no
 * thread of its own: its epoll fd is watched by a uv_poll and its timeouts
 * by a uv_timer on the server's loop, so every route handler runs on the
 * loop thread, like an admin handler, and may read the caller's state.
 * Reads and writes never block; a client that stalls mid-request or stops
 * reading its answer is closed after timeout_s of silence, and connections
 * beyond max_connections (or half of them from one address) wait in the
 * kernel's backlog until a slot frees.  Only GET and HEAD are served: an
 * unknown path answers 404, another method on a known path 405 (with
 * Allow).  There is no authentication: listen on loopback or a management
 * network.
 */
#define MB_HTTP_DEFAULT_MAX_CONNECTIONS 16u
#define MB_HTTP_DEFAULT_TIMEOUT_S 10u

/* The request a handler answers (opaque; valid during the handler). */
struct mb_http_request;

/* What a route handler fills in; it is preset to 200, text/plain, empty,
 * no extra headers, and request set. */
struct mb_http_reply {
  unsigned status;
  const char *content_type; /* borrowed: a static string */
  char *body;               /* malloc'd; the listener frees it, also on error */
  size_t len;
  /* Borrowed, static: name, value, name, value, ..., NULL; added to the
   * answer (Cache-Control: no-store always is). */
  const char *const *headers;
  const struct mb_http_request *request;
};

/* The request's query argument key ("" when given without a value), or
 * NULL when absent; percent-decoded, valid during the handler. */
const char *mb_http_query_arg(const struct mb_http_request *req,
                              const char *key);
/* The request header name (case-insensitive), or NULL when absent. */
const char *mb_http_header(const struct mb_http_request *req, const char *name);

/* Called on the loop thread; 0, or a negative code (answered 500 with the
 * code's text, any body set is freed). */
typedef int (*mb_http_handler)(void *ctx, struct mb_http_reply *reply);

struct mb_http_route {
  const char *path; /* exact, e.g. "/metrics"; the query string is not part
                       of it (mb_http_query_arg reads it) */
  mb_http_handler fn;
};

/* Zero means the default; strings and routes are borrowed and must outlive
 * the listener. */
struct mb_http_options {
  const char *listen; /* numeric HOST:PORT or [V6]:PORT; port 0 picks one */
  uint32_t max_connections;
  uint32_t timeout_s; /* a connection silent this long is closed */
  const struct mb_http_route *routes;
  size_t n_routes;
  void *ctx; /* passed to every handler */
};

/* Responses by status, counted for meshbeat_http_responses_total{code}. */
enum mb_http_code {
  MB_HTTP_CODE_200,
  MB_HTTP_CODE_404,
  MB_HTTP_CODE_405,
  MB_HTTP_CODE_500,
  MB_HTTP_CODE_503,
  MB_HTTP_CODE_OTHER,
  MB_HTTP_CODE__COUNT
};

struct mb_http_stats {
  uint64_t responses[MB_HTTP_CODE__COUNT];
};

struct mb_http;

/*
 * Binds and listens on opt->listen and serves from loop.  0 with *out set,
 * or MB_EINVAL (listen is not a numeric HOST:PORT, no routes),
 * -EADDRINUSE, -EADDRNOTAVAIL (no such local address), -EACCES (a
 * privileged port), -ENOMEM, -EIO (libmicrohttpd would not start), or
 * another -errno.
 */
int mb_http_open(struct mb_http **out, uv_loop_t *loop,
                 const struct mb_http_options *opt);

/* The TCP port listened on (the one picked when asked for port 0). */
uint16_t mb_http_port(const struct mb_http *h);

void mb_http_get_stats(const struct mb_http *h, struct mb_http_stats *st);
/* Appends the stats as the family meshbeat_http_responses_total to p. */
void mb_http_stats_prom(const struct mb_http_stats *st, struct mb_prom *p);

/*
 * Stops listening and closes every connection at once.  The memory is
 * released, and cb (may be NULL) called, from the last close callback, as
 * for mb_admin_close; h must not be used after.  Not from a route handler.
 * NULL is ignored.
 */
void mb_http_close(struct mb_http *h, mb_admin_closed_cb cb, void *arg);

/* ---- client (blocking, for the CLI) ------------------------------------ */

/*
 * Connects to the admin socket.  0 with *fd set (close it with close()), or
 * -ENOENT (no socket: agent not running?), -ECONNREFUSED (stale socket file:
 * agent died), -EACCES (permission denied), -ETIMEDOUT, -ENAMETOOLONG.
 */
int mb_admin_client_connect(const char *path, int timeout_ms, int *fd);

/*
 * Sends request (borrowed) as one line and reads the one response line into
 * *response (a new reference).  timeout_ms bounds the whole call (0 or
 * less: no bound).  0, or
 * -ETIMEDOUT, -EPIPE/-ECONNRESET (agent went away), MB_ETRUNCATED (the
 * connection closed mid-answer), MB_EMALFORMED (the answer is not a JSON
 * object), MB_ETOOBIG (an answer line over 16 MiB), -ENOMEM.
 */
int mb_admin_call(int fd, json_t *request, json_t **response, int timeout_ms);

/* Called with each stream line (borrowed, valid for the call); return 0 to
 * go on, anything else to stop following. */
typedef int (*mb_admin_line_cb)(void *arg, const json_t *line);

/*
 * After a call with "follow":true answered ok, reads stream lines
 * (heartbeats included) and passes each to cb.  Returns cb's non-zero value
 * when it stops, MB_ETRUNCATED when the agent closed the connection,
 * -ETIMEDOUT when no line came for idle_timeout_ms (a dead or hung agent:
 * pass a few heartbeat intervals; 0 or less waits forever), or the errors
 * of mb_admin_call.
 */
int mb_admin_follow(int fd, int idle_timeout_ms, mb_admin_line_cb cb,
                    void *arg);

/* ---- Prometheus text exposition (version 0.0.4) ------------------------- */

/*
 * A growable text buffer.  Calls append; the first failure (MB_EINVAL for a
 * bad metric or label name, -ENOMEM) sticks and later calls do nothing, so a
 * builder writes everything and checks once with mb_prom_status().
 */
struct mb_prom {
  char *buf; /* NUL-terminated text, owned; NULL until something is added */
  size_t len;
  size_t cap;
  int err;
};

struct mb_prom_label {
  const char *name;
  const char *value; /* escaped on output: \\ \" \n */
};

void mb_prom_init(struct mb_prom *p);
void mb_prom_free(struct mb_prom *p);
/* "# HELP name help" and "# TYPE name type" (counter, gauge, ...). */
void mb_prom_family(struct mb_prom *p, const char *name, const char *type,
                    const char *help);
/* One sample line: name{labels} value.  Integers print exactly; doubles as
 * %.17g, with +Inf, -Inf and NaN spelled as Prometheus wants. */
void mb_prom_u64(struct mb_prom *p, const char *name,
                 const struct mb_prom_label *labels, size_t n_labels,
                 uint64_t v);
void mb_prom_double(struct mb_prom *p, const char *name,
                    const struct mb_prom_label *labels, size_t n_labels,
                    double v);
/* 0 when every call so far succeeded, the first error otherwise. */
int mb_prom_status(const struct mb_prom *p);
/* The text so far ("" when empty); valid until the next call on p. */
const char *mb_prom_text(const struct mb_prom *p);

#endif
