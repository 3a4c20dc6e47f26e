/*
 * The heartbeat's payload (capacity, free space, health): sampled from the
 * machine (sysinfo.c) at start and every payload_interval_ms, and handed
 * to the gossip core, which announces it at once only when it changed
 * enough to matter (agent_payload_changed); otherwise it rides on the next
 * heartbeat.
 */
#include "agent_state.h"

void agent_payload_first(struct agent *a) {
  agent_sample_payload(&a->payload, a->data_dir);
  swim_set_payload(a->swim, agent_now(a), agent_wall_ms(), a->payload.capacity,
                   a->payload.available, &a->payload.health, false);
  a->told = a->payload;
}

static void on_payload_timer(uv_timer_t *t) {
  struct agent *a = t->data;
  agent_sample_payload(&a->payload, a->data_dir);
  bool announce = agent_payload_changed(&a->payload, &a->told);
  swim_set_payload(a->swim, agent_now(a), agent_wall_ms(), a->payload.capacity,
                   a->payload.available, &a->payload.health, announce);
  if (announce)
    a->told = a->payload;
  agent_flush(a);
}

void agent_payload_start(struct agent *a) {
  uv_timer_init(&a->loop, &a->payload_timer);
  a->payload_timer.data = a;
  if (a->cfg->payload_interval_ms > 0)
    uv_timer_start(&a->payload_timer, on_payload_timer,
                   a->cfg->payload_interval_ms, a->cfg->payload_interval_ms);
}
