/*
 * Seeds of the RAID fuzz targets: every command raid_world applies, a few
 * more kinds, hand-broken entries, and snapshots of raid_world at several
 * points (empty, with a rebuild under way, healed, with a failed array),
 * plus a truncated one.
 */
#include "corpus_raid.h"
#include "raid_world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmd_seed(corpus_put_fn put, void *ctx, const char *name,
                    const struct mb_raid_cmd *c) {
  uint8_t buf[MB_RAID_CMD_MAX];
  size_t len;
  struct mb_raid_cmd back;
  if (mb_raid_cmd_encode(c, buf, sizeof buf, &len) != MB_OK ||
      mb_raid_cmd_decode(buf, len, &back) != MB_OK) {
    fprintf(stderr, "corpus_raid: %s does not round-trip\n", name);
    return 1;
  }
  put(ctx, "raid_cmd", name, buf, len);
  return 0;
}

/* Entries that must not decode: truncated, an extra field, no such kind. */
static int broken_cmd_seeds(corpus_put_fn put, void *ctx,
                            const struct mb_raid_cmd *valid) {
  uint8_t buf[MB_RAID_CMD_MAX];
  size_t len;
  struct mb_raid_cmd back;
  int bad = mb_raid_cmd_encode(valid, buf, sizeof buf, &len) != MB_OK;
  bad += mb_raid_cmd_decode(buf, len - 1, &back) == MB_OK;
  put(ctx, "raid_cmd", "broken-truncated", buf, len - 1);
  static const uint8_t extra[] = {0xa3, 0x01, 0x0c, 0x0f, 0x07, 0x13, 0x01};
  static const uint8_t kind[] = {0xa1, 0x01, 0x18, 0x63};
  bad += mb_raid_cmd_decode(extra, sizeof extra, &back) == MB_OK;
  bad += mb_raid_cmd_decode(kind, sizeof kind, &back) == MB_OK;
  put(ctx, "raid_cmd", "broken-extra-field", extra, sizeof extra);
  put(ctx, "raid_cmd", "broken-kind", kind, sizeof kind);
  return bad;
}

static int more_cmd_seeds(corpus_put_fn put, void *ctx) {
  struct mb_raid_cmd c = {
      .kind = MB_RAID_CMD_TASK_REASSIGN, .task = 1, .n_devices = 1};
  memset(c.device, 0xd5, MB_RAID_ID_LEN);
  memset(c.target, 0xd1, MB_RAID_ID_LEN);
  memset(c.devices[0], 0xd2, MB_RAID_ID_LEN);
  int bad = cmd_seed(put, ctx, "cmd-task-reassign", &c);
  c = (struct mb_raid_cmd){.kind = MB_RAID_CMD_TASK_DONE, .task = 1};
  memset(c.target, 0xd5, MB_RAID_ID_LEN);
  bad += cmd_seed(put, ctx, "cmd-task-done", &c);
  c = (struct mb_raid_cmd){.kind = MB_RAID_CMD_TASK_CANCEL, .task = 1};
  bad += cmd_seed(put, ctx, "cmd-task-cancel", &c);
  c = (struct mb_raid_cmd){.kind = MB_RAID_CMD_DEVICE_UP, .incarnation = 2};
  memset(c.device, 0xd0, MB_RAID_ID_LEN);
  bad += cmd_seed(put, ctx, "cmd-device-up", &c);
  c = (struct mb_raid_cmd){.kind = MB_RAID_CMD_ARRAY_REMOVE};
  snprintf(c.array, sizeof c.array, "ec-2-1");
  bad += cmd_seed(put, ctx, "cmd-array-remove", &c);
  return bad;
}

static int state_seed(corpus_put_fn put, void *ctx, const char *name,
                      const struct mb_raid_state *s) {
  uint8_t *buf;
  size_t len;
  struct mb_raid_state *back = NULL;
  if (mb_raid_state_encode(s, &buf, &len) != MB_OK)
    return 1;
  int bad = mb_raid_state_decode(buf, len, &back) != MB_OK;
  mb_raid_state_free(back);
  put(ctx, "raid_state", name, buf, len);
  if (strcmp(name, "state-rebuilding") == 0) {
    bad += mb_raid_state_decode(buf, len / 2, &back) == MB_OK;
    put(ctx, "raid_state", "broken-truncated", buf, len / 2);
  }
  free(buf);
  if (bad)
    fprintf(stderr, "corpus_raid: %s decodes otherwise than it should\n", name);
  return bad;
}

static int apply_next(struct raid_world *w, struct mb_raid_cmd *c) {
  return mb_raid_apply(w->s, mb_raid_applied_index(w->s) + 1, c) != MB_OK;
}

/* The rebuild finished, then both of the mirror's devices down (the last
 * with current data) and out: given up, the mirror is failed. */
static int later_states(corpus_put_fn put, void *ctx, struct raid_world *w) {
  struct mb_raid_cmd c = {.kind = MB_RAID_CMD_TASK_DONE, .task = 1};
  memset(c.target, 0xd5, MB_RAID_ID_LEN);
  int bad = apply_next(w, &c);
  bad += state_seed(put, ctx, "state-healed", w->s);
  for (int i = 2; i <= 5; i += 3) {
    c = (struct mb_raid_cmd){.kind = MB_RAID_CMD_DEVICE_DOWN, .incarnation = 1};
    memset(c.device, 0xd0 + i, MB_RAID_ID_LEN);
    bad += apply_next(w, &c);
  }
  bad += state_seed(put, ctx, "state-all-down", w->s);
  for (int i = 2; i <= 5; i += 3) {
    c = (struct mb_raid_cmd){.kind = MB_RAID_CMD_DEVICE_OUT};
    memset(c.device, 0xd0 + i, MB_RAID_ID_LEN);
    bad += apply_next(w, &c);
  }
  struct mb_raid_array_info a;
  if (mb_raid_array_find(w->s, "mirror", &a) != MB_OK ||
      a.state != MB_RAID_ARRAY_FAILED) {
    fprintf(stderr, "make_corpus: state-failed-array: no failed array\n");
    bad++;
  }
  bad += state_seed(put, ctx, "state-failed-array", w->s);
  return bad;
}

int corpus_raid_seeds(corpus_put_fn put, void *ctx) {
  static const char *const names[] = {"",
                                      "cmd-device-report",
                                      "cmd-device-down",
                                      "cmd-device-up",
                                      "cmd-device-out",
                                      "cmd-drain",
                                      "cmd-array-create",
                                      "cmd-array-remove",
                                      "cmd-task-start",
                                      "cmd-task-progress"};
  struct raid_world w;
  int bad = raid_world_build(&w) != MB_OK;
  struct mb_raid_state *empty = mb_raid_state_new();
  bad += state_seed(put, ctx, "state-empty", empty);
  mb_raid_state_free(empty);
  bad += state_seed(put, ctx, "state-rebuilding", w.s);
  for (size_t i = 0; i < w.n_cmds; i++) {
    char name[64];
    snprintf(name, sizeof name, "%s-%02zu", names[w.cmds[i].kind], i);
    bad += cmd_seed(put, ctx, name, &w.cmds[i]);
  }
  bad += more_cmd_seeds(put, ctx);
  bad += broken_cmd_seeds(put, ctx, &w.cmds[0]);
  bad += later_states(put, ctx, &w);
  raid_world_free(&w);
  return bad;
}
