/*
 * Asking the bridge's core to evaluate: something it depends on changed
 * (a membership change, a cursor that ended an episode).  Apart from the
 * core so that those who ask need nothing else of it.
 */
#include "bridge_state.h"

/* A change of the view asks for an evaluation, soon but not at once for
 * the consolidated view: debounce_ms gathers a burst of changes into one
 * post. */
void agent_bridge_poke(struct agent_bridge *b) {
  if (b == NULL || b->closing)
    return;
  b->evaluate = true;
  uint64_t soon = agent_bridge_now(b) + b->a->cfg->bridge.debounce_ms;
  if (b->post_due != AGENT_PUMP_NEVER && soon < b->post_due)
    b->post_due = soon;
  agent_pump_flush(&b->a->pump, &b->core);
}
