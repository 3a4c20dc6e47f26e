/* meshbeat members / member: the membership view of the local agent. */
#include "cli_admin.h"

#include <string.h>

#define SHORT_ID 12

static void bytes_field(char *out, size_t cap, const json_t *m,
                        const char *key) {
  const json_t *v = json_object_get(m, key);
  if (json_is_integer(v) && json_integer_value(v) >= 0)
    cli_human_bytes(out, cap, (uint64_t)json_integer_value(v));
  else
    snprintf(out, cap, "-");
}

static void member_row(struct cli_table *t, const json_t *m) {
  char id[SHORT_ID + 1], inc[24], cap[24], avail[24], seen[48];
  const char *full = json_string_value(json_object_get(m, "id"));
  snprintf(id, sizeof(id), "%s", full != NULL ? full : "-");
  bytes_field(cap, sizeof(cap), m, "capacity");
  bytes_field(avail, sizeof(avail), m, "available");
  cli_age(seen, sizeof(seen),
          json_string_value(json_object_get(m, "last_seen")));
  const char *cells[] = {json_string_value(json_object_get(m, "name")),
                         id,
                         json_string_value(json_object_get(m, "addr")),
                         json_string_value(json_object_get(m, "state")),
                         cli_json_text(m, "incarnation", inc, sizeof(inc)),
                         cap,
                         avail,
                         seen};
  cli_table_row(t, cells);
}

static void members_usage(FILE *f) {
  fprintf(f, "usage: meshbeat members [--admin-socket PATH] [--json]\n\n"
             "Lists every member the agent knows: name, short node id,\n"
             "address, state (alive, suspect, dead, left), incarnation,\n"
             "capacity, available space and when it was last heard from.\n\n");
  cli_admin_usage_common(f);
}

static int render_members(const json_t *res, bool json) {
  if (json || !json_is_array(res))
    return cli_admin_print_json(res);
  static const char *const head[] = {"NAME",      "ID",       "ADDR",
                                     "STATE",     "INC",      "CAPACITY",
                                     "AVAILABLE", "LAST-SEEN"};
  struct cli_table t;
  cli_table_init(&t, 8);
  cli_table_row(&t, head);
  size_t i;
  json_t *m;
  json_array_foreach(res, i, m) member_row(&t, m);
  cli_table_print(&t, stdout);
  cli_table_free(&t);
  return CLI_EXIT_OK;
}

int cmd_members(int argc, char **argv) {
  return cli_admin_simple("members", argc, argv, members_usage, render_members);
}

/* One "key  value" line per field, aligned. */
static void member_detail(const json_t *m) {
  char b[8][64];
  char cap[24], avail[24], seen[48], since[48];
  bytes_field(cap, sizeof(cap), m, "capacity");
  bytes_field(avail, sizeof(avail), m, "available");
  cli_age(seen, sizeof(seen),
          json_string_value(json_object_get(m, "last_seen")));
  cli_age(since, sizeof(since), json_string_value(json_object_get(m, "since")));
  snprintf(b[0], sizeof(b[0]), "%s (%s)", cap,
           cli_json_text(m, "capacity", b[6], sizeof(b[6])));
  snprintf(b[1], sizeof(b[1]), "%s (%s)", avail,
           cli_json_text(m, "available", b[7], sizeof(b[7])));
  const char *const rows[][2] = {
      {"name", cli_json_text(m, "name", b[2], sizeof(b[2]))},
      {"id", cli_json_text(m, "id", b[3], sizeof(b[3]))},
      {"addr", json_string_value(json_object_get(m, "addr"))},
      {"domain", json_string_value(json_object_get(m, "domain"))},
      {"state", json_string_value(json_object_get(m, "state"))},
      {"since", since},
      {"incarnation", cli_json_text(m, "incarnation", b[4], sizeof(b[4]))},
      {"capacity", b[0]},
      {"available", b[1]},
      {"last seen", seen},
      {"confirmations", cli_json_text(m, "confirmations", b[5], sizeof(b[5]))},
      {"self", json_is_true(json_object_get(m, "self")) ? "yes" : "no"},
  };
  cli_print_pairs(rows, sizeof(rows) / sizeof(rows[0]));
}

static void member_usage(FILE *f) {
  fprintf(f,
          "usage: meshbeat member [--admin-socket PATH] [--json] "
          "ID-PREFIX|NAME\n\n"
          "Shows one member, found by name or by a prefix of its node id.\n"
          "Fails (exit 1) when nothing matches or a prefix is ambiguous.\n\n");
  cli_admin_usage_common(f);
}

int cmd_member(int argc, char **argv) {
  struct cli_admin o;
  int first, rc;
  cli_admin_init(&o, "member");
  if ((rc = cli_admin_parse(&o, argc, argv, member_usage, &first)) != 0)
    return rc == CLI_ADMIN_HELPED ? CLI_EXIT_OK : rc;
  if (argc - first != 1 || argv[first][0] == '\0')
    return cli_usage_error(o.cmd, "wants one ID-PREFIX or NAME");
  json_t *res;
  rc = cli_admin_request(
      &o, json_pack("{s:s, s:s}", "cmd", "member", "query", argv[first]), &res,
      NULL, NULL);
  if (rc != CLI_EXIT_OK)
    return rc;
  if (o.json || !json_is_object(res))
    cli_admin_print_json(res);
  else
    member_detail(res);
  json_decref(res);
  return CLI_EXIT_OK;
}
