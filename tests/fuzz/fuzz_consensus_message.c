/*
 * libFuzzer target: what a peer's Raft traffic can be.  The first byte picks
 * the path:
 *  - even: the rest is one message for mb_consensus__message_decode; what
 *    decodes must encode again to the same bytes (the encoding is
 *    canonical), decode alike, and release without leaks.
 *  - odd: the rest is fragments [sender u8][length u16 BE][bytes] pushed
 *    through one reassembler; every completed message stays within
 *    MB_CONSENSUS_MESSAGE_MAX and goes through the decoder too.
 */
#include "consensus_codec.h"
#include "fuzz_common.h"
#include "mb_consensus.h"

static void check_message(const uint8_t *data, size_t size) {
  struct raft_message m;
  if (mb_consensus__message_decode(data, size, &m) != 0)
    return;
  FUZZ_CHECK(m.type >= RAFT_IO_APPEND_ENTRIES && m.type <= RAFT_IO_TIMEOUT_NOW);
  if (m.type == RAFT_IO_APPEND_ENTRIES) {
    FUZZ_CHECK((m.append_entries.n_entries == 0) ==
               (m.append_entries.entries == NULL));
    for (unsigned i = 0; i < m.append_entries.n_entries; i++)
      FUZZ_CHECK(m.append_entries.entries[i].batch ==
                 m.append_entries.entries[0].batch);
  }
  if (m.type == RAFT_IO_INSTALL_SNAPSHOT)
    FUZZ_CHECK(m.install_snapshot.conf.n >= 1 &&
               m.install_snapshot.conf.n <= MB_CONSENSUS_SERVERS_MAX);
  uint8_t *again;
  size_t len;
  FUZZ_CHECK(mb_consensus__message_encode(&m, &again, &len) == 0);
  FUZZ_CHECK(len == size && memcmp(again, data, size) == 0);
  struct raft_message m2;
  FUZZ_CHECK(mb_consensus__message_decode(again, len, &m2) == 0);
  FUZZ_CHECK(m2.type == m.type);
  mb_consensus__message_release(&m2);
  mb_consensus__message_release(&m);
  free(again);
}

static void check_fragments(const uint8_t *data, size_t size) {
  struct mb_consensus__reasm *r = mb_consensus__reasm_new();
  FUZZ_CHECK(r != NULL);
  while (size >= 3) {
    uint64_t from = 1 + data[0];
    size_t n = (size_t)data[1] << 8 | data[2];
    data += 3;
    size -= 3;
    if (n > size)
      n = size;
    uint8_t *msg = NULL;
    size_t msg_len = 0;
    int rc = mb_consensus__reasm_push(r, from, data, n, &msg, &msg_len);
    FUZZ_CHECK(rc == 0 || rc == 1 || rc == MB_EFRAGMENT);
    if (rc == 1) {
      FUZZ_CHECK(msg_len > 0 && msg_len <= MB_CONSENSUS_MESSAGE_MAX);
      check_message(msg, msg_len);
      free(msg);
    }
    data += n;
    size -= n;
  }
  mb_consensus__reasm_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  if (data[0] % 2 == 0)
    check_message(data + 1, size - 1);
  else
    check_fragments(data + 1, size - 1);
  return 0;
}
