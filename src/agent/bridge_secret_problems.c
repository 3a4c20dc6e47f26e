/*
 * What is wrong with a secret's file, said the one way every reader of
 * the bridge's secrets says it: the setting, the file and the problem,
 * never the secret's bytes (bridge_secrets_internal.h).
 */
#include "bridge_secrets_internal.h"

#include <stdarg.h>
#include <stdio.h>

void secrets_problem(struct secrets_report *r, const char *fmt, ...) {
  char text[PATH_MAX + 256];
  int n = snprintf(text, sizeof(text), "%s: ", r->path);
  va_list ap;
  va_start(ap, fmt);
  if (n >= 0 && (size_t)n < sizeof(text))
    vsnprintf(text + n, sizeof(text) - (size_t)n, fmt, ap);
  va_end(ap);
  r->n++;
  if (r->fn != NULL)
    r->fn(r->ctx, r->key, text);
}

const char *secret_token_problem(const char *t, size_t n) {
  if (n == 0)
    return "the token is empty";
  if (n > AGENT_BRIDGE_TOKEN_MAX)
    return "the token is longer than 1024 bytes";
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)t[i] <= ' ' || t[i] == 0x7f)
      return "the token has white space or a control character in it";
  return NULL;
}
