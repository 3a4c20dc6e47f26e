/*
 * The durable state's plain structs: freeing what a storage handed out, and
 * deep copies of entries and snapshots (the memory storage keeps copies;
 * every storage hands out copies).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "consensus_internal.h"

uint64_t mb_consensus_id_of(const uint8_t node_id[32]) {
  uint64_t id = 0;
  for (int i = 0; i < 8; i++)
    id = id << 8 | node_id[i];
  return id == 0 ? 1 : id;
}

void mb_consensus_snapshot_clear(struct mb_consensus_snapshot *s) {
  if (s == NULL)
    return;
  free(s->conf);
  free(s->data);
  memset(s, 0, sizeof *s);
}

void mb_consensus_durable_clear(struct mb_consensus_durable *d) {
  if (d == NULL)
    return;
  if (d->snapshot != NULL) {
    mb_consensus_snapshot_clear(d->snapshot);
    free(d->snapshot);
  }
  for (size_t i = 0; i < d->n_entries; i++)
    free(d->entries[i].data);
  free(d->entries);
  memset(d, 0, sizeof *d);
}

static uint8_t *copy_bytes(const uint8_t *p, size_t n) {
  uint8_t *q = malloc(n > 0 ? n : 1);
  if (q != NULL && n > 0)
    memcpy(q, p, n);
  return q;
}

int mb_consensus__entry_copy(const struct mb_consensus_entry *src,
                             struct mb_consensus_entry *dst) {
  *dst = *src;
  dst->data = copy_bytes(src->data, src->len);
  return dst->data == NULL ? -ENOMEM : 0;
}

int mb_consensus__snapshot_copy(const struct mb_consensus_snapshot *src,
                                struct mb_consensus_snapshot *dst) {
  *dst = *src;
  dst->conf = copy_bytes(src->conf, src->conf_len);
  dst->data = copy_bytes(src->data, src->data_len);
  if (dst->conf == NULL || dst->data == NULL) {
    mb_consensus_snapshot_clear(dst);
    return -ENOMEM;
  }
  return 0;
}
