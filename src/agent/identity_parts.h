/*
 * The pieces of the identity check (identity.c), one file each:
 * identity_key.c the key, identity_cert.c the certificate,
 * identity_first_start.c the first start's message.
 */
#ifndef MESHBEAT_AGENT_IDENTITY_PARTS_H
#define MESHBEAT_AGENT_IDENTITY_PARTS_H

#include "agent_state.h"
#include "config_internal.h"

#include <sys/types.h>

enum key_state { KEY_ABSENT, KEY_OK, KEY_BROKEN };

/* identity_key.c: the key at path into *id; a missing key is no problem
 * (a start makes it, --check says nothing), any other goes to r. */
enum key_state identity_check_key(const struct mb_agent_config *c,
                                  const char *path, struct mb_identity *id,
                                  struct cfg_report *r);
/* A new key at path (its directories 0700), logged with the node id. */
int identity_make_key(const char *path, struct mb_identity *id,
                      struct agent_logger *log);

/* identity_cert.c: the certificate against the key and the authority,
 * problems to r; true when all that is missing is the certificate. */
bool identity_check_cert(const struct mb_agent_config *c,
                         const struct mb_identity *id, enum key_state key,
                         const char *key_path, struct cfg_report *r);

/* identity_first_start.c: the report of a node with a key and no
 * certificate yet: its id and the command that issues the certificate. */
void identity_first_start(const struct mb_agent_config *c, const char *path,
                          const struct mb_identity *id, enum key_state key,
                          const char *key_path, struct cfg_report *r);

#endif
