/* unit_admin: RFC 3339 times and the Prometheus text builder. */
#include "admin_fixture.h"
#include "admin_tests.h"

#include <math.h>

static void expect_time(int64_t ms, const char *want) {
  char out[MB_TIME_LEN];
  assert_ok(mb_time_format(out, sizeof(out), ms));
  assert_string_equal(out, want);
  int64_t back;
  assert_ok(mb_time_parse(out, &back));
  assert_int_equal(back, ms);
}

void test_time_format(void **state) {
  (void)state;
  expect_time(0, "1970-01-01T00:00:00.000Z");
  expect_time(1700000000123, "2023-11-14T22:13:20.123Z");
  expect_time(-1, "1969-12-31T23:59:59.999Z");
  expect_time(951782400000, "2000-02-29T00:00:00.000Z");
  expect_time(253402300799999, "9999-12-31T23:59:59.999Z");
  expect_time(-62167219200000, "0000-01-01T00:00:00.000Z");
  char out[MB_TIME_LEN];
  assert_rc(mb_time_format(out, sizeof(out), 253402300800000), MB_ERANGE);
  assert_string_equal(out, "invalid");
  assert_rc(mb_time_format(out, sizeof(out), INT64_MIN), MB_ERANGE);
  assert_rc(mb_time_format(out, MB_TIME_LEN - 1, 0), MB_ENOSPACE);
}

void test_time_parse(void **state) {
  (void)state;
  static const struct {
    const char *text;
    int64_t ms;
  } good[] = {
      {"2023-11-14T22:13:20Z", 1700000000000},
      {"2023-11-14t22:13:20z", 1700000000000},
      {"2023-11-14T23:13:20+01:00", 1700000000000},
      {"2023-11-14T21:43:20.5-00:30", 1700000000500},
      {"2023-11-14T22:13:20.123456789Z", 1700000000123},
      {"2024-02-29T00:00:00Z", 1709164800000},
  };
  for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    int64_t ms = -1;
    assert_ok(mb_time_parse(good[i].text, &ms));
    assert_int_equal(ms, good[i].ms);
  }
  static const char *const bad[] = {
      "",
      "2023",
      "2023-11-14",
      "2023-11-14T22:13:20",
      "2023-11-14T22:13:20.Z",
      "2023-02-29T00:00:00Z",
      "2023-13-01T00:00:00Z",
      "2023-11-14T24:00:00Z",
      "2023-11-14T22:13:20+1:00",
      "2023-11-14T22:13:20Zjunk",
      "2023-11-14X22:13:20Z",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    int64_t ms;
    if (mb_time_parse(bad[i], &ms) != MB_EINVAL)
      fail_msg("accepted \"%s\"", bad[i]);
  }
}

void test_prom_builder(void **state) {
  (void)state;
  struct mb_prom p;
  mb_prom_init(&p);
  assert_string_equal(mb_prom_text(&p), "");
  mb_prom_family(&p, "mb_members", "gauge", "Members by state.\nBack\\slash");
  struct mb_prom_label l[2] = {{"state", "ali\"ve\\\n"}, {"domain", "r1"}};
  mb_prom_u64(&p, "mb_members", l, 2, UINT64_MAX);
  mb_prom_family(&p, "mb_x", "counter", NULL);
  mb_prom_u64(&p, "mb_x", NULL, 0, 0);
  mb_prom_double(&p, "mb_ratio", NULL, 0, 0.25);
  mb_prom_double(&p, "mb_ratio", NULL, 0, INFINITY);
  mb_prom_double(&p, "mb_ratio", NULL, 0, -INFINITY);
  mb_prom_double(&p, "mb_ratio", NULL, 0, NAN);
  assert_ok(mb_prom_status(&p));
  assert_string_equal(mb_prom_text(&p),
                      "# HELP mb_members Members by state.\\nBack\\\\slash\n"
                      "# TYPE mb_members gauge\n"
                      "mb_members{state=\"ali\\\"ve\\\\\\n\",domain=\"r1\"} "
                      "18446744073709551615\n"
                      "# TYPE mb_x counter\n"
                      "mb_x 0\n"
                      "mb_ratio 0.25\n"
                      "mb_ratio +Inf\n"
                      "mb_ratio -Inf\n"
                      "mb_ratio NaN\n");
  /* A bad name sticks as an error and adds nothing more. */
  size_t len = p.len;
  struct mb_prom_label bad = {"9lives", "x"};
  mb_prom_u64(&p, "mb_x", &bad, 1, 1);
  assert_rc(mb_prom_status(&p), MB_EINVAL);
  mb_prom_u64(&p, "mb_x", NULL, 0, 1);
  assert_int_equal(p.len, len);
  mb_prom_free(&p);
  mb_prom_init(&p);
  mb_prom_u64(&p, "mb-dash", NULL, 0, 1);
  assert_rc(mb_prom_status(&p), MB_EINVAL);
  mb_prom_free(&p);
  mb_prom_init(&p);
  mb_prom_family(&p, "mb:ok_name", "bad type", "x");
  assert_rc(mb_prom_status(&p), MB_EINVAL);
  mb_prom_free(&p);
}

void test_prom_stats(void **state) {
  (void)state;
  struct mb_admin_stats st = {.connections = 3, .subscribers = 2};
  st.errors[MB_ADMIN_ERR_PARSE] = 5;
  struct mb_prom p;
  mb_prom_init(&p);
  mb_admin_stats_prom(&st, &p);
  assert_ok(mb_prom_status(&p));
  const char *t = mb_prom_text(&p);
  assert_non_null(strstr(t, "# TYPE meshbeat_admin_connections_total counter\n"
                            "meshbeat_admin_connections_total 3\n"));
  assert_non_null(
      strstr(t, "meshbeat_admin_errors_total{kind=\"parse_error\"} 5\n"));
  assert_non_null(strstr(t, "meshbeat_admin_subscribers 2\n"));
  mb_prom_free(&p);
}
