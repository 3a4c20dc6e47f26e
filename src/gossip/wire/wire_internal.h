/* Helpers shared by the files of the wire layer; not part of its API. */
#ifndef MESHBEAT_WIRE_INTERNAL_H
#define MESHBEAT_WIRE_INTERNAL_H

#include "mb_wire.h"

void wire_write_addr(struct mb_cbor_writer *w, const struct mb_addr *a);
int wire_read_addr(struct mb_cbor_reader *r, struct mb_addr *a);
int wire_read_node_id(struct mb_cbor_reader *r, uint8_t *id);
void wire_write_msg(struct mb_cbor_writer *w, const struct mb_msg *m);
int wire_read_msg(struct mb_cbor_reader *r, struct mb_msg *m);

#endif
