/*
 * libFuzzer target: an instruction's body (channel kind 22), as the
 * authority's or a bridge's record may carry it.  Besides "no crash":
 * what decodes has its op and id within their bounds and valid UTF-8,
 * an op named "drain" or "undrain" and no other is known, it decodes
 * alike twice, and it encodes again to a body that decodes the same;
 * what is refused leaves nothing behind.
 */
#include "fuzz_common.h"
#include "mb_wire.h"

static void check_same(const struct mb_instruction *a,
                       const struct mb_instruction *b) {
  FUZZ_CHECK(a->op == b->op);
  FUZZ_CHECK(strcmp(a->name, b->name) == 0);
  FUZZ_CHECK(strcmp(a->id, b->id) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct mb_instruction in, again;
  int rc = mb_wire_instruction_parse(data, size, &in);
  FUZZ_CHECK(mb_wire_instruction_parse(data, size, &again) == rc);
  if (rc != MB_OK) {
    struct mb_instruction zero;
    memset(&zero, 0, sizeof(zero));
    FUZZ_CHECK(memcmp(&in, &zero, sizeof(in)) == 0);
    return 0;
  }
  check_same(&in, &again);
  FUZZ_CHECK(mb_text_ok(in.name, MB_INSTRUCTION_OP_MAX));
  FUZZ_CHECK(mb_text_ok(in.id, MB_INSTRUCTION_ID_MAX));
  bool known = strcmp(in.name, "drain") == 0 || strcmp(in.name, "undrain") == 0;
  FUZZ_CHECK(known == (in.op != MB_INSTR_OTHER));
  if (known)
    FUZZ_CHECK(strcmp(in.name, mb_instruction_op_name(in.op)) == 0);
  uint8_t body[MB_CHANNEL_BODY_MAX];
  size_t len;
  rc = mb_wire_instruction_body(&in, body, sizeof(body), &len);
  /* An empty op decodes (as an unknown one) but is no op to write. */
  FUZZ_CHECK(rc == (in.name[0] == '\0' ? MB_EINVAL : MB_OK));
  if (rc == MB_OK) {
    FUZZ_CHECK(len <= size);
    FUZZ_CHECK(mb_wire_instruction_parse(body, len, &again) == MB_OK);
    check_same(&in, &again);
  }
  return 0;
}
