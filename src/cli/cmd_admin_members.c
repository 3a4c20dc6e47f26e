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
  fprintf(
      f,
      "usage: meshbeat members [--status STATE]... [--domain DOMAIN]...\n"
      "                        [--admin-socket PATH] [--json]\n\n"
      "Lists every member the agent knows: name, short node id,\n"
      "address, state (alive, suspect, dead, left), incarnation,\n"
      "capacity, available space and when it was last heard from.\n\n"
      "  --status STATE       only members in STATE: alive|suspect|dead|left\n"
      "                       (repeatable, or comma-separated)\n"
      "  --domain DOMAIN      only members of failure domain DOMAIN\n"
      "                       (repeatable, or comma-separated)\n");
  cli_admin_usage_common(f);
}

#define MEMBERS_MAX_FILTER 32

/* Which members to show, as given: each entry is one option's value, a
 * comma-separated list.  A member passes when its state is in one of the
 * status lists (or none was given) and its domain in one of the domain
 * lists (or none was given). */
struct members_filter {
  const char *status[MEMBERS_MAX_FILTER];
  const char *domain[MEMBERS_MAX_FILTER];
  size_t n_status, n_domain;
};

/* Whether v is one of the comma-separated items of csv. */
static bool in_list(const char *csv, const char *v) {
  size_t len = strlen(v);
  for (const char *p = csv;; p++) {
    size_t item = strcspn(p, ",");
    if (item == len && strncmp(p, v, len) == 0)
      return true;
    p += item;
    if (*p == '\0')
      return false;
  }
}

static bool in_any(const char *const *lists, size_t n, const char *v) {
  if (n == 0)
    return true;
  for (size_t i = 0; i < n && v != NULL; i++)
    if (in_list(lists[i], v))
      return true;
  return false;
}

/* Every item of a --status value is a state a member can be in. */
static int check_states(const char *csv) {
  static const char *const states[] = {"alive", "suspect", "dead", "left"};
  for (const char *p = csv;; p++) {
    size_t item = strcspn(p, ",");
    bool known = false;
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
      known |= strlen(states[i]) == item && strncmp(p, states[i], item) == 0;
    if (!known)
      return cli_usage_error("members",
                             "--status: unknown state '%.*s' (alive, suspect, "
                             "dead or left)",
                             (int)item, p);
    p += item;
    if (*p == '\0')
      return CLI_EXIT_OK;
  }
}

static int add_filter(const char **lists, size_t *n, const char *opt,
                      const char *value) {
  if (*n == MEMBERS_MAX_FILTER)
    return cli_usage_error("members", "at most %d %s options",
                           MEMBERS_MAX_FILTER, opt);
  lists[(*n)++] = value;
  return CLI_EXIT_OK;
}

static bool member_passes(const struct members_filter *f, const json_t *m) {
  return in_any(f->status, f->n_status,
                json_string_value(json_object_get(m, "state"))) &&
         in_any(f->domain, f->n_domain,
                json_string_value(json_object_get(m, "domain")));
}

/* The members that pass, in the agent's order (a new array). */
static json_t *filtered(const struct members_filter *f, const json_t *all) {
  json_t *out = json_array(), *m;
  size_t i;
  json_array_foreach(all, i, m) if (member_passes(f, m))
      json_array_append(out, m);
  return out;
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

enum { OPT_STATUS = CLI_OPT_FIRST_OWN, OPT_DOMAIN };

static int parse_members(struct cli_admin *o, struct members_filter *f,
                         int argc, char **argv) {
  static const struct option opts[] = {
      CLI_ADMIN_OPTIONS,
      {"status", required_argument, 0, OPT_STATUS},
      {"domain", required_argument, 0, OPT_DOMAIN},
      {0, 0, 0, 0}};
  int c, rc = CLI_EXIT_OK;
  cli_getopt_begin();
  while (rc == CLI_EXIT_OK &&
         (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    if (c == 'h')
      return members_usage(stdout), CLI_ADMIN_HELPED;
    if (c == OPT_STATUS)
      rc = check_states(optarg) != CLI_EXIT_OK
               ? CLI_EXIT_USAGE
               : add_filter(f->status, &f->n_status, "--status", optarg);
    else if (c == OPT_DOMAIN)
      rc = add_filter(f->domain, &f->n_domain, "--domain", optarg);
    else if (!cli_admin_option(o, c))
      return cli_option_error(o->cmd, c, argv, opts);
  }
  if (rc == CLI_EXIT_OK && optind != argc)
    return cli_usage_error(o->cmd, "takes no arguments");
  return rc;
}

/* serf's `members -status`: the filters apply to the table and to --json
 * alike, on this side of the socket (the agent sends every member). */
int cmd_members(int argc, char **argv) {
  struct cli_admin o;
  struct members_filter f = {0};
  cli_admin_init(&o, "members");
  int rc = parse_members(&o, &f, argc, argv);
  if (rc != CLI_EXIT_OK)
    return rc == CLI_ADMIN_HELPED ? CLI_EXIT_OK : rc;
  json_t *res;
  rc = cli_admin_request(&o, json_pack("{s:s}", "cmd", "members"), &res, NULL,
                         NULL);
  if (rc != CLI_EXIT_OK)
    return rc;
  json_t *shown = json_is_array(res) ? filtered(&f, res) : json_incref(res);
  rc = render_members(shown, o.json);
  json_decref(shown);
  json_decref(res);
  return rc;
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
