/*
 * Unit tests for the bridge's channel records in the gossip core
 * (channel/policy.c, take.c, instruction.c, eligible.c), on the
 * in-process mesh: a bridge cursor is about its signer only and needs a
 * bridge-eligible signer; an instruction needs the authority or an
 * eligible member (in an open mesh, anyone); a certified member that is
 * not eligible publishes neither, offered or in gossip, and is counted;
 * eligibility (certificate role, listed name, open mesh) shows in every
 * member's view; a drain instruction shows its subject draining on every
 * node, the subject's own heartbeat carries the flag (also when the
 * instruction came from its store and travels nowhere), and an undrain
 * clears it.
 */
#include "test_util.h"

#include <stdio.h>
#include <string.h>

#include "swim_fixture.h"

#define AAD ((const uint8_t *)FX_CLUSTER), strlen(FX_CLUSTER)
#define BRIDGE 1 /* certified with the role "bridge" */
#define PLAIN 2  /* certified, not eligible: tries to publish anyway */
#define DEVICE 3 /* the device instructed */
#define NODES 5
#define ISSUED_MS 1790000000000

static uint64_t rejected(const struct fixture *fx, int i) {
  struct swim_stats st;
  swim_get_stats(fx->node[i], &st);
  return st.rejected[SWIM_REJ_RECORD];
}

static struct swim_member_info member(struct fixture *fx, int i, int j) {
  struct swim_member_info info;
  long k = swim_member_find(fx->node[i], fx->id[j].pk);
  assert_true(k >= 0);
  assert_ok(swim_member_get(fx->node[i], (size_t)k, &info));
  return info;
}

/* The draining flag in node j's heartbeat record as node i holds it. */
static bool heartbeat_draining(struct fixture *fx, int i, int j) {
  long k = swim_member_find(fx->node[i], fx->id[j].pk);
  assert_true(k >= 0);
  struct mb_bytes rec, cert;
  assert_ok(swim_member_raw(fx->node[i], (size_t)k, &rec, &cert));
  struct mb_record r;
  assert_ok(mb_wire_record_parse(rec.p, rec.len, &r));
  assert_int_equal(r.kind, MB_REC_HEARTBEAT);
  return r.u.hb.draining;
}

static size_t held_of_kind(struct swim *s, enum mb_record_kind kind) {
  size_t n = 0;
  for (size_t k = 0; k < swim_record_count(s); k++) {
    struct swim_record_info info;
    assert_ok(swim_record_get(s, k, &info, NULL));
    n += info.kind == kind;
  }
  return n;
}

/* A channel record of kind about subject (subject_len bytes) with body. */
static size_t channel_rec(const struct mb_identity *signer,
                          enum mb_record_kind kind, const uint8_t *subject,
                          size_t subject_len, uint64_t version,
                          const uint8_t *body, size_t body_len, uint8_t *out,
                          size_t cap) {
  struct mb_channel_record c = {.subject_len = subject_len,
                                .version = version,
                                .issued_ms = ISSUED_MS + (int64_t)version,
                                .body = body,
                                .body_len = body_len};
  memcpy(c.subject, subject, subject_len);
  size_t n;
  assert_ok(mb_wire_channel_sign(signer, AAD, kind, &c, out, cap, &n));
  return n;
}

static size_t cursor_rec(const struct mb_identity *signer,
                         const uint8_t *subject, size_t subject_len,
                         uint64_t version, uint8_t *out, size_t cap) {
  struct mb_bridge_cursor cur = {.n_events = 1, .delivered = 5, .pending = 1};
  memset(cur.events[0], 0x42, MB_CURSOR_EVENT_ID_LEN);
  uint8_t body[MB_CHANNEL_BODY_MAX];
  size_t len;
  assert_ok(mb_wire_cursor_body(&cur, body, sizeof body, &len));
  return channel_rec(signer, MB_REC_BRIDGE_CURSOR, subject, subject_len,
                     version, body, len, out, cap);
}

static size_t instruction_rec(const struct mb_identity *signer,
                              const uint8_t *subject, enum mb_instruction_op op,
                              uint64_t version, uint8_t *out, size_t cap) {
  struct mb_instruction in = {.op = op};
  snprintf(in.id, sizeof in.id, "ins-%llu", (unsigned long long)version);
  uint8_t body[MB_CHANNEL_BODY_MAX];
  size_t len;
  assert_ok(mb_wire_instruction_body(&in, body, sizeof body, &len));
  return channel_rec(signer, MB_REC_INSTRUCTION, subject, MB_NODE_ID_LEN,
                     version, body, len, out, cap);
}

/* rec, gossiped to node `to` by an admitted outsider (which carries its
 * own certificate; the signer's is the one the receiver holds). */
static void gossip_to(struct fixture *fx, int to, const uint8_t *rec, size_t n,
                      uint64_t seq) {
  struct mb_msg msg = {.kind = MB_MSG_GOSSIP};
  struct mb_dgram_builder b;
  uint8_t dg[1400];
  size_t len;
  assert_ok(mb_dgram_init(&b, &fx->id[FX_OUTSIDER], AAD, 1400, seq, &msg));
  fx_bind(fx, &b, to);
  assert_ok(
      mb_dgram_add_cert(&b, fx->cert[FX_OUTSIDER], fx->cert_len[FX_OUTSIDER]));
  assert_ok(mb_dgram_add_record(&b, rec, n));
  assert_ok(mb_dgram_finish(&b, dg, sizeof dg, &len));
  fx_inject(fx, to, 0, dg, len);
}

/* n nodes, BRIDGE certified as one, converged. */
static void start_mesh(struct fixture *fx, int n) {
  fx_init(fx, n);
  fx->bridge_role[BRIDGE] = true;
  fx_start_all(fx);
  fx_run_until(fx, 4000);
  assert_true(fx_converged(fx));
}

/* A cursor speaks for its signer only: about another node it is refused
 * (MB_ESUBJECT, counted when it comes in gossip), a subject that is no
 * node id is out of range; about itself it is taken and reaches every
 * member. */
static void test_cursor_about_its_signer(void **state) {
  (void)state;
  struct fixture fx;
  start_mesh(&fx, NODES);
  struct swim *s = fx.node[0];
  uint8_t rec[512];
  size_t n = cursor_rec(&fx.id[BRIDGE], fx.id[DEVICE].pk, MB_NODE_ID_LEN, 10,
                        rec, sizeof rec);
  assert_rc(swim_record_offer(s, fx.now, rec, n), MB_ESUBJECT);
  uint64_t before = rejected(&fx, 0);
  gossip_to(&fx, 0, rec, n, 1u << 30);
  assert_int_equal(rejected(&fx, 0) - before, 1);
  n = cursor_rec(&fx.id[BRIDGE], fx.id[BRIDGE].pk, 16, 11, rec, sizeof rec);
  assert_rc(swim_record_offer(s, fx.now, rec, n), MB_ERANGE);
  assert_int_equal(swim_record_count(s), 0);

  n = cursor_rec(&fx.id[BRIDGE], fx.id[BRIDGE].pk, MB_NODE_ID_LEN, 12, rec,
                 sizeof rec);
  assert_ok(swim_record_offer(s, fx.now, rec, n));
  fx_drain(&fx, 0);
  fx_run_until(&fx, fx.now + 2000);
  for (int i = 0; i < NODES; i++) {
    assert_int_equal(held_of_kind(fx.node[i], MB_REC_BRIDGE_CURSOR), 1);
    struct swim_record_info info;
    assert_ok(swim_record_get(fx.node[i], 0, &info, NULL));
    assert_memory_equal(info.subject, fx.id[BRIDGE].pk, MB_NODE_ID_LEN);
    assert_int_equal(info.version, 12);
  }
  fx_free(&fx);
}

/* A certified member that may not be the bridge publishes neither kind:
 * offered, each is refused; in gossip, each is counted and dropped, and
 * after the mesh gossiped a while nobody holds one, nor shows the device
 * it named draining. */
static void test_not_eligible_member_cannot_publish(void **state) {
  (void)state;
  struct fixture fx;
  start_mesh(&fx, NODES);
  uint8_t cur[512], ins[512];
  size_t nc = cursor_rec(&fx.id[PLAIN], fx.id[PLAIN].pk, MB_NODE_ID_LEN, 20,
                         cur, sizeof cur);
  size_t ni = instruction_rec(&fx.id[PLAIN], fx.id[DEVICE].pk, MB_INSTR_DRAIN,
                              21, ins, sizeof ins);
  assert_rc(swim_record_offer(fx.node[0], fx.now, cur, nc), MB_ESIGNER);
  assert_rc(swim_record_offer(fx.node[0], fx.now, ins, ni), MB_ESIGNER);
  /* Its own core refuses them as well: nothing to relay. */
  assert_rc(swim_record_offer(fx.node[PLAIN], fx.now, cur, nc), MB_ESIGNER);
  for (int i = 0; i < NODES; i++) {
    uint64_t before = rejected(&fx, i);
    gossip_to(&fx, i, cur, nc, (1u << 30) + 2 * (uint64_t)i);
    gossip_to(&fx, i, ins, ni, (1u << 30) + 2 * (uint64_t)i + 1);
    assert_int_equal(rejected(&fx, i) - before, 2);
  }
  fx_run_until(&fx, fx.now + 5000);
  for (int i = 0; i < NODES; i++) {
    assert_int_equal(swim_record_count(fx.node[i]), 0);
    assert_false(member(&fx, i, DEVICE).draining);
    assert_false(member(&fx, i, PLAIN).bridge_eligible);
  }
  assert_false(heartbeat_draining(&fx, DEVICE, DEVICE));
  fx_free(&fx);
}

/* Who may instruct: the authority, a bridge-eligible member; not a
 * subject that is no node id, nor a body that does not decode.  In an
 * open mesh anyone instructs, and an empty list makes every member
 * eligible for cursors; a list narrows cursors to the names on it. */
static void test_instruction_signers(void **state) {
  (void)state;
  struct fixture fx;
  start_mesh(&fx, NODES);
  struct swim *s = fx.node[0];
  uint8_t rec[512];
  size_t n = instruction_rec(&fx.authority, fx.id[DEVICE].pk, MB_INSTR_DRAIN,
                             30, rec, sizeof rec);
  assert_ok(swim_record_offer(s, fx.now, rec, n));
  n = instruction_rec(&fx.id[BRIDGE], fx.id[DEVICE].pk, MB_INSTR_UNDRAIN, 31,
                      rec, sizeof rec);
  assert_ok(swim_record_offer(s, fx.now, rec, n));
  assert_int_equal(held_of_kind(s, MB_REC_INSTRUCTION), 1);
  n = channel_rec(&fx.authority, MB_REC_INSTRUCTION, fx.id[DEVICE].pk, 16, 32,
                  (const uint8_t *)"\xa1\x01\x65"
                                   "drain",
                  8, rec, sizeof rec);
  assert_rc(swim_record_offer(s, fx.now, rec, n), MB_ERANGE);
  n = channel_rec(&fx.authority, MB_REC_INSTRUCTION, fx.id[DEVICE].pk,
                  MB_NODE_ID_LEN, 33, (const uint8_t *)"\xa1\x01\x41x", 4, rec,
                  sizeof rec);
  assert_rc(swim_record_offer(s, fx.now, rec, n), MB_ETYPE);
  n = channel_rec(&fx.authority, MB_REC_INSTRUCTION, fx.id[DEVICE].pk,
                  MB_NODE_ID_LEN, 34, NULL, 0, rec, sizeof rec);
  assert_rc(swim_record_offer(s, fx.now, rec, n), MB_EMISSING);
  fx_free(&fx);

  fx_init(&fx, 3);
  fx.cfg.require_cert = false;
  fx_start_all(&fx);
  fx_run_until(&fx, 4000);
  n = instruction_rec(&fx.id[2], fx.id[1].pk, MB_INSTR_DRAIN, 40, rec,
                      sizeof rec);
  assert_ok(swim_record_offer(fx.node[0], fx.now, rec, n));
  n = cursor_rec(&fx.id[2], fx.id[2].pk, MB_NODE_ID_LEN, 41, rec, sizeof rec);
  assert_ok(swim_record_offer(fx.node[0], fx.now, rec, n));
  fx_free(&fx);

  fx_init(&fx, 3);
  fx.cfg.require_cert = false;
  strcpy(fx.cfg.bridge_eligible[0], "n1");
  fx.cfg.n_bridge_eligible = 1;
  fx_start_all(&fx);
  fx_run_until(&fx, 4000);
  assert_true(fx_converged(&fx));
  n = cursor_rec(&fx.id[2], fx.id[2].pk, MB_NODE_ID_LEN, 50, rec, sizeof rec);
  assert_rc(swim_record_offer(fx.node[0], fx.now, rec, n), MB_ESIGNER);
  n = cursor_rec(&fx.id[1], fx.id[1].pk, MB_NODE_ID_LEN, 51, rec, sizeof rec);
  assert_ok(swim_record_offer(fx.node[0], fx.now, rec, n));
  fx_free(&fx);
}

/* Eligibility as every member sees it: the certificate's role, a name on
 * the list; in an open mesh with no list, everyone. */
static void test_eligibility_in_member_info(void **state) {
  (void)state;
  struct fixture fx;
  fx_init(&fx, NODES);
  fx.bridge_role[BRIDGE] = true;
  strcpy(fx.cfg.bridge_eligible[0], "n4");
  fx.cfg.n_bridge_eligible = 1;
  fx_start_all(&fx);
  fx_run_until(&fx, 4000);
  assert_true(fx_converged(&fx));
  for (int i = 0; i < NODES; i++)
    for (int j = 0; j < NODES; j++)
      assert_int_equal(member(&fx, i, j).bridge_eligible,
                       j == BRIDGE || j == 4);
  fx_free(&fx);

  fx_init(&fx, 3);
  fx.cfg.require_cert = false;
  fx_start_all(&fx);
  fx_run_until(&fx, 4000);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      assert_true(member(&fx, i, j).bridge_eligible);
  fx_free(&fx);
}

/* A drain instruction offered at one member: within 2 s every member
 * shows the device draining, the device's own heartbeat says so (in its
 * own table and in every other member's), and nobody else is draining.
 * An undrain by the bridge, handed to the device itself, clears it
 * everywhere. */
static void test_drain_shows_everywhere(void **state) {
  (void)state;
  struct fixture fx;
  start_mesh(&fx, NODES);
  uint8_t rec[512];
  size_t n = instruction_rec(&fx.authority, fx.id[DEVICE].pk, MB_INSTR_DRAIN,
                             60, rec, sizeof rec);
  assert_ok(swim_record_offer(fx.node[0], fx.now, rec, n));
  fx_drain(&fx, 0);
  fx_run_until(&fx, fx.now + 2000);
  for (int i = 0; i < NODES; i++) {
    for (int j = 0; j < NODES; j++)
      assert_int_equal(member(&fx, i, j).draining, j == DEVICE);
    assert_true(heartbeat_draining(&fx, i, DEVICE));
  }

  n = instruction_rec(&fx.id[BRIDGE], fx.id[DEVICE].pk, MB_INSTR_UNDRAIN, 61,
                      rec, sizeof rec);
  assert_ok(swim_record_offer(fx.node[DEVICE], fx.now, rec, n));
  assert_false(heartbeat_draining(&fx, DEVICE, DEVICE)); /* re-signed now */
  fx_drain(&fx, DEVICE);
  fx_run_until(&fx, fx.now + 2000);
  for (int i = 0; i < NODES; i++) {
    assert_false(member(&fx, i, DEVICE).draining);
    assert_false(heartbeat_draining(&fx, i, DEVICE));
  }
  assert_true(fx_converged(&fx));
  fx_free(&fx);
}

/* The instruction in the device's store, restored at start: it is not
 * relayed (the mesh has it, or anti-entropy brings it), but the device
 * re-signs and announces its heartbeat with the flag, so members that do
 * not hold the instruction see it draining too. */
static void test_drain_from_store_by_heartbeat(void **state) {
  (void)state;
  struct fixture fx;
  start_mesh(&fx, NODES);
  uint8_t rec[512];
  size_t n = instruction_rec(&fx.authority, fx.id[DEVICE].pk, MB_INSTR_DRAIN,
                             70, rec, sizeof rec);
  assert_ok(swim_record_restore(fx.node[DEVICE], fx.now, rec, n));
  assert_true(heartbeat_draining(&fx, DEVICE, DEVICE));
  assert_true(member(&fx, DEVICE, DEVICE).draining);
  fx_drain(&fx, DEVICE);
  fx_run_until(&fx, fx.now + 1500);
  for (int i = 0; i < NODES; i++) {
    if (i == DEVICE)
      continue;
    assert_int_equal(swim_record_count(fx.node[i]), 0);
    assert_true(heartbeat_draining(&fx, i, DEVICE));
    assert_true(member(&fx, i, DEVICE).draining);
  }
  fx_free(&fx);
}

/* A device that hears nothing (down) cannot flag its own heartbeat: the
 * instruction held shows it draining on every member all the same. */
static void test_drain_of_silent_device(void **state) {
  (void)state;
  struct fixture fx;
  start_mesh(&fx, NODES);
  fx.down[DEVICE] = true;
  uint8_t rec[512];
  size_t n = instruction_rec(&fx.id[BRIDGE], fx.id[DEVICE].pk, MB_INSTR_DRAIN,
                             80, rec, sizeof rec);
  assert_ok(swim_record_offer(fx.node[0], fx.now, rec, n));
  fx_drain(&fx, 0);
  fx_run_until(&fx, fx.now + 1000);
  for (int i = 0; i < NODES; i++) {
    if (i == DEVICE)
      continue;
    assert_false(heartbeat_draining(&fx, i, DEVICE));
    assert_true(member(&fx, i, DEVICE).draining);
    assert_false(member(&fx, i, 0).draining);
  }
  fx_free(&fx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cursor_about_its_signer),
      cmocka_unit_test(test_not_eligible_member_cannot_publish),
      cmocka_unit_test(test_instruction_signers),
      cmocka_unit_test(test_eligibility_in_member_info),
      cmocka_unit_test(test_drain_shows_everywhere),
      cmocka_unit_test(test_drain_from_store_by_heartbeat),
      cmocka_unit_test(test_drain_of_silent_device),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
