/*
 * Judges loaded settings the way a start would, without starting: each
 * problem becomes one line naming the setting and where its value came
 * from.  The addresses are parsed by the wire layer's parser, the protocol
 * parameters checked by the gossip layer's own rules (swim_config_check),
 * the key and certificate by identity.c, so --check and a start can never
 * disagree.  Each kind of setting has its file: config_check_addr.c,
 * config_check_authority.c, config_check_paths.c, config_check_bridge.c,
 * config_check_raid.c.
 */
#include "config_internal.h"

#include <stdio.h>
#include <string.h>

static void check_text(const struct mb_agent_config *c, const char *key,
                       const char *v, size_t max, bool may_be_empty,
                       struct cfg_report *r) {
  if (!may_be_empty && v[0] == '\0')
    cfg_report_add(r, c, key, "must not be empty");
  else if (!mb_text_ok(v, max) || !cfg_printable(v))
    cfg_report_add(r, c, key, "must be at most %zu bytes of printable UTF-8",
                   max);
}

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
                           struct agent_logger *log, struct cfg_report *r) {
  struct mb_addr bind = {0};
  check_text(c, "name", c->name, MB_NAME_MAX, false, r);
  check_text(c, "domain", c->domain, MB_DOMAIN_MAX, true, r);
  check_text(c, "cluster", c->cluster, MB_NAME_MAX, false, r);
  cfg_check_addresses(c, &bind, r);
  cfg_check_authority(c, &bind, r);
  cfg_check_paths(c, r);
  check_gossip(c, r);
  cfg_check_bridge(c, log, r);
  cfg_check_raid(c, r);
}

int cfg_validate(const struct mb_agent_config *c, bool create,
                 struct agent_logger *log, struct cfg_report *r) {
  check_settings(c, log, r);
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
