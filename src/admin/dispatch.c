/*
 * One request line in, exactly one response line out.  Every way a line can
 * be wrong gets its own error code (docs/admin-api.md) and leaves the
 * connection usable: the framing is intact, so the next line is fine.
 */
#include "admin_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Truncation by snprintf may split a UTF-8 sequence, which jansson would
 * refuse; drop an incomplete last sequence. */
static void utf8_trim(char *s) {
  size_t n = strlen(s), i = n;
  while (i > 0 && n - i < 4 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
    i--;
  if (i == 0 || ((unsigned char)s[i - 1] & 0x80) == 0)
    return;
  unsigned char lead = (unsigned char)s[i - 1];
  size_t want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  if (n - (i - 1) < want)
    s[i - 1] = '\0';
}

int mb_admin_error_set(struct mb_admin_error *err, int rc, const char *code,
                       const char *fmt, ...) {
  snprintf(err->code, sizeof(err->code), "%s", code);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof(err->message), fmt, ap);
  va_end(ap);
  utf8_trim(err->code);
  utf8_trim(err->message);
  return rc;
}

/* A JSON string of s, or of fallback when s is not valid UTF-8. */
static json_t *text_or(const char *s, const char *fallback) {
  json_t *j = json_string(s);
  return j != NULL ? j : json_string(fallback);
}

/* {"ok":..,"id":..} with id copied (null when absent). */
static json_t *response_head(bool ok, const json_t *id) {
  json_t *r = json_object();
  if (r == NULL)
    return NULL;
  json_object_set_new(r, "ok", json_boolean(ok));
  json_object_set_new(r, "id", id ? json_deep_copy(id) : json_null());
  return r;
}

void admin_send_error(struct admin_conn *c, const json_t *id,
                      enum mb_admin_errkind kind, const char *code,
                      const char *message) {
  c->srv->stats.errors[kind]++;
  json_t *r = response_head(false, id);
  if (r == NULL)
    return;
  json_t *e = json_object();
  json_object_set_new(e, "code", text_or(code, "internal"));
  json_object_set_new(e, "message", text_or(message, "(not valid UTF-8)"));
  json_object_set_new(r, "error", e);
  admin_conn_send(c, r);
  json_decref(r);
}

static void send_errorf(struct admin_conn *c, const json_t *id,
                        enum mb_admin_errkind kind, const char *code,
                        const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void send_errorf(struct admin_conn *c, const json_t *id,
                        enum mb_admin_errkind kind, const char *code,
                        const char *fmt, ...) {
  char msg[sizeof(((struct mb_admin_error *)0)->message)];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  utf8_trim(msg);
  admin_send_error(c, id, kind, code, msg);
}

static bool blank(const char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isspace((unsigned char)p[i]))
      return false;
  return true;
}

static int find_command(const struct mb_admin *a, const char *cmd) {
  for (size_t i = 0; i < a->n_commands; i++)
    if (strcmp(a->commands[i].cmd, cmd) == 0)
      return (int)i;
  return -1;
}

static void send_handler_error(struct admin_conn *c, const json_t *id, int rc,
                               struct mb_admin_error *err) {
  err->code[sizeof(err->code) - 1] = err->message[sizeof(err->message) - 1] = 0;
  utf8_trim(err->code);
  utf8_trim(err->message);
  if (err->code[0] == '\0')
    snprintf(err->code, sizeof(err->code), "internal");
  if (err->message[0] == '\0')
    snprintf(err->message, sizeof(err->message), "%s", mb_strerror(rc));
  admin_send_error(c, id, MB_ADMIN_ERR_HANDLER, err->code, err->message);
}

void admin_answer(struct admin_conn *c, const json_t *id, json_t *result,
                  const struct mb_admin_error *err) {
  if (err != NULL) {
    struct mb_admin_error e = *err;
    json_decref(result);
    send_handler_error(c, id, MB_EINVAL, &e);
    return;
  }
  json_t *r = response_head(true, id);
  if (r == NULL) {
    json_decref(result);
    return;
  }
  json_object_set_new(r, "result", result ? result : json_null());
  admin_conn_send(c, r);
  json_decref(r);
}

/* The handler, with what mb_admin_defer needs to know. */
static int call_handler(struct admin_conn *c, const json_t *req, size_t idx,
                        json_t **result, struct mb_admin_error *err) {
  struct mb_admin *a = c->srv;
  a->current = c;
  a->current_id = json_object_get(req, "id");
  a->current_token = 0;
  int rc = a->commands[idx].fn(a->ctx, req, result, err);
  bool deferred = a->current_token != 0;
  a->current = NULL;
  a->current_id = NULL;
  a->current_token = 0;
  if (rc == MB_ADMIN_DEFERRED && !deferred)
    rc = mb_admin_error_set(err, MB_EINVAL, "internal",
                            "the handler deferred without a token");
  return rc;
}

/* Runs the handler of commands[idx] and answers; subscribes when asked. */
static void run_command(struct admin_conn *c, const json_t *req, size_t idx,
                        bool follow) {
  struct mb_admin *a = c->srv;
  const json_t *id = json_object_get(req, "id");
  json_t *result = NULL;
  struct mb_admin_error err = {{0}, {0}};
  int rc = call_handler(c, req, idx, &result, &err);
  if (rc == MB_ADMIN_DEFERRED) {
    json_decref(result); /* the answer comes with mb_admin_answer */
    return;
  }
  if (rc < 0) {
    json_decref(result);
    send_handler_error(c, id, rc, &err);
    return;
  }
  json_t *r = response_head(true, id);
  if (r == NULL) {
    json_decref(result);
    return;
  }
  json_object_set_new(r, "result", result ? result : json_null());
  if (follow)
    json_object_set_new(r, "follow",
                        json_pack("{s:s, s:I}", "stream", a->commands[idx].cmd,
                                  "heartbeat_ms", (json_int_t)a->heartbeat_ms));
  /* A handler may have closed the server; then nothing is sent. */
  if (admin_conn_send(c, r) == 0 && follow && c->state == ADMIN_CONN_OPEN)
    admin_subscribe(c, idx);
  json_decref(r);
}

/* Checks the envelope of a parsed request and runs it. */
static void dispatch_request(struct admin_conn *c, const json_t *req) {
  if (!json_is_object(req)) {
    admin_send_error(c, NULL, MB_ADMIN_ERR_INVALID, "invalid_request",
                     "a request is a JSON object");
    return;
  }
  const json_t *id = json_object_get(req, "id");
  const json_t *cmd = json_object_get(req, "cmd");
  const json_t *follow = json_object_get(req, "follow");
  if (!json_is_string(cmd)) {
    admin_send_error(c, id, MB_ADMIN_ERR_INVALID, "invalid_request",
                     "\"cmd\" must be a string");
    return;
  }
  if (follow != NULL && !json_is_boolean(follow)) {
    admin_send_error(c, id, MB_ADMIN_ERR_INVALID, "invalid_request",
                     "\"follow\" must be true or false");
    return;
  }
  int idx = find_command(c->srv, json_string_value(cmd));
  if (idx < 0) {
    send_errorf(c, id, MB_ADMIN_ERR_UNKNOWN, "unknown_command",
                "no command \"%.64s\"", json_string_value(cmd));
    return;
  }
  bool want = json_is_true(follow);
  if (want && !c->srv->commands[idx].streamable) {
    send_errorf(c, id, MB_ADMIN_ERR_INVALID, "invalid_request",
                "\"%.64s\" cannot be followed", json_string_value(cmd));
    return;
  }
  run_command(c, req, (size_t)idx, want);
}

void admin_dispatch(struct admin_conn *c, const char *line, size_t n) {
  if (n > 0 && line[n - 1] == '\r') /* tolerate CRLF from telnet-like tools */
    n--;
  if (blank(line, n))
    return; /* not a request: nothing to answer */
  c->srv->stats.requests++;
  json_error_t jerr;
  json_t *req =
      json_loadb(line, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
  if (req == NULL) {
    send_errorf(c, NULL, MB_ADMIN_ERR_PARSE, "parse_error",
                "not JSON at column %d: %s", jerr.column, jerr.text);
    return;
  }
  dispatch_request(c, req);
  json_decref(req);
}
