/* The server's counters, as a struct and as Prometheus families. */
#include "admin_internal.h"

/* Label values of meshbeat_admin_errors_total, by enum mb_admin_errkind. */
static const char *const kind_names[MB_ADMIN_ERR__COUNT] = {
    [MB_ADMIN_ERR_PARSE] = "parse_error",
    [MB_ADMIN_ERR_INVALID] = "invalid_request",
    [MB_ADMIN_ERR_UNKNOWN] = "unknown_command",
    [MB_ADMIN_ERR_TOO_LONG] = "line_too_long",
    [MB_ADMIN_ERR_HANDLER] = "handler",
    [MB_ADMIN_ERR_FORBIDDEN] = "forbidden",
    [MB_ADMIN_ERR_BUSY] = "too_many_clients",
    [MB_ADMIN_ERR_IDLE] = "idle_timeout",
};

void mb_admin_get_stats(const struct mb_admin *a, struct mb_admin_stats *st) {
  *st = a->stats;
}

static void one(struct mb_prom *p, const char *name, const char *type,
                const char *help, uint64_t v) {
  mb_prom_family(p, name, type, help);
  mb_prom_u64(p, name, NULL, 0, v);
}

void mb_admin_stats_prom(const struct mb_admin_stats *st, struct mb_prom *p) {
  one(p, "meshbeat_admin_connections_total", "counter",
      "Admin connections accepted.", st->connections);
  one(p, "meshbeat_admin_rejected_total", "counter",
      "Admin connections refused (credentials or client limit).", st->rejected);
  one(p, "meshbeat_admin_clients", "gauge", "Admin clients connected now.",
      st->clients);
  one(p, "meshbeat_admin_requests_total", "counter",
      "Admin request lines answered.", st->requests);
  mb_prom_family(p, "meshbeat_admin_errors_total", "counter",
                 "Admin error responses by kind.");
  for (int k = 0; k < MB_ADMIN_ERR__COUNT; k++) {
    struct mb_prom_label l = {"kind", kind_names[k]};
    mb_prom_u64(p, "meshbeat_admin_errors_total", &l, 1, st->errors[k]);
  }
  one(p, "meshbeat_admin_subscribers", "gauge",
      "Admin connections following a stream now.", st->subscribers);
  one(p, "meshbeat_admin_dropped_subscribers_total", "counter",
      "Stream subscribers dropped for not keeping up or failed writes.",
      st->dropped);
  one(p, "meshbeat_admin_stream_lines_total", "counter",
      "Stream and heartbeat lines queued to subscribers.", st->stream_lines);
}
