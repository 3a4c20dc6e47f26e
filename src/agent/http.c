/*
 * The agent's HTTP listener (off unless http.listen / --http-addr /
 * MESHBEAT_HTTP_ADDR is set): GET /metrics is the same Prometheus text as
 * the admin `metrics` command, GET /health the same JSON as `health`.
 * /health answers 200 while the agent is ok or degraded and 503 when a check
 * is failing: a load balancer or orchestrator probe acts on the code alone,
 * and a degraded node (slow, leaving) still serves.  The listener has no
 * authentication; docs/operations.md says to keep it on loopback or a
 * management network.
 */
#include "agent_state.h"

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
};

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
            "serving /metrics and /health over HTTP on %s, without "
            "authentication",
            a->cfg->http_addr);
  return MB_OK;
}

void agent_http_close(struct agent *a) {
  mb_http_close(a->http, NULL, NULL);
  a->http = NULL;
}
