/*
 * The bridge's secrets from their files (bridge_secrets.h): the view's
 * token, Flynas' tokens (bridge_flynas_tokens.c), the webhook secrets
 * (mb_webhook_secrets_parse).  Every file is read whole within a bound
 * (bridge_secret_file.c) and zeroed once parsed; a load that fails leaves
 * nothing behind.
 */
#include "bridge_secrets_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A token and its newline, with room to tell one too long. */
#define TOKEN_FILE_MAX (AGENT_BRIDGE_TOKEN_MAX + 64)
/* Lines of a name and a token for every device there may be. */
#define FLYNAS_FILE_MAX (4u << 20)
/* Eight secrets of 64-byte keys are under 800 bytes. */
#define WEBHOOK_FILE_MAX 4096

static int load_token(struct secrets_report *r, char *out) {
  char *text;
  size_t len;
  if (secret_file_read(r, TOKEN_FILE_MAX, &text, &len) != MB_OK)
    return MB_EINVAL;
  size_t n = len > 0 && text[len - 1] == '\n' ? len - 1 : len;
  const char *why = memchr(text, '\n', n) != NULL
                        ? "holds more than one line: a token file is one"
                        : secret_token_problem(text, n);
  if (why != NULL)
    secrets_problem(r, "%s", why);
  else
    memcpy(out, text, n + 1), out[n] = '\0';
  secret_text_free(text, len);
  return why ? MB_EINVAL : MB_OK;
}

static int load_flynas(struct secrets_report *r,
                       struct agent_bridge_secrets *out) {
  char *text;
  size_t len;
  if (secret_file_read(r, FLYNAS_FILE_MAX, &text, &len) != MB_OK)
    return MB_EINVAL;
  int rc = secrets_flynas_parse(r, text, out);
  secret_text_free(text, len);
  return rc;
}

static int load_webhook(struct secrets_report *r,
                        struct agent_bridge_secrets *out) {
  char *text;
  size_t len;
  if (secret_file_read(r, WEBHOOK_FILE_MAX, &text, &len) != MB_OK)
    return MB_EINVAL;
  int n = mb_webhook_secrets_parse(text, out->webhook, MB_WEBHOOK_MAX_SECRETS);
  secret_text_free(text, len);
  if (n == MB_ERANGE)
    secrets_problem(r, "a secret's key is not %d..%d bytes",
                    MB_WEBHOOK_SECRET_MIN, MB_WEBHOOK_SECRET_MAX);
  else if (n == MB_ETOOBIG)
    secrets_problem(r, "holds more than %d secrets", MB_WEBHOOK_MAX_SECRETS);
  else if (n < 0)
    secrets_problem(r, "is not one or more whsec_<base64> secrets separated "
                       "by white space");
  if (n < 0)
    return MB_EINVAL;
  out->n_webhook = (size_t)n;
  return MB_OK;
}

int agent_bridge_secrets_read(const struct mb_agent_bridge_config *c,
                              struct agent_bridge_secrets *out,
                              agent_bridge_problem_fn fn, void *ctx) {
  memset(out, 0, sizeof(*out));
  struct secrets_report r = {.fn = fn, .ctx = ctx};
  if (c->token_file[0] != '\0') {
    r.key = "bridge.token_file", r.path = c->token_file;
    load_token(&r, out->token);
  }
  if (c->flynas_token_file[0] != '\0') {
    r.key = "bridge.flynas.token_file", r.path = c->flynas_token_file;
    load_flynas(&r, out);
  }
  if (c->webhook_secret_file[0] != '\0') {
    r.key = "bridge.webhook.secret_file", r.path = c->webhook_secret_file;
    load_webhook(&r, out);
  }
  if (r.n == 0)
    return MB_OK;
  agent_bridge_secrets_wipe(out);
  return MB_EINVAL;
}

/* Lines "KEY: problem" into a caller's buffer, while they fit. */
struct err_text {
  char *buf;
  size_t cap, len;
};

static void add_line(void *ctx, const char *key, const char *problem) {
  struct err_text *e = ctx;
  if (e->cap == 0 || e->len + 1 >= e->cap)
    return;
  int n = snprintf(e->buf + e->len, e->cap - e->len, "%s%s: %s",
                   e->len ? "\n" : "", key, problem);
  e->len = n < 0                         ? e->len
           : e->len + (size_t)n < e->cap ? e->len + (size_t)n
                                         : e->cap - 1;
}

int agent_bridge_secrets_load(const struct mb_agent_bridge_config *c,
                              struct agent_bridge_secrets *out, char *err,
                              size_t cap) {
  struct err_text e = {.buf = err, .cap = cap};
  if (cap > 0)
    err[0] = '\0';
  return agent_bridge_secrets_read(c, out, add_line, &e);
}

void agent_bridge_secrets_wipe(struct agent_bridge_secrets *s) {
  if (s->flynas != NULL) {
    sodium_memzero(s->flynas, s->n_flynas * sizeof(*s->flynas));
    free(s->flynas);
  }
  sodium_memzero(s, sizeof(*s));
}

const char *agent_bridge_flynas_token(const struct agent_bridge_secrets *s,
                                      const char *name) {
  for (size_t i = 0; i < s->n_flynas; i++)
    if (strcmp(s->flynas[i].name, name) == 0)
      return s->flynas[i].token;
  return NULL;
}
