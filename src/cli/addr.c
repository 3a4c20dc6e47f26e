/* HOST:PORT text for the CLI: the wire layer's parser and formatter. */
#include "cli_addr.h"

int cli_parse_addr(const char *text, struct mb_addr *out) {
  return mb_addr_parse(text, out) == MB_OK ? 0 : -1;
}

void cli_format_addr(char *out, size_t cap, const struct mb_addr *a) {
  mb_addr_format(out, cap, a);
}
