/*
 * Loading the settings: defaults < file < environment < flags, each value
 * remembered with its source.  The file is read by config_file.c; here
 * the defaults, the MESHBEAT_* variables and the command line.
 */
#include "config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void defaults(struct mb_agent_config *c) {
  memset(c, 0, sizeof(*c));
  if (gethostname(c->name, sizeof(c->name)) != 0 || c->name[0] == '\0')
    snprintf(c->name, sizeof(c->name), "meshbeat");
  c->name[sizeof(c->name) - 1] = '\0';
  snprintf(c->cluster, sizeof(c->cluster), "meshbeat");
  snprintf(c->bind, sizeof(c->bind), "0.0.0.0:7946");
  snprintf(c->data_dir, sizeof(c->data_dir), "meshbeat-data");
  c->log_level = MB_LOG_INFO;
  c->payload_interval_ms = 10000;
  c->commit_interval_ms = 200;
  c->event_retention = 100000;
  c->bridge.interval_ms = 30000;
  c->bridge.debounce_ms = 1000;
  c->bridge.connect_timeout_ms = 5000;
  c->bridge.timeout_ms = 10000;
  c->bridge.retry_max_ms = 300000;
  c->bridge.outbox_max_bytes = 64ull << 20;
  c->raid.down_out_interval_ms = 600000;
  c->raid.max_backfills = 1;
  c->raid.max_backfills_mesh = 8;
  c->raid.min_up_permille = 300;
  c->raid.stall_timeout_ms = 300000;
  snprintf(c->raid.executor, sizeof(c->raid.executor), "builtin");
  c->raid.builtin_rate_bytes = 100ull << 20;
  swim_config_default(&c->swim);
}

static void load_env(struct mb_agent_config *c, struct cfg_report *r) {
  for (size_t i = 0; i < cfg_n_settings(); i++) {
    struct setting s = cfg_setting(i);
    const char *v = s.env ? getenv(s.env) : NULL;
    if (v == NULL || v[0] == '\0')
      continue;
    if (cfg_is_list(s.kind))
      cfg_list_clear(c, i); /* the environment replaces the file's list */
    cfg_apply(c, i, v, (struct mb_config_origin){.source = MB_SOURCE_ENV}, r);
  }
}

/* The setting of a flag: "--bind" or "--bind=VALUE" (*value then set). */
static long flag_setting(const char *arg, const char **value) {
  for (size_t i = 0; i < cfg_n_settings(); i++) {
    struct setting s = cfg_setting(i);
    size_t n = s.flag ? strlen(s.flag) : 0;
    if (n == 0 || strncmp(arg, s.flag, n) != 0)
      continue;
    if (arg[n] == '\0' || arg[n] == '=') {
      *value = arg[n] == '=' ? arg + n + 1 : NULL;
      return (long)i;
    }
  }
  return -1;
}

/* The --config value, or MESHBEAT_CONFIG; found before anything else. */
static bool config_path(int argc, char **argv, const char **path,
                        enum mb_config_source *source) {
  *path = NULL;
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "--config=", 9) == 0)
      *path = argv[i] + 9;
    else if (strcmp(argv[i], "--config") == 0)
      *path = i + 1 < argc ? argv[++i] : NULL;
    else
      continue;
    *source = MB_SOURCE_FLAG;
    return *path != NULL;
  }
  const char *env = getenv("MESHBEAT_CONFIG");
  *path = env && env[0] ? env : NULL;
  *source = MB_SOURCE_ENV;
  return true;
}

static bool is_config_flag(const char *a) {
  return strcmp(a, "--config") == 0 || strncmp(a, "--config=", 9) == 0;
}

static int load_flags(struct mb_agent_config *c, int argc, char **argv,
                      bool *help, struct cfg_report *r) {
  bool list_from_flags[MB_AGENT_MAX_SETTINGS] = {false};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      *help = true;
      return MB_OK;
    }
    if (is_config_flag(a)) {
      i += strchr(a, '=') == NULL;
      continue;
    }
    if (strcmp(a, "--check") == 0) {
      c->check_only = true;
      continue;
    }
    long s = flag_setting(a, &v);
    enum setting_kind kind = s >= 0 ? cfg_setting((size_t)s).kind : K_STR;
    if (s >= 0 && kind == K_BOOL && v == NULL)
      v = "true"; /* --reset-store: the flag alone */
    if (s < 0 || (v == NULL && i + 1 >= argc)) {
      /* a command line we cannot read: that alone is the message */
      cfg_report_init(r, r->buf, r->cap);
      if (s < 0)
        cfg_report_raw(
            r, NULL, NULL, "%s '%s' (meshbeat agent --help lists the options)",
            a[0] == '-' ? "unknown option" : "unexpected argument", a);
      else
        cfg_report_raw(r, NULL, NULL, "%s needs a value", a);
      return MB_EINVAL;
    }
    if (cfg_is_list(kind) && !list_from_flags[s]) {
      /* flags replace the file's and environment's list */
      cfg_list_clear(c, (size_t)s);
      list_from_flags[s] = true;
    }
    cfg_apply(c, (size_t)s, v ? v : argv[++i],
              (struct mb_config_origin){.source = MB_SOURCE_FLAG}, r);
  }
  return MB_OK;
}

int mb_agent_config_load(struct mb_agent_config *c, int argc, char **argv,
                         bool *help, char *err, size_t errlen) {
  struct cfg_report r;
  cfg_report_init(&r, err, errlen);
  *help = false;
  defaults(c);
  c->argc = argc;
  c->argv = argv;
  const char *path;
  enum mb_config_source source;
  if (!config_path(argc, argv, &path, &source)) {
    cfg_report_raw(&r, NULL, NULL, "--config needs a value");
    return MB_EINVAL;
  }
  const char *named = source == MB_SOURCE_FLAG ? "--config" : "MESHBEAT_CONFIG";
  if (path != NULL && strlen(path) >= sizeof(c->config_file)) {
    cfg_report_raw(&r, "config", named, "the path is too long");
    return MB_EINVAL;
  }
  if (path != NULL) {
    snprintf(c->config_file, sizeof(c->config_file), "%s", path);
    if (cfg_load_file(c, named, &r) != MB_OK)
      return MB_EINVAL;
  }
  load_env(c, &r);
  if (load_flags(c, argc, argv, help, &r) != MB_OK)
    return MB_EINVAL;
  return r.n ? MB_ERANGE : MB_OK;
}
