/* The admin socket's commands (docs/admin-api.md): the agent's state as
 * JSON, and join/leave as core commands. */
#include "bridge_state.h"
#include "raid_state.h"
#include <inttypes.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* When the certificate we hold of member i expires (Unix s), or null:
 * a renewal shows here at every peer. */
static json_t *cert_expiry(struct agent *a, size_t i) {
  struct mb_bytes rec, cert;
  struct mb_cert c;
  if (swim_member_raw(a->swim, i, &rec, &cert) != MB_OK || cert.len == 0 ||
      mb_cert_decode(cert.p, cert.len, &c) != MB_OK)
    return json_null();
  return json_integer(c.expires_at);
}

json_t *agent_member_json(struct agent *a, size_t i) {
  struct swim_member_info m;
  if (swim_member_get(a->swim, i, &m) != MB_OK)
    return NULL;
  char hex[MB_NODE_ID_HEX_LEN + 1], addr[MB_ADDR_TEXT_MAX];
  char seen[MB_TIME_LEN], since[MB_TIME_LEN];
  mb_node_id_hex(hex, m.id);
  mb_addr_format(addr, sizeof(addr), &m.addr);
  int64_t since_ms = agent_mono_to_wall(a, m.state_since);
  /* Alive means heard from within the protocol's bounds: seen now.
   * Otherwise it was last seen when it stopped being alive. */
  int64_t seen_ms =
      m.state == SWIM_ALIVE || m.is_self ? agent_wall_ms() : since_ms;
  mb_time_format(seen, sizeof(seen), seen_ms);
  mb_time_format(since, sizeof(since), since_ms);
  json_t *j = json_pack(
      "{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:i, s:b}", "id", hex,
      "name", m.name, "addr", addr, "domain", m.domain, "state",
      swim_state_name(m.state), "incarnation", (json_int_t)m.incarnation,
      "capacity", (json_int_t)m.capacity, "available", (json_int_t)m.available,
      "last_seen", seen, "since", since, "confirmations", (int)m.confirmations,
      "self", m.is_self);
  if (!m.is_self)
    json_object_set_new(j, "reason", json_string(swim_reason_name(m.reason)));
  if (m.revoked)
    json_object_set_new(j, "revoked", json_true());
  json_object_set_new(j, "draining", json_boolean(m.draining));
  json_object_set_new(j, "cert_expires_at", cert_expiry(a, i));
  return j;
}

json_t *agent_members_json(struct agent *a) {
  json_t *list = json_array();
  for (size_t i = 0; i < swim_member_count(a->swim); i++)
    json_array_append_new(list, agent_member_json(a, i));
  return list;
}

static int cmd_members(void *ctx, const json_t *req, json_t **result,
                       struct mb_admin_error *err) {
  (void)req, (void)err;
  *result = agent_members_json(ctx);
  return 0;
}

/* By name (exact) or by id prefix (hex, case-insensitive). */
static int cmd_member(void *ctx, const json_t *req, json_t **result,
                      struct mb_admin_error *err) {
  struct agent *a = ctx;
  const char *q = json_string_value(json_object_get(req, "query"));
  if (q == NULL || q[0] == '\0')
    return mb_admin_error_set(err, MB_EINVAL, "invalid_request",
                              "member needs \"query\": a name or id prefix");
  long found = -1;
  size_t matches = 0;
  char names[200] = "";
  for (size_t i = 0; i < swim_member_count(a->swim); i++) {
    struct swim_member_info m;
    char hex[MB_NODE_ID_HEX_LEN + 1];
    swim_member_get(a->swim, i, &m);
    mb_node_id_hex(hex, m.id);
    if (strcmp(m.name, q) == 0) {
      found = (long)i, matches = 1;
      break;
    }
    if (strncasecmp(hex, q, strlen(q)) == 0) {
      found = (long)i, matches++;
      snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
               matches > 1 ? ", " : "", m.name);
    }
  }
  if (matches == 0)
    return mb_admin_error_set(err, -ENOENT, "not_found",
                              "no member named or with id prefix '%s'", q);
  if (matches > 1)
    return mb_admin_error_set(err, MB_EINVAL, "ambiguous",
                              "'%s' matches %zu members: %s", q, matches,
                              names);
  *result = agent_member_json(a, (size_t)found);
  return 0;
}

static json_t *state_counts(struct agent *a) {
  json_int_t n[4] = {0};
  for (size_t i = 0; i < swim_member_count(a->swim); i++) {
    struct swim_member_info m;
    if (swim_member_get(a->swim, i, &m) == MB_OK && m.state <= SWIM_LEFT)
      n[m.state]++;
  }
  return json_pack("{s:I, s:I, s:I, s:I}", "alive", n[0], "suspect", n[1],
                   "dead", n[2], "left", n[3]);
}

json_t *agent_info_json(struct agent *a) {
  char hex[MB_NODE_ID_HEX_LEN + 1], addr[MB_ADDR_TEXT_MAX];
  mb_node_id_hex(hex, a->id.pk);
  mb_addr_format(addr, sizeof(addr), &a->advertise);
  char epoch[17];
  snprintf(epoch, sizeof(epoch), "%016" PRIx64, swim_self_epoch(a->swim));
  json_t *info =
      json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:s, s:o, s:i, s:b}",
                "id", hex, "name", a->name, "cluster", a->cfg->cluster, "addr",
                addr, "incarnation", (json_int_t)swim_self_incarnation(a->swim),
                "epoch", epoch, "version", MESHBEAT_VERSION, "uptime_s",
                (json_int_t)((agent_now(a) - a->started_ms) / 1000), "data_dir",
                a->data_dir, "members", state_counts(a), "awareness",
                (int)swim_awareness(a->swim), "admission", !agent_open_mesh(a));
  json_object_set_new(info, "domain", json_string(a->domain));
  json_object_set_new(info, "cert_expires_at",
                      a->certlife.held
                          ? json_integer(a->certlife.info.expires_at)
                          : json_null());
  return info;
}

static int cmd_info(void *ctx, const json_t *req, json_t **result,
                    struct mb_admin_error *err) {
  (void)req, (void)err;
  *result = agent_info_json(ctx);
  return 0;
}

struct events_ctx {
  json_t *list;
};

static int add_event(const struct mb_store_event *ev, void *arg) {
  struct events_ctx *e = arg;
  json_array_append_new(e->list, agent_event_json(ev->seq, ev->time_ms, ev->id,
                                                  ev->name, ev->from, ev->to,
                                                  ev->reason, ev->incarnation));
  return 0;
}

int agent_events_json(struct agent *a, uint64_t after, size_t n, json_t **out) {
  struct events_ctx e = {.list = json_array()};
  int rc = mb_store_events_since(a->store, after, n, add_event, &e);
  if (rc < 0) {
    agent_store_failed(a, rc, "reading the event log");
    json_decref(e.list);
    return rc;
  }
  *out = e.list;
  return 0;
}

/* Committed events after "since"; with "follow", new ones stream. */
static int cmd_events(void *ctx, const json_t *req, json_t **result,
                      struct mb_admin_error *err) {
  struct agent *a = ctx;
  json_t *since = json_object_get(req, "since"),
         *limit = json_object_get(req, "limit");
  if ((since && (!json_is_integer(since) || json_integer_value(since) < 0)) ||
      (limit && (!json_is_integer(limit) || json_integer_value(limit) < 0)))
    return mb_admin_error_set(err, MB_EINVAL, "invalid_request",
                              "since and limit must be non-negative integers");
  agent_commit(a); /* what the log says includes what just happened */
  /* With "since", the first events after it (paging forward); without,
   * the latest ones. */
  size_t n = limit ? (size_t)json_integer_value(limit) : 100;
  uint64_t last = mb_store_last_event_seq(a->store), from = 0;
  if (since)
    from = (uint64_t)json_integer_value(since);
  else if (n > 0 && last > n)
    from = last - n;
  int rc = agent_events_json(a, from, n, result);
  if (rc < 0)
    return mb_admin_error_set(err, rc, "store_error", "event log: %s",
                              mb_strerror(rc));
  return 0;
}

static int cmd_metrics(void *ctx, const json_t *req, json_t **result,
                       struct mb_admin_error *err) {
  (void)req;
  char *text = agent_metrics_text(ctx);
  if (text == NULL)
    return mb_admin_error_set(err, -ENOMEM, "internal", "out of memory");
  *result = json_string(text);
  free(text);
  return 0;
}

static int cmd_health(void *ctx, const json_t *req, json_t **result,
                      struct mb_admin_error *err) {
  (void)req, (void)err;
  *result = agent_health_json(ctx);
  return 0;
}

static int cmd_join(void *ctx, const json_t *req, json_t **result,
                    struct mb_admin_error *err) {
  struct agent *a = ctx;
  json_t *addrs = json_object_get(req, "addrs");
  struct mb_addr seeds[MB_AGENT_MAX_JOIN];
  size_t n = 0, i;
  json_t *v;
  if (!json_is_array(addrs) || json_array_size(addrs) == 0 ||
      json_array_size(addrs) > MB_AGENT_MAX_JOIN)
    return mb_admin_error_set(err, MB_EINVAL, "invalid_request",
                              "join needs \"addrs\": 1 to %d HOST:PORT",
                              MB_AGENT_MAX_JOIN);
  json_array_foreach(addrs, i, v) {
    const char *t = json_string_value(v);
    if (t == NULL || mb_addr_parse(t, &seeds[n]) != MB_OK)
      return mb_admin_error_set(err, MB_EINVAL, "invalid_request",
                                "'%s' is not a numeric HOST:PORT",
                                t ? t : "(not a string)");
    n++;
  }
  swim_join(a->swim, agent_now(a), seeds, n);
  agent_join_started(a);
  agent_flush(a);
  /* Who answers comes later: on the "join" stream for a follower. */
  *result = agent_join_json(a);
  json_object_set_new(*result, "contacted", json_integer((json_int_t)n));
  return 0;
}

static int cmd_leave(void *ctx, const json_t *req, json_t **result,
                     struct mb_admin_error *err) {
  (void)req, (void)err;
  agent_begin_stop(ctx, "admin leave");
  *result = json_pack("{s:b}", "left", 1);
  return 0;
}

static const struct mb_admin_command commands[] = {
    {"members", cmd_members, false},
    {"member", cmd_member, false},
    {"info", cmd_info, false},
    {"events", cmd_events, true},
    {"metrics", cmd_metrics, false},
    {"health", cmd_health, false},
    {"join", cmd_join, true},
    {"leave", cmd_leave, false},
    {"revoke", agent_cmd_revoke, false},
    {"records", agent_cmd_records, false},
    {"bridge", agent_cmd_bridge, false},
    {"raid_create", agent_cmd_raid_create, false},
    {"raid_remove", agent_cmd_raid_remove, false},
    {"raid_drain", agent_cmd_raid_drain, false},
    {"raid_undrain", agent_cmd_raid_undrain, false},
    {"raid_list", agent_cmd_raid_list, false},
    {"raid_show", agent_cmd_raid_show, false},
    {"tasks", agent_cmd_tasks, false},
    {"ledger", agent_cmd_ledger, false},
    {"coordinator", agent_cmd_coordinator, false},
};

/*
 * chown() of the socket to admin_group was refused (EPERM): by a seccomp
 * filter without @chown (a unit's SystemCallFilter= with
 * SystemCallErrorNumber=EPERM), or because the agent's user is not in the
 * group and has no CAP_CHOWN.  Running on is better than a restart loop:
 * the socket stays the agent's own (mode 0600; its uid and root may use
 * it), and the log says what to change.
 */
static int open_without_group(struct agent *a, struct mb_admin_options *opt) {
  agent_log(
      a->log, MB_LOG_WARN,
      json_pack("{s:s, s:s}", "admin_group", opt->group, "socket", opt->path),
      "cannot give the admin socket to group %s: chown() was refused "
      "(%s); only uid %u and root may use the CLI.  Is the agent's "
      "user in that group, and does the unit's SystemCallFilter= allow "
      "@chown?",
      opt->group, mb_strerror(-EPERM), (unsigned)geteuid());
  opt->group = NULL;
  return mb_admin_open(&a->admin, &a->loop, opt);
}

int agent_admin_open(struct agent *a) {
  struct mb_admin_options opt = {
      .path = a->admin_path,
      .group = a->cfg->admin_group[0] ? a->cfg->admin_group : NULL,
      .commands = commands,
      .n_commands = sizeof(commands) / sizeof(commands[0]),
      .ctx = a};
  /* An admin_group that names no group was refused with the
   * configuration (config_check.c, exit 2). */
  int rc = mb_admin_open(&a->admin, &a->loop, &opt);
  if (rc == -EPERM && opt.group != NULL)
    rc = open_without_group(a, &opt);
  if (rc != MB_OK)
    agent_log(a->log, MB_LOG_ERROR, NULL, "cannot open the admin socket %s: %s",
              a->admin_path, mb_strerror(rc));
  return rc;
}
