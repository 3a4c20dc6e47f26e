/*
 * The address the other members are told to reach us at, and why that one.
 *
 * In order: `advertise` as given; else the bind address when it names one;
 * else (bound to 0.0.0.0 or [::]) the source address the kernel would use
 * to reach the first seed that has a route, then to reach a documentation
 * address through the default route (a connected UDP socket sends nothing:
 * connect() only asks the routing table, which works where netlink is
 * forbidden, as under the unit's RestrictAddressFamilies); else the one
 * address of the one interface that has one.  An unspecified, link-local
 * (no scope id travels on the wire), multicast or broadcast address is
 * never advertised: the configuration check refuses it (exit 2, from
 * --check and a start alike, naming the setting and its source) and asks
 * for `advertise`.
 * The choice and its reason are always logged, since a guess that looked
 * right on one host (the first interface: docker0, tailscale0) was wrong on
 * the next.
 */
#include "agent_state.h"
#include "config_internal.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HOW_MAX 160

/* Where the default route goes, asked with addresses that are never a real
 * host (RFC 5737 TEST-NET-1, RFC 3849). */
#define DEFAULT_ROUTE_PROBE_V4 "192.0.2.1:9"
#define DEFAULT_ROUTE_PROBE_V6 "[2001:db8::1]:9"

/* NULL when others can reach us at m, else what is wrong with it. */
static const char *unusable(const struct mb_addr *m) {
  static const uint8_t zero[16];
  const uint8_t *ip = m->ip;
  if (m->family == 6 && memcmp(ip, zero, 10) == 0 && ip[10] == 0xff &&
      ip[11] == 0xff) /* an IPv4-mapped address is judged as IPv4 */
    return unusable(
        &(struct mb_addr){.family = 4, .ip = {ip[12], ip[13], ip[14], ip[15]}});
  if (m->family == 4) {
    if (ip[0] == 0)
      return "unspecified";
    if (ip[0] == 169 && ip[1] == 254)
      return "link-local";
    if (ip[0] >= 224)
      return ip[0] < 240 ? "multicast" : "reserved or broadcast";
    return NULL;
  }
  if (memcmp(ip, zero, 16) == 0)
    return "unspecified";
  if (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80)
    return "link-local";
  if (ip[0] == 0xff)
    return "multicast";
  return NULL;
}

/* The source address of the route to `to`, into *out (port kept). */
static int route_source(const struct mb_addr *to, struct mb_addr *out) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  agent_to_sockaddr(to, &ss);
  int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  int rc = MB_OK;
  if (connect(fd, (struct sockaddr *)&ss,
              to->family == 6 ? sizeof(struct sockaddr_in6)
                              : sizeof(struct sockaddr_in)) != 0 ||
      getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
    rc = -errno;
  close(fd);
  struct mb_addr src;
  if (rc == MB_OK && !agent_from_sockaddr((struct sockaddr *)&ss, &src))
    rc = MB_EINVAL;
  if (rc == MB_OK) {
    memcpy(out->ip, src.ip, sizeof(out->ip));
    out->family = src.family;
  }
  return rc;
}

/* Why the routes did not give an address, for the refusal message. */
struct advertise_trail {
  char text[512];
};

static void trail_add(struct advertise_trail *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void trail_add(struct advertise_trail *t, const char *fmt, ...) {
  size_t used = strlen(t->text);
  if (used + 3 >= sizeof(t->text))
    return;
  if (used > 0)
    memcpy(t->text + used, "; ", 3), used += 2;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t->text + used, sizeof(t->text) - used, fmt, ap);
  va_end(ap);
}

/* A route to `to` whose source address is usable: true with *m filled. */
static bool usable_route(const struct mb_addr *to, const char *label,
                         struct mb_addr *m, struct advertise_trail *t) {
  struct mb_addr src = *m;
  char text[MB_ADDR_TEXT_MAX];
  int rc = route_source(to, &src);
  if (rc != MB_OK) {
    trail_add(t, "no route to %s (%s)", label, mb_strerror(rc));
    return false;
  }
  const char *why = unusable(&src);
  if (why != NULL) {
    mb_addr_format(text, sizeof(text), &src);
    trail_add(t, "the route to %s leaves from %s, %s", label, text, why);
    return false;
  }
  *m = src;
  return true;
}

static bool from_seeds(const struct mb_agent_config *c, struct mb_addr *m,
                       char *how, struct advertise_trail *t) {
  for (size_t i = 0; i < c->n_join; i++) {
    struct mb_addr seed;
    if (mb_addr_parse(c->join[i], &seed) != MB_OK || seed.family != m->family)
      continue; /* a host name is resolved later; another family can't be
                   reached from this socket */
    if (usable_route(&seed, c->join[i], m, t)) {
      snprintf(how, HOW_MAX, "route to seed %s", c->join[i]);
      return true;
    }
  }
  return false;
}

static bool from_default_route(struct mb_addr *m, char *how,
                               struct advertise_trail *t) {
  struct mb_addr probe;
  mb_addr_parse(
      m->family == 6 ? DEFAULT_ROUTE_PROBE_V6 : DEFAULT_ROUTE_PROBE_V4, &probe);
  if (!usable_route(&probe, "the default route", m, t))
    return false;
  snprintf(how, HOW_MAX, "default route");
  return true;
}

/* The interfaces' usable addresses of m's family, other than loopback:
 * taken when there is exactly one, since then there is nothing to guess. */
static bool from_only_interface(struct mb_addr *m, char *how,
                                struct advertise_trail *t) {
  struct ifaddrs *list;
  if (getifaddrs(&list) != 0) {
    trail_add(t, "the interfaces cannot be listed (%s)", mb_strerror(-errno));
    return false;
  }
  int family = m->family == 6 ? AF_INET6 : AF_INET;
  size_t found = 0;
  char names[128] = "";
  struct mb_addr only = *m, a;
  for (struct ifaddrs *i = list; i != NULL; i = i->ifa_next) {
    if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family ||
        (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP) ||
        !agent_from_sockaddr(i->ifa_addr, &a) || unusable(&a) != NULL)
      continue;
    if (found++ == 0) {
      memcpy(only.ip, a.ip, sizeof(only.ip));
      snprintf(how, HOW_MAX, "the only address, of interface %s", i->ifa_name);
    }
    size_t used = strlen(names);
    snprintf(names + used, sizeof(names) - used, "%s%s", used ? ", " : "",
             i->ifa_name);
  }
  freeifaddrs(list);
  if (found == 1) {
    *m = only;
    return true;
  }
  if (found == 0)
    trail_add(t, "no interface has a usable IPv%d address", m->family);
  else
    trail_add(t, "%zu interfaces have one (%s): which is meant?", found, names);
  return false;
}

/* advertise, or bind when it is unset, cannot be told to the others. */
static int refuse(const struct mb_agent_config *c, const char *key,
                  const char *text, const char *why, struct cfg_report *r) {
  cfg_report_add(r, c, key,
                 "%s is %s: the other members cannot reach it; set advertise "
                 "(--advertise, MESHBEAT_ADVERTISE) to the HOST:PORT they "
                 "should use",
                 text, why);
  return MB_EINVAL;
}

int cfg_advertise_choose(const struct mb_agent_config *c, struct mb_addr *m,
                         char *how, size_t how_cap, struct cfg_report *r) {
  const char *text = c->advertise[0] ? c->advertise : c->bind;
  const char *key = c->advertise[0] ? "advertise" : "bind";
  char chosen_how[HOW_MAX] = "";
  if (mb_addr_parse(text, m) != MB_OK) {
    cfg_report_add(r, c, key, "'%s' is not a numeric HOST:PORT", text);
    return MB_EINVAL;
  }
  const char *why = unusable(m);
  if (why == NULL) {
    snprintf(how, how_cap, "from %s", key);
    return MB_OK;
  }
  if (c->advertise[0] || strcmp(why, "unspecified") != 0)
    return refuse(c, key, text, why, r);
  struct advertise_trail t = {""};
  if (from_seeds(c, m, chosen_how, &t) ||
      from_default_route(m, chosen_how, &t) ||
      from_only_interface(m, chosen_how, &t)) {
    snprintf(how, how_cap, "%s", chosen_how);
    return MB_OK;
  }
  cfg_report_add(r, c, "advertise",
                 "not set, bound to %s, and no address to advertise can be "
                 "told: %s; set advertise (--advertise, MESHBEAT_ADVERTISE) "
                 "to the HOST:PORT the other members should use",
                 text, t.text);
  return MB_EINVAL;
}

int agent_advertise_choose(struct agent *a) {
  char how[HOW_MAX] = "", text[MB_ADDR_TEXT_MAX], problem[1024];
  struct cfg_report r;
  cfg_report_init(&r, problem, sizeof(problem));
  if (cfg_advertise_choose(a->cfg, &a->advertise, how, sizeof(how), &r) !=
      MB_OK) {
    /* The configuration check that ran just before chose the same way and
     * passed: only a route or an interface that changed since gets here.
     * It is still the configuration that asks for what the network cannot
     * give, so the exit says so (2), not a failure to start (1). */
    agent_log(a->log, MB_LOG_ERROR, NULL, "%s", problem);
    return MB_ECONFIG;
  }
  mb_addr_format(text, sizeof(text), &a->advertise);
  agent_log(a->log, MB_LOG_INFO,
            json_pack("{s:s, s:s}", "addr", text, "how", how),
            "advertising %s (%s)", text, how);
  return MB_OK;
}
