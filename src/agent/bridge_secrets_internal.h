/*
 * What bridge_secrets.c's parts share: reading a secret's file (bounded,
 * wiped when let go) and Flynas' token file, line by line.
 */
#ifndef MESHBEAT_AGENT_BRIDGE_SECRETS_INTERNAL_H
#define MESHBEAT_AGENT_BRIDGE_SECRETS_INTERNAL_H

#include "bridge_secrets.h"

/* Devices in Flynas' token file: far more than a mesh has members. */
#define AGENT_BRIDGE_FLYNAS_MAX 4096

/* One problem, said by the part that found it: fn(ctx, key, problem). */
struct secrets_report {
  agent_bridge_problem_fn fn;
  void *ctx;
  const char *key;  /* the setting: "bridge.flynas.token_file" */
  const char *path; /* its file, named first in every problem */
  unsigned n;
};
__attribute__((format(printf, 2, 3))) void
secrets_problem(struct secrets_report *r, const char *fmt, ...);

/* bridge_secret_file.c: path's bytes (a regular file of at most max
 * bytes, no NUL in it) into a malloc'd NUL-terminated *text of *len bytes;
 * 0, or a problem said to r and MB_EINVAL.  Let go of it with
 * secret_text_free, which zeroes it first. */
int secret_file_read(struct secrets_report *r, size_t max, char **text,
                     size_t *len);
void secret_text_free(char *text, size_t len);

/* bridge_secrets.c: why t[0..n) is not a token (1..1024 bytes, no white
 * space or control character), NULL when it is one.  Never quotes it. */
const char *secret_token_problem(const char *t, size_t n);

/* bridge_flynas_tokens.c: Flynas' token file's text into out->flynas
 * (malloc'd); problems (by line, never quoting it) to r. */
int secrets_flynas_parse(struct secrets_report *r, const char *text,
                         struct agent_bridge_secrets *out);

#endif
