/*
 * The dashboard's own files (src/agent/ui/, compiled in), and the headers
 * every /ui answer carries: the page may run only its own script and
 * style and talk only to this listener (no inline script, so text that
 * slipped into markup would not run), may not be framed, and its answers'
 * types are not guessed.  Cache-Control: no-store comes from the listener.
 */
#include "ui.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const ui_headers[] = {
    "Content-Security-Policy",
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self'; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'",
    "X-Frame-Options",
    "DENY",
    "X-Content-Type-Options",
    "nosniff",
    "Referrer-Policy",
    "no-referrer",
    NULL,
};

int agent_ui_body(struct mb_http_reply *r, const char *type, const char *text,
                  size_t len) {
  char *body = malloc(len + 1);
  if (body == NULL)
    return -ENOMEM;
  memcpy(body, text, len);
  body[len] = '\0';
  free(r->body);
  r->body = body;
  r->len = len;
  r->content_type = type;
  return 0;
}

bool agent_ui_begin(struct mb_http_reply *r) {
  r->headers = ui_headers;
  if (agent_ui_host_ok(mb_http_header(r->request, "Host")))
    return true;
  static const char why[] =
      "the dashboard answers only a Host header that is an IP address or "
      "localhost (docs/operations.md, Dashboard)\n";
  r->status = 403;
  agent_ui_body(r, "text/plain; charset=utf-8", why, sizeof(why) - 1);
  return false;
}

static int serve_file(struct mb_http_reply *r, const char *file,
                      const char *type) {
  if (!agent_ui_begin(r))
    return 0;
  for (size_t i = 0; i < agent_ui_n_assets; i++)
    if (strcmp(agent_ui_assets[i].file, file) == 0)
      return agent_ui_body(r, type, (const char *)agent_ui_assets[i].data,
                           agent_ui_assets[i].len);
  return MB_EINVAL; /* a route without its file: a build error, not a 404 */
}

int agent_ui_page(void *ctx, struct mb_http_reply *r) {
  (void)ctx;
  return serve_file(r, "index.html", "text/html; charset=utf-8");
}

int agent_ui_css(void *ctx, struct mb_http_reply *r) {
  (void)ctx;
  return serve_file(r, "ui.css", "text/css; charset=utf-8");
}

int agent_ui_js(void *ctx, struct mb_http_reply *r) {
  (void)ctx;
  return serve_file(r, "ui.js", "text/javascript; charset=utf-8");
}

int agent_ui_icon(void *ctx, struct mb_http_reply *r) {
  (void)ctx;
  return serve_file(r, "icon.svg", "image/svg+xml");
}
