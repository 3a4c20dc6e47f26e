/*
 * The body of an instruction (channel kind 22): what the operator, or the
 * central endpoint through the active bridge, asks of one device.  Its
 * subject is the device's node id; drain and undrain are the ops this
 * version knows.  Another op decodes (MB_INSTR_OTHER, its text kept) so a
 * newer one travels through older members unchanged.
 *
 *   instruction body = {1: op, ?2: id}
 */
#include "wire_internal.h"

#include <string.h>

enum instruction_key { INS_OP = 1, INS_ID = 2 };

#define INSTRUCTION_MAX_PAIRS 8

const char *mb_instruction_op_name(enum mb_instruction_op op) {
  switch (op) {
  case MB_INSTR_DRAIN:
    return "drain";
  case MB_INSTR_UNDRAIN:
    return "undrain";
  case MB_INSTR_OTHER:
    break;
  }
  return "other";
}

static enum mb_instruction_op op_of(const char *name) {
  if (strcmp(name, "drain") == 0)
    return MB_INSTR_DRAIN;
  if (strcmp(name, "undrain") == 0)
    return MB_INSTR_UNDRAIN;
  return MB_INSTR_OTHER;
}

int mb_wire_instruction_body(const struct mb_instruction *in, uint8_t *out,
                             size_t cap, size_t *len) {
  const char *op = in->name[0] != '\0'        ? in->name
                   : in->op != MB_INSTR_OTHER ? mb_instruction_op_name(in->op)
                                              : NULL;
  if (op == NULL || !mb_text_ok(in->name, MB_INSTRUCTION_OP_MAX) ||
      !mb_text_ok(in->id, MB_INSTRUCTION_ID_MAX))
    return MB_EINVAL;
  struct mb_cbor_writer w;
  mb_cw_init(&w, out, cap);
  bool id = in->id[0] != '\0';
  mb_cw_map(&w, 1 + (size_t)id);
  mb_cw_uint(&w, INS_OP), mb_cw_textz(&w, op);
  if (id)
    mb_cw_uint(&w, INS_ID), mb_cw_textz(&w, in->id);
  int rc = mb_cw_status(&w);
  if (rc == MB_OK)
    *len = w.len;
  return rc;
}

static int read_instruction_field(struct mb_cbor_reader *r, int64_t key,
                                  void *ctx) {
  struct mb_instruction *in = ctx;
  if (key == INS_OP)
    return mb_cr_text_copy(r, in->name, MB_INSTRUCTION_OP_MAX);
  if (key == INS_ID)
    return mb_cr_text_copy(r, in->id, MB_INSTRUCTION_ID_MAX);
  return mb_cr_skip(r);
}

int mb_wire_instruction_parse(const uint8_t *body, size_t len,
                              struct mb_instruction *out) {
  memset(out, 0, sizeof(*out));
  if (body == NULL)
    return MB_EMISSING;
  if (len > MB_CHANNEL_BODY_MAX)
    return MB_ETOOBIG;
  uint32_t seen;
  int rc = mb_cr_map_walk_all(body, len, INSTRUCTION_MAX_PAIRS,
                              read_instruction_field, out, &seen);
  if (rc == MB_OK && !(seen & (1u << INS_OP)))
    rc = MB_EMISSING;
  if (rc != MB_OK) {
    memset(out, 0, sizeof(*out));
    return rc;
  }
  out->op = op_of(out->name);
  return MB_OK;
}
