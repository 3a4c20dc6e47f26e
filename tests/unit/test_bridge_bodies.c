/*
 * The bodies' contents as the code builds them (the schema test checks
 * their shape): times in RFC 3339 with milliseconds, members in view
 * order with the statuses the state machine gives, an event's body the
 * same bytes whoever builds it.
 */
#include "bridge_fixture.h"

#include <jansson.h>
#include <stdlib.h>

static json_t *parse(char *body) {
  json_error_t err;
  json_t *j = json_loads(body, 0, &err);
  if (j == NULL)
    fail_msg("not JSON: %s: %s", err.text, body);
  free(body);
  return j;
}

static void times_are_rfc3339_utc_with_ms(void **state) {
  (void)state;
  char t[MB_BRIDGE_TIME_LEN];
  assert_ok(mb_bridge_format_time(t, INT64_C(1764671400000)));
  assert_string_equal(t, "2025-12-02T10:30:00.000Z");
  assert_ok(mb_bridge_format_time(t, INT64_C(951782400123)));
  assert_string_equal(t, "2000-02-29T00:00:00.123Z");
  assert_ok(mb_bridge_format_time(t, -1));
  assert_string_equal(t, "1969-12-31T23:59:59.999Z");
  assert_rc(mb_bridge_format_time(t, INT64_C(253402300800000)), MB_ERANGE);
  assert_rc(mb_bridge_format_time(t, INT64_MIN), MB_ERANGE);
}

static void the_view_lists_every_member_with_its_status(void **state) {
  (void)state;
  struct mb_bridge_member v[4] = {
      fix_member(1, SWIM_ALIVE, 1, 0), fix_member(2, SWIM_SUSPECT, 1, 0),
      fix_member(3, SWIM_DEAD, 2, 0), fix_member(4, SWIM_LEFT, 3, 0)};
  v[0].last_seen_ms = 0;
  v[1].capacity = UINT64_MAX; /* capped where JSON readers stay exact */
  struct mb_bridge_election e;
  assert_ok(mb_bridge_elect(FIX_CLUSTER, v, 4, &e));
  struct mb_bridge_view_meta meta = {
      .cluster = FIX_CLUSTER, .election = &e, .generated_ms = 1000};
  char *body;
  assert_ok(mb_bridge_view_body(&meta, v, 4, &body));
  json_t *j = parse(body);
  json_t *members = json_object_get(j, "members");
  assert_int_equal(json_array_size(members), 4);
  const char *want[] = {"online", "suspect", "offline", "left"};
  for (size_t i = 0; i < 4; i++) {
    json_t *m = json_array_get(members, i);
    assert_string_equal(json_string_value(json_object_get(m, "status")),
                        want[i]);
    char name[16];
    snprintf(name, sizeof(name), "node-%zu", i + 1);
    assert_string_equal(json_string_value(json_object_get(m, "name")), name);
  }
  assert_true(
      json_is_null(json_object_get(json_array_get(members, 0), "lastSeen")));
  assert_int_equal(json_integer_value(
                       json_object_get(json_array_get(members, 1), "capacity")),
                   (json_int_t)((UINT64_C(1) << 53) - 1));
  json_t *bridge = json_object_get(j, "bridge");
  assert_int_equal(json_integer_value(json_object_get(bridge, "live")), 2);
  assert_int_equal(json_integer_value(json_object_get(bridge, "viewSize")), 4);
  assert_string_equal(json_string_value(json_object_get(bridge, "name")),
                      json_string_value(json_object_get(
                          json_array_get(members, e.active_index), "name")));
  json_decref(j);
  /* an election of another view is refused, not posted */
  e.total = 3;
  assert_rc(mb_bridge_view_body(&meta, v, 4, &body), MB_EINVAL);
}

static void the_flynas_body_is_seed_000s(void **state) {
  (void)state;
  struct mb_bridge_member m = fix_member(1, SWIM_DEAD, 1, 0);
  char *body;
  assert_ok(mb_bridge_flynas_body(&m, NULL, &body));
  char want[256];
  snprintf(want, sizeof(want),
           "{\"deviceId\":null,\"status\":\"offline\",\"capacity\":%llu,"
           "\"available\":%llu,\"lastSeen\":\"2025-12-02T10:30:00.001Z\"}",
           (unsigned long long)m.capacity, (unsigned long long)m.available);
  assert_string_equal(body, want);
  free(body);
}

static void a_name_that_is_not_utf8_is_refused(void **state) {
  (void)state;
  struct mb_bridge_member m = fix_member(1, SWIM_ALIVE, 1, 0);
  m.name[0] = (char)0xff;
  struct mb_bridge_election e;
  assert_ok(mb_bridge_elect(FIX_CLUSTER, &m, 1, &e));
  struct mb_bridge_view_meta meta = {
      .cluster = FIX_CLUSTER, .election = &e, .generated_ms = 1};
  char *body = (char *)"untouched";
  assert_rc(mb_bridge_view_body(&meta, &m, 1, &body), MB_EINVAL);
  assert_null(body);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(times_are_rfc3339_utc_with_ms),
      cmocka_unit_test(the_view_lists_every_member_with_its_status),
      cmocka_unit_test(the_flynas_body_is_seed_000s),
      cmocka_unit_test(a_name_that_is_not_utf8_is_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
