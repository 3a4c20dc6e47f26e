/*
 * The report the configuration's loading and checks write into: one line
 * per problem, "KEY (SOURCE): problem", so that every message says which
 * setting is wrong and where to fix it (the flag, the variable, FILE:LINE).
 */
#include "config_internal.h"

#include <stdio.h>
#include <string.h>

void cfg_report_init(struct cfg_report *r, char *buf, size_t cap) {
  *r = (struct cfg_report){.buf = buf, .cap = cap};
  if (cap > 0)
    buf[0] = '\0';
}

/* One line: "KEY (SOURCE): problem", or just the problem without a key. */
static void report_line(struct cfg_report *r, const char *key,
                        const char *source, const char *fmt, va_list ap) {
  r->n++;
  if (r->len + 1 >= r->cap)
    return;
  int n = snprintf(r->buf + r->len, r->cap - r->len, "%s", r->len ? "\n" : "");
  if (key != NULL && n >= 0 && r->len + (size_t)n < r->cap)
    n += snprintf(r->buf + r->len + n, r->cap - r->len - (size_t)n,
                  "%s (%s): ", key, source);
  if (n >= 0 && r->len + (size_t)n < r->cap)
    n += vsnprintf(r->buf + r->len + n, r->cap - r->len - (size_t)n, fmt, ap);
  r->len = n < 0                         ? r->len
           : r->len + (size_t)n < r->cap ? r->len + (size_t)n
                                         : r->cap - 1;
}

void cfg_report_raw(struct cfg_report *r, const char *key, const char *source,
                    const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report_line(r, key, source, fmt, ap);
  va_end(ap);
}

void cfg_report_add(struct cfg_report *r, const struct mb_agent_config *c,
                    const char *key, const char *fmt, ...) {
  char source[PATH_MAX + 16];
  mb_agent_config_source(c, key, source, sizeof(source));
  va_list ap;
  va_start(ap, fmt);
  report_line(r, key, source, fmt, ap);
  va_end(ap);
}

/* A line about item j of a list setting, naming where that item came
 * from (a file's list spans lines). */
static void report_item(struct cfg_report *r, const struct mb_agent_config *c,
                        const char *key, const struct mb_config_origin *o,
                        const char *fmt, va_list ap) {
  char source[PATH_MAX + 16];
  struct setting s = cfg_setting((size_t)cfg_setting_index(key));
  cfg_origin_text(c, o, &s, source, sizeof(source));
  report_line(r, key, source, fmt, ap);
}

void cfg_report_seed(struct cfg_report *r, const struct mb_agent_config *c,
                     size_t j, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report_item(r, c, "join", &c->join_origin[j], fmt, ap);
  va_end(ap);
}

void cfg_report_eligible(struct cfg_report *r, const struct mb_agent_config *c,
                         size_t j, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report_item(r, c, "bridge.eligible", &c->eligible_origin[j], fmt, ap);
  va_end(ap);
}

void cfg_report_listed(struct cfg_report *r, const struct mb_agent_config *c,
                       const char *key, size_t j, const char *fmt, ...) {
  struct setting s = cfg_setting((size_t)cfg_setting_index(key));
  struct cfg_list l = cfg_list_of((struct mb_agent_config *)c, &s);
  va_list ap;
  va_start(ap, fmt);
  report_item(r, c, key, &l.origin[j], fmt, ap);
  va_end(ap);
}
