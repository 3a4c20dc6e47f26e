/* HOST:PORT text <-> struct mb_addr ("[::1]:7946" for IPv6). */
#include "cli_addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

int cli_parse_addr(const char *text, struct mb_addr *out) {
  char host[64];
  const char *colon = strrchr(text, ':');
  if (colon == NULL || (size_t)(colon - text) >= sizeof(host))
    return -1;
  memcpy(host, text, (size_t)(colon - text));
  host[colon - text] = '\0';
  char *h = host;
  size_t hl = strlen(h);
  if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']')
    h[hl - 1] = '\0', h++;
  uint64_t port;
  if (!cli_parse_u64(colon + 1, &port) || port > 65535)
    return -1;
  memset(out, 0, sizeof(*out));
  out->port = (uint16_t)port;
  if (inet_pton(AF_INET, h, out->ip) == 1)
    out->family = 4;
  else if (inet_pton(AF_INET6, h, out->ip) == 1)
    out->family = 6;
  else
    return -1;
  return 0;
}

void cli_format_addr(char *out, size_t cap, const struct mb_addr *a) {
  char ip[INET6_ADDRSTRLEN];
  if (a->family == 6) {
    inet_ntop(AF_INET6, a->ip, ip, sizeof(ip));
    snprintf(out, cap, "[%s]:%u", ip, a->port);
  } else {
    inet_ntop(AF_INET, a->ip, ip, sizeof(ip));
    snprintf(out, cap, "%s:%u", ip, a->port);
  }
}
