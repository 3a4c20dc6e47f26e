/*
 * meshbeat cert revoke: the cluster authority signs a revocation of a node
 * id, a channel record (docs/protocol.md, The record channel) that any
 * member takes (`meshbeat revoke FILE`) and the mesh spreads: the node is
 * refused everywhere, for good.
 *
 * Two things may be revoked.  A key (--node-id): the node id is refused
 * for good, or until --until.  A certificate (--cert): the authority takes
 * back what it signed, and the revocation need not outlive the
 * certificate, past whose expiry nobody admits the node anyway; so it
 * lapses then by default, and the channel's room for revocations in force
 * (1024, docs/protocol.md) is not spent for ever.
 */
#include "cli.h"

#include "mb_wire.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void cert_revoke_usage(FILE *f) {
  fprintf(f,
          "usage: meshbeat cert revoke --authority AUTHKEY\n"
          "                            (--node-id HEX | --cert FILE)\n"
          "                            --out FILE [--reason TEXT]\n"
          "                            [--cluster NAME] [--until UNIX]\n"
          "                            [--issued-at UNIX]\n\n"
          "Signs a revocation of the node id with the cluster authority's\n"
          "key.  Hand it to any member with 'meshbeat revoke FILE': every\n"
          "member then refuses the node, and the node itself stops (exit\n"
          "status 3).  It cannot be undone: a node revoked by mistake needs\n"
          "a new key and certificate.\n"
          "  --node-id HEX   revoke this key: it never lapses (unless\n"
          "                  --until)\n"
          "  --cert FILE     revoke this certificate, issued by AUTHKEY: the\n"
          "                  node id is its, and the revocation lapses when\n"
          "                  it expires (unless --until, which may not be\n"
          "                  earlier); with --node-id, both must agree\n"
          "  --reason TEXT   why, shown in logs and 'meshbeat records' (at\n"
          "                  most %d bytes)\n"
          "  --cluster NAME  the mesh's cluster name, bound into the\n"
          "                  signature (default %s)\n"
          "  --until UNIX    the revocation lapses then (Unix seconds): the\n"
          "                  last expiry of a certificate issued to the node;\n"
          "                  default: never, or the expiry of --cert\n"
          "  --issued-at UNIX  its time and version (default: now)\n",
          MB_REVOCATION_REASON_MAX, CLI_DEFAULT_CLUSTER);
}

struct revoke_args {
  const char *authority, *node_id, *cert, *out, *cluster, *until, *issued_at;
  struct mb_revocation rev;
};

static int parse_revoke_args(int argc, char **argv, struct revoke_args *a) {
  static const struct option opts[] = {{"authority", required_argument, 0, 'a'},
                                       {"node-id", required_argument, 0, 'n'},
                                       {"cert", required_argument, 0, 'C'},
                                       {"out", required_argument, 0, 'o'},
                                       {"reason", required_argument, 0, 'r'},
                                       {"cluster", required_argument, 0, 'c'},
                                       {"until", required_argument, 0, 'u'},
                                       {"issued-at", required_argument, 0, 'i'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  int c;
  cli_getopt_begin();
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    switch (c) {
    case 'a':
      a->authority = optarg;
      break;
    case 'n':
      a->node_id = optarg;
      break;
    case 'C':
      a->cert = optarg;
      break;
    case 'o':
      a->out = optarg;
      break;
    case 'c':
      a->cluster = optarg;
      break;
    case 'u':
      a->until = optarg;
      break;
    case 'i':
      a->issued_at = optarg;
      break;
    case 'r':
      if (!mb_text_ok(optarg, MB_REVOCATION_REASON_MAX))
        return cli_usage_error("cert",
                               "--reason wants text of at most %d "
                               "bytes",
                               MB_REVOCATION_REASON_MAX);
      strcpy(a->rev.reason, optarg);
      break;
    case 'h':
      cert_revoke_usage(stdout);
      return -1;
    default:
      return cli_option_error("cert", c, argv, opts);
    }
  }
  if (optind != argc)
    return cli_usage_error("cert", "revoke takes no arguments");
  return CLI_EXIT_OK;
}

/* The certificate of --cert, checked to be the authority's: a
 * certificate another authority signed admits nobody here, and revoking
 * its node by it would be a mistake (a wrong file or cluster). */
static int read_cert(const char *path, const struct mb_identity *auth,
                     struct mb_cert *out) {
  uint8_t *buf;
  size_t len;
  int rc = cli_read_file(path, &buf, &len);
  if (rc)
    return cli_fail("cert", "%s: %s", path, mb_strerror(rc));
  rc = mb_cert_decode(buf, len, out);
  if (rc == MB_OK) /* the signature, at a time the certificate was valid */
    rc = mb_cert_verify(buf, len, auth->pk,
                        out->not_before > out->issued_at ? out->not_before
                                                         : out->issued_at,
                        0, out);
  free(buf);
  if (rc == MB_EAUTHORITY || rc == MB_EBADSIG)
    return cli_fail("cert", "%s was not issued by this authority (%s)", path,
                    mb_strerror(rc));
  if (rc)
    return cli_fail("cert", "%s: not a certificate: %s", path, mb_strerror(rc));
  if (out->expires_at <= (int64_t)time(NULL)) {
    char t[40];
    cli_format_time(t, sizeof(t), out->expires_at);
    return cli_fail("cert",
                    "%s expired at %s and admits nobody: nothing to revoke "
                    "(to revoke the key itself, use --node-id)",
                    path, t);
  }
  return CLI_EXIT_OK;
}

/* The subject: --node-id, the certificate's node, or both if they agree. */
static int fill_subject(const struct revoke_args *a, const struct mb_cert *cert,
                        struct mb_channel_record *c) {
  c->subject_len = MB_NODE_ID_LEN;
  if (a->node_id == NULL) {
    memcpy(c->subject, cert->node_id, MB_NODE_ID_LEN);
    return CLI_EXIT_OK;
  }
  if (mb_node_id_parse(c->subject, a->node_id) != MB_OK)
    return cli_usage_error("cert", "--node-id wants 64 hex characters");
  if (cert != NULL && memcmp(c->subject, cert->node_id, MB_NODE_ID_LEN) != 0)
    return cli_usage_error("cert",
                           "--node-id and --cert name different nodes "
                           "(the certificate is %s's)",
                           cert->name);
  return CLI_EXIT_OK;
}

/* When it lapses: --until, else the certificate's expiry, else never; a
 * revocation of a certificate that lapsed before it expires would admit
 * the node again. */
static int fill_until(const struct revoke_args *a, const struct mb_cert *cert,
                      struct mb_channel_record *c) {
  if (a->until != NULL &&
      (!cli_parse_i64(a->until, &c->until_s) || c->until_s <= 0))
    return cli_usage_error("cert", "--until wants Unix seconds");
  if (cert == NULL)
    return CLI_EXIT_OK;
  if (a->until == NULL)
    c->until_s = cert->expires_at;
  if (c->until_s < cert->expires_at) {
    char t[40];
    cli_format_time(t, sizeof(t), cert->expires_at);
    return cli_usage_error("cert",
                           "--until is before the certificate expires (%s): "
                           "the node would be admitted again",
                           t);
  }
  return CLI_EXIT_OK;
}

/* The record, before signing: subject, version and times. */
static int fill_record(const struct revoke_args *a, const struct mb_cert *cert,
                       struct mb_channel_record *c) {
  memset(c, 0, sizeof(*c));
  int rc = fill_subject(a, cert, c);
  if (rc == CLI_EXIT_OK)
    rc = fill_until(a, cert, c);
  if (rc != CLI_EXIT_OK)
    return rc;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  c->issued_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  int64_t s;
  if (a->issued_at != NULL) {
    if (!cli_parse_i64(a->issued_at, &s) || s <= 0)
      return cli_usage_error("cert", "--issued-at wants Unix seconds");
    c->issued_ms = s * 1000;
  }
  /* A later revocation of the same node replaces an earlier one. */
  c->version = (uint64_t)c->issued_ms;
  return CLI_EXIT_OK;
}

static int sign_and_write(const struct revoke_args *a,
                          const struct mb_identity *auth,
                          struct mb_channel_record *c) {
  uint8_t body[MB_REVOCATION_REASON_MAX + 16], out[MB_WIRE_MAX_RECORD];
  size_t body_len, len;
  int rc = mb_wire_revocation_body(&a->rev, body, sizeof(body), &body_len);
  if (rc)
    return cli_fail("cert", "cannot encode the reason: %s", mb_strerror(rc));
  c->body = body;
  c->body_len = body_len;
  const char *cluster = a->cluster ? a->cluster : CLI_DEFAULT_CLUSTER;
  rc = mb_wire_channel_sign(auth, (const uint8_t *)cluster, strlen(cluster),
                            MB_REC_REVOCATION, c, out, sizeof(out), &len);
  if (rc)
    return cli_fail("cert", "cannot sign: %s", mb_strerror(rc));
  rc = cli_write_file(a->out, out, len, 0644);
  if (rc)
    return cli_fail("cert", "%s: %s", a->out, mb_strerror(rc));
  char id[2 * MB_NODE_ID_LEN + 1], until[40] = "never";
  mb_hex_encode(id, c->subject, MB_NODE_ID_LEN);
  if (c->until_s > 0)
    cli_format_time(until, sizeof(until), c->until_s);
  printf("revocation of %.16s... (lapses: %s) for cluster \"%s\" written "
         "to %s; hand it to any member: meshbeat revoke %s\n",
         id, until, cluster, a->out, a->out);
  return CLI_EXIT_OK;
}

static int revoke(const struct revoke_args *a, const struct mb_identity *auth) {
  struct mb_cert cert;
  int rc = a->cert ? read_cert(a->cert, auth, &cert) : CLI_EXIT_OK;
  struct mb_channel_record c;
  if (rc == CLI_EXIT_OK)
    rc = fill_record(a, a->cert ? &cert : NULL, &c);
  return rc != CLI_EXIT_OK ? rc : sign_and_write(a, auth, &c);
}

int cmd_cert_revoke(int argc, char **argv) {
  struct revoke_args a;
  memset(&a, 0, sizeof(a));
  int rc = parse_revoke_args(argc, argv, &a);
  if (rc != CLI_EXIT_OK)
    return rc < 0 ? CLI_EXIT_OK : rc;
  if (!a.authority || !(a.node_id || a.cert) || !a.out)
    return cli_usage_error("cert", "--authority, --node-id or --cert, and "
                                   "--out are required");
  struct mb_identity auth;
  rc = mb_identity_load(&auth, a.authority);
  if (rc)
    return cli_fail("cert", "%s: %s", a.authority, mb_strerror(rc));
  rc = revoke(&a, &auth);
  mb_identity_wipe(&auth);
  return rc;
}
