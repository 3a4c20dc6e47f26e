/*
 * systemd's notification protocol (sd_notify(3)): one datagram with
 * "READY=1", "WATCHDOG=1" or "STOPPING=1" to the AF_UNIX socket named by
 * $NOTIFY_SOCKET ('@' for the abstract namespace).  Done by hand, as the
 * protocol is documented and stable, to keep libsystemd off the link.
 */
#include "agent_state.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int agent_notify(const char *state) {
  const char *path = getenv("NOTIFY_SOCKET");
  if (path == NULL || path[0] == '\0')
    return 0;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  size_t len = strlen(path);
  if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path))
    return MB_EINVAL;
  memcpy(sa.sun_path, path, len);
  if (path[0] == '@')
    sa.sun_path[0] = '\0';
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
  ssize_t n = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
                     (struct sockaddr *)&sa, salen);
  int rc = n < 0 ? -errno : 0;
  close(fd);
  return rc;
}

uint64_t agent_watchdog_interval_ms(void) {
  const char *usec = getenv("WATCHDOG_USEC");
  const char *pid = getenv("WATCHDOG_PID");
  if (usec == NULL || (pid != NULL && atol(pid) != (long)getpid()))
    return 0;
  unsigned long long us = strtoull(usec, NULL, 10);
  return us / 2000; /* ping at half the timeout, as sd_watchdog_enabled says */
}

static void on_watchdog_timer(uv_timer_t *t) {
  (void)t;
  agent_notify("WATCHDOG=1");
}

/* Pinged from the loop: a loop that hangs stops the pings, and systemd
 * restarts the agent. */
void agent_watchdog_start(struct agent *a) {
  uint64_t every = agent_watchdog_interval_ms();
  uv_timer_init(&a->loop, &a->watchdog_timer);
  a->watchdog_timer.data = a;
  if (every > 0)
    uv_timer_start(&a->watchdog_timer, on_watchdog_timer, every, every);
}
