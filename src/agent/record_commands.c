/*
 * The record channel's admin commands (docs/admin-api.md): `records` lists
 * the records held, `revoke` hands the core a signed revocation, which it
 * checks exactly as one from the network before it spreads.
 */
#include "agent_state.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

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
  char issued[MB_TIME_LEN], until[MB_TIME_LEN];
  char why[MB_REVOCATION_REASON_MAX + 1];
  mb_hex_encode(subject, r->subject, r->subject_len);
  mb_node_id_hex(signer, r->signer);
  mb_time_format(issued, sizeof(issued), r->issued_ms);
  mb_time_format(until, sizeof(until), r->until_s * 1000);
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
    agent_record_reason(raw->p, raw->len, why, sizeof(why));
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
