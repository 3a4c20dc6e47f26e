/*
 * Verdicts of the `expect bridge_*` lines and the bridge's figures in the
 * run's summary (docs/sim.md, "The bridge").
 *
 * An offline event is justified when the mesh had a true reason to call
 * the member dead at that incarnation: the member crashed at it, or a
 * partition cut it off from part of the mesh while it held it.  Anything
 * else (a healthy member declared dead, or a crash reported under another
 * incarnation than the one it died at, which would give one transition
 * two ids) is a violation.
 */
#include "bridge.h"
#include "results.h"

#include <string.h>

static bool bit(const uint64_t *bits, uint32_t i) {
  return (bits[i / 64] >> (i % 64)) & 1;
}

static bool justified(const struct sim_bridge *b, uint32_t member,
                      uint64_t inc) {
  for (size_t k = 0; k < b->n_deaths; k++)
    if (b->deaths[k].member == member && b->deaths[k].incarnation == inc)
      return true;
  for (size_t k = 0; k < b->n_cuts; k++) {
    const struct sim_bridge_cutoff *c = &b->cuts[k];
    if (c->member == member && inc >= c->lo && (c->open || inc <= c->hi))
      return true;
  }
  return false;
}

static const struct sim_bridge_rec *find(const struct sim_bridge *b,
                                         uint32_t member,
                                         enum mb_bridge_event_type type,
                                         uint64_t inc) {
  for (size_t k = 0; k < b->n_recs; k++) {
    const struct sim_bridge_rec *r = &b->recs[k];
    if (r->member == member && r->type == type && r->incarnation == inc)
      return r;
  }
  return NULL;
}

/* Observers that must have seen a death through: up at the end, and up
 * since before it. */
static bool witness(const struct sim *s, uint32_t o,
                    const struct sim_bridge_death *d) {
  const struct sim_node *n = &s->nodes[o];
  return o != d->member && n->status == SIM_UP && n->up_since <= d->at;
}

/* Observers that should have derived the death's offline (and, once it
 * was back long enough, the online) but did not. */
static uint64_t misses(const struct sim *s, const struct sim_bridge_death *d,
                       uint64_t within, uint32_t *eg) {
  const struct sim_bridge *b = s->bridge;
  uint64_t need = b->offline_after_ms * SCN_US_PER_MS + within;
  uint64_t end = d->end == SIM_NEVER ? s->end : d->end, missed = 0;
  if (end - d->at < need)
    return 0; /* too short to be owed an event */
  const struct sim_bridge_rec *off =
      find(b, d->member, MB_BRIDGE_EV_OFFLINE, d->incarnation);
  const struct sim_bridge_rec *on =
      find(b, d->member, MB_BRIDGE_EV_ONLINE, d->incarnation);
  bool owed_online = d->end != SIM_NEVER && s->end - d->end >= within;
  for (uint32_t o = 0; o < s->n; o++) {
    if (!witness(s, o, d))
      continue;
    bool miss = off == NULL || !bit(off->by, o) ||
                (owed_online && (on == NULL || !bit(on->by, o)));
    if (miss && missed++ == 0)
      *eg = o;
  }
  return missed;
}

/* Another id for the same transition (member, type, incarnation)? */
static bool split(const struct sim_bridge *b, size_t k) {
  const struct sim_bridge_rec *r = &b->recs[k];
  for (size_t j = 0; j < k; j++)
    if (b->recs[j].member == r->member && b->recs[j].type == r->type &&
        b->recs[j].incarnation == r->incarnation)
      return true;
  return false;
}

void sim_bridge_one_id(const struct sim *s, const struct scn_expect *e,
                       struct sim_bridge_measure *m) {
  const struct sim_bridge *b = s->bridge;
  uint64_t within = (uint64_t)(e->within_s * SCN_US_PER_S);
  size_t conflicts = 0, unjustified = 0, splits = 0;
  uint64_t missed = 0;
  uint32_t eg = SIM_NONE, eg_member = SIM_NONE;
  for (size_t k = 0; k < b->n_recs; k++) {
    const struct sim_bridge_rec *r = &b->recs[k];
    bool odd = r->conflicts > 0 || split(b, k) ||
               !justified(b, r->member, r->incarnation);
    conflicts += r->conflicts > 0;
    splits += split(b, k);
    unjustified += !justified(b, r->member, r->incarnation);
    if (odd && eg_member == SIM_NONE)
      eg_member = r->member;
  }
  for (size_t k = 0; k < b->n_deaths; k++) {
    uint64_t x = misses(s, &b->deaths[k], within, &eg);
    if (x > 0 && eg_member == SIM_NONE)
      eg_member = b->deaths[k].member;
    missed += x;
  }
  m->have = true;
  m->v = (double)(conflicts + splits + unjustified + missed);
  if (m->v == 0)
    snprintf(m->note, sizeof(m->note),
             "%zu ids, one per transition, same body everywhere", b->n_recs);
  else
    snprintf(m->note, sizeof(m->note),
             "%zu ids with two bodies, %zu extra ids, %zu unjustified, "
             "%llu missed (e.g. about node %u)",
             conflicts, splits, unjustified, (unsigned long long)missed,
             eg_member);
}

static const char *cause_name(enum sim_bridge_cause c) {
  return c == SIM_BA_START ? "start" : c == SIM_BA_CRASH ? "crash" : "heal";
}

void sim_bridge_single_active(const struct sim *s,
                              struct sim_bridge_measure *m) {
  const struct sim_bridge *b = s->bridge;
  size_t found = 0;
  m->have = true;
  for (size_t k = 0; k < b->n_settle; k++) {
    const struct sim_bridge_settle *st = &b->settle[k];
    if (st->cause == SIM_BA_START)
      continue;
    found++;
    if (st->done == SIM_NEVER) {
      m->have = false;
      snprintf(m->note, sizeof(m->note), "%s at %.3fs: never one active",
               cause_name(st->cause), (double)st->at / SCN_US_PER_S);
      return;
    }
    double v = (double)(st->done - st->at) / SCN_US_PER_S;
    m->v = found == 1 || v > m->v ? v : m->v;
  }
  if (!b->agreed) {
    m->have = false;
    snprintf(m->note, sizeof(m->note), "no single active bridge at the end");
  } else if (found == 0) {
    m->have = false;
    snprintf(m->note, sizeof(m->note),
             "no crash of the active bridge, no heal");
  } else {
    snprintf(m->note, sizeof(m->note), "worst of %zu; node %u at the end",
             found, b->agreed_on);
  }
}

void sim_bridge_events(const struct sim *s, struct sim_bridge_measure *m) {
  const struct sim_bridge *b = s->bridge;
  m->have = true;
  m->v = (double)b->n_recs;
  snprintf(m->note, sizeof(m->note), "%llu derivations",
           (unsigned long long)b->derivations);
}

json_t *sim_bridge_json(const struct sim *s) {
  const struct sim_bridge *b = s->bridge;
  if (b == NULL)
    return NULL;
  json_t *ids = json_array(), *settle = json_array();
  for (size_t k = 0; ids && k < b->n_recs; k++) {
    const struct sim_bridge_rec *r = &b->recs[k];
    json_array_append_new(
        ids,
        json_pack("{s:s, s:s, s:i, s:I, s:o, s:i, s:i}", "id", r->id, "type",
                  mb_bridge_event_type_name(r->type), "member", (int)r->member,
                  "incarnation", (json_int_t)r->incarnation, "first",
                  sim_json_seconds(r->first), "derived", (int)r->derivations,
                  "other_bodies", (int)r->conflicts));
  }
  for (size_t k = 0; settle && k < b->n_settle; k++) {
    const struct sim_bridge_settle *st = &b->settle[k];
    json_array_append_new(
        settle, json_pack("{s:s, s:o, s:o}", "after", cause_name(st->cause),
                          "at", sim_json_seconds(st->at), "single_at",
                          st->done == SIM_NEVER ? json_null()
                                                : sim_json_seconds(st->done)));
  }
  return json_pack("{s:I, s:I, s:I, s:o, s:o, s:o}", "offline_after_ms",
                   (json_int_t)b->offline_after_ms, "steps",
                   (json_int_t)b->steps, "derivations",
                   (json_int_t)b->derivations, "ids", ids, "single_active",
                   settle, "active_at_end",
                   b->agreed ? json_integer(b->agreed_on) : json_null());
}

void sim_bridge_summary(const struct sim *s, FILE *out) {
  const struct sim_bridge *b = s->bridge;
  if (b == NULL)
    return;
  size_t offline = 0, conflicts = 0;
  for (size_t k = 0; k < b->n_recs; k++) {
    offline += b->recs[k].type == MB_BRIDGE_EV_OFFLINE;
    conflicts += b->recs[k].conflicts > 0;
  }
  fprintf(out,
          "bridge: offline_after %.3fs, %llu steps, %llu derivations, %zu "
          "ids (%zu offline, %zu online), %zu with two bodies, %llu "
          "changes of a node's active bridge\n",
          (double)b->offline_after_ms / 1000, (unsigned long long)b->steps,
          (unsigned long long)b->derivations, b->n_recs, offline,
          b->n_recs - offline, conflicts, (unsigned long long)b->handovers);
  for (size_t k = 0; k < b->n_recs; k++) {
    const struct sim_bridge_rec *r = &b->recs[k];
    fprintf(out, "bridge:   %s %s node %u inc %llu first %.3fs by %u\n", r->id,
            mb_bridge_event_type_name(r->type), r->member,
            (unsigned long long)r->incarnation, (double)r->first / SCN_US_PER_S,
            r->derivations);
  }
  for (size_t k = 0; k < b->n_settle; k++) {
    const struct sim_bridge_settle *st = &b->settle[k];
    fprintf(out, "bridge: single active after the %s at %.3fs",
            cause_name(st->cause), (double)st->at / SCN_US_PER_S);
    if (st->cause == SIM_BA_CRASH)
      fprintf(out, " (of node %u)", st->node);
    if (st->done == SIM_NEVER)
      fprintf(out, ": never\n");
    else
      fprintf(out, ": %.3fs later\n",
              (double)(st->done - st->at) / SCN_US_PER_S);
  }
  if (b->agreed)
    fprintf(out, "bridge: at the end, every up node names node %u\n",
            b->agreed_on);
  else
    fprintf(out, "bridge: at the end, no single active bridge\n");
}
