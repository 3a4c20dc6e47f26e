/*
 * Damping of members that keep dying and coming back.
 *
 * A member on a bad link, or one that loses its ingress now and then, is
 * declared dead, refutes when it can hear again, is re-admitted, and is
 * declared dead again: every view flips it every cycle, and each flip is
 * an event that later layers act on (Rapid, ATC 2018, §7 shows memberlist
 * doing exactly this).  So, as Ceph holds an OSD down that was marked
 * down too often (osd_max_markdown_count) and Rapid keeps membership
 * stable, a member that dies a third time within FLAP_WINDOW_MS is held
 * out when it comes back: it stays dead in our view for flap_hold_ms,
 * doubling with every further death in the window (up to FLAP_HOLD_MAX_MS),
 * and is re-admitted when the hold ends if its record says it is alive.
 *
 * Only verdicts count as deaths, and a verdict needs a quorum of signed
 * accusations (evidence.c): a member that is merely slow refutes in time
 * and is never declared dead at all.  One that is overloaded for a while
 * (sim/scenarios/slow.scn: 300 ms per input for 20 s) may die twice in
 * that one episode; it is let back in as soon as it answers again, so the
 * hold starts at the third death.  A graceful leave is not a death.
 *
 * The table is small and lives apart from the member table: few members
 * flap, and a simulator of n cores holds n² members.
 */
#include "swim_internal.h"

#include <string.h>

#define FLAP_WINDOW_MS 3600000ull   /* deaths counted within an hour */
#define FLAP_HOLD_MAX_MS 3600000ull /* the longest hold */
#define FLAP_DEATHS 3               /* deaths in the window before a hold */

static const struct flap *flap_lookup(const struct swim *s, const uint8_t *id) {
  for (size_t i = 0; i < SWIM_FLAPS; i++)
    if (s->flaps[i].deaths > 0 &&
        memcmp(s->flaps[i].ref, id, MB_NODE_REF_LEN) == 0)
      return &s->flaps[i];
  return NULL;
}

static struct flap *flap_find(struct swim *s, const uint8_t *id) {
  return (struct flap *)flap_lookup(s, id); /* s is ours to change */
}

/* A free entry, or the one whose last death is oldest. */
static struct flap *flap_take(struct swim *s) {
  struct flap *f = &s->flaps[0];
  for (size_t i = 0; i < SWIM_FLAPS; i++) {
    if (s->flaps[i].deaths == 0)
      return &s->flaps[i];
    if (s->flaps[i].last_death < f->last_death)
      f = &s->flaps[i];
  }
  return f;
}

void swim_flap_death(struct swim *s, const struct member *m) {
  if (s->cfg.flap_hold_ms == 0)
    return;
  struct flap *f = flap_find(s, m->id);
  if (f != NULL && s->now - f->last_death > FLAP_WINDOW_MS)
    f->deaths = 0;
  if (f == NULL || f->deaths == 0) {
    f = flap_take(s);
    memset(f, 0, sizeof(*f));
    memcpy(f->ref, m->id, MB_NODE_REF_LEN);
  }
  if (f->deaths < UINT16_MAX)
    f->deaths++;
  f->last_death = s->now;
  f->incarnation = m->incarnation;
  f->held_until = 0;
  f->hold_over = false;
}

static uint64_t hold_for(const struct swim *s, uint32_t deaths) {
  uint64_t hold = s->cfg.flap_hold_ms;
  for (uint32_t i = FLAP_DEATHS; i < deaths && hold < FLAP_HOLD_MAX_MS; i++)
    hold *= 2;
  return hold < FLAP_HOLD_MAX_MS ? hold : FLAP_HOLD_MAX_MS;
}

bool swim_flap_hold(struct swim *s, const struct member *m) {
  struct flap *f = flap_find(s, m->id);
  if (f == NULL || f->deaths < FLAP_DEATHS ||
      s->now - f->last_death > FLAP_WINDOW_MS)
    return false;
  if (f->held_until == 0) {
    f->held_until = s->now + hold_for(s, f->deaths);
    s->stats.flap_holds++;
  }
  return s->now < f->held_until;
}

/* Holds that ended: a member whose latest record says alive comes back. */
void swim_flap_tick(struct swim *s) {
  for (size_t i = 0; i < SWIM_FLAPS; i++) {
    struct flap *f = &s->flaps[i];
    if (f->deaths == 0 || f->held_until == 0 || f->hold_over ||
        s->now < f->held_until)
      continue;
    f->hold_over = true;
    struct member *m = swim_member_by_ref(s, f->ref);
    struct mb_heartbeat hb;
    if (m != NULL && m->state == SWIM_DEAD && swim_member_hb(m, &hb) == MB_OK &&
        hb.status == MB_HB_ALIVE && hb.incarnation == m->incarnation &&
        m->incarnation > f->incarnation)
      swim_member_readmit(s, m);
  }
}

bool swim_flap_holding(const struct swim *s, const struct member *m) {
  const struct flap *f = flap_lookup(s, m->id);
  return f != NULL && f->held_until > 0 && !f->hold_over;
}

uint64_t swim_flap_deadline(const struct swim *s) {
  uint64_t d = SWIM_NEVER;
  for (size_t i = 0; i < SWIM_FLAPS; i++)
    if (s->flaps[i].deaths > 0 && s->flaps[i].held_until > 0 &&
        !s->flaps[i].hold_over && s->flaps[i].held_until < d)
      d = s->flaps[i].held_until;
  return d;
}
