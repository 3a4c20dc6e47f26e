/* Log lines on stderr: text for people, JSON lines (jansson) for tools.
 * Each line leaves whole through log_writer.c, which never blocks the loop. */
#include "agent_state.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Longer lines lose their extra fields (JSON) or are cut (text). */
#define LOG_LINE_MAX 4095

static const char *const level_names[] = {"debug", "info", "warn", "error"};
#define N_LEVELS (sizeof(level_names) / sizeof(level_names[0]))

const char *mb_log_level_name(enum mb_log_level level) {
  return (size_t)level < N_LEVELS ? level_names[level] : "?";
}

int mb_log_level_parse(const char *text, enum mb_log_level *level) {
  for (size_t i = 0; i < N_LEVELS; i++)
    if (strcmp(text, level_names[i]) == 0) {
      *level = (enum mb_log_level)i;
      return MB_OK;
    }
  return MB_EINVAL;
}

void agent_logger_init(struct agent_logger *lg, enum mb_log_level level,
                       bool json) {
  *lg = (struct agent_logger){.threshold = level, .as_json = json};
}

void agent_logger_set(struct agent_logger *lg, enum mb_log_level level,
                      bool json) {
  lg->threshold = level;
  lg->as_json = json;
}

bool agent_log_enabled(const struct agent_logger *lg, enum mb_log_level level) {
  return level >= lg->threshold;
}

/* The line as text for people: the message, then key=value pairs. */
static size_t format_text(char *out, size_t cap, const char *when,
                          enum mb_log_level level, const char *msg,
                          json_t *fields) {
  int n = snprintf(out, cap, "%s %-5s %s", when, level_names[level], msg);
  size_t used = n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
  const char *key;
  json_t *v;
  json_object_foreach(fields, key, v) {
    char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    n = snprintf(out + used, cap - used, " %s=%s", key, t ? t : "?");
    free(t);
    used = n < 0 ? used : used + (size_t)n < cap ? used + (size_t)n : cap - 1;
  }
  return used;
}

static size_t format_json(char *out, size_t cap, const char *when,
                          enum mb_log_level level, const char *msg,
                          json_t *fields) {
  json_t *line = json_pack("{s:s, s:s, s:s}", "time", when, "level",
                           level_names[level], "msg", msg);
  if (fields != NULL)
    json_object_update(line, fields);
  size_t n = json_dumpb(line, out, cap, JSON_COMPACT);
  json_decref(line);
  return n <= cap ? n : 0; /* too long for a line: only the message */
}

/* One whole line, newline included, to the writer (log_writer.c). */
static bool emit(struct agent_logger *lg, enum mb_log_level level,
                 const char *msg, json_t *fields) {
  char when[MB_TIME_LEN], line[LOG_LINE_MAX + 1];
  mb_time_format(when, sizeof(when), agent_wall_ms());
  size_t n = lg->as_json
                 ? format_json(line, LOG_LINE_MAX, when, level, msg, fields)
                 : format_text(line, LOG_LINE_MAX, when, level, msg, fields);
  if (n == 0 && fields != NULL)
    n = format_json(line, LOG_LINE_MAX, when, level, msg, NULL);
  line[n++] = '\n';
  return agent_log_write(lg, line, n);
}

/* Lines the writer had no room for are told of once room comes back. */
static void tell_dropped(struct agent_logger *lg) {
  uint64_t dropped = agent_log_dropped(lg), told = lg->dropped_told;
  if (dropped == told)
    return;
  char msg[160];
  snprintf(msg, sizeof(msg),
           "%llu log lines dropped: the log's reader was too slow (membership "
           "events stay in the store: meshbeat events)",
           (unsigned long long)(dropped - told));
  json_t *fields = json_pack("{s:I}", "dropped", (json_int_t)(dropped - told));
  if (emit(lg, MB_LOG_WARN, msg, fields))
    lg->dropped_told = dropped;
  json_decref(fields);
}

/* Takes a reference to fields (may be NULL): extra keys of a JSON line,
 * appended as key=value in text. */
void agent_log(struct agent_logger *lg, enum mb_log_level level, json_t *fields,
               const char *fmt, ...) {
  if (!agent_log_enabled(lg, level)) {
    json_decref(fields);
    return;
  }
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  tell_dropped(lg);
  emit(lg, level, msg, fields);
  json_decref(fields);
}
