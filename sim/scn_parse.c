/*
 * The scenario file: defaults, top-level directives, and the checks that can
 * only run once the node count is final (scn_resolve).  Actions live in
 * scn_action.c, expectations in scn_expect.c, parameters in scn_param.c.
 */
#include "scn_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void defaults(struct scenario *s, const char *path) {
  memset(s, 0, sizeof(*s));
  snprintf(s->path, sizeof(s->path), "%s", path);
  s->nodes = 16;
  s->seed = 1;
  s->duration_us = 60ull * SCN_US_PER_S;
  snprintf(s->cluster, sizeof(s->cluster), "meshbeat-sim");
  s->domains = 1;
  /* A quiet LAN: 1 ms plus up to 1 ms of uniform jitter, nothing lost. */
  s->net.lat = (struct sim_latency){
      .base_us = 1000, .spread_us = 1000, .dist = SIM_DIST_UNIFORM};
  s->net.mtu = MB_WIRE_MAX_DATAGRAM;
  s->net.inbox = 212992; /* Linux's default net.core.rmem_default */
  s->net.reorder_us = 5000;
}

/* Scalar directives may be given once, so a typo'd copy cannot silently
 * override the first. */
static int once(struct scn_cur *c, uint32_t *seen, uint32_t bit,
                const char *what) {
  if (*seen & bit)
    return scn_fail(c, "'%s' given twice", what);
  *seen |= bit;
  return 0;
}

static int parse_network(struct scn_cur *c) {
  struct sim_netcfg *n = &c->s->net;
  const char *what = scn_next(c);
  uint64_t v;
  if (what == NULL)
    return scn_fail(c, "network: expected latency, loss, duplicate, "
                       "reorder, mtu or inbox");
  if (strcmp(what, "latency") == 0)
    return scn_get_latency(c, &n->lat);
  if (strcmp(what, "loss") == 0)
    return scn_get_percent(c, &n->loss, "loss");
  if (strcmp(what, "duplicate") == 0)
    return scn_get_percent(c, &n->dup, "duplicate");
  if (strcmp(what, "reorder") == 0) {
    if (scn_get_percent(c, &n->reorder, "reorder") != 0)
      return -1;
    if (scn_accept(c, "delay"))
      return scn_get_duration(c, &n->reorder_us, "reorder delay");
    return 0;
  }
  if (strcmp(what, "mtu") == 0 || strcmp(what, "inbox") == 0) {
    if (scn_get_uint(c, &v, what) != 0)
      return -1;
    if (v < 64 || v > (1u << 30))
      return scn_fail(c, "%s: %llu bytes is out of range (64 .. 2^30)", what,
                      (unsigned long long)v);
    *(what[0] == 'm' ? &n->mtu : &n->inbox) = (size_t)v;
    return 0;
  }
  return scn_fail(c, "network: unknown setting '%s'", what);
}

static int parse_skew(struct scn_cur *c) {
  struct scenario *s = c->s;
  if (s->n_skews == sizeof(s->skews) / sizeof(s->skews[0]))
    return scn_fail(c, "too many skew lines");
  struct scn_skew *k = &s->skews[s->n_skews];
  memset(k, 0, sizeof(*k));
  k->line = c->line;
  if (scn_want(c, "node") != 0 || scn_get_set(c, &k->set) != 0)
    return -1;
  bool any = false;
  for (;;) {
    int64_t off;
    uint64_t mono;
    if (scn_accept(c, "wall")) {
      if (scn_get_offset(c, &off, "wall") != 0)
        return -1;
      k->wall_ms = off / (int64_t)SCN_US_PER_MS;
    } else if (scn_accept(c, "mono")) {
      if (scn_get_duration(c, &mono, "mono") != 0)
        return -1;
      k->mono_ms = mono / SCN_US_PER_MS;
    } else {
      break;
    }
    any = true;
  }
  if (!any)
    return scn_fail(c, "skew: expected 'wall OFFSET' and/or 'mono DURATION'");
  s->n_skews++;
  return 0;
}

static int parse_scalar(struct scn_cur *c, const char *kw, uint32_t *seen) {
  struct scenario *s = c->s;
  uint64_t v;
  if (strcmp(kw, "nodes") == 0) {
    if (once(c, seen, 1, kw) || scn_get_uint(c, &v, kw))
      return -1;
    if (v < 1 || v > (1u << 24) - 2)
      return scn_fail(c, "nodes: %llu is out of range (1 .. 16777214)",
                      (unsigned long long)v);
    s->nodes = (uint32_t)v;
    return 0;
  }
  if (strcmp(kw, "seed") == 0)
    return once(c, seen, 2, kw) || scn_get_uint(c, &s->seed, kw) ? -1 : 0;
  if (strcmp(kw, "duration") == 0) {
    if (once(c, seen, 4, kw) || scn_get_duration(c, &s->duration_us, kw))
      return -1;
    return s->duration_us ? 0 : scn_fail(c, "duration must be above 0");
  }
  if (strcmp(kw, "grace") == 0) {
    s->has_grace = true;
    return once(c, seen, 8, kw) || scn_get_duration(c, &s->grace_us, kw) ? -1
                                                                         : 0;
  }
  if (strcmp(kw, "domains") == 0) {
    if (once(c, seen, 16, kw) || scn_get_uint(c, &v, kw))
      return -1;
    if (v < 1 || v > 1000)
      return scn_fail(c, "domains: expected 1 .. 1000");
    s->domains = (uint32_t)v;
    return 0;
  }
  if (strcmp(kw, "cluster") == 0) {
    const char *t = scn_next(c);
    if (once(c, seen, 32, kw))
      return -1;
    if (t == NULL || strlen(t) > SCN_NAME_MAX)
      return scn_fail(c, "cluster: expected a name of at most %d bytes",
                      SCN_NAME_MAX);
    snprintf(s->cluster, sizeof(s->cluster), "%s", t);
    return 0;
  }
  if (strcmp(kw, "crypto") == 0) {
    if (once(c, seen, 128, kw))
      return -1;
    if (scn_accept(c, "standin"))
      s->standin = true;
    else if (!scn_accept(c, "ed25519"))
      return scn_fail(c, "crypto: expected standin or ed25519");
    return 0;
  }
  if (strcmp(kw, "measure") == 0) {
    s->has_window = true;
    if (once(c, seen, 64, kw) ||
        scn_get_duration(c, &s->window_from_us, "measure from") ||
        scn_get_duration(c, &s->window_to_us, "measure to"))
      return -1;
    if (s->window_to_us <= s->window_from_us)
      return scn_fail(c, "measure: the window must end after it starts");
    return 0;
  }
  return 1; /* not a scalar */
}

/* "at T [every P [until T2]] ACTION" */
static int parse_at(struct scn_cur *c) {
  uint64_t at, every = 0, until = 0;
  if (scn_get_duration(c, &at, "at") != 0)
    return -1;
  if (scn_accept(c, "every")) {
    if (scn_get_duration(c, &every, "every") != 0)
      return -1;
    if (every == 0)
      return scn_fail(c, "every: expected a period above 0");
    if (scn_accept(c, "until") && scn_get_duration(c, &until, "until") != 0)
      return -1;
    if (until != 0 && until <= at)
      return scn_fail(c, "until: must be after the first time");
  }
  size_t before = c->s->n_actions;
  if (scn_action_parse(c, at) != 0)
    return -1;
  for (size_t k = before; k < c->s->n_actions; k++) {
    if (every != 0 && c->s->actions[k].kind >= SCN_RAID_CREATE)
      return scn_fail(c, "every: an operator's raid request does not repeat");
    c->s->actions[k].every_us = every;
    c->s->actions[k].until_us = until;
  }
  return 0;
}

static int parse_adversary(struct scn_cur *c) {
  struct scenario *s = c->s;
  size_t cap = sizeof(s->adversaries) / sizeof(s->adversaries[0]);
  if (s->n_adversaries == cap)
    return scn_fail(c, "too many adversary lines");
  struct scn_decl *d = &s->adversaries[s->n_adversaries];
  d->line = c->line;
  if (scn_want(c, "node") != 0 || scn_get_set(c, &d->set) != 0)
    return -1;
  s->n_adversaries++;
  return 0;
}

/* "bridge [offline_after D] [eligible SET]" */
static int parse_bridge(struct scn_cur *c, uint32_t *seen) {
  struct scenario *s = c->s;
  if (once(c, seen, 256, "bridge"))
    return -1;
  s->bridge = true;
  if (scn_accept(c, "offline_after") &&
      scn_get_duration(c, &s->bridge_offline_after_us, "offline_after") != 0)
    return -1;
  if (scn_accept(c, "eligible")) {
    s->has_bridge_eligible = true;
    return scn_get_set(c, &s->bridge_eligible);
  }
  return 0;
}

static int parse_statement(struct scn_cur *c, uint32_t *seen) {
  const char *kw = scn_next(c);
  int rc = parse_scalar(c, kw, seen);
  if (rc <= 0)
    return rc;
  if (strcmp(kw, "param") == 0)
    return scn_param_parse(c);
  if (strcmp(kw, "network") == 0)
    return parse_network(c);
  if (strcmp(kw, "skew") == 0)
    return parse_skew(c);
  if (strcmp(kw, "expect") == 0)
    return scn_expect_parse(c);
  if (strcmp(kw, "start") == 0)
    return scn_start_parse(c, 0, false);
  if (strcmp(kw, "adversary") == 0)
    return parse_adversary(c);
  if (strcmp(kw, "bridge") == 0)
    return parse_bridge(c, seen);
  if (strcmp(kw, "at") == 0)
    return parse_at(c);
  if (strcmp(kw, "raid") == 0)
    return scn_raid_parse(c);
  if (strcmp(kw, "capacity") == 0)
    return scn_capacity_parse(c);
  if (strcmp(kw, "faults") == 0)
    return scn_faults_parse(c);
  return scn_fail(c, "unknown directive '%s'", kw);
}

int scn_load(struct scenario *s, const char *path, char err[SCN_ERR_MAX]) {
  defaults(s, path);
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    snprintf(err, SCN_ERR_MAX, "%s: %s", path, strerror(errno));
    return -1;
  }
  char line[1024];
  int lineno = 0, rc = 0;
  uint32_t seen = 0;
  while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
    lineno++;
    struct scn_cur c = {.s = s, .line = lineno, .err = err};
    if (strchr(line, '\n') == NULL && !feof(f)) {
      rc = scn_fail(&c, "line is longer than %zu bytes", sizeof(line) - 2);
      break;
    }
    if (scn_tokenize(&c, line) != 0) {
      rc = -1;
      break;
    }
    if (c.n > 0)
      rc = parse_statement(&c, &seen) != 0 || scn_end(&c) != 0 ? -1 : 0;
  }
  fclose(f);
  if (rc != 0)
    scn_free(s);
  return rc;
}

void scn_free(struct scenario *s) {
  for (size_t i = 0; i < s->n_actions; i++)
    free(s->actions[i].groups);
  free(s->actions);
  free(s->expects);
  s->actions = NULL;
  s->expects = NULL;
  s->n_actions = s->n_expects = 0;
}
