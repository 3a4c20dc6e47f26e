/*
 * meshbeat raid create|remove|drain|undrain|list|show: the RAID arrays,
 * through the local agent (docs/cli.md, RAID).  The changes are requests
 * the coordinators must commit: the command waits for their answer (at
 * most CLI_RAID_TIMEOUT_MS, longer than the agent's own bound) and exits
 * 0 once applied, 1 when refused (not_coordinator, no_leader, no_space,
 * invalid_level, exists, not_found ...), 2 on a usage error.
 */
#include "cli_admin.h"
#include "cli_raid.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The agent answers within 15 s (AGENT_RAID_ANSWER_MS); a little more. */
#define CLI_RAID_TIMEOUT_MS 20000

static void raid_usage(FILE *f) {
  fprintf(
      f,
      "usage: meshbeat raid create NAME --level LEVEL [--data K] [--parity "
      "M]\n"
      "                        --size SIZE\n"
      "       meshbeat raid remove NAME\n"
      "       meshbeat raid drain DEVICE\n"
      "       meshbeat raid undrain DEVICE\n"
      "       meshbeat raid list\n"
      "       meshbeat raid show NAME\n"
      "         [--admin-socket PATH] [--json]\n\n"
      "The RAID arrays the coordinators keep.  create, remove, drain and\n"
      "undrain are committed by the coordinators' Raft before they answer;\n"
      "only a coordinator takes them (it forwards to the leader).\n\n"
      "  --level LEVEL        raid1|raid5|raid6|ec (raid1: a mirror)\n"
      "  --data K             data slots: raid1 1 (the default), raid5 and\n"
      "                       raid6 >= 2, ec >= 1\n"
      "  --parity M           raid1: copies - 1 (required); raid5 1 and raid6\n"
      "                       2 (the defaults); ec >= 1 (required)\n"
      "  --size SIZE          the array's size: bytes, or with a unit: KiB,\n"
      "                       MiB, GiB, TiB, PiB (1024s) or kB, MB, GB, TB, "
      "PB\n"
      "                       (1000s), e.g. 10GiB\n\n"
      "drain moves every slot off DEVICE (a member's name); undrain "
      "stops.\n\n");
  cli_admin_usage_common(f);
}

int cli_parse_size(const char *text, uint64_t *out) {
  static const struct {
    const char *unit;
    uint64_t scale;
  } units[] = {{"", 1},
               {"B", 1},
               {"KiB", 1ull << 10},
               {"MiB", 1ull << 20},
               {"GiB", 1ull << 30},
               {"TiB", 1ull << 40},
               {"PiB", 1ull << 50},
               {"kB", 1000ull},
               {"KB", 1000ull},
               {"MB", 1000000ull},
               {"GB", 1000000000ull},
               {"TB", 1000000000000ull},
               {"PB", 1000000000000000ull}};
  char *end;
  if (text[0] < '0' || text[0] > '9')
    return MB_EINVAL;
  errno = 0;
  unsigned long long n = strtoull(text, &end, 10);
  if (errno != 0)
    return MB_EINVAL;
  for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
    if (strcmp(end, units[i].unit) == 0) {
      if (n > INT64_MAX / units[i].scale)
        return MB_EINVAL;
      *out = n * units[i].scale;
      return 0;
    }
  return MB_EINVAL;
}

/* A small whole number option. */
static int count_opt(const char *opt, const char *v, json_int_t *out) {
  char *end;
  errno = 0;
  long n = strtol(v, &end, 10);
  if (errno != 0 || end == v || *end != '\0' || n < 1 || n > 32)
    return cli_usage_error("raid", "%s: '%s' is not a count from 1 to 32", opt,
                           v);
  *out = n;
  return CLI_EXIT_OK;
}

enum { OPT_LEVEL = CLI_OPT_FIRST_OWN, OPT_DATA, OPT_PARITY, OPT_SIZE };

struct create_args {
  const char *level;
  json_int_t data, parity; /* 0: not given */
  uint64_t size;
  bool have_size;
};

static int create_option(struct create_args *c, int opt) {
  switch (opt) {
  case OPT_LEVEL:
    c->level = optarg;
    return CLI_EXIT_OK;
  case OPT_DATA:
    return count_opt("--data", optarg, &c->data);
  case OPT_PARITY:
    return count_opt("--parity", optarg, &c->parity);
  case OPT_SIZE:
    if (cli_parse_size(optarg, &c->size) != 0 || c->size == 0)
      return cli_usage_error("raid",
                             "--size: '%s' is not a size such as "
                             "10GiB, 500GB or 1048576",
                             optarg);
    c->have_size = true;
    return CLI_EXIT_OK;
  }
  return CLI_EXIT_USAGE;
}

/* The options of every subcommand; create's own only count there. */
static int parse(struct cli_admin *o, struct create_args *c, int argc,
                 char **argv, int *first) {
  static const struct option opts[] = {
      CLI_ADMIN_OPTIONS,
      {"level", required_argument, 0, OPT_LEVEL},
      {"data", required_argument, 0, OPT_DATA},
      {"parity", required_argument, 0, OPT_PARITY},
      {"size", required_argument, 0, OPT_SIZE},
      {0, 0, 0, 0}};
  int opt, rc;
  cli_getopt_begin();
  while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    if (opt == 'h') {
      raid_usage(stdout);
      return CLI_ADMIN_HELPED;
    }
    if (cli_admin_option(o, opt))
      continue;
    if (opt < CLI_OPT_FIRST_OWN)
      return cli_option_error(o->cmd, opt, argv, opts);
    if ((rc = create_option(c, opt)) != CLI_EXIT_OK)
      return rc;
  }
  *first = optind;
  return 0;
}

static json_t *create_request(const struct create_args *c, const char *name) {
  json_t *r = json_pack("{s:s, s:s, s:s, s:I}", "cmd", "raid_create", "name",
                        name, "level", c->level, "size", (json_int_t)c->size);
  if (r != NULL && c->data)
    json_object_set_new(r, "data", json_integer(c->data));
  if (r != NULL && c->parity)
    json_object_set_new(r, "parity", json_integer(c->parity));
  return r;
}

/* The request of a subcommand with its one argument, or NULL with *rc
 * set to a usage error. */
static json_t *request_of(const char *sub, const char *arg,
                          const struct create_args *c, int *rc) {
  *rc = CLI_EXIT_OK;
  bool is_create = strcmp(sub, "create") == 0;
  if (!is_create && (c->level || c->data || c->parity || c->have_size)) {
    *rc = cli_usage_error("raid", "--level, --data, --parity and --size are "
                                  "for raid create");
    return NULL;
  }
  if (is_create && (c->level == NULL || !c->have_size)) {
    *rc = cli_usage_error("raid", "create wants --level and --size");
    return NULL;
  }
  if (is_create)
    return create_request(c, arg);
  static const char *const simple[][2] = {{"remove", "raid_remove"},
                                          {"show", "raid_show"}};
  for (size_t i = 0; i < 2; i++)
    if (strcmp(sub, simple[i][0]) == 0)
      return json_pack("{s:s, s:s}", "cmd", simple[i][1], "name", arg);
  if (strcmp(sub, "drain") == 0 || strcmp(sub, "undrain") == 0)
    return json_pack("{s:s, s:s}", "cmd",
                     sub[0] == 'd' ? "raid_drain" : "raid_undrain", "device",
                     arg);
  *rc = cli_usage_error("raid",
                        "unknown subcommand '%s' (create, remove, "
                        "drain, undrain, list, show)",
                        sub);
  return NULL;
}

static int render(const char *sub, const json_t *res, bool json) {
  if (json)
    return cli_admin_print_json(res);
  if (strcmp(sub, "list") == 0)
    return cli_render_arrays(res);
  if (json_object_get(res, "slots") != NULL)
    return cli_render_array(res);
  printf("raid %s: applied\n", sub);
  return CLI_EXIT_OK;
}

int cmd_raid(int argc, char **argv) {
  struct cli_admin o;
  struct create_args c = {0};
  int first = 0, rc;
  cli_admin_init(&o, "raid");
  o.timeout_ms = CLI_RAID_TIMEOUT_MS;
  if ((rc = parse(&o, &c, argc, argv, &first)) != 0)
    return rc == CLI_ADMIN_HELPED ? CLI_EXIT_OK : rc;
  if (first >= argc)
    return cli_usage_error(o.cmd, "wants a subcommand (create, remove, "
                                  "drain, undrain, list, show)");
  const char *sub = argv[first];
  bool list = strcmp(sub, "list") == 0;
  if (list && argc - first != 1)
    return cli_usage_error(o.cmd, "list takes no argument");
  if (!list && argc - first != 2)
    return cli_usage_error(o.cmd, "%s wants one argument", sub);
  json_t *req = list ? json_pack("{s:s}", "cmd", "raid_list")
                     : request_of(sub, argv[first + 1], &c, &rc);
  if (rc != CLI_EXIT_OK)
    return rc;
  json_t *res;
  if ((rc = cli_admin_request(&o, req, &res, NULL, NULL)) != CLI_EXIT_OK)
    return rc;
  rc = render(sub, res, o.json);
  json_decref(res);
  return rc;
}
