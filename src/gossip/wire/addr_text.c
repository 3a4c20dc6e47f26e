/* HOST:PORT text <-> struct mb_addr ("[::1]:7946" for IPv6). */
#include "mb_wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_port(const char *text, uint16_t *port) {
  char *end;
  if (*text < '0' || *text > '9')
    return MB_EINVAL;
  errno = 0;
  unsigned long v = strtoul(text, &end, 10);
  if (errno != 0 || *end != '\0' || v > 65535)
    return MB_EINVAL;
  *port = (uint16_t)v;
  return MB_OK;
}

int mb_addr_parse(const char *text, struct mb_addr *out) {
  char host[INET6_ADDRSTRLEN + 2];
  const char *colon = strrchr(text, ':');
  if (colon == NULL || (size_t)(colon - text) >= sizeof(host))
    return MB_EINVAL;
  memcpy(host, text, (size_t)(colon - text));
  host[colon - text] = '\0';
  char *h = host;
  size_t hl = strlen(h);
  if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']')
    h[hl - 1] = '\0', h++;
  struct mb_addr a = {0};
  if (parse_port(colon + 1, &a.port) != MB_OK)
    return MB_EINVAL;
  if (inet_pton(AF_INET, h, a.ip) == 1)
    a.family = 4;
  else if (inet_pton(AF_INET6, h, a.ip) == 1)
    a.family = 6;
  else
    return MB_EINVAL;
  *out = a;
  return MB_OK;
}

void mb_addr_format(char *out, size_t cap, const struct mb_addr *a) {
  char ip[INET6_ADDRSTRLEN];
  if (a->family == 6) {
    inet_ntop(AF_INET6, a->ip, ip, sizeof(ip));
    snprintf(out, cap, "[%s]:%u", ip, a->port);
  } else {
    inet_ntop(AF_INET, a->ip, ip, sizeof(ip));
    snprintf(out, cap, "%s:%u", ip, a->port);
  }
}
