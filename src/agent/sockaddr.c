/*
 * Addresses between the wire's form (struct mb_addr) and the socket API's,
 * for the socket (net.c) and the choice of the advertised address
 * (advertise.c).
 */
#include "agent_state.h"

#include <arpa/inet.h>
#include <string.h>

void agent_to_sockaddr(const struct mb_addr *m, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof(*ss));
  if (m->family == 6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(m->port);
    memcpy(&s6->sin6_addr, m->ip, 16);
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(m->port);
    memcpy(&s4->sin_addr, m->ip, 4);
  }
}

bool agent_from_sockaddr(const struct sockaddr *sa, struct mb_addr *m) {
  memset(m, 0, sizeof(*m));
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
    m->family = 4;
    m->port = ntohs(s4->sin_port);
    memcpy(m->ip, &s4->sin_addr, 4);
    return true;
  }
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
    m->family = 6;
    m->port = ntohs(s6->sin6_port);
    memcpy(m->ip, &s6->sin6_addr, 16);
    return true;
  }
  return false;
}
