/*
 * The record channel: signed records that are not heartbeats, the latest
 * per (kind, subject), kept by every member, spread by piggyback like
 * claims (relay.c) and repaired by anti-entropy (sync.c).  Revocations are
 * its first user (revocation.c, revoked.c); an active bridge's delivery
 * cursor, operators' instructions and the RAID coordinators' publication
 * records need nothing here but a line in policy.c (and, for a body the
 * core checks, a line in take.c).
 *
 *   policy.c      what each kind needs: signer, how many held, eviction
 *   table.c       the table of held records and its index by ref
 *   digest.c      the channel digest, kept as records change
 *   keep.c        storing, replacing, evicting and lapsing records
 *   take.c        the checks a record passes before it is kept
 *   relay.c       records riding on outgoing datagrams
 *   queries.c     the table as the driver and sync.c read it
 *   sync.c        the channel's anti-entropy: digest, summary, pull
 *   revoked.c     is a node revoked? (every intake path asks)
 *   revocation.c  what a revocation does: refused everywhere, told
 *   instruction.c what an instruction does: drain, undrain
 *
 * Private to these files; the rest of the core uses swim_internal.h.
 */
#ifndef MESHBEAT_CHANNEL_INTERNAL_H
#define MESHBEAT_CHANNEL_INTERNAL_H

#include "swim_internal.h"

/* policy.c */
enum signer_rule {
  BY_AUTHORITY, /* the configured cluster authority */
  BY_MEMBER,    /* any admitted member, not revoked */
  BY_ELIGIBLE,  /* an admitted member that may be the bridge */
  /* the authority, or such a member; in an open mesh, anyone */
  BY_AUTHORITY_OR_ELIGIBLE,
  /* an admitted member that is a coordinator (role or listed name) */
  BY_COORDINATOR,
};

struct policy {
  enum mb_record_kind kind;
  enum signer_rule signer;
  uint32_t max;           /* held at most */
  bool evict_oldest;      /* when full, the oldest issued gives way; else a
                             newcomer is refused (MB_EFULL) */
  uint8_t subject_len;    /* required subject length; 0: any */
  bool subject_is_signer; /* about its signer only (MB_ESUBJECT) */
};

#define CHANNEL_N_POLICIES 6
/* The policy of kind (NULL: a kind we do not keep); *idx, when not NULL,
 * its index in the table of policies (for the counts). */
const struct policy *channel_policy_of(enum mb_record_kind kind, size_t *idx);

/* table.c */
struct held {
  uint8_t ref[MB_RECORD_REF_LEN];
  uint8_t kind;
  uint8_t subject_len;
  uint16_t relay_left; /* sends still due (0: not relayed) */
  uint16_t sent;
  uint8_t subject[MB_CHANNEL_SUBJECT_MAX];
  uint8_t signer[MB_NODE_ID_LEN];
  uint64_t version;
  int64_t issued_ms, until_s;
  bool drain;       /* an instruction whose op is drain */
  struct bytes raw; /* interned */
};

struct swim_records {
  struct held *v;
  size_t n, cap;
  int32_t *slots; /* open addressing on the ref; -1: free */
  size_t n_slots;
  uint32_t count[CHANNEL_N_POLICIES];
  size_t pending;  /* records with relays due */
  uint64_t sum[2]; /* the channel digest, kept as records change */
  uint64_t next_lapse_check;
  struct swim_budget told; /* revoked nodes told (revocation.c) */
};

/* The index of the record with this ref (-1: none). */
long channel_find_ref(const struct swim_records *r, const uint8_t *ref);
/* The record of (kind, subject) we hold (NULL: none). */
struct held *channel_find(struct swim_records *r, enum mb_record_kind kind,
                          const uint8_t *subject, size_t len);
/* A zeroed entry for ref, indexed (NULL: no memory). */
struct held *channel_add(struct swim *s, const uint8_t *ref);
/* Takes entry i out of the table; the last entry moves into its place. */
void channel_remove(struct swim_records *r, size_t i);

/* digest.c: h's share of the digest, added (in) or taken out. */
void channel_digest_move(struct swim_records *r, const struct held *h, bool in);

/* keep.c */
/* Has a record with this `until` (0: none) lapsed, skew allowed for? */
bool channel_lapsed(const struct swim *s, int64_t until_s);
/* Entry i leaves the table, counts and digest. */
void channel_drop(struct swim *s, size_t i);
/* The record of kind issued longest ago gives way. */
void channel_evict_oldest(struct swim *s, enum mb_record_kind kind);
/* Stores rec in h (a fresh entry, or the older record it replaces),
 * relays and reports it as its origin asks. */
int channel_keep(struct swim *s, struct held *h, size_t policy,
                 const struct mb_record *rec, const uint8_t *raw, size_t len,
                 enum swim_record_origin o);

/* queries.c: what the driver is told of h. */
void channel_info_of(const struct swim *s, const struct held *h,
                     struct swim_record_info *out);

/* queries.c: the table as sync.c sees it. */
size_t swim_records_n(const struct swim *s);
const uint8_t *swim_records_ref(const struct swim *s, size_t i,
                                uint64_t *version);
struct bytes swim_records_raw(const struct swim *s, size_t i);
long swim_records_find_ref(const struct swim *s, const uint8_t *ref);
/* digest.c */
void swim_records_digest(const struct swim *s, uint8_t out[MB_VIEW_DIGEST_LEN]);
/* relay.c: the certificate a member-signed record needs to be admitted
 * (NULL). */
struct bytes swim_records_signer_cert(struct swim *s, size_t i);

#endif
