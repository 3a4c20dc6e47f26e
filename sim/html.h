/*
 * The HTML report (--html FILE; docs/sim.md "The HTML report"): one
 * self-contained page, inline CSS and SVG, no script and no URL, drawn
 * from the run's own structures (the truth, the sampler, the RAID history)
 * and the expectations' verdicts.
 *
 * Files: html.c (the page, header, expectations, small print),
 * html_escape.c (text out of the run into HTML), html_axis.c (the shared
 * time axis), html_heatmap.c, html_cdf.c, html_traffic.c, html_raid.c.
 */
#ifndef MESHBEAT_SIM_HTML_H
#define MESHBEAT_SIM_HTML_H

#include "html_escape.h"
#include "results.h"
#include "sample.h"

#include <stdio.h>

/* Heatmap rows: one per node up to this many nodes; above, rows of
 * ceil(n / SIM_HTML_ROWS) consecutive nodes. */
#define SIM_HTML_ROWS 200

/* Writes the page to path.  failed: how many expectations failed (the
 * run's verdict); verdicts as sim_expect_all filled them (borrowed);
 * command: the command line, shown in the small print.  s must have been
 * run with sim_opts.sample.  0, or -1 with a message on stderr. */
int sim_html_write(const struct sim *s, const struct sim_results *r,
                   const json_t *verdicts, size_t failed, const char *command,
                   const char *path);

/* ---- shared by the html*.c files ------------------------------------------
 */

/* Geometry of the time charts, which share one x axis. */
#define HTML_X0 70.0      /* left margin: row labels, y ticks */
#define HTML_PLOT_W 980.0 /* width of the plot area */
#define HTML_SVG_W 1080.0

struct html {
  FILE *f;
  const struct sim *s;
  const struct sim_sample *p;
  uint64_t span; /* microseconds the x axis covers: cols * width */
};

/* x of virtual time t (microseconds). */
double html_x(const struct html *h, uint64_t t);
/* Ticks and labels in seconds along y = y0, and vertical grid lines up to
 * y_top. */
void html_time_axis(const struct html *h, double y_top, double y0);
/* A "nice" step (1, 2 or 5 times a power of ten) giving about `ticks`
 * intervals over [0, max]. */
double html_nice_step(double max, int ticks);
/* v with a k or M suffix from a thousand on ("1.5k", "2M"). */
void html_si(double v, char *buf, size_t cap);
/* The text JSON reports print for a time of us microseconds (jansson's
 * real), so a test can match the page's numbers to the report's. */
void html_seconds(uint64_t us, char *buf, size_t cap);

void html_heatmap(struct html *h);
void html_cdf(struct html *h);
void html_traffic(struct html *h);
void html_raid(struct html *h);

#endif
