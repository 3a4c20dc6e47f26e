/* Helpers shared by the files of the wire layer; not part of its API. */
#ifndef MESHBEAT_WIRE_INTERNAL_H
#define MESHBEAT_WIRE_INTERNAL_H

#include "mb_wire.h"

void wire_write_addr(struct mb_cbor_writer *w, const struct mb_addr *a);
int wire_read_addr(struct mb_cbor_reader *r, struct mb_addr *a);
int wire_read_node_id(struct mb_cbor_reader *r, uint8_t *id);
void wire_write_msg(struct mb_cbor_writer *w, const struct mb_msg *m);
int wire_read_msg(struct mb_cbor_reader *r, struct mb_msg *m);
/* sign.c: wraps an encoded payload in the signer's COSE_Sign1. */
int wire_sign_payload(const struct mb_identity *signer, const uint8_t *aad,
                      size_t aad_len, const struct mb_cbor_writer *payload,
                      uint8_t *out, size_t cap, size_t *out_len);
/* heartbeat.c: one field of a heartbeat record, and the keys it must
 * have. */
int wire_read_heartbeat_field(struct mb_cbor_reader *r, int64_t key,
                              struct mb_heartbeat *hb);
#define WIRE_HEARTBEAT_REQUIRED 0xffu
/* claim.c: one field of a suspect or dead claim, and the keys it must
 * have. */
int wire_read_claim_field(struct mb_cbor_reader *r, int64_t key,
                          struct mb_claim *c);
#define WIRE_CLAIM_REQUIRED 0xfu
/* ack.c: one field of a probe ack, and the keys it must have. */
int wire_read_ack_field(struct mb_cbor_reader *r, int64_t key,
                        struct mb_probe_ack *a);
#define WIRE_ACK_REQUIRED 0xfu
/* channel.c: one field of a channel record, and the keys it must have. */
int wire_read_channel_field(struct mb_cbor_reader *r, int64_t key,
                            struct mb_channel_record *c);
#define WIRE_CHANNEL_REQUIRED 0xfu
/* raid_fields.c: the RAID bodies' shared pieces.  A number at most max;
 * an array head of at most max items (MB_ETOOBIG); a byte string of
 * exactly len bytes, copied (MB_ERANGE); a name: non-empty UTF-8 text of
 * at most MB_WIRE_RAID_NAME_MAX bytes. */
int wire_read_small(struct mb_cbor_reader *r, uint64_t max, uint8_t *v);
int wire_read_count(struct mb_cbor_reader *r, size_t max, size_t *n);
int wire_read_fixed(struct mb_cbor_reader *r, uint8_t *dst, size_t len);
int wire_read_raid_name(struct mb_cbor_reader *r, char *dst);
bool wire_raid_name_ok(const char *name);
/* A RAID body read into *out (zeroed first, and again on any error):
 * MB_EMISSING when absent or a required key is missing, MB_ETOOBIG past
 * MB_CHANNEL_BODY_MAX, or what the walk or a field refused. */
int wire_read_raid_body(const uint8_t *body, size_t len, uint64_t max_pairs,
                        mb_cr_field_fn field, uint32_t required, void *out,
                        size_t out_size);
/* Copies a finished body out: MB_EINVAL when the writer overflowed its
 * MB_CHANNEL_BODY_MAX scratch (cannot happen within the bounds),
 * MB_ENOSPACE when cap is too small. */
int wire_body_out(const struct mb_cbor_writer *w, uint8_t *out, size_t cap,
                  size_t *len);

#endif
