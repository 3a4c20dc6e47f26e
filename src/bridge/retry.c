/*
 * What a delivery's outcome means and when to try again.  Backoff is
 * exponential with full jitter (uniform in [0, ceiling]): after an outage
 * every bridge's retries spread over the window instead of arriving
 * together, and the ceiling stops growing at the cap.
 */
#include "mb_bridge.h"

enum mb_delivery_verdict mb_delivery_classify(long http_status) {
  if (http_status <= 0)
    return MB_DELIVERY_RETRY; /* no answer: the endpoint may be back later */
  if (http_status >= 200 && http_status <= 299)
    return MB_DELIVERY_DONE;
  if (http_status == 408 || http_status == 429 || http_status >= 500)
    return MB_DELIVERY_RETRY;
  /* 1xx and 3xx (redirects are not followed) and any other 4xx: the same
   * request would get the same answer */
  return MB_DELIVERY_PARK;
}

const char *mb_delivery_verdict_name(enum mb_delivery_verdict v) {
  switch (v) {
  case MB_DELIVERY_DONE:
    return "done";
  case MB_DELIVERY_RETRY:
    return "retry";
  case MB_DELIVERY_PARK:
    return "park";
  }
  return "unknown";
}

void mb_retry_policy_default(struct mb_retry_policy *p) {
  p->base_ms = 1000;
  p->cap_ms = 5 * 60 * 1000;
  p->max_retry_after_ms = 60 * 60 * 1000;
}

static uint64_t ceiling(const struct mb_retry_policy *p, uint32_t attempt) {
  uint64_t c = p->base_ms;
  for (uint32_t i = 0; i < attempt && c < p->cap_ms; i++)
    c = c > UINT64_MAX / 2 ? UINT64_MAX : c * 2;
  return c < p->cap_ms ? c : p->cap_ms;
}

uint64_t mb_retry_backoff(const struct mb_retry_policy *p, uint32_t attempt,
                          struct mb_rng *rng) {
  uint64_t c = ceiling(p, attempt);
  return c == UINT64_MAX ? mb_rng_next(rng) : mb_rng_below(rng, c + 1);
}

uint64_t mb_retry_delay(const struct mb_retry_policy *p, uint32_t attempt,
                        struct mb_rng *rng, bool have_retry_after,
                        uint64_t retry_after_ms) {
  if (have_retry_after)
    return retry_after_ms < p->max_retry_after_ms ? retry_after_ms
                                                  : p->max_retry_after_ms;
  return mb_retry_backoff(p, attempt, rng);
}
