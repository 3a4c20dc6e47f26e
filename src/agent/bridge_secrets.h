/*
 * The bridge's secrets, read from the files its settings name: the
 * consolidated view's Bearer token (bridge.token_file), Flynas' per-device
 * tokens (bridge.flynas.token_file) and the webhooks' signing secrets
 * (bridge.webhook.secret_file).  Read at start and on SIGHUP by the
 * bridge's driver, and by the configuration's check to validate them.
 *
 * A secret's bytes never reach a message: problems name the setting, the
 * file and, in a file of lines, the line number, never what is in it.
 * The caller owns the struct; agent_bridge_secrets_wipe zeroes it
 * (sodium_memzero) and frees what it holds, and must be called on every
 * struct a load filled.
 *
 * Token file: one line (a trailing newline allowed), 1..1024 bytes, no
 * white space, control character or NUL in it.  Flynas token file: lines
 * `DEVICE-NAME TOKEN` (separated by spaces or tabs), `#` comments and
 * blank lines allowed, each device named once, at least one; names are node
 * names (1..63 bytes of printable UTF-8), tokens as in a token file.  Webhook
 * secret file: what mb_webhook_secrets_parse accepts (`whsec_<base64>`,
 * several separated by white space during a rotation).
 */
#ifndef MESHBEAT_AGENT_BRIDGE_SECRETS_H
#define MESHBEAT_AGENT_BRIDGE_SECRETS_H

#include "mb_agent.h"
#include "mb_bridge.h"

#include <stddef.h>

#define AGENT_BRIDGE_TOKEN_MAX 1024

struct agent_bridge_token {
  char name[MB_NAME_MAX + 1];
  char token[AGENT_BRIDGE_TOKEN_MAX + 1];
};

struct agent_bridge_secrets {
  char token[AGENT_BRIDGE_TOKEN_MAX + 1]; /* "" when no token_file */
  struct agent_bridge_token *flynas;      /* malloc'd; n_flynas entries */
  size_t n_flynas;
  struct mb_webhook_secret webhook[MB_WEBHOOK_MAX_SECRETS];
  size_t n_webhook;
};

/* 0, or MB_EINVAL with one line per problem in err, "KEY: FILE: problem"
 * (naming the setting and its file, never a secret's bytes); out is wiped
 * on failure.  A setting left "" reads nothing (its part of out empty). */
int agent_bridge_secrets_load(const struct mb_agent_bridge_config *c,
                              struct agent_bridge_secrets *out, char *err,
                              size_t cap);
/* The same, each problem handed to fn with the setting's key ("bridge.
 * token_file") and the problem ("FILE: ..."), so that the configuration's
 * check can name where the setting came from. */
typedef void (*agent_bridge_problem_fn)(void *ctx, const char *key,
                                        const char *problem);
int agent_bridge_secrets_read(const struct mb_agent_bridge_config *c,
                              struct agent_bridge_secrets *out,
                              agent_bridge_problem_fn fn, void *ctx);
/* sodium_memzero over everything, flynas freed; out is then empty. */
void agent_bridge_secrets_wipe(struct agent_bridge_secrets *s);
/* The Bearer token of device `name` for Flynas, NULL when the file names
 * none. */
const char *agent_bridge_flynas_token(const struct agent_bridge_secrets *s,
                                      const char *name);

#endif
