/*
 * Heartbeat records: what a node signs about itself, sent on every probe
 * answer and refreshed as its payload changes.
 *
 *   heartbeat = {0: 1, 1: name, 2: addr, 3: incarnation, 4: seq, 5: time-ms,
 *                6: capacity, 7: available, ?8: domain, ?9: health,
 *                ?10: status, ?11: epoch, ?12: true, ?13: tasks}
 *   ; status only when not alive; 12 (draining) only when draining, 13
 *   ; only when the node runs tasks: a decoder that predates them skips
 *   ; them, as every unknown key
 *   health    = {?1: cpu, ?2: mem, ?3: load, ?4: temp}
 *   tasks     = [1*8 [task-id: uint, bytes-done: uint]]
 *
 * Parsing dispatches here on the kind (record.c).
 */
#include "wire_internal.h"

enum hb_key {
  HB_KIND = 0,
  HB_NAME = 1,
  HB_ADDR = 2,
  HB_INCARNATION = 3,
  HB_SEQ = 4,
  HB_TIME = 5,
  HB_CAPACITY = 6,
  HB_AVAILABLE = 7,
  HB_DOMAIN = 8,
  HB_HEALTH = 9,
  HB_STATUS = 10,
  HB_EPOCH = 11,
  HB_DRAINING = 12,
  HB_TASKS = 13,
};

_Static_assert(WIRE_HEARTBEAT_REQUIRED ==
                   (1u << HB_KIND | 1u << HB_NAME | 1u << HB_ADDR |
                    1u << HB_INCARNATION | 1u << HB_SEQ | 1u << HB_TIME |
                    1u << HB_CAPACITY | 1u << HB_AVAILABLE),
               "the keys a heartbeat must have");

static size_t health_count(const struct mb_health *h) {
  return (size_t)__builtin_popcount(h->have & 15u);
}

static void write_health(struct mb_cbor_writer *w, const struct mb_health *h) {
  mb_cw_map(w, health_count(h));
  if (h->have & MB_HEALTH_CPU)
    mb_cw_uint(w, 1), mb_cw_uint(w, h->cpu_permille);
  if (h->have & MB_HEALTH_MEM)
    mb_cw_uint(w, 2), mb_cw_uint(w, h->mem_permille);
  if (h->have & MB_HEALTH_LOAD)
    mb_cw_uint(w, 3), mb_cw_uint(w, h->load_x100);
  if (h->have & MB_HEALTH_TEMP)
    mb_cw_uint(w, 4), mb_cw_int(w, h->temp_mc);
}

static void write_tasks(struct mb_cbor_writer *w,
                        const struct mb_heartbeat *hb) {
  mb_cw_array(w, hb->n_tasks);
  for (size_t i = 0; i < hb->n_tasks; i++) {
    mb_cw_array(w, 2);
    mb_cw_uint(w, hb->tasks[i].id);
    mb_cw_uint(w, hb->tasks[i].done);
  }
}

static void write_heartbeat(struct mb_cbor_writer *w,
                            const struct mb_heartbeat *hb) {
  bool dom = hb->domain[0] != '\0', health = health_count(&hb->health) > 0;
  bool status = hb->status != MB_HB_ALIVE, epoch = hb->epoch != 0;
  bool tasks = hb->n_tasks > 0;
  mb_cw_map(w, 8 + (size_t)dom + (size_t)health + (size_t)status +
                   (size_t)epoch + (size_t)hb->draining + (size_t)tasks);
  mb_cw_uint(w, HB_KIND), mb_cw_uint(w, MB_REC_HEARTBEAT);
  mb_cw_uint(w, HB_NAME), mb_cw_textz(w, hb->name);
  mb_cw_uint(w, HB_ADDR), wire_write_addr(w, &hb->addr);
  mb_cw_uint(w, HB_INCARNATION), mb_cw_uint(w, hb->incarnation);
  mb_cw_uint(w, HB_SEQ), mb_cw_uint(w, hb->seq);
  mb_cw_uint(w, HB_TIME), mb_cw_int(w, hb->time_ms);
  mb_cw_uint(w, HB_CAPACITY), mb_cw_uint(w, hb->capacity);
  mb_cw_uint(w, HB_AVAILABLE), mb_cw_uint(w, hb->available);
  if (dom)
    mb_cw_uint(w, HB_DOMAIN), mb_cw_textz(w, hb->domain);
  if (health)
    mb_cw_uint(w, HB_HEALTH), write_health(w, &hb->health);
  if (status)
    mb_cw_uint(w, HB_STATUS), mb_cw_uint(w, (uint64_t)hb->status);
  if (epoch)
    mb_cw_uint(w, HB_EPOCH), mb_cw_uint(w, hb->epoch);
  if (hb->draining)
    mb_cw_uint(w, HB_DRAINING), mb_cw_bool(w, true);
  if (tasks)
    mb_cw_uint(w, HB_TASKS), write_tasks(w, hb);
}

int mb_wire_heartbeat_sign(const struct mb_identity *signer, const uint8_t *aad,
                           size_t aad_len, const struct mb_heartbeat *hb,
                           uint8_t *out, size_t cap, size_t *out_len) {
  if (!mb_text_ok(hb->name, MB_NAME_MAX) ||
      !mb_text_ok(hb->domain, MB_DOMAIN_MAX) ||
      (hb->addr.family != 4 && hb->addr.family != 6) ||
      (unsigned)hb->status > MB_HB_LEFT || hb->n_tasks > MB_HB_TASKS_MAX)
    return MB_EINVAL;
  uint8_t scratch[MB_WIRE_MAX_RECORD];
  struct mb_cbor_writer w;
  mb_cw_init(&w, scratch, sizeof(scratch));
  write_heartbeat(&w, hb);
  return wire_sign_payload(signer, aad, aad_len, &w, out, cap, out_len);
}

static int read_u32_field(struct mb_cbor_reader *r, uint32_t *v) {
  uint64_t u;
  int rc = mb_cr_uint(r, &u);
  if (rc == MB_OK && u > UINT32_MAX)
    rc = MB_ERANGE;
  if (rc == MB_OK)
    *v = (uint32_t)u;
  return rc;
}

static int read_health_field(struct mb_cbor_reader *r, int64_t key, void *ctx) {
  struct mb_health *h = ctx;
  int64_t t;
  int rc;
  switch (key) {
  case 1:
    h->have |= MB_HEALTH_CPU;
    return read_u32_field(r, &h->cpu_permille);
  case 2:
    h->have |= MB_HEALTH_MEM;
    return read_u32_field(r, &h->mem_permille);
  case 3:
    h->have |= MB_HEALTH_LOAD;
    return read_u32_field(r, &h->load_x100);
  case 4:
    h->have |= MB_HEALTH_TEMP;
    rc = mb_cr_int(r, &t);
    if (rc == MB_OK && (t < INT32_MIN || t > INT32_MAX))
      rc = MB_ERANGE;
    if (rc == MB_OK)
      h->temp_mc = (int32_t)t;
    return rc;
  default:
    return mb_cr_skip(r);
  }
}

static int read_status(struct mb_cbor_reader *r, enum mb_hb_status *s) {
  uint64_t v;
  int rc = mb_cr_uint(r, &v);
  if (rc == MB_OK && v > MB_HB_LEFT)
    rc = MB_ERANGE;
  if (rc == MB_OK)
    *s = (enum mb_hb_status)v;
  return rc;
}

/* [1*8 [id, done]]: an empty list is written by leaving the key out. */
static int read_tasks(struct mb_cbor_reader *r, struct mb_heartbeat *hb) {
  struct mb_cbor_token t;
  int rc = mb_cr_expect(r, MB_CBOR_ARRAY, &t);
  if (rc)
    return rc;
  if (t.u > MB_HB_TASKS_MAX)
    return MB_ETOOBIG;
  if (t.u == 0)
    return MB_ERANGE;
  for (size_t i = 0; i < t.u; i++) {
    struct mb_cbor_token pair;
    rc = mb_cr_expect(r, MB_CBOR_ARRAY, &pair);
    if (rc == MB_OK && pair.u != 2)
      rc = MB_ETYPE;
    if (rc == MB_OK)
      rc = mb_cr_uint(r, &hb->tasks[i].id);
    if (rc == MB_OK)
      rc = mb_cr_uint(r, &hb->tasks[i].done);
    if (rc)
      return rc;
  }
  hb->n_tasks = (size_t)t.u;
  return MB_OK;
}

int wire_read_heartbeat_field(struct mb_cbor_reader *r, int64_t key,
                              struct mb_heartbeat *hb) {
  switch (key) {
  case HB_NAME:
    return mb_cr_text_copy(r, hb->name, MB_NAME_MAX);
  case HB_ADDR:
    return wire_read_addr(r, &hb->addr);
  case HB_INCARNATION:
    return mb_cr_uint(r, &hb->incarnation);
  case HB_SEQ:
    return mb_cr_uint(r, &hb->seq);
  case HB_TIME:
    return mb_cr_int(r, &hb->time_ms);
  case HB_CAPACITY:
    return mb_cr_uint(r, &hb->capacity);
  case HB_AVAILABLE:
    return mb_cr_uint(r, &hb->available);
  case HB_DOMAIN:
    return mb_cr_text_copy(r, hb->domain, MB_DOMAIN_MAX);
  case HB_HEALTH:
    return mb_cr_map_walk(r, 16, read_health_field, &hb->health, NULL);
  case HB_STATUS:
    return read_status(r, &hb->status);
  case HB_EPOCH:
    return mb_cr_uint(r, &hb->epoch);
  case HB_DRAINING:
    return mb_cr_bool(r, &hb->draining);
  case HB_TASKS:
    return read_tasks(r, hb);
  default:
    return mb_cr_skip(r);
  }
}
