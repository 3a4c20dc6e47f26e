/*
 * Flynas' token file: one `DEVICE-NAME TOKEN` a line, `#` comments and
 * blank lines between.  Flynas knows a device by its token, so each
 * device the bridge posts for needs its own; a device named twice would
 * make which token is used depend on the file's order, so it is refused.
 * A problem names the line, never what is on it: a line that does not
 * parse may well be a token alone.
 */
#include "bridge_secrets_internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Problems told one by one, then only how many more: a wrong file (a
 * binary, a key) must not flood the log. */
#define LINES_TOLD 8

static bool blank(char c) {
  return c == ' ' || c == '\t';
}

/* The next field of line [p, end): its start and length; p moves past it
 * and the blanks after it. */
static const char *field(const char **p, const char *end, size_t *n) {
  const char *start = *p, *q = *p;
  while (q < end && !blank(*q))
    q++;
  *n = (size_t)(q - start);
  while (q < end && blank(*q))
    q++;
  *p = q;
  return start;
}

static bool name_ok(const char *name, size_t n) {
  char buf[MB_NAME_MAX + 1];
  if (n == 0 || n > MB_NAME_MAX)
    return false;
  memcpy(buf, name, n);
  buf[n] = '\0';
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
      return false;
  return mb_text_ok(buf, MB_NAME_MAX);
}

/* Why line [p, end) is not `NAME TOKEN` (NULL: it is; *skip: a comment or
 * blank); the entry into e. */
static const char *parse_line(const char *p, const char *end, bool *skip,
                              struct agent_bridge_token *e) {
  while (p < end && blank(*p))
    p++;
  *skip = p == end || *p == '#';
  if (*skip)
    return NULL;
  if (memchr(p, '\r', (size_t)(end - p)) != NULL)
    return "has a carriage return (save the file with Unix line ends)";
  size_t nn, nt;
  const char *name = field(&p, end, &nn);
  const char *token = field(&p, end, &nt);
  if (nt == 0 || p != end)
    return "is not DEVICE-NAME TOKEN";
  if (!name_ok(name, nn))
    return "the device name is not 1..63 bytes of printable UTF-8";
  const char *why = secret_token_problem(token, nt);
  if (why != NULL)
    return why;
  memcpy(e->name, name, nn);
  e->name[nn] = '\0';
  memcpy(e->token, token, nt);
  e->token[nt] = '\0';
  return NULL;
}

/* The lines that hold an entry (or would): the array's size. */
static size_t count_entries(const char *text) {
  size_t n = 0;
  for (const char *p = text; *p;) {
    const char *end = strchr(p, '\n');
    end = end ? end : p + strlen(p);
    while (p < end && blank(*p))
      p++;
    n += p < end && *p != '#';
    p = *end ? end + 1 : end;
  }
  return n;
}

/* The line of an earlier entry with the same name, or 0. */
static unsigned named_before(const struct agent_bridge_secrets *out,
                             const unsigned *lines, const char *name) {
  for (size_t i = 0; i < out->n_flynas; i++)
    if (strcmp(out->flynas[i].name, name) == 0)
      return lines[i];
  return 0;
}

static void line_problem(struct secrets_report *r, unsigned *bad, unsigned line,
                         const char *why, unsigned first) {
  if (++*bad > LINES_TOLD)
    return;
  if (first)
    secrets_problem(r, "line %u names the same device as line %u", line, first);
  else
    secrets_problem(r, "line %u: %s", line, why);
}

int secrets_flynas_parse(struct secrets_report *r, const char *text,
                         struct agent_bridge_secrets *out) {
  size_t cap = count_entries(text);
  if (cap > AGENT_BRIDGE_FLYNAS_MAX) {
    secrets_problem(r, "names more than %d devices", AGENT_BRIDGE_FLYNAS_MAX);
    return MB_EINVAL;
  }
  out->flynas = calloc(cap ? cap : 1, sizeof(*out->flynas));
  unsigned *lines = calloc(cap ? cap : 1, sizeof(*lines));
  if (out->flynas == NULL || lines == NULL) {
    free(lines);
    secrets_problem(r, "out of memory");
    return MB_EINVAL;
  }
  unsigned line = 0, bad = 0;
  for (const char *p = text; *p;) {
    const char *end = strchr(p, '\n');
    end = end ? end : p + strlen(p);
    line++;
    bool skip;
    struct agent_bridge_token *e = &out->flynas[out->n_flynas];
    const char *why = parse_line(p, end, &skip, e);
    unsigned first = why || skip ? 0 : named_before(out, lines, e->name);
    if (why != NULL || first != 0) {
      line_problem(r, &bad, line, why, first);
      sodium_memzero(e, sizeof(*e));
    } else if (!skip) {
      lines[out->n_flynas++] = line;
    }
    p = *end ? end + 1 : end;
  }
  /* a file of comments alone is a mistake: Flynas would get nothing */
  if (bad == 0 && out->n_flynas == 0) {
    secrets_problem(r, "names no device (lines DEVICE-NAME TOKEN)");
    bad = 1;
  }
  if (bad > LINES_TOLD)
    secrets_problem(r, "and %u more lines like those", bad - LINES_TOLD);
  free(lines);
  return bad ? MB_EINVAL : MB_OK;
}
