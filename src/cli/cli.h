/*
 * The meshbeat command line: one file per command, all wiring.  Each command
 * takes (argc, argv) with argv[0] being the command name, prints people's
 * output to stdout and one-line errors to stderr, and returns the process
 * exit code (see docs/cli.md): 0 success, 1 a verdict or operation failed
 * (or the agent answered with an error), 2 usage error, 3 the agent cannot
 * be reached.
 */
#ifndef MESHBEAT_CLI_H
#define MESHBEAT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2
#define CLI_EXIT_UNREACHABLE 3
#define CLI_DEFAULT_CLUSTER "meshbeat"
#define CLI_MAX_INPUT (1u << 20)

int cmd_keygen(int argc, char **argv);
int cmd_id(int argc, char **argv);
int cmd_cert(int argc, char **argv);
int cmd_wire(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_agent(int argc, char **argv);
/* Commands talking to a running agent over its admin socket (cli_admin.h). */
int cmd_members(int argc, char **argv);
int cmd_member(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_health(int argc, char **argv);
int cmd_join(int argc, char **argv);
int cmd_leave(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_records(int argc, char **argv);
int cmd_bridge(int argc, char **argv);
int cmd_raid(int argc, char **argv);
int cmd_tasks(int argc, char **argv);
int cmd_ledger(int argc, char **argv);
int cmd_coordinator(int argc, char **argv);
/* meshbeat cert revoke (cmd_cert_revoke.c), dispatched by cmd_cert. */
int cmd_cert_revoke(int argc, char **argv);
void cert_revoke_usage(FILE *f);

/* Prints "meshbeat CMD: message" to stderr; returns CLI_EXIT_FAIL. */
int cli_fail(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Same, for usage errors; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* getopt_long's state for a fresh parse: from argv[1], and silent, so that
 * an unknown option or a missing value is reported once, by
 * cli_option_error, rather than by getopt and again by us.  Parsers pass
 * an optstring starting with ':' so that a missing value comes back as ':'.
 */
void cli_getopt_begin(void);
/* The usage error for what getopt_long returned ('?' or ':') just now:
 * "unknown option '--x'", "option '--out' needs a value", "option '--json'
 * takes no value" or "option '--a' is ambiguous (--admin-socket,
 * --authority)".  Returns CLI_EXIT_USAGE. */
struct option;
int cli_option_error(const char *cmd, int c, char **argv,
                     const struct option *opts);

/* Reads a whole file ("-" is stdin) of at most CLI_MAX_INPUT bytes into a
 * malloc'd buffer the caller frees.  0 or -errno / MB_ETOOBIG. */
int cli_read_file(const char *path, uint8_t **out, size_t *len);
/* Writes len bytes to path with the given mode, replacing it; 0 or -errno. */
int cli_write_file(const char *path, const uint8_t *p, size_t len, int mode);

/* "90", "90s", "15m", "12h", "30d", "1y" -> seconds; -1 when malformed. */
int64_t cli_parse_duration(const char *s);
/* Decimal unsigned integer with nothing after it. */
bool cli_parse_u64(const char *s, uint64_t *out);
/* An epoch as `meshbeat status` shows it: exactly 16 hex digits. */
bool cli_parse_epoch(const char *s, uint64_t *out);
bool cli_parse_i64(const char *s, int64_t *out);
/* Formats seconds since the epoch as RFC 3339 UTC ("2026-11-22T18:00:00Z"). */
void cli_format_time(char *out, size_t cap, int64_t unix_s);

/* Prints one CBOR item in diagnostic notation (RFC 8949 §8, with RFC 8610
 * <<...>> for byte strings that hold CBOR).  0 or a decoding error. */
int cli_print_diag(FILE *f, const uint8_t *buf, size_t len);

#endif
