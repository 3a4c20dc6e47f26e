/*
 * Figures of a finished run.  Bandwidth is measured over the window given
 * by `measure FROM TO` (default: the second half of the run, when joins are
 * long over) and only over nodes that were up for the whole window, so a
 * node that crashed, or started late, does not pull the mean down.
 */
#include "results.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* mean, nearest-rank p99 and max of v[0..n), sorting v. */
static struct sim_rate rate_of(double *v, size_t n) {
  struct sim_rate r = {0, 0, 0};
  if (n == 0)
    return r;
  qsort(v, n, sizeof(*v), cmp_double);
  double sum = 0;
  for (size_t i = 0; i < n; i++)
    sum += v[i];
  size_t rank = (99 * n + 99) / 100; /* ceil(0.99 n) */
  r.mean = sum / (double)n;
  r.p99 = v[rank - 1];
  r.max = v[n - 1];
  return r;
}

static void add_stats(struct swim_stats *sum, const struct swim_stats *st) {
  sum->sent_datagrams += st->sent_datagrams;
  sum->sent_bytes += st->sent_bytes;
  sum->recv_datagrams += st->recv_datagrams;
  sum->recv_bytes += st->recv_bytes;
  for (int k = 0; k < 8; k++)
    sum->rejected[k] += st->rejected[k];
  sum->probes += st->probes;
  sum->probe_failures += st->probe_failures;
  sum->suspicions += st->suspicions;
  sum->refutations += st->refutations;
}

int sim_results(const struct sim *s, double wall_seconds,
                struct sim_results *r) {
  memset(r, 0, sizeof(*r));
  r->sim_seconds = (double)s->end / SCN_US_PER_S;
  r->wall_seconds = wall_seconds;
  mb_hex_encode(r->trace_hex, s->trace_hash, sizeof(s->trace_hash));
  double secs = (double)(s->win_to - s->win_from) / SCN_US_PER_S;
  double *b = calloc(s->n, sizeof(double));
  double *d = calloc(s->n, sizeof(double));
  if (b == NULL || d == NULL) {
    free(b);
    free(d);
    return -1;
  }
  for (uint32_t i = 0; i < s->n; i++) {
    const struct sim_node *n = &s->nodes[i];
    if (n->core != NULL) {
      struct swim_stats st;
      swim_get_stats(n->core, &st);
      add_stats(&r->core, &st);
    }
    if (!n->win_ok || secs <= 0)
      continue;
    b[r->rate_nodes] = (double)n->win_bytes / secs;
    d[r->rate_nodes++] = (double)n->win_dgrams / secs;
  }
  r->bytes = rate_of(b, r->rate_nodes);
  r->dgrams = rate_of(d, r->rate_nodes);
  free(b);
  free(d);
  mb_vcache_get_stats(s->vc, &r->vc);
  return 0;
}

json_t *sim_json_seconds(uint64_t us) {
  if (us == SIM_NEVER)
    return json_null();
  return json_real((double)us / SCN_US_PER_S);
}

static void print_secs(FILE *out, uint64_t us) {
  if (us == SIM_NEVER)
    fprintf(out, "never");
  else
    fprintf(out, "%.3fs", (double)us / SCN_US_PER_S);
}

void sim_summary(const struct sim *s, const struct sim_results *r, FILE *out) {
  const struct sim_truth *t = &s->truth;
  fprintf(out,
          "run: %.1f simulated s in %.2f wall s (%.1fx real time), "
          "%" PRIu64 " events, %" PRIu64 " core inputs\n",
          r->sim_seconds, r->wall_seconds,
          r->wall_seconds > 0 ? r->sim_seconds / r->wall_seconds : 0.0,
          s->events_run, s->swim_inputs);
  for (size_t k = 0; k < t->n_fail; k++) {
    const struct sim_failure *f = &t->fail[k];
    fprintf(out, "failure: node %u %s at %.3fs: first ", f->node,
            f->revoked ? "revoked"
            : f->leave ? "left"
                       : "crashed",
            (double)f->at / SCN_US_PER_S);
    print_secs(out, f->first == SIM_NEVER ? f->first : f->first - f->at);
    fprintf(out, ", all ");
    print_secs(out, f->all == SIM_NEVER ? f->all : f->all - f->at);
    fprintf(out, " (%u of %u observers)\n", f->got, f->want);
  }
  for (size_t k = 0; k < t->n_conv; k++) {
    const struct sim_conv *c = &t->conv[k];
    fprintf(out, "convergence: %s at %.3fs: after ", scn_conv_name(c->kind),
            (double)c->at / SCN_US_PER_S);
    print_secs(out, c->done == SIM_NEVER ? c->done : c->done - c->at);
    fprintf(out, "\n");
  }
  for (size_t k = 0; k < t->n_pdet; k++) {
    const struct sim_pdetect *p = &t->pdet[k];
    fprintf(out, "partition: at %.3fs: detected by all after ",
            (double)p->at / SCN_US_PER_S);
    print_secs(out, p->done == SIM_NEVER ? p->done : p->done - p->at);
    fprintf(out, "\n");
  }
  fprintf(out,
          "false: %" PRIu64 " suspicions, %" PRIu64 " deaths (%" PRIu64
          " by recovering observers); deaths of healthy nodes: %" PRIu64 "\n",
          t->false_suspicions, t->false_deaths, t->false_by_recovering,
          t->deaths_of_healthy);
  if (s->scn->n_adversaries > 0)
    fprintf(out,
            "adversary: %" PRIu64 " claims signed, %" PRIu64
            " gossip and %" PRIu64 " ack datagrams injected\n",
            s->adv.claims, s->adv.sent.dgrams[MB_MSG_GOSSIP],
            s->adv.sent.dgrams[MB_MSG_ACK]);
  fprintf(out,
          "per node per s over %u nodes: bytes mean %.0f p99 %.0f max "
          "%.0f, datagrams mean %.2f p99 %.2f max %.2f\n",
          r->rate_nodes, r->bytes.mean, r->bytes.p99, r->bytes.max,
          r->dgrams.mean, r->dgrams.p99, r->dgrams.max);
  const struct sim_net_stats *n = &s->net.st;
  fprintf(out,
          "network: %" PRIu64 " sent, %" PRIu64 " delivered, %" PRIu64
          " lost, %" PRIu64 " partitioned, %" PRIu64 " to down nodes, "
          "%" PRIu64 " inbox full, %" PRIu64 " oversize, %" PRIu64
          " unknown address\n",
          n->sent, n->delivered, n->lost, n->partitioned, n->to_down,
          n->inbox_full, n->oversize, n->unknown_addr);
  fprintf(out, "trace_hash %s\n", r->trace_hex);
}
