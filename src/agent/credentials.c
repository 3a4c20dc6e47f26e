/*
 * The key and certificate the agent runs with, loaded at start (the
 * start's checks, identity.c, made the key when missing and judged both
 * already); and whether the mesh is open, which decides if the
 * certificate is used at all.
 */
#include "agent_state.h"
#include "config_internal.h"

#include <errno.h>
#include <stdio.h>

/* No authority, or authority = "none": an open mesh, which admits anyone
 * who knows the cluster name and answers a spoofed join with its whole
 * view (14 KB of spoofed joins drew 370 KB at their victim).  The checks
 * refused it unless bound to loopback or asked for with "none". */
bool agent_open_mesh(const struct agent *a) {
  return cfg_open_mesh(a->cfg);
}

void agent_warn_open_mesh(struct agent *a) {
  if (!agent_open_mesh(a))
    return;
  agent_log(a->log, MB_LOG_WARN, NULL,
            "no authority: open mesh, any node that knows the cluster name "
            "is admitted%s",
            a->cfg->cert_file[0] ? " (the certificate is not used)" : "");
}

/* The key exists: the start's checks made it (identity.c). */
static int load_key(struct agent *a) {
  char path[PATH_MAX];
  cfg_key_path(a->cfg, path, sizeof(path));
  int rc = mb_identity_load(&a->id, path);
  if (rc != MB_OK)
    agent_log(a->log, MB_LOG_ERROR, NULL, "cannot load node key %s: %s", path,
              mb_strerror(rc));
  return rc;
}

static int read_file(const char *path, uint8_t *buf, size_t cap, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return -errno;
  *len = fread(buf, 1, cap, f);
  bool too_big = fgetc(f) != EOF;
  fclose(f);
  return too_big ? MB_ETOOBIG : MB_OK;
}

/* With an authority our certificate must be valid and ours (the start's
 * checks said so already; this reads it for the core); without one the
 * mesh is open and no certificate is used. */
static int load_cert(struct agent *a) {
  char path[PATH_MAX];
  a->cert_len = 0;
  if (agent_open_mesh(a))
    return MB_OK;
  cfg_cert_path(a->cfg, path, sizeof(path));
  int rc = read_file(path, a->cert, sizeof(a->cert), &a->cert_len);
  if (rc != MB_OK) {
    agent_log(a->log, MB_LOG_ERROR, NULL, "cannot read certificate %s: %s",
              path, mb_strerror(rc));
    return rc;
  }
  return agent_cert_accept(a, path); /* name and domain from it */
}

int agent_credentials_load(struct agent *a) {
  int rc = load_key(a);
  return rc == MB_OK ? load_cert(a) : rc;
}
