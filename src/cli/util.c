/* Small helpers shared by the commands: errors, files, numbers, times. */
#include "cli.h"

#include "mb_common.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int vreport(const char *cmd, int code, const char *fmt, va_list ap) {
  fprintf(stderr, "meshbeat %s: ", cmd);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  return code;
}

int cli_fail(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = vreport(cmd, CLI_EXIT_FAIL, fmt, ap);
  va_end(ap);
  return rc;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = vreport(cmd, CLI_EXIT_USAGE, fmt, ap);
  va_end(ap);
  fprintf(stderr, "Run 'meshbeat %s --help' for usage.\n", cmd);
  return rc;
}

int cli_read_file(const char *path, uint8_t **out, size_t *len) {
  int fd =
      strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  uint8_t *buf = malloc(CLI_MAX_INPUT + 1);
  if (buf == NULL) {
    if (fd != STDIN_FILENO)
      close(fd);
    return -ENOMEM;
  }
  size_t n = 0;
  int rc = MB_OK;
  while (n <= CLI_MAX_INPUT) {
    ssize_t k = read(fd, buf + n, CLI_MAX_INPUT + 1 - n);
    if (k < 0 && errno == EINTR)
      continue;
    if (k < 0)
      rc = -errno;
    if (k <= 0)
      break;
    n += (size_t)k;
  }
  if (rc == MB_OK && n > CLI_MAX_INPUT)
    rc = MB_ETOOBIG;
  if (fd != STDIN_FILENO)
    close(fd);
  if (rc != MB_OK) {
    free(buf);
    return rc;
  }
  *out = buf;
  *len = n;
  return MB_OK;
}

int cli_write_file(const char *path, const uint8_t *p, size_t len, int mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return -errno;
  int rc = MB_OK;
  while (len > 0 && rc == MB_OK) {
    ssize_t k = write(fd, p, len);
    if (k < 0 && errno != EINTR)
      rc = -errno;
    if (k > 0)
      p += k, len -= (size_t)k;
  }
  if (close(fd) < 0 && rc == MB_OK)
    rc = -errno;
  return rc;
}

bool cli_parse_u64(const char *s, uint64_t *out) {
  if (s == NULL || *s < '0' || *s > '9')
    return false;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno != 0 || *end != '\0')
    return false;
  *out = v;
  return true;
}

bool cli_parse_epoch(const char *s, uint64_t *out) {
  uint8_t b[8];
  if (s == NULL || strlen(s) != 16 || mb_hex_decode(b, sizeof(b), s) != MB_OK)
    return false;
  uint64_t e = 0;
  for (int i = 0; i < 8; i++)
    e = e << 8 | b[i];
  *out = e;
  return true;
}

bool cli_parse_i64(const char *s, int64_t *out) {
  if (s == NULL || *s == '\0')
    return false;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno != 0 || *end != '\0')
    return false;
  *out = v;
  return true;
}

int64_t cli_parse_duration(const char *s) {
  if (s == NULL || *s < '0' || *s > '9')
    return -1;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno != 0 || v < 0)
    return -1;
  int64_t unit;
  switch (*end) {
  case '\0':
  case 's':
    unit = 1;
    break;
  case 'm':
    unit = 60;
    break;
  case 'h':
    unit = 3600;
    break;
  case 'd':
    unit = 86400;
    break;
  case 'y':
    unit = 365 * 86400;
    break;
  default:
    return -1;
  }
  if (*end != '\0' && end[1] != '\0')
    return -1;
  if (v > INT64_MAX / unit)
    return -1;
  return v * unit;
}

void cli_format_time(char *out, size_t cap, int64_t unix_s) {
  time_t t = (time_t)unix_s;
  struct tm tm;
  if (gmtime_r(&t, &tm) == NULL ||
      strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    snprintf(out, cap, "@%lld", (long long)unix_s);
}

void cli_getopt_begin(void) {
  optind = 1;
  opterr = 0;
}

/* The long options whose names start with prefix (the text after "--" up
 * to any '='), listed into out; how many there are. */
static size_t long_matches(const struct option *opts, const char *prefix,
                           char *out, size_t cap) {
  size_t n = 0, len = strcspn(prefix, "=");
  out[0] = '\0';
  for (const struct option *o = opts; o != NULL && o->name != NULL; o++) {
    if (strncmp(o->name, prefix, len) != 0)
      continue;
    size_t used = strlen(out);
    snprintf(out + used, cap - used, "%s--%s", n++ ? ", " : "", o->name);
  }
  return n;
}

int cli_option_error(const char *cmd, int c, char **argv,
                     const struct option *opts) {
  /* getopt_long has moved past the offending element, except inside a
   * cluster of short options ("-xz"), where optopt names the letter. */
  const char *arg = argv[optind - 1];
  bool is_long = strncmp(arg, "--", 2) == 0;
  if (c == ':')
    return cli_usage_error(cmd, "option '%s' needs a value", arg);
  if (!is_long)
    return cli_usage_error(cmd, "unknown option '-%c'", optopt);
  char names[256];
  if (optopt != 0) /* a known long option given "=VALUE" it does not take */
    return cli_usage_error(cmd, "option '%.*s' takes no value",
                           (int)strcspn(arg, "="), arg);
  if (long_matches(opts, arg + 2, names, sizeof(names)) > 1)
    return cli_usage_error(cmd, "option '%s' is ambiguous (%s)", arg, names);
  return cli_usage_error(cmd, "unknown option '%s'", arg);
}
