/* What every command that talks to the agent shares: the admin socket
 * option, the round trip and its exit codes, --json output. */
#include "cli_admin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_admin_init(struct cli_admin *o, const char *cmd) {
  const char *env = getenv(CLI_ADMIN_SOCKET_ENV);
  o->cmd = cmd;
  o->socket = env != NULL && env[0] != '\0' ? env : CLI_ADMIN_DEFAULT_SOCKET;
  o->json = false;
  o->timeout_ms = 0;
}

bool cli_admin_option(struct cli_admin *o, int c) {
  if (c == CLI_OPT_SOCKET)
    o->socket = optarg;
  else if (c == CLI_OPT_JSON)
    o->json = true;
  else
    return false;
  return true;
}

int cli_admin_parse(struct cli_admin *o, int argc, char **argv,
                    void (*usage)(FILE *), int *first) {
  static const struct option opts[] = {CLI_ADMIN_OPTIONS, {0, 0, 0, 0}};
  int c;
  cli_getopt_begin();
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    if (c == 'h') {
      usage(stdout);
      return CLI_ADMIN_HELPED;
    }
    if (!cli_admin_option(o, c))
      return cli_option_error(o->cmd, c, argv, opts);
  }
  *first = optind;
  return 0;
}

void cli_admin_usage_common(FILE *f) {
  fprintf(f, "  --admin-socket PATH  the agent's admin socket (default:\n"
             "                       $" CLI_ADMIN_SOCKET_ENV
             ", else " CLI_ADMIN_DEFAULT_SOCKET ")\n"
             "  --json               print the agent's raw JSON result\n"
             "  --help               show this help\n\n"
             "Exit codes: 0 ok, 1 the agent answered with an error, 2 usage "
             "error,\n3 the agent cannot be reached.\n");
}

int cli_admin_unreachable(const struct cli_admin *o, int code) {
  const char *why;
  switch (code) {
  case -ENOENT:
    why = "no admin socket there; is the agent running? (see "
          "--admin-socket, $" CLI_ADMIN_SOCKET_ENV ")";
    break;
  case -ECONNREFUSED:
    why = "nothing listens on it; the agent is not running (stale socket)";
    break;
  case -EACCES:
  case -EPERM:
    why = "permission denied; run as the agent's user or a member of its "
          "admin group";
    break;
  case -ETIMEDOUT:
    why = "the agent did not answer in time";
    break;
  case MB_ETRUNCATED:
  case -EPIPE:
  case -ECONNRESET:
    why = "the agent closed the connection";
    break;
  default:
    why = mb_strerror(code);
  }
  fprintf(stderr, "meshbeat %s: %s: %s\n", o->cmd, o->socket, why);
  return CLI_EXIT_UNREACHABLE;
}

/* The error object of a failed answer, on stderr. */
static int agent_error(const struct cli_admin *o, const json_t *resp) {
  const json_t *err = json_object_get(resp, "error");
  const char *code = json_string_value(json_object_get(err, "code"));
  const char *msg = json_string_value(json_object_get(err, "message"));
  fprintf(stderr, "meshbeat %s: %s (%s)\n", o->cmd,
          msg ? msg : "the agent refused", code ? code : "error");
  return CLI_EXIT_FAIL;
}

int cli_admin_request(const struct cli_admin *o, json_t *request,
                      json_t **result, json_t **response, int *keep_fd) {
  if (request == NULL)
    return cli_usage_error(o->cmd, "arguments must be valid UTF-8");
  int fd, rc = mb_admin_client_connect(o->socket, CLI_ADMIN_TIMEOUT_MS, &fd);
  if (rc < 0) {
    json_decref(request);
    return cli_admin_unreachable(o, rc);
  }
  json_t *resp = NULL;
  rc = mb_admin_call(fd, request, &resp,
                     o->timeout_ms ? o->timeout_ms : CLI_ADMIN_TIMEOUT_MS);
  json_decref(request);
  if (rc < 0) {
    close(fd);
    return cli_admin_unreachable(o, rc);
  }
  if (!json_is_true(json_object_get(resp, "ok"))) {
    close(fd);
    rc = agent_error(o, resp);
    json_decref(resp);
    return rc;
  }
  json_t *r = json_object_get(resp, "result");
  *result = json_incref(r ? r : json_null());
  if (response != NULL)
    *response = json_incref(resp);
  json_decref(resp);
  if (keep_fd != NULL)
    *keep_fd = fd;
  else
    close(fd);
  return CLI_EXIT_OK;
}

int cli_admin_simple(const char *cmd, int argc, char **argv,
                     void (*usage)(FILE *),
                     int (*render)(const json_t *res, bool json)) {
  struct cli_admin o;
  int first, rc;
  cli_admin_init(&o, cmd);
  if ((rc = cli_admin_parse(&o, argc, argv, usage, &first)) != 0)
    return rc == CLI_ADMIN_HELPED ? CLI_EXIT_OK : rc;
  if (first != argc)
    return cli_usage_error(cmd, "takes no arguments");
  json_t *res;
  rc = cli_admin_request(&o, json_pack("{s:s}", "cmd", cmd), &res, NULL, NULL);
  if (rc != CLI_EXIT_OK)
    return rc;
  rc = render(res, o.json);
  json_decref(res);
  return rc;
}

int cli_admin_print_json(const json_t *v) {
  json_dumpf(v, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
  fputc('\n', stdout);
  return CLI_EXIT_OK;
}

const char *cli_json_text(const json_t *obj, const char *key, char *buf,
                          size_t cap) {
  const json_t *v = json_object_get(obj, key);
  if (json_is_string(v))
    return json_string_value(v);
  if (json_is_integer(v))
    snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
  else if (json_is_real(v))
    snprintf(buf, cap, "%g", json_real_value(v));
  else if (json_is_boolean(v))
    snprintf(buf, cap, "%s", json_is_true(v) ? "yes" : "no");
  else
    snprintf(buf, cap, "-");
  return buf;
}
