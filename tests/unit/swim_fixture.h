/*
 * A tiny in-process mesh for the core's unit tests: N cores, a network that
 * delivers every datagram after a fixed latency (or drops it by rule), and
 * a virtual clock advanced by the fixture.  The full simulator lives in
 * sim/; this is just enough to drive transitions in tests.
 */
#ifndef MESHBEAT_SWIM_FIXTURE_H
#define MESHBEAT_SWIM_FIXTURE_H

#include "swim.h"

#define FX_MAX_NODES 64
#define FX_CLUSTER "fixture"

struct fx_packet {
  uint64_t at;
  int from, to;
  size_t len;
  uint8_t buf[MB_WIRE_MAX_DATAGRAM > 2048 ? 2048 : MB_WIRE_MAX_DATAGRAM];
};

struct fx_event {
  int observer;
  struct swim_event ev;
};

/* An app payload a node reported (SWIM_OUT_APP). */
struct fx_app {
  int to;   /* the node that reported it */
  int from; /* node index of app_from (-1: none of ours) */
  uint8_t channel;
  size_t len;
  uint8_t buf[MB_WIRE_MSG_MAX];
};

/* A channel record a node reported taking (SWIM_OUT_RECORD), kept when
 * fixture.log_records is set. */
struct fx_record {
  int at; /* the node that took it */
  struct swim_record_info info;
  size_t len;
  uint8_t buf[MB_WIRE_MSG_MAX];
};

struct fixture {
  int n;
  int domains; /* > 0: node i runs in failure domain rack(i % domains) */
  uint64_t now;
  uint32_t latency_ms;
  struct mb_identity authority;
  struct mb_identity id[FX_MAX_NODES];
  uint8_t cert[FX_MAX_NODES][MB_CERT_MAX_LEN];
  size_t cert_len[FX_MAX_NODES];
  struct swim *node[FX_MAX_NODES];
  bool down[FX_MAX_NODES];              /* crashed: no input, no output */
  bool cut[FX_MAX_NODES][FX_MAX_NODES]; /* drop from -> to */
  struct mb_vcache *vc;
  struct swim_config cfg;
  struct fx_packet *inflight;
  size_t n_inflight, cap_inflight;
  struct fx_event *events;
  size_t n_events, cap_events;
  uint64_t delivered;
  uint64_t sent;       /* datagrams any node emitted */
  size_t max_sent_len; /* the largest of them */
  uint64_t bytes_by_kind[16], records_by_kind[16];
  uint64_t channel_records_by_kind[16];    /* channel records carried */
  uint64_t heartbeats_about[FX_MAX_NODES]; /* records sent by others, by
                                              author */
  uint64_t news_about[FX_MAX_NODES];       /* gossip summary entries */
  /* [from][to]: probes and gossip carrying the sender's certificate */
  uint32_t certs_sent[FX_MAX_NODES][FX_MAX_NODES];
  /* Channel records each node reported taking (SWIM_OUT_RECORD), and
   * whether one was its own revocation. */
  uint32_t records_out[FX_MAX_NODES];
  bool revoked_out[FX_MAX_NODES];
  /* Certify node i with the role "bridge" (set before it starts). */
  bool bridge_role[FX_MAX_NODES];
  /* ... and with the role "coordinator". */
  bool coordinator_role[FX_MAX_NODES];
  struct fx_app *apps; /* every app payload reported, in order */
  size_t n_apps, cap_apps;
  bool log_records;          /* keep what SWIM_OUT_RECORD said, in order */
  struct fx_record *records; /* (the driver consumes and resets n_records) */
  size_t n_records, cap_records;
};

/* n nodes with certificates, default config (tweak fx->cfg before start).
 * Node i is certified as n<i>, in rack<i % domains> when domains > 0, with
 * the role "bridge" when bridge_role[i] and "coordinator" when
 * coordinator_role[i] (reissued as it starts): its records must say the
 * same. */
void fx_init(struct fixture *fx, int n);
void fx_start_node(struct fixture *fx, int i, uint64_t incarnation);
/* Starts all, every node joining through node 0. */
void fx_start_all(struct fixture *fx);
/* fx_init, fx_start_all, then 4 s in which they must converge (aborts
 * otherwise). */
void fx_start_converged(struct fixture *fx, int n);
/* The incarnation node `observer` holds for `subject` (aborts when it has
 * none). */
uint64_t fx_incarnation(struct fixture *fx, int observer, int subject);
void fx_run_until(struct fixture *fx, uint64_t t);
void fx_free(struct fixture *fx);
struct mb_addr fx_addr(int i);
/* State of j as seen by i (-1 when unknown). */
int fx_state(struct fixture *fx, int i, int j);
/* True when every running node sees every running node alive. */
bool fx_converged(struct fixture *fx);
/* Counts events whose subject is j, of the given new state. */
size_t fx_count_events(struct fixture *fx, int subject, enum swim_state to);
/* Delivers raw bytes to node i as if from address of node `from`. */
void fx_inject(struct fixture *fx, int i, int from, const uint8_t *buf,
               size_t len);
/* Drains node i's outputs into the network and event log. */
void fx_drain(struct fixture *fx, int i);

/* The sender of crafted datagrams: an admitted node that never runs, so
 * the sequence numbers a test picks cannot collide with a real node's. */
#define FX_OUTSIDER (FX_MAX_NODES - 1)

/* A signed claim by `author` about `subject`, in a gossip datagram sent
 * (and signed) by the outsider, which carries its certificate; or, with
 * fx_merged_claim_datagram, in a one-page push-pull reply (a merged view).
 * Returns the datagram's length. */
size_t fx_claim_datagram(struct fixture *fx, int to, int author, int subject,
                         enum mb_record_kind kind, uint64_t inc, uint64_t seq,
                         uint8_t *out, size_t cap);
size_t fx_merged_claim_datagram(struct fixture *fx, int to, int author,
                                int subject, enum mb_record_kind kind,
                                uint64_t inc, uint64_t seq, uint8_t *out,
                                size_t cap);
/* Binds a datagram being built to node `to` (its id and epoch), as a
 * sender that holds its record does. */
void fx_bind(struct fixture *fx, struct mb_dgram_builder *b, int to);
/* A revocation of node `subject` signed by `signer` (fx->authority for a
 * genuine one) at `version`, lapsing at until_s (0: never).  Returns its
 * length. */
size_t fx_revocation(struct fixture *fx, const struct mb_identity *signer,
                     int subject, uint64_t version, int64_t until_s,
                     uint8_t *out, size_t cap);
/* A RAID task record (kind 24) signed by `signer`: task `id` at Raft
 * index `version` (its body's index too), lapsing at until_s (0: never).
 * Returns its length. */
size_t fx_raid_task(const struct mb_identity *signer, uint64_t id,
                    uint64_t version, int64_t until_s, uint8_t *out,
                    size_t cap);

#endif
