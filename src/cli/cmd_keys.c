/* meshbeat keygen / id: create a key file, show a key file's node id. */
#include "cli.h"

#include "mb_crypto.h"

#include <getopt.h>
#include <string.h>

static void keygen_usage(FILE *f) {
  fprintf(
      f,
      "usage: meshbeat keygen --out FILE [--seed HEX]\n\n"
      "Creates an Ed25519 secret key in FILE (mode 0600; an existing\n"
      "file is never replaced) and prints the node id: 64 lowercase hex\n"
      "characters on their own line.  The same command makes a cluster\n"
      "authority key.\n\n"
      "  --out FILE   where to write the key\n"
      "  --seed HEX   derive the key from a 32-byte seed (64 hex); for\n"
      "               reproducible test vectors only, never in production\n");
}

int cmd_keygen(int argc, char **argv) {
  static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                       {"seed", required_argument, 0, 's'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *out = NULL, *seed_hex = NULL;
  int c;
  cli_getopt_begin();
  while ((c = getopt_long(argc, argv, ":o:s:h", opts, NULL)) != -1) {
    if (c == 'o')
      out = optarg;
    else if (c == 's')
      seed_hex = optarg;
    else if (c == 'h')
      return keygen_usage(stdout), CLI_EXIT_OK;
    else
      return cli_option_error("keygen", c, argv, opts);
  }
  if (out == NULL || optind != argc)
    return cli_usage_error("keygen", "--out FILE is required");

  struct mb_identity id;
  if (seed_hex != NULL) {
    uint8_t seed[MB_SEED_LEN];
    if (strlen(seed_hex) != 2 * MB_SEED_LEN ||
        mb_hex_decode(seed, MB_SEED_LEN, seed_hex) != MB_OK)
      return cli_usage_error("keygen", "--seed wants 64 hex characters");
    mb_identity_from_seed(&id, seed);
  } else {
    mb_identity_generate(&id);
  }
  int rc = mb_identity_save(&id, out);
  mb_identity_wipe(&id);
  if (rc)
    return cli_fail("keygen", "%s: %s", out, mb_strerror(rc));
  char hex[MB_NODE_ID_HEX_LEN + 1];
  mb_node_id_hex(hex, id.pk);
  printf("%s\n", hex);
  return CLI_EXIT_OK;
}

int cmd_id(int argc, char **argv) {
  static const struct option opts[] = {{"key", required_argument, 0, 'k'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *key = NULL;
  int c;
  cli_getopt_begin();
  while ((c = getopt_long(argc, argv, ":k:h", opts, NULL)) != -1) {
    if (c == 'k')
      key = optarg;
    else if (c == 'h')
      return printf("usage: meshbeat id --key FILE\n\nPrints the node id "
                    "of a secret key file.\n"),
             CLI_EXIT_OK;
    else
      return cli_option_error("id", c, argv, opts);
  }
  if (key == NULL || optind != argc)
    return cli_usage_error("id", "--key FILE is required");
  struct mb_identity id;
  int rc = mb_identity_load(&id, key);
  if (rc)
    return cli_fail("id", "%s: %s", key, mb_strerror(rc));
  mb_identity_wipe(&id);
  char hex[MB_NODE_ID_HEX_LEN + 1];
  mb_node_id_hex(hex, id.pk);
  printf("%s\n", hex);
  return CLI_EXIT_OK;
}
