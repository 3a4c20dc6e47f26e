/*
 * libraft's configuration format, read with bounds: format byte 1, a
 * little-endian u64 server count, then per server a little-endian u64 id,
 * a NUL-terminated address and a role byte, padded to 8 bytes.
 * libraft's own decoder asserts instead of checking, so every configuration
 * that reaches libraft from a peer or from storage passes here first.
 */
#include <errno.h>
#include <string.h>

#include "consensus_codec.h"
#include "mb_common.h"

#define CONF_FORMAT 1

static uint64_t get_le64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

static int add_server(const uint8_t **cur, const uint8_t *end,
                      struct raft_configuration *conf) {
  const uint8_t *p = *cur;
  if ((size_t)(end - p) < 8)
    return MB_ECORRUPT;
  uint64_t id = get_le64(p);
  p += 8;
  const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
  if (nul == NULL || nul == p || nul - p > MB_CONSENSUS_ADDRESS_MAX ||
      end - nul < 2)
    return MB_ECORRUPT;
  const char *address = (const char *)p;
  uint8_t role = nul[1];
  if (id == 0 || role > RAFT_SPARE)
    return MB_ECORRUPT;
  int rv = raft_configuration_add(conf, id, address, role);
  if (rv == RAFT_NOMEM)
    return -ENOMEM;
  if (rv != 0)
    return MB_ECORRUPT; /* duplicate id or address */
  *cur = nul + 2;
  return 0;
}

int mb_consensus__conf_decode(const uint8_t *p, size_t n,
                              struct raft_configuration *conf) {
  const uint8_t *end = p + n;
  if (n < 9 || p[0] != CONF_FORMAT)
    return MB_ECORRUPT;
  uint64_t count = get_le64(p + 1);
  if (count == 0 || count > MB_CONSENSUS_SERVERS_MAX)
    return MB_ECORRUPT;
  const uint8_t *cur = p + 9;
  for (uint64_t i = 0; i < count; i++) {
    int rv = add_server(&cur, end, conf);
    if (rv != 0) {
      raft_configuration_close(conf);
      raft_configuration_init(conf);
      return rv;
    }
  }
  /* Only the padding to a multiple of 8 may follow.  libraft does not
   * zero it (raft_configuration_encode leaves it as malloc gave it), so
   * its length is checked, not its content. */
  size_t used = (size_t)(cur - p);
  if (n != (used + 7) / 8 * 8) {
    raft_configuration_close(conf);
    raft_configuration_init(conf);
    return MB_ECORRUPT;
  }
  return 0;
}
