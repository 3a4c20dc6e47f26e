/* The test cases of unit_admin kept in the other files, registered in
 * test_admin.c's main. */
#ifndef MESHBEAT_ADMIN_TESTS_H
#define MESHBEAT_ADMIN_TESTS_H

void test_stream_publish(void **state);
void test_stream_heartbeat(void **state);
void test_stream_stalled(void **state);
void test_stream_write_failure(void **state);
#define ADMIN_STREAM_TESTS                                                     \
  cmocka_unit_test(test_stream_publish),                                       \
      cmocka_unit_test(test_stream_heartbeat),                                 \
      cmocka_unit_test(test_stream_stalled),                                   \
      cmocka_unit_test(test_stream_write_failure)

void test_socket_mode(void **state);
void test_socket_group(void **state);
void test_socket_stale(void **state);
void test_socket_live_refused(void **state);
void test_socket_peer_creds(void **state);
void test_client_errors(void **state);
void test_client_blocking(void **state);
#define ADMIN_SOCKET_TESTS                                                     \
  cmocka_unit_test(test_socket_mode), cmocka_unit_test(test_socket_group),     \
      cmocka_unit_test(test_socket_stale),                                     \
      cmocka_unit_test(test_socket_live_refused),                              \
      cmocka_unit_test(test_socket_peer_creds),                                \
      cmocka_unit_test(test_client_errors),                                    \
      cmocka_unit_test(test_client_blocking)

void test_slots_reserved(void **state);
void test_slots_idle_timeout(void **state);
void test_slots_reserve_not_for_group(void **state);
#define ADMIN_SLOT_TESTS                                                       \
  cmocka_unit_test(test_slots_reserved),                                       \
      cmocka_unit_test(test_slots_idle_timeout),                               \
      cmocka_unit_test(test_slots_reserve_not_for_group)

void test_time_format(void **state);
void test_time_parse(void **state);
void test_prom_builder(void **state);
void test_prom_stats(void **state);
#define ADMIN_FORMAT_TESTS                                                     \
  cmocka_unit_test(test_time_format), cmocka_unit_test(test_time_parse),       \
      cmocka_unit_test(test_prom_builder), cmocka_unit_test(test_prom_stats)

void test_defer_answer_later(void **state);
void test_defer_eof_and_idle(void **state);
void test_defer_client_gone(void **state);
#define ADMIN_DEFER_TESTS                                                      \
  cmocka_unit_test(test_defer_answer_later),                                   \
      cmocka_unit_test(test_defer_eof_and_idle),                               \
      cmocka_unit_test(test_defer_client_gone)

#endif
