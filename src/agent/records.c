/*
 * The record channel in the agent (docs/protocol.md, The record channel):
 * every channel record the core takes is persisted in the store and
 * logged (by the sinks, events.c); at start the stored ones go back into
 * the core, checked there exactly as network input, before the stored
 * members (so a revoked member's stored record is refused); an operator
 * hands one in with the admin command `revoke`, and `records` lists them
 * (record_commands.c).  A revocation of this very node stops the agent
 * with exit status 3 (AGENT_EXIT_REVOKED), said plainly, at once or at the
 * next start.
 */
#include "agent_state.h"

#include <errno.h>
#include <string.h>

/* Our own revocation: said plainly, once, and the agent stops. */
static void say_revoked(struct agent *a) {
  char hex[MB_NODE_ID_HEX_LEN + 1], why[MB_REVOCATION_REASON_MAX + 1] = "";
  mb_node_id_hex(hex, a->id.pk);
  for (size_t i = 0; i < swim_record_count(a->swim); i++) {
    struct swim_record_info r;
    struct mb_bytes raw;
    if (swim_record_get(a->swim, i, &r, &raw) == MB_OK && r.about_self)
      agent_record_reason(raw.p, raw.len, why, sizeof(why));
  }
  agent_log(a->log, MB_LOG_ERROR, NULL,
            "this node (%s) has been revoked by the cluster authority%s%s; "
            "every member refuses it, and it will not be admitted again with "
            "this key: stopping (exit status %d)",
            hex, why[0] ? ": " : "", why, AGENT_EXIT_REVOKED);
}

void agent_check_revoked(struct agent *a) {
  if (a->stopping || !swim_self_revoked(a->swim))
    return;
  say_revoked(a);
  a->exit_rc = MB_EREVOKED;
  agent_begin_stop(a, "revoked");
}

/* A stored record refused for good, to delete once the store's read
 * transaction is over (its callbacks must not write). */
struct doomed {
  uint8_t kind;
  uint8_t subject[MB_STORE_SUBJECT_MAX];
  size_t subject_len;
};

struct restore_ctx {
  struct agent *a;
  size_t restored, refused, n_doomed;
  struct doomed doomed[64]; /* more go at a later start */
};

/* Refused for good (forged, lapsed, unreadable): out of the store too.
 * A member's record whose signer is not known yet (MB_ESIGNER) stays:
 * anti-entropy brings it back anyway. */
static bool refused_for_good(int rc) {
  return rc != MB_OK && rc != MB_ESIGNER && rc != MB_EFULL && rc != -ENOMEM;
}

static int restore_one(const struct mb_store_record *r, void *arg) {
  struct restore_ctx *c = arg;
  int rc = swim_record_restore(c->a->swim, agent_now(c->a), r->record,
                               r->record_len);
  if (rc == MB_OK) {
    c->restored++;
    return 0;
  }
  c->refused++;
  agent_log(c->a->log, MB_LOG_WARN, NULL, "stored %s record refused: %s",
            mb_record_kind_name((enum mb_record_kind)r->kind), mb_strerror(rc));
  if (refused_for_good(rc) &&
      c->n_doomed < sizeof(c->doomed) / sizeof(c->doomed[0])) {
    struct doomed *d = &c->doomed[c->n_doomed++];
    d->kind = r->kind;
    memcpy(d->subject, r->subject, r->subject_len);
    d->subject_len = r->subject_len;
  }
  return 0;
}

/* The second pass: a record signed by a member (a bridge's instruction or
 * cursor) was refused in the first for want of its signer, which the
 * stored members have brought back since.  Anything else it meets is
 * held already or was refused and said so in the first pass. */
static int restore_quietly(const struct mb_store_record *r, void *arg) {
  struct restore_ctx *c = arg;
  if (swim_record_restore(c->a->swim, agent_now(c->a), r->record,
                          r->record_len) == MB_OK)
    c->restored++;
  return 0;
}

void agent_records_restore_again(struct agent *a) {
  struct restore_ctx c = {.a = a};
  mb_store_records_foreach(a->store, restore_quietly, &c);
  if (c.restored)
    agent_log(a->log, MB_LOG_INFO,
              json_pack("{s:I}", "restored", (json_int_t)c.restored),
              "channel records signed by members restored from the store");
}

int agent_records_restore(struct agent *a) {
  struct restore_ctx c = {.a = a};
  int rc = mb_store_records_foreach(a->store, restore_one, &c);
  if (rc < 0)
    agent_log(a->log, MB_LOG_ERROR, NULL, "cannot read stored records: %s (%s)",
              mb_strerror(rc), mb_store_errmsg(a->store));
  for (size_t i = 0; i < c.n_doomed; i++)
    mb_store_record_delete(a->store, c.doomed[i].kind, c.doomed[i].subject,
                           c.doomed[i].subject_len);
  if (c.restored || c.refused)
    agent_log(a->log, MB_LOG_INFO,
              json_pack("{s:I, s:I}", "restored", (json_int_t)c.restored,
                        "refused", (json_int_t)c.refused),
              "channel records restored from the store");
  if (swim_self_revoked(a->swim)) {
    say_revoked(a);
    return MB_EREVOKED;
  }
  return MB_OK;
}
