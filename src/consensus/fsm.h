/* Internal to src/consensus: libraft's FSM over the driver's (fsm.c). */
#ifndef MESHBEAT_CONSENSUS_FSM_H
#define MESHBEAT_CONSENSUS_FSM_H

struct mb_consensus;
/* Fills c->fsm; without the driver's snapshot and restore, libraft's are
 * NULL and the caller must keep libraft from ever snapshotting. */
void mb_consensus__fsm_init(struct mb_consensus *c);

#endif
