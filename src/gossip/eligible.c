/*
 * Who may be the bridge, and who is a coordinator.
 *
 * The bridge (docs/bridge.md): a member whose certificate
 * carries the role "bridge", or whose certified name the configuration
 * lists (swim_config.bridge_eligible, the same on every member); in an
 * open mesh with an empty list, every member.  The same answer decides
 * who may sign a bridge cursor or an instruction (channel/policy.c), and
 * is in swim_member_info for the election.
 *
 * A coordinator (a Raft voter of the RAID layer, or a candidate to
 * replace one): the role "coordinator", or a name in
 * swim_config.coordinator_names.  An open mesh with an empty list has
 * none: a coordinator holds the mesh's decisions, so it is named, never
 * presumed.  The same answer decides who may sign the RAID publication
 * records (channel/policy.c).
 *
 * The role is read from the certificate once, when one is taken for a
 * member (a flag in struct member); the name is the one in its heartbeat
 * record, which admission holds equal to its certificate's
 * (swim_identity_ok), so a listed name is a certified name.
 */
#include "swim_internal.h"

#include <string.h>

static bool has_role(const struct mb_cert *c, const char *role) {
  for (size_t i = 0; i < c->n_roles && i < MB_CERT_MAX_ROLES; i++)
    if (strcmp(c->roles[i], role) == 0)
      return true;
  return false;
}

static bool has_bridge_role(const struct mb_cert *c) {
  return has_role(c, SWIM_BRIDGE_ROLE);
}

static bool listed(const char (*names)[MB_NAME_MAX + 1], size_t n, size_t max,
                   const char *name) {
  if (n > max)
    n = max;
  for (size_t i = 0; i < n; i++)
    if (strncmp(names[i], name, MB_NAME_MAX + 1) == 0)
      return true;
  return false;
}

static bool name_eligible(const struct swim *s, const char *name) {
  size_t n = s->cfg.n_bridge_eligible;
  if (n > MB_SWIM_MAX_BRIDGE_ELIGIBLE)
    n = MB_SWIM_MAX_BRIDGE_ELIGIBLE;
  if (n == 0)
    return !s->cfg.require_cert; /* an open mesh: every member */
  return listed(s->cfg.bridge_eligible, n, MB_SWIM_MAX_BRIDGE_ELIGIBLE, name);
}

static bool coordinator_name(const struct swim *s, const char *name) {
  return listed(s->cfg.coordinator_names, s->cfg.n_coordinator_names,
                MB_SWIM_MAX_COORDINATOR_NAMES, name);
}

void swim_member_cert_taken(struct member *m) {
  struct bytes b = swim_blob_bytes(m->cert);
  struct mb_cert c;
  bool decoded = b.p != NULL && mb_cert_decode(b.p, b.len, &c) == MB_OK;
  m->bridge_role = decoded && has_bridge_role(&c);
  m->coordinator_role = decoded && has_role(&c, SWIM_COORDINATOR_ROLE);
}

bool swim_member_coordinator(const struct swim *s, const struct member *m) {
  if (m->coordinator_role)
    return true;
  struct mb_heartbeat hb;
  const char *name = m->is_self                        ? s->name
                     : swim_member_hb(m, &hb) == MB_OK ? hb.name
                                                       : NULL;
  return name != NULL && coordinator_name(s, name);
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

bool swim_signer_coordinator(struct swim *s, const uint8_t *kid,
                             struct swim_carried *c) {
  struct member *m = swim_member_by_id(s, kid);
  if (m != NULL)
    return swim_member_coordinator(s, m);
  size_t i;
  const struct mb_cert *ct = c != NULL && s->cfg.require_cert
                                 ? swim_carried_admit(s, c, kid, &i)
                                 : NULL;
  return ct != NULL &&
         (has_role(ct, SWIM_COORDINATOR_ROLE) || coordinator_name(s, ct->name));
}
