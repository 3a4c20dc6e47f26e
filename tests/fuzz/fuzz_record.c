/*
 * libFuzzer target: a signed record (heartbeat, suspect, dead, a channel
 * record such as a revocation, or a kind this version skips), parsed, then
 * opened twice through a fresh verified-record cache: the second open must give
 * the same answer as the first, from the cache when the first succeeded.
 */
#include "fuzz_common.h"
#include "mb_wire.h"

static void check_heartbeat(const struct mb_heartbeat *hb, const uint8_t *kid) {
  FUZZ_CHECK(memcmp(hb->node_id, kid, MB_NODE_ID_LEN) == 0);
  FUZZ_CHECK(strnlen(hb->name, sizeof(hb->name)) <= MB_NAME_MAX);
  FUZZ_CHECK(strnlen(hb->domain, sizeof(hb->domain)) <= MB_DOMAIN_MAX);
  FUZZ_CHECK(hb->addr.family == 4 || hb->addr.family == 6);
  FUZZ_CHECK(hb->status == MB_HB_ALIVE || hb->status == MB_HB_LEFT);
  FUZZ_CHECK((hb->health.have & ~15u) == 0);
  FUZZ_CHECK(hb->n_tasks <= MB_HB_TASKS_MAX); /* key 13: never 0 written */
}

/* A channel record's fields stay in bounds, its body inside the input;
 * a revocation's, cursor's or instruction's body decodes or is refused,
 * never overruns. */
static void check_channel(const struct mb_record *rec, const uint8_t *buf,
                          size_t len) {
  const struct mb_channel_record *c = &rec->u.ch;
  FUZZ_CHECK(c->subject_len >= 1 && c->subject_len <= MB_CHANNEL_SUBJECT_MAX);
  FUZZ_CHECK(c->until_s >= 0);
  FUZZ_CHECK(c->body_len <= MB_CHANNEL_BODY_MAX);
  if (c->body != NULL)
    FUZZ_CHECK(fuzz_within(c->body, c->body_len, buf, len));
  else
    FUZZ_CHECK(c->body_len == 0);
  struct mb_revocation rev;
  if (rec->kind == MB_REC_REVOCATION &&
      mb_wire_revocation_parse(c->body, c->body_len, &rev) == MB_OK)
    FUZZ_CHECK(strnlen(rev.reason, sizeof(rev.reason)) <=
               MB_REVOCATION_REASON_MAX);
  struct mb_bridge_cursor cur;
  if (rec->kind == MB_REC_BRIDGE_CURSOR &&
      mb_wire_cursor_parse(c->body, c->body_len, &cur) == MB_OK)
    FUZZ_CHECK(cur.n_events <= MB_CURSOR_MAX_EVENTS &&
               cur.n_episodes <= MB_CURSOR_MAX_EPISODES);
  struct mb_instruction in;
  if (rec->kind == MB_REC_INSTRUCTION &&
      mb_wire_instruction_parse(c->body, c->body_len, &in) == MB_OK)
    FUZZ_CHECK(strnlen(in.id, sizeof(in.id)) <= MB_INSTRUCTION_ID_MAX);
  uint8_t ref[MB_RECORD_REF_LEN];
  mb_wire_record_ref(rec->kind, c->subject, c->subject_len, ref);
  FUZZ_CHECK(ref[0] == (uint8_t)rec->kind);
}

static void check_record(const struct mb_record *rec, const uint8_t *buf,
                         size_t len) {
  FUZZ_CHECK(fuzz_within(rec->envelope.kid, MB_NODE_ID_LEN, buf, len));
  if (rec->kind == MB_REC_HEARTBEAT)
    check_heartbeat(&rec->u.hb, rec->envelope.kid);
  else if (rec->kind == MB_REC_SUSPECT || rec->kind == MB_REC_DEAD)
    FUZZ_CHECK(memcmp(rec->u.claim.author, rec->envelope.kid, MB_NODE_ID_LEN) ==
               0);
  else if (mb_record_kind_is_channel(rec->kind))
    check_channel(rec, buf, len);
  else
    FUZZ_CHECK(rec->kind == MB_REC_OTHER);
}

static void open_twice(const uint8_t *data, size_t size) {
  struct mb_vcache *vc = mb_vcache_new(8);
  FUZZ_CHECK(vc != NULL);
  struct mb_record rec;
  int first =
      mb_wire_record_open(vc, data, size, fuzz_aad(), FUZZ_AAD_LEN, &rec);
  int second =
      mb_wire_record_open(vc, data, size, fuzz_aad(), FUZZ_AAD_LEN, &rec);
  FUZZ_CHECK(first == second);
  FUZZ_CHECK(first == MB_OK || first == MB_EBADSIG);
  struct mb_vcache_stats st;
  mb_vcache_get_stats(vc, &st);
  FUZZ_CHECK(st.hits == (first == MB_OK ? 1u : 0u));
  mb_vcache_free(vc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct mb_record rec;
  int rc = mb_wire_record_parse(data, size, &rec);
  if (rc != MB_OK) {
    /* open must refuse before it spends a signature check. */
    FUZZ_CHECK(mb_wire_record_open(NULL, data, size, fuzz_aad(), FUZZ_AAD_LEN,
                                   &rec) == rc);
    return 0;
  }
  check_record(&rec, data, size);
  open_twice(data, size);
  return 0;
}
