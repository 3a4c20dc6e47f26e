/*
 * Datagrams the core refused, told at debug level by reason: an operator
 * whose node hears nothing wants to see "refused 12 datagrams: signature
 * (...)" rather than silence.  The core counts refusals (swim_stats); this
 * file logs how many more there were, at most one line per reason every
 * REFUSALS_LOG_MS, so that a flood cannot flood the log.
 */
#include "agent_state.h"

/* How often the counters are read, and the least time between two lines
 * about one reason. */
#define REFUSALS_CHECK_MS 1000
#define REFUSALS_LOG_MS 10000

/* What each reason most often means, for the person reading the line. */
static const char *hint(enum swim_reject r) {
  switch (r) {
  case SWIM_REJ_MALFORMED:
    return "not a meshbeat datagram, or a damaged one";
  case SWIM_REJ_SIGNATURE:
    return "bad signature: another cluster name, or forged";
  case SWIM_REJ_ADMISSION:
    return "the sender has no valid certificate from our authority";
  case SWIM_REJ_REPLAY:
    return "a sequence number seen before, or too old";
  case SWIM_REJ_SELF:
    return "claims to come from this node";
  case SWIM_REJ_RECORD:
    return "a carried record was refused";
  case SWIM_REJ_CLAIM:
    return "a claim above its subject's signed incarnation";
  case SWIM_REJ_BINDING:
    return "meant for another receiver or an earlier life of this agent";
  case SWIM_REJ_BUDGET:
    return "past this second's budget of signature checks";
  case SWIM_REJ_REVOKED:
    return "from a node the cluster authority revoked (meshbeat records)";
  case SWIM_REJ_IDENTITY:
    return "a name or failure domain other than its certificate's";
  case SWIM_REJ_CHANNEL_FULL:
    return "a signed record of a kind whose table is full (meshbeat records)";
  default:
    return "";
  }
}

void agent_refusals_watch(struct agent *a) {
  struct agent_refusals *r = &a->refusals;
  uint64_t now = agent_now(a);
  if (now < r->next_check_at)
    return;
  r->next_check_at = now + REFUSALS_CHECK_MS;
  struct swim_stats st;
  swim_get_stats(a->swim, &st);
  bool debug = agent_log_enabled(a->log, MB_LOG_DEBUG);
  for (int k = 0; k < SWIM_REJ_COUNT_; k++) {
    uint64_t more = st.rejected[k] - r->seen[k];
    if (more == 0 || (debug && now < r->quiet_until[k]))
      continue; /* nothing new, or told lately: counted for the next line */
    r->seen[k] = st.rejected[k];
    if (!debug)
      continue;
    r->quiet_until[k] = now + REFUSALS_LOG_MS;
    agent_log(a->log, MB_LOG_DEBUG,
              json_pack("{s:s, s:I}", "reason",
                        swim_reject_name((enum swim_reject)k), "count",
                        (json_int_t)more),
              "refused %llu datagram%s: %s (%s)", (unsigned long long)more,
              more == 1 ? "" : "s", swim_reject_name((enum swim_reject)k),
              hint((enum swim_reject)k));
  }
}
