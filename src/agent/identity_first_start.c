/*
 * A node with an authority but no certificate yet cannot be admitted:
 * its first start ends (exit 2) with its id and the exact `meshbeat cert
 * issue` command for the authority host, naming the node as it will run
 * (the certificate's name and domain become the node's: here the ones
 * set, or the host name), and where to install the file.
 */
#include "identity_parts.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The path as the operator should see it from anywhere (a path too long
 * for that stays as given). */
static void absolute(char *out, size_t cap, const char *path) {
  size_t n;
  if (path[0] != '/' && getcwd(out, cap) != NULL &&
      (n = strlen(out)) + 1 + strlen(path) < cap) {
    out[n] = '/';
    memcpy(out + n + 1, path, strlen(path) + 1);
  } else {
    snprintf(out, cap, "%s", path);
  }
}

/* The command the authority host runs to admit this node. */
static void issue_command(const struct mb_agent_config *c, const char *id_hex,
                          const char *cert_path, char *out, size_t cap) {
  char name[2 * MB_NAME_MAX + 8], domain[2 * MB_DOMAIN_MAX + 8];
  char where[2 * PATH_MAX];
  agent_shell_word(name, sizeof(name), c->name);
  agent_shell_word(domain, sizeof(domain), c->domain);
  agent_shell_word(where, sizeof(where), cert_path);
  snprintf(out, cap,
           "meshbeat cert issue --authority AUTHORITY.key --node-id %s "
           "--name %s%s%s --out %s",
           id_hex, name, c->domain[0] ? " --domain " : "",
           c->domain[0] ? domain : "", where);
}

void identity_first_start(const struct mb_agent_config *c, const char *path,
                          const struct mb_identity *id, enum key_state key,
                          const char *key_path, struct cfg_report *r) {
  char hex[MB_NODE_ID_HEX_LEN + 1], cmd[3 * PATH_MAX];
  if (key == KEY_BROKEN)
    return; /* the key's own problem comes first */
  if (key == KEY_ABSENT) {
    cfg_report_add(r, c, "cert",
                   "no certificate at %s yet, and no key at %s: start the "
                   "agent once; it makes the key and prints the command "
                   "that issues the certificate",
                   path, key_path);
    return;
  }
  char abs[PATH_MAX];
  mb_node_id_hex(hex, id->pk);
  absolute(abs, sizeof(abs), path);
  issue_command(c, hex, abs, cmd, sizeof(cmd));
  cfg_report_add(r, c, "cert",
                 "no certificate at %s yet: this node cannot be admitted.\n"
                 "  node id: %s\n"
                 "  On the authority host, run:\n"
                 "    %s\n"
                 "  then install that file at %s on this node and start "
                 "again.",
                 path, hex, cmd, abs);
}
