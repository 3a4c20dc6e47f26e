/*
 * A channel record told to people: what a revocation says, and whom a
 * record is about (records.c's listings, the log's sink).
 */
#include "agent_state.h"

#include <stdio.h>

/* What a revocation's body says, for logs and listings ("" when none). */
void agent_record_reason(const uint8_t *raw, size_t len, char *out,
                         size_t cap) {
  struct mb_record rec;
  struct mb_revocation rev;
  out[0] = '\0';
  if (mb_wire_record_parse(raw, len, &rec) == MB_OK &&
      rec.kind == MB_REC_REVOCATION &&
      mb_wire_revocation_parse(rec.u.ch.body, rec.u.ch.body_len, &rev) == MB_OK)
    snprintf(out, cap, "%s", rev.reason);
}

/* The subject as people know it: a member's name, else hex. */
void agent_record_subject(struct agent *a, const struct swim_record_info *r,
                          char *out, size_t cap) {
  char hex[2 * MB_CHANNEL_SUBJECT_MAX + 1];
  mb_hex_encode(hex, r->subject, r->subject_len);
  long i = r->subject_len == MB_NODE_ID_LEN
               ? swim_member_find(a->swim, r->subject)
               : -1;
  struct swim_member_info m;
  if (i >= 0 && swim_member_get(a->swim, (size_t)i, &m) == MB_OK &&
      m.name[0] != '\0')
    snprintf(out, cap, "%s (%.16s...)", m.name, hex);
  else
    snprintf(out, cap, "%s", hex);
}
