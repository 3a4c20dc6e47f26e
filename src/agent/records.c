/*
 * The record channel in the agent (docs/protocol.md, The record channel):
 * every channel record the core takes is persisted in the store and
 * logged; at start the stored ones go back into the core, checked there
 * exactly as network input, before the stored members (so a revoked
 * member's stored record is refused); an operator hands one in with the
 * admin command `revoke`; `records` lists them.  A revocation of this very
 * node stops the agent with exit status 3 (AGENT_EXIT_REVOKED), said
 * plainly, at once or at the next start.
 */
#include "agent_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <string.h>

/* What a revocation's body says, for logs and listings ("" when none). */
static void reason_of(const uint8_t *raw, size_t len, char *out, size_t cap) {
  struct mb_record rec;
  struct mb_revocation rev;
  out[0] = '\0';
  if (mb_wire_record_parse(raw, len, &rec) == MB_OK &&
      rec.kind == MB_REC_REVOCATION &&
      mb_wire_revocation_parse(rec.u.ch.body, rec.u.ch.body_len, &rev) == MB_OK)
    snprintf(out, cap, "%s", rev.reason);
}

/* The subject as people know it: a member's name, else hex. */
static void subject_text(struct agent *a, const struct swim_record_info *r,
                         char *out, size_t cap) {
  char hex[2 * MB_CHANNEL_SUBJECT_MAX + 1];
  mb_hex_encode(hex, r->subject, r->subject_len);
  long i = r->subject_len == MB_NODE_ID_LEN
               ? swim_member_find(a->swim, r->subject)
               : -1;
  struct swim_member_info m;
  if (i >= 0 && swim_member_get(a->swim, (size_t)i, &m) == MB_OK &&
      m.name[0] != '\0')
    snprintf(out, cap, "%s (%.16s...)", m.name, hex);
  else
    snprintf(out, cap, "%s", hex);
}

void agent_on_record(struct agent *a, const struct swim_output *o) {
  const struct swim_record_info *r = &o->rec;
  struct mb_store_record sr = {.kind = (uint8_t)r->kind,
                               .subject_len = r->subject_len,
                               .record = o->buf,
                               .record_len = o->len};
  memcpy(sr.subject, r->subject, r->subject_len);
  int rc = mb_store_record_put(a->store, &sr);
  if (rc != MB_OK) {
    a->counters.store_errors++;
    agent_log(a->log, MB_LOG_ERROR, NULL, "cannot store a %s record: %s (%s)",
              mb_record_kind_name(r->kind), mb_strerror(rc),
              mb_store_errmsg(a->store));
  } else {
    agent_sync_soon(a);
  }
  char who[160], why[MB_REVOCATION_REASON_MAX + 1];
  subject_text(a, r, who, sizeof(who));
  reason_of(o->buf, o->len, why, sizeof(why));
  if (r->kind == MB_REC_REVOCATION && !r->about_self)
    agent_log(a->log, MB_LOG_WARN, NULL,
              "node %s revoked by the cluster authority%s%s: refused from "
              "now on",
              who, why[0] ? ": " : "", why);
  else if (!r->about_self)
    agent_log(a->log, MB_LOG_INFO, NULL,
              "%s record for %s taken (version %" PRIu64 ")",
              mb_record_kind_name(r->kind), who, r->version);
}

/* Our own revocation: said plainly, once, and the agent stops. */
static void say_revoked(struct agent *a) {
  char hex[MB_NODE_ID_HEX_LEN + 1], why[MB_REVOCATION_REASON_MAX + 1] = "";
  mb_node_id_hex(hex, a->id.pk);
  for (size_t i = 0; i < swim_record_count(a->swim); i++) {
    struct swim_record_info r;
    struct mb_bytes raw;
    if (swim_record_get(a->swim, i, &r, &raw) == MB_OK && r.about_self)
      reason_of(raw.p, raw.len, why, sizeof(why));
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

/* ---- admin commands ------------------------------------------------------
 */

/* Hex or base64 (standard or URL-safe, padded or not). */
static int decode_record(const char *text, uint8_t *out, size_t cap,
                         size_t *len) {
  size_t n = strlen(text);
  if (n % 2 == 0 && sodium_hex2bin(out, cap, text, n, NULL, len, NULL) == 0)
    return MB_OK;
  static const int variants[] = {
      sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
      sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING};
  for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++)
    if (sodium_base642bin(out, cap, text, n, " \n\r\t", len, NULL,
                          variants[i]) == 0)
      return MB_OK;
  return MB_EINVAL;
}

static json_t *record_json(struct agent *a, const struct swim_record_info *r,
                           const struct mb_bytes *raw) {
  char subject[2 * MB_CHANNEL_SUBJECT_MAX + 1], signer[MB_NODE_ID_HEX_LEN + 1];
  char issued[MB_ADMIN_TIME_LEN], until[MB_ADMIN_TIME_LEN];
  char why[MB_REVOCATION_REASON_MAX + 1];
  mb_hex_encode(subject, r->subject, r->subject_len);
  mb_node_id_hex(signer, r->signer);
  mb_admin_format_time(issued, sizeof(issued), r->issued_ms);
  mb_admin_format_time(until, sizeof(until), r->until_s * 1000);
  json_t *j = json_pack("{s:s, s:s, s:I, s:s, s:s, s:b}", "kind",
                        mb_record_kind_name(r->kind), "subject", subject,
                        "version", (json_int_t)r->version, "issued", issued,
                        "signer", signer, "about_self", r->about_self);
  json_object_set_new(j, "until",
                      r->until_s > 0 ? json_string(until) : json_null());
  long i = r->subject_len == MB_NODE_ID_LEN
               ? swim_member_find(a->swim, r->subject)
               : -1;
  struct swim_member_info m;
  if (i >= 0 && swim_member_get(a->swim, (size_t)i, &m) == MB_OK)
    json_object_set_new(j, "name", json_string(m.name));
  if (r->kind == MB_REC_REVOCATION && raw != NULL) {
    reason_of(raw->p, raw->len, why, sizeof(why));
    json_object_set_new(j, "reason", json_string(why));
  }
  return j;
}

int agent_cmd_records(void *ctx, const json_t *req, json_t **result,
                      struct mb_admin_error *err) {
  (void)req, (void)err;
  struct agent *a = ctx;
  json_t *list = json_array();
  for (size_t i = 0; i < swim_record_count(a->swim); i++) {
    struct swim_record_info r;
    struct mb_bytes raw;
    if (swim_record_get(a->swim, i, &r, &raw) == MB_OK)
      json_array_append_new(list, record_json(a, &r, &raw));
  }
  *result = list;
  return 0;
}

/* Why, in the words an operator can act on. */
static int refused(struct agent *a, int rc, struct mb_admin_error *err) {
  const char *hint = "";
  char more[160] = "";
  if (rc == MB_EBADSIG)
    snprintf(more, sizeof(more),
             " (signed for a cluster other than \"%s\"? see cert revoke "
             "--cluster)",
             a->cfg->cluster);
  else if (rc == MB_ESIGNER && agent_open_mesh(a))
    hint = " (this mesh has no authority: nothing can be revoked)";
  else if (rc == MB_ESIGNER)
    snprintf(more, sizeof(more), " (not this mesh's authority, %.16s...)",
             a->cfg->authority);
  else if (rc == MB_EOLDER)
    hint = " (a later revocation of this node is held)";
  return mb_admin_error_set(err, rc, "refused", "revocation refused: %s%s%s",
                            mb_strerror(rc), hint, more);
}

int agent_cmd_revoke(void *ctx, const json_t *req, json_t **result,
                     struct mb_admin_error *err) {
  struct agent *a = ctx;
  const char *text = json_string_value(json_object_get(req, "record"));
  uint8_t buf[MB_WIRE_MAX_RECORD];
  size_t len;
  if (text == NULL || decode_record(text, buf, sizeof(buf), &len) != MB_OK)
    return mb_admin_error_set(
        err, MB_EINVAL, "invalid_request",
        "revoke needs \"record\": a signed revocation (meshbeat cert "
        "revoke), hex or base64, at most %d bytes",
        MB_WIRE_MAX_RECORD);
  struct mb_record rec;
  int rc = mb_wire_record_parse(buf, len, &rec);
  if (rc == MB_OK && rec.kind != MB_REC_REVOCATION)
    rc = MB_EKIND;
  if (rc == MB_OK)
    rc = swim_record_offer(a->swim, agent_now(a), buf, len);
  if (rc != MB_OK && rc != MB_EHELD)
    return refused(a, rc, err);
  agent_flush(a); /* persisted, and on its way to the mesh */
  struct swim_record_info r = {.kind = rec.kind,
                               .subject_len = rec.u.ch.subject_len,
                               .version = rec.u.ch.version,
                               .issued_ms = rec.u.ch.issued_ms,
                               .until_s = rec.u.ch.until_s};
  memcpy(r.subject, rec.u.ch.subject, rec.u.ch.subject_len);
  memcpy(r.signer, rec.envelope.kid, MB_NODE_ID_LEN);
  struct mb_bytes raw = {buf, len};
  json_t *j = record_json(a, &r, &raw);
  json_object_set_new(j, "accepted", json_boolean(rc == MB_OK));
  json_object_set_new(j, "already_held", json_boolean(rc == MB_EHELD));
  *result = j;
  return 0;
}
