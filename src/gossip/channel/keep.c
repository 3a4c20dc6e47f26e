/*
 * Keeping records: a checked record is stored (fresh, or over the older
 * one of its kind and subject), relayed and reported as its origin asks;
 * a record leaves the table when its `until` passes, or, for a kind whose
 * policy says so, when a newer one needs its room (policy.c).
 */
#include "channel_internal.h"

#include <errno.h>
#include <string.h>

/* Lapsed records are looked for this often. */
#define LAPSE_CHECK_MS 10000

bool channel_lapsed(const struct swim *s, int64_t until_s) {
  return until_s > 0 && until_s + s->cfg.cert_skew_s < swim_wall(s) / 1000;
}

void channel_drop(struct swim *s, size_t i) {
  struct swim_records *r = s->records;
  struct held *h = &r->v[i];
  size_t p;
  if (channel_policy_of((enum mb_record_kind)h->kind, &p) != NULL)
    r->count[p]--;
  if (h->relay_left > 0)
    r->pending--;
  channel_digest_move(r, h, false);
  swim_bytes_free(s, &h->raw);
  channel_remove(r, i);
}

/* The member-signed record issued longest ago gives way. */
void channel_evict_oldest(struct swim *s, enum mb_record_kind kind) {
  struct swim_records *r = s->records;
  long oldest = -1;
  for (size_t i = 0; i < r->n; i++)
    if (r->v[i].kind == kind &&
        (oldest < 0 || r->v[i].issued_ms < r->v[oldest].issued_ms))
      oldest = (long)i;
  if (oldest >= 0)
    channel_drop(s, (size_t)oldest);
}

static void copy_fields(struct held *h, const struct mb_record *rec) {
  const struct mb_channel_record *c = &rec->u.ch;
  h->kind = (uint8_t)rec->kind;
  h->subject_len = (uint8_t)c->subject_len;
  memcpy(h->subject, c->subject, c->subject_len);
  memcpy(h->signer, rec->envelope.kid, MB_NODE_ID_LEN);
  h->version = c->version;
  h->issued_ms = c->issued_ms;
  h->until_s = c->until_s;
  struct mb_instruction in;
  h->drain = rec->kind == MB_REC_INSTRUCTION &&
             mb_wire_instruction_parse(c->body, c->body_len, &in) == MB_OK &&
             in.op == MB_INSTR_DRAIN;
}

/* A member that misses a revocation keeps admitting the node, so records
 * are relayed λ·log(n) times each whatever echoes come back (for news an
 * echo counts as one of our sends), and a member that takes one compares
 * views soon (swim_push_pull_soon), as after news of a join: with echoes
 * counted and no comparison, a 32-member mesh under 1 % loss left one
 * member without the revocation for 5 to 9 s in 4 runs of 30
 * (sim/scenarios/revoke.scn); now the last member of 60 runs has it
 * within 0.71 s.  A joiner's first view is news to nobody; a record from
 * the store is old news the mesh has. */
static void schedule_relays(struct swim *s, struct held *h,
                            enum swim_record_origin o) {
  struct swim_records *r = s->records;
  bool relay =
      o == SWIM_FROM_OFFER || (o == SWIM_FROM_PEER && !s->intake_quiet);
  h->relay_left = relay ? (uint16_t)swim_retransmit_limit(s) : 0;
  h->sent = 0;
  if (h->relay_left > 0) {
    r->pending++;
    swim_push_pull_soon(s); /* whom the rumour misses, a comparison finds */
  }
}

int channel_keep(struct swim *s, struct held *h, size_t policy,
                 const struct mb_record *rec, const uint8_t *raw, size_t len,
                 enum swim_record_origin o) {
  struct swim_records *r = s->records;
  bool fresh = h->raw.p == NULL;
  if (swim_bytes_set(s, &h->raw, raw, len) != MB_OK) {
    if (fresh) /* the entry was added for it: take it out again */
      channel_remove(r, (size_t)(h - r->v));
    return -ENOMEM;
  }
  if (fresh)
    r->count[policy]++;
  else
    channel_digest_move(r, h, false);
  if (h->relay_left > 0)
    r->pending--;
  copy_fields(h, rec);
  channel_digest_move(r, h, true);
  schedule_relays(s, h, o);
  if (o != SWIM_FROM_STORE) {
    struct swim_record_info info;
    channel_info_of(s, h, &info);
    swim_out_record(s, &info, raw, len);
  }
  return MB_OK;
}

void swim_records_tick(struct swim *s) {
  struct swim_records *r = s->records;
  if (s->now < r->next_lapse_check)
    return;
  r->next_lapse_check = s->now + LAPSE_CHECK_MS;
  for (size_t i = 0; i < r->n;) {
    struct held *h = &r->v[i];
    if (!channel_lapsed(s, h->until_s)) {
      i++;
      continue;
    }
    uint8_t subject[MB_CHANNEL_SUBJECT_MAX];
    bool revocation = h->kind == MB_REC_REVOCATION;
    memcpy(subject, h->subject, h->subject_len);
    channel_drop(s, i);
    if (revocation)
      swim_revocation_lapsed(s, subject);
  }
}
