/*
 * Anti-replay sliding window per sender (after RFC 4303 §3.4.3): a bitmap of
 * the MB_REPLAY_WINDOW sequence numbers at and below the highest one seen.
 * A number above the top slides the window; one inside it is accepted once;
 * one below it is too old to tell from a replay and is dropped.
 */
#include "mb_crypto.h"

#include <string.h>

#define WORDS (MB_REPLAY_WINDOW / 64)

void mb_replay_init(struct mb_replay_window *w) {
  memset(w, 0, sizeof(*w));
}

static bool bit_get(const struct mb_replay_window *w, uint64_t i) {
  return (w->seen[i / 64] >> (i % 64)) & 1u;
}

static void bit_set(struct mb_replay_window *w, uint64_t i) {
  w->seen[i / 64] |= (uint64_t)1 << (i % 64);
}

/* The top has always arrived once anything has: no separate flag, whose
 * padding would cost every member of a large view 8 bytes. */
static bool started(const struct mb_replay_window *w) {
  return w->seen[0] & 1u;
}

int mb_replay_check(const struct mb_replay_window *w, uint64_t seq) {
  if (!started(w) || seq > w->top)
    return MB_OK;
  uint64_t age = w->top - seq;
  if (age >= MB_REPLAY_WINDOW)
    return MB_ESTALE;
  return bit_get(w, age) ? MB_EREPLAY : MB_OK;
}

/* Moves every bit `by` places towards older ages. */
static void shift_window(struct mb_replay_window *w, uint64_t by) {
  if (by >= MB_REPLAY_WINDOW) {
    memset(w->seen, 0, sizeof(w->seen));
    return;
  }
  unsigned words = (unsigned)(by / 64), bits = (unsigned)(by % 64);
  for (int i = WORDS - 1; i >= 0; i--) {
    uint64_t v = 0;
    int src = i - (int)words;
    if (src >= 0) {
      v = w->seen[src] << bits;
      if (bits != 0 && src > 0)
        v |= w->seen[src - 1] >> (64 - bits);
    }
    w->seen[i] = v;
  }
}

void mb_replay_commit(struct mb_replay_window *w, uint64_t seq) {
  if (mb_replay_check(w, seq) != MB_OK)
    return;
  if (!started(w)) {
    w->top = seq;
  } else if (seq > w->top) {
    shift_window(w, seq - w->top);
    w->top = seq;
  }
  bit_set(w, w->top - seq);
}
