/*
 * Operators' RAID requests between the admin socket and the coordinator:
 * each is given to mb_coord_request with a request number and waits as a
 * deferred admin answer (mb_admin_defer) until the coordinator answers
 * it (MB_COORD_OUT_ANSWER, once the command is applied or refused), or
 * AGENT_RAID_ANSWER_MS pass.  A drain (raid_drain.c) waits instead until
 * the coordinator's ledger shows what it asked (a watch).  The coordinator's
 * codes become the admin API's error words (docs/admin-api.md, raid).
 */
#include "raid_state.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The coordinators the view knows, by name: what a device that is none
 * tells the operator to ask instead. */
static void coordinators(struct agent *a, char *out, size_t cap) {
  size_t len = 0;
  out[0] = '\0';
  for (size_t i = 0; i < swim_member_count(a->swim); i++) {
    struct swim_member_info m;
    if (swim_member_get(a->swim, i, &m) != MB_OK || !m.coordinator)
      continue;
    int n = snprintf(out + len, cap - len, "%s%s", len ? ", " : "", m.name);
    if (n < 0 || (size_t)n >= cap - len)
      break;
    len += (size_t)n;
  }
}

/* The admin API's word for a coordinator's code. */
static const char *error_word(int rc) {
  switch (rc) {
  case MB_ENOTCOORD:
    return "not_coordinator";
  case MB_ENOTLEADER:
    return "no_leader";
  case MB_ERAIDSPACE:
  case MB_ERAIDPLACE:
    return "no_space";
  case MB_ERAIDLEVEL:
    return "invalid_level";
  case MB_ERAIDEXISTS:
    return "exists";
  case MB_ERAIDNAME:
  case MB_ERAIDDEVICE:
    return "not_found";
  case MB_ERAIDSTATE:
    return "invalid_state";
  case -ETIMEDOUT:
    return "timeout";
  case -ECANCELED:
    return "stopping";
  default:
    return "refused";
  }
}

int agent_raid_error(struct agent *a, int rc, const char *text,
                     struct mb_admin_error *err) {
  if (rc == MB_ENOTCOORD) {
    char names[512];
    coordinators(a, names, sizeof(names));
    return mb_admin_error_set(err, rc, "not_coordinator",
                              "%s is not a RAID coordinator; ask one of: %s",
                              a->name, names[0] ? names : "(none known)");
  }
  return mb_admin_error_set(err, rc, error_word(rc), "%s",
                            text && text[0] ? text : mb_strerror(rc));
}

static struct agent_raid_pending *find(struct agent_raid *r, uint64_t req) {
  for (size_t i = 0; i < AGENT_RAID_PENDING_MAX; i++)
    if (r->pending[i].req == req && req != 0)
      return &r->pending[i];
  return NULL;
}

/* A create without room, said in the operator's terms. */
static void no_room(const struct mb_raid_cmd *c, char *out, size_t cap) {
  unsigned n = (unsigned)c->data + c->parity;
  uint64_t slot = c->data ? (c->size + c->data - 1) / c->data : c->size;
  snprintf(out, cap,
           "no room for %s: it needs %u devices that are up, not draining, "
           "with %llu bytes free each (see meshbeat ledger)",
           c->array, n, (unsigned long long)slot);
}

/* The coordinator's text, or a better one for the operator. */
static const char *explain(const struct mb_raid_cmd *c, int rc,
                           const char *text, char *buf, size_t cap) {
  if ((rc == MB_ERAIDSPACE || rc == MB_ERAIDPLACE) &&
      c->kind == MB_RAID_CMD_ARRAY_CREATE) {
    no_room(c, buf, cap);
    return buf;
  }
  return text;
}

static struct agent_raid_pending *free_entry(struct agent_raid *r) {
  for (size_t i = 0; i < AGENT_RAID_PENDING_MAX; i++)
    if (r->pending[i].req == 0)
      return &r->pending[i];
  return NULL;
}

static int busy(struct mb_admin_error *err) {
  return mb_admin_error_set(err, MB_EBUSY, "busy",
                            "too many RAID requests waiting; try again");
}

/* The entry for request req, deferred: MB_ADMIN_DEFERRED, or busy. */
static int defer(struct agent_raid *r, struct agent_raid_pending *p,
                 uint64_t req, const struct mb_raid_cmd *cmd, bool watch,
                 struct mb_admin_error *err) {
  uint64_t token = mb_admin_defer(r->a->admin);
  if (token == 0) /* the request goes on; nobody waits for its answer */
    return busy(err);
  *p =
      (struct agent_raid_pending){.req = req,
                                  .token = token,
                                  .due = agent_now(r->a) + AGENT_RAID_ANSWER_MS,
                                  .watch = watch,
                                  .cmd = *cmd};
  return MB_ADMIN_DEFERRED;
}

int agent_raid_submit(struct agent_raid *r, const struct mb_raid_cmd *cmd,
                      struct mb_admin_error *err) {
  struct agent *a = r->a;
  struct agent_raid_pending *p = free_entry(r);
  if (p == NULL || r->stopping)
    return busy(err);
  uint64_t req = r->next_req++;
  r->counters.requests++;
  int rc = mb_coord_request(r->coord, agent_now(a), req, cmd);
  if (rc != MB_OK) {
    char why[256];
    agent_raid_flush(a);
    return agent_raid_error(a, rc, explain(cmd, rc, NULL, why, sizeof(why)),
                            err);
  }
  rc = defer(r, p, req, cmd, false, err);
  agent_raid_flush(a); /* the forward or proposal leaves now */
  return rc;
}

int agent_raid_wait_for(struct agent_raid *r, const struct mb_raid_cmd *cmd,
                        struct mb_admin_error *err) {
  struct agent_raid_pending *p = free_entry(r);
  if (p == NULL || r->stopping)
    return busy(err);
  r->counters.requests++;
  int rc = defer(r, p, r->next_req++, cmd, true, err);
  agent_raid_watch(r); /* perhaps the ledger shows it already */
  return rc;
}

void agent_raid_watch(struct agent_raid *r) {
  for (size_t i = 0; i < AGENT_RAID_PENDING_MAX; i++) {
    struct agent_raid_pending *p = &r->pending[i];
    if (p->req != 0 && p->watch && agent_raid_drain_done(r, &p->cmd))
      agent_raid_answer(r, p->req, MB_OK, NULL);
  }
}

/* The array as created, when this device knows it already (the leader
 * answers once it applied; a follower's replica may apply a heartbeat
 * later, and a device that holds none learns it from publication). */
static json_t *answer_json(struct agent *a, const struct mb_raid_cmd *cmd) {
  if (cmd->kind == MB_RAID_CMD_ARRAY_CREATE) {
    struct mb_coord *c = a->raid->coord;
    struct mb_raid_array_info ai;
    for (size_t i = 0; i < mb_coord_array_count(c); i++)
      if (mb_coord_array_at(c, i, &ai) == MB_OK &&
          strcmp(ai.name, cmd->array) == 0)
        return agent_raid_array_json(a, &ai);
  }
  if (cmd->array[0] != '\0')
    return json_pack("{s:s, s:s}", "status", "applied", "name", cmd->array);
  return json_pack("{s:s}", "status", "applied");
}

void agent_raid_answer(struct agent_raid *r, uint64_t req, int rc,
                       const char *text) {
  struct agent_raid_pending *p = find(r, req);
  if (p == NULL)
    return; /* timed out already */
  struct agent *a = r->a;
  struct agent_raid_pending done = *p;
  p->req = 0;
  agent_log(a->log, MB_LOG_DEBUG,
            json_pack("{s:I, s:i}", "request", (json_int_t)req, "rc", rc),
            "raid: request %llu answered: %s", (unsigned long long)req,
            rc == 0 ? "applied" : mb_strerror(rc));
  if (rc == -ETIMEDOUT)
    r->counters.timeouts++;
  else
    r->counters.answered++;
  if (a->admin == NULL)
    return;
  if (rc == MB_OK) {
    mb_admin_answer(a->admin, done.token, answer_json(a, &done.cmd), NULL);
    return;
  }
  struct mb_admin_error err = {{0}, {0}};
  char why[256];
  agent_raid_error(a, rc, explain(&done.cmd, rc, text, why, sizeof(why)), &err);
  mb_admin_answer(a->admin, done.token, NULL, &err);
}

uint64_t agent_raid_expire(struct agent_raid *r, uint64_t now) {
  uint64_t next = AGENT_PUMP_NEVER;
  for (size_t i = 0; i < AGENT_RAID_PENDING_MAX; i++) {
    struct agent_raid_pending *p = &r->pending[i];
    if (p->req == 0)
      continue;
    if (p->due <= now)
      agent_raid_answer(r, p->req, -ETIMEDOUT,
                        "no answer from the RAID coordinators in time; the "
                        "request may still be applied (see meshbeat raid "
                        "list)");
    else if (p->due < next)
      next = p->due;
  }
  return next;
}
