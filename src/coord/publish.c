/*
 * Publication to devices that run no Raft (records of kinds 23-25,
 * COORD_PLAN.md Part E).  Their wire codecs (mb_wire.h:
 * mb_wire_raid_*_body_encode/decode, mb_wire_channel_record_sign) reached
 * main only as this module was finished, so this file neither signs nor
 * decodes them yet: non-voters learn nothing from records, and the leader
 * publishes nothing (docs/raid.md, The coordinator).  It is kept as the
 * one place to finish.
 */
#include "coord_internal.h"

void mb_coord_record(struct mb_coord *c, uint64_t now,
                     const struct swim_record_info *info, const uint8_t *bytes,
                     size_t len) {
  (void)info;
  (void)bytes;
  (void)len;
  c->now = now;
}
