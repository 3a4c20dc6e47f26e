/*
 * `meshbeat wire sample raid-array|raid-task|raid-leader`: the RAID
 * coordinators' publication records by themselves, as the Raft leader
 * (the signer) publishes them, every value pinned so docs/wire-format.md
 * can show them byte for byte: array "eu-archive" (raid6, 4 + 2, 4 TiB,
 * degraded: --target's slot 1 is down) committed at term 3, index 120; a
 * task rebuilding slot 1 onto --target at index 121; the leader record at
 * index 121 naming the signer as leader and the signer, --target and one
 * more id as voters.  Issued at --time.
 */
#include "wire_sample_raid.h"

#include <string.h>

#define TERM 3
#define ARRAY_INDEX 120
#define TASK_INDEX 121
#define ARRAY_NAME "eu-archive"

/* Slot i's device: the signer's for 0, --target's for 1, made up else. */
static void slot_device(const uint8_t *self, const uint8_t *target, size_t i,
                        uint8_t out[MB_NODE_REF_LEN]) {
  if (i < 2)
    memcpy(out, i == 0 ? self : target, MB_NODE_REF_LEN);
  else
    memset(out, 0x30 + (int)i, MB_NODE_REF_LEN);
}

static int array_body(const uint8_t *self, const uint8_t *target, uint8_t *out,
                      size_t cap, size_t *len) {
  struct mb_wire_raid_array a = {.term = TERM,
                                 .index = ARRAY_INDEX,
                                 .name = ARRAY_NAME,
                                 .level = 6,
                                 .data = 4,
                                 .parity = 2,
                                 .size = 4ull << 40,
                                 .state = 1, /* degraded */
                                 .n_slots = 6};
  for (size_t i = 0; i < a.n_slots; i++) {
    slot_device(self, target, i, a.slots[i].device);
    a.slots[i].state = i == 1; /* down */
  }
  return mb_wire_raid_array_body_encode(&a, out, cap, len);
}

static int task_body(const uint8_t *self, const uint8_t *target, uint8_t *out,
                     size_t cap, size_t *len) {
  struct mb_wire_raid_task t = {.term = TERM,
                                .index = TASK_INDEX,
                                .id = 17,
                                .array = ARRAY_NAME,
                                .slot = 1,
                                .kind = 1,  /* rebuild */
                                .state = 1, /* running */
                                .n_sources = 4,
                                .bytes = 1ull << 40,
                                .progress = 1ull << 38};
  memcpy(t.target, target, MB_NODE_REF_LEN);
  for (size_t i = 0; i < t.n_sources; i++)
    slot_device(self, target, i == 0 ? 0 : i + 1, t.sources[i]);
  return mb_wire_raid_task_body_encode(&t, out, cap, len);
}

static int leader_body(const uint8_t *self, const uint8_t *target, uint8_t *out,
                       size_t cap, size_t *len) {
  struct mb_wire_raid_leader l = {.term = TERM,
                                  .index = TASK_INDEX,
                                  .n_voters = 3,
                                  .arrays = 1,
                                  .tasks = 1};
  memcpy(l.leader, self, MB_NODE_ID_LEN);
  memcpy(l.voters[0], self, MB_NODE_ID_LEN);
  memcpy(l.voters[1], target, MB_NODE_ID_LEN);
  memset(l.voters[2], 0x33, MB_NODE_ID_LEN);
  return mb_wire_raid_leader_body_encode(&l, out, cap, len);
}

int wire_sample_raid(const struct mb_identity *id, const char *cluster,
                     enum mb_record_kind kind, const uint8_t *target,
                     int64_t time_ms, uint8_t *out, size_t cap, size_t *len) {
  uint8_t body[MB_CHANNEL_BODY_MAX], subject[MB_CHANNEL_SUBJECT_MAX];
  size_t body_len = 0, subject_len = 0;
  uint64_t index = kind == MB_REC_RAID_ARRAY ? ARRAY_INDEX : TASK_INDEX;
  int rc = MB_EINVAL;
  if (kind == MB_REC_RAID_ARRAY) {
    rc = array_body(id->pk, target, body, sizeof(body), &body_len);
    mb_wire_raid_array_subject(ARRAY_NAME, subject);
    subject_len = MB_WIRE_RAID_ARRAY_SUBJECT_LEN;
  } else if (kind == MB_REC_RAID_TASK) {
    rc = task_body(id->pk, target, body, sizeof(body), &body_len);
    mb_wire_raid_task_subject(17, subject);
    subject_len = MB_WIRE_RAID_TASK_SUBJECT_LEN;
  } else if (kind == MB_REC_RAID_LEADER) {
    rc = leader_body(id->pk, target, body, sizeof(body), &body_len);
    subject[0] = 0x00;
    subject_len = MB_WIRE_RAID_LEADER_SUBJECT_LEN;
  }
  if (rc == MB_OK)
    rc = mb_wire_channel_record_sign(id, cluster, kind, subject, subject_len,
                                     index, time_ms, 0, body, body_len, out,
                                     cap, len);
  return rc;
}
