/* meshbeat events [--follow]: membership transitions, past and live. */
#include "cli_admin.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Heartbeats that may go missing before the agent is taken for dead. */
#define MISSED_HEARTBEATS 3

enum { OPT_FOLLOW = CLI_OPT_FIRST_OWN, OPT_SINCE, OPT_LIMIT };

struct events_args {
  bool follow;
  bool has_since, has_limit;
  uint64_t since, limit;
};

static void events_usage(FILE *f) {
  fprintf(f,
          "usage: meshbeat events [--follow] [--since SEQ] [--limit N]\n"
          "                       [--admin-socket PATH] [--json]\n\n"
          "Shows membership transitions (alive, suspect, dead, left) the\n"
          "agent recorded: time, member, old and new state, reason and\n"
          "incarnation.  With --follow, keeps printing new ones as they\n"
          "happen until interrupted; the agent sends heartbeats, and if\n"
          "three go missing the command gives up (exit 3).\n\n"
          "  -f, --follow         stream new events after the recorded ones\n"
          "  --since SEQ          only events with a sequence number above "
          "SEQ\n"
          "  --limit N            at most the N latest recorded events\n");
  cli_admin_usage_common(f);
  fprintf(f, "\nWith --json and --follow, every event is one JSON object "
             "per line.\n");
}

/* The five columns of an event. */
struct event_cells {
  char time[48], name[80], transition[48], reason[128], inc[24];
};

static void event_cells(struct event_cells *e, const json_t *ev) {
  char b[2][64];
  cli_short_time(e->time, sizeof(e->time),
                 json_string_value(json_object_get(ev, "time")));
  snprintf(e->name, sizeof(e->name), "%s",
           cli_json_text(ev, "name", b[0], sizeof(b[0])));
  snprintf(e->transition, sizeof(e->transition), "%s→%s",
           cli_json_text(ev, "from", b[0], sizeof(b[0])),
           cli_json_text(ev, "to", b[1], sizeof(b[1])));
  snprintf(e->reason, sizeof(e->reason), "%s",
           cli_json_text(ev, "reason", b[0], sizeof(b[0])));
  cli_json_text(ev, "incarnation", e->inc, sizeof(e->inc));
}

static void print_table(const json_t *events) {
  static const char *const head[] = {"TIME", "NAME", "FROM→TO", "REASON",
                                     "INC"};
  struct cli_table t;
  cli_table_init(&t, 5);
  cli_table_row(&t, head);
  size_t i;
  json_t *ev;
  json_array_foreach(events, i, ev) {
    struct event_cells e;
    event_cells(&e, ev);
    const char *row[] = {e.time, e.name, e.transition, e.reason, e.inc};
    cli_table_row(&t, row);
  }
  cli_table_print(&t, stdout);
  cli_table_free(&t);
}

/* Live lines cannot wait to size a table: fixed widths, padded by
 * characters so that "→" lines up. */
static void print_fixed(const char *const cells[5]) {
  static const int width[4] = {20, 16, 18, 24};
  for (int i = 0; i < 4; i++) {
    size_t w = cli_text_width(cells[i]);
    printf("%s%*s", cells[i],
           (int)(w < (size_t)width[i] ? width[i] - w : 0) + 2, "");
  }
  printf("%s\n", cells[4]);
}

static void print_live(const json_t *ev, bool json) {
  if (json) {
    json_dumpf(ev, stdout, JSON_COMPACT);
    putchar('\n');
  } else {
    struct event_cells e;
    event_cells(&e, ev);
    const char *row[] = {e.time, e.name, e.transition, e.reason, e.inc};
    print_fixed(row);
  }
  fflush(stdout); /* a reader piping us wants each event as it happens */
}

static int on_stream_line(void *arg, const json_t *line) {
  const char *stream = json_string_value(json_object_get(line, "stream"));
  if (stream != NULL && strcmp(stream, "events") == 0)
    print_live(json_object_get(line, "data"), *(bool *)arg);
  return 0; /* heartbeats only prove the agent is alive */
}

static int follow(const struct cli_admin *o, int fd, const json_t *resp,
                  const json_t *backlog) {
  json_int_t hb = json_integer_value(
      json_object_get(json_object_get(resp, "follow"), "heartbeat_ms"));
  if (hb <= 0 || hb > 3600 * 1000)
    hb = MB_ADMIN_DEFAULT_HEARTBEAT_MS; /* an answer without it */
  if (!o->json) {
    const char *const head[] = {"TIME", "NAME", "FROM→TO", "REASON", "INC"};
    print_fixed(head);
  }
  size_t i;
  json_t *ev;
  json_array_foreach(backlog, i, ev) print_live(ev, o->json);
  bool json = o->json;
  int rc = mb_admin_follow(fd, (int)(MISSED_HEARTBEATS * hb + 1000),
                           on_stream_line, &json);
  close(fd);
  if (rc == -ETIMEDOUT) {
    fprintf(stderr, "meshbeat %s: no heartbeat from the agent for %lld s\n",
            o->cmd, (long long)(MISSED_HEARTBEATS * hb / 1000 + 1));
    return CLI_EXIT_UNREACHABLE;
  }
  return cli_admin_unreachable(o, rc);
}

static int parse_events(struct cli_admin *o, struct events_args *a, int argc,
                        char **argv) {
  static const struct option opts[] = {
      CLI_ADMIN_OPTIONS,
      {"follow", no_argument, 0, OPT_FOLLOW},
      {"since", required_argument, 0, OPT_SINCE},
      {"limit", required_argument, 0, OPT_LIMIT},
      {0, 0, 0, 0}};
  int c;
  cli_getopt_begin();
  while ((c = getopt_long(argc, argv, ":hf", opts, NULL)) != -1) {
    if (c == 'h')
      return events_usage(stdout), CLI_ADMIN_HELPED;
    if (c == OPT_FOLLOW || c == 'f')
      a->follow = true;
    else if (c == OPT_SINCE && cli_parse_u64(optarg, &a->since))
      a->has_since = true;
    else if (c == OPT_LIMIT && cli_parse_u64(optarg, &a->limit))
      a->has_limit = true;
    else if (c == OPT_SINCE || c == OPT_LIMIT)
      return cli_usage_error(o->cmd, "--since and --limit want a number");
    else if (!cli_admin_option(o, c))
      return cli_option_error(o->cmd, c, argv, opts);
  }
  if (optind != argc)
    return cli_usage_error(o->cmd, "takes no arguments");
  if ((a->has_since && a->since > INT64_MAX) ||
      (a->has_limit && a->limit > INT64_MAX))
    return cli_usage_error(o->cmd, "number out of range");
  return 0;
}

static json_t *events_request(const struct events_args *a) {
  json_t *req = json_pack("{s:s}", "cmd", "events");
  if (a->follow)
    json_object_set_new(req, "follow", json_true());
  if (a->has_since)
    json_object_set_new(req, "since", json_integer((json_int_t)a->since));
  if (a->has_limit)
    json_object_set_new(req, "limit", json_integer((json_int_t)a->limit));
  return req;
}

int cmd_events(int argc, char **argv) {
  struct cli_admin o;
  struct events_args a = {0};
  cli_admin_init(&o, "events");
  int rc = parse_events(&o, &a, argc, argv);
  if (rc != 0)
    return rc == CLI_ADMIN_HELPED ? CLI_EXIT_OK : rc;
  json_t *res, *resp = NULL;
  int fd = -1;
  rc = cli_admin_request(&o, events_request(&a), &res, a.follow ? &resp : NULL,
                         a.follow ? &fd : NULL);
  if (rc != CLI_EXIT_OK)
    return rc;
  if (a.follow)
    rc = follow(&o, fd, resp, res);
  else if (o.json || !json_is_array(res))
    cli_admin_print_json(res);
  else
    print_table(res);
  json_decref(res);
  json_decref(resp);
  return rc;
}
