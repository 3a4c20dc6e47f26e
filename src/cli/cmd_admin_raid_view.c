/*
 * What the RAID layer shows people: raid list's and raid show's tables,
 * and meshbeat tasks, ledger and coordinator (docs/cli.md, RAID).  With
 * --json each prints the agent's result as it is.
 */
#include "cli_admin.h"
#include "cli_raid.h"

#include <string.h>

static const char *text(const json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s != NULL ? s : "-";
}

static void bytes(char *out, size_t cap, const json_t *o, const char *key) {
  const json_t *v = json_object_get(o, key);
  if (json_is_integer(v) && json_integer_value(v) >= 0)
    cli_human_bytes(out, cap, (uint64_t)json_integer_value(v));
  else
    snprintf(out, cap, "-");
}

/* "n0 up, n4 down": each slot's device and state. */
static void slots_text(char *out, size_t cap, const json_t *slots) {
  size_t i, len = 0;
  json_t *s;
  out[0] = '\0';
  json_array_foreach(slots, i, s) {
    int n = snprintf(out + len, cap - len, "%s%s %s", i ? ", " : "",
                     text(s, "device"), text(s, "state"));
    if (n < 0 || (size_t)n >= cap - len)
      return;
    len += (size_t)n;
  }
}

static void shape(char *out, size_t cap, const json_t *a) {
  snprintf(out, cap, "%lld+%lld",
           (long long)json_integer_value(json_object_get(a, "data")),
           (long long)json_integer_value(json_object_get(a, "parity")));
}

int cli_render_arrays(const json_t *res) {
  static const char *const head[] = {"NAME", "LEVEL", "SHAPE",
                                     "SIZE", "STATE", "SLOTS"};
  struct cli_table t;
  cli_table_init(&t, 6);
  cli_table_row(&t, head);
  size_t i;
  json_t *a;
  json_array_foreach(res, i, a) {
    char sh[24], size[24], slots[1024];
    shape(sh, sizeof(sh), a);
    bytes(size, sizeof(size), a, "size");
    slots_text(slots, sizeof(slots), json_object_get(a, "slots"));
    const char *cells[] = {
        text(a, "name"), text(a, "level"), sh, size, text(a, "state"), slots};
    cli_table_row(&t, cells);
  }
  if (t.nrows == 1)
    printf("no arrays\n");
  else
    cli_table_print(&t, stdout);
  cli_table_free(&t);
  return CLI_EXIT_OK;
}

static void print_tasks(const json_t *tasks);

int cli_render_array(const json_t *a) {
  char sh[24], size[24], slot_bytes[24], index[24];
  shape(sh, sizeof(sh), a);
  bytes(size, sizeof(size), a, "size");
  bytes(slot_bytes, sizeof(slot_bytes), a, "slot_bytes");
  const char *const rows[][2] = {
      {"name", text(a, "name")},
      {"level", text(a, "level")},
      {"data+parity", sh},
      {"size", size},
      {"slot size", slot_bytes},
      {"state", text(a, "state")},
      {"as of index", cli_json_text(a, "index", index, sizeof(index))},
  };
  cli_print_pairs(rows, sizeof(rows) / sizeof(rows[0]));
  static const char *const head[] = {"SLOT", "DEVICE", "DOMAIN", "STATE"};
  struct cli_table t;
  cli_table_init(&t, 4);
  cli_table_row(&t, head);
  size_t i;
  json_t *s;
  json_array_foreach(json_object_get(a, "slots"), i, s) {
    char n[16];
    const char *cells[] = {cli_json_text(s, "slot", n, sizeof(n)),
                           text(s, "device"), text(s, "domain"),
                           text(s, "state")};
    cli_table_row(&t, cells);
  }
  printf("\n");
  cli_table_print(&t, stdout);
  cli_table_free(&t);
  const json_t *tasks = json_object_get(a, "tasks");
  if (json_array_size(tasks) > 0) {
    printf("\n");
    print_tasks(tasks);
  }
  return CLI_EXIT_OK;
}

/* "12 MiB of 1 GiB (1%)". */
static void progress(char *out, size_t cap, const json_t *t) {
  char done[24], all[24];
  bytes(done, sizeof(done), t, "progress");
  bytes(all, sizeof(all), t, "bytes");
  json_int_t p = json_integer_value(json_object_get(t, "progress"));
  json_int_t b = json_integer_value(json_object_get(t, "bytes"));
  snprintf(out, cap, "%s of %s (%lld%%)", done, all,
           b > 0 ? (long long)(p * 100 / b) : 0LL);
}

static void print_tasks(const json_t *tasks) {
  static const char *const head[] = {"ID",     "ARRAY",   "SLOT",  "KIND",
                                     "TARGET", "SOURCES", "STATE", "PROGRESS"};
  struct cli_table t;
  cli_table_init(&t, 8);
  cli_table_row(&t, head);
  size_t i, j;
  json_t *k, *src;
  json_array_foreach(tasks, i, k) {
    char id[24], slot[16], prog[96], sources[512] = "";
    size_t len = 0;
    json_array_foreach(json_object_get(k, "sources"), j, src) {
      const char *name = json_string_value(src);
      int n = snprintf(sources + len, sizeof(sources) - len, "%s%s",
                       j ? "," : "", name ? name : "?");
      if (n < 0 || (size_t)n >= sizeof(sources) - len)
        break;
      len += (size_t)n;
    }
    progress(prog, sizeof(prog), k);
    const char *cells[] = {cli_json_text(k, "id", id, sizeof(id)),
                           text(k, "array"),
                           cli_json_text(k, "slot", slot, sizeof(slot)),
                           text(k, "kind"),
                           text(k, "target"),
                           sources[0] ? sources : "-",
                           text(k, "state"),
                           prog};
    cli_table_row(&t, cells);
  }
  cli_table_print(&t, stdout);
  cli_table_free(&t);
}

static void tasks_usage(FILE *f) {
  fprintf(f, "usage: meshbeat tasks [--admin-socket PATH] [--json]\n\n"
             "Lists the reconstruction tasks: live ones and the last 64 "
             "finished\n(id, array, slot, kind, target, sources, state, "
             "progress).\n\n");
  cli_admin_usage_common(f);
}

static int render_tasks(const json_t *res, bool json) {
  if (json || !json_is_array(res))
    return cli_admin_print_json(res);
  if (json_array_size(res) == 0)
    printf("no tasks\n");
  else
    print_tasks(res);
  return CLI_EXIT_OK;
}

int cmd_tasks(int argc, char **argv) {
  return cli_admin_simple("tasks", argc, argv, tasks_usage, render_tasks);
}

static void ledger_usage(FILE *f) {
  fprintf(f, "usage: meshbeat ledger [--admin-socket PATH] [--json]\n\n"
             "The capacity ledger: every device with its capacity and "
             "available\nspace (as reported), what array slots hold on it "
             "(allocated) and\nwhat running reconstructions will write to it "
             "(reserved), its\nstate (up, down, out) and whether it "
             "drains.\n\n");
  cli_admin_usage_common(f);
}

static int render_ledger(const json_t *res, bool json) {
  if (json || !json_is_array(res))
    return cli_admin_print_json(res);
  static const char *const head[] = {"DEVICE",   "DOMAIN",    "STATE",
                                     "CAPACITY", "AVAILABLE", "ALLOCATED",
                                     "RESERVED", "DRAINING"};
  struct cli_table t;
  cli_table_init(&t, 8);
  cli_table_row(&t, head);
  size_t i;
  json_t *d;
  json_array_foreach(res, i, d) {
    char c[24], av[24], al[24], re[24], dr[8];
    bytes(c, sizeof(c), d, "capacity");
    bytes(av, sizeof(av), d, "available");
    bytes(al, sizeof(al), d, "allocated");
    bytes(re, sizeof(re), d, "reserved");
    const char *cells[] = {text(d, "device"),
                           text(d, "domain"),
                           text(d, "state"),
                           c,
                           av,
                           al,
                           re,
                           cli_json_text(d, "draining", dr, sizeof(dr))};
    cli_table_row(&t, cells);
  }
  cli_table_print(&t, stdout);
  cli_table_free(&t);
  return CLI_EXIT_OK;
}

int cmd_ledger(int argc, char **argv) {
  return cli_admin_simple("ledger", argc, argv, ledger_usage, render_ledger);
}

static void coordinator_usage(FILE *f) {
  fprintf(f, "usage: meshbeat coordinator [--admin-socket PATH] [--json]\n\n"
             "The RAID coordinators as this device knows them: the Raft "
             "leader,\nterm, commit and applied index, this device's role "
             "and whether it\nvotes, the voters, and where the answer comes "
             "from (its own replica,\nor what the leader published).\n\n");
  cli_admin_usage_common(f);
}

static int render_coordinator(const json_t *res, bool json) {
  if (json || !json_is_object(res))
    return cli_admin_print_json(res);
  char b[5][32];
  const char *const rows[][2] = {
      {"leader", json_is_string(json_object_get(res, "leader"))
                     ? text(res, "leader")
                     : "none known"},
      {"term", cli_json_text(res, "term", b[0], sizeof(b[0]))},
      {"commit index", cli_json_text(res, "commit_index", b[1], sizeof(b[1]))},
      {"applied index",
       cli_json_text(res, "applied_index", b[2], sizeof(b[2]))},
      {"role", text(res, "role")},
      {"voter", cli_json_text(res, "is_voter", b[3], sizeof(b[3]))},
      {"source", text(res, "source")},
  };
  cli_print_pairs(rows, sizeof(rows) / sizeof(rows[0]));
  static const char *const head[] = {"VOTER", "DOMAIN", "ALIVE"};
  struct cli_table t;
  cli_table_init(&t, 3);
  cli_table_row(&t, head);
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(res, "voters"), i, v) {
    const char *cells[] = {text(v, "name"), text(v, "domain"),
                           cli_json_text(v, "alive", b[4], sizeof(b[4]))};
    cli_table_row(&t, cells);
  }
  printf("\n");
  cli_table_print(&t, stdout);
  cli_table_free(&t);
  return CLI_EXIT_OK;
}

int cmd_coordinator(int argc, char **argv) {
  return cli_admin_simple("coordinator", argc, argv, coordinator_usage,
                          render_coordinator);
}
