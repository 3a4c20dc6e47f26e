/*
 * Event ids every member derives alike: a transition is named by facts the
 * mesh agrees on (the member's id and the incarnation its death was
 * declared at, both signed), never by who noticed it or when.
 */
#include "mb_bridge.h"

#include <sodium.h>
#include <string.h>

#define EVENT_TAG "meshbeat bridge event v1"
#define DIGEST_LEN 16

const char *mb_bridge_event_type_name(enum mb_bridge_event_type type) {
  return type == MB_BRIDGE_EV_ONLINE ? "machine.online" : "machine.offline";
}

void mb_bridge_event_id(char out[MB_BRIDGE_EVENT_ID_LEN + 1],
                        const char *cluster,
                        const uint8_t member[MB_NODE_ID_LEN],
                        enum mb_bridge_event_type type, uint64_t incarnation) {
  size_t cluster_len = strlen(cluster);
  uint8_t len_be[2] = {(uint8_t)(cluster_len >> 8), (uint8_t)cluster_len};
  uint8_t tail[9];
  tail[0] = (uint8_t)type;
  for (int i = 0; i < 8; i++)
    tail[1 + i] = (uint8_t)(incarnation >> (56 - 8 * i));
  uint8_t digest[DIGEST_LEN];
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, DIGEST_LEN);
  crypto_generichash_update(&st, (const uint8_t *)EVENT_TAG, sizeof(EVENT_TAG));
  crypto_generichash_update(&st, len_be, sizeof(len_be));
  crypto_generichash_update(&st, (const uint8_t *)cluster, cluster_len);
  crypto_generichash_update(&st, member, MB_NODE_ID_LEN);
  crypto_generichash_update(&st, tail, sizeof(tail));
  crypto_generichash_final(&st, digest, DIGEST_LEN);
  memcpy(out, "evt_", 4);
  mb_hex_encode(out + 4, digest, DIGEST_LEN);
}
