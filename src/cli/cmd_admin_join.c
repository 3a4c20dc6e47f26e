/* meshbeat join ADDR... / leave: change the local agent's membership. */
#include "cli_admin.h"

#include <string.h>

/* HOST:PORT with a non-empty host and a port in 1..65535; names are fine,
 * the agent resolves them. */
static bool host_port(const char *s) {
  const char *colon = strrchr(s, ':');
  uint64_t port;
  return colon != NULL && colon != s && cli_parse_u64(colon + 1, &port) &&
         port > 0 && port <= 65535;
}

static void join_usage(FILE *f) {
  fprintf(f, "usage: meshbeat join [--admin-socket PATH] [--json] "
             "ADDR...\n\n"
             "Asks the agent to join the mesh through the members at the\n"
             "given addresses (HOST:PORT, [IPv6]:PORT).  Fails (exit 1) when\n"
             "none of them could be contacted.\n\n");
  cli_admin_usage_common(f);
}

int cmd_join(int argc, char **argv) {
  struct cli_admin o;
  int first, rc;
  cli_admin_init(&o, "join");
  if ((rc = cli_admin_parse(&o, argc, argv, join_usage, &first)) != 0)
    return rc == CLI_ADMIN_HELPED ? CLI_EXIT_OK : rc;
  if (first == argc)
    return cli_usage_error(o.cmd, "wants at least one ADDR");
  json_t *addrs = json_array();
  for (int i = first; i < argc; i++) {
    if (!host_port(argv[i]) ||
        json_array_append_new(addrs, json_string(argv[i])) != 0) {
      json_decref(addrs);
      return cli_usage_error(o.cmd, "'%s' is not HOST:PORT", argv[i]);
    }
  }
  json_t *res;
  rc = cli_admin_request(&o,
                         json_pack("{s:s, s:o}", "cmd", "join", "addrs", addrs),
                         &res, NULL, NULL);
  if (rc != CLI_EXIT_OK)
    return rc;
  json_int_t n = json_integer_value(json_object_get(res, "contacted"));
  if (o.json)
    cli_admin_print_json(res);
  else
    printf("Contacted %lld of %d address%s.\n", (long long)n, argc - first,
           argc - first == 1 ? "" : "es");
  json_decref(res);
  if (n <= 0) {
    fprintf(stderr, "meshbeat join: no member could be contacted\n");
    return CLI_EXIT_FAIL;
  }
  return CLI_EXIT_OK;
}

static void leave_usage(FILE *f) {
  fprintf(f, "usage: meshbeat leave [--admin-socket PATH] [--json]\n\n"
             "Asks the agent to leave the mesh gracefully: the others see it\n"
             "as left rather than failed, so nothing is rebuilt for it.\n\n");
  cli_admin_usage_common(f);
}

static int render_leave(const json_t *res, bool json) {
  if (json)
    return cli_admin_print_json(res);
  printf("Graceful leave complete.\n");
  return CLI_EXIT_OK;
}

int cmd_leave(int argc, char **argv) {
  return cli_admin_simple("leave", argc, argv, leave_usage, render_leave);
}
