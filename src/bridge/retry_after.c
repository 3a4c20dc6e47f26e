/*
 * Retry-After (RFC 9110 §10.2.3): delta-seconds or an HTTP-date.  Only the
 * IMF-fixdate form is taken ("Sun, 06 Nov 1994 08:49:37 GMT", fixed
 * width, the only one a sender may generate); the obsolete forms and
 * anything else are refused, and a server's absurd value is clamped, so a
 * single header can neither hang a destination nor make it hammer.
 */
#include "mb_bridge.h"

#include <string.h>
#include <time.h>

#define IMF_FIXDATE_LEN 29

static bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

static bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/* Saturates at max: a thousand-digit number is as good as "too long". */
static int parse_delta(const char *p, size_t len, uint64_t max_ms,
                       uint64_t *delay_ms) {
  uint64_t secs = 0, max_s = max_ms / 1000 + 1;
  for (size_t i = 0; i < len; i++) {
    if (!is_digit(p[i]))
      return MB_EINVAL;
    if (secs < max_s)
      secs = secs * 10 + (uint64_t)(p[i] - '0');
  }
  uint64_t ms = secs >= max_s ? max_ms : secs * 1000;
  *delay_ms = ms < max_ms ? ms : max_ms;
  return 0;
}

/* Index of the 3-letter name at p in names (case-sensitive, as the
 * grammar is), or -1. */
static int name_index(const char *p, const char *const *names, int n) {
  for (int i = 0; i < n; i++)
    if (memcmp(p, names[i], 3) == 0)
      return i;
  return -1;
}

/* n digits at p, or -1. */
static int digits(const char *p, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!is_digit(p[i]))
      return -1;
    v = v * 10 + (p[i] - '0');
  }
  return v;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" into Unix seconds; the day name must be
 * the date's (a mismatch means the date is not what it says). */
static int parse_imf_fixdate(const char *p, size_t len, int64_t *unix_s) {
  static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
                                     "Thu", "Fri", "Sat"};
  static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
                                       "May", "Jun", "Jul", "Aug",
                                       "Sep", "Oct", "Nov", "Dec"};
  if (len != IMF_FIXDATE_LEN || memcmp(p + 3, ", ", 2) != 0 || p[7] != ' ' ||
      p[11] != ' ' || p[16] != ' ' || p[19] != ':' || p[22] != ':' ||
      memcmp(p + 25, " GMT", 4) != 0)
    return MB_EINVAL;
  int wday = name_index(p, days, 7), mon = name_index(p + 8, months, 12);
  int mday = digits(p + 5, 2), year = digits(p + 12, 4);
  int hour = digits(p + 17, 2), min = digits(p + 20, 2),
      sec = digits(p + 23, 2);
  if (wday < 0 || mon < 0 || mday < 1 || year < 0 || hour < 0 || hour > 23 ||
      min < 0 || min > 59 || sec < 0 || sec > 60)
    return MB_EINVAL;
  struct tm tm = {.tm_year = year - 1900,
                  .tm_mon = mon,
                  .tm_mday = mday,
                  .tm_hour = hour,
                  .tm_min = min,
                  .tm_sec = sec == 60 ? 59 : sec}; /* a leap second */
  time_t t = timegm(&tm);
  struct tm back;
  /* timegm normalises 31 Feb into March: the round trip catches it */
  if (gmtime_r(&t, &back) == NULL || back.tm_mday != mday ||
      back.tm_mon != mon || back.tm_wday != wday)
    return MB_EINVAL;
  *unix_s = (int64_t)t;
  return 0;
}

int mb_retry_after_parse(const char *value, size_t len, int64_t now_unix_ms,
                         uint64_t max_ms, uint64_t *delay_ms) {
  if (value == NULL || delay_ms == NULL)
    return MB_EINVAL;
  while (len > 0 && is_ows(value[0]))
    value++, len--;
  while (len > 0 && is_ows(value[len - 1]))
    len--;
  if (len == 0)
    return MB_EINVAL;
  if (is_digit(value[0]))
    return parse_delta(value, len, max_ms, delay_ms);
  int64_t at_s;
  int rc = parse_imf_fixdate(value, len, &at_s);
  if (rc < 0)
    return rc;
  /* years 0000-9999 fit int64 ms with room to spare; `now` may not */
  int64_t wait_ms;
  if (__builtin_sub_overflow(at_s * 1000, now_unix_ms, &wait_ms))
    wait_ms = now_unix_ms < 0 ? INT64_MAX : INT64_MIN;
  if (wait_ms <= 0)
    *delay_ms = 0;
  else
    *delay_ms = (uint64_t)wait_ms < max_ms ? (uint64_t)wait_ms : max_ms;
  return 0;
}
