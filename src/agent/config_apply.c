/*
 * A setting's textual value, from whichever source, into its field: the
 * conversions by kind (text, seeds, log level and format, numbers in
 * their range, protocol parameters, booleans), each refusal reported
 * naming the setting and its source.  What the values mean together is
 * config_check.c's to judge.
 */
#include "config_internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#define NAMES(field, count, origins, key)                                      \
  (struct cfg_list) {                                                          \
    (char *)c->field, sizeof(c->field[0]),                                     \
        sizeof(c->field) / sizeof(c->field[0]), &c->count, c->origins, key,    \
        "names"                                                                \
  }

struct cfg_list cfg_list_of(struct mb_agent_config *c,
                            const struct setting *s) {
  if (s->off == offsetof(struct mb_agent_config, bridge.eligible))
    return NAMES(bridge.eligible, bridge.n_eligible, eligible_origin,
                 "bridge.eligible");
  if (s->off == offsetof(struct mb_agent_config, raid.voters))
    return NAMES(raid.voters, raid.n_voters, voters_origin, "raid.voters");
  if (s->off == offsetof(struct mb_agent_config, raid.coordinator_names))
    return NAMES(raid.coordinator_names, raid.n_coordinator_names,
                 coordinators_origin, "raid.coordinator_names");
  return (struct cfg_list){
      (char *)c->join, sizeof(c->join[0]), MB_AGENT_MAX_JOIN,
      &c->n_join,      c->join_origin,     "join",
      "seeds"};
}

void cfg_list_clear(struct mb_agent_config *c, size_t i) {
  struct setting s = cfg_setting(i);
  *cfg_list_of(c, &s).n = 0;
}

/* Appends the comma-separated items of list (a file's list gives them one
 * by one; a variable or flag may give several at once). */
static int add_list(struct mb_agent_config *c, const struct setting *s,
                    const char *list, struct mb_config_origin from,
                    struct cfg_report *r) {
  struct cfg_list l = cfg_list_of(c, s);
  char buf[MB_AGENT_MAX_JOIN * MB_AGENT_TEXT];
  if (strlen(list) >= sizeof(buf)) {
    cfg_report_add(r, c, l.key, "the list is too long");
    return MB_EINVAL;
  }
  memcpy(buf, list, strlen(list) + 1);
  for (char *save, *t = strtok_r(buf, ",", &save); t != NULL;
       t = strtok_r(NULL, ",", &save)) {
    if (*l.n == l.max) {
      cfg_report_add(r, c, l.key, "at most %zu %s", l.max, l.noun);
      return MB_EINVAL;
    }
    if (strlen(t) >= l.item_size) {
      cfg_report_add(r, c, l.key, "'%.40s...' is longer than %zu bytes", t,
                     l.item_size - 1);
      return MB_EINVAL;
    }
    l.origin[*l.n] = from;
    snprintf(l.items + *l.n * l.item_size, l.item_size, "%s", t);
    (*l.n)++;
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

/* "0", "1", "0.3", ".25", "1.000": a share, to the thousandth. */
static bool parse_ratio(const char *v, uint32_t *permille) {
  uint32_t whole = 0, frac = 0, scale = 100;
  const char *p = v;
  if (*p >= '0' && *p <= '9')
    whole = (uint32_t)(*p++ - '0');
  if (*p == '.') {
    for (p++; *p >= '0' && *p <= '9'; p++) {
      if (scale == 0)
        return false; /* a fourth decimal */
      frac += (uint32_t)(*p - '0') * scale;
      scale /= 10;
    }
  }
  if (*p != '\0' || p == v || (v[0] == '.' && v[1] == '\0'))
    return false;
  *permille = whole * 1000 + frac;
  return true;
}

static int apply_ratio(struct mb_agent_config *c, const struct setting *s,
                       const char *key, const char *v, struct cfg_report *r) {
  uint32_t pm;
  if (!parse_ratio(v, &pm) || pm > s->max) {
    cfg_report_add(r, c, key,
                   "'%s' is not a share from 0 to 1 (three decimals at most)",
                   v);
    return MB_EINVAL;
  }
  memcpy((char *)c + s->off, &pm, sizeof(pm));
  return MB_OK;
}

static int apply_enum(struct mb_agent_config *c, const struct setting *s,
                      const char *key, const char *v, struct cfg_report *r) {
  if (s->kind == K_LEVEL) {
    if (mb_log_level_parse(v, &c->log_level) == MB_OK)
      return MB_OK;
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
  case K_NAMES:
    return add_list(c, &s, v, from, r);
  case K_LEVEL:
  case K_FORMAT:
    return apply_enum(c, &s, key, v, r);
  case K_BOOL:
    return apply_bool(c, &s, key, v, r);
  case K_U32:
  case K_U64:
  case K_PARAM:
    return apply_number(c, &s, key, v, r);
  case K_RATIO:
    return apply_ratio(c, &s, key, v, r);
  }
  return MB_EINVAL;
}

bool cfg_printable(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f)
      return false;
  return true;
}
