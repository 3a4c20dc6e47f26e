/*
 * The admin commands of the RAID layer (docs/admin-api.md, RAID):
 * raid_create and raid_remove go to the coordinator as operators'
 * requests and are answered once the coordinators have applied (or
 * refused) them; raid_drain and raid_undrain become signed instructions
 * (raid_drain.c), answered once the coordinators' ledger shows them; raid_list,
 * raid_show, tasks, ledger and coordinator answer at once from the
 * coordinator's queries (a voter's replica, elsewhere what the leader
 * published).
 */
#include "raid_state.h"

#include <errno.h>
#include <string.h>

static int bad(struct mb_admin_error *err, const char *key, const char *must) {
  return mb_admin_error_set(err, MB_EINVAL, "invalid_request",
                            "\"%s\" must be %s", key, must);
}

/* A name argument: 1..63 bytes of UTF-8. */
static int name_arg(const json_t *req, const char *key, char *out, size_t cap,
                    struct mb_admin_error *err) {
  const char *s = json_string_value(json_object_get(req, key));
  if (s == NULL || s[0] == '\0' || strlen(s) >= cap || !mb_text_ok(s, cap - 1))
    return bad(err, key, "a name of 1..63 bytes");
  memcpy(out, s, strlen(s) + 1);
  return 0;
}

/* A whole number argument, or dflt when absent (dflt < 0: required). */
static int count_arg(const json_t *req, const char *key, json_int_t dflt,
                     json_int_t max, json_int_t *out,
                     struct mb_admin_error *err) {
  const json_t *v = json_object_get(req, key);
  if (v == NULL && dflt >= 0) {
    *out = dflt;
    return 0;
  }
  if (!json_is_integer(v) || json_integer_value(v) < 0 ||
      json_integer_value(v) > max)
    return bad(err, key, "a whole number in range");
  *out = json_integer_value(v);
  return 0;
}

static struct mb_coord *coord_of(struct agent *a) {
  return a->raid != NULL && !a->raid->stopping ? a->raid->coord : NULL;
}

static int stopping(struct mb_admin_error *err) {
  return mb_admin_error_set(err, -ECANCELED, "stopping",
                            "the agent is stopping");
}

/* Parity by level when the request leaves it out: raid5 1, raid6 2. */
static json_int_t default_parity(int level) {
  return level == MB_RAID_LEVEL_RAID5   ? 1
         : level == MB_RAID_LEVEL_RAID6 ? 2
                                        : -1;
}

static int create_cmd(const json_t *req, struct mb_raid_cmd *c,
                      struct mb_admin_error *err) {
  int level;
  json_int_t data, parity, size;
  const char *lv = json_string_value(json_object_get(req, "level"));
  if (name_arg(req, "name", c->array, sizeof(c->array), err) < 0)
    return MB_EINVAL;
  if (lv == NULL || mb_raid_level_parse(lv, &level) != MB_OK)
    return mb_admin_error_set(err, MB_ERAIDLEVEL, "invalid_level",
                              "\"level\" must be raid1, raid5, raid6 or ec");
  if (count_arg(req, "data", level == MB_RAID_LEVEL_RAID1 ? 1 : -1,
                MB_RAID_SLOTS_MAX, &data, err) < 0 ||
      count_arg(req, "parity", default_parity(level), MB_RAID_SLOTS_MAX,
                &parity, err) < 0 ||
      count_arg(req, "size", -1, INT64_MAX, &size, err) < 0)
    return MB_EINVAL;
  if (size == 0 ||
      mb_raid_level_check(level, (unsigned)data, (unsigned)parity) != MB_OK)
    return mb_admin_error_set(
        err, MB_ERAIDLEVEL, "invalid_level",
        "%s does not take data %lld and parity %lld (raid1: data 1, parity "
        "copies-1; raid5: data >= 2, parity 1; raid6: data >= 2, parity 2; "
        "ec: both >= 1; at most 32 slots), or the size is 0",
        mb_raid_level_name(level), (long long)data, (long long)parity);
  c->kind = MB_RAID_CMD_ARRAY_CREATE;
  c->level = (uint8_t)level;
  c->data = (uint8_t)data;
  c->parity = (uint8_t)parity;
  c->size = (uint64_t)size;
  return 0;
}

int agent_cmd_raid_create(void *ctx, const json_t *req, json_t **result,
                          struct mb_admin_error *err) {
  (void)result;
  struct agent *a = ctx;
  struct mb_raid_cmd c = {0};
  if (coord_of(a) == NULL)
    return stopping(err);
  int rc = create_cmd(req, &c, err);
  return rc < 0 ? rc : agent_raid_submit(a->raid, &c, err);
}

int agent_cmd_raid_remove(void *ctx, const json_t *req, json_t **result,
                          struct mb_admin_error *err) {
  (void)result;
  struct agent *a = ctx;
  struct mb_raid_cmd c = {.kind = MB_RAID_CMD_ARRAY_REMOVE};
  if (coord_of(a) == NULL)
    return stopping(err);
  if (name_arg(req, "name", c.array, sizeof(c.array), err) < 0)
    return MB_EINVAL;
  return agent_raid_submit(a->raid, &c, err);
}

/* The device by name in the gossip view. */
static int device_arg(struct agent *a, const json_t *req,
                      struct swim_member_info *out,
                      struct mb_admin_error *err) {
  char name[MB_NAME_MAX + 1];
  if (name_arg(req, "device", name, sizeof(name), err) < 0)
    return MB_EINVAL;
  for (size_t i = 0; i < swim_member_count(a->swim); i++)
    if (swim_member_get(a->swim, i, out) == MB_OK &&
        strcmp(out->name, name) == 0)
      return 0;
  return mb_admin_error_set(err, -ENOENT, "not_found", "no member named %s",
                            name);
}

static int drain(struct agent *a, const json_t *req, bool on,
                 struct mb_admin_error *err) {
  struct swim_member_info m;
  if (coord_of(a) == NULL)
    return stopping(err);
  if (device_arg(a, req, &m, err) < 0)
    return MB_EINVAL;
  return agent_raid_drain(a->raid, &m, on, err);
}

int agent_cmd_raid_drain(void *ctx, const json_t *req, json_t **result,
                         struct mb_admin_error *err) {
  (void)result;
  return drain(ctx, req, true, err);
}

int agent_cmd_raid_undrain(void *ctx, const json_t *req, json_t **result,
                           struct mb_admin_error *err) {
  (void)result;
  return drain(ctx, req, false, err);
}

/* The read-only commands: what the coordinator knows, as JSON. */
static int answer_view(void *ctx, json_t **result, struct mb_admin_error *err,
                       json_t *(*view)(struct agent *a)) {
  struct agent *a = ctx;
  if (coord_of(a) == NULL)
    return stopping(err);
  *result = view(a);
  return 0;
}

static json_t *every_task_json(struct agent *a) {
  return agent_raid_tasks_json(a, NULL);
}

int agent_cmd_raid_list(void *ctx, const json_t *req, json_t **result,
                        struct mb_admin_error *err) {
  (void)req;
  return answer_view(ctx, result, err, agent_raid_arrays_json);
}

int agent_cmd_raid_show(void *ctx, const json_t *req, json_t **result,
                        struct mb_admin_error *err) {
  struct agent *a = ctx;
  char name[MB_RAID_NAME_MAX + 1];
  struct mb_coord *c = coord_of(a);
  if (c == NULL)
    return stopping(err);
  if (name_arg(req, "name", name, sizeof(name), err) < 0)
    return MB_EINVAL;
  struct mb_raid_array_info ai;
  for (size_t i = 0; i < mb_coord_array_count(c); i++)
    if (mb_coord_array_at(c, i, &ai) == MB_OK && strcmp(ai.name, name) == 0) {
      json_t *j = agent_raid_array_json(a, &ai);
      json_object_set_new(j, "tasks", agent_raid_tasks_json(a, name));
      *result = j;
      return 0;
    }
  return mb_admin_error_set(err, MB_ERAIDNAME, "not_found", "no array named %s",
                            name);
}

int agent_cmd_tasks(void *ctx, const json_t *req, json_t **result,
                    struct mb_admin_error *err) {
  (void)req;
  return answer_view(ctx, result, err, every_task_json);
}

int agent_cmd_ledger(void *ctx, const json_t *req, json_t **result,
                     struct mb_admin_error *err) {
  (void)req;
  return answer_view(ctx, result, err, agent_raid_ledger_json);
}

int agent_cmd_coordinator(void *ctx, const json_t *req, json_t **result,
                          struct mb_admin_error *err) {
  (void)req;
  return answer_view(ctx, result, err, agent_raid_coordinator_json);
}
