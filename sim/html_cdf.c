/*
 * The detection-time CDF: for every failure (crash, leave, revoke) that
 * was detected, how long after it the first observer, and all of them,
 * held it dead or left -- the JSON report's failures[].first_detect and
 * all_detect, printed the way the report prints them (data-t), so each
 * point can be matched to the report's number.
 */
#include "html.h"

#include <stdlib.h>

#define W 640.0
#define H 260.0
#define X0 60.0
#define Y0 20.0

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Detection delays of one series (first or all), sorted; how many. */
static size_t delays(const struct sim *s, bool all, uint64_t *out) {
  size_t n = 0;
  for (size_t k = 0; k < s->truth.n_fail; k++) {
    const struct sim_failure *f = &s->truth.fail[k];
    uint64_t when = all ? f->all : f->first;
    if (when != SIM_NEVER)
      out[n++] = when - f->at;
  }
  qsort(out, n, sizeof(*out), cmp_u64);
  return n;
}

static double px(uint64_t us, double max_s) {
  return X0 + W * ((double)us / SCN_US_PER_S) / max_s;
}

static double py(size_t k, size_t n) {
  return Y0 + H - H * (double)k / n;
}

static void series(const struct html *h, const char *name, const uint64_t *v,
                   size_t n, double max_s) {
  fprintf(h->f, "<path class=\"cdf-%s\" d=\"M%.2f %.2f", name, X0, py(0, n));
  for (size_t k = 0; k < n; k++)
    fprintf(h->f, "H%.2fV%.2f", px(v[k], max_s), py(k + 1, n));
  fprintf(h->f, "H%.2f\"/>\n", X0 + W);
  for (size_t k = 0; k < n; k++) {
    char t[40];
    html_seconds(v[k], t, sizeof(t));
    fprintf(h->f,
            "<circle class=\"cdf-point cdf-%s\" data-series=\"%s\" "
            "data-t=\"%s\" cx=\"%.2f\" cy=\"%.2f\" r=\"3\"/>\n",
            name, name, t, px(v[k], max_s), py(k + 1, n));
  }
}

static void axes(const struct html *h, double max_s) {
  double step = html_nice_step(max_s, 8);
  fprintf(h->f, "<g class=\"axis\">");
  for (double t = 0; t <= max_s + 1e-9; t += step) {
    double x = X0 + W * t / max_s;
    fprintf(h->f,
            "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
            "y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\" "
            "text-anchor=\"middle\">%g</text>",
            x, Y0, x, Y0 + H + 4, x, Y0 + H + 16, t);
  }
  for (int q = 0; q <= 4; q++) {
    double y = Y0 + H - H * q / 4.0;
    fprintf(h->f,
            "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
            "y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\" "
            "text-anchor=\"end\">%d%%</text>",
            X0 - 4, y, X0 + W, y, X0 - 6, y + 4, q * 25);
  }
  fprintf(h->f,
          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">seconds "
          "after the failure</text></g>\n",
          X0 + W / 2, Y0 + H + 34);
}

void html_cdf(struct html *h) {
  const struct sim *s = h->s;
  size_t n = s->truth.n_fail;
  uint64_t *first = malloc((n ? n : 1) * sizeof(uint64_t));
  uint64_t *all = malloc((n ? n : 1) * sizeof(uint64_t));
  fprintf(h->f, "<section id=\"cdf\"><h2>Detection times</h2>\n");
  size_t nf = first ? delays(s, false, first) : 0;
  size_t na = all ? delays(s, true, all) : 0;
  if (nf == 0) {
    fprintf(h->f,
            "<p class=\"note\">No failure was detected (%zu "
            "failures).</p>\n",
            n);
  } else {
    uint64_t max = na ? all[na - 1] : first[nf - 1];
    double max_s = (double)(max > first[nf - 1] ? max : first[nf - 1]) /
                   SCN_US_PER_S * 1.05;
    max_s = max_s > 0 ? max_s : 1;
    fprintf(h->f, "<svg class=\"chart\" width=\"%.0f\" height=\"%.0f\">\n",
            X0 + W + 20, Y0 + H + 44);
    axes(h, max_s);
    series(h, "first", first, nf, max_s);
    if (na > 0)
      series(h, "all", all, na, max_s);
    fprintf(h->f,
            "</svg>\n<p class=\"legend\"><span class=\"sw first\"></span>"
            "first observer (%zu of %zu failures) <span class=\"sw "
            "all\"></span>all observers (%zu)</p>\n",
            nf, n, na);
  }
  fprintf(h->f, "</section>\n");
  free(first);
  free(all);
}
