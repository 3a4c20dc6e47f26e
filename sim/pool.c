/*
 * Datagram buffers.  A datagram is copied once, from the sender's output
 * (valid only until its next call into the core) into a pooled buffer that
 * every copy in flight shares by reference count.  Buffers come in
 * power-of-two size classes and go back to a free list per class, so a
 * long run stops allocating once it has met its peak in-flight load.
 */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

#define MIN_SHIFT 7 /* 128 bytes */

static int class_of(size_t len) {
  int c = 0;
  while (c < SIM_POOL_CLASSES && ((size_t)1 << (MIN_SHIFT + c)) < len)
    c++;
  return c;
}

static uint32_t new_slot(struct sim_pool *p, int cls) {
  if (p->n == p->cap) {
    uint32_t cap = p->cap ? 2 * p->cap : 1024;
    struct sim_dgram *d = realloc(p->d, cap * sizeof(*d));
    if (d == NULL)
      return SIM_NONE;
    p->d = d;
    p->cap = cap;
  }
  uint8_t *buf = malloc((size_t)1 << (MIN_SHIFT + cls));
  if (buf == NULL)
    return SIM_NONE;
  p->d[p->n] = (struct sim_dgram){.p = buf, .cls = (uint32_t)cls};
  return p->n++;
}

uint32_t sim_pool_put(struct sim_pool *p, const uint8_t *buf, size_t len) {
  if (p->cap == 0)
    for (int c = 0; c < SIM_POOL_CLASSES; c++)
      p->free_head[c] = SIM_NONE;
  int cls = class_of(len);
  if (cls == SIM_POOL_CLASSES)
    return SIM_NONE; /* larger than any UDP datagram */
  uint32_t id = p->free_head[cls];
  if (id != SIM_NONE)
    p->free_head[cls] = p->d[id].next_free;
  else if ((id = new_slot(p, cls)) == SIM_NONE)
    return SIM_NONE;
  memcpy(p->d[id].p, buf, len);
  p->d[id].len = (uint32_t)len;
  p->d[id].refs = 1;
  if (++p->live > p->peak)
    p->peak = p->live;
  return id;
}

void sim_pool_ref(struct sim_pool *p, uint32_t id) {
  p->d[id].refs++;
}

void sim_pool_unref(struct sim_pool *p, uint32_t id) {
  struct sim_dgram *d = &p->d[id];
  if (--d->refs > 0)
    return;
  d->next_free = p->free_head[d->cls];
  p->free_head[d->cls] = id;
  p->live--;
}

void sim_pool_free(struct sim_pool *p) {
  for (uint32_t i = 0; i < p->n; i++)
    free(p->d[i].p);
  free(p->d);
  *p = (struct sim_pool){0};
}
