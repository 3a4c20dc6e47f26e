/*
 * What an instruction does (kind 22, about a device's node id): "drain"
 * asks the device to take no new work, "undrain" lifts that.  Every
 * member shows a member as draining while the latest instruction held
 * about it says drain (swim_member_info.draining); the device itself,
 * when it takes an instruction about itself (gossip, an offer, or its
 * store at start), sets or clears the draining flag of its heartbeat
 * record, re-signs it and announces it, so members that never see the
 * instruction see the flag.  An op this version does not know means
 * nothing: the flag stays as it was.
 */
#include "channel_internal.h"

void swim_instruction_apply(struct swim *s, const uint8_t *body, size_t len) {
  struct mb_instruction in;
  if (mb_wire_instruction_parse(body, len, &in) != MB_OK ||
      in.op == MB_INSTR_OTHER || s->leaving || s->left)
    return;
  bool drain = in.op == MB_INSTR_DRAIN;
  if (drain == s->draining)
    return;
  s->draining = drain;
  struct member *me = &s->m[s->self_idx];
  if (swim_self_sign(s, MB_HB_ALIVE) == MB_OK) {
    struct bytes rec = swim_blob_bytes(me->record);
    swim_bcast_add(s, me->id, &rec, NULL);
    s->self_news_at = s->now;
  }
}

bool swim_instructed_drain(const struct swim *s, const uint8_t *id) {
  const struct swim_records *r = s->records;
  size_t p;
  if (channel_policy_of(MB_REC_INSTRUCTION, &p) == NULL || r->count[p] == 0)
    return false;
  uint8_t ref[MB_RECORD_REF_LEN];
  mb_wire_record_ref(MB_REC_INSTRUCTION, id, MB_NODE_ID_LEN, ref);
  long i = channel_find_ref(r, ref);
  return i >= 0 && r->v[i].drain;
}
