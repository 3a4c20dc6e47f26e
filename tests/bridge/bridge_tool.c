/*
 * The bridge's pure functions as a command, for the tests that judge them
 * with independent code (Python's hmac, a JSON Schema validator):
 *
 *   bridge_tool sign SECRETS_FILE MSG_ID TIMESTAMP BODY_FILE
 *       prints the webhook-signature header value; exit 2 when the
 *       secrets file is refused (its reason on stderr)
 *   bridge_tool bodies OUTDIR
 *       writes view.json, flynas-<n>.json and event-<n>.json, built from a
 *       sample view holding every status, with and without health figures
 */
#include "mb_bridge.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAMPLE_CLUSTER "sample-cluster"
#define SAMPLE_N 5

/* The whole file, NUL-terminated; NULL on failure. */
static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  size_t got;
  while (buf != NULL && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += got;
    if (n + 1 == cap) {
      char *bigger = realloc(buf, cap *= 2);
      if (bigger == NULL)
        free(buf);
      buf = bigger;
    }
  }
  fclose(f);
  if (buf != NULL)
    buf[n] = '\0', *len = n;
  return buf;
}

static int sign(const char *secrets_path, const char *msg_id,
                const char *ts_text, const char *body_path) {
  size_t text_len, body_len;
  char *text = slurp(secrets_path, &text_len);
  char *body = slurp(body_path, &body_len);
  if (text == NULL || body == NULL) {
    fprintf(stderr, "bridge_tool: cannot read input: %s\n", strerror(errno));
    return 1;
  }
  struct mb_webhook_secret secrets[MB_WEBHOOK_MAX_SECRETS];
  int n = mb_webhook_secrets_parse(text, secrets, MB_WEBHOOK_MAX_SECRETS);
  free(text);
  if (n < 0) {
    fprintf(stderr, "bridge_tool: secrets refused: %s\n", mb_errname(n));
    free(body);
    return 2;
  }
  char header[MB_WEBHOOK_MAX_SECRETS * (MB_WEBHOOK_SIG_LEN + 1)];
  int rc =
      mb_webhook_sign(secrets, (size_t)n, msg_id, strtoll(ts_text, NULL, 10),
                      (const uint8_t *)body, body_len, header, sizeof(header));
  free(body);
  if (rc < 0) {
    fprintf(stderr, "bridge_tool: sign: %s\n", mb_errname(rc));
    return 1;
  }
  printf("%s\n", header);
  return 0;
}

static void sample_view(struct mb_bridge_member *v) {
  const enum swim_state states[SAMPLE_N] = {SWIM_ALIVE, SWIM_SUSPECT, SWIM_DEAD,
                                            SWIM_LEFT, SWIM_ALIVE};
  for (int i = 0; i < SAMPLE_N; i++) {
    struct mb_bridge_member *m = &v[i];
    memset(m, 0, sizeof(*m));
    for (int b = 0; b < MB_NODE_ID_LEN; b++)
      m->id[b] = (uint8_t)(i * 37 + b);
    snprintf(m->name, sizeof(m->name), "device-%d", i);
    snprintf(m->domain, sizeof(m->domain), "room-%d", i % 2);
    m->state = states[i];
    m->incarnation = (uint64_t)i + 1;
    m->capacity = UINT64_C(1000000000000);
    m->available = UINT64_C(500000000000) - (uint64_t)i;
    /* one member never heard from: lastSeen null */
    m->last_seen_ms = i == 4 ? 0 : INT64_C(1764671400000) + i * 1001;
    m->eligible = i != 1;
    m->is_self = i == 0;
    if (i % 2 == 0) {
      m->health.have =
          MB_HEALTH_CPU | MB_HEALTH_MEM | MB_HEALTH_LOAD | MB_HEALTH_TEMP;
      m->health.cpu_permille = 125;
      m->health.mem_permille = 640;
      m->health.load_x100 = 87;
      m->health.temp_mc = -4500;
    }
  }
}

/* One raid1 array of three slots (one on a device since gone from the
 * view: name null) being rebuilt onto device-4, and that task. */
static void sample_raid(const struct mb_bridge_member *v,
                        struct mb_raid_array_info *a,
                        struct mb_raid_task_info *t) {
  memset(a, 0, sizeof(*a));
  memset(t, 0, sizeof(*t));
  snprintf(a->name, sizeof(a->name), "photos");
  a->level = MB_RAID_LEVEL_RAID1;
  a->data = 1;
  a->parity = 2;
  a->size = a->slot_bytes = UINT64_C(1) << 40;
  a->state = MB_RAID_ARRAY_REBUILDING;
  a->n_slots = 3;
  const int states[3] = {MB_RAID_SLOT_UP, MB_RAID_SLOT_UP,
                         MB_RAID_SLOT_REBUILDING};
  for (int i = 0; i < 3; i++) {
    memcpy(a->slots[i].device, v[i].id, MB_NODE_ID_LEN);
    snprintf(a->slots[i].domain, sizeof(a->slots[i].domain), "room-%d", i);
    a->slots[i].state = states[i];
  }
  memset(a->slots[2].device, 0xee, MB_NODE_ID_LEN);
  t->id = 7;
  snprintf(t->array, sizeof(t->array), "photos");
  t->slot = 2;
  t->kind = MB_RAID_TASK_REBUILD;
  t->state = MB_RAID_TASK_RUNNING;
  memcpy(t->target, v[4].id, MB_NODE_ID_LEN);
  t->n_sources = 1;
  memcpy(t->sources[0], v[0].id, MB_NODE_ID_LEN);
  t->bytes = a->slot_bytes;
  t->progress = t->bytes / 4;
}

static int write_file(const char *dir, const char *name, char *body) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  int ok = f != NULL && fputs(body, f) >= 0;
  if (f != NULL && fclose(f) != 0)
    ok = 0;
  free(body);
  if (!ok)
    fprintf(stderr, "bridge_tool: %s: %s\n", path, strerror(errno));
  return ok ? 0 : 1;
}

static int bodies(const char *dir) {
  struct mb_bridge_member v[SAMPLE_N];
  sample_view(v);
  struct mb_bridge_election e;
  char *body;
  char name[64];
  int failed = mb_bridge_elect(SAMPLE_CLUSTER, v, SAMPLE_N, &e) != 0;
  struct mb_raid_array_info array;
  struct mb_raid_task_info task;
  sample_raid(v, &array, &task);
  struct mb_bridge_view_meta meta = {.cluster = SAMPLE_CLUSTER,
                                     .election = &e,
                                     .generated_ms = INT64_C(1764671430000),
                                     .arrays = &array,
                                     .n_arrays = 1,
                                     .tasks = &task,
                                     .n_tasks = 1};
  if (!failed && mb_bridge_view_body(&meta, v, SAMPLE_N, &body) == 0)
    failed |= write_file(dir, "view.json", body);
  else
    failed = 1;
  for (int i = 0; i < SAMPLE_N; i++) {
    snprintf(name, sizeof(name), "flynas-%d.json", i);
    if (mb_bridge_flynas_body(&v[i], i == 0 ? "device-0" : NULL, &body) == 0)
      failed |= write_file(dir, name, body);
    else
      failed = 1;
  }
  /* the events a tracker derives for member 2 dying and coming back */
  struct mb_bridge_transitions *t =
      mb_bridge_transitions_new(SAMPLE_CLUSTER, 0);
  struct mb_bridge_event ev[4];
  int n = 0;
  if (t != NULL) {
    n = mb_bridge_transitions_step(t, 10, v, SAMPLE_N, ev, 2);
    v[2].state = SWIM_ALIVE, v[2].incarnation++;
    if (n == 1)
      n += mb_bridge_transitions_step(t, 20, v, SAMPLE_N, ev + 1, 2);
    mb_bridge_transitions_free(t);
  }
  failed |= n != 2;
  for (int i = 0; i < n; i++) {
    snprintf(name, sizeof(name), "event-%d.json", i);
    if (mb_bridge_event_body(&ev[i], &body) == 0)
      failed |= write_file(dir, name, body);
    else
      failed = 1;
  }
  if (failed)
    fprintf(stderr, "bridge_tool: a body could not be built\n");
  return failed;
}

int main(int argc, char **argv) {
  if (argc == 6 && strcmp(argv[1], "sign") == 0)
    return sign(argv[2], argv[3], argv[4], argv[5]);
  if (argc == 3 && strcmp(argv[1], "bodies") == 0)
    return bodies(argv[2]);
  fprintf(stderr, "usage: bridge_tool sign SECRETS MSG_ID TS BODY_FILE\n"
                  "       bridge_tool bodies OUTDIR\n");
  return 2;
}
