/*
 * `faults random from T until T2 every P [max_down N]` (docs/sim.md,
 * "Random faults"): from T, every P, a fault drawn from the run's seed;
 * at T2 everything healed.  What the faults are is faults_random.c's.
 */
#include "scn_internal.h"

#include <stdio.h>

int scn_faults_parse(struct scn_cur *c) {
  struct scn_faults *f = &c->s->faults;
  if (f->on)
    return scn_fail(c, "faults given twice");
  if (scn_want(c, "random") != 0 || scn_want(c, "from") != 0 ||
      scn_get_duration(c, &f->from_us, "from") != 0 ||
      scn_want(c, "until") != 0 ||
      scn_get_duration(c, &f->until_us, "until") != 0 ||
      scn_want(c, "every") != 0 ||
      scn_get_duration(c, &f->every_us, "every") != 0)
    return -1;
  f->on = true;
  f->line = c->line;
  f->max_down = 1;
  if (f->until_us <= f->from_us)
    return scn_fail(c, "faults random: until must be after from");
  if (f->every_us == 0)
    return scn_fail(c, "faults random: every must be above 0");
  uint64_t v;
  if (scn_accept(c, "max_down")) {
    if (scn_get_uint(c, &v, "max_down") != 0)
      return -1;
    if (v < 1 || v > 1000)
      return scn_fail(c, "faults random: max_down %llu is not 1..1000",
                      (unsigned long long)v);
    f->max_down = (uint32_t)v;
  }
  return 0;
}

int scn_faults_resolve(const struct scenario *s, char err[SCN_ERR_MAX]) {
  const struct scn_faults *f = &s->faults;
  if (!f->on)
    return 0;
  if (f->until_us > s->duration_us) {
    snprintf(err, SCN_ERR_MAX,
             "%s:%d: faults random: until is after the end of the run", s->path,
             f->line);
    return -1;
  }
  if (f->max_down >= s->nodes) {
    snprintf(err, SCN_ERR_MAX,
             "%s:%d: faults random: max_down %u leaves no node up (nodes %u)",
             s->path, f->line, f->max_down, s->nodes);
    return -1;
  }
  return 0;
}
