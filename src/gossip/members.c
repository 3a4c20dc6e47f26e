/*
 * The member table: a dense array (stable iteration, cheap random picks)
 * indexed by an open-addressing hash on the node id.  Every state change
 * goes through swim_set_state, which emits the event the drivers record.
 */
#include "swim_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Points *held at an interned copy of p, dropping what it held (nothing
 * changes when the bytes are the same). */
static int intern(struct swim *s, const uint8_t **held, const uint8_t *p,
                  size_t len) {
  if (*held != NULL && mb_blob_len(*held) == len && memcmp(*held, p, len) == 0)
    return MB_OK;
  const uint8_t *copy = mb_blob_get(s->blobs, p, len);
  if (copy == NULL)
    return -ENOMEM;
  mb_blob_put(s->blobs, *held);
  *held = copy;
  return MB_OK;
}

int swim_bytes_set(struct swim *s, struct bytes *b, const uint8_t *p,
                   size_t len) {
  int rc = intern(s, &b->p, p, len);
  if (rc == MB_OK)
    b->len = len;
  return rc;
}

void swim_bytes_free(struct swim *s, struct bytes *b) {
  mb_blob_put(s->blobs, b->p);
  b->p = NULL;
  b->len = 0;
}

int swim_blob_set(struct swim *s, struct blob *b, const uint8_t *p,
                  size_t len) {
  return intern(s, &b->p, p, len);
}

void swim_blob_free(struct swim *s, struct blob *b) {
  mb_blob_put(s->blobs, b->p);
  b->p = NULL;
}

struct bytes swim_blob_bytes(struct blob b) {
  return (struct bytes){b.p, mb_blob_len(b.p)};
}

/* Zeroes *hb when there is no record, so callers may read it regardless. */
int swim_member_hb(const struct member *m, struct mb_heartbeat *hb) {
  struct bytes raw = swim_blob_bytes(m->record);
  struct mb_record rec;
  if (raw.p == NULL || mb_wire_record_parse(raw.p, raw.len, &rec) != MB_OK ||
      rec.kind != MB_REC_HEARTBEAT) {
    memset(hb, 0, sizeof(*hb));
    return -ENOENT;
  }
  *hb = rec.u.hb;
  return MB_OK;
}

bool swim_is_live(const struct member *m) {
  return m->state == SWIM_ALIVE || m->state == SWIM_SUSPECT;
}

size_t swim_member_index(const struct swim *s, const struct member *m) {
  return (size_t)(m - s->m);
}

static uint64_t id_hash(const uint8_t *id) {
  uint64_t h;
  memcpy(&h, id, sizeof(h)); /* node ids are public keys: already uniform */
  return h;
}

static void index_insert(struct swim *s, size_t idx) {
  size_t mask = s->n_slots - 1;
  size_t i = (size_t)id_hash(s->m[idx].id) & mask;
  while (s->slots[i] >= 0)
    i = (i + 1) & mask;
  s->slots[i] = (int32_t)idx;
}

static int index_rebuild(struct swim *s, size_t want_slots) {
  int32_t *slots = malloc(want_slots * sizeof(*slots));
  if (slots == NULL)
    return -ENOMEM;
  free(s->slots);
  s->slots = slots;
  s->n_slots = want_slots;
  memset(slots, 0xff, want_slots * sizeof(*slots));
  for (size_t i = 0; i < s->n; i++)
    index_insert(s, i);
  return MB_OK;
}

/* Looks up by the first `len` bytes of the id (a node ref or a full id). */
static struct member *find_prefix(struct swim *s, const uint8_t *id,
                                  size_t len) {
  if (s->n_slots == 0)
    return NULL;
  size_t mask = s->n_slots - 1;
  for (size_t i = (size_t)id_hash(id) & mask; s->slots[i] >= 0;
       i = (i + 1) & mask) {
    struct member *m = &s->m[s->slots[i]];
    if (memcmp(m->id, id, len) == 0)
      return m;
  }
  return NULL;
}

struct member *swim_member_by_id(struct swim *s, const uint8_t *id) {
  return find_prefix(s, id, MB_NODE_ID_LEN);
}

struct member *swim_member_by_ref(struct swim *s, const uint8_t *ref) {
  return find_prefix(s, ref, MB_NODE_REF_LEN);
}

static int grow(struct swim *s) {
  size_t cap = s->cap ? 2 * s->cap : 16;
  struct member *m = realloc(s->m, cap * sizeof(*m));
  if (m == NULL)
    return -ENOMEM;
  s->m = m;
  s->cap = cap;
  return index_rebuild(s, 2 * cap);
}

struct member *swim_member_add(struct swim *s, const uint8_t *id) {
  if (s->n == s->cap && grow(s) != MB_OK)
    return NULL;
  const uint8_t *shared = mb_blob_get(s->blobs, id, MB_NODE_ID_LEN);
  if (shared == NULL)
    return NULL;
  struct member *m = &s->m[s->n];
  memset(m, 0, sizeof(*m));
  m->id = shared;
  mb_replay_init(&m->replay);
  swim_stranger_adopt(s, m);
  m->state = SWIM_NONE; /* until its first record says what it is */
  m->state_since = s->now;
  s->n++;
  index_insert(s, s->n - 1);
  return m;
}

void swim_member_release(struct swim *s, struct member *m) {
  swim_blob_free(s, &m->record);
  swim_blob_free(s, &m->cert);
  swim_blob_free(s, &m->claim);
  mb_blob_put(s->blobs, m->id);
  m->id = NULL;
}

/* Swap-remove; indices held elsewhere (probe order, suspects) are rebuilt. */
void swim_member_remove(struct swim *s, size_t idx) {
  struct member *m = &s->m[idx];
  if (swim_is_live(m))
    s->n_live--;
  if (m->state == SWIM_ALIVE)
    swim_census_out(s, m);
  swim_suspects_remove(s, idx);
  swim_news_drop(s, m);
  swim_view_out(s, m);
  swim_member_release(s, m);
  size_t last = s->n - 1;
  if (idx != last) {
    s->m[idx] = s->m[last];
    swim_pair_key_moved(s, last, idx);
    swim_news_member_moved(s, (uint32_t)idx);
    if (s->self_idx == last)
      s->self_idx = idx;
    for (size_t i = 0; i < s->n_suspects; i++)
      if (s->suspects[i].idx == last)
        s->suspects[i].idx = (uint32_t)idx;
  }
  s->n--;
  index_rebuild(s, s->n_slots);
  swim_probe_order_reset(s);
}

static void emit(struct swim *s, const struct member *m, enum swim_state from,
                 enum swim_reason why) {
  struct swim_event ev = {.from = from,
                          .to = m->state,
                          .reason = why,
                          .incarnation = m->incarnation,
                          .at = s->now};
  struct mb_heartbeat hb;
  swim_member_hb(m, &hb); /* the name is in the record */
  memcpy(ev.id, m->id, MB_NODE_ID_LEN);
  memcpy(ev.name, hb.name, sizeof(ev.name));
  swim_out_event(s, &ev);
}

void swim_set_state(struct swim *s, struct member *m, enum swim_state to,
                    enum swim_reason why) {
  enum swim_state from = m->state;
  /* A revocation is news even about a member already dead; a revoked
   * member never comes back, whatever path would bring it. */
  if ((from == to && why != SWIM_R_REVOKED) || (m->revoked && to != SWIM_DEAD))
    return;
  m->reason = (uint8_t)why;
  bool was_live = swim_is_live(m);
  swim_view_out(s, m);
  m->state = to;
  swim_view_in(s, m);
  m->state_since = s->now;
  if (was_live && !swim_is_live(m))
    s->n_live--;
  else if (!was_live && swim_is_live(m))
    s->n_live++;
  if (from == SWIM_ALIVE && to != SWIM_ALIVE)
    swim_census_out(s, m);
  else if (from != SWIM_ALIVE && to == SWIM_ALIVE)
    swim_census_in(s, m);
  if (from == SWIM_SUSPECT && to != SWIM_SUSPECT)
    swim_suspects_remove(s, swim_member_index(s, m));
  if (to == SWIM_ALIVE)
    m->n_accusers = 0; /* its suspicion is over: no confirmations */
  if (to == SWIM_DEAD && from != SWIM_DEAD && !m->is_self)
    swim_flap_death(s, m);
  if (!m->is_self)
    emit(s, m, from, why);
}
