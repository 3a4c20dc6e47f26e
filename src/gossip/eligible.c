/*
 * Who may be the bridge (docs/bridge.md): a member whose certificate
 * carries the role "bridge", or whose certified name the configuration
 * lists (swim_config.bridge_eligible, the same on every member); in an
 * open mesh with an empty list, every member.  The same answer decides
 * who may sign a bridge cursor or an instruction (channel/policy.c), and
 * is in swim_member_info for the election.
 *
 * The role is read from the certificate once, when one is taken for a
 * member (a flag in struct member); the name is the one in its heartbeat
 * record, which admission holds equal to its certificate's
 * (swim_identity_ok), so a listed name is a certified name.
 */
#include "swim_internal.h"

#include <string.h>

static bool has_bridge_role(const struct mb_cert *c) {
  for (size_t i = 0; i < c->n_roles && i < MB_CERT_MAX_ROLES; i++)
    if (strcmp(c->roles[i], SWIM_BRIDGE_ROLE) == 0)
      return true;
  return false;
}

static bool name_eligible(const struct swim *s, const char *name) {
  size_t n = s->cfg.n_bridge_eligible;
  if (n > MB_SWIM_MAX_BRIDGE_ELIGIBLE)
    n = MB_SWIM_MAX_BRIDGE_ELIGIBLE;
  if (n == 0)
    return !s->cfg.require_cert; /* an open mesh: every member */
  for (size_t i = 0; i < n; i++)
    if (strncmp(s->cfg.bridge_eligible[i], name, MB_NAME_MAX + 1) == 0)
      return true;
  return false;
}

void swim_member_cert_taken(struct member *m) {
  struct bytes b = swim_blob_bytes(m->cert);
  struct mb_cert c;
  m->bridge_role = b.p != NULL && mb_cert_decode(b.p, b.len, &c) == MB_OK &&
                   has_bridge_role(&c);
}

bool swim_member_eligible(const struct swim *s, const struct member *m) {
  if (m->bridge_role)
    return true;
  if (m->is_self)
    return name_eligible(s, s->name);
  struct mb_heartbeat hb;
  return swim_member_hb(m, &hb) == MB_OK && name_eligible(s, hb.name);
}

bool swim_signer_eligible(struct swim *s, const uint8_t *kid,
                          struct swim_carried *c) {
  struct member *m = swim_member_by_id(s, kid);
  if (m != NULL)
    return swim_member_eligible(s, m);
  size_t i;
  const struct mb_cert *ct = c != NULL && s->cfg.require_cert
                                 ? swim_carried_admit(s, c, kid, &i)
                                 : NULL;
  if (ct != NULL)
    return has_bridge_role(ct) || name_eligible(s, ct->name);
  return !s->cfg.require_cert && s->cfg.n_bridge_eligible == 0;
}
