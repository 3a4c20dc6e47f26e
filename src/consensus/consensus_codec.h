/*
 * Internal to src/consensus (and its tests and fuzz target): libraft's
 * messages and configurations as bytes, and messages as fragments.
 *
 * Decoded messages and configurations are allocated with raft_malloc the
 * way libraft's recv callback expects to take them over: an AppendEntries'
 * entries share one batch, an InstallSnapshot's data is its own buffer and
 * its conf is built with raft_configuration_add.  Whoever does not hand a
 * decoded message to libraft releases it with mb_consensus__message_release.
 */
#ifndef MESHBEAT_CONSENSUS_CODEC_H
#define MESHBEAT_CONSENSUS_CODEC_H

#include <raft.h>
#include <stddef.h>
#include <stdint.h>

/* Servers in a configuration, and bytes in a server's address. */
#define MB_CONSENSUS_SERVERS_MAX 16
#define MB_CONSENSUS_ADDRESS_MAX 64
/* Entries in one AppendEntries message. */
#define MB_CONSENSUS_ENTRIES_MAX 65536

/* libraft's own configuration format (what raft_configuration_encode
 * writes), read with every bound checked: libraft's decoder trusts its
 * input, so every configuration we hand it passes here first.  Fills an
 * empty conf (raft_configuration_init'd); MB_ECORRUPT or -ENOMEM, conf
 * closed again on failure. */
int mb_consensus__conf_decode(const uint8_t *p, size_t n,
                              struct raft_configuration *conf);

/* The CBOR encoding of a message (server_id and address are not sent: the
 * transport names the sender).  *out is malloc'd.  MB_ETOOBIG past
 * MB_CONSENSUS_MESSAGE_MAX, MB_EINVAL for what libraft never sends. */
int mb_consensus__message_encode(const struct raft_message *m, uint8_t **out,
                                 size_t *len);
/* 0 and *m filled (server_id 0, server_address NULL); MB_ECORRUPT (or a
 * CBOR reader code) and nothing allocated otherwise. */
int mb_consensus__message_decode(const uint8_t *p, size_t n,
                                 struct raft_message *m);
void mb_consensus__message_release(struct raft_message *m);

/* Fragments: a 12-byte header (magic, 24-bit message id, index, count, total)
 * and a slice of the message.  Slices are ceil(total / count) bytes, the last
 * one the rest, so every fragment's length is known from its header. */
#define MB_CONSENSUS_FRAG_HEADER 12
typedef int (*mb_consensus_frag_fn)(void *ctx, const uint8_t *frag, size_t len);
/* Calls emit once per fragment, each at most max_fragment bytes; stops at
 * the first non-zero return.  MB_EINVAL when max_fragment is too small or
 * the message too large to split. */
int mb_consensus__fragment(const uint8_t *msg, size_t len, uint32_t msg_id,
                           size_t max_fragment, mb_consensus_frag_fn emit,
                           void *ctx);

/* Reassembly with bounded memory: per sender at most REASM_MESSAGES
 * messages and REASM_BYTES bytes in progress, at most REASM_SENDERS senders;
 * the oldest message (or sender) makes room. */
#define MB_CONSENSUS_REASM_MESSAGES 4
#define MB_CONSENSUS_REASM_BYTES MB_CONSENSUS_MESSAGE_MAX
#define MB_CONSENSUS_REASM_SENDERS 8

struct mb_consensus__reasm;
struct mb_consensus__reasm *mb_consensus__reasm_new(void);
void mb_consensus__reasm_free(struct mb_consensus__reasm *r);
/* 1 with *msg (malloc'd, caller frees) and *len when this fragment
 * completes a message; 0 when more are needed; MB_EFRAGMENT (the fragment,
 * and the message it contradicts, are dropped), -ENOMEM. */
int mb_consensus__reasm_push(struct mb_consensus__reasm *r, uint64_t from,
                             const uint8_t *frag, size_t len, uint8_t **msg,
                             size_t *msg_len);

#endif
