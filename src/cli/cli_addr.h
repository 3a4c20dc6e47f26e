/* Address text for the CLI; separate from cli.h so that only the commands
 * that speak wire types include the wire header. */
#ifndef MESHBEAT_CLI_ADDR_H
#define MESHBEAT_CLI_ADDR_H

#include "cli.h"
#include "mb_wire.h"

/* 0 on success, -1 when text is not HOST:PORT with a numeric host. */
int cli_parse_addr(const char *text, struct mb_addr *out);
void cli_format_addr(char *out, size_t cap, const struct mb_addr *a);

#endif
