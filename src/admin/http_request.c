/*
 * One HTTP request: find the route (404), check the method (405), run the
 * handler (500 when it fails) and queue its reply.  The answer is queued on
 * the first call for the request, before any body is read: nothing served
 * here takes a body, and libmicrohttpd then closes the connection after the
 * answer instead of reading what it does not need.
 */
#include "http_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_PLAIN "text/plain; charset=utf-8"

/* The request, as handlers see it: libmicrohttpd's connection. */
struct mb_http_request {
  struct MHD_Connection *conn;
};

const char *mb_http_query_arg(const struct mb_http_request *req,
                              const char *key) {
  const char *value = NULL;
  /* "?key" alone is found with no value: tell it from an absent key. */
  if (MHD_lookup_connection_value_n(req->conn, MHD_GET_ARGUMENT_KIND, key,
                                    strlen(key), &value, NULL) != MHD_YES)
    return NULL;
  return value != NULL ? value : "";
}

const char *mb_http_header(const struct mb_http_request *req,
                           const char *name) {
  return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

static const struct mb_http_route *find_route(const struct mb_http *h,
                                              const char *url) {
  for (size_t i = 0; i < h->n_routes; i++)
    if (strcmp(h->routes[i].path, url) == 0)
      return &h->routes[i];
  return NULL;
}

static void count(struct mb_http *h, unsigned status) {
  enum mb_http_code c = status == 200   ? MB_HTTP_CODE_200
                        : status == 404 ? MB_HTTP_CODE_404
                        : status == 405 ? MB_HTTP_CODE_405
                        : status == 500 ? MB_HTTP_CODE_500
                        : status == 503 ? MB_HTTP_CODE_503
                                        : MB_HTTP_CODE_OTHER;
  h->stats.responses[c]++;
}

/* A short text answer of our own (404, 405, 500). */
static void text_reply(struct mb_http_reply *r, unsigned status,
                       const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void text_reply(struct mb_http_reply *r, unsigned status,
                       const char *fmt, ...) {
  enum { CAP = 256 };
  free(r->body);
  r->status = status;
  r->content_type = TEXT_PLAIN;
  r->len = 0;
  r->body = malloc(CAP);
  if (r->body == NULL)
    return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(r->body, CAP, fmt, ap);
  va_end(ap);
  r->len = n < 0 ? 0 : (size_t)n < CAP ? (size_t)n : CAP - 1;
}

static bool allowed_method(const char *method) {
  return strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
         strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
}

static void run_route(struct mb_http *h, const char *url, const char *method,
                      struct mb_http_reply *r) {
  const struct mb_http_route *route = find_route(h, url);
  if (route == NULL) {
    text_reply(r, 404, "no such path: %.200s\n", url);
    return;
  }
  if (!allowed_method(method)) {
    text_reply(r, 405, "%.16s is not allowed here: use GET or HEAD\n", method);
    return;
  }
  int rc = route->fn(h->ctx, r);
  if (rc < 0)
    text_reply(r, 500, "internal error: %s\n", mb_strerror(rc));
}

static struct MHD_Response *make_response(struct mb_http_reply *r) {
  struct MHD_Response *resp =
      r->body != NULL ? MHD_create_response_from_buffer_with_free_callback(
                            r->len, r->body, free)
                      : MHD_create_response_from_buffer(0, (void *)"",
                                                        MHD_RESPMEM_PERSISTENT);
  if (resp == NULL) {
    free(r->body);
    return NULL;
  }
  r->body = NULL; /* the response owns it now */
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  for (const char *const *h = r->headers; h != NULL && h[0] != NULL; h += 2)
    MHD_add_response_header(resp, h[0], h[1]);
  if (r->status == 405)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
  return resp;
}

enum MHD_Result http_on_request(void *cls, struct MHD_Connection *conn,
                                const char *url, const char *method,
                                const char *version, const char *upload,
                                size_t *upload_size, void **con_cls) {
  struct mb_http *h = cls;
  (void)version, (void)upload, (void)upload_size, (void)con_cls;
  struct mb_http_request req = {conn};
  struct mb_http_reply r = {
      .status = 200, .content_type = TEXT_PLAIN, .request = &req};
  run_route(h, url, method, &r);
  struct MHD_Response *resp = make_response(&r);
  if (resp == NULL)
    return MHD_NO; /* out of memory: libmicrohttpd drops the connection */
  enum MHD_Result ok = MHD_queue_response(conn, r.status, resp);
  MHD_destroy_response(resp);
  if (ok == MHD_YES)
    count(h, r.status);
  return ok;
}

static const char *const code_names[MB_HTTP_CODE__COUNT] = {
    [MB_HTTP_CODE_200] = "200", [MB_HTTP_CODE_404] = "404",
    [MB_HTTP_CODE_405] = "405", [MB_HTTP_CODE_500] = "500",
    [MB_HTTP_CODE_503] = "503", [MB_HTTP_CODE_OTHER] = "other",
};

void mb_http_get_stats(const struct mb_http *h, struct mb_http_stats *st) {
  *st = h->stats;
}

void mb_http_stats_prom(const struct mb_http_stats *st, struct mb_prom *p) {
  mb_prom_family(p, "meshbeat_http_responses_total", "counter",
                 "HTTP listener responses by status code.");
  for (int c = 0; c < MB_HTTP_CODE__COUNT; c++) {
    struct mb_prom_label l = {"code", code_names[c]};
    mb_prom_u64(p, "meshbeat_http_responses_total", &l, 1, st->responses[c]);
  }
}
