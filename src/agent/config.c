/*
 * Configuration: one table names every setting once, with its key in the
 * file, its environment variable and its flag, so the three sources can
 * never disagree about what exists; the protocol's parameters come from
 * the gossip layer's own table (swim_params), as the simulator's do.
 * Precedence: defaults < file < env < flags.  The file is libconfuse
 * syntax (docs/operations.md):
 *
 *   name = "store-01"
 *   join = {"10.0.0.1:7946", "nas2.lan:7946"}
 *   gossip { probe_interval_ms = 1000 }
 *
 * Every value remembers where it came from (flag, variable, file and
 * line), so that any message about it can say where to fix it.  Loading
 * converts text to values; config_check.c judges them.
 */
#include "config_internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CFG(field)                                                             \
  offsetof(struct mb_agent_config, field),                                     \
      sizeof(((struct mb_agent_config *)0)->field)

#define TOP(name, env, flag, kind, field, help)                                \
  { NULL, name, env, flag, kind, CFG(field), 0, 0, help, NULL }
#define NUM(name, kind, field, min, max, help)                                 \
  { NULL, name, NULL, NULL, kind, CFG(field), min, max, help, NULL }

static const struct setting top[] = {
    TOP("name", "MESHBEAT_NAME", "--name", K_STR, name,
        "node name (default: host name)"),
    TOP("domain", "MESHBEAT_DOMAIN", "--domain", K_STR, domain,
        "failure domain, e.g. rack-3"),
    TOP("cluster", "MESHBEAT_CLUSTER", "--cluster", K_STR, cluster,
        "cluster name, bound into every signature (meshbeat)"),
    TOP("bind", "MESHBEAT_BIND", "--bind", K_STR, bind,
        "UDP HOST:PORT to listen on (0.0.0.0:7946)"),
    TOP("advertise", "MESHBEAT_ADVERTISE", "--advertise", K_STR, advertise,
        "HOST:PORT others reach us at (default: bind, or this host's "
        "address)"),
    TOP("join", "MESHBEAT_JOIN", "--join", K_JOIN, join,
        "seed HOST:PORT, host names too (repeatable; comma-separated in the "
        "environment)"),
    TOP("data_dir", "MESHBEAT_DATA_DIR", "--data-dir", K_STR, data_dir,
        "state directory (./meshbeat-data)"),
    TOP("admin_socket", "MESHBEAT_ADMIN_SOCKET", "--admin-socket", K_STR,
        admin_socket, "admin socket path (DATA_DIR/admin.sock)"),
    TOP("admin_group", "MESHBEAT_ADMIN_GROUP", "--admin-group", K_STR,
        admin_group, "group allowed on the admin socket (mode 0660)"),
    {"http", "listen", "MESHBEAT_HTTP_ADDR", "--http-addr", K_STR,
     CFG(http_addr), 0, 0,
     "TCP HOST:PORT serving /metrics and /health (off; no auth: keep it on "
     "loopback or a management network)",
     NULL},
    TOP("key", "MESHBEAT_KEY", "--key", K_STR, key_file,
        "node key file (DATA_DIR/node.key), created when missing"),
    TOP("cert", "MESHBEAT_CERT", "--cert", K_STR, cert_file,
        "admission certificate (DATA_DIR/node.cert)"),
    TOP("authority", "MESHBEAT_AUTHORITY", "--authority", K_STR, authority,
        "authority id (64 hex), or \"none\" for an open mesh"),
    TOP("log_level", "MESHBEAT_LOG_LEVEL", "--log-level", K_LEVEL, log_level,
        "debug|info|warn|error (info)"),
    TOP("log_format", "MESHBEAT_LOG_FORMAT", "--log-format", K_FORMAT, log_json,
        "text|json (text)"),
    TOP("reset_store", "MESHBEAT_RESET_STORE", "--reset-store", K_BOOL,
        reset_store,
        "start afresh if the store is damaged or lost (set aside)"),
    NUM("payload_interval_ms", K_U32, payload_interval_ms, 100, 86400000,
        "disk and health refresh period (10000)"),
    NUM("commit_interval_ms", K_U32, commit_interval_ms, 1, 60000,
        "store batch period (200)"),
    NUM("event_retention", K_U64, event_retention, 1, 100000000,
        "events kept in the log (100000)"),
};

#define N_TOP (sizeof(top) / sizeof(top[0]))
#define N_SETTINGS (N_TOP + SWIM_N_PARAMS)
_Static_assert(N_SETTINGS <= MB_AGENT_MAX_SETTINGS,
               "raise MB_AGENT_MAX_SETTINGS");

size_t cfg_n_settings(void) {
  return N_SETTINGS;
}

struct setting cfg_setting(size_t i) {
  if (i < N_TOP)
    return top[i];
  const struct swim_param *p = &swim_params[i - N_TOP];
  return (struct setting){.section = "gossip",
                          .name = p->name,
                          .kind = K_PARAM,
                          .off = offsetof(struct mb_agent_config, swim),
                          .size = sizeof(struct swim_config),
                          .min = p->min,
                          .max = p->max,
                          .help = p->help,
                          .param = p};
}

void cfg_setting_key(const struct setting *s, char *out, size_t cap) {
  snprintf(out, cap, "%s%s%s", s->section ? s->section : "",
           s->section ? "." : "", s->name);
}

long cfg_setting_index(const char *key) {
  char k[96];
  for (size_t i = 0; i < N_SETTINGS; i++) {
    struct setting s = cfg_setting(i);
    cfg_setting_key(&s, k, sizeof(k));
    if (strcmp(k, key) == 0)
      return (long)i;
  }
  return -1;
}

const void *cfg_field(const struct mb_agent_config *c,
                      const struct setting *s) {
  return (const char *)c + s->off;
}

void cfg_origin_text(const struct mb_agent_config *c,
                     const struct mb_config_origin *o, const struct setting *s,
                     char *out, size_t cap) {
  switch (o->source) {
  case MB_SOURCE_FILE:
    snprintf(out, cap, "%s:%u", c->config_file, o->line);
    return;
  case MB_SOURCE_ENV:
    snprintf(out, cap, "%s", s->env);
    return;
  case MB_SOURCE_FLAG:
    snprintf(out, cap, "%s", s->flag);
    return;
  case MB_SOURCE_DEFAULT:
    break;
  }
  snprintf(out, cap, "default");
}

void mb_agent_config_source(const struct mb_agent_config *c, const char *key,
                            char *out, size_t cap) {
  long i = cfg_setting_index(key);
  if (i < 0) {
    snprintf(out, cap, "?");
    return;
  }
  struct setting s = cfg_setting((size_t)i);
  cfg_origin_text(c, &c->origin[i], &s, out, cap);
}

/* ---- the report ---------------------------------------------------------- */

void cfg_report_init(struct cfg_report *r, char *buf, size_t cap) {
  *r = (struct cfg_report){.buf = buf, .cap = cap};
  if (cap > 0)
    buf[0] = '\0';
}

/* One line: "KEY (SOURCE): problem", or just the problem without a key. */
static void report_line(struct cfg_report *r, const char *key,
                        const char *source, const char *fmt, va_list ap) {
  r->n++;
  if (r->len + 1 >= r->cap)
    return;
  int n = snprintf(r->buf + r->len, r->cap - r->len, "%s", r->len ? "\n" : "");
  if (key != NULL && n >= 0 && r->len + (size_t)n < r->cap)
    n += snprintf(r->buf + r->len + n, r->cap - r->len - (size_t)n,
                  "%s (%s): ", key, source);
  if (n >= 0 && r->len + (size_t)n < r->cap)
    n += vsnprintf(r->buf + r->len + n, r->cap - r->len - (size_t)n, fmt, ap);
  r->len = n < 0                         ? r->len
           : r->len + (size_t)n < r->cap ? r->len + (size_t)n
                                         : r->cap - 1;
}

void cfg_report_raw(struct cfg_report *r, const char *key, const char *source,
                    const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report_line(r, key, source, fmt, ap);
  va_end(ap);
}

void cfg_report_add(struct cfg_report *r, const struct mb_agent_config *c,
                    const char *key, const char *fmt, ...) {
  char source[PATH_MAX + 16];
  mb_agent_config_source(c, key, source, sizeof(source));
  va_list ap;
  va_start(ap, fmt);
  report_line(r, key, source, fmt, ap);
  va_end(ap);
}

void cfg_report_seed(struct cfg_report *r, const struct mb_agent_config *c,
                     size_t j, const char *fmt, ...) {
  char source[PATH_MAX + 16];
  struct setting s = cfg_setting((size_t)cfg_setting_index("join"));
  cfg_origin_text(c, &c->join_origin[j], &s, source, sizeof(source));
  va_list ap;
  va_start(ap, fmt);
  report_line(r, "join", source, fmt, ap);
  va_end(ap);
}

/* ---- values -------------------------------------------------------------- */

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
  swim_config_default(&c->swim);
}

static bool parse_u64(const char *text, uint64_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-' ||
      text[0] == '+' || text[0] == ' ')
    return false;
  *out = v;
  return true;
}

static int add_join(struct mb_agent_config *c, const char *list,
                    struct mb_config_origin from, struct cfg_report *r) {
  char buf[MB_AGENT_MAX_JOIN * MB_AGENT_TEXT];
  if (strlen(list) >= sizeof(buf)) {
    cfg_report_add(r, c, "join", "the list is too long");
    return MB_EINVAL;
  }
  memcpy(buf, list, strlen(list) + 1);
  for (char *save, *t = strtok_r(buf, ",", &save); t != NULL;
       t = strtok_r(NULL, ",", &save)) {
    if (c->n_join == MB_AGENT_MAX_JOIN) {
      cfg_report_add(r, c, "join", "at most %d seeds", MB_AGENT_MAX_JOIN);
      return MB_EINVAL;
    }
    if (strlen(t) >= sizeof(c->join[0])) {
      cfg_report_add(r, c, "join", "'%.40s...' is too long", t);
      return MB_EINVAL;
    }
    c->join_origin[c->n_join] = from;
    snprintf(c->join[c->n_join++], sizeof(c->join[0]), "%s", t);
  }
  return MB_OK;
}

static int apply_number(struct mb_agent_config *c, const struct setting *s,
                        const char *key, const char *v, struct cfg_report *r) {
  uint64_t u;
  if (!parse_u64(v, &u)) {
    cfg_report_add(r, c, key, "'%s' is not a whole number", v);
    return MB_EINVAL;
  }
  if (u < s->min || u > s->max) {
    cfg_report_add(r, c, key, "%llu is out of range %llu..%llu",
                   (unsigned long long)u, (unsigned long long)s->min,
                   (unsigned long long)s->max);
    return MB_EINVAL;
  }
  char *field = (char *)c + s->off;
  if (s->kind == K_PARAM)
    return swim_param_set(&c->swim, s->param, u);
  if (s->kind == K_U32) {
    uint32_t x = (uint32_t)u;
    memcpy(field, &x, sizeof(x));
  } else {
    memcpy(field, &u, sizeof(u));
  }
  return MB_OK;
}

static int apply_enum(struct mb_agent_config *c, const struct setting *s,
                      const char *key, const char *v, struct cfg_report *r) {
  static const char *levels[] = {"debug", "info", "warn", "error"};
  if (s->kind == K_LEVEL) {
    for (int i = 0; i < 4; i++)
      if (strcmp(v, levels[i]) == 0) {
        c->log_level = (enum mb_log_level)i;
        return MB_OK;
      }
    cfg_report_add(r, c, key, "'%s' is not debug, info, warn or error", v);
    return MB_EINVAL;
  }
  if (strcmp(v, "text") != 0 && strcmp(v, "json") != 0) {
    cfg_report_add(r, c, key, "'%s' is not text or json", v);
    return MB_EINVAL;
  }
  c->log_json = strcmp(v, "json") == 0;
  return MB_OK;
}

static int apply_bool(struct mb_agent_config *c, const struct setting *s,
                      const char *key, const char *v, struct cfg_report *r) {
  bool yes = strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
  if (!yes && strcmp(v, "false") != 0 && strcmp(v, "0") != 0) {
    cfg_report_add(r, c, key, "'%s' is not true or false", v);
    return MB_EINVAL;
  }
  memcpy((char *)c + s->off, &yes, sizeof(yes));
  return MB_OK;
}

int cfg_apply(struct mb_agent_config *c, size_t i, const char *v,
              struct mb_config_origin from, struct cfg_report *r) {
  struct setting s = cfg_setting(i);
  char key[96];
  cfg_setting_key(&s, key, sizeof(key));
  c->origin[i] = from;
  switch (s.kind) {
  case K_STR:
    if (strlen(v) >= s.size) {
      cfg_report_add(r, c, key, "'%.40s...' is longer than %zu bytes", v,
                     s.size - 1);
      return MB_EINVAL;
    }
    memcpy((char *)c + s.off, v, strlen(v) + 1);
    return MB_OK;
  case K_JOIN:
    return add_join(c, v, from, r);
  case K_LEVEL:
  case K_FORMAT:
    return apply_enum(c, &s, key, v, r);
  case K_BOOL:
    return apply_bool(c, &s, key, v, r);
  case K_U32:
  case K_U64:
  case K_PARAM:
    return apply_number(c, &s, key, v, r);
  }
  return MB_EINVAL;
}

/* ---- environment and flags ----------------------------------------------- */

static void load_env(struct mb_agent_config *c, struct cfg_report *r) {
  for (size_t i = 0; i < N_TOP; i++) {
    const char *v = top[i].env ? getenv(top[i].env) : NULL;
    if (v == NULL || v[0] == '\0')
      continue;
    if (top[i].kind == K_JOIN)
      c->n_join = 0; /* the environment replaces the file's list */
    cfg_apply(c, i, v, (struct mb_config_origin){.source = MB_SOURCE_ENV}, r);
  }
}

/* The setting of a flag: "--bind" or "--bind=VALUE" (*value then set). */
static long flag_setting(const char *arg, const char **value) {
  for (size_t i = 0; i < N_TOP; i++) {
    size_t n = top[i].flag ? strlen(top[i].flag) : 0;
    if (n == 0 || strncmp(arg, top[i].flag, n) != 0)
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
  bool join_from_flags = false;
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
    if (s >= 0 && top[s].kind == K_BOOL && v == NULL)
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
    if (top[s].kind == K_JOIN && !join_from_flags) {
      c->n_join = 0; /* flags replace the file's and environment's list */
      join_from_flags = true;
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

/* ---- derived values ------------------------------------------------------ */

/* A path that does not fit comes out empty, and opening it then fails
 * with a message naming the setting. */
static void path_in(char *out, size_t cap, const char *dir, const char *file) {
  if ((size_t)snprintf(out, cap, "%s/%s", dir, file) >= cap)
    out[0] = '\0';
}

static void path_or(char *out, size_t cap, const char *set, const char *dir,
                    const char *file) {
  if (set[0] != '\0')
    snprintf(out, cap, "%s", set);
  else
    path_in(out, cap, dir, file);
}

void cfg_key_path(const struct mb_agent_config *c, char *out, size_t cap) {
  path_or(out, cap, c->key_file, c->data_dir, "node.key");
}

void cfg_cert_path(const struct mb_agent_config *c, char *out, size_t cap) {
  path_or(out, cap, c->cert_file, c->data_dir, "node.cert");
}

void cfg_admin_socket_path(const struct mb_agent_config *c, char *out,
                           size_t cap) {
  path_or(out, cap, c->admin_socket, c->data_dir, "admin.sock");
}

bool cfg_open_mesh(const struct mb_agent_config *c) {
  return c->authority[0] == '\0' || strcmp(c->authority, "none") == 0;
}
