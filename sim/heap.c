/*
 * The event queue: a binary min-heap ordered by (time, sequence number).
 * The sequence number is stamped here, at insertion, and is unique, so the
 * order is total and no two runs of a scenario can order events
 * differently.  Events are small (32 bytes) and carry ids, never pointers,
 * so the heap can grow by realloc.
 */
#include "sim.h"

#include <errno.h>
#include <stdlib.h>

static bool before(const struct sim_event *a, const struct sim_event *b) {
  return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

int sim_heap_push(struct sim_heap *h, struct sim_event *e) {
  if (h->n == h->cap) {
    size_t cap = h->cap ? 2 * h->cap : 1024;
    struct sim_event *v = realloc(h->v, cap * sizeof(*v));
    if (v == NULL)
      return -ENOMEM;
    h->v = v;
    h->cap = cap;
  }
  e->seq = h->next_seq++;
  size_t i = h->n++;
  while (i > 0) { /* sift up */
    size_t parent = (i - 1) / 2;
    if (!before(e, &h->v[parent]))
      break;
    h->v[i] = h->v[parent];
    i = parent;
  }
  h->v[i] = *e;
  if (h->n > h->peak)
    h->peak = h->n;
  return 0;
}

int sim_heap_pop(struct sim_heap *h, struct sim_event *out) {
  if (h->n == 0)
    return 0;
  *out = h->v[0];
  struct sim_event last = h->v[--h->n];
  size_t i = 0;
  for (;;) { /* sift the last element down from the root */
    size_t c = 2 * i + 1;
    if (c >= h->n)
      break;
    if (c + 1 < h->n && before(&h->v[c + 1], &h->v[c]))
      c++;
    if (!before(&h->v[c], &last))
      break;
    h->v[i] = h->v[c];
    i = c;
  }
  if (h->n > 0)
    h->v[i] = last;
  return 1;
}

const struct sim_event *sim_heap_top(const struct sim_heap *h) {
  return h->n ? &h->v[0] : NULL;
}

void sim_heap_free(struct sim_heap *h) {
  free(h->v);
  *h = (struct sim_heap){0};
}
