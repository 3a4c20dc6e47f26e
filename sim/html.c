/*
 * The HTML report's page: the head with its inline style, the header with
 * the run's identity and verdict, the expectations, the pictures (one file
 * each) and the small print.  The page loads nothing: its content security
 * policy forbids every fetch, and nothing in it names a URL.
 */
#include "html.h"

#include <errno.h>
#include <string.h>

static const char STYLE[] =
    "body{font:14px/1.4 sans-serif;margin:16px 24px;color:#1f2328;"
    "max-width:1100px}"
    "h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:22px 0 6px;"
    "border-bottom:1px solid #d0d7de}h3{font-size:13px;margin:10px 0 2px}"
    "dl{display:flex;flex-wrap:wrap;gap:4px 18px;margin:0}dt{color:#57606a}"
    "dd{margin:0 0 0 4px;font-weight:600}"
    ".pass{color:#1a7f37}.fail{color:#cf222e}"
    "table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left;"
    "border-bottom:1px solid #eaeef2;vertical-align:top}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}"
    "svg text{font-size:10px;fill:#57606a}.rl{text-anchor:end}"
    ".grid{stroke:#d0d7de;stroke-width:.5}"
    ".c0{fill:#e6e8eb}.c1{fill:#8fd19e}.c2{fill:#f2b600}.c3{fill:#6e9ef0}"
    ".c4{fill:#d1242f}.down{fill:#1f2328}.frozen{fill:#22b8cf}"
    ".band rect{fill-opacity:.15;stroke-opacity:.6}"
    ".band-0 rect{fill:#8250df;stroke:#8250df}"
    ".band-1 rect{fill:#bc4c00;stroke:#bc4c00}"
    ".band-2 rect{fill:#0969da;stroke:#0969da}.band text{fill:#1f2328}"
    ".mark-fs{fill:#fff;stroke:#bc4c00;stroke-width:1.2}"
    ".mark-fd{fill:none;stroke:#1f2328;stroke-width:1.8}"
    "path.cdf-first,path.cdf-all{fill:none;stroke-width:1.5}"
    "path.cdf-first,circle.cdf-first{stroke:#0969da}"
    "path.cdf-all,circle.cdf-all{stroke:#cf222e}circle.cdf-point{fill:#fff}"
    "polyline{fill:none;stroke-width:1.3}polyline.mean{stroke:#0969da}"
    "polyline.max{stroke:#cf222e;stroke-dasharray:3 2}"
    ".task-bar.done{fill:#1a7f37}.task-bar.cancelled{fill:#8c959f}"
    ".task-bar.reassigned{stroke:#bc4c00;stroke-width:1.5}"
    ".task-bar.live{fill:#0969da}"
    ".a0{fill:#8fd19e}.a1{fill:#f2b600}.a2{fill:#6e9ef0}.a3{fill:#d1242f}"
    ".a-none{fill:#f6f8fa}"
    ".sw{display:inline-block;width:12px;height:12px;margin:0 4px 0 10px;"
    "vertical-align:-2px;border:1px solid #d0d7de}"
    ".sw.c0{background:#e6e8eb}.sw.c1{background:#8fd19e}"
    ".sw.c2{background:#f2b600}.sw.c3{background:#6e9ef0}"
    ".sw.c4{background:#d1242f}.sw.down{background:#1f2328}"
    ".sw.frozen{background:#22b8cf}.sw.first{background:#0969da}"
    ".sw.all{background:#cf222e}.sw.mean{background:#0969da}"
    ".sw.max{background:#cf222e}.sw.a0{background:#8fd19e}"
    ".sw.a1{background:#f2b600}.sw.a2{background:#6e9ef0}"
    ".sw.a3{background:#d1242f}.sw.a-none{background:#f6f8fa}.sw.done{"
    "background:#1a7f37}"
    ".sw.cancelled{background:#8c959f}"
    ".sw.live{background:#0969da}"
    ".legend,.note{font-size:12px;color:#57606a;margin:4px 0}"
    "footer{margin-top:24px;font-size:11px;color:#57606a}"
    "code{word-break:break-all}";

static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

static void head(const struct html *h) {
  fprintf(h->f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
                "charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-"
                "Policy\" content=\"default-src 'none'; style-src "
                "'unsafe-inline'; img-src data:\">\n<link rel=\"icon\" "
                "href=\"data:,\">\n<title>meshbeat-sim: ");
  sim_html_text(h->f, base_name(h->s->scn->path));
  fprintf(h->f, "</title>\n<style>%s</style></head><body>\n", STYLE);
}

static void header(const struct html *h, const struct sim_results *r,
                   size_t failed) {
  const struct sim *s = h->s;
  fprintf(h->f, "<header><h1>");
  sim_html_text(h->f, base_name(s->scn->path));
  fprintf(h->f,
          "</h1><dl><dt>seed</dt><dd>%llu</dd><dt>nodes</dt><dd>%u</dd>"
          "<dt>virtual time</dt><dd>%g s</dd><dt>crypto</dt><dd>%s</dd>"
          "<dt>result</dt><dd id=\"verdict\" class=\"%s\" "
          "data-pass=\"%s\">%s (%zu of %zu expectations failed)</dd>"
          "</dl></header>\n",
          (unsigned long long)s->seed, s->n, r->sim_seconds,
          s->standin ? "stand-in" : "Ed25519", failed ? "fail" : "pass",
          failed ? "false" : "true", failed ? "FAIL" : "PASS", failed,
          s->scn->n_expects);
}

static void expectation(const struct html *h, const json_t *v) {
  const json_t *measured = json_object_get(v, "measured");
  bool pass = json_is_true(json_object_get(v, "pass"));
  fprintf(h->f,
          "<tr class=\"expectation\" data-line=\"%lld\" data-pass=\"%s\">"
          "<td class=\"num\">%lld</td><td class=\"text\">",
          (long long)json_integer_value(json_object_get(v, "line")),
          pass ? "true" : "false",
          (long long)json_integer_value(json_object_get(v, "line")));
  sim_html_text(h->f, json_string_value(json_object_get(v, "expect")));
  fprintf(h->f, "</td><td class=\"num\">");
  if (json_is_number(measured))
    fprintf(h->f, "%g", json_number_value(measured));
  else
    fprintf(h->f, "&ndash;");
  fprintf(h->f, "</td><td class=\"verdict %s\">%s</td><td>",
          pass ? "pass" : "fail", pass ? "PASS" : "FAIL");
  sim_html_text(h->f, json_string_value(json_object_get(v, "note")));
  fprintf(h->f, "</td></tr>\n");
}

static void expectations(const struct html *h, const json_t *verdicts) {
  size_t k;
  const json_t *v;
  fprintf(h->f, "<section id=\"expectations\"><h2>Expectations</h2>\n");
  if (json_array_size(verdicts) == 0) {
    fprintf(h->f, "<p class=\"note\">The scenario expects nothing.</p>"
                  "</section>\n");
    return;
  }
  fprintf(h->f, "<table><tr><th>line</th><th>expect</th><th>measured</th>"
                "<th>verdict</th><th>note</th></tr>\n");
  json_array_foreach(verdicts, k, v) expectation(h, v);
  fprintf(h->f, "</table></section>\n");
}

static void small_print(const struct html *h, const struct sim_results *r,
                        const char *command) {
  fprintf(h->f, "<footer><p>Made by <code>");
  sim_html_text(h->f, command);
  fprintf(h->f,
          "</code></p><p>trace hash %s; %.2f s of wall time; docs/sim.md "
          "\"The HTML report\" explains every picture.</p></footer>\n"
          "</body></html>\n",
          r->trace_hex, r->wall_seconds);
}

int sim_html_write(const struct sim *s, const struct sim_results *r,
                   const json_t *verdicts, size_t failed, const char *command,
                   const char *path) {
  struct html h = {.s = s, .p = s->sample};
  if (h.p == NULL || h.p->cols == 0) {
    fprintf(stderr, "meshbeat-sim: nothing was sampled for %s\n", path);
    return -1;
  }
  h.span = (uint64_t)h.p->cols * h.p->width;
  if ((h.f = fopen(path, "w")) == NULL) {
    fprintf(stderr, "meshbeat-sim: cannot write %s: %s\n", path,
            strerror(errno));
    return -1;
  }
  head(&h);
  header(&h, r, failed);
  expectations(&h, verdicts);
  html_heatmap(&h);
  html_cdf(&h);
  html_traffic(&h);
  html_raid(&h);
  small_print(&h, r, command);
  bool bad = ferror(h.f) != 0;
  if (fclose(h.f) != 0 || bad) {
    fprintf(stderr, "meshbeat-sim: cannot write %s\n", path);
    return -1;
  }
  return 0;
}
