/*
 * Timed actions: `at T <action>` and `start ...`.  Each becomes one struct
 * scn_action; the simulator schedules them all before the run starts, in
 * file order, so actions at the same time apply in the order written.
 */
#include "scn_internal.h"

#include <stdlib.h>
#include <string.h>

struct scn_action *scn_action_new(struct scn_cur *c, enum scn_act kind,
                                  uint64_t at_us) {
  struct scenario *s = c->s;
  if (s->n_actions == s->cap_actions) {
    size_t cap = s->cap_actions ? 2 * s->cap_actions : 16;
    struct scn_action *a = realloc(s->actions, cap * sizeof(*a));
    if (a == NULL) {
      scn_fail(c, "out of memory");
      return NULL;
    }
    s->actions = a;
    s->cap_actions = cap;
  }
  struct scn_action *a = &s->actions[s->n_actions++];
  memset(a, 0, sizeof(*a));
  a->line = c->line;
  a->kind = kind;
  a->at_us = at_us;
  return a;
}

/* "node SET" or "nodes SET". */
static int get_nodes(struct scn_cur *c, struct scn_set *set) {
  if (!scn_accept(c, "node") && !scn_accept(c, "nodes"))
    return scn_fail(c, "expected 'node' followed by nodes, found '%s'",
                    scn_peek(c) ? scn_peek(c) : "end of line");
  return scn_get_set(c, set);
}

int scn_start_parse(struct scn_cur *c, uint64_t at_us, bool at_given) {
  struct scn_set set;
  if (scn_get_set(c, &set) != 0)
    return -1;
  if (!at_given &&
      (scn_want(c, "at") != 0 || scn_get_duration(c, &at_us, "at") != 0))
    return -1;
  struct scn_action *a = scn_action_new(c, SCN_START, at_us);
  if (a == NULL)
    return -1;
  a->set = set;
  if (scn_accept(c, "stagger") &&
      scn_get_duration(c, &a->delay_us, "stagger") != 0)
    return -1;
  if (scn_accept(c, "preload")) {
    if (a->delay_us > 0)
      return scn_fail(c, "preload: the nodes start together (no stagger)");
    a->preload = true;
    return 0;
  }
  if (!scn_accept(c, "join"))
    return 0;
  if (scn_accept(c, "via")) {
    a->join_via = true;
    return scn_get_set(c, &a->set2);
  }
  uint64_t k;
  if (scn_get_uint(c, &k, "join") != 0 || scn_want(c, "seeds") != 0)
    return -1;
  if (k < 1 || k > 64)
    return scn_fail(c, "join: between 1 and 64 seeds");
  a->join_k = (uint32_t)k;
  return 0;
}

/* "node SET", or "bridge": the node every up node names active (crash),
 * or the last one crashed so (restart); or "raid leader": the node whose
 * coordinator leads Raft (crash), or the last one crashed so (restart);
 * decided when the action runs. */
static int get_nodes_or_bridge(struct scn_cur *c, struct scn_action *a) {
  if (scn_accept(c, "bridge"))
    return a->on_bridge = true, 0;
  if (scn_accept(c, "raid")) {
    if (scn_want(c, "leader") != 0)
      return -1;
    if (!c->s->raid.any) /* needs the coordinators, like any raid line */
      c->s->raid.first_line = c->line;
    c->s->raid.any = true;
    return a->on_raid_leader = true, 0;
  }
  return get_nodes(c, &a->set);
}

static int parse_restart(struct scn_cur *c, struct scn_action *a) {
  if (get_nodes_or_bridge(c, a) != 0)
    return -1;
  if (scn_accept(c, "wipe"))
    a->wipe = true;
  else if (!scn_accept(c, "keep"))
    return scn_fail(c, "restart: expected 'keep' or 'wipe'");
  a->inc = SCN_INC_NEXT;
  if (scn_accept(c, "incarnation")) {
    if (!a->wipe)
      return scn_fail(c, "restart keep: the core keeps its incarnation");
    if (scn_accept(c, "old"))
      a->inc = SCN_INC_OLD;
    else if (scn_get_uint(c, &a->inc_value, "incarnation") != 0)
      return -1;
    else
      a->inc = SCN_INC_VALUE;
  }
  if (scn_accept(c, "seq")) {
    if (!a->wipe)
      return scn_fail(c, "restart keep: the core keeps its sequence");
    a->seq_fresh = true;
    return scn_want(c, "fresh");
  }
  return 0;
}

/* "[for D]": the action undoes itself after D. */
static int optional_for(struct scn_cur *c, struct scn_action *a) {
  if (!scn_accept(c, "for"))
    return 0;
  a->has_dur = true;
  if (scn_get_duration(c, &a->dur_us, "for") != 0)
    return -1;
  return a->dur_us ? 0 : scn_fail(c, "for: expected a duration above 0");
}

static int parse_partition(struct scn_cur *c, struct scn_action *a) {
  a->groups = calloc(SCN_GROUPS_MAX, sizeof(*a->groups));
  if (a->groups == NULL)
    return scn_fail(c, "out of memory");
  do {
    if (a->n_groups == SCN_GROUPS_MAX)
      return scn_fail(c, "partition: at most %d groups", SCN_GROUPS_MAX);
    if (scn_get_set(c, &a->groups[a->n_groups++]) != 0)
      return -1;
  } while (scn_accept(c, "|"));
  if (a->n_groups < 2)
    return scn_fail(c, "partition: expected at least two groups: A | B");
  return optional_for(c, a);
}

static int parse_link(struct scn_cur *c, struct scn_action *a) {
  if (scn_get_set(c, &a->set) != 0)
    return -1;
  if (scn_accept(c, "<->"))
    a->both = true;
  else if (scn_want(c, "->") != 0)
    return -1;
  if (scn_get_set(c, &a->set2) != 0)
    return -1;
  bool any = false;
  if (scn_accept(c, "loss")) {
    any = true;
    if (scn_get_percent(c, &a->loss, "loss") != 0)
      return -1;
  }
  if (scn_accept(c, "latency")) {
    any = a->has_lat = true;
    if (scn_get_latency(c, &a->lat) != 0)
      return -1;
  }
  if (!any)
    return scn_fail(c, "link: expected 'loss P' and/or 'latency D'");
  return optional_for(c, a);
}

/* cut, mute, deafen: "node SET [for D]", a link rule losing everything
 * both ways, outbound only or inbound only. */
static int parse_isolate(struct scn_cur *c, struct scn_action *a,
                         const char *how) {
  struct scn_set node;
  if (get_nodes(c, &node) != 0)
    return -1;
  struct scn_set all = {.all = true};
  bool in = how[0] == 'd';
  a->set = in ? all : node;
  a->set2 = in ? node : all;
  a->both = how[0] == 'c';
  a->loss = 1.0;
  return optional_for(c, a);
}

static int parse_attack(struct scn_cur *c, struct scn_action *a) {
  static const char *const kinds[] = {"dead_claim", "suspect_claim",
                                      "forge_acks"};
  if (get_nodes(c, &a->set) != 0)
    return -1;
  const char *t = scn_next(c);
  size_t k = 0;
  while (k < 3 && (t == NULL || strcmp(t, kinds[k]) != 0))
    k++;
  if (k == 3)
    return scn_fail(c,
                    "attack: expected dead_claim, suspect_claim or "
                    "forge_acks, found '%s'",
                    t ? t : "end of line");
  a->attack = (enum scn_attack)k;
  if (scn_get_set(c, &a->set2) != 0)
    return -1;
  if (a->attack == SCN_ATK_FORGE_ACKS)
    return optional_for(c, a);
  if (a->attack != SCN_ATK_SUSPECT_CLAIM || !scn_accept(c, "incarnation"))
    return 0;
  a->has_inc = true;
  if (scn_accept(c, "max")) {
    a->inc_max = true;
    return 0;
  }
  return scn_get_uint(c, &a->inc_value, "incarnation");
}

int scn_action_parse(struct scn_cur *c, uint64_t at_us) {
  static const struct {
    const char *word;
    enum scn_act kind;
  } words[] = {{"crash", SCN_CRASH},   {"restart", SCN_RESTART},
               {"freeze", SCN_FREEZE}, {"slow", SCN_SLOW},
               {"leave", SCN_LEAVE},   {"partition", SCN_PARTITION},
               {"heal", SCN_HEAL},     {"link", SCN_LINK},
               {"unlink", SCN_UNLINK}, {"network", SCN_NET_LOSS},
               {"cut", SCN_LINK},      {"mute", SCN_LINK},
               {"deafen", SCN_LINK},   {"attack", SCN_ATTACK},
               {"revoke", SCN_REVOKE}};
  const char *w = scn_next(c);
  if (w && strcmp(w, "start") == 0)
    return scn_start_parse(c, at_us, true);
  if (w && strcmp(w, "raid") == 0)
    return scn_raid_action_parse(c, at_us);
  for (size_t i = 0; w && i < sizeof(words) / sizeof(words[0]); i++) {
    if (strcmp(w, words[i].word) != 0)
      continue;
    struct scn_action *a = scn_action_new(c, words[i].kind, at_us);
    if (a == NULL)
      return -1;
    switch (a->kind) {
    case SCN_CRASH:
      return get_nodes_or_bridge(c, a);
    case SCN_LEAVE:
      return get_nodes(c, &a->set);
    case SCN_RESTART:
      return parse_restart(c, a);
    case SCN_FREEZE:
      return get_nodes(c, &a->set) || scn_want(c, "for") ||
                     scn_get_duration(c, &a->dur_us, "for")
                 ? -1
                 : 0;
    case SCN_SLOW:
      return get_nodes(c, &a->set) || scn_want(c, "by") ||
                     scn_get_duration(c, &a->delay_us, "by") ||
                     scn_want(c, "for") ||
                     scn_get_duration(c, &a->dur_us, "for")
                 ? -1
                 : 0;
    case SCN_PARTITION:
      return parse_partition(c, a);
    case SCN_LINK:
      return strcmp(w, "link") == 0 ? parse_link(c, a) : parse_isolate(c, a, w);
    case SCN_ATTACK:
      return parse_attack(c, a);
    case SCN_REVOKE: /* revoke node N [via node M] */
      return get_nodes(c, &a->set) ||
                     (scn_accept(c, "via") && get_nodes(c, &a->set2))
                 ? -1
                 : 0;
    case SCN_NET_LOSS:
      return scn_want(c, "loss") || scn_get_percent(c, &a->loss, "loss") ? -1
                                                                         : 0;
    default:
      return 0; /* heal, unlink: no arguments */
    }
  }
  return scn_fail(c,
                  "unknown action '%s' (start crash restart freeze slow "
                  "leave partition heal link unlink network cut mute "
                  "deafen attack revoke raid)",
                  w ? w : "end of line");
}
