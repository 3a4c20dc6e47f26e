/*
 * libFuzzer target: a bridge cursor's body (channel kind 21), as any
 * eligible member's record may carry it.  Besides "no crash": what
 * decodes stays within its bounds (16 ids, 24 episodes), decodes alike
 * twice, encodes again within the channel's 512 bytes, and that encoding
 * decodes to the same cursor; what is refused leaves nothing behind.
 */
#include "fuzz_common.h"
#include "mb_wire.h"

static void check_same(const struct mb_bridge_cursor *a,
                       const struct mb_bridge_cursor *b) {
  FUZZ_CHECK(a->n_events == b->n_events && a->n_episodes == b->n_episodes);
  FUZZ_CHECK(a->delivered == b->delivered && a->pending == b->pending);
  FUZZ_CHECK(
      memcmp(a->events, b->events, a->n_events * MB_CURSOR_EVENT_ID_LEN) == 0);
  for (size_t i = 0; i < a->n_episodes; i++) {
    FUZZ_CHECK(memcmp(a->episodes[i].member, b->episodes[i].member,
                      MB_NODE_REF_LEN) == 0);
    FUZZ_CHECK(a->episodes[i].incarnation == b->episodes[i].incarnation);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct mb_bridge_cursor c, again;
  int rc = mb_wire_cursor_parse(data, size, &c);
  FUZZ_CHECK(mb_wire_cursor_parse(data, size, &again) == rc);
  if (rc != MB_OK) {
    struct mb_bridge_cursor zero;
    memset(&zero, 0, sizeof(zero));
    FUZZ_CHECK(memcmp(&c, &zero, sizeof(c)) == 0);
    return 0;
  }
  FUZZ_CHECK(size <= MB_CHANNEL_BODY_MAX);
  FUZZ_CHECK(c.n_events <= MB_CURSOR_MAX_EVENTS);
  FUZZ_CHECK(c.n_episodes <= MB_CURSOR_MAX_EPISODES);
  check_same(&c, &again);
  /* Deterministic encoding is never longer than what decoded to it. */
  uint8_t body[MB_CHANNEL_BODY_MAX];
  size_t len;
  FUZZ_CHECK(mb_wire_cursor_body(&c, body, sizeof(body), &len) == MB_OK);
  FUZZ_CHECK(len <= size);
  FUZZ_CHECK(mb_wire_cursor_parse(body, len, &again) == MB_OK);
  check_same(&c, &again);
  return 0;
}
