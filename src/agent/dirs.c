/*
 * Directories a first start makes (the data directory, the key's, the
 * admin socket's), said the way mkdir -p and dirname would.
 */
#include "agent_state.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Makes every missing directory of path (mode for those it makes). */
int agent_make_dirs(const char *path, mode_t mode) {
  char p[PATH_MAX];
  if ((size_t)snprintf(p, sizeof(p), "%s", path) >= sizeof(p))
    return -ENAMETOOLONG;
  for (char *s = p + 1;; s++) {
    if (*s != '/' && *s != '\0')
      continue;
    char was = *s;
    *s = '\0';
    if (mkdir(p, mode) != 0 && errno != EEXIST)
      return -errno;
    *s = was;
    if (was == '\0')
      return MB_OK;
  }
}

/* The directory part of path: "." when none. */
void agent_dir_of(const char *path, char *out, size_t cap) {
  const char *slash = strrchr(path, '/');
  if (slash == NULL)
    snprintf(out, cap, ".");
  else if (slash == path)
    snprintf(out, cap, "/");
  else
    snprintf(out, cap, "%.*s", (int)(slash - path), path);
}
