/*
 * Unit tests for what the RAID layer asks of the gossip core
 * (docs/protocol.md, The app channel; Coordinators; Task progress): an
 * app payload crosses between two members exactly once, unanswered, and
 * a payload of swim_app_max bytes fits the budget in the datagram's
 * largest form; coordinators come from the certificate's role or the
 * configured names, never by default; a node's task progress reaches
 * every member in its heartbeat.  Forged, replayed and misdirected app
 * datagrams are in test_binding.c.
 */
#include "test_util.h"

#include <errno.h>
#include <string.h>

#include "swim_fixture.h"

static struct swim_member_info member(struct fixture *fx, int i, int j) {
  struct swim_member_info info;
  long k = swim_member_find(fx->node[i], fx->id[j].pk);
  assert_true(k >= 0);
  assert_ok(swim_member_get(fx->node[i], (size_t)k, &info));
  return info;
}

static struct swim_stats stats(struct fixture *fx, int i) {
  struct swim_stats st;
  swim_get_stats(fx->node[i], &st);
  return st;
}

/* App datagrams from `from` to `to` in flight; the last one in *last. */
static size_t app_packets(struct fixture *fx, int from, int to,
                          struct fx_packet **last) {
  size_t n = 0;
  for (size_t k = 0; k < fx->n_inflight; k++) {
    struct mb_datagram d;
    struct fx_packet *p = &fx->inflight[k];
    if (p->from == from && p->to == to &&
        mb_wire_datagram_parse(p->buf, p->len, &d) == MB_OK &&
        d.msg.kind == MB_MSG_APP) {
      n++;
      if (last != NULL)
        *last = p;
    }
  }
  return n;
}

static void fill(uint8_t *p, size_t n, uint8_t salt) {
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t)(i * 131 + salt);
}

/* One payload each way between two members: each arrives once, whole,
 * named by its sender and channel; nobody answers one; the counters say
 * so.  In an admitted mesh and in an open one. */
static void delivered_once(bool require_cert) {
  struct fixture fx;
  fx_init(&fx, 2);
  fx.cfg.require_cert = require_cert;
  fx_start_all(&fx);
  fx_run_until(&fx, 4000);
  assert_true(fx_converged(&fx));
  uint8_t a[300], b[5];
  fill(a, sizeof a, 1);
  fill(b, sizeof b, 2);
  fx.n_apps = 0;
  assert_ok(swim_app_send(fx.node[0], fx.now, fx.id[1].pk, SWIM_APP_RAFT, a,
                          sizeof a));
  assert_ok(swim_app_send(fx.node[1], fx.now, fx.id[0].pk, SWIM_APP_RAFT, b,
                          sizeof b));
  fx_drain(&fx, 0);
  fx_drain(&fx, 1);
  assert_int_equal(app_packets(&fx, 0, 1, NULL), 1);
  assert_int_equal(app_packets(&fx, 1, 0, NULL), 1);
  fx_run_until(&fx, fx.now + 5000);
  assert_int_equal(fx.n_apps, 2);
  for (size_t k = 0; k < fx.n_apps; k++) {
    const struct fx_app *got = &fx.apps[k];
    assert_int_equal(got->from, 1 - got->to);
    assert_int_equal(got->channel, SWIM_APP_RAFT);
    assert_int_equal(got->len, got->to == 1 ? sizeof a : sizeof b);
    assert_memory_equal(got->buf, got->to == 1 ? a : b, got->len);
  }
  assert_int_not_equal(fx.apps[0].to, fx.apps[1].to);
  for (int i = 0; i < 2; i++) {
    struct swim_stats st = stats(&fx, i);
    assert_int_equal(st.app_sent, 1);
    assert_int_equal(st.app_received, 1);
    assert_int_equal(st.app_unknown_channel, 0);
    assert_int_equal(st.app_not_member, 0);
  }
  fx_free(&fx);
}

static void test_app_delivered_once(void **state) {
  (void)state;
  delivered_once(true);
  delivered_once(false);
}

/* Refused at the sender: to nobody we know (-ENOENT), to ourselves, on a
 * channel the core does not know, once we leave (MB_EINVAL); past
 * swim_app_max (MB_ETOOBIG).  None of them sends anything. */
static void test_app_send_refusals(void **state) {
  (void)state;
  struct fixture fx;
  fx_start_converged(&fx, 2);
  struct swim *s = fx.node[0];
  static uint8_t big[MB_WIRE_MAX_DATAGRAM];
  size_t max = swim_app_max(s);
  fx.n_inflight = 0;
  assert_rc(swim_app_send(s, fx.now, fx.id[5].pk, SWIM_APP_RAFT, big, 1),
            -ENOENT);
  assert_rc(swim_app_send(s, fx.now, fx.id[0].pk, SWIM_APP_RAFT, big, 1),
            MB_EINVAL);
  assert_rc(swim_app_send(s, fx.now, fx.id[1].pk, 0, big, 1), MB_EINVAL);
  assert_rc(swim_app_send(s, fx.now, fx.id[1].pk, SWIM_APP_RAFT, NULL, 1),
            MB_EINVAL);
  assert_rc(swim_app_send(s, fx.now, fx.id[1].pk, SWIM_APP_RAFT, big, max + 1),
            MB_ETOOBIG);
  assert_rc(
      swim_app_send(s, fx.now, fx.id[1].pk, SWIM_APP_RAFT, big, sizeof big),
      MB_ETOOBIG);
  fx_drain(&fx, 0);
  assert_int_equal(fx.n_inflight, 0);
  assert_int_equal(stats(&fx, 0).app_sent, 0);
  /* An empty payload is a payload. */
  assert_ok(swim_app_send(s, fx.now, fx.id[1].pk, SWIM_APP_RAFT, NULL, 0));
  fx_run_until(&fx, fx.now + 100);
  assert_int_equal(fx.n_apps, 1);
  assert_int_equal(fx.apps[0].len, 0);
  swim_leave(s, fx.now);
  assert_rc(swim_app_send(s, fx.now, fx.id[1].pk, SWIM_APP_RAFT, big, 1),
            MB_EINVAL);
  fx_free(&fx);
}

/* Sends a payload of exactly swim_app_max bytes from 0 to 1 and checks
 * the datagram: within the budget, signed with our certificate or MACed
 * as `want_signed` says, and delivered whole. */
static void send_max(struct fixture *fx, bool want_signed) {
  static uint8_t payload[MB_WIRE_MSG_MAX];
  size_t max = swim_app_max(fx->node[0]);
  assert_true(max > 0 && max <= sizeof payload);
  fill(payload, max, 3);
  size_t before = fx->n_apps;
  fx->n_inflight = 0;
  assert_ok(swim_app_send(fx->node[0], fx->now, fx->id[1].pk, SWIM_APP_RAFT,
                          payload, max));
  fx_drain(fx, 0);
  struct fx_packet *p = NULL;
  assert_int_equal(app_packets(fx, 0, 1, &p), 1);
  assert_true(p->len <= fx->cfg.budget);
  struct mb_datagram d;
  assert_ok(mb_wire_datagram_parse(p->buf, p->len, &d));
  assert_int_equal(d.mac, !want_signed);
  assert_int_equal(d.n_certs, want_signed ? 1 : 0);
  fx_run_until(fx, fx->now + 100);
  assert_int_equal(fx->n_apps, before + 1);
  assert_int_equal(fx->apps[before].len, max);
  assert_memory_equal(fx->apps[before].buf, payload, max);
}

/* swim_app_max is honest: a payload of exactly that many bytes fits in
 * cfg.budget, MACed between members that know each other, and signed with
 * a certificate (a long one: two roles) while the receiver may not hold
 * ours (after a renewal); at the smallest budget too; one byte more is
 * refused. */
static void test_app_max_fits(void **state) {
  (void)state;
  static const uint32_t budgets[] = {MB_WIRE_DEFAULT_BUDGET, SWIM_MIN_BUDGET,
                                     9000};
  for (size_t k = 0; k < sizeof budgets / sizeof budgets[0]; k++) {
    struct fixture fx;
    fx_init(&fx, 2);
    fx.cfg.budget = budgets[k];
    fx.bridge_role[0] = fx.coordinator_role[0] = true;
    fx_start_all(&fx);
    fx_run_until(&fx, 4000);
    assert_true(fx_converged(&fx));
    size_t max = swim_app_max(fx.node[0]);
    /* Most of the budget: the envelope, a certificate and a few heads. */
    assert_true(max + fx.cert_len[0] + 200 >
                (budgets[k] < MB_WIRE_MSG_MAX ? budgets[k] : MB_WIRE_MSG_MAX));
    send_max(&fx, false);
    assert_ok(swim_set_cert(fx.node[0], fx.now, 1790000000000 + fx.now,
                            fx.cert[0], fx.cert_len[0]));
    send_max(&fx, true);
    static uint8_t more[MB_WIRE_MSG_MAX + 1];
    assert_rc(swim_app_send(fx.node[0], fx.now, fx.id[1].pk, SWIM_APP_RAFT,
                            more, max + 1),
              MB_ETOOBIG);
    fx_free(&fx);
  }
}

/* Coordinators: the role "coordinator" (node 1), a listed name (n3);
 * not the bridge's role (node 2); every member sees the same. */
static void test_coordinator_from_role_and_names(void **state) {
  (void)state;
  struct fixture fx;
  fx_init(&fx, 5);
  fx.coordinator_role[1] = true;
  fx.bridge_role[2] = true;
  strcpy(fx.cfg.coordinator_names[0], "n3");
  strcpy(fx.cfg.coordinator_names[1], "n9"); /* not running: harmless */
  fx.cfg.n_coordinator_names = 2;
  fx_start_all(&fx);
  fx_run_until(&fx, 4000);
  assert_true(fx_converged(&fx));
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 5; j++)
      assert_int_equal(member(&fx, i, j).coordinator, j == 1 || j == 3);
  fx_free(&fx);
}

/* An open mesh with no list has no coordinators (unlike the bridge, for
 * which it makes everyone eligible); a list names them. */
static void test_open_mesh_coordinators(void **state) {
  (void)state;
  struct fixture fx;
  fx_init(&fx, 3);
  fx.cfg.require_cert = false;
  fx_start_all(&fx);
  fx_run_until(&fx, 4000);
  assert_true(fx_converged(&fx));
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      assert_false(member(&fx, i, j).coordinator);
      assert_true(member(&fx, i, j).bridge_eligible);
    }
  fx_free(&fx);

  fx_init(&fx, 3);
  fx.cfg.require_cert = false;
  strcpy(fx.cfg.coordinator_names[0], "n2");
  fx.cfg.n_coordinator_names = 1;
  fx_start_all(&fx);
  fx_run_until(&fx, 4000);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      assert_int_equal(member(&fx, i, j).coordinator, j == 2);
  fx_free(&fx);
}

static void assert_tasks(struct fixture *fx, int i, int j,
                         const struct mb_task_progress *want, size_t n) {
  struct swim_member_info m = member(fx, i, j);
  assert_int_equal(m.n_tasks, n);
  for (size_t k = 0; k < n; k++) {
    assert_int_equal(m.tasks[k].id, want[k].id);
    assert_int_equal(m.tasks[k].done, want[k].done);
  }
}

/* A node's task progress reaches every member of an 8-node mesh in its
 * heartbeat within 2 s (relayed: a change of progress is news), is shown
 * at once in its own table, and clearing it clears it everywhere; more
 * than MB_HB_TASKS_MAX is refused and changes nothing. */
static void test_task_progress_round_trip(void **state) {
  (void)state;
  enum { NODES = 8, RUNNER = 5 };
  struct fixture fx;
  fx_start_converged(&fx, NODES);
  struct swim *s = fx.node[RUNNER];
  struct mb_task_progress t[MB_HB_TASKS_MAX + 1];
  for (size_t k = 0; k < MB_HB_TASKS_MAX + 1; k++)
    t[k] = (struct mb_task_progress){.id = 100 + k, .done = (k + 1) << 20};
  int64_t wall = 1790000000000 + (int64_t)fx.now;
  assert_ok(swim_set_task_progress(s, fx.now, wall, t, 3));
  assert_tasks(&fx, RUNNER, RUNNER, t, 3);
  fx_drain(&fx, RUNNER);
  fx_run_until(&fx, fx.now + 2000);
  for (int i = 0; i < NODES; i++)
    assert_tasks(&fx, i, RUNNER, t, 3);
  t[0].done += 4096;
  assert_ok(swim_set_task_progress(s, fx.now, wall + 2000, t, 3));
  fx_drain(&fx, RUNNER);
  fx_run_until(&fx, fx.now + 2000);
  for (int i = 0; i < NODES; i++)
    assert_tasks(&fx, i, RUNNER, t, 3);
  assert_rc(
      swim_set_task_progress(s, fx.now, wall + 4000, t, MB_HB_TASKS_MAX + 1),
      MB_ETOOBIG);
  assert_tasks(&fx, RUNNER, RUNNER, t, 3);
  assert_ok(swim_set_task_progress(s, fx.now, wall + 4000, NULL, 0));
  fx_drain(&fx, RUNNER);
  fx_run_until(&fx, fx.now + 2000);
  for (int i = 0; i < NODES; i++)
    assert_tasks(&fx, i, RUNNER, NULL, 0);
  fx_free(&fx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_app_delivered_once),
      cmocka_unit_test(test_app_send_refusals),
      cmocka_unit_test(test_app_max_fits),
      cmocka_unit_test(test_coordinator_from_role_and_names),
      cmocka_unit_test(test_open_mesh_coordinators),
      cmocka_unit_test(test_task_progress_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
