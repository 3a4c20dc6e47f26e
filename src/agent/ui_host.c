/*
 * The Host header a /ui request must carry.  A page on any site can make
 * a browser fetch http://rebind.example:9946/ after its name is rebound to
 * 127.0.0.1 (DNS rebinding), and the browser then counts our answers as
 * that site's own; the only trace of it is the Host header, which names
 * the attacker's domain.  A browser on this machine, an ssh tunnel and a
 * reverse proxy with its default Host all name us by address or as
 * localhost.
 */
#include "ui.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define HOST_MAX 255

/* "" or ":" followed by 1-5 digits. */
static bool port_suffix_ok(const char *s) {
  if (s[0] == '\0')
    return true;
  size_t n = strspn(s + 1, "0123456789");
  return s[0] == ':' && n >= 1 && n <= 5 && s[1 + n] == '\0';
}

static bool ipv6_literal_ok(const char *host) {
  const char *close = strchr(host, ']');
  char addr[INET6_ADDRSTRLEN + 1];
  size_t n = close != NULL ? (size_t)(close - host - 1) : 0;
  if (close == NULL || n == 0 || n >= sizeof(addr))
    return false;
  memcpy(addr, host + 1, n);
  addr[n] = '\0';
  struct in6_addr a6;
  return inet_pton(AF_INET6, addr, &a6) == 1 && port_suffix_ok(close + 1);
}

bool agent_ui_host_ok(const char *host) {
  if (host == NULL || strlen(host) > HOST_MAX)
    return false;
  if (host[0] == '[')
    return ipv6_literal_ok(host);
  char name[HOST_MAX + 1];
  size_t n = strcspn(host, ":");
  memcpy(name, host, n);
  name[n] = '\0';
  if (!port_suffix_ok(host + n))
    return false;
  struct in_addr a4;
  return inet_pton(AF_INET, name, &a4) == 1 ||
         strcasecmp(name, "localhost") == 0;
}
