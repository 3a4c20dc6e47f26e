/* Log lines on stderr: text for people, JSON lines (jansson) for tools. */
#include "agent_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum mb_log_level threshold = MB_LOG_INFO;
static bool as_json;

static const char *level_names[] = {"debug", "info", "warn", "error"};

void agent_log_setup(enum mb_log_level level, bool json) {
  threshold = level;
  as_json = json;
}

bool agent_log_enabled(enum mb_log_level level) {
  return level >= threshold;
}

int64_t agent_wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Takes a reference to fields (may be NULL): extra keys of a JSON line,
 * appended as key=value in text. */
void agent_log(enum mb_log_level level, json_t *fields, const char *fmt, ...) {
  if (!agent_log_enabled(level)) {
    json_decref(fields);
    return;
  }
  char msg[1024], when[MB_ADMIN_TIME_LEN];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  mb_admin_format_time(when, sizeof(when), agent_wall_ms());
  if (as_json) {
    json_t *line = json_pack("{s:s, s:s, s:s}", "time", when, "level",
                             level_names[level], "msg", msg);
    if (fields != NULL)
      json_object_update(line, fields);
    char *text = json_dumps(line, JSON_COMPACT);
    if (text != NULL)
      fprintf(stderr, "%s\n", text);
    free(text);
    json_decref(line);
  } else {
    fprintf(stderr, "%s %-5s %s", when, level_names[level], msg);
    const char *key;
    json_t *v;
    json_object_foreach(fields, key, v) {
      char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
      fprintf(stderr, " %s=%s", key, t ? t : "?");
      free(t);
    }
    fputc('\n', stderr);
  }
  json_decref(fields);
}
