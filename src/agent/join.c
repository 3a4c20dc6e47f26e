/*
 * The first join of a start: the numeric seeds and the stored view's
 * members at once; seeds given by host name join as they resolve
 * (seeds.c).  A restarted agent finds its mesh with no --join at all.
 */
#include "agent_state.h"

void agent_join_mesh(struct agent *a) {
  struct mb_addr seeds[AGENT_MAX_SEEDS];
  size_t n = 0, restored = 0;
  for (size_t i = 0; i < a->cfg->n_join; i++)
    if (mb_addr_parse(a->cfg->join[i], &seeds[n]) == MB_OK)
      n++;
    else
      agent_seed_resolve(a, a->cfg->join[i]);
  agent_store_restore(a, seeds + n, &restored, MB_AGENT_MAX_JOIN);
  agent_records_restore_again(a); /* those signed by restored members */
  n += restored;
  if (n > 0) {
    swim_join(a->swim, agent_now(a), seeds, n);
    agent_join_started(a);
  }
}
