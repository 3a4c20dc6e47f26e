/*
 * RAID over time (scenarios with raid lines): one row per array coloured by
 * its state in the history checker's model at the end of every time bucket
 * (healthy, degraded, rebuilding, failed; blank while it does not exist),
 * and one bar per reconstruction task from its start to its end, coloured
 * by how it ended (the report's raid.tasks).
 */
#include "html.h"
#include "raid.h"

#define ROW_H 14.0
#define TASK_H 8.0
#define TOP 4.0

static void array_row(const struct html *h, size_t k, double y) {
  const struct sim_sample *p = h->p;
  double cell_w = HTML_PLOT_W / p->cols;
  fprintf(h->f, "<g class=\"arr-row\" data-array=\"");
  sim_html_text(h->f, p->arrays[k]);
  fprintf(h->f, "\">");
  for (uint32_t c = 0; c < p->cols;) {
    int8_t st = p->array_states[(size_t)c * p->n_arrays + k];
    uint32_t end = c + 1;
    while (end < p->cols &&
           p->array_states[(size_t)end * p->n_arrays + k] == st)
      end++;
    char cls[8] = "a-none";
    if (st >= 0)
      snprintf(cls, sizeof(cls), "a%d", st);
    fprintf(h->f,
            "<rect class=\"%s\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
            "height=\"%.2f\"/>",
            cls, HTML_X0 + c * cell_w, y, (end - c) * cell_w, ROW_H - 2);
    c = end;
  }
  fprintf(h->f, "<text class=\"rl\" x=\"%.1f\" y=\"%.2f\">", HTML_X0 - 4,
          y + ROW_H / 2 + 2);
  sim_html_text(h->f, p->arrays[k]);
  fprintf(h->f, "</text></g>\n");
}

static const char *result_class(const struct raid_history_task *t) {
  return t->end == RAID_HISTORY_TASK_DONE        ? "done"
         : t->end == RAID_HISTORY_TASK_CANCELLED ? "cancelled"
                                                 : "live";
}

static void task_bar(const struct html *h, const struct raid_history_task *t,
                     double y) {
  uint64_t end = t->end_us == UINT64_MAX ? h->s->end : t->end_us;
  double x0 = html_x(h, t->start_us), x1 = html_x(h, end);
  fprintf(h->f,
          "<rect class=\"task-bar %s%s\" data-id=\"%llu\" data-result=\"%s\" "
          "data-reassigned=\"%u\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
          "height=\"%.2f\"><title>task %llu: %s of ",
          result_class(t), t->reassigned ? " reassigned" : "",
          (unsigned long long)t->id, result_class(t), t->reassigned, x0, y,
          x1 - x0 > 1.5 ? x1 - x0 : 1.5, TASK_H, (unsigned long long)t->id,
          mb_raid_task_kind_name(t->kind));
  sim_html_text(h->f, t->array);
  fprintf(h->f, "/%u, %s", t->slot, result_class(t));
  if (t->reassigned)
    fprintf(h->f, " after %u reassignment%s", t->reassigned,
            t->reassigned > 1 ? "s" : "");
  fprintf(h->f, "</title></rect>\n");
}

void html_raid(struct html *h) {
  const struct sim *s = h->s;
  if (s->raid == NULL)
    return;
  const struct sim_sample *p = h->p;
  size_t n_tasks = raid_history_task_count(s->raid->hist);
  double tasks_top = TOP + p->n_arrays * ROW_H + 10;
  double bottom = tasks_top + n_tasks * (TASK_H + 2) + 4;
  fprintf(h->f,
          "<section id=\"raid\"><h2>RAID arrays and tasks</h2>\n<svg "
          "class=\"chart\" width=\"%.0f\" height=\"%.0f\">\n",
          HTML_SVG_W, bottom + 40);
  for (size_t k = 0; k < p->n_arrays; k++)
    array_row(h, k, TOP + k * ROW_H);
  if (n_tasks > 0)
    fprintf(h->f, "<text class=\"rl\" x=\"%.1f\" y=\"%.2f\">tasks</text>\n",
            HTML_X0 - 4, tasks_top + TASK_H);
  for (size_t k = 0; k < n_tasks; k++)
    task_bar(h, raid_history_task(s->raid->hist, k),
             tasks_top + k * (TASK_H + 2));
  html_time_axis(h, bottom, bottom);
  fprintf(h->f,
          "</svg>\n<p class=\"legend\">arrays: <span class=\"sw "
          "a0\"></span>healthy <span class=\"sw a1\"></span>degraded <span "
          "class=\"sw a2\"></span>rebuilding <span class=\"sw a3\"></span>"
          "failed <span class=\"sw a-none\"></span>not there &nbsp; tasks: "
          "<span class=\"sw done\"></span>done <span "
          "class=\"sw cancelled\"></span>cancelled <span class=\"sw "
          "live\"></span>still running at the end (a reassigned task is "
          "outlined)</p>\n<p class=\"note\">%zu tasks; an array's colour "
          "is its state at the end of each time bucket.</p></section>\n",
          n_tasks);
}
