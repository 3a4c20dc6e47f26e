/*
 * The addresses a start uses, judged as it would: bind, advertise (and
 * that an address the other members can reach can be told: advertise.c's
 * choice), the HTTP listener, the seeds.  Addresses are parsed by the
 * wire layer's parser; host-name seeds are checked for syntax here and
 * resolved at run time (seeds.c).
 */
#include "config_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define HOST_NAME_MAX_LEN 253

/* Does the name s end with the labels of tail ("a.example." does)? */
static bool ends_with(const char *s, const char *tail) {
  size_t n = strlen(s), t = strlen(tail);
  if (n > 0 && s[n - 1] == '.')
    n--;
  return n >= t && strncasecmp(s + n - t, tail, t) == 0 &&
         (n == t || s[n - t - 1] == '.');
}

/* Names reserved for documentation (RFC 2606, RFC 6761: .invalid and
 * .example never resolve): a seed named so is still the example's
 * placeholder.  (Documentation addresses are not refused: test rigs and
 * some virtual machines really use 192.0.2.0/24.) */
static bool placeholder_name(const char *host) {
  static const char *const names[] = {"invalid", "example", "example.com",
                                      "example.net", "example.org"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (ends_with(host, names[i]))
      return true;
  return false;
}

static bool unspecified_ip(const struct mb_addr *m) {
  static const uint8_t zero[16];
  return memcmp(m->ip, zero, m->family == 6 ? 16 : 4) == 0;
}

/* RFC 1123 labels: letters, digits, hyphens inside; 1..63 bytes each. */
static bool host_name_ok(const char *h, size_t n) {
  if (n == 0 || n > HOST_NAME_MAX_LEN)
    return false;
  size_t label = 0;
  for (size_t i = 0; i < n; i++) {
    char ch = h[i];
    if (ch == '.') {
      if (label == 0 || h[i - 1] == '-')
        return false;
      label = 0;
    } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
               (ch >= '0' && ch <= '9') || (ch == '-' && label > 0)) {
      if (++label > 63)
        return false;
    } else {
      return false;
    }
  }
  return h[n - 1] != '-';
}

static bool port_ok(const char *p) {
  unsigned long v = 0;
  if (*p == '\0' || strlen(p) > 5)
    return false;
  for (; *p; p++) {
    if (*p < '0' || *p > '9')
      return false;
    v = v * 10 + (unsigned long)(*p - '0');
  }
  return v >= 1 && v <= 65535;
}

static const char *family_name(int family) {
  return family == 6 ? "IPv6" : "IPv4";
}

static void check_bind(const struct mb_agent_config *c, struct mb_addr *bind,
                       struct cfg_report *r) {
  if (mb_addr_parse(c->bind, bind) != MB_OK) {
    cfg_report_add(r, c, "bind",
                   "'%s' is not HOST:PORT with a numeric host, e.g. "
                   "0.0.0.0:7946 or [::]:7946",
                   c->bind);
    bind->family = 0;
  }
}

/* The HTTP listener binds where it is told; a port of 0 would be random. */
static void check_http(const struct mb_agent_config *c, struct cfg_report *r) {
  struct mb_addr a;
  if (c->http_addr[0] == '\0')
    return;
  if (mb_addr_parse(c->http_addr, &a) != MB_OK || a.port == 0)
    cfg_report_add(r, c, "http.listen",
                   "'%s' is not HOST:PORT with a numeric host and a port "
                   "other than 0, e.g. 127.0.0.1:9946",
                   c->http_addr);
}

static void check_advertise(const struct mb_agent_config *c,
                            const struct mb_addr *bind, struct cfg_report *r) {
  struct mb_addr a;
  if (c->advertise[0] == '\0')
    return;
  if (mb_addr_parse(c->advertise, &a) != MB_OK)
    cfg_report_add(r, c, "advertise",
                   "'%s' is not HOST:PORT with a numeric host, e.g. "
                   "10.0.0.11:7946",
                   c->advertise);
  else if (unspecified_ip(&a) || a.port == 0)
    cfg_report_add(r, c, "advertise",
                   "%s is unspecified: the other members cannot reach it; "
                   "set advertise to a routable HOST:PORT",
                   c->advertise);
  else if (bind->family != 0 && a.family != bind->family)
    cfg_report_add(r, c, "advertise",
                   "%s is %s but bind (%s) is %s: the socket can only "
                   "speak one family",
                   c->advertise, family_name(a.family), c->bind,
                   family_name(bind->family));
}

static void check_seed(const struct mb_agent_config *c, size_t j,
                       const struct mb_addr *bind, struct cfg_report *r) {
  const char *seed = c->join[j];
  struct mb_addr a;
  if (mb_addr_parse(seed, &a) == MB_OK) {
    if (unspecified_ip(&a) || a.port == 0)
      cfg_report_seed(r, c, j, "%s cannot be contacted", seed);
    else if (bind->family != 0 && a.family != bind->family)
      cfg_report_seed(r, c, j, "%s is %s but bind (%s) is %s", seed,
                      family_name(a.family), c->bind,
                      family_name(bind->family));
    return;
  }
  const char *colon = strrchr(seed, ':');
  if (colon == NULL || !host_name_ok(seed, (size_t)(colon - seed)) ||
      !port_ok(colon + 1)) {
    cfg_report_seed(r, c, j,
                    "'%s' is not HOST:PORT (HOST an IPv4 address, [IPv6] "
                    "or a host name; PORT 1-65535)",
                    seed);
    return;
  }
  char host[HOST_NAME_MAX_LEN + 1];
  snprintf(host, sizeof(host), "%.*s", (int)(colon - seed), seed);
  if (placeholder_name(host))
    cfg_report_seed(r, c, j,
                    "%s is the example's placeholder (a name reserved for "
                    "documentation, it never resolves): name members of "
                    "your mesh, or leave join out on the first node",
                    seed);
}

/* The address a start would advertise can be told (advertise.c). */
static void check_reachable(const struct mb_agent_config *c,
                            struct cfg_report *r) {
  struct mb_addr chosen;
  char how[160];
  cfg_advertise_choose(c, &chosen, how, sizeof(how), r);
}

void cfg_check_addresses(const struct mb_agent_config *c, struct mb_addr *bind,
                         struct cfg_report *r) {
  unsigned before = r->n;
  check_bind(c, bind, r);
  check_advertise(c, bind, r);
  if (r->n == before)
    check_reachable(c, r);
  check_http(c, r);
  for (size_t j = 0; j < c->n_join; j++)
    check_seed(c, j, bind, r);
}
