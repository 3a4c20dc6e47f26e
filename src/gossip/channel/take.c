/*
 * The checks a channel record passes before it is kept, cheapest first.
 * Unauthenticated input changes nothing and costs little: a record is
 * parsed (no allocation), its kind and signer checked by comparing bytes,
 * its version against the one held, and only a record that would change
 * the table is verified, through the shared cache.  Echoes of a record
 * held cost a parse and a lookup.
 */
#include "channel_internal.h"

#include <errno.h>
#include <string.h>

/* What the checks before the signature found out. */
struct verdict {
  const struct policy *p;
  size_t pi;      /* the policy's index */
  struct held *h; /* the record it replaces (NULL: a new one) */
  bool full;      /* another of its kind must give way for it */
};

/* 0 when rec would replace h; otherwise why not.  Equal versions with
 * different bytes (two signings in one millisecond, or a member signing
 * twice) are settled by the larger signature, so every member that sees
 * both keeps the same one. */
static int compare(const struct held *h, const struct mb_record *rec,
                   const uint8_t *raw, size_t len) {
  if (rec->u.ch.version != h->version)
    return rec->u.ch.version > h->version ? MB_OK : MB_EOLDER;
  if (h->raw.len == len && memcmp(h->raw.p, raw, len) == 0)
    return MB_EHELD;
  struct mb_record mine;
  if (mb_wire_record_parse(h->raw.p, h->raw.len, &mine) != MB_OK)
    return MB_OK;
  return memcmp(rec->envelope.signature, mine.envelope.signature, MB_SIG_LEN) >
                 0
             ? MB_OK
             : MB_EOLDER;
}

static bool by_authority(const struct swim *s, const uint8_t *kid) {
  return s->cfg.require_cert &&
         memcmp(kid, s->cfg.authority, MB_NODE_ID_LEN) == 0;
}

/* The authority's kinds need the configured authority as signer; a
 * member's kinds need a signer that is not revoked, and admitted (and
 * for the bridge's kinds eligible), which is checked last: admitting a
 * carried certificate may cost a verify. */
static int check_signer(struct swim *s, const struct policy *p,
                        const uint8_t *kid) {
  if (p->signer == BY_AUTHORITY)
    return by_authority(s, kid) ? MB_OK : MB_ESIGNER;
  if (p->signer == BY_AUTHORITY_OR_ELIGIBLE && by_authority(s, kid))
    return MB_OK;
  return swim_id_revoked(s, kid) ? MB_EREVOKED : MB_OK;
}

static bool member_admitted(struct swim *s, const uint8_t *kid,
                            struct swim_carried *c) {
  if (c != NULL)
    return swim_admitted(s, kid, c);
  return !s->cfg.require_cert || swim_holds_cert(s, kid);
}

/* The signer checks that may cost a certificate's verify. */
static int check_member_signer(struct swim *s, const struct policy *p,
                               const uint8_t *kid, struct swim_carried *c) {
  if (p->signer == BY_AUTHORITY ||
      (p->signer == BY_AUTHORITY_OR_ELIGIBLE && by_authority(s, kid)))
    return MB_OK;
  if (!member_admitted(s, kid, c))
    return MB_ESIGNER;
  if (p->signer == BY_MEMBER ||
      (p->signer == BY_AUTHORITY_OR_ELIGIBLE && !s->cfg.require_cert))
    return MB_OK; /* an open mesh has no authority: anyone instructs */
  if (p->signer == BY_COORDINATOR)
    return swim_signer_coordinator(s, kid, c) ? MB_OK : MB_ESIGNER;
  return swim_signer_eligible(s, kid, c) ? MB_OK : MB_ESIGNER;
}

static int check_subject(const struct policy *p, const struct mb_record *rec) {
  const struct mb_channel_record *ch = &rec->u.ch;
  if (p->subject_len != 0 && ch->subject_len != p->subject_len)
    return MB_ERANGE;
  if (p->subject_is_signer &&
      memcmp(ch->subject, rec->envelope.kid, MB_NODE_ID_LEN) != 0)
    return MB_ESUBJECT;
  return MB_OK;
}

/* The bodies the core reads decode, or the record is refused: a member
 * must not keep (and relay) what no member can act on. */
static int check_body(const struct mb_record *rec) {
  const struct mb_channel_record *ch = &rec->u.ch;
  if (rec->kind == MB_REC_BRIDGE_CURSOR) {
    struct mb_bridge_cursor cur;
    return mb_wire_cursor_parse(ch->body, ch->body_len, &cur);
  }
  if (rec->kind == MB_REC_INSTRUCTION) {
    struct mb_instruction in;
    return mb_wire_instruction_parse(ch->body, ch->body_len, &in);
  }
  if (rec->kind == MB_REC_RAID_ARRAY || rec->kind == MB_REC_RAID_TASK ||
      rec->kind == MB_REC_RAID_LEADER)
    return mb_wire_raid_record_check(rec->kind, ch);
  return MB_OK;
}

static int check_unverified(struct swim *s, const struct mb_record *rec,
                            const uint8_t *raw, size_t len, struct verdict *v) {
  if ((v->p = channel_policy_of(rec->kind, &v->pi)) == NULL)
    return MB_EKIND;
  const struct mb_channel_record *ch = &rec->u.ch;
  int rc = check_subject(v->p, rec);
  if (rc == MB_OK)
    rc = check_signer(s, v->p, rec->envelope.kid);
  if (rc == MB_OK)
    rc = check_body(rec);
  if (rc != MB_OK)
    return rc;
  if (channel_lapsed(s, ch->until_s))
    return MB_ELAPSED;
  struct swim_records *r = s->records;
  v->h = channel_find(r, rec->kind, ch->subject, ch->subject_len);
  if (v->h != NULL && (rc = compare(v->h, rec, raw, len)) != MB_OK)
    return rc;
  v->full = v->h == NULL && r->count[v->pi] >= v->p->max;
  return v->full && !v->p->evict_oldest ? MB_EFULL : MB_OK;
}

/* Only a verified record may push another out. */
static int store(struct swim *s, const struct mb_record *rec,
                 const uint8_t *raw, size_t len, struct verdict *v,
                 enum swim_record_origin o) {
  const struct mb_channel_record *ch = &rec->u.ch;
  if (v->full)
    channel_evict_oldest(s, rec->kind);
  if (v->h == NULL) {
    uint8_t ref[MB_RECORD_REF_LEN];
    mb_wire_record_ref(rec->kind, ch->subject, ch->subject_len, ref);
    if ((v->h = channel_add(s, ref)) == NULL)
      return -ENOMEM;
  }
  int rc = channel_keep(s, v->h, v->pi, rec, raw, len, o);
  if (rc == MB_OK && rec->kind == MB_REC_REVOCATION)
    swim_revocation_apply(s, ch->subject, o != SWIM_FROM_STORE);
  if (rc == MB_OK && rec->kind == MB_REC_INSTRUCTION &&
      memcmp(ch->subject, s->id.pk, MB_NODE_ID_LEN) == 0)
    swim_instruction_apply(s, ch->body, ch->body_len);
  return rc;
}

int swim_record_take(struct swim *s, const uint8_t *raw, size_t len,
                     struct swim_carried *c, enum swim_record_origin o) {
  struct mb_record rec;
  struct verdict v;
  int rc = mb_wire_record_parse(raw, len, &rec);
  if (rc == MB_OK)
    rc = check_unverified(s, &rec, raw, len, &v);
  if (rc != MB_OK)
    return rc;
  const uint8_t *kid = rec.envelope.kid;
  if ((rc = check_member_signer(s, v.p, kid, c)) != MB_OK)
    return rc;
  rc = mb_cose_sign1_verify_cached(s->vc, &rec.envelope, raw, len, s->aad,
                                   s->aad_len, kid);
  return rc == MB_OK ? store(s, &rec, raw, len, &v, o) : rc;
}

int swim_record_offer(struct swim *s, uint64_t now, const uint8_t *bytes,
                      size_t len) {
  s->now = now;
  if (s->left)
    return MB_EINVAL;
  return swim_record_take(s, bytes, len, NULL, SWIM_FROM_OFFER);
}

int swim_record_restore(struct swim *s, uint64_t now, const uint8_t *bytes,
                        size_t len) {
  s->now = now;
  return swim_record_take(s, bytes, len, NULL, SWIM_FROM_STORE);
}
