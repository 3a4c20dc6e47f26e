/*
 * Configuration: one table names every setting once, with its key in the
 * file, its environment variable and its flag, so the three sources can
 * never disagree about what exists.  Precedence: defaults < file < env <
 * flags.  The file is libconfuse syntax (docs/operations.md):
 *
 *   name = "store-01"
 *   join = {"10.0.0.1:7946", "10.0.0.2:7946"}
 *   gossip { probe_interval_ms = 1000 }
 */
#include "mb_agent.h"

#include <confuse.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum kind { K_STR, K_JOIN, K_LEVEL, K_FORMAT, K_U32, K_U64 };

struct setting {
  const char *key;  /* in the file (gossip.x: x inside gossip { }) */
  const char *env;  /* NULL: not settable from the environment */
  const char *flag; /* NULL: file only */
  enum kind kind;
  size_t off, size;
  const char *help;
};

#define CFG(field)                                                             \
  offsetof(struct mb_agent_config, field),                                     \
      sizeof(((struct mb_agent_config *)0)->field)
#define SWIM(field) CFG(swim.field)

static const struct setting settings[] = {
    {"name", "MESHBEAT_NAME", "--name", K_STR, CFG(name),
     "node name (default: host name)"},
    {"domain", "MESHBEAT_DOMAIN", "--domain", K_STR, CFG(domain),
     "failure domain, e.g. rack-3"},
    {"cluster", "MESHBEAT_CLUSTER", "--cluster", K_STR, CFG(cluster),
     "cluster name, bound into every signature (meshbeat)"},
    {"bind", "MESHBEAT_BIND", "--bind", K_STR, CFG(bind),
     "UDP HOST:PORT to listen on (0.0.0.0:7946)"},
    {"advertise", "MESHBEAT_ADVERTISE", "--advertise", K_STR, CFG(advertise),
     "HOST:PORT others reach us at (default: bind, or this host's address)"},
    {"join", "MESHBEAT_JOIN", "--join", K_JOIN, CFG(join),
     "seed HOST:PORT (repeatable; comma-separated in the environment)"},
    {"data_dir", "MESHBEAT_DATA_DIR", "--data-dir", K_STR, CFG(data_dir),
     "state directory (./meshbeat-data)"},
    {"admin_socket", "MESHBEAT_ADMIN_SOCKET", "--admin-socket", K_STR,
     CFG(admin_socket), "admin socket path (DATA_DIR/admin.sock)"},
    {"admin_group", "MESHBEAT_ADMIN_GROUP", "--admin-group", K_STR,
     CFG(admin_group), "group allowed on the admin socket (mode 0660)"},
    {"http.listen", "MESHBEAT_HTTP_ADDR", "--http-addr", K_STR, CFG(http_addr),
     "TCP HOST:PORT serving /metrics, /health (off; no auth: keep it local)"},
    {"key", "MESHBEAT_KEY", "--key", K_STR, CFG(key_file),
     "node key file (DATA_DIR/node.key, created on first start)"},
    {"cert", "MESHBEAT_CERT", "--cert", K_STR, CFG(cert_file),
     "admission certificate (DATA_DIR/node.cert if present)"},
    {"authority", "MESHBEAT_AUTHORITY", "--authority", K_STR, CFG(authority),
     "authority public key, 64 hex; unset: open mesh, no admission"},
    {"log_level", "MESHBEAT_LOG_LEVEL", "--log-level", K_LEVEL, CFG(log_level),
     "debug|info|warn|error (info)"},
    {"log_format", "MESHBEAT_LOG_FORMAT", "--log-format", K_FORMAT,
     CFG(log_json), "text|json (text)"},
    {"payload_interval_ms", NULL, NULL, K_U32, CFG(payload_interval_ms),
     "disk and health refresh period (10000)"},
    {"commit_interval_ms", NULL, NULL, K_U32, CFG(commit_interval_ms),
     "store batch period (200)"},
    {"event_retention", NULL, NULL, K_U64, CFG(event_retention),
     "events kept in the log (100000)"},
    {"gossip.probe_interval_ms", NULL, NULL, K_U32, SWIM(probe_interval_ms),
     NULL},
    {"gossip.probe_timeout_ms", NULL, NULL, K_U32, SWIM(probe_timeout_ms),
     NULL},
    {"gossip.indirect_checks", NULL, NULL, K_U32, SWIM(indirect_checks), NULL},
    {"gossip.suspicion_mult", NULL, NULL, K_U32, SWIM(suspicion_mult), NULL},
    {"gossip.suspicion_max_mult", NULL, NULL, K_U32, SWIM(suspicion_max_mult),
     NULL},
    {"gossip.suspicion_unit_ms", NULL, NULL, K_U32, SWIM(suspicion_unit_ms),
     NULL},
    {"gossip.suspicion_confirm", NULL, NULL, K_U32, SWIM(suspicion_confirm),
     NULL},
    {"gossip.dead_quorum", NULL, NULL, K_U32, SWIM(dead_quorum), NULL},
    {"gossip.awareness_max", NULL, NULL, K_U32, SWIM(awareness_max), NULL},
    {"gossip.dead_keep_ms", NULL, NULL, K_U32, SWIM(dead_keep_ms), NULL},
    {"gossip.flap_hold_ms", NULL, NULL, K_U32, SWIM(flap_hold_ms), NULL},
    {"gossip.retransmit_mult", NULL, NULL, K_U32, SWIM(retransmit_mult), NULL},
    {"gossip.gossip_interval_ms", NULL, NULL, K_U32, SWIM(gossip_interval_ms),
     NULL},
    {"gossip.gossip_nodes", NULL, NULL, K_U32, SWIM(gossip_nodes), NULL},
    {"gossip.push_pull_interval_ms", NULL, NULL, K_U32,
     SWIM(push_pull_interval_ms), NULL},
    {"gossip.reconnect_interval_ms", NULL, NULL, K_U32,
     SWIM(reconnect_interval_ms), NULL},
    {"gossip.budget", NULL, NULL, K_U32, SWIM(budget), NULL},
};

#define N_SETTINGS (sizeof(settings) / sizeof(settings[0]))

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return MB_EINVAL;
}

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

static int set_u64(const char *text, uint64_t max, uint64_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v > max)
    return MB_EINVAL;
  *out = v;
  return MB_OK;
}

static int add_join(struct mb_agent_config *c, const char *list) {
  char buf[1024];
  snprintf(buf, sizeof(buf), "%s", list);
  for (char *save, *t = strtok_r(buf, ",", &save); t != NULL;
       t = strtok_r(NULL, ",", &save)) {
    if (c->n_join == MB_AGENT_MAX_JOIN || strlen(t) >= sizeof(c->join[0]))
      return MB_ETOOBIG;
    snprintf(c->join[c->n_join++], sizeof(c->join[0]), "%s", t);
  }
  return MB_OK;
}

/* Applies one textual value; `from` names the source for messages. */
static int apply(struct mb_agent_config *c, const struct setting *s,
                 const char *v, const char *from, char *err, size_t errlen) {
  char *field = (char *)c + s->off;
  uint64_t u;
  switch (s->kind) {
  case K_STR:
    if (strlen(v) >= s->size)
      return fail(err, errlen, "%s: %s is too long", from, s->key);
    memcpy(field, v, strlen(v) + 1);
    return MB_OK;
  case K_JOIN:
    if (add_join(c, v) != MB_OK)
      return fail(err, errlen, "%s: at most %d join addresses", from,
                  MB_AGENT_MAX_JOIN);
    return MB_OK;
  case K_LEVEL: {
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
      if (strcmp(v, names[i]) == 0) {
        c->log_level = (enum mb_log_level)i;
        return MB_OK;
      }
    return fail(err, errlen, "%s: log level '%s' is not debug|info|warn|error",
                from, v);
  }
  case K_FORMAT:
    if (strcmp(v, "text") != 0 && strcmp(v, "json") != 0)
      return fail(err, errlen, "%s: log format '%s' is not text|json", from, v);
    c->log_json = strcmp(v, "json") == 0;
    return MB_OK;
  case K_U32:
  case K_U64:
    if (set_u64(v, s->kind == K_U32 ? UINT32_MAX : UINT64_MAX, &u) != MB_OK)
      return fail(err, errlen, "%s: %s wants a non-negative integer, not '%s'",
                  from, s->key, v);
    if (s->kind == K_U32)
      *(uint32_t *)(void *)field = (uint32_t)u;
    else
      *(uint64_t *)(void *)field = u;
    return MB_OK;
  }
  return MB_EINVAL;
}

/* ---- the file ------------------------------------------------------------ */

/* A key "SECTION.key" lives in the file as SECTION { key = ... }. */
static const char *const sections[] = {"gossip", "http"};
#define N_SECTIONS (sizeof(sections) / sizeof(sections[0]))

/* The index of the key's section (-1: top level); *leaf is its name there. */
static int section_of(const char *key, const char **leaf) {
  const char *dot = strchr(key, '.');
  *leaf = dot != NULL ? dot + 1 : key;
  for (size_t i = 0; dot != NULL && i < N_SECTIONS; i++)
    if (strlen(sections[i]) == (size_t)(dot - key) &&
        strncmp(key, sections[i], (size_t)(dot - key)) == 0)
      return (int)i;
  return -1;
}

static void file_schema(cfg_opt_t *top, cfg_opt_t sec[][N_SETTINGS + 1]) {
  size_t nt = 0, ns[N_SECTIONS] = {0};
  for (size_t i = 0; i < N_SETTINGS; i++) {
    const struct setting *s = &settings[i];
    const char *key;
    int si = section_of(s->key, &key);
    cfg_opt_t o = s->kind == K_JOIN
                      ? (cfg_opt_t)CFG_STR_LIST(key, NULL, CFGF_NODEFAULT)
                      : (cfg_opt_t)CFG_STR(key, NULL, CFGF_NODEFAULT);
    if (s->kind == K_U32 || s->kind == K_U64)
      o = (cfg_opt_t)CFG_INT(key, 0, CFGF_NODEFAULT);
    if (si >= 0)
      sec[si][ns[si]++] = o;
    else
      top[nt++] = o;
  }
  for (size_t i = 0; i < N_SECTIONS; i++) {
    sec[i][ns[i]] = (cfg_opt_t)CFG_END();
    top[nt++] = (cfg_opt_t)CFG_SEC(sections[i], sec[i], CFGF_NONE);
  }
  top[nt] = (cfg_opt_t)CFG_END();
}

static int file_value(cfg_t *cfg, const struct setting *s, char *buf,
                      size_t cap, bool *present) {
  const char *key;
  int si = section_of(s->key, &key);
  cfg_t *sec = si >= 0 ? cfg_getsec(cfg, sections[si]) : cfg;
  *present = sec != NULL && cfg_size(sec, key) > 0;
  if (!*present)
    return MB_OK;
  if (s->kind == K_U32 || s->kind == K_U64) {
    long v = cfg_getint(sec, key);
    if (v < 0)
      return MB_ERANGE;
    snprintf(buf, cap, "%ld", v);
  } else if (s->kind == K_JOIN) {
    buf[0] = '\0';
    for (unsigned i = 0; i < cfg_size(sec, key); i++)
      snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s", i ? "," : "",
               cfg_getnstr(sec, key, i));
  } else {
    snprintf(buf, cap, "%s", cfg_getstr(sec, key));
  }
  return MB_OK;
}

static int load_file(struct mb_agent_config *c, const char *path, char *err,
                     size_t errlen) {
  cfg_opt_t top[N_SETTINGS + N_SECTIONS + 1];
  cfg_opt_t sec[N_SECTIONS][N_SETTINGS + 1];
  file_schema(top, sec);
  cfg_t *cfg = cfg_init(top, CFGF_NONE);
  if (cfg == NULL)
    return -ENOMEM;
  int rc = cfg_parse(cfg, path); /* prints its parse errors on stderr */
  if (rc == CFG_FILE_ERROR) {
    cfg_free(cfg);
    return fail(err, errlen, "cannot read config file %s: %s", path,
                strerror(errno));
  }
  if (rc == CFG_PARSE_ERROR) {
    cfg_free(cfg);
    return fail(err, errlen, "config file %s does not parse (see above)", path);
  }
  rc = MB_OK;
  char value[2048], from[PATH_MAX + 16];
  snprintf(from, sizeof(from), "%s", path);
  for (size_t i = 0; i < N_SETTINGS && rc == MB_OK; i++) {
    bool present;
    if (file_value(cfg, &settings[i], value, sizeof(value), &present) != MB_OK)
      rc = fail(err, errlen, "%s: %s must not be negative", path,
                settings[i].key);
    else if (present)
      rc = apply(c, &settings[i], value, from, err, errlen);
  }
  cfg_free(cfg);
  return rc;
}

/* ---- environment and flags ---------------------------------------------- */

static int load_env(struct mb_agent_config *c, char *err, size_t errlen) {
  for (size_t i = 0; i < N_SETTINGS; i++) {
    const char *v = settings[i].env ? getenv(settings[i].env) : NULL;
    if (v == NULL || v[0] == '\0')
      continue;
    if (settings[i].kind == K_JOIN)
      c->n_join = 0; /* the environment replaces the file's list */
    int rc = apply(c, &settings[i], v, settings[i].env, err, errlen);
    if (rc)
      return rc;
  }
  return MB_OK;
}

static const struct setting *flag_setting(const char *flag) {
  for (size_t i = 0; i < N_SETTINGS; i++)
    if (settings[i].flag && strcmp(settings[i].flag, flag) == 0)
      return &settings[i];
  return NULL;
}

/* The --config value, or MESHBEAT_CONFIG; found before anything else. */
static const char *config_path(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "--config") == 0)
      return argv[i + 1];
  const char *env = getenv("MESHBEAT_CONFIG");
  return env && env[0] ? env : NULL;
}

static int load_flags(struct mb_agent_config *c, int argc, char **argv,
                      bool *help, char *err, size_t errlen) {
  bool join_from_flags = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      *help = true;
      return MB_OK;
    }
    if (strcmp(a, "--config") == 0) {
      i++;
      continue;
    }
    if (strcmp(a, "--check") == 0) {
      c->check_only = true;
      continue;
    }
    const struct setting *s = flag_setting(a);
    if (s == NULL)
      return fail(err, errlen, "unknown option '%s'", a);
    if (i + 1 >= argc)
      return fail(err, errlen, "%s needs a value", a);
    if (s->kind == K_JOIN && !join_from_flags) {
      c->n_join = 0; /* flags replace the file's and environment's list */
      join_from_flags = true;
    }
    int rc = apply(c, s, argv[++i], a, err, errlen);
    if (rc)
      return rc;
  }
  return MB_OK;
}

int mb_agent_config_load(struct mb_agent_config *c, int argc, char **argv,
                         bool *help, char *err, size_t errlen) {
  *help = false;
  defaults(c);
  const char *path = config_path(argc, argv);
  int rc = MB_OK;
  if (path != NULL) {
    if (strlen(path) >= sizeof(c->config_file))
      return fail(err, errlen, "config path too long");
    snprintf(c->config_file, sizeof(c->config_file), "%s", path);
    rc = load_file(c, path, err, errlen);
  }
  if (rc == MB_OK)
    rc = load_env(c, err, errlen);
  if (rc == MB_OK)
    rc = load_flags(c, argc, argv, help, err, errlen);
  return rc;
}

void mb_agent_config_usage(void) {
  printf("usage: meshbeat agent [--config FILE] [options]\n\n"
         "Runs one meshbeat agent. Settings come from, in rising precedence:\n"
         "defaults, the config file, MESHBEAT_* variables, these flags.\n\n");
  printf("  %-16s %-24s %s\n", "--config FILE", "MESHBEAT_CONFIG",
         "libconfuse file (docs/operations.md)");
  for (size_t i = 0; i < N_SETTINGS; i++)
    if (settings[i].flag)
      printf("  %-16s %-24s %s\n", settings[i].flag, settings[i].env,
             settings[i].help);
  printf("  %-16s %-24s %s\n", "--check", "",
         "print the effective settings as JSON and exit");
  printf(
      "\nFile-only settings: payload_interval_ms, commit_interval_ms,\n"
      "event_retention, and the gossip { ... } section (docs/protocol.md).\n");
}

char *mb_agent_config_dump(const struct mb_agent_config *c) {
  static const char *levels[] = {"debug", "info", "warn", "error"};
  json_t *o = json_object();
  for (size_t i = 0; i < N_SETTINGS; i++) {
    const struct setting *s = &settings[i];
    const char *field = (const char *)c + s->off;
    json_t *v = NULL;
    switch (s->kind) {
    case K_STR:
      v = json_string(field);
      break;
    case K_JOIN:
      v = json_array();
      for (size_t j = 0; j < c->n_join; j++)
        json_array_append_new(v, json_string(c->join[j]));
      break;
    case K_LEVEL:
      v = json_string(levels[c->log_level]);
      break;
    case K_FORMAT:
      v = json_string(c->log_json ? "json" : "text");
      break;
    case K_U32:
      v = json_integer(*(const uint32_t *)(const void *)field);
      break;
    case K_U64:
      v = json_integer((json_int_t) * (const uint64_t *)(const void *)field);
      break;
    }
    json_object_set_new(o, s->key, v);
  }
  char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  json_decref(o);
  return text;
}
