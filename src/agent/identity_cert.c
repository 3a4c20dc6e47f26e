/*
 * The certificate as a start needs it: with an authority it must exist,
 * be signed by it, be valid now, name this node's key, and agree with the
 * name and domain set; without one it is an error (the operator forgot
 * `authority`).  And the certificate a start would run under, for
 * --check's JSON.
 */
#include "identity_parts.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int read_cert(const char *path, uint8_t *buf, size_t cap, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return -errno;
  *len = fread(buf, 1, cap, f);
  bool too_big = fgetc(f) != EOF;
  fclose(f);
  return too_big ? MB_ETOOBIG : MB_OK;
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
bool identity_check_cert(const struct mb_agent_config *c,
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
