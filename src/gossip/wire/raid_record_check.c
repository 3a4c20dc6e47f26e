/*
 * What makes a RAID publication record coherent, beyond its signer: the
 * body decodes, the subject names what the body is about (an array's
 * name hashed, a task's id, the leader's 0x00), and the version is the
 * body's Raft index.  Without these, one array could be held under two
 * subjects, or a record could win the channel's version comparison with
 * an index its body does not claim.
 */
#include "wire_internal.h"

#include <sodium.h>
#include <string.h>

void mb_wire_raid_array_subject(const char *name,
                                uint8_t out[MB_WIRE_RAID_ARRAY_SUBJECT_LEN]) {
  static const char domain[] = "meshbeat-raid-array"; /* and its NUL */
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, MB_WIRE_RAID_ARRAY_SUBJECT_LEN);
  crypto_generichash_update(&st, (const uint8_t *)domain, sizeof(domain));
  crypto_generichash_update(&st, (const uint8_t *)name, strlen(name));
  crypto_generichash_final(&st, out, MB_WIRE_RAID_ARRAY_SUBJECT_LEN);
}

void mb_wire_raid_task_subject(uint64_t id,
                               uint8_t out[MB_WIRE_RAID_TASK_SUBJECT_LEN]) {
  for (size_t i = 0; i < MB_WIRE_RAID_TASK_SUBJECT_LEN; i++)
    out[i] = (uint8_t)(id >> (8 * (MB_WIRE_RAID_TASK_SUBJECT_LEN - 1 - i)));
}

static int subject_is(const struct mb_channel_record *c, const uint8_t *want,
                      size_t len) {
  return c->subject_len == len && memcmp(c->subject, want, len) == 0
             ? MB_OK
             : MB_ESUBJECT;
}

static int check_array(const struct mb_channel_record *c, uint64_t *index) {
  struct mb_wire_raid_array a;
  int rc = mb_wire_raid_array_body_decode(c->body, c->body_len, &a);
  uint8_t want[MB_WIRE_RAID_ARRAY_SUBJECT_LEN];
  if (rc == MB_OK) {
    mb_wire_raid_array_subject(a.name, want);
    rc = subject_is(c, want, sizeof(want));
  }
  *index = a.index;
  return rc;
}

static int check_task(const struct mb_channel_record *c, uint64_t *index) {
  struct mb_wire_raid_task t;
  int rc = mb_wire_raid_task_body_decode(c->body, c->body_len, &t);
  uint8_t want[MB_WIRE_RAID_TASK_SUBJECT_LEN];
  if (rc == MB_OK) {
    mb_wire_raid_task_subject(t.id, want);
    rc = subject_is(c, want, sizeof(want));
  }
  *index = t.index;
  return rc;
}

static int check_leader(const struct mb_channel_record *c, uint64_t *index) {
  struct mb_wire_raid_leader l;
  static const uint8_t want[MB_WIRE_RAID_LEADER_SUBJECT_LEN] = {0};
  int rc = mb_wire_raid_leader_body_decode(c->body, c->body_len, &l);
  if (rc == MB_OK)
    rc = subject_is(c, want, sizeof(want));
  *index = l.index;
  return rc;
}

int mb_wire_raid_record_check(enum mb_record_kind kind,
                              const struct mb_channel_record *c) {
  uint64_t index = 0;
  int rc;
  if (kind == MB_REC_RAID_ARRAY)
    rc = check_array(c, &index);
  else if (kind == MB_REC_RAID_TASK)
    rc = check_task(c, &index);
  else if (kind == MB_REC_RAID_LEADER)
    rc = check_leader(c, &index);
  else
    return MB_EKIND;
  return rc == MB_OK && c->version != index ? MB_ERANGE : rc;
}
