/*
 * The agent's settings table and the report its checks write into, shared
 * by config.c (loading), config_check.c (validation), config_dump.c
 * (--check's JSON, --help) and identity.c (key and certificate).
 */
#ifndef MESHBEAT_AGENT_CONFIG_INTERNAL_H
#define MESHBEAT_AGENT_CONFIG_INTERNAL_H

#include "mb_agent.h"

#include <stdarg.h>

struct agent_logger;

enum setting_kind {
  K_STR,
  K_JOIN,   /* the list of seeds */
  K_LEVEL,  /* log level */
  K_FORMAT, /* log format */
  K_U32,
  K_U64,
  K_PARAM, /* a protocol parameter: swim_params' row */
  K_BOOL,  /* a flag without a value; true|false|1|0 elsewhere */
  K_NAMES, /* a list of node names: the bridge's eligible, the RAID
              voters and coordinators (cfg_list_of tells them apart) */
  K_RATIO, /* a share 0..1 ("0.3", three decimals at most), in permille */
};

/* A list setting (K_JOIN, K_NAMES): given by a higher source, it replaces
 * the lower one's list; each item keeps its own origin. */
static inline bool cfg_is_list(enum setting_kind k) {
  return k == K_JOIN || k == K_NAMES;
}

struct setting {
  const char *section; /* NULL: top level of the file; else its section */
  const char *name;    /* in the file, inside its section */
  const char *env;     /* NULL: not settable from the environment */
  const char *flag;    /* NULL: not settable on the command line */
  enum setting_kind kind;
  size_t off, size; /* the field in struct mb_agent_config */
  uint64_t min, max;
  const char *help;
  const struct swim_param *param; /* K_PARAM */
};

size_t cfg_n_settings(void);
/* The i-th setting (i < cfg_n_settings()). */
struct setting cfg_setting(size_t i);
/* Index of "bind" or "gossip.budget", or -1. */
long cfg_setting_index(const char *key);
/* "gossip.budget": the name a message and --check's JSON use. */
void cfg_setting_key(const struct setting *s, char *out, size_t cap);
/* The setting's field in c. */
const void *cfg_field(const struct mb_agent_config *c, const struct setting *s);
void cfg_origin_text(const struct mb_agent_config *c,
                     const struct mb_config_origin *o, const struct setting *s,
                     char *out, size_t cap);

/* Lines "KEY (SOURCE): problem", appended while they fit. */
struct cfg_report {
  char *buf;
  size_t cap, len;
  unsigned n;
};

void cfg_report_init(struct cfg_report *r, char *buf, size_t cap);
__attribute__((format(printf, 4, 5))) void
cfg_report_add(struct cfg_report *r, const struct mb_agent_config *c,
               const char *key, const char *fmt, ...);
/* A line with the source given (NULL key: the line is just the text). */
__attribute__((format(printf, 4, 5))) void cfg_report_raw(struct cfg_report *r,
                                                          const char *key,
                                                          const char *source,
                                                          const char *fmt, ...);
/* The same for seed number j of the join list. */
__attribute__((format(printf, 4, 5))) void
cfg_report_seed(struct cfg_report *r, const struct mb_agent_config *c, size_t j,
                const char *fmt, ...);
/* The same for name number j of bridge.eligible. */
__attribute__((format(printf, 4, 5))) void
cfg_report_eligible(struct cfg_report *r, const struct mb_agent_config *c,
                    size_t j, const char *fmt, ...);

/* A list setting's items in c, their count, limits and origins. */
struct cfg_list {
  char *items;
  size_t item_size, max, *n;
  struct mb_config_origin *origin;
  const char *key, *noun;
};
/* config_apply.c: the list that setting s (K_JOIN or K_NAMES) fills. */
struct cfg_list cfg_list_of(struct mb_agent_config *c, const struct setting *s);
/* Item j of a list. */
static inline const char *cfg_list_item(const struct cfg_list *l, size_t j) {
  return l->items + j * l->item_size;
}
/* The same for item j of the list setting named key. */
__attribute__((format(printf, 5, 6))) void
cfg_report_listed(struct cfg_report *r, const struct mb_agent_config *c,
                  const char *key, size_t j, const char *fmt, ...);

/* config_apply.c: empties list setting i (a higher source replaces it). */
void cfg_list_clear(struct mb_agent_config *c, size_t i);

/* config.c: applies setting i's textual value, which came from `from`;
 * problems go to r. */
int cfg_apply(struct mb_agent_config *c, size_t i, const char *v,
              struct mb_config_origin from, struct cfg_report *r);

/* config_file.c: applies the settings of c->config_file (named by
 * `source`, "--config" or "MESHBEAT_CONFIG", in messages); refused values
 * go to r.  MB_EINVAL when the file cannot be read or parsed. */
int cfg_load_file(struct mb_agent_config *c, const char *source,
                  struct cfg_report *r);

/* The paths a start uses, derived from data_dir when unset ("" when
 * too long: opening it then fails, naming the setting). */
void cfg_key_path(const struct mb_agent_config *c, char *out, size_t cap);
void cfg_cert_path(const struct mb_agent_config *c, char *out, size_t cap);
void cfg_admin_socket_path(const struct mb_agent_config *c, char *out,
                           size_t cap);
/* No authority, or "none": anyone who knows the cluster name may join. */
bool cfg_open_mesh(const struct mb_agent_config *c);

/* advertise.c: the address a start advertises (advertise; else bind; else,
 * bound to 0.0.0.0 or [::], the route's source address to a seed or the
 * default route, or the only interface's address), into *m, and how it was
 * chosen, into how ("from advertise", "default route", ...).  Asks the
 * routing table and lists the interfaces: sends nothing.  MB_EINVAL, the
 * problem in r naming advertise or bind, when no address the others can
 * reach can be told. */
int cfg_advertise_choose(const struct mb_agent_config *c, struct mb_addr *m,
                         char *how, size_t how_cap, struct cfg_report *r);

/* config_apply.c: no control characters (a value shown in messages). */
bool cfg_printable(const char *s);
/* config_check_addr.c: bind (parsed into *bind; family 0 when it does not
 * parse), advertise and that an address to advertise can be told, the
 * HTTP listener, the seeds. */
void cfg_check_addresses(const struct mb_agent_config *c, struct mb_addr *bind,
                         struct cfg_report *r);
/* config_check_authority.c: the authority's id, "none", or unset on
 * loopback only. */
void cfg_check_authority(const struct mb_agent_config *c,
                         const struct mb_addr *bind, struct cfg_report *r);
/* config_check_paths.c: data_dir, the admin socket's path, admin_group. */
void cfg_check_paths(const struct mb_agent_config *c, struct cfg_report *r);
/* config_check_bridge.c: the bridge's URLs, timeouts, eligible names and
 * files (its secrets read to validate them, then wiped); a secret file
 * readable by group or others is a warning in log (when not NULL), not a
 * refusal. */
void cfg_check_raid(const struct mb_agent_config *c, struct cfg_report *r);
void cfg_check_bridge(const struct mb_agent_config *c, struct agent_logger *log,
                      struct cfg_report *r);

/* config_check.c: what mb_agent_config_check reports; with create (a
 * start), a configuration that is otherwise right gets its key and
 * directories made, and says so in log (which may be NULL without create). */
int cfg_validate(const struct mb_agent_config *c, bool create,
                 struct agent_logger *log, struct cfg_report *r);

/* identity.c: checks the key (create: makes it, and its directories, when
 * missing) and the certificate against the key and the authority; problems go
 * to r.  With an authority and no certificate yet, the problem is the node id
 * and the command that issues its certificate. */
void agent_identity_check(const struct mb_agent_config *c, bool create,
                          struct agent_logger *log, struct cfg_report *r);
/* identity.c: with an authority, the certificate a start would run under
 * (signed by it and valid now) into *out: its name and domain are the
 * node's.  False in an open mesh, or when there is none such. */
struct mb_cert;
bool cfg_certified(const struct mb_agent_config *c, struct mb_cert *out);

#endif
