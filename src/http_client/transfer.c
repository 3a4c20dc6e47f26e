/* One POST: its checks, its curl easy handle, its end. */
#include "http_client_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_token(const char *s) {
  static const char extra[] = "!#$%&'*+-.^_`|~";
  if (s == NULL || *s == '\0')
    return false;
  for (; *s != '\0'; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
          (*s >= 'A' && *s <= 'Z') || strchr(extra, *s) != NULL))
      return false;
  return true;
}

static bool url_ok(const char *url) {
  if (url == NULL)
    return false;
  CURLU *u = curl_url();
  char *scheme = NULL;
  bool ok = u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
            (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0);
  curl_free(scheme);
  curl_url_cleanup(u);
  return ok;
}

static int request_check(const struct mb_http_client_request *req) {
  if (req == NULL || !url_ok(req->url) ||
      (req->body == NULL && req->body_len != 0) ||
      (req->headers == NULL && req->n_headers != 0))
    return MB_EINVAL;
  for (size_t i = 0; i < req->n_headers; i++) {
    const struct mb_http_client_header *h = &req->headers[i];
    if (!is_token(h->name) || h->value == NULL || strpbrk(h->value, "\r\n"))
      return MB_EINVAL;
  }
  return 0;
}

static void headers_wipe_free(struct curl_slist *list) {
  for (struct curl_slist *l = list; l != NULL; l = l->next)
    explicit_bzero(l->data, strlen(l->data));
  curl_slist_free_all(list);
}

static int headers_add(struct curl_slist **list, const char *line) {
  struct curl_slist *more = curl_slist_append(*list, line);
  if (more == NULL)
    return -ENOMEM;
  *list = more;
  return 0;
}

/* "Name: value", or "Name;" (curl's way to send a header with no value:
 * "Name:" would remove it).  "Expect:" keeps curl from waiting for a
 * 100 Continue before larger bodies. */
static int headers_build(struct http_transfer *t,
                         const struct mb_http_client_request *req) {
  for (size_t i = 0; i < req->n_headers; i++) {
    const struct mb_http_client_header *h = &req->headers[i];
    size_t n = strlen(h->name) + strlen(h->value) + 3;
    char *line = malloc(n);
    if (line == NULL)
      return -ENOMEM;
    if (h->value[0] == '\0')
      snprintf(line, n, "%s;", h->name);
    else
      snprintf(line, n, "%s: %s", h->name, h->value);
    int rc = headers_add(&t->headers, line);
    explicit_bzero(line, n);
    free(line);
    if (rc < 0)
      return rc;
  }
  return headers_add(&t->headers, "Expect:");
}

/* CURLOPT_WRITEFUNCTION: keeps up to the cap; beyond it, stops the
 * transfer (a short count makes curl end it with CURLE_WRITE_ERROR). */
static size_t on_body(char *p, size_t size, size_t n, void *arg) {
  struct http_transfer *t = arg;
  size_t len = size * n, cap = t->client->body_cap;
  size_t take = len <= cap - t->body_len ? len : cap - t->body_len;
  if (t->body_len + take > t->body_alloc) {
    size_t want = t->body_alloc == 0 ? 4096 : t->body_alloc * 2;
    while (want < t->body_len + take)
      want *= 2;
    want = want < cap ? want : cap;
    uint8_t *grown = realloc(t->body, want);
    if (grown == NULL) {
      t->body_oom = true;
      return 0;
    }
    t->body = grown;
    t->body_alloc = want;
  }
  if (take > 0)
    memcpy(t->body + t->body_len, p, take);
  t->body_len += take;
  if (take < len) {
    t->body_truncated = true;
    return 0;
  }
  return len;
}

static uint32_t or_default(uint32_t v, uint32_t dflt) {
  return v != 0 ? v : dflt;
}

static int easy_setup(struct http_transfer *t,
                      const struct mb_http_client_request *req) {
  CURL *e = t->easy;
  const char *body = req->body_len != 0 ? req->body : "";
  long connect_ms = (long)or_default(req->connect_timeout_ms,
                                     MB_HTTP_CLIENT_DEFAULT_CONNECT_TIMEOUT_MS);
  long total_ms =
      (long)or_default(req->timeout_ms, MB_HTTP_CLIENT_DEFAULT_TIMEOUT_MS);
  CURLcode rc = CURLE_OK;
#define SET(opt, val)                                                          \
  if (rc == CURLE_OK)                                                          \
  rc = curl_easy_setopt(e, opt, val)
  SET(CURLOPT_PRIVATE, t);
  SET(CURLOPT_ERRORBUFFER, t->error);
  SET(CURLOPT_NOSIGNAL, 1L);
  SET(CURLOPT_URL, req->url);
  SET(CURLOPT_PROTOCOLS_STR, "http,https");
  SET(CURLOPT_FOLLOWLOCATION, 0L);
  SET(CURLOPT_HTTPHEADER, t->headers);
  SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
  SET(CURLOPT_COPYPOSTFIELDS, body);
  SET(CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
  SET(CURLOPT_TIMEOUT_MS, total_ms);
  SET(CURLOPT_SSL_VERIFYPEER, 1L);
  SET(CURLOPT_SSL_VERIFYHOST, 2L);
  if (req->ca_file != NULL)
    SET(CURLOPT_CAINFO, req->ca_file);
  SET(CURLOPT_USERAGENT, "meshbeat/" MESHBEAT_VERSION);
  SET(CURLOPT_WRITEFUNCTION, on_body);
  SET(CURLOPT_WRITEDATA, t);
#undef SET
  return rc == CURLE_OK ? 0 : (rc == CURLE_OUT_OF_MEMORY ? -ENOMEM : MB_EINVAL);
}

static void transfer_free(struct http_transfer *t) {
  if (t->easy != NULL)
    curl_easy_cleanup(t->easy);
  headers_wipe_free(t->headers);
  free(t->body);
  free(t);
}

static void link_in(struct mb_http_client *c, struct http_transfer *t) {
  t->next = c->transfers;
  if (t->next != NULL)
    t->next->prev = t;
  c->transfers = t;
  c->n_transfers++;
}

static void unlink_out(struct mb_http_client *c, struct http_transfer *t) {
  if (t->prev != NULL)
    t->prev->next = t->next;
  else
    c->transfers = t->next;
  if (t->next != NULL)
    t->next->prev = t->prev;
  c->n_transfers--;
}

int mb_http_client_post(struct mb_http_client *c,
                        const struct mb_http_client_request *req,
                        mb_http_client_done_cb cb, void *user) {
  if (c == NULL || c->closing || cb == NULL)
    return MB_EINVAL;
  int rc = request_check(req);
  if (rc < 0)
    return rc;
  struct http_transfer *t = calloc(1, sizeof(*t));
  if (t == NULL)
    return -ENOMEM;
  t->client = c;
  t->cb = cb;
  t->user = user;
  t->started_ns = uv_hrtime();
  t->easy = curl_easy_init();
  rc = t->easy == NULL ? -ENOMEM : headers_build(t, req);
  if (rc == 0)
    rc = easy_setup(t, req);
  if (rc == 0 && curl_multi_add_handle(c->multi, t->easy) != CURLM_OK)
    rc = -ENOMEM;
  if (rc < 0) {
    transfer_free(t);
    return rc;
  }
  link_in(c, t);
  return 0;
}

static void result_fill(struct http_transfer *t, CURLcode code,
                        struct mb_http_client_result *r) {
  if (code == CURLE_WRITE_ERROR && t->body_truncated)
    code = CURLE_OK; /* a full answer, of which we refused the rest */
  r->rc = t->body_oom ? -ENOMEM : http_classify(t->easy, code);
  if (r->rc == 0) {
    long status = 0;
    struct curl_header *h = NULL;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    r->status = (int)status;
    if (curl_easy_header(t->easy, "Retry-After", 0, CURLH_HEADER, -1, &h) ==
        CURLHE_OK) {
      snprintf(t->retry_after, sizeof(t->retry_after), "%s", h->value);
      r->retry_after = t->retry_after;
    }
    t->error[0] = '\0';
  } else if (t->body_oom) {
    snprintf(t->error, sizeof(t->error), "no memory for the response body");
  } else if (t->error[0] == '\0') {
    snprintf(t->error, sizeof(t->error), "%s", curl_easy_strerror(code));
  }
  http_redact(t->error, t->headers);
  r->body = t->body;
  r->body_len = t->body_len;
  r->body_truncated = t->body_truncated;
  r->error = t->error;
}

void http_transfer_finish(struct http_transfer *t, CURLcode code,
                          bool cancelled) {
  struct mb_http_client *c = t->client;
  struct mb_http_client_result r = {0};
  unlink_out(c, t);
  if (cancelled) {
    r.rc = MB_EHTTP_CANCELLED;
    r.error = "cancelled: the HTTP client was closed";
  } else {
    result_fill(t, code, &r);
  }
  curl_multi_remove_handle(c->multi, t->easy);
  r.elapsed_ms = (uv_hrtime() - t->started_ns) / 1000000u;
  t->cb(t->user, &r);
  transfer_free(t);
}
