/*
 * Traffic over time: bytes and datagrams sent per node per second, mean and
 * maximum over the nodes up at the end of each time bucket (the sampler's
 * deltas of the nodes' own counters), on the heatmap's time axis.
 */
#include "html.h"

#define H 160.0
#define Y0 10.0

static double value(const struct sim_traffic *t, bool dgrams, bool max) {
  return dgrams ? (max ? t->dgrams_max : t->dgrams_mean)
                : (max ? t->bytes_max : t->bytes_mean);
}

static void line(const struct html *h, bool dgrams, bool max, double top) {
  const struct sim_sample *p = h->p;
  fprintf(h->f, "<polyline class=\"%s\" points=\"", max ? "max" : "mean");
  for (uint32_t c = 0; c < p->cols; c++) {
    double x = html_x(h, (uint64_t)c * p->width + p->width / 2);
    double y = Y0 + H - H * value(&p->traffic[c], dgrams, max) / top;
    fprintf(h->f, "%s%.2f,%.2f", c ? " " : "", x, y);
  }
  fprintf(h->f, "\"/>\n");
}

static void y_axis(const struct html *h, double top, double step) {
  fprintf(h->f, "<g class=\"axis\">");
  for (double v = 0; v <= top + 1e-9; v += step) {
    double y = Y0 + H - H * v / top;
    char label[24];
    html_si(v, label, sizeof(label));
    fprintf(h->f,
            "<line class=\"grid\" x1=\"%.1f\" y1=\"%.2f\" x2=\"%.1f\" "
            "y2=\"%.2f\"/><text x=\"%.1f\" y=\"%.2f\" "
            "text-anchor=\"end\">%s</text>",
            HTML_X0 - 4, y, HTML_X0 + HTML_PLOT_W, y, HTML_X0 - 6, y + 4,
            label);
  }
  fprintf(h->f, "</g>\n");
}

static void chart(const struct html *h, bool dgrams) {
  const struct sim_sample *p = h->p;
  double peak = 0;
  for (uint32_t c = 0; c < p->cols; c++)
    if (value(&p->traffic[c], dgrams, true) > peak)
      peak = value(&p->traffic[c], dgrams, true);
  double step = html_nice_step(peak > 0 ? peak : 1, 4);
  double top = step * 4;
  while (top - step >= peak && top > step)
    top -= step;
  fprintf(h->f,
          "<h3>%s per node per second</h3>\n<svg class=\"chart traffic\" "
          "id=\"traffic-%s\" width=\"%.0f\" height=\"%.0f\">\n",
          dgrams ? "Datagrams" : "Bytes", dgrams ? "dgrams" : "bytes",
          HTML_SVG_W, Y0 + H + 40);
  y_axis(h, top, step);
  html_time_axis(h, Y0 + H, Y0 + H);
  line(h, dgrams, true, top);
  line(h, dgrams, false, top);
  fprintf(h->f, "</svg>\n");
}

void html_traffic(struct html *h) {
  fprintf(h->f, "<section id=\"traffic\"><h2>Traffic</h2>\n");
  chart(h, false);
  chart(h, true);
  fprintf(h->f,
          "<p class=\"legend\"><span class=\"sw mean\"></span>mean over the "
          "nodes up <span class=\"sw max\"></span>busiest node; sent, per "
          "time bucket of %g s</p>\n</section>\n",
          (double)h->p->width / SCN_US_PER_S);
}
