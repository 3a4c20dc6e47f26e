/* The Prometheus exposition of the agent (docs/operations.md lists every
 * family). */
#include "bridge_state.h"
#include "raid_state.h"

#include <string.h>

static void counter(struct mb_prom *p, const char *name, const char *help,
                    uint64_t v) {
  mb_prom_family(p, name, "counter", help);
  mb_prom_u64(p, name, NULL, 0, v);
}

static void gauge(struct mb_prom *p, const char *name, const char *help,
                  uint64_t v) {
  mb_prom_family(p, name, "gauge", help);
  mb_prom_u64(p, name, NULL, 0, v);
}

/* Constant 1, labelled with what is running: dashboards join on it and
 * count versions across the mesh. */
static void build_info(struct mb_prom *p) {
  struct mb_prom_label l = {"version", MESHBEAT_VERSION};
  mb_prom_family(p, "meshbeat_build_info", "gauge",
                 "Always 1; the version label says which build runs.");
  mb_prom_u64(p, "meshbeat_build_info", &l, 1, 1);
}

static void members_by_state(struct agent *a, struct mb_prom *p) {
  uint64_t n[4] = {0};
  for (size_t i = 0; i < swim_member_count(a->swim); i++) {
    struct swim_member_info m;
    if (swim_member_get(a->swim, i, &m) == MB_OK && m.state <= SWIM_LEFT)
      n[m.state]++;
  }
  mb_prom_family(p, "meshbeat_members", "gauge",
                 "Members in our view by state, self included.");
  for (int s = 0; s < 4; s++) {
    struct mb_prom_label l = {"state", swim_state_name((enum swim_state)s)};
    mb_prom_u64(p, "meshbeat_members", &l, 1, n[s]);
  }
}

static void protocol(struct agent *a, struct mb_prom *p) {
  struct swim_stats st;
  swim_get_stats(a->swim, &st);
  counter(p, "meshbeat_datagrams_sent_total", "UDP datagrams sent.",
          st.sent_datagrams);
  counter(p, "meshbeat_bytes_sent_total", "UDP payload bytes sent.",
          st.sent_bytes);
  counter(p, "meshbeat_datagrams_received_total", "UDP datagrams received.",
          st.recv_datagrams);
  counter(p, "meshbeat_bytes_received_total", "UDP payload bytes received.",
          st.recv_bytes);
  mb_prom_family(p, "meshbeat_datagrams_rejected_total", "counter",
                 "Datagrams or records refused, by reason; they changed "
                 "nothing and got no reply.");
  for (int r = 0; r < SWIM_REJ_COUNT_; r++) {
    struct mb_prom_label l = {"reason", swim_reject_name(r)};
    mb_prom_u64(p, "meshbeat_datagrams_rejected_total", &l, 1, st.rejected[r]);
  }
  mb_prom_family(p, "meshbeat_sent_by_kind_datagrams_total", "counter",
                 "UDP datagrams sent, by message kind.");
  for (int k = MB_MSG_PING; k <= MB_MSG_GOSSIP; k++) {
    struct mb_prom_label l = {"kind", mb_msg_kind_name((enum mb_msg_kind)k)};
    mb_prom_u64(p, "meshbeat_sent_by_kind_datagrams_total", &l, 1,
                a->counters.sent_by_kind[k]);
  }
  mb_prom_family(p, "meshbeat_sent_by_kind_bytes_total", "counter",
                 "UDP payload bytes sent, by message kind.");
  for (int k = MB_MSG_PING; k <= MB_MSG_GOSSIP; k++) {
    struct mb_prom_label l = {"kind", mb_msg_kind_name((enum mb_msg_kind)k)};
    mb_prom_u64(p, "meshbeat_sent_by_kind_bytes_total", &l, 1,
                a->counters.sent_bytes_by_kind[k]);
  }
  counter(p, "meshbeat_sent_records_total",
          "Signed records carried by the datagrams we sent.",
          a->counters.sent_records);
  counter(p, "meshbeat_sent_certificates_total",
          "Certificates carried by the datagrams we sent.",
          a->counters.sent_certs);
  counter(p, "meshbeat_sent_news_total",
          "News entries (17 bytes each) carried by our gossip.",
          a->counters.sent_news);
  counter(p, "meshbeat_probes_total", "Probes started.", st.probes);
  counter(p, "meshbeat_probe_failures_total",
          "Probes with no ack, direct or indirect.", st.probe_failures);
  counter(p, "meshbeat_suspicions_total", "Members we came to suspect.",
          st.suspicions);
  counter(p, "meshbeat_refutations_total", "Suspicions of us that we refuted.",
          st.refutations);
  counter(p, "meshbeat_unbacked_timeouts_total",
          "Suspicions that came due without a quorum of accusers: no verdict.",
          st.unbacked_timeouts);
  counter(p, "meshbeat_flap_holds_total",
          "Members held out after dying again too soon.", st.flap_holds);
  counter(p, "meshbeat_stranger_certificate_checks_total",
          "Certificates of unknown senders verified before admitting them.",
          st.stranger_checks);
  counter(p, "meshbeat_unproven_acks_total",
          "Acks relayed without the target's signed proof: not counted.",
          st.unproven_acks);
  counter(p, "meshbeat_log_lines_dropped_total",
          "Log lines dropped because stderr's reader was too slow.",
          agent_log_dropped(a->log));
  counter(p, "meshbeat_send_errors_total",
          "Datagrams the kernel refused to send.", a->counters.send_errors);
  counter(p, "meshbeat_receive_errors_total",
          "Receive errors and truncated datagrams.", a->counters.recv_errors);
  gauge(p, "meshbeat_awareness",
        "Lifeguard local health multiplier (0 = healthy).",
        swim_awareness(a->swim));
  gauge(p, "meshbeat_incarnation", "Our incarnation.",
        swim_self_incarnation(a->swim));
}

/* A Prometheus histogram of power-of-two buckets: bucket i holds values up
 * to first << i (the last one: the rest), in units of scale seconds. */
static void pow2_histogram(struct mb_prom *p, const char *h, const char *help,
                           const uint64_t *hist, int n, uint64_t first,
                           double scale, uint64_t sum) {
  mb_prom_family(p, h, "histogram", help);
  uint64_t cum = 0;
  char le[32], name[64];
  snprintf(name, sizeof(name), "%s_bucket", h);
  for (int i = 0; i < n; i++) {
    cum += hist[i];
    if (i == n - 1)
      snprintf(le, sizeof(le), "+Inf");
    else
      snprintf(le, sizeof(le), "%g", (double)(first << i) * scale);
    struct mb_prom_label l = {"le", le};
    mb_prom_u64(p, name, &l, 1, cum);
  }
  snprintf(name, sizeof(name), "%s_sum", h);
  mb_prom_double(p, name, NULL, 0, (double)sum * scale);
  snprintf(name, sizeof(name), "%s_count", h);
  mb_prom_u64(p, name, NULL, 0, cum);
}

static void loop_lag(struct agent *a, struct mb_prom *p) {
  pow2_histogram(p, "meshbeat_loop_lag_seconds",
                 "How late the protocol's timer ran: time the agent could "
                 "not answer in.",
                 a->counters.lag_hist, AGENT_LAG_BUCKETS, 1, 1e-3,
                 a->counters.lag_sum_ms);
}

static void store(struct agent *a, struct mb_prom *p) {
  struct mb_store_stats st;
  mb_store_get_stats(a->store, &st);
  counter(p, "meshbeat_store_commits_total", "Store batches committed.",
          st.commits);
  counter(p, "meshbeat_store_commit_errors_total",
          "Store commits that failed (retried).", st.commit_errors);
  pow2_histogram(p, "meshbeat_store_commit_seconds", "Store commit latency.",
                 st.commit_us_hist, MB_STORE_LAT_BUCKETS, 64, 1e-6,
                 st.sum_commit_us);
}

/* Absent in an open mesh, where no certificate is held. */
static void certificate(struct agent *a, struct mb_prom *p) {
  if (!a->certlife.held || a->certlife.info.expires_at < 0)
    return;
  gauge(p, "meshbeat_cert_expiry_timestamp_seconds",
        "When our admission certificate expires (Unix time): the agent "
        "leaves the mesh then unless a renewed one is loaded (SIGHUP).",
        (uint64_t)a->certlife.info.expires_at);
}

char *agent_metrics_text(struct agent *a) {
  struct mb_prom p;
  mb_prom_init(&p);
  build_info(&p);
  members_by_state(a, &p);
  protocol(a, &p);
  loop_lag(a, &p);
  store(a, &p);
  certificate(a, &p);
  agent_bridge_prom(a, &p);
  agent_raid_metrics(a, &p);
  struct mb_admin_stats as;
  mb_admin_get_stats(a->admin, &as);
  mb_admin_stats_prom(&as, &p);
  if (a->http != NULL) {
    struct mb_http_stats hs;
    mb_http_get_stats(a->http, &hs);
    mb_http_stats_prom(&hs, &p);
  }
  char *text = mb_prom_status(&p) == MB_OK ? strdup(mb_prom_text(&p)) : NULL;
  mb_prom_free(&p);
  return text;
}
