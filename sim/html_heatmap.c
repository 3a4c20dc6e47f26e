/*
 * The member-state heatmap: one row per node (or per bucket of consecutive
 * nodes above SIM_HTML_ROWS nodes), one column per time bucket, each cell
 * the worst class the mesh held of the row's nodes during the bucket
 * (sample.h), runs of one colour drawn as one rectangle.  Over it: crash
 * and freeze bars on the rows, network faults as bands over the time axis,
 * false suspicions and deaths as marks where they happened.
 */
#include "html.h"

#include <stdlib.h>
#include <string.h>

#define TOP 36.0 /* room for the bands' labels, a line per kind */

struct grid {
  uint32_t rows, per_row; /* nodes per row */
  double row_h, cell_w;
};

static struct grid grid_of(const struct html *h) {
  struct grid g;
  uint32_t n = h->s->n;
  g.per_row = n <= SIM_HTML_ROWS ? 1 : (n + SIM_HTML_ROWS - 1) / SIM_HTML_ROWS;
  g.rows = (n + g.per_row - 1) / g.per_row;
  g.row_h = 600.0 / g.rows;
  g.row_h = g.row_h > 14 ? 14 : g.row_h < 3 ? 3 : g.row_h;
  g.cell_w = HTML_PLOT_W / h->p->cols;
  return g;
}

/* The row's cell in column c: worst class and any flag of its nodes. */
static uint8_t row_cell(const struct html *h, uint32_t first, uint32_t last,
                        uint32_t c) {
  const uint8_t *col = &h->p->cells[(size_t)c * h->s->n];
  uint8_t cls = 0, flags = 0;
  for (uint32_t i = first; i <= last; i++) {
    uint8_t v = col[i];
    if ((v & SIM_CELL_CLASS) > cls)
      cls = v & SIM_CELL_CLASS;
    flags |= v & (uint8_t)~SIM_CELL_CLASS;
  }
  return (uint8_t)(cls | flags);
}

/* Runs of equal (v & mask) != 0 or equal class, as rectangles. */
static void runs(const struct html *h, const struct grid *g,
                 const uint8_t *cells, double y, uint8_t flag,
                 const char *cls) {
  uint32_t cols = h->p->cols;
  for (uint32_t c = 0; c < cols;) {
    uint8_t key =
        flag ? (uint8_t)(cells[c] & flag) : (cells[c] & SIM_CELL_CLASS);
    uint32_t end = c + 1;
    while (end < cols && (flag ? (uint8_t)(cells[end] & flag)
                               : (cells[end] & SIM_CELL_CLASS)) == key)
      end++;
    double x = HTML_X0 + c * g->cell_w, w = (end - c) * g->cell_w;
    if (!flag)
      fprintf(h->f,
              "<rect class=\"c%u\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
              "height=\"%.2f\"/>",
              key, x, y, w, g->row_h);
    else if (key)
      fprintf(h->f,
              "<rect class=\"%s\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
              "height=\"%.2f\"/>",
              cls, x, y + g->row_h * 0.3, w, g->row_h * 0.4);
    c = end;
  }
}

static void row_label(const struct html *h, const struct grid *g, uint32_t r,
                      uint32_t first, uint32_t last, double y) {
  uint32_t every = g->row_h >= 11 ? 1 : (uint32_t)(11 / g->row_h) + 1;
  if (r % every != 0)
    return;
  fprintf(h->f, "<text class=\"rl\" x=\"%.1f\" y=\"%.2f\">", HTML_X0 - 4,
          y + g->row_h / 2 + 3);
  if (first == last)
    fprintf(h->f, "%u</text>", first);
  else
    fprintf(h->f, "%u-%u</text>", first, last);
}

static void rows(const struct html *h, const struct grid *g) {
  uint8_t *cells = malloc(h->p->cols);
  if (cells == NULL)
    return;
  for (uint32_t r = 0; r < g->rows; r++) {
    uint32_t first = r * g->per_row, last = first + g->per_row - 1;
    if (last >= h->s->n)
      last = h->s->n - 1;
    double y = TOP + r * g->row_h;
    for (uint32_t c = 0; c < h->p->cols; c++)
      cells[c] = row_cell(h, first, last, c);
    fprintf(h->f, "<g class=\"hm-row\" data-first=\"%u\" data-last=\"%u\">",
            first, last);
    runs(h, g, cells, y, 0, NULL);
    runs(h, g, cells, y, SIM_CELL_DOWN, "down");
    runs(h, g, cells, y, SIM_CELL_FROZEN, "frozen");
    row_label(h, g, r, first, last, y);
    fprintf(h->f, "</g>\n");
  }
  free(cells);
}

static const char *band_name(enum sim_band_kind k) {
  return k == SIM_BAND_PARTITION ? "partition"
         : k == SIM_BAND_LINKS   ? "link rules"
                                 : "loss";
}

/* Labels are placed above the map, one line per kind, and left out where
 * the previous band's label of the kind would be overwritten (a band every
 * few seconds is one fact; its title still names each). */
#define LABEL_W 60.0

static void bands(const struct html *h, const struct grid *g) {
  double bottom = TOP + g->rows * g->row_h;
  double free_from[SIM_BAND_KINDS] = {0};
  for (size_t k = 0; k < h->p->n_bands; k++) {
    const struct sim_band *b = &h->p->bands[k];
    double x0 = html_x(h, b->from), x1 = html_x(h, b->to);
    char what[40];
    if (b->kind == SIM_BAND_LOSS)
      snprintf(what, sizeof(what), "loss %g%%", b->loss * 100);
    else
      snprintf(what, sizeof(what), "%s", band_name(b->kind));
    fprintf(h->f,
            "<g class=\"band band-%d\" data-from=\"%.6f\" data-to=\"%.6f\">"
            "<title>%s from %.3f s to %.3f s</title>"
            "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"/>",
            (int)b->kind, (double)b->from / SCN_US_PER_S,
            (double)b->to / SCN_US_PER_S, what, (double)b->from / SCN_US_PER_S,
            (double)b->to / SCN_US_PER_S, x0, TOP - 4,
            x1 - x0 > 1 ? x1 - x0 : 1, bottom - TOP + 4);
    if (x0 >= free_from[b->kind]) {
      fprintf(h->f, "<text x=\"%.2f\" y=\"%.2f\">%s</text>", x0 + 2,
              TOP - 6 - 9 * (double)b->kind, what);
      free_from[b->kind] = x0 + LABEL_W;
    }
    fprintf(h->f, "</g>\n");
  }
}

/* One mark per (column, row, kind): thousands of false events in one cell
 * are one fact on the picture; the JSON report has the counts. */
static void marks(const struct html *h, const struct grid *g) {
  const struct sim_sample *p = h->p;
  size_t cells = (size_t)p->cols * g->rows * 2;
  uint8_t *seen = calloc(cells, 1);
  if (seen == NULL)
    return;
  fprintf(h->f, "<g class=\"marks\">");
  for (size_t k = 0; k < p->n_marks; k++) {
    const struct sim_mark *m = &p->marks[k];
    uint32_t c = (uint32_t)(m->t / p->width), r = m->subject / g->per_row;
    bool death = m->to == SWIM_DEAD;
    size_t at =
        ((size_t)(c < p->cols ? c : p->cols - 1) * g->rows + r) * 2 + death;
    if (seen[at]++)
      continue;
    double x = html_x(h, m->t), y = TOP + (r + 0.5) * g->row_h;
    double d = g->row_h < 8 ? 4 : g->row_h / 2;
    if (death)
      fprintf(h->f,
              "<path class=\"mark-fd\" data-subject=\"%u\" d=\"M%.2f %.2fl%.2f "
              "%.2fm0 %.2fl%.2f %.2f\"/>",
              m->subject, x - d, y - d, 2 * d, 2 * d, -2 * d, -2 * d, 2 * d);
    else
      fprintf(h->f,
              "<path class=\"mark-fs\" data-subject=\"%u\" d=\"M%.2f "
              "%.2fl%.2f %.2fh%.2fz\"/>",
              m->subject, x, y - d, d, 2 * d, -2 * d);
  }
  fprintf(h->f, "</g>\n");
  free(seen);
}

static void legend(const struct html *h, const struct grid *g) {
  fprintf(h->f,
          "<p class=\"legend\"><span class=\"sw c0\"></span>unknown "
          "<span class=\"sw c1\"></span>alive <span class=\"sw c2\"></span>"
          "suspect <span class=\"sw c3\"></span>left <span class=\"sw "
          "c4\"></span>dead &nbsp; <span class=\"sw down\"></span>down "
          "(crashed) <span class=\"sw frozen\"></span>frozen &nbsp; "
          "&#9651; false suspicion &#10005; false death</p>\n"
          "<p class=\"note\">A cell is the worst state that at least 1/%d of "
          "the observers up at the time and knowing the row's node held of it "
          "during the bucket (dead, left, suspect, alive, in that order; "
          "unknown when nobody up knows it)",
          SIM_SAMPLE_SHARE);
  if (g->per_row > 1)
    fprintf(h->f,
            "; each row is %u consecutive nodes and shows the worst of them",
            g->per_row);
  fprintf(h->f, ". %u rows of %u node%s, %u columns of %g s.", g->rows,
          g->per_row, g->per_row > 1 ? "s" : "", h->p->cols,
          (double)h->p->width / SCN_US_PER_S);
  if (h->p->marks_dropped)
    fprintf(h->f, " Only the first %zu false events are marked.",
            h->p->n_marks);
  fprintf(h->f, "</p>\n");
}

void html_heatmap(struct html *h) {
  struct grid g = grid_of(h);
  double bottom = TOP + g.rows * g.row_h;
  fprintf(h->f,
          "<section id=\"heatmap\"><h2>Member states</h2>\n"
          "<svg class=\"chart\" width=\"%.0f\" height=\"%.0f\" "
          "data-rows=\"%u\" data-per-row=\"%u\" data-cols=\"%u\">\n",
          HTML_SVG_W, bottom + 40, g.rows, g.per_row, h->p->cols);
  rows(h, &g);
  bands(h, &g);
  marks(h, &g);
  html_time_axis(h, bottom, bottom);
  fprintf(h->f, "</svg>\n");
  legend(h, &g);
  fprintf(h->f, "</section>\n");
}
