/*
 * The paths a start uses, derived from data_dir when unset, and what an
 * unset or "none" authority means.
 */
#include "config_internal.h"

#include <stdio.h>
#include <string.h>

/* A path that does not fit comes out empty, and opening it then fails
 * with a message naming the setting. */
static void path_in(char *out, size_t cap, const char *dir, const char *file) {
  if ((size_t)snprintf(out, cap, "%s/%s", dir, file) >= cap)
    out[0] = '\0';
}

static void path_or(char *out, size_t cap, const char *set, const char *dir,
                    const char *file) {
  if (set[0] != '\0')
    snprintf(out, cap, "%s", set);
  else
    path_in(out, cap, dir, file);
}

void cfg_key_path(const struct mb_agent_config *c, char *out, size_t cap) {
  path_or(out, cap, c->key_file, c->data_dir, "node.key");
}

void cfg_cert_path(const struct mb_agent_config *c, char *out, size_t cap) {
  path_or(out, cap, c->cert_file, c->data_dir, "node.cert");
}

void cfg_admin_socket_path(const struct mb_agent_config *c, char *out,
                           size_t cap) {
  path_or(out, cap, c->admin_socket, c->data_dir, "admin.sock");
}

bool cfg_open_mesh(const struct mb_agent_config *c) {
  return c->authority[0] == '\0' || strcmp(c->authority, "none") == 0;
}
