/*
 * The node's key and admission certificate, checked as a start needs them:
 *
 *   key   made wherever `key` points when it is missing (its missing
 *         directories 0700, the file 0600), at a start only; --check
 *         reads, never writes.
 *   cert  with an authority: must exist, be signed by it, be valid now and
 *         name this node's key.  Missing, the node cannot be admitted yet:
 *         the report carries the node id and the exact `meshbeat cert
 *         issue` command for the authority host (the first start of every
 *         node ends there, exit 2).  Without an authority a certificate is
 *         an error: it means the operator forgot `authority`.
 *
 * The key is identity_key.c's, the certificate identity_cert.c's, the
 * first start's message identity_first_start.c's; here the order.
 */
#include "identity_parts.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* The directories a start writes in: made if missing (the admin socket's
 * 0755: who may connect is the socket's own mode). */
static void make_start_dirs(const struct mb_agent_config *c,
                            struct cfg_report *r) {
  char sock[PATH_MAX], dir[PATH_MAX];
  int rc = agent_make_dirs(c->data_dir, 0700);
  if (rc != MB_OK)
    cfg_report_add(r, c, "data_dir", "cannot create %s: %s", c->data_dir,
                   mb_strerror(rc));
  cfg_admin_socket_path(c, sock, sizeof(sock));
  agent_dir_of(sock, dir, sizeof(dir));
  rc = agent_make_dirs(dir, 0755);
  if (rc != MB_OK)
    cfg_report_add(r, c, "admin_socket", "cannot create %s: %s", dir,
                   mb_strerror(rc));
}

void agent_identity_check(const struct mb_agent_config *c, bool create,
                          struct agent_logger *log, struct cfg_report *r) {
  char key_path[PATH_MAX], cert_path[PATH_MAX];
  struct mb_identity id;
  unsigned before = r->n;
  cfg_key_path(c, key_path, sizeof(key_path));
  cfg_cert_path(c, cert_path, sizeof(cert_path));
  enum key_state key = identity_check_key(c, key_path, &id, r);
  bool no_cert =
      identity_check_cert(c, key == KEY_OK ? &id : NULL, key, key_path, r);
  /* A start makes what is missing, only when nothing else is wrong. */
  if (create && r->n == before) {
    make_start_dirs(c, r);
    if (r->n == before && key == KEY_ABSENT) {
      int rc = identity_make_key(key_path, &id, log);
      if (rc == MB_OK)
        key = KEY_OK;
      else
        cfg_report_add(r, c, "key", "cannot create %s: %s", key_path,
                       mb_strerror(rc));
    }
  }
  if (no_cert && r->n == before)
    identity_first_start(c, cert_path, key == KEY_OK ? &id : NULL, key,
                         key_path, r);
  if (key == KEY_OK)
    mb_identity_wipe(&id);
}
