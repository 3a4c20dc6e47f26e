/*
 * Commands the agent prints for the operator to run (first start, renewal)
 * carry names and domains as given: each goes in as one shell word.
 */
#include "agent_state.h"

#include <stdio.h>
#include <string.h>

/* A word the shell reads back as is: quoted when it needs to be. */
void agent_shell_word(char *out, size_t cap, const char *s) {
  if (s[0] != '\0' &&
      strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                "0123456789-_./:+@%,=") == strlen(s)) {
    snprintf(out, cap, "%s", s);
    return;
  }
  size_t n = 0;
  out[n++] = '\'';
  for (; *s && n + 5 < cap; s++)
    if (*s == '\'')
      n += (size_t)snprintf(out + n, cap - n, "'\\''");
    else
      out[n++] = *s;
  out[n++] = '\'';
  out[n] = '\0';
}
