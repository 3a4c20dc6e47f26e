/*
 * The authority setting: 64 hex characters naming the authority's key, or
 * "none" for an open mesh, asked for by name; unset only on loopback, and
 * never the example's all-zero placeholder.
 */
#include "config_internal.h"

#include <string.h>

static bool loopback_ip(const struct mb_addr *m) {
  static const uint8_t v6[16] = {[15] = 1};
  return m->family == 4 ? m->ip[0] == 127 : memcmp(m->ip, v6, 16) == 0;
}

void cfg_check_authority(const struct mb_agent_config *c,
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
