/*
 * meshbeat bridge: which member is the active bridge, and for each
 * destination its outbox (depth, parked, oldest entry's age) and its last
 * success and error (docs/admin-api.md, "bridge").
 */
#include "cli_admin.h"

#include <stdio.h>
#include <string.h>

static void bridge_usage(FILE *f) {
  fprintf(f, "usage: meshbeat bridge [--admin-socket PATH] [--json]\n\n"
             "Shows the active bridge (the one member posting the mesh's view\n"
             "to the central endpoint), whether this node may be it, and per\n"
             "destination the outbox depth, parked deliveries, the oldest\n"
             "undelivered entry's age, and the last success and error.\n\n");
  cli_admin_usage_common(f);
}

static void print_active(const json_t *res) {
  const char *name = json_string_value(json_object_get(res, "active_name"));
  const char *id = json_string_value(json_object_get(res, "active"));
  const json_t *view = json_object_get(res, "view");
  if (id == NULL)
    printf("Active bridge: none (no live member may be the bridge)\n");
  else
    printf("Active bridge: %s (%.16s...)%s, seeing %lld of %lld members\n",
           name ? name : "?", id,
           json_is_true(json_object_get(res, "self_active")) ? ", this node"
                                                             : "",
           json_integer_value(json_object_get(view, "live")),
           json_integer_value(json_object_get(view, "total")));
  printf("This node may be the bridge: %s; open offline episodes: %lld\n",
         json_is_true(json_object_get(res, "eligible")) ? "yes" : "no",
         json_integer_value(json_object_get(res, "episodes_open")));
}

static void age_text(char *out, size_t cap, const json_t *age) {
  if (json_is_number(age))
    snprintf(out, cap, "%.1fs", json_number_value(age));
  else
    snprintf(out, cap, "-");
}

static void print_destinations(const json_t *dests) {
  if (json_array_size(dests) == 0) {
    printf("No destination configured (bridge.endpoint, "
           "bridge.flynas.endpoint, bridge.webhook.url).\n");
    return;
  }
  struct cli_table t;
  cli_table_init(&t, 7);
  static const char *const head[] = {
      "DEST", "DEPTH", "PARKED", "OLDEST", "LAST SUCCESS", "LAST ERROR", "URL"};
  cli_table_row(&t, head);
  size_t i;
  json_t *d;
  json_array_foreach(dests, i, d) {
    char depth[24], parked[24], oldest[24], ok[32], b1[32], b4[256];
    char err[240];
    snprintf(depth, sizeof(depth), "%lld",
             json_integer_value(json_object_get(d, "outbox_depth")));
    snprintf(parked, sizeof(parked), "%lld",
             json_integer_value(json_object_get(d, "parked")));
    age_text(oldest, sizeof(oldest), json_object_get(d, "oldest_age_s"));
    const char *s = json_string_value(json_object_get(d, "last_success"));
    if (s != NULL)
      cli_short_time(ok, sizeof(ok), s);
    else
      snprintf(ok, sizeof(ok), "never");
    const char *e = json_string_value(json_object_get(d, "last_error"));
    snprintf(err, sizeof(err), "%s", e ? e : "-");
    const char *row[] = {cli_json_text(d, "name", b1, sizeof(b1)),
                         depth,
                         parked,
                         oldest,
                         ok,
                         err,
                         cli_json_text(d, "url", b4, sizeof(b4))};
    cli_table_row(&t, row);
  }
  cli_table_print(&t, stdout);
  cli_table_free(&t);
}

static int render_bridge(const json_t *res, bool json) {
  if (json)
    return cli_admin_print_json(res);
  print_active(res);
  print_destinations(json_object_get(res, "destinations"));
  return CLI_EXIT_OK;
}

int cmd_bridge(int argc, char **argv) {
  return cli_admin_simple("bridge", argc, argv, bridge_usage, render_bridge);
}
