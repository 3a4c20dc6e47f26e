/*
 * Seeds of fuzz_wire_raid and the RAID publication records: an array,
 * a task and the leader record as a coordinator publishes them, the
 * largest of each, and bodies that must be refused.
 */
#include "corpus_wire_raid.h"
#include "fuzz_common.h"
#include "mb_wire.h"

#include <stdio.h>
#include <string.h>

#define DIR "wire_raid"

enum decoder { ARRAY, TASK, LEADER };

/* The seed, checked against the decoder it is made for first. */
static int body_seed(corpus_put_fn put, void *ctx, const char *name,
                     const uint8_t *p, size_t len, enum decoder d, int want) {
  struct mb_wire_raid_array a;
  struct mb_wire_raid_task t;
  struct mb_wire_raid_leader l;
  int got = d == ARRAY  ? mb_wire_raid_array_body_decode(p, len, &a)
            : d == TASK ? mb_wire_raid_task_body_decode(p, len, &t)
                        : mb_wire_raid_leader_body_decode(p, len, &l);
  put(ctx, DIR, name, p, len);
  if (got == want)
    return 0;
  fprintf(stderr, "corpus_wire_raid: %s: got %s, want %s\n", name,
          mb_errname(got), mb_errname(want));
  return 1;
}

static int hex_seed(corpus_put_fn put, void *ctx, const char *name,
                    const char *hex, enum decoder d, int want) {
  uint8_t bin[MB_CHANNEL_BODY_MAX];
  size_t len = strlen(hex) / 2;
  if (len > sizeof(bin) || mb_hex_decode(bin, len, hex) != MB_OK) {
    fprintf(stderr, "corpus_wire_raid: %s: bad hex\n", name);
    return 1;
  }
  return body_seed(put, ctx, name, bin, len, d, want);
}

static void typical_array(struct mb_wire_raid_array *a, bool largest) {
  memset(a, 0, sizeof(*a));
  a->term = 3, a->index = 120, a->size = 1ull << 40;
  snprintf(a->name, sizeof(a->name), "%s", "eu-archive");
  a->level = 6, a->data = 4, a->parity = 2, a->state = 2;
  a->n_slots = 6;
  if (largest) {
    memset(a->name, 'n', MB_WIRE_RAID_NAME_MAX);
    a->level = 7, a->data = 24, a->parity = 8, a->n_slots = 32;
    a->removed = true;
  }
  for (size_t i = 0; i < a->n_slots; i++) {
    memset(a->slots[i].device, 0x10 + (int)i, MB_NODE_REF_LEN);
    a->slots[i].state = i == 1 ? 3 : 0;
  }
}

static void typical_task(struct mb_wire_raid_task *t, bool largest) {
  memset(t, 0, sizeof(*t));
  t->term = 3, t->index = 121, t->id = 17;
  snprintf(t->array, sizeof(t->array), "%s", "eu-archive");
  t->slot = 1, t->kind = 1, t->state = 1;
  memset(t->target, 0x40, MB_NODE_REF_LEN);
  t->n_sources = largest ? MB_WIRE_RAID_SLOTS_MAX : 4;
  for (size_t i = 0; i < t->n_sources; i++)
    memset(t->sources[i], 0x10 + (int)i, MB_NODE_REF_LEN);
  t->bytes = 1ull << 38, t->progress = 1ull << 36;
}

static void typical_leader(struct mb_wire_raid_leader *l, bool largest) {
  memset(l, 0, sizeof(*l));
  l->term = 3, l->index = 121, l->arrays = 1, l->tasks = 1;
  memset(l->leader, 0x0a, MB_NODE_ID_LEN);
  l->n_voters = largest ? MB_WIRE_RAID_VOTERS_MAX : 3;
  for (size_t i = 0; i < l->n_voters; i++)
    memset(l->voters[i], 0x0a + (int)i, MB_NODE_ID_LEN);
}

/* The record of kind about subject with body, as fuzz_record sees it. */
static int record_seed(corpus_put_fn put, void *ctx,
                       const struct mb_identity *signer, const char *name,
                       enum mb_record_kind kind, const uint8_t *subject,
                       size_t subject_len, uint64_t index, const uint8_t *body,
                       size_t body_len) {
  struct mb_channel_record c = {.subject_len = subject_len,
                                .version = index,
                                .issued_ms = FUZZ_NOW_S * 1000,
                                .body = body,
                                .body_len = body_len};
  memcpy(c.subject, subject, subject_len);
  uint8_t rec[MB_WIRE_MAX_RECORD];
  size_t len;
  struct mb_record r;
  int rc = mb_wire_channel_sign(signer, (const uint8_t *)FUZZ_AAD, FUZZ_AAD_LEN,
                                kind, &c, rec, sizeof(rec), &len);
  if (rc == MB_OK)
    rc = mb_wire_record_open(NULL, rec, len, (const uint8_t *)FUZZ_AAD,
                             FUZZ_AAD_LEN, &r);
  if (rc == MB_OK)
    rc = mb_wire_raid_record_check(kind, &r.u.ch);
  if (rc != MB_OK) {
    fprintf(stderr, "corpus_wire_raid: %s: %s\n", name, mb_errname(rc));
    return 1;
  }
  put(ctx, "record", name, rec, len);
  put(ctx, "cose", name, rec, len);
  put(ctx, "coord_record", name, rec, len);
  return 0;
}

static int array_seeds(corpus_put_fn put, void *ctx,
                       const struct mb_identity *signer) {
  uint8_t body[MB_CHANNEL_BODY_MAX], subject[MB_WIRE_RAID_ARRAY_SUBJECT_LEN];
  size_t len;
  struct mb_wire_raid_array a;
  int bad = 0;
  for (int largest = 0; largest < 2; largest++) {
    typical_array(&a, largest);
    bad += mb_wire_raid_array_body_encode(&a, body, sizeof(body), &len) != 0;
    bad += body_seed(put, ctx, largest ? "array-largest" : "array", body, len,
                     ARRAY, MB_OK);
  }
  typical_array(&a, false);
  bad += mb_wire_raid_array_body_encode(&a, body, sizeof(body), &len) != 0;
  mb_wire_raid_array_subject(a.name, subject);
  bad += record_seed(put, ctx, signer, "rec-raid-array", MB_REC_RAID_ARRAY,
                     subject, sizeof(subject), a.index, body, len);
  return bad;
}

static int task_leader_seeds(corpus_put_fn put, void *ctx,
                             const struct mb_identity *signer) {
  uint8_t body[MB_CHANNEL_BODY_MAX], subject[MB_WIRE_RAID_TASK_SUBJECT_LEN];
  size_t len;
  struct mb_wire_raid_task t;
  struct mb_wire_raid_leader l;
  int bad = 0;
  for (int largest = 0; largest < 2; largest++) {
    typical_leader(&l, largest);
    bad += mb_wire_raid_leader_body_encode(&l, body, sizeof(body), &len) != 0;
    bad += body_seed(put, ctx, largest ? "leader-largest" : "leader", body, len,
                     LEADER, MB_OK);
    typical_task(&t, largest);
    bad += mb_wire_raid_task_body_encode(&t, body, sizeof(body), &len) != 0;
    bad += body_seed(put, ctx, largest ? "task-largest" : "task", body, len,
                     TASK, MB_OK);
  }
  typical_task(&t, false);
  bad += mb_wire_raid_task_body_encode(&t, body, sizeof(body), &len) != 0;
  mb_wire_raid_task_subject(t.id, subject);
  bad += record_seed(put, ctx, signer, "rec-raid-task", MB_REC_RAID_TASK,
                     subject, sizeof(subject), t.index, body, len);
  typical_leader(&l, false);
  bad += mb_wire_raid_leader_body_encode(&l, body, sizeof(body), &len) != 0;
  static const uint8_t zero[1] = {0};
  bad += record_seed(put, ctx, signer, "rec-raid-leader", MB_REC_RAID_LEADER,
                     zero, sizeof(zero), l.index, body, len);
  return bad;
}

/* Hand-made: an unknown key skipped (a leader with key 7), a voter one
 * byte short, a missing key, a name in bytes, removed: false, 33
 * sources. */
static int broken_seeds(corpus_put_fn put, void *ctx) {
  int bad = 0;
  bad += hex_seed(put, ctx, "leader-unknown-key",
                  "a7010102010358200a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a"
                  "0a0a0a0a0a0a0a0a0a0a0a0a04800500060007636e6577",
                  LEADER, MB_OK);
  bad += hex_seed(put, ctx, "broken-leader-short-voter",
                  "a6010102010358200a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a"
                  "0a0a0a0a0a0a0a0a0a0a0a0a0481581f0b0b0b0b0b0b0b0b0b0b0b0b"
                  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b05000600",
                  LEADER, MB_ERANGE);
  bad += hex_seed(put, ctx, "broken-array-missing-slots",
                  "a801010207036465752d31040505020601071901000800", ARRAY,
                  MB_EMISSING);
  bad += hex_seed(put, ctx, "broken-array-name-bytes",
                  "a901010207034465752d310405050206010719010008000980", ARRAY,
                  MB_ETYPE);
  bad += hex_seed(put, ctx, "broken-array-removed-false",
                  "aa01010207036465752d3104050502060107190100080009800af4",
                  ARRAY, MB_ERANGE);
  bad += hex_seed(put, ctx, "broken-task-33-sources", "a1099821", TASK,
                  MB_ETOOBIG);
  return bad;
}

int corpus_wire_raid_seeds(corpus_put_fn put, void *ctx,
                           const struct mb_identity *signer) {
  return array_seeds(put, ctx, signer) + task_leader_seeds(put, ctx, signer) +
         broken_seeds(put, ctx);
}
