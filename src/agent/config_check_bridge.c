/*
 * The bridge's settings judged as a start would: its URLs (libcurl's own
 * parser, the one that will send to them), what goes with what (Flynas
 * needs its tokens, webhooks their secret), the timeouts together, the
 * eligible names, and its files: the CA file readable, the secrets read
 * and parsed exactly as the bridge will read them (then wiped).  A secret
 * file others can read is worth a warning, not a refusal: under systemd
 * the file may rightly be the service group's (docs/operations.md).
 */
#include "agent_state.h"
#include "bridge_secrets.h"
#include "config_internal.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool http_scheme(const char *scheme) {
  return strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0;
}

/* What is wrong with a parsed URL, NULL when nothing.  Its text is never
 * quoted: a URL with credentials in it holds a secret. */
static const char *url_problem(CURLU *h, char *scheme_out, size_t cap) {
  char *scheme = NULL, *host = NULL, *user = NULL;
  const char *why = NULL;
  curl_url_get(h, CURLUPART_SCHEME, &scheme, 0);
  snprintf(scheme_out, cap, "%s", scheme ? scheme : "");
  if (scheme == NULL || !http_scheme(scheme))
    why = "is not an http:// or https:// URL";
  else if (curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
           host[0] == '\0')
    why = "has no host";
  else if (curl_url_get(h, CURLUPART_USER, &user, 0) == CURLUE_OK)
    why = "has credentials in it, which would be shown wherever the URL is: "
          "give the token in a file (the token_file settings)";
  curl_free(scheme);
  curl_free(host);
  curl_free(user);
  return why;
}

static void check_url(const struct mb_agent_config *c, const char *key,
                      const char *url, struct cfg_report *r) {
  if (url[0] == '\0')
    return;
  CURLU *h = curl_url();
  if (h == NULL) {
    cfg_report_add(r, c, key, "out of memory");
    return;
  }
  char scheme[32];
  CURLUcode rc = curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
  if (rc != CURLUE_OK) {
    cfg_report_add(r, c, key,
                   "is not a URL (%s): expected http://HOST[:PORT]/PATH or "
                   "https://...",
                   curl_url_strerror(rc));
  } else {
    const char *why = url_problem(h, scheme, sizeof(scheme));
    if (why != NULL && scheme[0] != '\0' && !http_scheme(scheme))
      cfg_report_add(r, c, key, "%s: the scheme is '%s'", why, scheme);
    else if (why != NULL)
      cfg_report_add(r, c, key, "%s", why);
  }
  curl_url_cleanup(h);
}

/* A destination and the file it cannot do without. */
static void check_needs(const struct mb_agent_config *c, const char *key,
                        const char *value, const char *needed_key,
                        const char *needed, const char *why,
                        struct cfg_report *r) {
  if (value[0] != '\0' && needed[0] == '\0')
    cfg_report_add(r, c, key, "is set but %s is not: %s", needed_key, why);
}

static void check_timeouts(const struct mb_agent_config *c,
                           struct cfg_report *r) {
  const struct mb_agent_bridge_config *b = &c->bridge;
  if (b->connect_timeout_ms > b->timeout_ms)
    cfg_report_add(r, c, "bridge.connect_timeout_ms",
                   "%u must not exceed bridge.timeout_ms (%u), the whole "
                   "request's",
                   b->connect_timeout_ms, b->timeout_ms);
}

/* Names as the members' certificates or settings give them. */
static void check_eligible(const struct mb_agent_config *c,
                           struct cfg_report *r) {
  for (size_t j = 0; j < c->bridge.n_eligible; j++) {
    const char *n = c->bridge.eligible[j];
    size_t len = strlen(n);
    if (len == 0 || !mb_text_ok(n, MB_NAME_MAX) || !cfg_printable(n))
      cfg_report_eligible(r, c, j,
                          "name %zu is not 1..%d bytes of printable UTF-8",
                          j + 1, MB_NAME_MAX);
    else if (n[0] == ' ' || n[len - 1] == ' ')
      cfg_report_eligible(r, c, j,
                          "'%s' begins or ends with a space: no node's name "
                          "does (a list is NAME,NAME without spaces)",
                          n);
  }
}

static void check_ca_file(const struct mb_agent_config *c,
                          struct cfg_report *r) {
  const char *path = c->bridge.ca_file;
  if (path[0] == '\0')
    return;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  struct stat st;
  if (fd < 0)
    cfg_report_add(r, c, "bridge.ca_file", "%s: cannot read it: %s", path,
                   strerror(errno));
  else if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    cfg_report_add(r, c, "bridge.ca_file", "%s: is not a regular file", path);
  if (fd >= 0)
    close(fd);
}

struct problem_ctx {
  const struct mb_agent_config *c;
  struct cfg_report *r;
};

static void secret_problem(void *ctx, const char *key, const char *problem) {
  struct problem_ctx *p = ctx;
  cfg_report_add(p->r, p->c, key, "%s", problem);
}

/* The secrets read and parsed as the bridge will, then wiped. */
static void check_secrets(const struct mb_agent_config *c,
                          struct cfg_report *r) {
  struct agent_bridge_secrets s;
  struct problem_ctx ctx = {c, r};
  if (agent_bridge_secrets_read(&c->bridge, &s, secret_problem, &ctx) == MB_OK)
    agent_bridge_secrets_wipe(&s);
}

static void warn_if_shared(const struct mb_agent_config *c, const char *key,
                           const char *path, struct agent_logger *log) {
  struct stat st;
  if (path[0] == '\0' || stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
      (st.st_mode & (S_IRGRP | S_IROTH)) == 0)
    return;
  char source[PATH_MAX + 16];
  mb_agent_config_source(c, key, source, sizeof(source));
  agent_log(log, MB_LOG_WARN,
            json_pack("{s:s, s:s}", "setting", key, "file", path),
            "%s (%s): %s is readable by group or others (mode %04o): a "
            "secret should be the agent's user's alone (chmod 600, or "
            "systemd's LoadCredential=)",
            key, source, path, (unsigned)(st.st_mode & 07777));
}

void cfg_check_bridge(const struct mb_agent_config *c, struct agent_logger *log,
                      struct cfg_report *r) {
  const struct mb_agent_bridge_config *b = &c->bridge;
  check_url(c, "bridge.endpoint", b->endpoint, r);
  check_url(c, "bridge.flynas.endpoint", b->flynas_endpoint, r);
  check_url(c, "bridge.webhook.url", b->webhook_url, r);
  check_needs(c, "bridge.flynas.endpoint", b->flynas_endpoint,
              "bridge.flynas.token_file", b->flynas_token_file,
              "Flynas knows each device by its token", r);
  check_needs(c, "bridge.webhook.url", b->webhook_url,
              "bridge.webhook.secret_file", b->webhook_secret_file,
              "webhooks are signed (Standard Webhooks)", r);
  check_timeouts(c, r);
  check_eligible(c, r);
  check_ca_file(c, r);
  check_secrets(c, r);
  if (log == NULL)
    return;
  warn_if_shared(c, "bridge.token_file", b->token_file, log);
  warn_if_shared(c, "bridge.flynas.token_file", b->flynas_token_file, log);
  warn_if_shared(c, "bridge.webhook.secret_file", b->webhook_secret_file, log);
}
