/* Tables, sizes, durations and times as people read them. */
#include "cli_admin.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void cli_table_init(struct cli_table *t, size_t ncols) {
  memset(t, 0, sizeof(*t));
  t->ncols = ncols;
}

void cli_table_row(struct cli_table *t, const char *const *cells) {
  char **grown = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(char *));
  if (grown == NULL)
    return; /* out of memory: the row is left out */
  t->cells = grown;
  for (size_t i = 0; i < t->ncols; i++)
    grown[t->nrows * t->ncols + i] = strdup(cells[i] ? cells[i] : "-");
  t->nrows++;
}

/* Characters, not bytes: UTF-8 continuation bytes do not count. */
size_t cli_text_width(const char *s) {
  size_t w = 0;
  for (; s != NULL && *s != '\0'; s++)
    w += ((unsigned char)*s & 0xc0) != 0x80;
  return w;
}

void cli_table_print(const struct cli_table *t, FILE *f) {
  size_t *w = calloc(t->ncols, sizeof(size_t));
  if (w == NULL)
    return;
  for (size_t r = 0; r < t->nrows; r++)
    for (size_t c = 0; c < t->ncols; c++) {
      size_t cw = cli_text_width(t->cells[r * t->ncols + c]);
      w[c] = cw > w[c] ? cw : w[c];
    }
  for (size_t r = 0; r < t->nrows; r++) {
    for (size_t c = 0; c < t->ncols; c++) {
      const char *s = t->cells[r * t->ncols + c];
      fputs(s ? s : "", f);
      if (c + 1 < t->ncols)
        fprintf(f, "%*s", (int)(w[c] - cli_text_width(s) + 2), "");
    }
    fputc('\n', f);
  }
  free(w);
}

void cli_table_free(struct cli_table *t) {
  for (size_t i = 0; i < t->nrows * t->ncols; i++)
    free(t->cells[i]);
  free(t->cells);
  memset(t, 0, sizeof(*t));
}

void cli_print_pairs(const char *const (*rows)[2], size_t n) {
  struct cli_table t;
  cli_table_init(&t, 2);
  for (size_t i = 0; i < n; i++)
    cli_table_row(&t, rows[i]);
  cli_table_print(&t, stdout);
  cli_table_free(&t);
}

void cli_human_bytes(char *out, size_t cap, uint64_t n) {
  static const char *const unit[] = {"B",   "KiB", "MiB", "GiB",
                                     "TiB", "PiB", "EiB"};
  if (n < 1024) {
    snprintf(out, cap, "%llu B", (unsigned long long)n);
    return;
  }
  double v = (double)n;
  int u = 0;
  while (v >= 1024 && u < 6)
    v /= 1024, u++;
  snprintf(out, cap, "%.1f %s", v, unit[u]);
}

void cli_human_duration(char *out, size_t cap, int64_t s) {
  if (s < 0)
    s = 0;
  if (s < 60)
    snprintf(out, cap, "%llds", (long long)s);
  else if (s < 3600)
    snprintf(out, cap, "%lldm", (long long)(s / 60));
  else if (s < 86400)
    snprintf(out, cap, "%lldh %lldm", (long long)(s / 3600),
             (long long)(s / 60 % 60));
  else
    snprintf(out, cap, "%lldd %lldh", (long long)(s / 86400),
             (long long)(s / 3600 % 24));
}

void cli_short_time(char *out, size_t cap, const char *rfc3339) {
  int64_t ms;
  if (rfc3339 == NULL)
    snprintf(out, cap, "-");
  else if (mb_time_parse(rfc3339, &ms) != 0)
    snprintf(out, cap, "%s", rfc3339);
  else /* floor to whole seconds, also before 1970 */
    cli_format_time(out, cap, ms / 1000 - (ms % 1000 < 0));
}

void cli_age(char *out, size_t cap, const char *rfc3339) {
  int64_t ms;
  if (rfc3339 == NULL || mb_time_parse(rfc3339, &ms) != 0) {
    snprintf(out, cap, "%s", rfc3339 ? rfc3339 : "-");
    return;
  }
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  int64_t age = (int64_t)now.tv_sec - ms / 1000;
  if (age < 1) {
    snprintf(out, cap, "now");
    return;
  }
  char d[32];
  cli_human_duration(d, sizeof(d), age);
  snprintf(out, cap, "%s ago", d);
}
