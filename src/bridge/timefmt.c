/*
 * RFC 3339 timestamps in UTC with milliseconds, the form Flynas' agents
 * send ("2025-12-02T10:30:00.000Z").  The civil date comes from the C
 * library's gmtime_r, which reads no clock and no time zone.
 */
#include "mb_bridge.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* 0000-01-01 and 9999-12-31T23:59:59.999Z: four-digit years only. */
#define MIN_MS (INT64_C(-62167219200) * 1000)
#define MAX_MS (INT64_C(253402300799) * 1000 + 999)

int mb_bridge_format_time(char out[MB_BRIDGE_TIME_LEN], int64_t unix_ms) {
  if (unix_ms < MIN_MS || unix_ms > MAX_MS) {
    out[0] = '\0';
    return MB_ERANGE;
  }
  int64_t secs = unix_ms / 1000, ms = unix_ms % 1000;
  if (ms < 0) /* floor, so times before 1970 count forward */
    ms += 1000, secs--;
  time_t tt = (time_t)secs;
  struct tm tm;
  if (gmtime_r(&tt, &tm) == NULL) {
    out[0] = '\0';
    return MB_ERANGE;
  }
  /* the compiler cannot know tm's fields are in range: room for any int */
  char text[80];
  int len = snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, (int)ms);
  if (len != MB_BRIDGE_TIME_LEN - 1) {
    out[0] = '\0';
    return MB_ERANGE;
  }
  memcpy(out, text, MB_BRIDGE_TIME_LEN);
  return 0;
}
