/*
 * meshbeat revoke FILE: hands a signed revocation (meshbeat cert revoke) to
 * the local agent, which checks it, keeps it and spreads it.
 * meshbeat records: the channel records the agent holds (revocations).
 */
#include "cli_admin.h"

#include <stdlib.h>
#include <string.h>

static void revoke_usage(FILE *f) {
  fprintf(f, "usage: meshbeat revoke [--admin-socket PATH] [--json] FILE\n\n"
             "Hands the revocation in FILE (from 'meshbeat cert revoke') to "
             "the\nagent, which checks it exactly as one from the network, "
             "keeps it\nand spreads it: every member refuses the node within "
             "seconds.\nExit 0 when the agent took it (or held it already), 1 "
             "when it\nrefused it, and why.\n\n");
  cli_admin_usage_common(f);
}

static const char *subject_name(const json_t *res, char *buf, size_t cap) {
  const char *name = json_string_value(json_object_get(res, "name"));
  const char *id = json_string_value(json_object_get(res, "subject"));
  if (name != NULL && name[0] != '\0')
    snprintf(buf, cap, "%s (%.16s...)", name, id ? id : "?");
  else
    snprintf(buf, cap, "%.16s...", id ? id : "?");
  return buf;
}

int cmd_revoke(int argc, char **argv) {
  struct cli_admin o;
  int first, rc;
  cli_admin_init(&o, "revoke");
  if ((rc = cli_admin_parse(&o, argc, argv, revoke_usage, &first)) != 0)
    return rc == CLI_ADMIN_HELPED ? CLI_EXIT_OK : rc;
  if (argc - first != 1)
    return cli_usage_error(o.cmd, "wants one FILE");
  uint8_t *buf;
  size_t len;
  rc = cli_read_file(argv[first], &buf, &len);
  if (rc)
    return cli_fail(o.cmd, "%s: %s", argv[first], mb_strerror(rc));
  char *hex = malloc(2 * len + 1);
  if (hex == NULL) {
    free(buf);
    return cli_fail(o.cmd, "out of memory");
  }
  mb_hex_encode(hex, buf, len);
  free(buf);
  json_t *res;
  rc = cli_admin_request(
      &o, json_pack("{s:s, s:s}", "cmd", "revoke", "record", hex), &res, NULL,
      NULL);
  free(hex);
  if (rc != CLI_EXIT_OK)
    return rc;
  char who[128];
  if (o.json)
    cli_admin_print_json(res);
  else if (json_is_true(json_object_get(res, "already_held")))
    printf("The agent already holds this revocation of %s.\n",
           subject_name(res, who, sizeof(who)));
  else
    printf("Revocation of %s accepted; it spreads to every member.\n",
           subject_name(res, who, sizeof(who)));
  json_decref(res);
  return CLI_EXIT_OK;
}

static void records_usage(FILE *f) {
  fprintf(f,
          "usage: meshbeat records [--admin-socket PATH] [--json]\n\n"
          "Lists the signed records the agent holds besides heartbeats:\n"
          "revocations (kind, subject, version, issued, until, reason).\n\n");
  cli_admin_usage_common(f);
}

static int render_records(const json_t *res, bool json) {
  if (json)
    return cli_admin_print_json(res);
  if (json_array_size(res) == 0) {
    printf("No records.\n");
    return CLI_EXIT_OK;
  }
  struct cli_table t;
  cli_table_init(&t, 6);
  static const char *const head[] = {"KIND",   "SUBJECT", "NAME",
                                     "ISSUED", "UNTIL",   "REASON"};
  cli_table_row(&t, head);
  size_t i;
  json_t *r;
  json_array_foreach(res, i, r) {
    char subject[20], issued[32], until[32], b1[32], b2[32];
    char b3[32], b4[32], b5[200];
    snprintf(subject, sizeof(subject), "%.16s",
             cli_json_text(r, "subject", b1, sizeof(b1)));
    cli_short_time(issued, sizeof(issued),
                   cli_json_text(r, "issued", b2, sizeof(b2)));
    const char *u = json_string_value(json_object_get(r, "until"));
    if (u != NULL)
      cli_short_time(until, sizeof(until), u);
    else
      snprintf(until, sizeof(until), "never");
    const char *row[] = {cli_json_text(r, "kind", b3, sizeof(b3)),
                         subject,
                         cli_json_text(r, "name", b4, sizeof(b4)),
                         issued,
                         until,
                         cli_json_text(r, "reason", b5, sizeof(b5))};
    cli_table_row(&t, row);
  }
  cli_table_print(&t, stdout);
  cli_table_free(&t);
  return CLI_EXIT_OK;
}

int cmd_records(int argc, char **argv) {
  return cli_admin_simple("records", argc, argv, records_usage, render_records);
}
