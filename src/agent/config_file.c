/*
 * The configuration file: libconfuse syntax, every value kept with the
 * line it is on, so a message about it can say "FILE:LINE".
 *
 * libconfuse 3.3 (Debian 12) counts every comment as three lines (its
 * lexer adds one at the comment's start and end besides the newline) and
 * refuses a comment inside a list (libconfuse issue #150).  So the file is
 * read here, its comments blanked out (newlines kept) exactly where
 * libconfuse's lexer would see them, and the rest handed to libconfuse:
 * its own messages and our lines then name the right line.
 */
#include "config_internal.h"

#include <confuse.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A configuration file is a few KB; anything this large is a mistake. */
#define CONFIG_FILE_MAX (1 << 20)

/* Reads path into a NUL-terminated buffer (caller frees); -errno. */
static int read_text(const char *path, char **out) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return -errno;
  char *buf = malloc(CONFIG_FILE_MAX + 1);
  size_t n = buf ? fread(buf, 1, CONFIG_FILE_MAX + 1, f) : 0;
  int rc = buf == NULL ? -ENOMEM : ferror(f) ? -EIO : MB_OK;
  fclose(f);
  if (rc == MB_OK && n > CONFIG_FILE_MAX)
    rc = -EFBIG;
  if (rc != MB_OK || memchr(buf, '\0', n) != NULL) {
    free(buf);
    return rc != MB_OK ? rc : MB_EMALFORMED;
  }
  buf[n] = '\0';
  *out = buf;
  return MB_OK;
}

/* Where libconfuse's lexer may start a // or / * comment: not inside an
 * unquoted word (a/b//c is one word to it). */
static bool token_boundary(const char *start, const char *p) {
  return p == start || strchr(" \t\r\n={}()+,\"'", p[-1]) != NULL;
}

/* Blanks from p up to (not including) the end of the line. */
static char *blank_line(char *p) {
  for (; *p && *p != '\n'; p++)
    *p = ' ';
  return p;
}

/* Blanks a block comment from its opening, newlines kept. */
static char *blank_block(char *p) {
  for (; *p && !(p[0] == '*' && p[1] == '/'); p++)
    if (*p != '\n')
      *p = ' ';
  for (int i = 0; i < 2 && *p; i++)
    *p++ = ' ';
  return p;
}

/* Skips a quoted string from its opening quote; escapes as the lexer. */
static char *skip_string(char *p) {
  char quote = *p++;
  for (; *p && *p != quote; p++)
    if (*p == '\\' && p[1] != '\0')
      p++;
  return *p ? p + 1 : p;
}

static void blank_comments(char *text) {
  for (char *p = text; *p;) {
    if (*p == '"' || *p == '\'')
      p = skip_string(p);
    else if (*p == '#')
      p = blank_line(p);
    else if (p[0] == '/' && p[1] == '/' && token_boundary(text, p))
      p = blank_line(p);
    else if (p[0] == '/' && p[1] == '*' && token_boundary(text, p))
      p = blank_block(p);
    else
      p++;
  }
}

/* Every value is kept as its text and line: libconfuse's typed options
 * would forget the line, which every message names. */
struct file_value {
  unsigned line;
  char text[];
};

static int keep_value(cfg_t *cfg, cfg_opt_t *opt, const char *value,
                      void *result) {
  (void)opt;
  size_t n = strlen(value);
  struct file_value *fv = malloc(sizeof(*fv) + n + 1);
  if (fv == NULL)
    return -1;
  fv->line = (unsigned)cfg->line;
  memcpy(fv->text, value, n + 1);
  *(void **)result = fv;
  return 0;
}

/* A setting with a section lives in the file as SECTION { name = ... };
 * a section's path names the sections it is inside ("bridge.flynas" is
 * bridge { flynas { ... } }), each listed after its parent. */
static const char *const sections[] = {
    "gossip", "http", "bridge", "bridge.flynas", "bridge.webhook", "raid"};
#define N_SECTIONS (sizeof(sections) / sizeof(sections[0]))
/* Room in one section's options: its settings, its sections, the end. */
#define SECTION_OPTS (MB_AGENT_MAX_SETTINGS + N_SECTIONS + 1)

static int section_index(const char *section) {
  for (size_t i = 0; section != NULL && i < N_SECTIONS; i++)
    if (strcmp(section, sections[i]) == 0)
      return (int)i;
  return -1;
}

/* The section a section is inside, or -1 at the top; its own name. */
static int section_parent(size_t i, const char **name) {
  const char *dot = strrchr(sections[i], '.');
  *name = dot ? dot + 1 : sections[i];
  if (dot == NULL)
    return -1;
  char parent[64];
  snprintf(parent, sizeof(parent), "%.*s", (int)(dot - sections[i]),
           sections[i]);
  return section_index(parent);
}

static cfg_opt_t file_option(const struct setting *s) {
  return cfg_is_list(s->kind)
             ? (cfg_opt_t)CFG_PTR_LIST_CB(s->name, NULL, CFGF_NODEFAULT,
                                          keep_value, free)
             : (cfg_opt_t)CFG_PTR_CB(s->name, NULL, CFGF_NODEFAULT, keep_value,
                                     free);
}

static void file_schema(cfg_opt_t *opts, cfg_opt_t sec[][SECTION_OPTS]) {
  size_t nt = 0, ns[N_SECTIONS] = {0};
  for (size_t i = 0; i < cfg_n_settings(); i++) {
    struct setting s = cfg_setting(i);
    int si = section_index(s.section);
    if (si >= 0)
      sec[si][ns[si]++] = file_option(&s);
    else
      opts[nt++] = file_option(&s);
  }
  /* libconfuse copies the options at cfg_init: a section's array is
   * referenced here and ended below, before that. */
  for (size_t i = 0; i < N_SECTIONS; i++) {
    const char *name;
    int parent = section_parent(i, &name);
    cfg_opt_t o = CFG_SEC(name, sec[i], CFGF_NONE);
    if (parent >= 0)
      sec[parent][ns[parent]++] = o;
    else
      opts[nt++] = o;
  }
  for (size_t i = 0; i < N_SECTIONS; i++)
    sec[i][ns[i]] = (cfg_opt_t)CFG_END();
  opts[nt] = (cfg_opt_t)CFG_END();
}

/* libconfuse's own errors (syntax, unknown keys), said our way. */
static void file_error(cfg_t *cfg, const char *fmt, va_list ap) {
  fprintf(stderr, "meshbeat agent: %s:%d: ", cfg->filename ? cfg->filename : "",
          cfg->line);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
}

/* The section at path ("bridge.flynas"), or NULL. */
static cfg_t *section_at(cfg_t *cfg, const char *path) {
  char buf[64];
  snprintf(buf, sizeof(buf), "%s", path);
  cfg_t *sec = cfg;
  for (char *save, *t = strtok_r(buf, ".", &save); t != NULL && sec != NULL;
       t = strtok_r(NULL, ".", &save))
    sec = cfg_getsec(sec, t);
  return sec;
}

static void apply_values(struct mb_agent_config *c, cfg_t *cfg, size_t i,
                         struct cfg_report *r) {
  struct setting s = cfg_setting(i);
  cfg_t *sec = s.section ? section_at(cfg, s.section) : cfg;
  unsigned n = sec ? cfg_size(sec, s.name) : 0;
  for (unsigned j = 0; j < n; j++) {
    const struct file_value *fv = cfg_getnptr(sec, s.name, j);
    struct mb_config_origin from = {.source = MB_SOURCE_FILE, .line = fv->line};
    cfg_apply(c, i, fv->text, from, r);
  }
}

/* Names the file in cfg and its sections: libconfuse made the sections at
 * cfg_init, before there was a file, and its messages about a line inside
 * one would say ":3:" rather than "FILE:3:". */
static bool name_file(cfg_t *cfg, const char *path) {
  for (size_t i = 0; i <= N_SECTIONS; i++) {
    cfg_t *sec = i < N_SECTIONS ? section_at(cfg, sections[i]) : cfg;
    if (sec == NULL)
      continue;
    free(sec->filename);
    sec->filename = strdup(path);
    if (sec->filename == NULL)
      return false;
  }
  return true;
}

/* libconfuse parses a stream; the stream is our cleaned text. */
static int parse(cfg_t *cfg, const char *path, char *text) {
  FILE *f = fmemopen(text, strlen(text), "r");
  if (f == NULL)
    return CFG_FILE_ERROR;
  int rc = name_file(cfg, path) ? cfg_parse_fp(cfg, f) : CFG_FILE_ERROR;
  fclose(f);
  return rc;
}

int cfg_load_file(struct mb_agent_config *c, const char *source,
                  struct cfg_report *r) {
  char *text = NULL;
  int rc = read_text(c->config_file, &text);
  if (rc != MB_OK || text == NULL) {
    cfg_report_raw(r, "config", source, "cannot read %s: %s", c->config_file,
                   mb_strerror(rc));
    return MB_EINVAL;
  }
  blank_comments(text);
  size_t n = cfg_n_settings();
  cfg_opt_t opts[SECTION_OPTS];
  cfg_opt_t sec[N_SECTIONS][SECTION_OPTS];
  file_schema(opts, sec);
  cfg_t *cfg = cfg_init(opts, CFGF_NONE);
  if (cfg == NULL) {
    free(text);
    return -ENOMEM;
  }
  cfg_set_error_function(cfg, file_error);
  rc = text[0] == '\0' ? CFG_SUCCESS : parse(cfg, c->config_file, text);
  if (rc != CFG_SUCCESS)
    cfg_report_raw(r, "config", source,
                   "%s does not parse (the line above says where)",
                   c->config_file);
  else
    for (size_t i = 0; i < n; i++)
      apply_values(c, cfg, i, r);
  cfg_free(cfg);
  free(text);
  return rc == CFG_SUCCESS ? MB_OK : MB_EINVAL;
}
