/*
 * The agent's HTTP listener (off unless http.listen / --http-addr /
 * MESHBEAT_HTTP_ADDR is set): GET /metrics is the same Prometheus text as
 * the admin `metrics` command, GET /health the same JSON as `health`, and
 * /ui the dashboard (ui.h).
 * /health answers 200 while the agent is ok or degraded and 503 when a check
 * is failing: a load balancer or orchestrator probe acts on the code alone,
 * and a degraded node (slow, leaving) still serves.  The listener has no
 * authentication; docs/operations.md says to keep it on loopback or a
 * management network.
 */
#include "ui.h"

#include <arpa/inet.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int route_metrics(void *ctx, struct mb_http_reply *r) {
  char *text = agent_metrics_text(ctx);
  if (text == NULL)
    return -ENOMEM;
  r->content_type = "text/plain; version=0.0.4";
  r->body = text;
  r->len = strlen(text);
  return MB_OK;
}

static int route_health(void *ctx, struct mb_http_reply *r) {
  json_t *h = agent_health_json(ctx);
  const char *status = json_string_value(json_object_get(h, "status"));
  r->status = status != NULL && strcmp(status, "failing") == 0 ? 503 : 200;
  r->content_type = "application/json";
  char *text = json_dumps(h, JSON_COMPACT);
  json_decref(h);
  if (text == NULL)
    return -ENOMEM;
  size_t n = strlen(text);
  char *body = realloc(text, n + 2); /* a newline, for curl in a terminal */
  if (body == NULL) {
    free(text);
    return -ENOMEM;
  }
  memcpy(body + n, "\n", 2);
  r->body = body;
  r->len = n + 1;
  return MB_OK;
}

static const struct mb_http_route routes[] = {
    {"/metrics", route_metrics},
    {"/health", route_health},
    {"/ui", agent_ui_page},
    {"/ui/", agent_ui_page},
    {"/ui/ui.css", agent_ui_css},
    {"/ui/ui.js", agent_ui_js},
    {"/ui/icon.svg", agent_ui_icon},
    {"/ui/api/state", agent_ui_state},
    {"/ui/api/events", agent_ui_events},
};

/* 127.0.0.0/8 or ::1 (or ::ffff:127.x), as http.listen spells it. */
static bool loopback_listen(const char *listen) {
  char host[INET6_ADDRSTRLEN + 1];
  const char *colon = strrchr(listen, ':');
  const char *start = listen[0] == '[' ? listen + 1 : listen;
  size_t n = colon != NULL ? (size_t)(colon - start) : 0;
  if (listen[0] == '[' && n > 0)
    n--; /* the ']' */
  if (colon == NULL || n == 0 || n >= sizeof(host))
    return false;
  memcpy(host, start, n);
  host[n] = '\0';
  struct in_addr a4;
  struct in6_addr a6;
  if (inet_pton(AF_INET, host, &a4) == 1)
    return (ntohl(a4.s_addr) >> 24) == 127;
  if (inet_pton(AF_INET6, host, &a6) != 1)
    return false;
  return IN6_IS_ADDR_LOOPBACK(&a6) ||
         (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
}

int agent_http_open(struct agent *a) {
  if (a->cfg->http_addr[0] == '\0')
    return MB_OK;
  struct mb_http_options o = {.listen = a->cfg->http_addr,
                              .routes = routes,
                              .n_routes = sizeof(routes) / sizeof(routes[0]),
                              .ctx = a};
  int rc = mb_http_open(&a->http, &a->loop, &o);
  if (rc != MB_OK) {
    agent_log(a->log, MB_LOG_ERROR, NULL,
              "cannot serve HTTP on '%s' (http.listen): %s%s",
              a->cfg->http_addr, mb_strerror(rc),
              rc == MB_EINVAL ? " (want a numeric HOST:PORT or [V6]:PORT)"
                              : "");
    return rc;
  }
  agent_log(a->log, MB_LOG_INFO,
            json_pack("{s:s, s:i}", "http", a->cfg->http_addr, "port",
                      (int)mb_http_port(a->http)),
            "serving /metrics, /health and the dashboard /ui over HTTP on "
            "%s, without authentication",
            a->cfg->http_addr);
  if (!loopback_listen(a->cfg->http_addr))
    agent_log(a->log, MB_LOG_WARN,
              json_pack("{s:s}", "http", a->cfg->http_addr),
              "http.listen %s is not a loopback address: anyone who can "
              "reach it reads /metrics and the dashboard /ui without "
              "authentication; put it on loopback behind a reverse proxy "
              "with authentication (docs/operations.md, Dashboard)",
              a->cfg->http_addr);
  return MB_OK;
}

void agent_http_close(struct agent *a) {
  mb_http_close(a->http, NULL, NULL);
  a->http = NULL;
}
