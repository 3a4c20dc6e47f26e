/* meshbeat cert issue: the cluster authority admits a node (and, in
 * cmd_cert_revoke.c, cert revoke: it refuses one for good). */
#include "cli.h"

#include "mb_crypto.h"

#include <getopt.h>
#include <string.h>
#include <time.h>

#define DEFAULT_TTL_S (365 * 86400)

static void cert_usage(FILE *f) {
  fprintf(f, "usage: meshbeat cert issue --authority AUTHKEY --node-id HEX\n"
             "                           --name NAME [--domain DOMAIN]\n"
             "                           [--ttl DURATION] [--role ROLE]...\n"
             "                           [--issued-at UNIX] --out FILE\n\n"
             "Signs an admission certificate (a CWT, RFC 8392) binding a node\n"
             "id to its name and failure domain, valid for DURATION (default\n"
             "365d; units s m h d y, a bare number is seconds).  Prints one\n"
             "line describing it.  To renew, issue one for the same node id,\n"
             "name and domain, install it over the old file and send the\n"
             "agent SIGHUP before the old one expires.\n");
}

struct cert_args {
  const char *authority, *node_id, *out, *ttl, *issued_at;
  struct mb_cert cert;
};

static int copy_text(const char *what, char *dst, size_t max, const char *src) {
  if (strlen(src) > max)
    return cli_usage_error("cert", "%s is longer than %zu bytes", what, max);
  strcpy(dst, src);
  return CLI_EXIT_OK;
}

static int parse_cert_args(int argc, char **argv, struct cert_args *a) {
  static const struct option opts[] = {{"authority", required_argument, 0, 'a'},
                                       {"node-id", required_argument, 0, 'n'},
                                       {"name", required_argument, 0, 'N'},
                                       {"domain", required_argument, 0, 'd'},
                                       {"ttl", required_argument, 0, 't'},
                                       {"role", required_argument, 0, 'r'},
                                       {"issued-at", required_argument, 0, 'i'},
                                       {"out", required_argument, 0, 'o'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  int c, rc = CLI_EXIT_OK;
  cli_getopt_begin();
  while (rc == CLI_EXIT_OK &&
         (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    switch (c) {
    case 'a':
      a->authority = optarg;
      break;
    case 'n':
      a->node_id = optarg;
      break;
    case 'o':
      a->out = optarg;
      break;
    case 't':
      a->ttl = optarg;
      break;
    case 'i':
      a->issued_at = optarg;
      break;
    case 'N':
      rc = copy_text("--name", a->cert.name, MB_NAME_MAX, optarg);
      break;
    case 'd':
      rc = copy_text("--domain", a->cert.domain, MB_DOMAIN_MAX, optarg);
      break;
    case 'r':
      if (a->cert.n_roles == MB_CERT_MAX_ROLES)
        return cli_usage_error("cert", "at most %d roles", MB_CERT_MAX_ROLES);
      rc = copy_text("--role", a->cert.roles[a->cert.n_roles++], MB_ROLE_MAX,
                     optarg);
      break;
    case 'h':
      cert_usage(stdout);
      return -1;
    default:
      return cli_option_error("cert", c, argv, opts);
    }
  }
  return rc;
}

static int fill_times(struct cert_args *a) {
  int64_t ttl = a->ttl ? cli_parse_duration(a->ttl) : DEFAULT_TTL_S;
  if (ttl <= 0)
    return cli_usage_error("cert", "--ttl wants a duration like 30d or 12h");
  a->cert.issued_at = (int64_t)time(NULL);
  if (a->issued_at && !cli_parse_i64(a->issued_at, &a->cert.issued_at))
    return cli_usage_error("cert", "--issued-at wants Unix seconds");
  a->cert.expires_at = a->cert.issued_at + ttl;
  return CLI_EXIT_OK;
}

static int issue(struct cert_args *a) {
  struct mb_identity auth;
  int rc = mb_identity_load(&auth, a->authority);
  if (rc)
    return cli_fail("cert", "%s: %s", a->authority, mb_strerror(rc));
  uint8_t buf[MB_CERT_MAX_LEN];
  size_t len;
  rc = mb_cert_issue(&auth, &a->cert, buf, sizeof(buf), &len);
  mb_identity_wipe(&auth);
  if (rc)
    return cli_fail("cert", "cannot issue: %s", mb_strerror(rc));
  rc = cli_write_file(a->out, buf, len, 0644);
  if (rc)
    return cli_fail("cert", "%s: %s", a->out, mb_strerror(rc));
  char until[32];
  cli_format_time(until, sizeof(until), a->cert.expires_at);
  printf("certificate for %s (%.16s...) valid until %s written to %s\n",
         a->cert.name, a->node_id, until, a->out);
  return CLI_EXIT_OK;
}

int cmd_cert(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
      strcmp(argv[1], "-h") == 0) {
    cert_usage(argc < 2 ? stderr : stdout);
    fputc('\n', argc < 2 ? stderr : stdout);
    cert_revoke_usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
  }
  if (strcmp(argv[1], "revoke") == 0)
    return cmd_cert_revoke(argc - 1, argv + 1);
  if (strcmp(argv[1], "issue") != 0)
    return cli_usage_error("cert", "unknown subcommand '%s'", argv[1]);
  struct cert_args a;
  memset(&a, 0, sizeof(a));
  int rc = parse_cert_args(argc - 1, argv + 1, &a);
  if (rc != CLI_EXIT_OK)
    return rc < 0 ? CLI_EXIT_OK : rc;
  if (!a.authority || !a.node_id || !a.out || a.cert.name[0] == '\0')
    return cli_usage_error(
        "cert", "--authority, --node-id, --name and --out are required");
  if (mb_node_id_parse(a.cert.node_id, a.node_id) != MB_OK)
    return cli_usage_error("cert", "--node-id wants 64 hex characters");
  rc = fill_times(&a);
  return rc != CLI_EXIT_OK ? rc : issue(&a);
}
