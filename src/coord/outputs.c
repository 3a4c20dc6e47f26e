/* The output queue: copies what is pushed, lends it to one poll. */
#include "coord_internal.h"

#include <stdlib.h>
#include <string.h>

void coord_push(struct mb_coord *c, const struct mb_coord_output *o,
                const uint8_t *buf, size_t len) {
  if (c->n_out == c->cap_out) {
    size_t cap = c->cap_out ? 2 * c->cap_out : 32;
    struct coord_out_item *grown = realloc(c->out, cap * sizeof(*grown));
    if (grown == NULL)
      return; /* dropped, like a datagram: Raft and the planner retry */
    c->out = grown;
    c->cap_out = cap;
  }
  struct coord_out_item *it = &c->out[c->n_out];
  it->o = *o;
  it->owned = NULL;
  if (len > 0) {
    it->owned = malloc(len);
    if (it->owned == NULL)
      return;
    memcpy(it->owned, buf, len);
  }
  it->o.buf = it->owned;
  it->o.len = len;
  c->n_out++;
}

void coord_answer(struct mb_coord *c, uint64_t req, int rc) {
  struct mb_coord_output o = {
      .kind = MB_COORD_OUT_ANSWER, .req = req, .rc = rc};
  coord_copy_text(o.text, sizeof(o.text), rc == 0 ? "ok" : mb_strerror(rc));
  coord_push(c, &o, NULL, 0);
}

int mb_coord_poll(struct mb_coord *c, struct mb_coord_output *out) {
  free(c->polled);
  c->polled = NULL;
  if (c->head_out == c->n_out) {
    c->head_out = c->n_out = 0;
    return 0;
  }
  struct coord_out_item *it = &c->out[c->head_out++];
  *out = it->o;
  c->polled = it->owned;
  return 1;
}

void coord_outputs_free(struct mb_coord *c) {
  for (size_t i = c->head_out; i < c->n_out; i++)
    free(c->out[i].owned);
  free(c->out);
  free(c->polled);
}
