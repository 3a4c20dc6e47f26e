/* meshbeat info / metrics / health / join / leave: the agent itself. */
#include "cli_admin.h"

#include <stdlib.h>
#include <string.h>

static void info_usage(FILE *f) {
  fprintf(f,
          "usage: meshbeat info [--admin-socket PATH] [--json]\n\n"
          "Shows the local agent: node id, name, cluster, address,\n"
          "incarnation, epoch (drawn at each start: datagrams to this agent\n"
          "are bound to it), version, uptime, data directory, member\n"
          "counts by state, its Lifeguard awareness score, failure domain\n"
          "and when its certificate expires.\n\n");
  cli_admin_usage_common(f);
}

static int render_info(const json_t *r, bool json) {
  if (json || !json_is_object(r))
    return cli_admin_print_json(r);
  char b[8][64], uptime[32], members[128], cert[64] = "none (open mesh)";
  const json_t *up = json_object_get(r, "uptime_s"), *m;
  if (json_is_integer(up))
    cli_human_duration(uptime, sizeof(uptime), json_integer_value(up));
  else
    snprintf(uptime, sizeof(uptime), "-");
  const json_t *exp = json_object_get(r, "cert_expires_at");
  if (json_is_integer(exp)) {
    char until[32];
    cli_format_time(until, sizeof(until), json_integer_value(exp));
    snprintf(cert, sizeof(cert), "valid until %s", until);
  }
  m = json_object_get(r, "members");
  snprintf(members, sizeof(members), "%s alive, %s suspect, %s dead, %s left",
           cli_json_text(m, "alive", b[0], sizeof(b[0])),
           cli_json_text(m, "suspect", b[1], sizeof(b[1])),
           cli_json_text(m, "dead", b[2], sizeof(b[2])),
           cli_json_text(m, "left", b[3], sizeof(b[3])));
  const char *const rows[][2] = {
      {"name", json_string_value(json_object_get(r, "name"))},
      {"domain", json_string_value(json_object_get(r, "domain"))},
      {"id", json_string_value(json_object_get(r, "id"))},
      {"cluster", json_string_value(json_object_get(r, "cluster"))},
      {"addr", json_string_value(json_object_get(r, "addr"))},
      {"incarnation", cli_json_text(r, "incarnation", b[4], sizeof(b[4]))},
      {"epoch", json_string_value(json_object_get(r, "epoch"))},
      {"version", json_string_value(json_object_get(r, "version"))},
      {"uptime", uptime},
      {"data dir", json_string_value(json_object_get(r, "data_dir"))},
      {"members", members},
      {"awareness", cli_json_text(r, "awareness", b[5], sizeof(b[5]))},
      {"certificate", cert},
  };
  cli_print_pairs(rows, sizeof(rows) / sizeof(rows[0]));
  return CLI_EXIT_OK;
}

int cmd_info(int argc, char **argv) {
  return cli_admin_simple("info", argc, argv, info_usage, render_info);
}

static void metrics_usage(FILE *f) {
  fprintf(f, "usage: meshbeat metrics [--admin-socket PATH] [--json]\n\n"
             "Prints the agent's metrics in the Prometheus text format.\n\n");
  cli_admin_usage_common(f);
}

static int render_metrics(const json_t *r, bool json) {
  const char *text = json_string_value(r);
  if (json || text == NULL)
    return cli_admin_print_json(r);
  size_t n = strlen(text);
  fputs(text, stdout);
  if (n > 0 && text[n - 1] != '\n')
    fputc('\n', stdout);
  return CLI_EXIT_OK;
}

int cmd_metrics(int argc, char **argv) {
  return cli_admin_simple("metrics", argc, argv, metrics_usage, render_metrics);
}

static void health_usage(FILE *f) {
  fprintf(f, "usage: meshbeat health [--admin-socket PATH] [--json]\n\n"
             "Shows the agent's health checks.  Exits 0 only when the status\n"
             "is ok, 1 when it is degraded or failing (also with --json).\n\n");
  cli_admin_usage_common(f);
}

/* A check is a string, or an object with status and message, or anything
 * else, shown as compact JSON. */
static void check_text(char *out, size_t cap, const json_t *v) {
  const char *st = json_string_value(json_object_get(v, "status"));
  const char *msg = json_string_value(json_object_get(v, "message"));
  if (json_is_string(v)) {
    snprintf(out, cap, "%s", json_string_value(v));
  } else if (st != NULL) {
    snprintf(out, cap, "%s%s%s", st, msg ? ": " : "", msg ? msg : "");
  } else {
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    snprintf(out, cap, "%s", s ? s : "-");
    free(s);
  }
}

static bool healthy(const json_t *r) {
  const char *st = json_string_value(json_object_get(r, "status"));
  return st != NULL && strcmp(st, "ok") == 0;
}

static int render_health(const json_t *r, bool json) {
  if (json) {
    cli_admin_print_json(r);
    return healthy(r) ? CLI_EXIT_OK : CLI_EXIT_FAIL;
  }
  char b[64];
  printf("status: %s\n", cli_json_text(r, "status", b, sizeof(b)));
  struct cli_table t;
  cli_table_init(&t, 2);
  json_t *checks = json_object_get(r, "checks"), *v;
  const char *key;
  json_object_foreach(checks, key, v) {
    char text[256];
    check_text(text, sizeof(text), v);
    const char *row[] = {key, text};
    cli_table_row(&t, row);
  }
  cli_table_print(&t, stdout);
  cli_table_free(&t);
  return healthy(r) ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

int cmd_health(int argc, char **argv) {
  return cli_admin_simple("health", argc, argv, health_usage, render_health);
}
