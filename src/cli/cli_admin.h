/*
 * The commands that talk to a running agent over its admin socket
 * (docs/admin-api.md): shared options, the request round trip with its exit
 * codes, and the table and number formatting people see.  Separate from
 * cli.h so only these commands include jansson and the admin layer.
 */
#ifndef MESHBEAT_CLI_ADMIN_H
#define MESHBEAT_CLI_ADMIN_H

#include "cli.h"
#include "mb_admin.h"

#include <getopt.h>

#define CLI_ADMIN_DEFAULT_SOCKET "./meshbeat-data/admin.sock"
#define CLI_ADMIN_SOCKET_ENV "MESHBEAT_ADMIN_SOCKET"
/* Connecting and each request/answer round trip. */
#define CLI_ADMIN_TIMEOUT_MS 10000

enum { CLI_OPT_SOCKET = 0x100, CLI_OPT_JSON, CLI_OPT_FIRST_OWN };

/* The long options every admin command takes; put first in its table. */
#define CLI_ADMIN_OPTIONS                                                      \
  {"admin-socket", required_argument, 0, CLI_OPT_SOCKET},                      \
      {"json", no_argument, 0, CLI_OPT_JSON}, {                                \
    "help", no_argument, 0, 'h'                                                \
  }

struct cli_admin {
  const char *cmd;    /* the command's name, for messages */
  const char *socket; /* --admin-socket, else $MESHBEAT_ADMIN_SOCKET, else
                         CLI_ADMIN_DEFAULT_SOCKET */
  bool json;          /* --json: print the raw result */
  int timeout_ms;     /* the answer's wait; 0: CLI_ADMIN_TIMEOUT_MS */
};

void cli_admin_init(struct cli_admin *o, const char *cmd);
/* Takes a common option code from getopt_long; false if it is not one. */
bool cli_admin_option(struct cli_admin *o, int c);
/* Parses argv when the common options are all a command takes; positional
 * arguments are then argv[*first..argc).  0 to go on, CLI_ADMIN_HELPED
 * after printing usage(stdout), or a usage error's exit code. */
#define CLI_ADMIN_HELPED (-1)
int cli_admin_parse(struct cli_admin *o, int argc, char **argv,
                    void (*usage)(FILE *), int *first);
/* The lines of --help describing the common options. */
void cli_admin_usage_common(FILE *f);

/*
 * Sends request (stolen; NULL, from a failed json_pack, is reported as a
 * usage error: arguments must be UTF-8) and returns an exit code: CLI_EXIT_OK
 * with *result set (a new reference; *response too when not NULL),
 * CLI_EXIT_FAIL when the agent answered with an error, CLI_EXIT_UNREACHABLE
 * when it could not be reached or stopped answering; the reason is on stderr.
 * With keep_fd the connection stays open in *keep_fd (for following a stream).
 */
int cli_admin_request(const struct cli_admin *o, json_t *request,
                      json_t **result, json_t **response, int *keep_fd);
/* Reports a failed connection or call (code from mb_admin_*); returns
 * CLI_EXIT_UNREACHABLE. */
int cli_admin_unreachable(const struct cli_admin *o, int code);

/* The whole of a command whose only input is the common options: parses
 * them, sends {"cmd":cmd} and returns render's exit code; render prints
 * the result, as JSON itself when json is set. */
int cli_admin_simple(const char *cmd, int argc, char **argv,
                     void (*usage)(FILE *),
                     int (*render)(const json_t *res, bool json));

/* Prints v indented (--json) and returns CLI_EXIT_OK. */
int cli_admin_print_json(const json_t *v);

/* ---- formatting for people --------------------------------------------- */

/* A table whose columns are as wide as their widest cell (counted in
 * characters, so "→" is one); cells are copied. */
struct cli_table {
  size_t ncols;
  size_t nrows;
  char **cells; /* nrows * ncols */
};

void cli_table_init(struct cli_table *t, size_t ncols);
/* Adds a row of exactly ncols strings (NULL prints as "-"). */
void cli_table_row(struct cli_table *t, const char *const *cells);
void cli_table_print(const struct cli_table *t, FILE *f);
void cli_table_free(struct cli_table *t);
/* Prints n "key  value" rows, values aligned, on stdout. */
void cli_print_pairs(const char *const (*rows)[2], size_t n);
/* Display width of UTF-8 text in characters (NULL is 0). */
size_t cli_text_width(const char *s);

/* 1536 -> "1.5 KiB"; exact below 1 KiB ("512 B"). */
void cli_human_bytes(char *out, size_t cap, uint64_t n);
/* Seconds -> "45s", "12m", "3h 4m", "2d 5h". */
void cli_human_duration(char *out, size_t cap, int64_t s);
/* An RFC 3339 time as "2026-11-22T18:00:00Z" (whole seconds, UTC); the
 * text itself when it does not parse. */
void cli_short_time(char *out, size_t cap, const char *rfc3339);
/* An RFC 3339 time as an age relative to now: "now", "12s ago". */
void cli_age(char *out, size_t cap, const char *rfc3339);

/* Field access for rendering: the text of a string or number field, or
 * "-" when absent (the returned pointer is valid until the next call with
 * the same buf). */
const char *cli_json_text(const json_t *obj, const char *key, char *buf,
                          size_t cap);

#endif
