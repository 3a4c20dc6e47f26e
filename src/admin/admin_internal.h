/*
 * Internals of the admin server shared by its files:
 *   server.c   open (stale socket check, bind, mode), close, stats
 *   accept.c   new connections: peer credentials, client limit
 *   idle.c     closing connections that sit without a request
 *   conn.c     one connection: line framing, writes, drop and close
 *   dispatch.c one request line -> one response line
 *   stream.c   subscriptions, publish fan-out, heartbeats
 *   defer.c    answers that handlers give later (mb_admin_defer)
 *
 * Lifetime: the server and each connection embed their libuv handles, so
 * their memory lives until the handles' close callbacks.  A connection stays
 * on the server's list until then; its state says whether it may still be
 * written to.  The server is freed when its last handle has closed.
 */
#ifndef MESHBEAT_ADMIN_INTERNAL_H
#define MESHBEAT_ADMIN_INTERNAL_H

#include "mb_admin.h"

#include <sys/types.h>
#include <sys/un.h>

/* A serialised line shared by every write that carries it (a published
 * event fans out to all subscribers from one buffer). */
struct admin_line {
  size_t refs;
  size_t len;
  char bytes[];
};

enum admin_conn_state {
  ADMIN_CONN_OPEN,      /* reading and writing */
  ADMIN_CONN_FINISHING, /* flushing a last answer, then closing */
  ADMIN_CONN_CLOSING,   /* uv_close called */
};

struct admin_conn {
  struct mb_admin *srv;
  uv_pipe_t pipe;
  uv_shutdown_t shutdown;
  struct admin_conn *prev, *next;
  char *buf; /* bytes read that do not yet form a whole line */
  size_t len, cap;
  uint64_t subs; /* bit i: following commands[i]'s stream */
  enum admin_conn_state state;
  bool admitted;     /* counted in stats.clients */
  uint64_t idle_due; /* loop ms by which a line must come; 0: none due */
  size_t pending;    /* deferred answers it waits for (defer.c) */
  bool finish_when_answered; /* EOF came while answers were pending */
};

/* A deferred answer's connection (NULL once it went away) and request id. */
#define ADMIN_PENDING_MAX 256
struct admin_pending {
  uint64_t token;
  struct admin_conn *conn;
  json_t *id;
};

struct mb_admin {
  uv_loop_t *loop;
  uv_pipe_t listener;
  uv_timer_t heartbeat;
  uv_timer_t idle; /* due at the earliest idle_due of a connection */
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
  size_t max_line;
  uint32_t heartbeat_ms;
  uint32_t max_clients;
  uint32_t idle_timeout_ms;
  size_t max_queue;
  const struct mb_admin_command *commands;
  size_t n_commands;
  void *ctx;
  bool has_group;
  gid_t gid;
  uid_t uid;
  struct admin_conn *conns;
  unsigned open_handles; /* handles whose close callback is still due */
  bool closing;
  mb_admin_closed_cb closed_cb;
  void *closed_arg;
  struct mb_admin_stats stats;
  /* The request a handler runs for (dispatch.c), for mb_admin_defer. */
  struct admin_conn *current;
  const json_t *current_id;
  uint64_t current_token; /* taken during this handler's call; 0: none */
  struct admin_pending pending[ADMIN_PENDING_MAX];
  size_t n_pending;
  uint64_t last_token;
};

/* server.c: a handle of the server (listener, timer, connection) closed. */
void admin_handle_closed(struct mb_admin *a);

/* accept.c */
void admin_on_connection(uv_stream_t *listener, int status);

/* Who is at the other end of a connection, by its credentials. */
enum admin_peer {
  ADMIN_PEER_REFUSED, /* may not use the socket */
  ADMIN_PEER_MEMBER,  /* admitted through the configured group */
  ADMIN_PEER_OWNER,   /* uid 0 or the server's own uid: the reserved slot */
};
enum admin_peer admin_peer_class(const struct mb_admin *a, int fd);

/* idle.c: the connection must complete a line (or finish flushing) within
 * idle_timeout_ms from now; arms the server's idle timer. */
void admin_idle_restart(struct admin_conn *c);
/* The connection follows a stream: it is never idle-closed. */
void admin_idle_forget(struct admin_conn *c);
void admin_idle_cb(uv_timer_t *t);

/* conn.c */
struct admin_conn *admin_conn_new(struct mb_admin *a);
void admin_conn_start(struct admin_conn *c);
/* Queues line (adds a reference); drops the connection when its queue is
 * over the bound or the write fails.  0 or a negative code. */
int admin_conn_write(struct admin_conn *c, struct admin_line *line);
/* Serialises obj (borrowed) as one line and queues it. */
int admin_conn_send(struct admin_conn *c, const json_t *obj);
/* Lets queued writes drain, then closes. */
void admin_conn_finish(struct admin_conn *c);
/* Closes now, cancelling queued writes. */
void admin_conn_close(struct admin_conn *c);
/* Closes a subscriber that cannot keep up; counted in stats.dropped. */
void admin_conn_drop(struct admin_conn *c);

struct admin_line *admin_line_from_json(const json_t *obj);
void admin_line_unref(struct admin_line *line);

/* dispatch.c: answers one line (without its newline). */
void admin_dispatch(struct admin_conn *c, const char *line, size_t n);
/* Sends an error response (id borrowed, may be NULL) and counts it. */
void admin_send_error(struct admin_conn *c, const json_t *id,
                      enum mb_admin_errkind kind, const char *code,
                      const char *message);

/* dispatch.c: the answer to a request: result (stolen) when err is NULL,
 * else err's code and message. */
void admin_answer(struct admin_conn *c, const json_t *id, json_t *result,
                  const struct mb_admin_error *err);

/* defer.c: a connection going away forgets its pending answers; the
 * server's close frees the table. */
void admin_pending_forget(struct admin_conn *c);
void admin_pending_free(struct mb_admin *a);

/* stream.c */
void admin_subscribe(struct admin_conn *c, size_t cmd_index);
/* Called when c stops being writable: forgets its subscriptions. */
void admin_unsubscribe_all(struct admin_conn *c);
void admin_heartbeat_cb(uv_timer_t *t);

#endif
