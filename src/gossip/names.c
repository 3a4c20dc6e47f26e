/*
 * Names of the core's enums, as operators read them in events, logs,
 * metrics and the admin API; a _Static_assert ties each table to its
 * enum, so a new value cannot go unnamed.
 */
#include "swim_internal.h"

const char *swim_state_name(enum swim_state st) {
  static const char *const names[] = {"alive", "suspect", "dead", "left",
                                      "none"};
  return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st]
                                                         : "unknown";
}

const char *swim_reason_name(enum swim_reason r) {
  static const char *const names[] = {
      "joined", "probe-failed", "suspected", "refuted",  "timeout", "declared",
      "left",   "rejoined",     "updated",   "restored", "revoked"};
  _Static_assert(sizeof(names) / sizeof(names[0]) == SWIM_R_REVOKED + 1,
                 "a name for every reason");
  return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "unknown";
}

const char *swim_reject_name(enum swim_reject r) {
  static const char *const names[] = {"malformed", "signature", "admission",
                                      "replay",    "self",      "record",
                                      "claim",     "binding",   "budget",
                                      "revoked",   "identity",  "channel-full"};
  _Static_assert(sizeof(((struct swim_stats *)0)->rejected) /
                         sizeof(uint64_t) >=
                     SWIM_REJ_COUNT_,
                 "a counter for every rejection reason");
  _Static_assert(sizeof(names) / sizeof(names[0]) == SWIM_REJ_COUNT_,
                 "a name for every rejection reason");
  return (unsigned)r < SWIM_REJ_COUNT_ ? names[r] : "unknown";
}
