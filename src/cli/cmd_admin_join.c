/* meshbeat join ADDR... / leave: change the local agent's membership. */
#include "cli_admin.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* HOST:PORT with a non-empty host and a port in 1..65535; names are fine,
 * the agent resolves them. */
static bool host_port(const char *s) {
  const char *colon = strrchr(s, ':');
  uint64_t port;
  return colon != NULL && colon != s && cli_parse_u64(colon + 1, &port) &&
         port > 0 && port <= 65535;
}

/* Long enough for a seed's second request (1 s after the first) and its
 * answer, short enough for a script. */
#define JOIN_DEFAULT_WAIT_S 5

enum { OPT_WAIT = CLI_OPT_FIRST_OWN };

static void join_usage(FILE *f) {
  fprintf(f,
          "usage: meshbeat join [--wait DURATION] [--admin-socket PATH] "
          "[--json]\n"
          "                     ADDR...\n\n"
          "Asks the agent to join the mesh through the members at the\n"
          "given addresses (HOST:PORT, [IPv6]:PORT), and waits until one\n"
          "of them answers with its view: prints which seeds answered,\n"
          "or fails (exit 1) when none did within the wait.\n\n"
          "  --wait DURATION      how long to wait for an answer (default "
          "%ds;\n"
          "                       0: ask and return at once)\n",
          JOIN_DEFAULT_WAIT_S);
  cli_admin_usage_common(f);
}

static int parse_join(struct cli_admin *o, int argc, char **argv,
                      int64_t *wait_s) {
  static const struct option opts[] = {CLI_ADMIN_OPTIONS,
                                       {"wait", required_argument, 0, OPT_WAIT},
                                       {0, 0, 0, 0}};
  int c;
  cli_getopt_begin();
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    if (c == 'h')
      return join_usage(stdout), CLI_ADMIN_HELPED;
    if (c == OPT_WAIT) {
      *wait_s = cli_parse_duration(optarg);
      if (*wait_s < 0 || *wait_s > 3600)
        return cli_usage_error(o->cmd, "--wait wants a duration up to 1h "
                                       "(\"10\", \"10s\", \"2m\")");
    } else if (!cli_admin_option(o, c)) {
      return cli_option_error(o->cmd, c, argv, opts);
    }
  }
  if (optind == argc)
    return cli_usage_error(o->cmd, "wants at least one ADDR");
  return 0;
}

/* The seeds' addresses ("a, b"), only those that answered when asked. */
static void seeds_text(const json_t *st, bool answered, char *out, size_t cap) {
  size_t i, len = 0;
  json_t *sd;
  out[0] = '\0';
  json_array_foreach(json_object_get(st, "seeds"), i, sd) {
    const char *addr = json_string_value(json_object_get(sd, "addr"));
    if (addr == NULL ||
        (answered && json_integer_value(json_object_get(sd, "answers")) <= 0))
      continue;
    int n = snprintf(out + len, cap - len, "%s%s", len ? ", " : "", addr);
    if (n < 0 || (size_t)n >= cap - len)
      return;
    len += (size_t)n;
  }
}

static bool any_answer(const json_t *st) {
  size_t i;
  json_t *sd;
  json_array_foreach(json_object_get(st, "seeds"), i, sd) {
    if (json_integer_value(json_object_get(sd, "answers")) > 0)
      return true;
  }
  return false;
}

/* A seed's answer (its introduction, then its view) means it admitted us
 * and we know it: gossip does the rest. */
static bool join_done(const json_t *st) {
  return any_answer(st) || json_is_true(json_object_get(st, "view_received")) ||
         json_is_true(json_object_get(st, "gave_up"));
}

static int64_t mono_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

struct join_follow {
  json_t *status; /* the latest, owned */
};

static int on_join_line(void *arg, const json_t *line) {
  struct join_follow *f = arg;
  const char *stream = json_string_value(json_object_get(line, "stream"));
  json_t *data = json_object_get(line, "data");
  if (stream != NULL && strcmp(stream, "join") == 0 && json_is_object(data)) {
    json_decref(f->status);
    f->status = json_incref(data);
  }
  return 1; /* one line at a time: the caller keeps its own deadline */
}

/* Reads the "join" stream until the join ends or wait_s is over; *status
 * is the latest state.  CLI_EXIT_OK, or the exit code of a lost agent. */
static int await_join(const struct cli_admin *o, int fd, int64_t wait_s,
                      json_t **status) {
  struct join_follow f = {.status = *status};
  int64_t deadline = mono_ms() + wait_s * 1000;
  int rc = 0;
  while (!join_done(f.status)) {
    int64_t left = deadline - mono_ms();
    if (left <= 0)
      break;
    rc = mb_admin_follow(fd, (int)left, on_join_line, &f);
    if (rc < 0)
      break;
  }
  *status = f.status;
  if (rc == -ETIMEDOUT || rc >= 0)
    return CLI_EXIT_OK; /* the wait is over: the status says how it went */
  return cli_admin_unreachable(o, rc);
}

static int report_join(const struct cli_admin *o, const json_t *st,
                       int64_t wait_s) {
  char answered[512], all[512];
  seeds_text(st, true, answered, sizeof(answered));
  seeds_text(st, false, all, sizeof(all));
  bool joined =
      answered[0] != '\0' || json_is_true(json_object_get(st, "view_received"));
  if (o->json)
    cli_admin_print_json(st);
  if (wait_s == 0) {
    if (!o->json)
      printf("Join requested through %s; not waiting for an answer.\n", all);
    return CLI_EXIT_OK;
  }
  if (joined) {
    if (!o->json)
      printf("Joined through %s.\n", answered[0] ? answered : all);
    return CLI_EXIT_OK;
  }
  if (json_is_true(json_object_get(st, "gave_up")))
    fprintf(stderr, "meshbeat join: no answer from %s after %lld requests\n",
            all,
            (long long)json_integer_value(json_object_get(st, "attempts")));
  else
    fprintf(stderr, "meshbeat join: no answer from %s within %lld s\n", all,
            (long long)wait_s);
  return CLI_EXIT_FAIL;
}

int cmd_join(int argc, char **argv) {
  struct cli_admin o;
  int64_t wait_s = JOIN_DEFAULT_WAIT_S;
  cli_admin_init(&o, "join");
  int rc = parse_join(&o, argc, argv, &wait_s);
  if (rc != 0)
    return rc == CLI_ADMIN_HELPED ? CLI_EXIT_OK : rc;
  json_t *addrs = json_array();
  for (int i = optind; i < argc; i++) {
    if (!host_port(argv[i]) ||
        json_array_append_new(addrs, json_string(argv[i])) != 0) {
      json_decref(addrs);
      return cli_usage_error(o.cmd, "'%s' is not HOST:PORT", argv[i]);
    }
  }
  json_t *req = json_pack("{s:s, s:o}", "cmd", "join", "addrs", addrs);
  if (req != NULL && wait_s > 0)
    json_object_set_new(req, "follow", json_true());
  json_t *status;
  int fd = -1;
  rc = cli_admin_request(&o, req, &status, NULL, wait_s > 0 ? &fd : NULL);
  if (rc != CLI_EXIT_OK)
    return rc;
  if (wait_s > 0) {
    rc = await_join(&o, fd, wait_s, &status);
    close(fd);
  }
  if (rc == CLI_EXIT_OK)
    rc = report_join(&o, status, wait_s);
  json_decref(status);
  return rc;
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
