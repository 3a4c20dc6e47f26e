/*
 * RFC 3339 date-times, UTC only on output ("2026-11-22T18:00:00.123Z"),
 * any offset on input.  Civil-date arithmetic is Howard Hinnant's
 * days_from_civil / civil_from_days, exact over the whole 0000-9999 range
 * and independent of the C library's time_t and time zone handling.
 */
#include "mb_common.h"

#include <stdio.h>
#include <string.h>

#define MS_PER_DAY INT64_C(86400000)
/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z in ms. */
#define MIN_MS (INT64_C(-62167219200) * 1000)
#define MAX_MS (INT64_C(253402300799) * 1000 + 999)

static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = (int)(yoe + era * 400 + (*m <= 2));
}

int mb_time_format(char *out, size_t cap, int64_t unix_ms) {
  if (cap < MB_TIME_LEN) {
    if (cap > 0)
      out[0] = '\0';
    return MB_ENOSPACE;
  }
  if (unix_ms < MIN_MS || unix_ms > MAX_MS) {
    snprintf(out, cap, "invalid");
    return MB_ERANGE;
  }
  int64_t days = unix_ms / MS_PER_DAY, rem = unix_ms % MS_PER_DAY;
  if (rem < 0) /* floor, so times before 1970 count forward from midnight */
    rem += MS_PER_DAY, days--;
  int y, m, d;
  civil_from_days(days, &y, &m, &d);
  int ms = (int)(rem % 1000), s = (int)(rem / 1000);
  snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m, d, s / 3600,
           s / 60 % 60, s % 60, ms);
  return 0;
}

/* Reads exactly n digits at *p; -1 if any is not a digit. */
static int digits(const char **p, int n) {
  int v = 0;
  for (int i = 0; i < n; i++, (*p)++) {
    if (**p < '0' || **p > '9')
      return -1;
    v = v * 10 + (**p - '0');
  }
  return v;
}

static int days_in_month(int y, int m) {
  static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : dim[m - 1];
}

/* Parses "Z" or "+hh:mm"/"-hh:mm" into minutes east of UTC. */
static int parse_offset(const char *p, int *minutes) {
  if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
    return *minutes = 0, 0;
  if (*p != '+' && *p != '-')
    return MB_EINVAL;
  int sign = *p++ == '-' ? -1 : 1;
  int hh = digits(&p, 2);
  if (hh < 0 || hh > 23 || *p++ != ':')
    return MB_EINVAL;
  int mm = digits(&p, 2);
  if (mm < 0 || mm > 59 || *p != '\0')
    return MB_EINVAL;
  *minutes = sign * (hh * 60 + mm);
  return 0;
}

/* n digits followed by sep (when sep is not NUL); -1 otherwise.  Never
 * reads past a NUL: digits() stops on it and sep is then compared to it. */
static int field(const char **p, int n, char sep) {
  int v = digits(p, n);
  if (v < 0 || (sep != '\0' && *(*p)++ != sep))
    return -1;
  return v;
}

int mb_time_parse(const char *s, int64_t *unix_ms) {
  const char *p = s;
  int y, mo, d, h, mi, sec;
  if ((y = field(&p, 4, '-')) < 0 || (mo = field(&p, 2, '-')) < 1 || mo > 12 ||
      (d = field(&p, 2, '\0')) < 1 || d > days_in_month(y, mo))
    return MB_EINVAL;
  if (*p != 'T' && *p != 't' && *p != ' ')
    return MB_EINVAL;
  p++;
  if ((h = field(&p, 2, ':')) < 0 || h > 23 || (mi = field(&p, 2, ':')) < 0 ||
      mi > 59 || (sec = field(&p, 2, '\0')) < 0 || sec > 60)
    return MB_EINVAL;
  int ms = 0;
  if (*p == '.') {
    p++;
    if (*p < '0' || *p > '9')
      return MB_EINVAL;
    for (int scale = 100; *p >= '0' && *p <= '9'; p++, scale /= 10)
      ms += (*p - '0') * scale; /* digits past ms add 0 */
  }
  int off;
  if (parse_offset(p, &off) != 0)
    return MB_EINVAL;
  int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
  *unix_ms = (secs - (int64_t)off * 60) * 1000 + ms;
  return 0;
}
