/*
 * The paths a start writes in (data_dir, the admin socket's directory:
 * usable, or makeable) and the admin socket's group, which must exist.
 */
#include "config_internal.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Longest admin socket path: sun_path (108) less the ".PID.tmp" the admin
 * server binds first (src/admin/server.c). */
#define ADMIN_SOCKET_MAX 91

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
  if (!cfg_printable(g))
    cfg_report_add(r, c, "admin_group", "is not a group name");
  else if (!group_exists(g))
    cfg_report_add(r, c, "admin_group",
                   "'%s' is not a group on this host (getent group %s): "
                   "create it (groupadd --system %s) and add the users of "
                   "the CLI to it, or change admin_group",
                   g, g, g);
}

void cfg_check_paths(const struct mb_agent_config *c, struct cfg_report *r) {
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
