/*
 * The delivery policy: which answers are retried, parked or done; full
 * jitter under a cap; Retry-After in both forms, garbage refused, absurd
 * values clamped.
 */
#include "bridge_fixture.h"

#include <time.h>

#define HOUR_MS (3600 * 1000)
/* Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110's example) */
#define EXAMPLE_S INT64_C(784111777)

static void answers_are_classified(void **state) {
  (void)state;
  const long done[] = {200, 201, 202, 204, 299};
  const long retry[] = {0, -1, 408, 429, 500, 502, 503, 504, 599};
  const long park[] = {100, 301, 304, 400, 401, 403, 404, 409, 410, 413, 422};
  for (size_t i = 0; i < sizeof(done) / sizeof(done[0]); i++)
    assert_int_equal(mb_delivery_classify(done[i]), MB_DELIVERY_DONE);
  for (size_t i = 0; i < sizeof(retry) / sizeof(retry[0]); i++)
    assert_int_equal(mb_delivery_classify(retry[i]), MB_DELIVERY_RETRY);
  for (size_t i = 0; i < sizeof(park) / sizeof(park[0]); i++)
    assert_int_equal(mb_delivery_classify(park[i]), MB_DELIVERY_PARK);
  assert_string_equal(mb_delivery_verdict_name(MB_DELIVERY_PARK), "park");
}

/* Full jitter: every draw within [0, min(cap, base*2^n)], and the draws
 * fill that range (not a fixed fraction of it, not always the ceiling). */
static void backoff_is_full_jitter_under_a_cap(void **state) {
  (void)state;
  struct mb_retry_policy p;
  mb_retry_policy_default(&p);
  struct mb_rng r;
  mb_rng_seed(&r, 3);
  for (uint32_t attempt = 0; attempt < 40; attempt++) {
    uint64_t ceiling = p.base_ms << (attempt < 20 ? attempt : 20);
    if (ceiling > p.cap_ms)
      ceiling = p.cap_ms;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < 2000; i++) {
      uint64_t d = mb_retry_backoff(&p, attempt, &r);
      assert_true(d <= ceiling);
      lo = d < lo ? d : lo, hi = d > hi ? d : hi;
    }
    assert_true(lo < ceiling / 10);
    assert_true(hi > ceiling - ceiling / 10);
  }
  /* attempts far past the cap neither overflow nor exceed it */
  assert_true(mb_retry_backoff(&p, UINT32_MAX, &r) <= p.cap_ms);
}

/* The same seed gives the same delays: the simulator replays them. */
static void backoff_follows_the_injected_rng(void **state) {
  (void)state;
  struct mb_retry_policy p;
  mb_retry_policy_default(&p);
  struct mb_rng a, b;
  mb_rng_seed(&a, 99), mb_rng_seed(&b, 99);
  for (uint32_t i = 0; i < 100; i++)
    assert_int_equal(mb_retry_backoff(&p, i % 12, &a),
                     mb_retry_backoff(&p, i % 12, &b));
}

static uint64_t after(const char *value, int64_t now_ms) {
  uint64_t d = 12345;
  assert_ok(mb_retry_after_parse(value, strlen(value), now_ms, HOUR_MS, &d));
  return d;
}

static void retry_after_takes_seconds(void **state) {
  (void)state;
  assert_int_equal(after("0", 0), 0);
  assert_int_equal(after("120", 0), 120000);
  assert_int_equal(after(" \t7 ", 0), 7000);
  assert_int_equal(after("0003", 0), 3000);
  /* absurd: clamped, even past what 64 bits hold */
  assert_int_equal(after("86400", 0), HOUR_MS);
  assert_int_equal(after("99999999999999999999999999999999", 0), HOUR_MS);
}

static void retry_after_takes_an_imf_fixdate(void **state) {
  (void)state;
  int64_t now = EXAMPLE_S * 1000 - 90500;
  assert_int_equal(after("Sun, 06 Nov 1994 08:49:37 GMT", now), 90500);
  /* in the past: at once */
  assert_int_equal(after("Sun, 06 Nov 1994 08:49:37 GMT", now + 200000), 0);
  /* far future: clamped */
  assert_int_equal(after("Fri, 31 Dec 9999 23:59:59 GMT", now), HOUR_MS);
  /* a leap second is a second, not an error */
  assert_int_equal(
      after("Sat, 31 Dec 2016 23:59:60 GMT", INT64_C(1483228799) * 1000 - 1000),
      1000);
  /* 29 Feb of a leap year */
  assert_int_equal(
      after("Thu, 29 Feb 2024 00:00:00 GMT", INT64_C(1709164800) * 1000 - 5000),
      5000);
}

/* Built with the C library's own strftime in the C locale, so the parser
 * is checked against an independent formatter over many dates. */
static void retry_after_reads_what_strftime_writes(void **state) {
  (void)state;
  struct mb_rng r;
  mb_rng_seed(&r, 5);
  for (int i = 0; i < 2000; i++) {
    time_t t = (time_t)mb_rng_below(&r, UINT64_C(4102444800)); /* to 2100 */
    struct tm tm;
    gmtime_r(&t, &tm);
    char text[64];
    strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    uint64_t d;
    assert_ok(mb_retry_after_parse(text, strlen(text), (int64_t)t * 1000 - 1234,
                                   HOUR_MS, &d));
    assert_int_equal(d, 1234);
  }
}

static void retry_after_refuses_garbage(void **state) {
  (void)state;
  const char *bad[] = {
      "",
      "   ",
      "-1",
      "1.5",
      "12a",
      "+5",
      "0x10",
      "1 2",
      "Sun, 06 Nov 1994 08:49:37 UTC",  /* only GMT */
      "Sunday, 06-Nov-94 08:49:37 GMT", /* RFC 850: obsolete */
      "Sun Nov  6 08:49:37 1994",       /* asctime: obsolete */
      "Mon, 06 Nov 1994 08:49:37 GMT",  /* 6 Nov 1994 was a Sunday */
      "sun, 06 nov 1994 08:49:37 GMT",  /* names are case-sensitive */
      "Sun, 6 Nov 1994 08:49:37 GMT",   /* fixed width */
      "Sun, 06 Nov 1994 24:00:00 GMT",
      "Sun, 06 Nov 1994 08:60:37 GMT",
      "Sun, 06 Nov 1994 08:49:61 GMT",
      "Wed, 31 Feb 2024 00:00:00 GMT", /* no such day */
      "Sun, 00 Nov 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 08:49:37 GMT x",
      "Sun, 06 Xyz 1994 08:49:37 GMT",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    uint64_t d = 777;
    int rc = mb_retry_after_parse(bad[i], strlen(bad[i]), 0, HOUR_MS, &d);
    if (rc != MB_EINVAL)
      fail_msg("accepted \"%s\" as %llu ms", bad[i], (unsigned long long)d);
  }
}

/* A header value is not NUL-terminated: only len bytes are read. */
static void retry_after_reads_only_its_length(void **state) {
  (void)state;
  const char text[] = "30000";
  uint64_t d;
  assert_ok(mb_retry_after_parse(text, 2, 0, HOUR_MS, &d));
  assert_int_equal(d, 30000);
}

static void the_server_s_wait_wins_over_backoff(void **state) {
  (void)state;
  struct mb_retry_policy p;
  mb_retry_policy_default(&p);
  struct mb_rng r;
  mb_rng_seed(&r, 1);
  assert_int_equal(mb_retry_delay(&p, 0, &r, true, 42000), 42000);
  assert_int_equal(mb_retry_delay(&p, 0, &r, true, 10 * (uint64_t)HOUR_MS),
                   p.max_retry_after_ms);
  assert_true(mb_retry_delay(&p, 0, &r, false, 42000) <= p.base_ms);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(answers_are_classified),
      cmocka_unit_test(backoff_is_full_jitter_under_a_cap),
      cmocka_unit_test(backoff_follows_the_injected_rng),
      cmocka_unit_test(retry_after_takes_seconds),
      cmocka_unit_test(retry_after_takes_an_imf_fixdate),
      cmocka_unit_test(retry_after_reads_what_strftime_writes),
      cmocka_unit_test(retry_after_refuses_garbage),
      cmocka_unit_test(retry_after_reads_only_its_length),
      cmocka_unit_test(the_server_s_wait_wins_over_backoff),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
