/*
 * Judges loaded settings the way a start would, without starting: each
 * problem becomes one line naming the setting and where its value came
 * from.  The addresses are parsed by the wire layer's parser, the protocol
 * parameters checked by the gossip layer's own rules (swim_config_check),
 * the key and certificate by identity.c, so --check and a start can never
 * disagree.
 */
#include "config_internal.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Longest admin socket path: sun_path (108) less the ".PID.tmp" the admin
 * server binds first (src/admin/server.c). */
#define ADMIN_SOCKET_MAX 91
#define HOST_NAME_MAX_LEN 253

static bool printable(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f)
      return false;
  return true;
}

static void check_text(const struct mb_agent_config *c, const char *key,
                       const char *v, size_t max, bool may_be_empty,
                       struct cfg_report *r) {
  if (!may_be_empty && v[0] == '\0')
    cfg_report_add(r, c, key, "must not be empty");
  else if (!mb_text_ok(v, max) || !printable(v))
    cfg_report_add(r, c, key, "must be at most %zu bytes of printable UTF-8",
                   max);
}

/* ---- addresses ----------------------------------------------------------- */

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
  static const char *names[] = {"invalid", "example", "example.com",
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

static bool loopback_ip(const struct mb_addr *m) {
  static const uint8_t v6[16] = {[15] = 1};
  return m->family == 4 ? m->ip[0] == 127 : memcmp(m->ip, v6, 16) == 0;
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

/* ---- authority ----------------------------------------------------------- */

static void check_authority(const struct mb_agent_config *c,
                            const struct mb_addr *bind, struct cfg_report *r) {
  const char *v = c->authority;
  uint8_t id[MB_NODE_ID_LEN];
  static const uint8_t zero[MB_NODE_ID_LEN];
  if (strcmp(v, "none") == 0)
    return;
  if (v[0] == '\0') {
    if (bind->family != 0 && !loopback_ip(bind))
      cfg_report_add(r, c, "authority",
                     "not set, and bind %s is not a loopback address: set "
                     "authority to the authority's id (meshbeat id --key "
                     "authority.key on the authority host), or to \"none\" "
                     "for an open mesh that admits any node that knows the "
                     "cluster name",
                     c->bind);
    return;
  }
  size_t n = strlen(v), bad = strspn(v, "0123456789abcdefABCDEF");
  if (n != MB_NODE_ID_HEX_LEN || bad != n)
    cfg_report_add(r, c, "authority",
                   "'%.70s' is not an authority id: expected 64 hex "
                   "characters (meshbeat id --key authority.key) or \"none\" "
                   "for an open mesh; this is %zu characters%s",
                   v, n, bad != n ? ", not all hex" : "");
  else if (mb_node_id_parse(id, v) != MB_OK ||
           memcmp(id, zero, sizeof(zero)) == 0)
    cfg_report_add(r, c, "authority",
                   "all zeros is the example's placeholder: put the "
                   "authority's id here (meshbeat id --key authority.key on "
                   "the authority host)");
}

/* ---- paths --------------------------------------------------------------- */

/* A directory a start can use or make: it exists and is writable, or its
 * nearest existing ancestor is a writable directory. */
static void check_dir(const struct mb_agent_config *c, const char *key,
                      const char *path, struct cfg_report *r) {
  char p[PATH_MAX];
  struct stat st;
  snprintf(p, sizeof(p), "%s", path[0] ? path : ".");
  while (stat(p, &st) != 0) {
    if (errno != ENOENT) {
      cfg_report_add(r, c, key, "%s: %s", p, strerror(errno));
      return;
    }
    char *slash = strrchr(p, '/');
    if (slash == NULL)
      snprintf(p, sizeof(p), ".");
    else if (slash == p)
      p[1] = '\0';
    else
      *slash = '\0';
  }
  if (!S_ISDIR(st.st_mode))
    cfg_report_add(r, c, key, "%s is not a directory", p);
  else if (access(p, W_OK | X_OK) != 0)
    cfg_report_add(r, c, key, "%s is not writable by this user (uid %u): %s", p,
                   (unsigned)getuid(), strerror(errno));
}

static void parent_of(const char *path, char *out, size_t cap) {
  snprintf(out, cap, "%s", path);
  char *slash = strrchr(out, '/');
  if (slash == NULL)
    snprintf(out, cap, ".");
  else if (slash == out)
    out[1] = '\0';
  else
    *slash = '\0';
}

/* Under the systemd unit, DynamicUser= uses a group of that name that
 * exists (it makes one, known only while the unit runs, when none does;
 * nobody else can be in that one): the group to name here is one made with
 * groupadd, with the CLI's users in it. */
static bool group_exists(const char *name) {
  char buf[4096];
  struct group gr, *found = NULL;
  return getgrnam_r(name, &gr, buf, sizeof(buf), &found) == 0 && found != NULL;
}

static void check_admin_group(const struct mb_agent_config *c,
                              struct cfg_report *r) {
  const char *g = c->admin_group;
  if (g[0] == '\0')
    return;
  if (!printable(g))
    cfg_report_add(r, c, "admin_group", "is not a group name");
  else if (!group_exists(g))
    cfg_report_add(r, c, "admin_group",
                   "'%s' is not a group on this host (getent group %s): "
                   "create it (groupadd --system %s) and add the users of "
                   "the CLI to it, or change admin_group",
                   g, g, g);
}

static void check_paths(const struct mb_agent_config *c, struct cfg_report *r) {
  char path[PATH_MAX], dir[PATH_MAX];
  if (c->data_dir[0] == '\0')
    cfg_report_add(r, c, "data_dir", "must not be empty");
  else
    check_dir(c, "data_dir", c->data_dir, r);
  cfg_admin_socket_path(c, path, sizeof(path));
  if (path[0] == '\0' || strlen(path) > ADMIN_SOCKET_MAX) {
    cfg_report_add(r, c, "admin_socket",
                   "the path is longer than %d bytes (a Unix socket's limit)",
                   ADMIN_SOCKET_MAX);
  } else {
    parent_of(path, dir, sizeof(dir));
    check_dir(c, "admin_socket", dir, r);
  }
  check_admin_group(c, r);
}

/* ---- everything ---------------------------------------------------------- */

static void check_gossip(const struct mb_agent_config *c,
                         struct cfg_report *r) {
  const struct swim_param *bad;
  char why[160], key[96];
  if (swim_config_check(&c->swim, &bad, why, sizeof(why)) == MB_OK)
    return;
  snprintf(key, sizeof(key), "gossip.%s", bad->name);
  cfg_report_add(r, c, key, "%llu %s",
                 (unsigned long long)swim_param_get(&c->swim, bad), why);
}

/* Everything but the key and certificate. */
static void check_settings(const struct mb_agent_config *c,
                           struct cfg_report *r) {
  struct mb_addr bind = {0};
  check_text(c, "name", c->name, MB_NAME_MAX, false, r);
  check_text(c, "domain", c->domain, MB_DOMAIN_MAX, true, r);
  check_text(c, "cluster", c->cluster, MB_NAME_MAX, false, r);
  unsigned before = r->n;
  check_bind(c, &bind, r);
  check_advertise(c, &bind, r);
  if (r->n == before)
    check_reachable(c, r);
  check_http(c, r);
  for (size_t j = 0; j < c->n_join; j++)
    check_seed(c, j, &bind, r);
  check_authority(c, &bind, r);
  check_paths(c, r);
  check_gossip(c, r);
}

int cfg_validate(const struct mb_agent_config *c, bool create,
                 struct agent_logger *log, struct cfg_report *r) {
  check_settings(c, r);
  /* A bad configuration leaves no trace: the key is made only for one
   * that is otherwise right. */
  if (r->n == 0 || !create)
    agent_identity_check(c, create && r->n == 0, log, r);
  return r->n ? MB_EINVAL : MB_OK;
}

int mb_agent_config_check(const struct mb_agent_config *c, char *err,
                          size_t errlen) {
  struct cfg_report r;
  cfg_report_init(&r, err, errlen);
  return cfg_validate(c, false, NULL, &r);
}
