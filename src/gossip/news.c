/*
 * The news queue: members whose summary entry (17 bytes: "I hold this
 * member at this incarnation and state") we relay in gossip messages, so
 * that whoever lacks the member pulls its record once (reconcile.c).
 *
 * A join storm queues every newcomer at every member, thousands at once,
 * and each datagram takes the least-sent few dozen: so the queue is
 * bucketed by send count (a doubly linked list per count) and indexed from
 * the member, which makes adding, taking, and counting a copy heard from
 * another member O(1) where sorting the whole queue per datagram made a
 * 4000-member simulation crawl.
 *
 * Rumour mongering with a counter (Demers et al., "Epidemic algorithms for
 * replicated database maintenance", 1987): a copy of a piece of news that
 * reaches us from someone else counts towards its sends, as if we had told
 * it ourselves.  Late in a storm, when most members know a newcomer, the
 * copies arrive as fast as we send, and relaying stops early; members the
 * rumour missed learn the newcomer from the comparison of views that news
 * sets off (antientropy.c), not from more copies sent to everyone.
 */
#include "swim_internal.h"

#include <stdlib.h>

#define NIL UINT32_MAX

static uint32_t item_of(const struct member *m) {
  return m->news - 1;
}

static void unlink_item(struct news_queue *q, uint32_t i) {
  struct news_item *it = &q->v[i];
  uint32_t b = it->sent;
  if (it->prev != NIL)
    q->v[it->prev].next = it->next;
  else
    q->head[b] = it->next;
  if (it->next != NIL)
    q->v[it->next].prev = it->prev;
  else
    q->tail[b] = it->prev;
}

static void link_head(struct news_queue *q, uint32_t i) {
  struct news_item *it = &q->v[i];
  uint32_t b = it->sent;
  it->prev = NIL;
  it->next = q->head[b];
  if (it->next != NIL)
    q->v[it->next].prev = i;
  else
    q->tail[b] = i;
  q->head[b] = i;
}

static void link_tail(struct news_queue *q, uint32_t i) {
  struct news_item *it = &q->v[i];
  uint32_t b = it->sent;
  it->next = NIL;
  it->prev = q->tail[b];
  if (it->prev != NIL)
    q->v[it->prev].next = i;
  else
    q->head[b] = i;
  q->tail[b] = i;
}

/* Points whatever refers to item `from` at slot `to`. */
static void relocate(struct swim *s, uint32_t from, uint32_t to) {
  struct news_queue *q = &s->news;
  q->v[to] = q->v[from];
  struct news_item *it = &q->v[to];
  if (it->prev != NIL)
    q->v[it->prev].next = to;
  else
    q->head[it->sent] = to;
  if (it->next != NIL)
    q->v[it->next].prev = to;
  else
    q->tail[it->sent] = to;
  s->m[it->member].news = to + 1;
}

void swim_news_init(struct swim *s) {
  for (uint32_t b = 0; b < SWIM_NEWS_BUCKETS; b++)
    s->news.head[b] = s->news.tail[b] = NIL;
}

/* A join storm queues every member at once; a simulator of n cores keeps
 * n such queues, so the high-water mark is given back as the storm ends. */
static void shrink(struct news_queue *q) {
  if (q->cap <= 64 || q->n > q->cap / 4)
    return;
  struct news_item *v = realloc(q->v, q->cap / 2 * sizeof(*v));
  if (v != NULL) {
    q->v = v;
    q->cap /= 2;
  }
}

void swim_news_drop(struct swim *s, struct member *m) {
  if (m->news == 0)
    return;
  struct news_queue *q = &s->news;
  uint32_t i = item_of(m);
  unlink_item(q, i);
  m->news = 0;
  if (i != --q->n)
    relocate(s, q->n, i);
  shrink(q);
}

void swim_news_add(struct swim *s, struct member *m) {
  struct news_queue *q = &s->news;
  swim_bcast_forget(s, m->id); /* one word about a member at a time */
  if (m->news != 0) {          /* newer news of the member: told afresh */
    uint32_t i = item_of(m);
    unlink_item(q, i);
    q->v[i].sent = 0;
    link_head(q, i);
    return;
  }
  if (q->n == q->cap) {
    uint32_t cap = q->cap ? 2 * q->cap : 16;
    struct news_item *v = realloc(q->v, cap * sizeof(*v));
    if (v == NULL)
      return; /* lost news: the next comparison of views finds it */
    q->v = v;
    q->cap = cap;
  }
  uint32_t i = q->n++;
  q->v[i] = (struct news_item){.member = (uint32_t)swim_member_index(s, m)};
  m->news = i + 1;
  link_head(q, i);
}

/* Moves an item `by` sends on; past the limit it has been told enough. */
static void advance(struct swim *s, uint32_t i, uint32_t by, uint32_t limit) {
  struct news_queue *q = &s->news;
  uint32_t sent = q->v[i].sent + by;
  if (sent >= limit || sent >= SWIM_NEWS_BUCKETS) {
    swim_news_drop(s, &s->m[q->v[i].member]);
    return;
  }
  unlink_item(q, i);
  q->v[i].sent = (uint16_t)sent;
  link_tail(q, i);
}

void swim_news_heard(struct swim *s, struct member *m) {
  if (m->news != 0)
    advance(s, item_of(m), 1, swim_retransmit_limit(s));
}

/* The limit falls when members leave: what was sent enough is done. */
static void drop_beyond(struct swim *s, uint32_t limit) {
  struct news_queue *q = &s->news;
  for (uint32_t b = limit; b < SWIM_NEWS_BUCKETS; b++)
    while (q->head[b] != NIL)
      swim_news_drop(s, &s->m[q->v[q->head[b]].member]);
}

size_t swim_news_take(struct swim *s, uint8_t *entries, size_t max) {
  struct news_queue *q = &s->news;
  uint32_t limit = swim_retransmit_limit(s);
  uint32_t taken[SWIM_NEWS_TAKE_MAX];
  size_t k = 0;
  if (max > SWIM_NEWS_TAKE_MAX)
    max = SWIM_NEWS_TAKE_MAX;
  drop_beyond(s, limit);
  for (uint32_t b = 0; b < limit && b < SWIM_NEWS_BUCKETS && k < max; b++)
    for (uint32_t i = q->head[b]; i != NIL && k < max; i = q->v[i].next)
      taken[k++] = i;
  /* Member indices, not item slots: dropping an item moves another. */
  for (size_t j = 0; j < k; j++) {
    struct member *m = &s->m[q->v[taken[j]].member];
    swim_summary_entry(entries + j * MB_SUMMARY_ENTRY_LEN, m);
    taken[j] = (uint32_t)swim_member_index(s, m);
  }
  for (size_t j = 0; j < k; j++)
    advance(s, item_of(&s->m[taken[j]]), 1, limit);
  return k;
}

void swim_news_member_moved(struct swim *s, uint32_t to) {
  struct member *m = &s->m[to];
  if (m->news != 0)
    s->news.v[item_of(m)].member = to;
}

void swim_news_free(struct swim *s) {
  free(s->news.v);
  s->news = (struct news_queue){0};
  swim_news_init(s);
}
