/*
 * News in gossip, heard: a gossip message's summary entries (news.c) name
 * members that joined or changed; whoever lacks one, or holds it older,
 * pulls its record from the sender (reconcile.c's pull pages), once.
 */
#include "swim_internal.h"

#include <string.h>

/*
 * Several relays announce a newcomer within a few gossip rounds; one pull
 * is enough, so a ref pulled lately is not asked for again until the
 * answer had time to come back (or was lost).
 */
#define PULL_RETRY_MS 500

bool swim_pulled_lately(const struct swim *s, const uint8_t *ref) {
  return swim_recent_has(s, s->pulls, SWIM_RECENT_PULLS, PULL_RETRY_MS, ref);
}

static void note_pull(struct swim *s, const uint8_t *ref) {
  swim_recent_note(s, s->pulls, SWIM_RECENT_PULLS, &s->pulls_next, ref);
}

void swim_on_news(struct swim *s, const struct mb_addr *from,
                  struct member *sender, const struct mb_msg *msg) {
  size_t entries = msg->summary_len / MB_SUMMARY_ENTRY_LEN;
  uint8_t pull[MB_WIRE_MSG_MAX / MB_SUMMARY_ENTRY_LEN * MB_NODE_REF_LEN];
  size_t n_pull = 0;
  for (size_t j = 0; j < entries && n_pull * MB_NODE_REF_LEN < sizeof(pull);
       j++) {
    const uint8_t *e = msg->summary + j * MB_SUMMARY_ENTRY_LEN;
    uint64_t inc;
    uint8_t st = swim_summary_read(e, &inc);
    struct member *m = swim_member_by_ref(s, e);
    bool lacking =
        m == NULL || m->record.p == NULL ||
        swim_summary_newer(inc, st, m->incarnation, (uint8_t)m->state);
    if (!lacking && inc == m->incarnation && st == (uint8_t)m->state)
      swim_news_heard(s, m);
    if (!lacking || (m != NULL && (m->is_self || m->revoked)) ||
        swim_pulled_lately(s, e))
      continue;
    memcpy(pull + n_pull++ * MB_NODE_REF_LEN, e, MB_NODE_REF_LEN);
    note_pull(s, e);
  }
  if (n_pull > 0)
    swim_send_pulls(s, from, sender, pull, n_pull);
}
