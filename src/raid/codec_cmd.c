/*
 * A command as a Raft log entry: a CBOR map with small integer keys and
 * exactly the fields of its kind (docs/raid.md, "Commands").  The decoder
 * runs on every entry a replica applies and is fuzzed (fuzz_raid_cmd).
 */
#include "raid_internal.h"

#include <string.h>

enum cmd_key {
  KEY_KIND = 1,
  KEY_DEVICE = 2,
  KEY_NAME = 3,
  KEY_DOMAIN = 4,
  KEY_CAPACITY = 5,
  KEY_AVAILABLE = 6,
  KEY_INCARNATION = 7,
  KEY_ON = 8,
  KEY_ARRAY = 9,
  KEY_LEVEL = 10,
  KEY_DATA = 11,
  KEY_PARITY = 12,
  KEY_SIZE = 13,
  KEY_DEVICES = 14,
  KEY_TASK = 15,
  KEY_SLOT = 16,
  KEY_TASK_KIND = 17,
  KEY_TARGET = 18,
  KEY_PROGRESS = 19,
  KEY_LAST = KEY_PROGRESS,
};

#define K(key) (1u << (key))

/* The fields each kind carries besides its kind; 0: no such kind. */
static uint32_t fields_of(uint8_t kind) {
  static const uint32_t fields[] = {
      [MB_RAID_CMD_DEVICE_REPORT] = K(KEY_DEVICE) | K(KEY_NAME) |
                                    K(KEY_DOMAIN) | K(KEY_CAPACITY) |
                                    K(KEY_AVAILABLE) | K(KEY_INCARNATION),
      [MB_RAID_CMD_DEVICE_DOWN] = K(KEY_DEVICE) | K(KEY_INCARNATION),
      [MB_RAID_CMD_DEVICE_UP] = K(KEY_DEVICE) | K(KEY_INCARNATION),
      [MB_RAID_CMD_DEVICE_OUT] = K(KEY_DEVICE),
      [MB_RAID_CMD_DRAIN] = K(KEY_DEVICE) | K(KEY_ON),
      [MB_RAID_CMD_ARRAY_CREATE] = K(KEY_ARRAY) | K(KEY_LEVEL) | K(KEY_DATA) |
                                   K(KEY_PARITY) | K(KEY_SIZE) | K(KEY_DEVICES),
      [MB_RAID_CMD_ARRAY_REMOVE] = K(KEY_ARRAY),
      [MB_RAID_CMD_TASK_START] = K(KEY_ARRAY) | K(KEY_SLOT) | K(KEY_TASK_KIND) |
                                 K(KEY_TARGET) | K(KEY_DEVICES),
      [MB_RAID_CMD_TASK_PROGRESS] =
          K(KEY_TASK) | K(KEY_TARGET) | K(KEY_PROGRESS),
      [MB_RAID_CMD_TASK_DONE] = K(KEY_TASK) | K(KEY_TARGET),
      [MB_RAID_CMD_TASK_REASSIGN] =
          K(KEY_TASK) | K(KEY_DEVICE) | K(KEY_TARGET) | K(KEY_DEVICES),
      [MB_RAID_CMD_TASK_CANCEL] = K(KEY_TASK),
  };
  return kind < sizeof fields / sizeof fields[0] ? fields[kind] : 0;
}

static void write_text(struct mb_cbor_writer *w, const char *s, size_t max) {
  mb_cw_text(w, s, strnlen(s, max));
}

static void write_field(struct mb_cbor_writer *w, const struct mb_raid_cmd *c,
                        int key) {
  mb_cw_uint(w, (uint64_t)key);
  switch (key) {
  case KEY_KIND:
    mb_cw_uint(w, c->kind);
    break;
  case KEY_DEVICE:
    mb_cw_bytes(w, c->device, MB_RAID_ID_LEN);
    break;
  case KEY_NAME:
    write_text(w, c->name, MB_RAID_NAME_MAX);
    break;
  case KEY_DOMAIN:
    write_text(w, c->domain, MB_RAID_DOMAIN_MAX);
    break;
  case KEY_CAPACITY:
    mb_cw_uint(w, c->capacity);
    break;
  case KEY_AVAILABLE:
    mb_cw_uint(w, c->available);
    break;
  case KEY_INCARNATION:
    mb_cw_uint(w, c->incarnation);
    break;
  case KEY_ON:
    mb_cw_bool(w, c->on);
    break;
  case KEY_ARRAY:
    write_text(w, c->array, MB_RAID_NAME_MAX);
    break;
  case KEY_LEVEL:
    mb_cw_uint(w, c->level);
    break;
  case KEY_DATA:
    mb_cw_uint(w, c->data);
    break;
  case KEY_PARITY:
    mb_cw_uint(w, c->parity);
    break;
  case KEY_SIZE:
    mb_cw_uint(w, c->size);
    break;
  case KEY_DEVICES:
    raid_cw_ids(w, (const uint8_t(*)[MB_RAID_ID_LEN])c->devices, c->n_devices);
    break;
  case KEY_TASK:
    mb_cw_uint(w, c->task);
    break;
  case KEY_SLOT:
    mb_cw_uint(w, c->slot);
    break;
  case KEY_TASK_KIND:
    mb_cw_uint(w, c->task_kind);
    break;
  case KEY_TARGET:
    mb_cw_bytes(w, c->target, MB_RAID_ID_LEN);
    break;
  default:
    mb_cw_uint(w, c->progress);
    break;
  }
}

int mb_raid_cmd_encode(const struct mb_raid_cmd *c, uint8_t *buf, size_t cap,
                       size_t *len) {
  uint32_t fields = fields_of(c->kind);
  if (fields == 0)
    return MB_EKIND;
  if (c->n_devices > MB_RAID_SLOTS_MAX)
    return MB_EINVAL;
  fields |= K(KEY_KIND);
  struct mb_cbor_writer w;
  mb_cw_init(&w, buf, cap);
  mb_cw_map(&w, (size_t)__builtin_popcount(fields));
  for (int key = KEY_KIND; key <= KEY_LAST; key++)
    if (fields & K(key))
      write_field(&w, c, key);
  int rc = mb_cw_status(&w);
  if (rc == MB_OK)
    *len = w.len;
  return rc;
}

static int read_field(struct mb_cbor_reader *r, int64_t key, void *ctx) {
  struct mb_raid_cmd *c = ctx;
  switch (key) {
  case KEY_KIND:
    return raid_cr_u8(r, &c->kind);
  case KEY_DEVICE:
    return raid_cr_id(r, c->device);
  case KEY_NAME:
    return mb_cr_text_copy(r, c->name, MB_RAID_NAME_MAX);
  case KEY_DOMAIN:
    return mb_cr_text_copy(r, c->domain, MB_RAID_DOMAIN_MAX);
  case KEY_CAPACITY:
    return mb_cr_uint(r, &c->capacity);
  case KEY_AVAILABLE:
    return mb_cr_uint(r, &c->available);
  case KEY_INCARNATION:
    return mb_cr_uint(r, &c->incarnation);
  case KEY_ON:
    return mb_cr_bool(r, &c->on);
  case KEY_ARRAY:
    return mb_cr_text_copy(r, c->array, MB_RAID_NAME_MAX);
  case KEY_LEVEL:
    return raid_cr_u8(r, &c->level);
  case KEY_DATA:
    return raid_cr_u8(r, &c->data);
  case KEY_PARITY:
    return raid_cr_u8(r, &c->parity);
  case KEY_SIZE:
    return mb_cr_uint(r, &c->size);
  case KEY_DEVICES:
    return raid_cr_ids(r, c->devices, &c->n_devices);
  case KEY_TASK:
    return mb_cr_uint(r, &c->task);
  case KEY_SLOT:
    return raid_cr_u8(r, &c->slot);
  case KEY_TASK_KIND:
    return raid_cr_u8(r, &c->task_kind);
  case KEY_TARGET:
    return raid_cr_id(r, c->target);
  case KEY_PROGRESS:
    return mb_cr_uint(r, &c->progress);
  default:
    /* Keys 0 and 20..31 are reserved: seen as extra fields below. */
    return mb_cr_skip(r);
  }
}

/* The kind's fields exactly: MB_EKIND, MB_EMISSING or MB_EINVAL (extra). */
static int fields_match(const struct mb_raid_cmd *c, uint32_t seen) {
  uint32_t fields = fields_of(c->kind);
  if (!(seen & K(KEY_KIND)) || fields == 0)
    return MB_EKIND;
  fields |= K(KEY_KIND);
  if ((seen & fields) != fields)
    return MB_EMISSING;
  return seen == fields ? MB_OK : MB_EINVAL;
}

int mb_raid_cmd_decode(const uint8_t *buf, size_t len,
                       struct mb_raid_cmd *out) {
  memset(out, 0, sizeof *out);
  uint32_t seen;
  int rc = mb_cr_map_walk_all(buf, len, 32, read_field, out, &seen);
  if (rc == MB_OK)
    rc = fields_match(out, seen);
  if (rc != MB_OK)
    memset(out, 0, sizeof *out); /* a refusal leaves nothing behind */
  return rc;
}
