/*
 * Seeds given by host name ("nas2.lan:7946"): resolved in libuv's thread
 * pool (uv_getaddrinfo), never on the loop, in the bound address family;
 * the addresses found are added to the join (swim_join_add), beside the
 * numeric seeds and the names resolved before.  A name that does not resolve
 * (DNS not up yet at boot, a typo) is retried with a doubling delay, each
 * failure logged at warn, each resolution at debug.  The syntax was
 * checked with the configuration: a bad seed never gets here.
 */
#include "agent_state.h"

#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define RETRY_FIRST_MS 1000
#define RETRY_MAX_MS 60000
#define ADDRS_PER_SEED 8

static void resolve(struct agent_seed *s);

static void on_retry(uv_timer_t *t) {
  resolve(t->data);
}

static size_t collect(const struct addrinfo *res, struct mb_addr *out,
                      char *text, size_t cap) {
  size_t n = 0;
  text[0] = '\0';
  for (const struct addrinfo *i = res; i != NULL && n < ADDRS_PER_SEED;
       i = i->ai_next) {
    struct mb_addr *m = &out[n];
    memset(m, 0, sizeof(*m));
    if (i->ai_family == AF_INET) {
      const struct sockaddr_in *s4 = (const void *)i->ai_addr;
      m->family = 4;
      m->port = ntohs(s4->sin_port);
      memcpy(m->ip, &s4->sin_addr, 4);
    } else if (i->ai_family == AF_INET6) {
      const struct sockaddr_in6 *s6 = (const void *)i->ai_addr;
      m->family = 6;
      m->port = ntohs(s6->sin6_port);
      memcpy(m->ip, &s6->sin6_addr, 16);
    } else {
      continue;
    }
    char one[MB_ADDR_TEXT_MAX];
    mb_addr_format(one, sizeof(one), m);
    snprintf(text + strlen(text), cap - strlen(text), "%s%s", n ? ", " : "",
             one);
    n++;
  }
  return n;
}

static void retry_later(struct agent_seed *s, const char *why) {
  uint64_t delay = RETRY_FIRST_MS;
  for (unsigned i = 0; i < s->failures && delay < RETRY_MAX_MS; i++)
    delay *= 2;
  if (delay > RETRY_MAX_MS)
    delay = RETRY_MAX_MS;
  s->failures++;
  agent_log(s->a->log, MB_LOG_WARN,
            json_pack("{s:s, s:s, s:I}", "seed", s->text, "error", why,
                      "retry_ms", (json_int_t)delay),
            "seed %s does not resolve: %s; retrying in %.0f s", s->text, why,
            (double)delay / 1000.0);
  uv_timer_start(&s->retry, on_retry, delay, 0);
}

static void on_resolved(uv_getaddrinfo_t *req, int status,
                        struct addrinfo *res) {
  struct agent_seed *s = req->data;
  struct agent *a = s->a;
  s->resolving = false;
  if (status == UV_ECANCELED || a->stopping) {
    uv_freeaddrinfo(res);
    return;
  }
  struct mb_addr addrs[ADDRS_PER_SEED];
  char text[ADDRS_PER_SEED * MB_ADDR_TEXT_MAX];
  size_t n = status == 0 ? collect(res, addrs, text, sizeof(text)) : 0;
  uv_freeaddrinfo(res);
  if (n == 0) {
    retry_later(s, status != 0 ? uv_strerror(status)
                               : "no address of the bound family");
    return;
  }
  agent_log(a->log, MB_LOG_DEBUG,
            json_pack("{s:s, s:s}", "seed", s->text, "addrs", text),
            "seed %s resolved to %s", s->text, text);
  s->failures = 0;
  /* added to the join, not replacing it: the numeric seeds and the names
   * resolved before are still asked */
  swim_join_add(a->swim, agent_now(a), addrs, n);
  agent_join_started(a);
  agent_flush(a);
}

static void resolve(struct agent_seed *s) {
  struct agent *a = s->a;
  struct mb_addr bind;
  struct addrinfo hints = {.ai_socktype = SOCK_DGRAM,
                           .ai_flags = AI_NUMERICSERV};
  hints.ai_family =
      mb_addr_parse(a->cfg->bind, &bind) == MB_OK && bind.family == 6 ? AF_INET6
                                                                      : AF_INET;
  s->req.data = s;
  int rc =
      uv_getaddrinfo(&a->loop, &s->req, on_resolved, s->host, s->port, &hints);
  if (rc != 0)
    retry_later(s, uv_strerror(rc));
  else
    s->resolving = true;
}

void agent_seed_resolve(struct agent *a, const char *seed) {
  const char *colon = strrchr(seed, ':');
  if (colon == NULL || a->n_seeds == MB_AGENT_MAX_JOIN)
    return; /* the configuration's checks refuse these */
  struct agent_seed *s = &a->seeds[a->n_seeds++];
  memset(s, 0, sizeof(*s));
  s->a = a;
  snprintf(s->text, sizeof(s->text), "%s", seed);
  snprintf(s->host, sizeof(s->host), "%.*s", (int)(colon - seed), seed);
  snprintf(s->port, sizeof(s->port), "%s", colon + 1);
  uv_timer_init(&a->loop, &s->retry);
  s->retry.data = s;
  resolve(s);
}

void agent_seeds_stop(struct agent *a) {
  for (size_t i = 0; i < a->n_seeds; i++) {
    uv_timer_stop(&a->seeds[i].retry);
    if (a->seeds[i].resolving)
      uv_cancel((uv_req_t *)&a->seeds[i].req);
  }
}
