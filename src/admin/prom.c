/*
 * Prometheus text exposition format 0.0.4: "# HELP", "# TYPE" and sample
 * lines.  Names are checked, not escaped (a bad name is a programming error
 * that should show up in tests); label values and help text are escaped as
 * the format says.
 */
#include "mb_admin.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mb_prom_init(struct mb_prom *p) {
  memset(p, 0, sizeof(*p));
}

void mb_prom_free(struct mb_prom *p) {
  free(p->buf);
  mb_prom_init(p);
}

int mb_prom_status(const struct mb_prom *p) {
  return p->err;
}

const char *mb_prom_text(const struct mb_prom *p) {
  return p->buf != NULL ? p->buf : "";
}

static bool reserve(struct mb_prom *p, size_t more) {
  if (p->err != 0)
    return false;
  if (p->len + more + 1 <= p->cap)
    return true;
  size_t cap = p->cap ? p->cap : 1024;
  while (cap < p->len + more + 1)
    cap *= 2;
  char *b = realloc(p->buf, cap);
  if (b == NULL) {
    p->err = -ENOMEM;
    return false;
  }
  p->buf = b;
  p->cap = cap;
  return true;
}

static void put(struct mb_prom *p, const char *s, size_t n) {
  if (!reserve(p, n))
    return;
  memcpy(p->buf + p->len, s, n);
  p->len += n;
  p->buf[p->len] = '\0';
}

static void puts_(struct mb_prom *p, const char *s) {
  put(p, s, strlen(s));
}

/* Escapes backslash and newline, plus the double quote when quoted. */
static void put_escaped(struct mb_prom *p, const char *s, bool quoted) {
  for (; *s != '\0'; s++) {
    if (*s == '\\')
      puts_(p, "\\\\");
    else if (*s == '\n')
      puts_(p, "\\n");
    else if (*s == '"' && quoted)
      puts_(p, "\\\"");
    else
      put(p, s, 1);
  }
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* for metrics; labels the same without ':'. */
static bool valid_name(const char *s, bool metric) {
  if (s == NULL || *s == '\0' || (*s >= '0' && *s <= '9'))
    return false;
  for (; *s != '\0'; s++) {
    char c = *s;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || (metric && c == ':');
    if (!ok)
      return false;
  }
  return true;
}

static bool check(struct mb_prom *p, bool ok) {
  if (!ok && p->err == 0)
    p->err = MB_EINVAL;
  return ok && p->err == 0;
}

void mb_prom_family(struct mb_prom *p, const char *name, const char *type,
                    const char *help) {
  if (!check(p, valid_name(name, true) && valid_name(type, false)))
    return;
  if (help != NULL) {
    puts_(p, "# HELP ");
    puts_(p, name);
    puts_(p, " ");
    put_escaped(p, help, false);
    puts_(p, "\n");
  }
  puts_(p, "# TYPE ");
  puts_(p, name);
  puts_(p, " ");
  puts_(p, type);
  puts_(p, "\n");
}

/* name{l1="v1",...} and the space before the value. */
static bool sample_head(struct mb_prom *p, const char *name,
                        const struct mb_prom_label *labels, size_t n) {
  bool ok = valid_name(name, true);
  for (size_t i = 0; i < n && ok; i++)
    ok = valid_name(labels[i].name, false) && labels[i].value != NULL;
  if (!check(p, ok))
    return false;
  puts_(p, name);
  for (size_t i = 0; i < n; i++) {
    puts_(p, i == 0 ? "{" : ",");
    puts_(p, labels[i].name);
    puts_(p, "=\"");
    put_escaped(p, labels[i].value, true);
    puts_(p, "\"");
  }
  puts_(p, n > 0 ? "} " : " ");
  return true;
}

void mb_prom_u64(struct mb_prom *p, const char *name,
                 const struct mb_prom_label *labels, size_t n_labels,
                 uint64_t v) {
  if (!sample_head(p, name, labels, n_labels))
    return;
  char num[24];
  snprintf(num, sizeof(num), "%llu\n", (unsigned long long)v);
  puts_(p, num);
}

void mb_prom_double(struct mb_prom *p, const char *name,
                    const struct mb_prom_label *labels, size_t n_labels,
                    double v) {
  if (!sample_head(p, name, labels, n_labels))
    return;
  char num[40];
  if (isnan(v))
    snprintf(num, sizeof(num), "NaN\n");
  else if (isinf(v))
    snprintf(num, sizeof(num), "%sInf\n", v > 0 ? "+" : "-");
  else
    snprintf(num, sizeof(num), "%.17g\n", v);
  puts_(p, num);
}
