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
 */
#include "agent_internal.h"
#include "config_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Makes every missing directory of path (mode for those it makes). */
static int make_dirs(const char *path, mode_t mode) {
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

static void dir_of(const char *path, char *out, size_t cap) {
  const char *slash = strrchr(path, '/');
  if (slash == NULL)
    snprintf(out, cap, ".");
  else if (slash == path)
    snprintf(out, cap, "/");
  else
    snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

/* A word the shell reads back as is: quoted when it needs to be. */
static void shell_word(char *out, size_t cap, const char *s) {
  if (s[0] != '\0' &&
      strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                "0123456789-_./:+@%,=") == strlen(s)) {
    snprintf(out, cap, "%s", s);
    return;
  }
  size_t n = 0;
  out[n++] = '\'';
  for (; *s && n + 5 < cap; s++)
    if (*s == '\'')
      n += (size_t)snprintf(out + n, cap - n, "'\\''");
    else
      out[n++] = *s;
  out[n++] = '\'';
  out[n] = '\0';
}

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
  shell_word(name, sizeof(name), c->name);
  shell_word(domain, sizeof(domain), c->domain);
  shell_word(where, sizeof(where), cert_path);
  snprintf(out, cap,
           "meshbeat cert issue --authority AUTHORITY.key --node-id %s "
           "--name %s%s%s --out %s",
           id_hex, name, c->domain[0] ? " --domain " : "",
           c->domain[0] ? domain : "", where);
}

/* ---- the key ------------------------------------------------------------- */

static int make_key(const char *path, struct mb_identity *id,
                    struct agent_logger *log) {
  char dir[PATH_MAX];
  dir_of(path, dir, sizeof(dir));
  int rc = make_dirs(dir, 0700);
  if (rc == MB_OK) {
    mb_identity_generate(id);
    rc = mb_identity_save(id, path);
  }
  if (rc == MB_OK) {
    char hex[MB_NODE_ID_HEX_LEN + 1];
    mb_node_id_hex(hex, id->pk);
    agent_log(log, MB_LOG_INFO, json_pack("{s:s, s:s}", "key", path, "id", hex),
              "created node key %s", path);
  }
  return rc;
}

static void key_problem(const struct mb_agent_config *c, const char *path,
                        int rc, struct cfg_report *r) {
  if (rc == MB_EKEYPERM)
    cfg_report_add(r, c, "key",
                   "%s is readable by group or others; a leaked key is a "
                   "forged node: chmod 600 %s",
                   path, path);
  else if (rc == MB_EKEYFORMAT)
    cfg_report_add(r, c, "key",
                   "%s is not a meshbeat node key (meshbeat keygen writes "
                   "one; a missing key is made at start)",
                   path);
  else
    cfg_report_add(r, c, "key", "cannot %s %s: %s",
                   rc == -ENOENT ? "find" : "use", path, mb_strerror(rc));
}

enum key_state { KEY_ABSENT, KEY_OK, KEY_BROKEN };

/* A missing key is no problem: a start makes it, --check says nothing. */
static enum key_state check_key(const struct mb_agent_config *c,
                                const char *path, struct mb_identity *id,
                                struct cfg_report *r) {
  if (path[0] == '\0') {
    cfg_report_add(r, c, "key", "the path is too long");
    return KEY_BROKEN;
  }
  int rc = mb_identity_load(id, path);
  if (rc == -ENOENT)
    return KEY_ABSENT;
  if (rc == MB_OK)
    return KEY_OK;
  key_problem(c, path, rc, r);
  return KEY_BROKEN;
}

/* ---- the certificate ----------------------------------------------------- */

static int read_cert(const char *path, uint8_t *buf, size_t cap, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return -errno;
  *len = fread(buf, 1, cap, f);
  bool too_big = fgetc(f) != EOF;
  fclose(f);
  return too_big ? MB_ETOOBIG : MB_OK;
}

static void first_start(const struct mb_agent_config *c, const char *path,
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

static void time_text(char *out, size_t cap, int64_t unix_s) {
  time_t t = (time_t)unix_s;
  struct tm tm;
  if (gmtime_r(&t, &tm) == NULL ||
      strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    snprintf(out, cap, "@%lld", (long long)unix_s);
}

/* A certificate present without an authority: the one it names is the
 * likely value, but only the operator can vouch for it. */
static void cert_without_authority(const struct mb_agent_config *c,
                                   const char *path, const uint8_t *buf,
                                   size_t len, struct cfg_report *r) {
  struct mb_cert cert;
  char kid[MB_NODE_ID_HEX_LEN + 1] = "?";
  if (mb_cert_decode(buf, len, &cert) == MB_OK)
    mb_node_id_hex(kid, cert.authority);
  cfg_report_add(r, c, "authority",
                 "not set, but there is a certificate (%s): without an "
                 "authority it would not be checked and the mesh would be "
                 "open. Set authority to the authority's id (this "
                 "certificate names %s: compare with meshbeat id --key "
                 "authority.key on the authority host), or to \"none\" for "
                 "an open mesh",
                 path, kid);
}

/* With an authority the node runs under its certificate's name and domain
 * (cert_life.c), and peers refuse records that say otherwise: a setting
 * that differs is a mistake to name, not a value to use. */
static void check_certified(const struct mb_agent_config *c, const char *path,
                            const struct mb_cert *cert, struct cfg_report *r) {
  const char *keys[] = {"name", "domain"};
  const char *set[] = {c->name, c->domain},
             *said[] = {cert->name, cert->domain};
  char source[PATH_MAX + 16];
  for (int i = 0; i < 2; i++) {
    mb_agent_config_source(c, keys[i], source, sizeof(source));
    if (strcmp(source, "default") == 0 || strcmp(set[i], said[i]) == 0)
      continue;
    cfg_report_add(r, c, keys[i],
                   "'%s' contradicts the certificate %s, which says %s "
                   "'%s': remove the setting (the certificate's %s is used) "
                   "or have the authority certify '%s'",
                   set[i], path, keys[i], said[i], keys[i], set[i]);
  }
}

static void verify_cert(const struct mb_agent_config *c, const char *path,
                        const uint8_t *buf, size_t len,
                        const struct mb_identity *id, enum key_state key,
                        const char *key_path, struct cfg_report *r) {
  uint8_t auth[MB_NODE_ID_LEN];
  struct mb_cert cert;
  char a[MB_NODE_ID_HEX_LEN + 1], b[MB_NODE_ID_HEX_LEN + 1], when[32];
  if (mb_node_id_parse(auth, c->authority) != MB_OK)
    return; /* check_authority said why */
  int rc = mb_cert_decode(buf, len, &cert);
  if (rc == MB_OK)
    rc = mb_cert_verify(buf, len, auth, time(NULL), c->swim.cert_skew_s, &cert);
  /* Peers allow for skew; the node leaves at its own expiry, so it does
   * not start past it either (cert_life.c). */
  if (rc == MB_OK && cert.expires_at <= time(NULL))
    rc = MB_EEXPIRED;
  if (rc == MB_EAUTHORITY) {
    mb_node_id_hex(a, cert.authority);
    cfg_report_add(r, c, "cert",
                   "%s is signed by authority %s, not by the configured "
                   "authority %s",
                   path, a, c->authority);
  } else if (rc == MB_EEXPIRED || rc == MB_ENOTYET) {
    time_text(when, sizeof(when),
              rc == MB_EEXPIRED ? cert.expires_at : cert.not_before);
    cfg_report_add(r, c, "cert", "%s %s %s%s", path,
                   rc == MB_EEXPIRED ? "expired at" : "is not valid before",
                   when,
                   rc == MB_EEXPIRED ? ": issue a new one"
                                     : " (is this host's clock right?)");
  } else if (rc != MB_OK) {
    cfg_report_add(r, c, "cert", "%s is not a valid certificate: %s", path,
                   mb_strerror(rc));
  } else if (key == KEY_ABSENT) {
    cfg_report_add(r, c, "cert",
                   "%s exists but the key %s does not: a new key would not "
                   "match it; point key at the key it was issued for",
                   path, key_path);
  } else if (key == KEY_OK &&
             memcmp(cert.node_id, id->pk, MB_NODE_ID_LEN) != 0) {
    mb_node_id_hex(a, cert.node_id);
    mb_node_id_hex(b, id->pk);
    cfg_report_add(r, c, "cert",
                   "%s was issued for node %s, but the key %s is node %s", path,
                   a, key_path, b);
  } else {
    check_certified(c, path, &cert, r);
  }
}

bool cfg_certified(const struct mb_agent_config *c, struct mb_cert *out) {
  char path[PATH_MAX];
  uint8_t auth[MB_NODE_ID_LEN], buf[MB_CERT_MAX_LEN];
  size_t len = 0;
  if (cfg_open_mesh(c) || mb_node_id_parse(auth, c->authority) != MB_OK)
    return false;
  cfg_cert_path(c, path, sizeof(path));
  return path[0] != '\0' && read_cert(path, buf, sizeof(buf), &len) == MB_OK &&
         mb_cert_verify(buf, len, auth, time(NULL), c->swim.cert_skew_s, out) ==
             MB_OK;
}

/* An authority id that parses, or none at all (config_check.c says what
 * is wrong with any other value, and the certificate waits for it). */
static bool authority_usable(const struct mb_agent_config *c) {
  uint8_t id[MB_NODE_ID_LEN];
  static const uint8_t placeholder[MB_NODE_ID_LEN];
  return cfg_open_mesh(c) || (mb_node_id_parse(id, c->authority) == MB_OK &&
                              memcmp(id, placeholder, sizeof(id)) != 0);
}

/* True when all that is missing is the certificate (the first start's
 * message is then first_start's, once the key exists). */
static bool check_cert(const struct mb_agent_config *c,
                       const struct mb_identity *id, enum key_state key,
                       const char *key_path, struct cfg_report *r) {
  char path[PATH_MAX];
  uint8_t buf[MB_CERT_MAX_LEN];
  size_t len = 0;
  if (!authority_usable(c))
    return false;
  cfg_cert_path(c, path, sizeof(path));
  bool chosen = c->cert_file[0] != '\0';
  int rc = path[0] ? read_cert(path, buf, sizeof(buf), &len) : -ENAMETOOLONG;
  if (rc == -ENOENT && !chosen && cfg_open_mesh(c))
    return false; /* open mesh, no certificate: as it should be */
  if (rc == -ENOENT && !cfg_open_mesh(c))
    return key != KEY_BROKEN;
  if (rc != MB_OK)
    cfg_report_add(r, c, "cert", "cannot read %s: %s", path, mb_strerror(rc));
  else if (c->authority[0] == '\0')
    cert_without_authority(c, path, buf, len, r);
  else if (!cfg_open_mesh(c))
    verify_cert(c, path, buf, len, id, key, key_path, r);
  return false;
}

/* The directories a start writes in: made if missing (the admin socket's
 * 0755: who may connect is the socket's own mode). */
static void make_start_dirs(const struct mb_agent_config *c,
                            struct cfg_report *r) {
  char sock[PATH_MAX], dir[PATH_MAX];
  int rc = make_dirs(c->data_dir, 0700);
  if (rc != MB_OK)
    cfg_report_add(r, c, "data_dir", "cannot create %s: %s", c->data_dir,
                   mb_strerror(rc));
  cfg_admin_socket_path(c, sock, sizeof(sock));
  dir_of(sock, dir, sizeof(dir));
  rc = make_dirs(dir, 0755);
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
  enum key_state key = check_key(c, key_path, &id, r);
  bool no_cert = check_cert(c, key == KEY_OK ? &id : NULL, key, key_path, r);
  /* A start makes what is missing, only when nothing else is wrong. */
  if (create && r->n == before) {
    make_start_dirs(c, r);
    if (r->n == before && key == KEY_ABSENT) {
      int rc = make_key(key_path, &id, log);
      if (rc == MB_OK)
        key = KEY_OK;
      else
        cfg_report_add(r, c, "key", "cannot create %s: %s", key_path,
                       mb_strerror(rc));
    }
  }
  if (no_cert && r->n == before)
    first_start(c, cert_path, key == KEY_OK ? &id : NULL, key, key_path, r);
  if (key == KEY_OK)
    mb_identity_wipe(&id);
}
