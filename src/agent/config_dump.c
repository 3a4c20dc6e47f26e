/*
 * The settings shown to people: --help from the table, and --check's JSON
 * of the values a start would use (paths derived from data_dir filled in,
 * the advertised address as a start chooses it, with how, in
 * advertise_how; with an authority, the certificate's name and domain;
 * settings left unset shown as null rather than "").
 */
#include "config_internal.h"
#include "mb_crypto.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

void mb_agent_config_usage(void) {
  printf("usage: meshbeat agent [--config FILE] [options] [--check]\n\n"
         "Runs one meshbeat agent. Settings come from, in rising precedence:\n"
         "defaults, the config file, MESHBEAT_* variables, these flags\n"
         "(--flag VALUE or --flag=VALUE).\n\n");
  printf("  %-16s %-24s %s\n", "--config FILE", "MESHBEAT_CONFIG",
         "libconfuse file (docs/operations.md)");
  for (size_t i = 0; i < cfg_n_settings(); i++) {
    struct setting s = cfg_setting(i);
    char env[64];
    /* A flag without a value: its variable shown set, so that nothing
     * reads the variable's name as the flag's value. */
    snprintf(env, sizeof(env), "%s%s", s.env ? s.env : "",
             s.kind == K_BOOL ? "=1" : "");
    if (s.flag == NULL)
      continue;
    /* A flag or variable wider than its column: the help on a line of
     * its own, so the columns (and gen_cli_docs.py's reading of a flag's
     * VALUE from them) hold. */
    if (strlen(s.flag) > 16 || strlen(env) > 24)
      printf("  %s %s\n  %-16s %-24s %s\n", s.flag, env, "", "", s.help);
    else
      printf("  %-16s %-24s %s\n", s.flag, env, s.help);
  }
  printf("  %-16s %-24s %s\n", "--check", "",
         "check every setting, print the effective ones as JSON, exit 0;");
  printf("  %-16s %-24s %s\n", "", "",
         "or exit 2 naming each bad setting and its source");
  printf("\nThe bridge's settings are bridge { ... } in the file, with its\n"
         "flynas { endpoint, token_file } and webhook { url, secret_file }\n"
         "sections; secrets are read from their files at start and on\n"
         "SIGHUP, and never logged (docs/operations.md, The bridge's\n"
         "settings).\n");
  printf("\nFile-only settings: payload_interval_ms, commit_interval_ms,\n"
         "event_retention, and the gossip { ... } section:");
  for (size_t i = 0; i < SWIM_N_PARAMS; i++)
    printf("%s%s", i % 4 ? ", " : ",\n  ", swim_params[i].name);
  printf("\n(docs/protocol.md, Parameters).\n");
}

/* What a start would take from elsewhere than the settings: the address it
 * advertises, and with an authority the certificate's name and domain. */
struct effective {
  char advertise[MB_ADDR_TEXT_MAX]; /* "" when none can be told */
  char how[160];
  bool certified;
  struct mb_cert cert;
};

static void effective_find(const struct mb_agent_config *c,
                           struct effective *e) {
  struct mb_addr m;
  char ignored[8];
  struct cfg_report r;
  cfg_report_init(&r, ignored, sizeof(ignored));
  memset(e, 0, sizeof(*e));
  if (cfg_advertise_choose(c, &m, e->how, sizeof(e->how), &r) == MB_OK)
    mb_addr_format(e->advertise, sizeof(e->advertise), &m);
  else
    e->how[0] = '\0';
  e->certified = cfg_certified(c, &e->cert);
}

static json_t *text_or_null(const char *s) {
  return s[0] ? json_string(s) : json_null();
}

static json_t *text_json(const struct mb_agent_config *c,
                         const struct effective *e, const char *key,
                         const char *value) {
  char path[PATH_MAX];
  if (strcmp(key, "advertise") == 0)
    return text_or_null(e->advertise);
  if (e->certified && strcmp(key, "name") == 0)
    return json_string(e->cert.name);
  if (e->certified && strcmp(key, "domain") == 0)
    return json_string(e->cert.domain);
  if (strcmp(key, "key") == 0)
    cfg_key_path(c, path, sizeof(path));
  else if (strcmp(key, "cert") == 0)
    cfg_cert_path(c, path, sizeof(path));
  else if (strcmp(key, "admin_socket") == 0)
    cfg_admin_socket_path(c, path, sizeof(path));
  else if (strcmp(key, "domain") == 0 || value[0] != '\0')
    return json_string(value); /* "" is a domain: none */
  else
    return json_null(); /* authority, admin_group: unset */
  return json_string(path);
}

static json_t *value_json(const struct mb_agent_config *c,
                          const struct effective *e, const struct setting *s,
                          const char *key) {
  const void *field = cfg_field(c, s);
  json_t *v;
  switch (s->kind) {
  case K_STR:
    return text_json(c, e, key, field);
  case K_JOIN:
    v = json_array();
    for (size_t j = 0; j < c->n_join; j++)
      json_array_append_new(v, json_string(c->join[j]));
    return v;
  case K_NAMES: {
    struct cfg_list l = cfg_list_of((struct mb_agent_config *)c, s);
    v = json_array();
    for (size_t j = 0; j < *l.n; j++)
      json_array_append_new(v, json_string(cfg_list_item(&l, j)));
    return v;
  }
  case K_LEVEL:
    return json_string(mb_log_level_name(c->log_level));
  case K_FORMAT:
    return json_string(c->log_json ? "json" : "text");
  case K_U32:
    return json_integer(*(const uint32_t *)field);
  case K_RATIO:
    return json_real(*(const uint32_t *)field / 1000.0);
  case K_U64:
    return json_integer((json_int_t) * (const uint64_t *)field);
  case K_PARAM:
    return json_integer((json_int_t)swim_param_get(&c->swim, s->param));
  case K_BOOL:
    return json_boolean(*(const bool *)field);
  }
  return json_null();
}

char *mb_agent_config_dump(const struct mb_agent_config *c) {
  json_t *o = json_object();
  struct effective e;
  effective_find(c, &e);
  json_object_set_new(o, "config",
                      c->config_file[0] ? json_string(c->config_file)
                                        : json_null());
  for (size_t i = 0; i < cfg_n_settings(); i++) {
    struct setting s = cfg_setting(i);
    char key[96];
    cfg_setting_key(&s, key, sizeof(key));
    json_object_set_new(o, key, value_json(c, &e, &s, key));
    if (strcmp(key, "advertise") == 0) /* why that address: as logged */
      json_object_set_new(o, "advertise_how", text_or_null(e.how));
  }
  char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  json_decref(o);
  return text;
}
