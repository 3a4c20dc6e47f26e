/*
 * admin_test_server SOCKET [--health STATUS]: the real mb_admin server with
 * canned answers in the shapes of docs/admin-api.md, for the CLI's contract
 * tests (cli_admin_test.sh).  Built only for tests.
 *
 * Canned world: members nas1 (self, alive, rack1), pi2 (suspect, rack2) and
 * phone3 (dead, rack1);
 * nas1 and pi2 share the id prefix "a1b2c3", so it is ambiguous.  Events 1
 * and 2 are recorded; while someone follows, a new event (seq 100, 101, ...)
 * is published every 100 ms, and heartbeats come every 200 ms.  join
 * answers with every seed unanswered, then, 100 ms later on the "join"
 * stream, every seed answered except those with port 9.  SIGTERM or SIGINT
 * closes the server and exits 0.
 */
#include "mb_admin.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

struct world {
  uv_loop_t *loop;
  struct mb_admin *srv;
  uv_timer_t tick;
  uv_signal_t sigterm, sigint;
  const char *health;
  int next_seq;
  json_t *join_addrs; /* of the last join, answered at the next tick */
};

static void rfc3339_ago(char out[MB_TIME_LEN], int64_t ago_ms) {
  uv_timeval64_t tv;
  uv_gettimeofday(&tv);
  mb_time_format(out, MB_TIME_LEN,
                 tv.tv_sec * 1000 + tv.tv_usec / 1000 - ago_ms);
}

static json_t *member(const char *id, const char *name, const char *addr,
                      const char *domain, const char *state, int inc,
                      json_int_t capacity, json_int_t available,
                      int64_t seen_ago_ms, bool self) {
  char seen[MB_TIME_LEN], since[MB_TIME_LEN];
  rfc3339_ago(seen, seen_ago_ms);
  rfc3339_ago(since, 3600 * 1000);
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:I, s:s, s:s, s:i, "
                   "s:b}",
                   "id", id, "name", name, "addr", addr, "domain", domain,
                   "state", state, "incarnation", inc, "capacity", capacity,
                   "available", available, "last_seen", seen, "since", since,
                   "confirmations", 0, "self", self);
}

static json_t *all_members(void) {
  return json_pack(
      "[o, o, o]",
      member("a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
             "nas1", "10.0.0.1:7946", "rack1", "alive", 3, 4000787030016,
             1000204886016, 0, true),
      member("a1b2c3000000000000000000000000000000000000000000000000000000beef",
             "pi2", "10.0.0.2:7946", "rack2", "suspect", 1, 256060514304,
             128030257152, 4000, false),
      member("ff00112233445566778899aabbccddeeff00112233445566778899aabbccddee",
             "phone3", "[fd00::3]:7946", "rack1", "dead", 7, 0, 0, 600000,
             false));
}

static int h_members(void *ctx, const json_t *req, json_t **result,
                     struct mb_admin_error *err) {
  (void)ctx, (void)req, (void)err;
  *result = all_members();
  return 0;
}

static int h_member(void *ctx, const json_t *req, json_t **result,
                    struct mb_admin_error *err) {
  (void)ctx;
  const char *q = json_string_value(json_object_get(req, "query"));
  if (q == NULL)
    return mb_admin_error_set(err, MB_EINVAL, "invalid_request",
                              "\"query\" must be a string");
  json_t *all = all_members(), *found = NULL, *m;
  char names[128] = "";
  int n = 0;
  size_t i;
  json_array_foreach(all, i, m) {
    const char *name = json_string_value(json_object_get(m, "name"));
    const char *id = json_string_value(json_object_get(m, "id"));
    if (strcmp(name, q) == 0 || strncmp(id, q, strlen(q)) == 0) {
      found = m;
      n++;
      snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
               n > 1 ? ", " : "", name);
    }
  }
  int rc = 0;
  if (n == 0)
    rc = mb_admin_error_set(err, -ENOENT, "not_found",
                            "no member named or with an id starting %s", q);
  else if (n > 1)
    rc = mb_admin_error_set(err, MB_EINVAL, "ambiguous", "%s matches %s", q,
                            names);
  else
    *result = json_incref(found);
  json_decref(all);
  return rc;
}

static int h_info(void *ctx, const json_t *req, json_t **result,
                  struct mb_admin_error *err) {
  (void)ctx, (void)req, (void)err;
  *result = json_pack(
      "{s:s, s:s, s:s, s:s, s:i, s:s, s:i, s:s, s:{s:i, s:i, s:i, s:i}, s:i}",
      "id", "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
      "name", "nas1", "cluster", "home", "addr", "10.0.0.1:7946", "incarnation",
      3, "version", "0.1.0", "uptime_s", 93784, "data_dir", "/var/lib/meshbeat",
      "members", "alive", 1, "suspect", 1, "dead", 1, "left", 0, "awareness",
      0);
  json_object_set_new(*result, "domain", json_string("rack1"));
  json_object_set_new(*result, "cert_expires_at", json_integer(1827000000));
  return 0;
}

static json_t *event(int seq, const char *name, const char *from,
                     const char *to, const char *reason, int inc) {
  char when[MB_TIME_LEN];
  rfc3339_ago(when, 0);
  return json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "seq", seq,
                   "time", when, "id", "a1b2c3", "name", name, "from", from,
                   "to", to, "reason", reason, "incarnation", inc);
}

static int h_events(void *ctx, const json_t *req, json_t **result,
                    struct mb_admin_error *err) {
  (void)ctx, (void)err;
  json_int_t since = json_integer_value(json_object_get(req, "since"));
  json_t *all = json_pack(
      "[o, o]", event(1, "pi2", "alive", "suspect", "probe timeout", 1),
      event(2, "phone3", "suspect", "dead", "suspicion timeout", 7));
  json_t *out = json_array(), *ev;
  size_t i;
  json_array_foreach(all, i, ev) {
    if (json_integer_value(json_object_get(ev, "seq")) > since)
      json_array_append(out, ev);
  }
  json_decref(all);
  *result = out;
  return 0;
}

static int h_metrics(void *ctx, const json_t *req, json_t **result,
                     struct mb_admin_error *err) {
  struct world *w = ctx;
  (void)req, (void)err;
  struct mb_prom p;
  struct mb_admin_stats st;
  mb_prom_init(&p);
  mb_prom_family(&p, "meshbeat_members", "gauge", "Members by state.");
  static const char *const states[] = {"alive", "suspect", "dead", "left"};
  for (int i = 0; i < 4; i++) {
    struct mb_prom_label l = {"state", states[i]};
    mb_prom_u64(&p, "meshbeat_members", &l, 1, i < 3 ? 1 : 0);
  }
  mb_admin_get_stats(w->srv, &st);
  mb_admin_stats_prom(&st, &p);
  int rc = mb_prom_status(&p);
  if (rc == 0)
    *result = json_string(mb_prom_text(&p));
  mb_prom_free(&p);
  return rc;
}

static int h_health(void *ctx, const json_t *req, json_t **result,
                    struct mb_admin_error *err) {
  struct world *w = ctx;
  (void)req, (void)err;
  *result = json_pack("{s:s, s:{s:{s:s, s:s}, s:s}}", "status", w->health,
                      "checks", "gossip", "status", w->health, "message",
                      "3 members known", "store", "ok");
  return 0;
}

/* The join's state as the agent reports it: no answers yet, or an
 * answer from every seed whose port is not 9. */
static json_t *join_status(const json_t *addrs, bool answered) {
  json_t *seeds = json_array(), *a;
  size_t i;
  json_array_foreach(addrs, i, a) {
    const char *s = json_string_value(a);
    size_t n = s ? strlen(s) : 0;
    int answers = answered && n > 2 && strcmp(s + n - 2, ":9") != 0;
    json_array_append_new(seeds,
                          json_pack("{s:s, s:i, s:i}", "addr", s ? s : "",
                                    "requests", 1, "answers", answers));
  }
  return json_pack("{s:o, s:I, s:b, s:b}", "seeds", seeds, "attempts",
                   (json_int_t)json_array_size(addrs), "view_received", 0,
                   "gave_up", 0);
}

static int h_join(void *ctx, const json_t *req, json_t **result,
                  struct mb_admin_error *err) {
  struct world *w = ctx;
  json_t *addrs = json_object_get(req, "addrs");
  if (!json_is_array(addrs))
    return mb_admin_error_set(err, MB_EINVAL, "invalid_request",
                              "\"addrs\" must be an array");
  json_decref(w->join_addrs);
  w->join_addrs = json_deep_copy(addrs);
  *result = join_status(addrs, false);
  json_object_set_new(*result, "contacted",
                      json_integer((json_int_t)json_array_size(addrs)));
  return 0;
}

static int h_leave(void *ctx, const json_t *req, json_t **result,
                   struct mb_admin_error *err) {
  (void)ctx, (void)req, (void)err;
  *result = json_pack("{s:b}", "left", 1);
  return 0;
}

static const struct mb_admin_command commands[] = {
    {"members", h_members, false}, {"member", h_member, false},
    {"info", h_info, false},       {"events", h_events, true},
    {"metrics", h_metrics, false}, {"health", h_health, false},
    {"join", h_join, true},        {"leave", h_leave, false},
};

static void on_tick(uv_timer_t *t) {
  struct world *w = t->data;
  if (w->join_addrs != NULL) {
    mb_admin_publish(w->srv, "join", join_status(w->join_addrs, true));
    json_decref(w->join_addrs);
    w->join_addrs = NULL;
  }
  struct mb_admin_stats st;
  mb_admin_get_stats(w->srv, &st);
  if (st.subscribers > 0)
    mb_admin_publish(
        w->srv, "events",
        event(w->next_seq++, "pi2", "suspect", "alive", "refuted", 2));
}

static void on_signal(uv_signal_t *s, int signum) {
  struct world *w = s->data;
  (void)signum;
  mb_admin_close(w->srv, NULL, NULL);
  uv_close((uv_handle_t *)&w->tick, NULL);
  uv_close((uv_handle_t *)&w->sigterm, NULL);
  uv_close((uv_handle_t *)&w->sigint, NULL);
}

int main(int argc, char **argv) {
  if (argc != 2 && !(argc == 4 && strcmp(argv[2], "--health") == 0)) {
    fprintf(stderr, "usage: admin_test_server SOCKET [--health STATUS]\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN); /* as mb_admin.h asks of a server's process */
  struct world w = {.loop = uv_default_loop(),
                    .health = argc == 4 ? argv[3] : "ok",
                    .next_seq = 100};
  struct mb_admin_options o = {.path = argv[1],
                               .heartbeat_ms = 200,
                               .commands = commands,
                               .n_commands =
                                   sizeof(commands) / sizeof(commands[0]),
                               .ctx = &w};
  int rc = mb_admin_open(&w.srv, w.loop, &o);
  if (rc < 0) {
    fprintf(stderr, "admin_test_server: %s: %s\n", argv[1], mb_strerror(rc));
    return 1;
  }
  uv_timer_init(w.loop, &w.tick);
  uv_signal_init(w.loop, &w.sigterm);
  uv_signal_init(w.loop, &w.sigint);
  w.tick.data = w.sigterm.data = w.sigint.data = &w;
  uv_timer_start(&w.tick, on_tick, 100, 100);
  uv_signal_start(&w.sigterm, on_signal, SIGTERM);
  uv_signal_start(&w.sigint, on_signal, SIGINT);
  uv_run(w.loop, UV_RUN_DEFAULT);
  json_decref(w.join_addrs);
  return uv_loop_close(w.loop) == 0 ? 0 : 1;
}
