/*
 * The time axis the heatmap, the traffic and the RAID charts share: the
 * same x for the same virtual instant in every picture, so a fault band
 * and the traffic it caused line up when read down the page.
 */
#include "html.h"

#include <math.h>
#include <stdlib.h>

double html_x(const struct html *h, uint64_t t) {
  return HTML_X0 + HTML_PLOT_W * ((double)t / (double)h->span);
}

double html_nice_step(double max, int ticks) {
  double raw = max / ticks;
  if (!(raw > 0))
    return 1;
  double p = pow(10, floor(log10(raw)));
  double m = raw / p;
  return p * (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10);
}

void html_time_axis(const struct html *h, double y_top, double y0) {
  double span_s = (double)h->span / SCN_US_PER_S;
  double step = html_nice_step(span_s, 10);
  fprintf(h->f, "<g class=\"axis\">");
  for (double t = 0; t <= span_s + 1e-9; t += step) {
    double x = html_x(h, (uint64_t)llround(t * SCN_US_PER_S));
    fprintf(h->f,
            "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
            "y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\" "
            "text-anchor=\"middle\">%g</text>",
            x, y_top, x, y0 + 4, x, y0 + 16, t);
  }
  fprintf(h->f,
          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">virtual "
          "time (s)</text></g>\n",
          HTML_X0 + HTML_PLOT_W / 2, y0 + 32);
}

void html_seconds(uint64_t us, char *buf, size_t cap) {
  json_t *v = sim_json_seconds(us);
  char *text = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
  snprintf(buf, cap, "%s", text ? text : "null");
  free(text);
  json_decref(v);
}

void html_si(double v, char *buf, size_t cap) {
  if (v >= 1e6)
    snprintf(buf, cap, "%gM", v / 1e6);
  else if (v >= 1e3)
    snprintf(buf, cap, "%gk", v / 1e3);
  else
    snprintf(buf, cap, "%g", v);
}
