/*
 * unit_admin_http: the HTTP listener on a real libuv loop and real TCP on
 * loopback (port 0: the kernel picks), driven from the test's own thread:
 * clients are plain sockets, and every wait pumps the loop until what is
 * awaited happens or a deadline passes.  Routes are test doubles.
 */
#include "test_util.h"

#include "mb_admin.h"

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 5000

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int route_text(void *ctx, struct mb_http_reply *r) {
  (void)ctx;
  r->body = strdup("hello\n");
  r->len = strlen(r->body);
  r->content_type = "text/plain; version=0.0.4";
  return 0;
}

static int route_fail(void *ctx, struct mb_http_reply *r) {
  (void)ctx;
  r->body = strdup("half an answer"); /* freed by the listener */
  r->len = strlen(r->body);
  return -ENOMEM;
}

static int route_unavailable(void *ctx, struct mb_http_reply *r) {
  (void)ctx;
  r->status = 503;
  r->body = strdup("{\"status\":\"failing\"}");
  r->len = strlen(r->body);
  r->content_type = "application/json";
  return 0;
}

/* Echoes the query argument "q" and the header "Host" in its body, and
 * answers with a header of its own. */
static int route_echo(void *ctx, struct mb_http_reply *r) {
  static const char *const headers[] = {"X-Echo", "yes", NULL};
  (void)ctx;
  const char *q = mb_http_query_arg(r->request, "q");
  const char *host = mb_http_header(r->request, "host");
  char text[256];
  snprintf(text, sizeof(text), "q=%s host=%s", q ? q : "(none)",
           host ? host : "(none)");
  r->body = strdup(text);
  r->len = strlen(r->body);
  r->headers = headers;
  return 0;
}

static const struct mb_http_route routes[] = {
    {"/text", route_text},
    {"/echo", route_echo},
    {"/fail", route_fail},
    {"/unavailable", route_unavailable},
};

struct hx {
  uv_loop_t loop;
  struct mb_http *http;
  struct mb_http_options opt;
  bool closed;
};

static void hx_init(struct hx *x) {
  memset(x, 0, sizeof(*x));
  assert_int_equal(uv_loop_init(&x->loop), 0);
  x->opt = (struct mb_http_options){
      .listen = "127.0.0.1:0",
      .timeout_s = 1,
      .routes = routes,
      .n_routes = sizeof(routes) / sizeof(routes[0]),
  };
}

static void hx_start(struct hx *x) {
  assert_ok(mb_http_open(&x->http, &x->loop, &x->opt));
  assert_true(mb_http_port(x->http) != 0);
}

static void pump(struct hx *x, int extra_fd, int max_ms) {
  struct pollfd p[2] = {{.fd = uv_backend_fd(&x->loop), .events = POLLIN},
                        {.fd = extra_fd, .events = POLLIN}};
  int t = uv_backend_timeout(&x->loop);
  if (t < 0 || t > max_ms)
    t = max_ms;
  poll(p, extra_fd >= 0 ? 2 : 1, t);
  uv_run(&x->loop, UV_RUN_NOWAIT);
}

static void on_closed(void *arg) {
  ((struct hx *)arg)->closed = true;
}

static void hx_fini(struct hx *x) {
  if (x->http != NULL)
    mb_http_close(x->http, on_closed, x);
  x->http = NULL;
  int64_t deadline = now_ms() + WAIT_MS;
  while (uv_run(&x->loop, UV_RUN_NOWAIT) != 0 && now_ms() < deadline)
    pump(x, -1, 10);
  assert_true(x->closed);
  assert_int_equal(uv_loop_close(&x->loop), 0); /* no handle left */
}

static int connect_to(struct hx *x) {
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_port = htons(mb_http_port(x->http)),
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  return fd;
}

static void send_text(int fd, const char *text) {
  size_t n = strlen(text);
  assert_int_equal(send(fd, text, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Reads until the server closes (the requests say Connection: close),
 * pumping the loop; "" when it closed without a byte. */
static char *read_to_eof(struct hx *x, int fd) {
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  assert_non_null(buf);
  int64_t deadline = now_ms() + WAIT_MS;
  for (;;) {
    ssize_t k = recv(fd, buf + len, cap - 1 - len, MSG_DONTWAIT);
    if (k == 0 || (k < 0 && errno == ECONNRESET))
      break;
    if (k > 0) {
      len += (size_t)k;
      assert_true(len < cap - 1);
      continue;
    }
    if (now_ms() > deadline)
      fail_msg("the listener neither answered nor closed in %d ms", WAIT_MS);
    pump(x, fd, 20);
  }
  buf[len] = '\0';
  return buf;
}

/* One request on a fresh connection; the whole raw response. */
static char *request(struct hx *x, const char *method, const char *path) {
  char req[256];
  snprintf(req, sizeof(req),
           "%s %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n", method,
           path);
  int fd = connect_to(x);
  send_text(fd, req);
  char *resp = read_to_eof(x, fd);
  close(fd);
  return resp;
}

static void assert_status(const char *resp, int status) {
  int got = 0;
  if (sscanf(resp, "HTTP/1.1 %d ", &got) != 1 || got != status)
    fail_msg("expected status %d, got: %.80s", status, resp);
}

static void assert_header(const char *resp, const char *line) {
  if (strstr(resp, line) == NULL)
    fail_msg("no \"%s\" in: %s", line, resp);
}

static const char *body_of(const char *resp) {
  const char *b = strstr(resp, "\r\n\r\n");
  assert_non_null(b);
  return b + 4;
}

static void routes_and_methods(void **state) {
  (void)state;
  struct hx x;
  hx_init(&x);
  hx_start(&x);
  char *r = request(&x, "GET", "/text");
  assert_status(r, 200);
  assert_header(r, "Content-Type: text/plain; version=0.0.4\r\n");
  assert_string_equal(body_of(r), "hello\n");
  free(r);
  r = request(&x, "GET", "/text?debug=1"); /* a query string is ignored */
  assert_status(r, 200);
  free(r);
  r = request(&x, "HEAD", "/text");
  assert_status(r, 200);
  assert_string_equal(body_of(r), "");
  free(r);
  r = request(&x, "POST", "/text");
  assert_status(r, 405);
  assert_header(r, "Allow: GET, HEAD\r\n");
  free(r);
  r = request(&x, "DELETE", "/text");
  assert_status(r, 405);
  free(r);
  r = request(&x, "GET", "/nothing-here");
  assert_status(r, 404);
  free(r);
  r = request(&x, "POST", "/nothing-here"); /* no such path wins */
  assert_status(r, 404);
  free(r);
  r = request(&x, "GET", "/fail");
  assert_status(r, 500);
  assert_true(strstr(body_of(r), "internal error") != NULL);
  free(r);
  r = request(&x, "GET", "/unavailable");
  assert_status(r, 503);
  assert_header(r, "Content-Type: application/json\r\n");
  free(r);
  struct mb_http_stats st;
  mb_http_get_stats(x.http, &st);
  assert_int_equal(st.responses[MB_HTTP_CODE_200], 3);
  assert_int_equal(st.responses[MB_HTTP_CODE_405], 2);
  assert_int_equal(st.responses[MB_HTTP_CODE_404], 2);
  assert_int_equal(st.responses[MB_HTTP_CODE_500], 1);
  assert_int_equal(st.responses[MB_HTTP_CODE_503], 1);
  hx_fini(&x);
}

/* Handlers read the request's query arguments (decoded) and headers and
 * add headers of their own. */
static void request_seen_by_handler(void **state) {
  (void)state;
  struct hx x;
  hx_init(&x);
  hx_start(&x);
  char *r = request(&x, "GET", "/echo?q=a%20b&z=1");
  assert_status(r, 200);
  assert_header(r, "X-Echo: yes\r\n");
  assert_header(r, "Cache-Control: no-store\r\n");
  assert_string_equal(body_of(r), "q=a b host=test");
  free(r);
  r = request(&x, "GET", "/echo");
  assert_string_equal(body_of(r), "q=(none) host=test");
  free(r);
  r = request(&x, "GET", "/echo?q");
  assert_string_equal(body_of(r), "q= host=test");
  free(r);
  hx_fini(&x);
}

#define HALF_REQUEST "GET /text HTTP/1.1\r\nHost: test\r\n"

/* A client holding half a request blocks nobody, and is closed once it has
 * been silent for timeout_s. */
static void slow_loris(void **state) {
  (void)state;
  struct hx x;
  hx_init(&x);
  hx_start(&x);
  int loris = connect_to(&x);
  send_text(loris, HALF_REQUEST);
  for (int i = 0; i < 3; i++) {
    char *r = request(&x, "GET", "/text");
    assert_status(r, 200);
    free(r);
  }
  int64_t t0 = now_ms();
  char *r = read_to_eof(&x, loris); /* never answered: closed */
  assert_string_equal(r, "");
  assert_true(now_ms() - t0 < WAIT_MS);
  free(r);
  close(loris);
  hx_fini(&x);
}

/* Beyond the per-address share of the connections a client is turned away
 * at once; a slot held by a silent client frees after timeout_s. */
static void connection_limit(void **state) {
  (void)state;
  struct hx x;
  hx_init(&x);
  x.opt.max_connections = 4; /* two per address */
  hx_start(&x);
  int held[2];
  for (int i = 0; i < 2; i++) {
    held[i] = connect_to(&x);
    send_text(held[i], HALF_REQUEST);
  }
  int extra = connect_to(&x);
  send_text(extra,
            "GET /text HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  char *r = read_to_eof(&x, extra);
  assert_string_equal(r, ""); /* refused unanswered, never left hanging */
  free(r);
  close(extra);
  for (int i = 0; i < 2; i++) {
    r = read_to_eof(&x, held[i]);
    free(r);
    close(held[i]);
  }
  r = request(&x, "GET", "/text");
  assert_status(r, 200);
  free(r);
  hx_fini(&x);
}

static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  int n = 0;
  assert_non_null(d);
  while (readdir(d) != NULL)
    n++;
  closedir(d);
  return n;
}

/* Closing with a connection open releases every descriptor (the loop's
 * own included: it is closed too). */
static void close_releases_everything(void **state) {
  (void)state;
  struct hx x;
  int before = count_fds();
  hx_init(&x);
  hx_start(&x);
  int loris = connect_to(&x);
  send_text(loris, HALF_REQUEST);
  pump(&x, -1, 50);
  mb_http_close(x.http, on_closed, &x);
  x.http = NULL;
  char *r = read_to_eof(&x, loris);
  free(r);
  close(loris);
  hx_fini(&x);
  assert_int_equal(count_fds(), before);
}

static void bad_options(void **state) {
  (void)state;
  static const char *const bad[] = {
      "nonsense",       "127.0.0.1",      "127.0.0.1:", "127.0.0.1:99999",
      "127.0.0.1:-1",   "localhost:9100", "[::1:9100",  "::1:9100",
      "300.1.2.3:9100", ":9100",          "[::1]:12ab",
  };
  struct hx x;
  hx_init(&x);
  struct mb_http *h = NULL;
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    x.opt.listen = bad[i];
    if (mb_http_open(&h, &x.loop, &x.opt) != MB_EINVAL)
      fail_msg("listen \"%s\" was not refused as MB_EINVAL", bad[i]);
  }
  x.opt.listen = "127.0.0.1:0";
  x.opt.n_routes = 0;
  assert_rc(mb_http_open(&h, &x.loop, &x.opt), MB_EINVAL);
  x.opt.n_routes = 1;
  hx_start(&x); /* a taken port is named as such */
  char taken[32];
  snprintf(taken, sizeof(taken), "127.0.0.1:%u", mb_http_port(x.http));
  x.opt.listen = taken;
  assert_rc(mb_http_open(&h, &x.loop, &x.opt), -EADDRINUSE);
  x.opt.listen = "192.0.2.1:0"; /* TEST-NET-1: not an address of ours */
  assert_rc(mb_http_open(&h, &x.loop, &x.opt), -EADDRNOTAVAIL);
  hx_fini(&x);
}

static void ipv6(void **state) {
  (void)state;
  struct hx x;
  hx_init(&x);
  x.opt.listen = "[::1]:0";
  struct mb_http *h = NULL;
  int rc = mb_http_open(&h, &x.loop, &x.opt);
  if (rc == -EADDRNOTAVAIL || rc == -EAFNOSUPPORT) {
    assert_int_equal(uv_loop_close(&x.loop), 0);
    skip(); /* no IPv6 loopback here */
  }
  assert_ok(rc);
  x.http = h;
  struct sockaddr_in6 sa = {.sin6_family = AF_INET6,
                            .sin6_port = htons(mb_http_port(h)),
                            .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  send_text(fd, "GET /text HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  char *r = read_to_eof(&x, fd);
  assert_status(r, 200);
  free(r);
  close(fd);
  hx_fini(&x);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(routes_and_methods),
      cmocka_unit_test(request_seen_by_handler),
      cmocka_unit_test(slow_loris),
      cmocka_unit_test(connection_limit),
      cmocka_unit_test(close_releases_everything),
      cmocka_unit_test(bad_options),
      cmocka_unit_test(ipv6),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
