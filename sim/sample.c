/*
 * The pictures' sampler: the counts behind the heatmap, the snapshots per
 * time bucket, the traffic and the RAID arrays' states (sample.h).
 */
#include "sample.h"
#include "raid.h"

#include <stdlib.h>
#include <string.h>

/* 1, 2 or 5 times a power of ten, the smallest >= want (and >= 1 ms). */
static uint64_t nice_width(uint64_t want) {
  for (uint64_t p = 1000;; p *= 10)
    for (uint64_t m = 1; m <= 5; m += m == 1 ? 1 : 3)
      if (p * m >= want)
        return p * m;
}

static int arrays_init(struct sim *s, struct sim_sample *p) {
  const struct scenario *scn = s->scn;
  p->arrays = calloc(scn->n_actions ? scn->n_actions : 1, sizeof(char *));
  if (p->arrays == NULL)
    return -1;
  for (size_t k = 0; s->raid != NULL && k < scn->n_actions; k++) {
    const char *name = scn->actions[k].raid.name;
    bool seen = false;
    if (scn->actions[k].kind != SCN_RAID_CREATE)
      continue;
    for (size_t j = 0; j < p->n_arrays; j++)
      seen |= strcmp(p->arrays[j], name) == 0;
    if (!seen)
      p->arrays[p->n_arrays++] = name;
  }
  p->array_states = malloc((size_t)p->cols * (p->n_arrays ? p->n_arrays : 1));
  return p->array_states == NULL ? -1 : 0;
}

int sim_sample_new(struct sim *s) {
  struct sim_sample *p = calloc(1, sizeof(*p));
  if (p == NULL)
    return sim_fail(s, "out of memory for the sampler");
  s->sample = p;
  uint64_t end = s->end ? s->end : 1;
  p->width = nice_width((end + SIM_SAMPLE_COLS - 1) / SIM_SAMPLE_COLS);
  p->cols = (uint32_t)((end + p->width - 1) / p->width);
  p->count = calloc(s->n, sizeof(*p->count));
  p->pending = calloc(s->n, 1);
  p->cells = calloc((size_t)p->cols * s->n, 1);
  p->prev_bytes = calloc(s->n, sizeof(uint64_t));
  p->prev_dgrams = calloc(s->n, sizeof(uint64_t));
  p->traffic = calloc(p->cols, sizeof(*p->traffic));
  if (p->count == NULL || p->pending == NULL || p->cells == NULL ||
      p->prev_bytes == NULL || p->prev_dgrams == NULL || p->traffic == NULL ||
      arrays_init(s, p) != 0)
    return sim_fail(s, "out of memory for the sampler of %u nodes", s->n);
  return 0;
}

void sim_sample_free(struct sim *s) {
  struct sim_sample *p = s->sample;
  if (p == NULL)
    return;
  free(p->count);
  free(p->pending);
  free(p->cells);
  free(p->prev_bytes);
  free(p->prev_dgrams);
  free(p->traffic);
  free(p->bands);
  free(p->marks);
  free(p->arrays);
  free(p->array_states);
  free(p);
  s->sample = NULL;
}

/* The worst state held by at least 1/SIM_SAMPLE_SHARE of the up
 * observers that know the subject at all, or unknown when none does.
 * Observers that never heard of it do not dilute the share: in a mesh
 * still joining, or beside nodes that run alone, a crash is still red. */
static enum sim_vclass vclass(const uint32_t *c) {
  static const struct {
    uint8_t view;
    enum sim_vclass cls;
  } worst_first[] = {{1 + SWIM_DEAD, SIM_VC_DEAD},
                     {1 + SWIM_LEFT, SIM_VC_LEFT},
                     {1 + SWIM_SUSPECT, SIM_VC_SUSPECT},
                     {1 + SWIM_ALIVE, SIM_VC_ALIVE}};
  uint64_t total = 0;
  for (int v = 1; v <= 1 + SWIM_LEFT; v++)
    total += c[v];
  for (size_t k = 0; k < sizeof(worst_first) / sizeof(worst_first[0]); k++) {
    uint64_t held = c[worst_first[k].view];
    if (held > 0 && held * SIM_SAMPLE_SHARE >= total)
      return worst_first[k].cls;
  }
  return SIM_VC_UNKNOWN;
}

static void note_class(struct sim_sample *p, uint32_t subj) {
  uint8_t cls = (uint8_t)vclass(p->count[subj]);
  if (cls > (p->pending[subj] & SIM_CELL_CLASS))
    p->pending[subj] = (uint8_t)((p->pending[subj] & ~SIM_CELL_CLASS) | cls);
}

void sim_sample_view(struct sim *s, uint32_t subj, uint8_t was, uint8_t now) {
  struct sim_sample *p = s->sample;
  if (p == NULL || was == now)
    return;
  p->count[subj][was]--;
  p->count[subj][now]++;
  note_class(p, subj);
}

void sim_sample_observer(struct sim *s, uint32_t i, int sign) {
  struct sim_sample *p = s->sample;
  if (p == NULL)
    return;
  const uint8_t *row = &s->truth.view[(size_t)i * s->n];
  for (uint32_t j = 0; j < s->n; j++) {
    if (j == i)
      continue;
    p->count[j][row[j]] += (uint32_t)sign;
    note_class(p, j);
  }
}

static uint8_t health_flags(const struct sim_node *n) {
  return (uint8_t)((n->status == SIM_DOWN ? SIM_CELL_DOWN : 0) |
                   (n->frozen ? SIM_CELL_FROZEN : 0));
}

void sim_sample_health(struct sim *s, uint32_t i) {
  if (s->sample != NULL)
    s->sample->pending[i] |= health_flags(&s->nodes[i]);
}

void sim_sample_false(struct sim *s, uint32_t subj, enum swim_state to) {
  struct sim_sample *p = s->sample;
  if (p == NULL)
    return;
  if (p->n_marks == p->cap_marks) {
    size_t cap = p->cap_marks ? 2 * p->cap_marks : 64;
    struct sim_mark *v =
        cap <= SIM_MARKS_MAX ? realloc(p->marks, cap * sizeof(*v)) : NULL;
    if (v == NULL) {
      p->marks_dropped++;
      return;
    }
    p->marks = v;
    p->cap_marks = cap;
  }
  p->marks[p->n_marks++] = (struct sim_mark){s->now, subj, to};
}

static void traffic(struct sim *s, struct sim_traffic *t) {
  struct sim_sample *p = s->sample;
  double secs = (double)p->width / SCN_US_PER_S, bytes = 0, dgrams = 0;
  for (uint32_t i = 0; i < s->n; i++) {
    const struct sim_node *n = &s->nodes[i];
    /* A counter never goes back; guard anyway, a rate is never negative. */
    uint64_t db = n->sent_bytes >= p->prev_bytes[i]
                      ? n->sent_bytes - p->prev_bytes[i]
                      : n->sent_bytes;
    uint64_t dd = n->sent_dgrams >= p->prev_dgrams[i]
                      ? n->sent_dgrams - p->prev_dgrams[i]
                      : n->sent_dgrams;
    p->prev_bytes[i] = n->sent_bytes;
    p->prev_dgrams[i] = n->sent_dgrams;
    if (n->status != SIM_UP)
      continue;
    t->nodes++;
    bytes += (double)db / secs;
    dgrams += (double)dd / secs;
    if ((double)db / secs > t->bytes_max)
      t->bytes_max = (double)db / secs;
    if ((double)dd / secs > t->dgrams_max)
      t->dgrams_max = (double)dd / secs;
  }
  t->bytes_mean = t->nodes ? bytes / t->nodes : 0;
  t->dgrams_mean = t->nodes ? dgrams / t->nodes : 0;
}

static void arrays_snapshot(struct sim *s, uint32_t col) {
  struct sim_sample *p = s->sample;
  for (size_t k = 0; k < p->n_arrays; k++) {
    uint64_t since;
    int st = raid_history_array_state(s->raid->hist, p->arrays[k], &since);
    p->array_states[(size_t)col * p->n_arrays + k] = (int8_t)st;
  }
}

/* Closes bucket p->taken: what it saw, and the next starts from now. */
static void snapshot(struct sim *s) {
  struct sim_sample *p = s->sample;
  uint8_t *cells = &p->cells[(size_t)p->taken * s->n];
  memcpy(cells, p->pending, s->n);
  for (uint32_t i = 0; i < s->n; i++)
    p->pending[i] = (uint8_t)(vclass(p->count[i]) | health_flags(&s->nodes[i]));
  traffic(s, &p->traffic[p->taken]);
  if (p->n_arrays > 0)
    arrays_snapshot(s, p->taken);
  p->taken++;
}

void sim_sample_until(struct sim *s, uint64_t t) {
  struct sim_sample *p = s->sample;
  while (p != NULL && p->taken < p->cols &&
         (uint64_t)(p->taken + 1) * p->width <= t)
    snapshot(s);
}

void sim_sample_finish(struct sim *s) {
  struct sim_sample *p = s->sample;
  if (p == NULL)
    return;
  while (p->taken < p->cols)
    snapshot(s);
  for (size_t k = 0; k < p->n_bands; k++)
    if (p->bands[k].to == SIM_NEVER)
      p->bands[k].to = s->end;
}

static bool band_active(const struct sim *s, enum sim_band_kind k,
                        double *loss) {
  *loss = s->net.cfg.loss;
  switch (k) {
  case SIM_BAND_PARTITION:
    return s->net.partitioned;
  case SIM_BAND_LINKS:
    return s->net.n_rules > 0;
  case SIM_BAND_LOSS:
    return s->net.cfg.loss != s->scn->net.loss; /* the file's own is no fault */
  }
  return false;
}

static struct sim_band *open_band(struct sim_sample *p, enum sim_band_kind k) {
  for (size_t i = p->n_bands; i-- > 0;)
    if (p->bands[i].kind == k)
      return p->bands[i].to == SIM_NEVER ? &p->bands[i] : NULL;
  return NULL;
}

static void band_begin(struct sim *s, enum sim_band_kind k, double loss) {
  struct sim_sample *p = s->sample;
  if (p->n_bands == p->cap_bands) {
    size_t cap = p->cap_bands ? 2 * p->cap_bands : 8;
    struct sim_band *v = realloc(p->bands, cap * sizeof(*v));
    if (v == NULL) {
      sim_fail(s, "out of memory for the sampler's bands");
      return;
    }
    p->bands = v;
    p->cap_bands = cap;
  }
  p->bands[p->n_bands++] = (struct sim_band){
      .from = s->now, .to = SIM_NEVER, .kind = k, .loss = loss};
}

void sim_sample_network(struct sim *s) {
  struct sim_sample *p = s->sample;
  if (p == NULL)
    return;
  for (int k = 0; k < SIM_BAND_KINDS; k++) {
    double loss;
    bool active = band_active(s, (enum sim_band_kind)k, &loss);
    struct sim_band *b = open_band(p, (enum sim_band_kind)k);
    /* A new loss figure is a new band: each is labelled with its own. */
    if (b != NULL && (!active || (k == SIM_BAND_LOSS && b->loss != loss)))
      b->to = s->now, b = NULL;
    if (active && b == NULL)
      band_begin(s, (enum sim_band_kind)k, loss);
  }
}
