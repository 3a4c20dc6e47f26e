/*
 * New connections.  The socket's file mode is the first gate; the peer
 * credentials the kernel records at connect (SO_PEERCRED, SO_PEERGROUPS) are
 * the one that counts, since a mode can be loosened by mistake.  Refused and
 * surplus clients get one error line, so the CLI can say why, and are closed.
 *
 * One slot beyond max_clients is kept for root and the agent's own uid: a
 * group member's script that leaks connections (or a slow-loris) fills the
 * table, and the operator who comes to look must still get in.
 */
#include "admin_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

/* Supplementary groups beyond this many are fetched on the heap. */
#define ADMIN_GROUPS_STACK 64

static bool in_groups(int fd, gid_t gid) {
  gid_t stack[ADMIN_GROUPS_STACK], *groups = stack;
  socklen_t len = sizeof(stack);
  bool found = false;
  int rc = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
  if (rc != 0 && errno == ERANGE && (groups = malloc(len)) != NULL)
    rc = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
  if (rc == 0)
    for (size_t i = 0; i < len / sizeof(gid_t) && !found; i++)
      found = groups[i] == gid;
  if (groups != stack)
    free(groups);
  return found;
}

enum admin_peer admin_peer_class(const struct mb_admin *a, int fd) {
  struct ucred cred;
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return ADMIN_PEER_REFUSED;
  if (cred.uid == 0 || cred.uid == a->uid)
    return ADMIN_PEER_OWNER;
  if (a->has_group && (cred.gid == a->gid || in_groups(fd, a->gid)))
    return ADMIN_PEER_MEMBER;
  return ADMIN_PEER_REFUSED;
}

/* The reserved slot counts toward clients like any other, so whoever
 * holds it, group members still find max_clients at most. */
static bool room_for(const struct mb_admin *a, enum admin_peer peer) {
  uint32_t limit = a->max_clients + (peer == ADMIN_PEER_OWNER ? 1 : 0);
  return a->stats.clients < limit;
}

/* Answers a connection we will not serve, then closes it. */
static void refuse(struct admin_conn *c, enum mb_admin_errkind kind,
                   const char *code, const char *message) {
  c->srv->stats.rejected++;
  admin_send_error(c, NULL, kind, code, message);
  admin_conn_finish(c);
}

void admin_on_connection(uv_stream_t *listener, int status) {
  struct mb_admin *a = listener->data;
  if (status < 0 || a->closing)
    return;
  struct admin_conn *c = admin_conn_new(a);
  if (c == NULL)
    return; /* out of memory: libuv keeps the connection pending */
  if (uv_accept(listener, (uv_stream_t *)&c->pipe) != 0) {
    admin_conn_close(c);
    return;
  }
  uv_os_fd_t fd;
  enum admin_peer peer = ADMIN_PEER_REFUSED;
  if (uv_fileno((uv_handle_t *)&c->pipe, &fd) == 0)
    peer = admin_peer_class(a, fd);
  if (peer == ADMIN_PEER_REFUSED) {
    refuse(c, MB_ADMIN_ERR_FORBIDDEN, "forbidden",
           "peer credentials not allowed on this socket");
    return;
  }
  if (!room_for(a, peer)) {
    refuse(c, MB_ADMIN_ERR_BUSY, "too_many_clients",
           "the agent serves no more admin clients now; retry later");
    return;
  }
  c->admitted = true;
  a->stats.clients++;
  a->stats.connections++;
  admin_idle_restart(c);
  admin_conn_start(c);
}
