/* The shared RAID state of raid_world.h. */
#include "raid_world.h"

#include <stdio.h>
#include <string.h>

static struct mb_raid_cmd *next(struct raid_world *w, uint8_t kind) {
  struct mb_raid_cmd *c = &w->cmds[w->n_cmds++];
  memset(c, 0, sizeof *c);
  c->kind = kind;
  return c;
}

static void id_of(uint8_t *out, unsigned i) {
  memset(out, 0xd0 + (int)i, MB_RAID_ID_LEN);
}

static void devices(struct raid_world *w) {
  for (unsigned i = 0; i < 6; i++) {
    struct mb_raid_cmd *c = next(w, MB_RAID_CMD_DEVICE_REPORT);
    id_of(c->device, i);
    snprintf(c->name, sizeof c->name, "disk-%u", i);
    snprintf(c->domain, sizeof c->domain, "rack%u", i / 2);
    c->capacity = UINT64_C(4000000000000);
    c->available = UINT64_C(3000000000000);
    c->incarnation = 1;
  }
}

static void arrays(struct raid_world *w) {
  struct mb_raid_cmd *m = next(w, MB_RAID_CMD_ARRAY_CREATE);
  snprintf(m->array, sizeof m->array, "mirror");
  m->level = MB_RAID_LEVEL_RAID1, m->data = 1, m->parity = 1;
  m->size = UINT64_C(500000000000), m->n_devices = 2;
  id_of(m->devices[0], 0), id_of(m->devices[1], 2);
  struct mb_raid_cmd *e = next(w, MB_RAID_CMD_ARRAY_CREATE);
  snprintf(e->array, sizeof e->array, "ec-2-1");
  e->level = MB_RAID_LEVEL_EC, e->data = 2, e->parity = 1;
  e->size = UINT64_C(900000000001), e->n_devices = 3;
  id_of(e->devices[0], 1), id_of(e->devices[1], 3), id_of(e->devices[2], 4);
}

static void failure(struct raid_world *w) {
  struct mb_raid_cmd *c = next(w, MB_RAID_CMD_DEVICE_DOWN);
  id_of(c->device, 0);
  c->incarnation = 1;
  c = next(w, MB_RAID_CMD_DEVICE_OUT);
  id_of(c->device, 0);
  c = next(w, MB_RAID_CMD_TASK_START);
  snprintf(c->array, sizeof c->array, "mirror");
  c->slot = 0, c->task_kind = MB_RAID_TASK_REBUILD;
  id_of(c->target, 5);
  c->n_devices = 1;
  id_of(c->devices[0], 2);
  c = next(w, MB_RAID_CMD_TASK_PROGRESS);
  c->task = 1, c->progress = 123456789;
  id_of(c->target, 5);
  c = next(w, MB_RAID_CMD_DRAIN);
  id_of(c->device, 4);
  c->on = true;
}

int raid_world_build(struct raid_world *w) {
  memset(w, 0, sizeof *w);
  w->s = mb_raid_state_new();
  if (w->s == NULL)
    return MB_ENOSPACE;
  devices(w);
  arrays(w);
  failure(w);
  for (size_t i = 0; i < w->n_cmds; i++) {
    int rc = mb_raid_apply(w->s, i + 1, &w->cmds[i]);
    if (rc != MB_OK)
      return rc;
  }
  return MB_OK;
}

void raid_world_free(struct raid_world *w) {
  mb_raid_state_free(w->s);
  w->s = NULL;
}
