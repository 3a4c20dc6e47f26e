/*
 * meshbeat inspect: decode a datagram, record or certificate, show it, and
 * judge every signature in it.  Exit 0 only when every signature verifies
 * (and, with --authority, every certificate is admitted); otherwise exit 1
 * with the first reason on one line of stderr.
 */
#include "cli_addr.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct inspect {
  const uint8_t *aad;
  size_t aad_len;
  const char *cluster;
  bool have_authority;
  uint8_t authority[MB_NODE_ID_LEN];
  /* For datagrams bound to a receiver: its epoch, and for MACed ones one
   * end's key and the other end's id. */
  bool have_epoch, have_key, have_peer;
  uint64_t epoch;
  struct mb_identity key;
  uint8_t peer[MB_NODE_ID_LEN];
  int failures;
  char reason[256];
};

/* Records a failed verdict; the first one becomes the exit reason. */
static void verdict_fail(struct inspect *in, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void verdict_fail(struct inspect *in, const char *fmt, ...) {
  if (in->failures++ > 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(in->reason, sizeof(in->reason), fmt, ap);
  va_end(ap);
}

static const char *verdict(int rc) {
  return rc == MB_OK ? "ok" : mb_strerror(rc);
}

static void print_id(const char *label, const uint8_t *id) {
  char hex[MB_NODE_ID_HEX_LEN + 1];
  mb_node_id_hex(hex, id);
  printf("%s%s\n", label, hex);
}

static void print_ms(const char *label, int64_t ms) {
  char t[40];
  cli_format_time(t, sizeof(t), ms / 1000);
  printf("%s%s (%lld ms)\n", label, t, (long long)ms);
}

static void print_health(const struct mb_health *h) {
  if (h->have == 0)
    return;
  printf("      health:");
  if (h->have & MB_HEALTH_CPU)
    printf(" cpu=%.1f%%", h->cpu_permille / 10.0);
  if (h->have & MB_HEALTH_MEM)
    printf(" mem=%.1f%%", h->mem_permille / 10.0);
  if (h->have & MB_HEALTH_LOAD)
    printf(" load=%.2f", h->load_x100 / 100.0);
  if (h->have & MB_HEALTH_TEMP)
    printf(" temp=%.1fC", h->temp_mc / 1000.0);
  printf("\n");
}

static void print_heartbeat(const struct mb_heartbeat *hb) {
  char addr[64];
  cli_format_addr(addr, sizeof(addr), &hb->addr);
  printf("      name %s, addr %s, domain \"%s\", status %s\n", hb->name, addr,
         hb->domain, hb->status == MB_HB_LEFT ? "left" : "alive");
  printf("      incarnation %llu, seq %llu\n",
         (unsigned long long)hb->incarnation, (unsigned long long)hb->seq);
  print_ms("      time ", hb->time_ms);
  printf("      capacity %llu bytes, available %llu bytes\n",
         (unsigned long long)hb->capacity, (unsigned long long)hb->available);
  print_health(&hb->health);
  for (size_t i = 0; i < hb->n_tasks; i++)
    printf("%s%llu: %llu bytes done%s", i == 0 ? "      tasks " : ", ",
           (unsigned long long)hb->tasks[i].id,
           (unsigned long long)hb->tasks[i].done,
           i + 1 == hb->n_tasks ? "\n" : "");
}

static void print_claim(const struct mb_claim *c) {
  print_id("      subject ", c->subject);
  printf("      incarnation %llu\n", (unsigned long long)c->incarnation);
  print_ms("      time ", c->time_ms);
}

/* A bridge cursor's or an instruction's body, decoded. */
static void print_bridge_body(const struct mb_record *rec) {
  const struct mb_channel_record *c = &rec->u.ch;
  struct mb_bridge_cursor cur;
  struct mb_instruction in;
  if (rec->kind == MB_REC_BRIDGE_CURSOR &&
      mb_wire_cursor_parse(c->body, c->body_len, &cur) == MB_OK)
    printf("      delivered %llu, pending %llu, %zu recent ids, %zu open "
           "episodes\n",
           (unsigned long long)cur.delivered, (unsigned long long)cur.pending,
           cur.n_events, cur.n_episodes);
  else if (rec->kind == MB_REC_INSTRUCTION &&
           mb_wire_instruction_parse(c->body, c->body_len, &in) == MB_OK)
    printf("      op \"%s\"%s%s%s\n", in.name, in.id[0] ? " (id \"" : "", in.id,
           in.id[0] ? "\")" : "");
  else if (rec->kind == MB_REC_BRIDGE_CURSOR || rec->kind == MB_REC_INSTRUCTION)
    printf("      body: undecodable\n");
}

static void print_refs(const char *label,
                       const uint8_t (*refs)[MB_NODE_REF_LEN], size_t n) {
  printf("%s", label);
  for (size_t i = 0; i < n; i++) {
    char hex[2 * MB_NODE_REF_LEN + 1];
    mb_hex_encode(hex, refs[i], MB_NODE_REF_LEN);
    printf("%s%s", i == 0 ? " " : ", ", hex);
  }
  printf("\n");
}

/* A RAID publication record's body, decoded, and whether its subject
 * and version agree with it (what every member checks). */
static void print_raid_body(const struct mb_record *rec) {
  const struct mb_channel_record *c = &rec->u.ch;
  struct mb_wire_raid_array a;
  struct mb_wire_raid_task t;
  struct mb_wire_raid_leader l;
  if (rec->kind == MB_REC_RAID_ARRAY &&
      mb_wire_raid_array_body_decode(c->body, c->body_len, &a) == MB_OK)
    printf("      array \"%s\" term %llu index %llu: level %u, %u + %u, "
           "%llu bytes, state %u, %zu slots%s\n",
           a.name, (unsigned long long)a.term, (unsigned long long)a.index,
           a.level, a.data, a.parity, (unsigned long long)a.size, a.state,
           a.n_slots, a.removed ? ", removed" : "");
  else if (rec->kind == MB_REC_RAID_TASK &&
           mb_wire_raid_task_body_decode(c->body, c->body_len, &t) == MB_OK) {
    printf("      task %llu term %llu index %llu: array \"%s\" slot %u, kind "
           "%u, state %u, %llu of %llu bytes\n",
           (unsigned long long)t.id, (unsigned long long)t.term,
           (unsigned long long)t.index, t.array, t.slot, t.kind, t.state,
           (unsigned long long)t.progress, (unsigned long long)t.bytes);
    print_refs("      target", &t.target, 1);
    print_refs("      sources", (const uint8_t(*)[MB_NODE_REF_LEN])t.sources,
               t.n_sources);
  } else if (rec->kind == MB_REC_RAID_LEADER &&
             mb_wire_raid_leader_body_decode(c->body, c->body_len, &l) ==
                 MB_OK) {
    printf("      term %llu, commit index %llu, %zu voters, %llu arrays, %llu "
           "live tasks\n",
           (unsigned long long)l.term, (unsigned long long)l.index, l.n_voters,
           (unsigned long long)l.arrays, (unsigned long long)l.tasks);
    print_id("      leader ", l.leader);
  }
  int rc = mb_wire_raid_record_check(rec->kind, c);
  if (rc != MB_EKIND)
    printf("      body: %s\n",
           rc == MB_OK ? "agrees with subject and version" : mb_strerror(rc));
}

/* A channel record: what it is about and, for a revocation, why.  The
 * authority's kinds are judged against --authority when given (an
 * instruction may also come from a bridge-eligible member: shown, not
 * judged). */
static void print_channel(struct inspect *in, size_t i,
                          const struct mb_record *rec) {
  const struct mb_channel_record *c = &rec->u.ch;
  char subject[2 * MB_CHANNEL_SUBJECT_MAX + 1];
  mb_hex_encode(subject, c->subject, c->subject_len);
  printf("      subject %s\n      version %llu\n", subject,
         (unsigned long long)c->version);
  print_ms("      issued ", c->issued_ms);
  if (c->until_s > 0) {
    char t[40];
    cli_format_time(t, sizeof(t), c->until_s);
    printf("      until %s\n", t);
  }
  struct mb_revocation rev;
  if (rec->kind == MB_REC_REVOCATION &&
      mb_wire_revocation_parse(c->body, c->body_len, &rev) == MB_OK)
    printf("      reason \"%s\"\n", rev.reason);
  print_bridge_body(rec);
  print_raid_body(rec);
  bool by_authority =
      rec->kind == MB_REC_REVOCATION || rec->kind == MB_REC_INSTRUCTION;
  if (by_authority && in->have_authority) {
    bool ok = memcmp(rec->envelope.kid, in->authority, MB_NODE_ID_LEN) == 0;
    printf("      signer is the authority: %s\n", ok ? "yes" : "no");
    if (!ok && rec->kind == MB_REC_REVOCATION)
      verdict_fail(in, "record %zu: not signed by the authority", i);
  }
}

static void inspect_record(struct inspect *in, size_t i, const uint8_t *p,
                           size_t len) {
  struct mb_record rec;
  int rc = mb_wire_record_open(NULL, p, len, in->aad, in->aad_len, &rec);
  if (rc != MB_OK && rc != MB_EBADSIG) {
    printf("  record[%zu]: undecodable: %s\n", i, mb_strerror(rc));
    verdict_fail(in, "record %zu: %s", i, mb_strerror(rc));
    return;
  }
  printf("  record[%zu]: %s (%zu bytes), signature: %s\n", i,
         mb_record_kind_name(rec.kind), len, verdict(rc));
  print_id("      signed by ", rec.envelope.kid);
  if (rc != MB_OK)
    verdict_fail(in, "record %zu: %s", i, mb_strerror(rc));
  if (rec.kind == MB_REC_HEARTBEAT)
    print_heartbeat(&rec.u.hb);
  else if (rec.kind == MB_REC_SUSPECT || rec.kind == MB_REC_DEAD)
    print_claim(&rec.u.claim);
  else if (mb_record_kind_is_channel(rec.kind))
    print_channel(in, i, &rec);
}

static void print_cert(const struct mb_cert *c) {
  char t1[40], t2[40];
  print_id("      node ", c->node_id);
  printf("      name %s, domain \"%s\"", c->name, c->domain);
  for (size_t i = 0; i < c->n_roles; i++)
    printf("%s%s", i == 0 ? ", roles " : ",", c->roles[i]);
  cli_format_time(t1, sizeof(t1), c->issued_at);
  cli_format_time(t2, sizeof(t2), c->expires_at);
  printf("\n      issued %s, expires %s\n", t1, t2);
  print_id("      authority ", c->authority);
}

/* Without an authority, a certificate is only checked against its own kid. */
static int judge_cert(const struct inspect *in, const uint8_t *p, size_t len,
                      struct mb_cert *c) {
  if (in->have_authority)
    return mb_cert_verify(p, len, in->authority, (int64_t)time(NULL), 0, c);
  struct mb_cose_sign1 m;
  int rc = mb_cert_decode(p, len, c);
  if (rc == MB_OK)
    rc = mb_cose_sign1_parse(p, len, true, &m);
  if (rc == MB_OK)
    rc = mb_cose_sign1_verify(&m, NULL, 0, m.kid);
  return rc;
}

static void inspect_cert(struct inspect *in, const char *label,
                         const uint8_t *p, size_t len) {
  struct mb_cert c;
  int rc = judge_cert(in, p, len, &c);
  printf("  %s: certificate (%zu bytes), %s: %s\n", label, len,
         in->have_authority ? "admission" : "signature (authority not checked)",
         verdict(rc));
  if (c.name[0] != '\0')
    print_cert(&c);
  if (rc)
    verdict_fail(in, "%s: %s", label, mb_strerror(rc));
}

static void print_msg(const struct mb_msg *m) {
  printf("  message: %s", mb_msg_kind_name(m->kind));
  if (m->kind <= MB_MSG_NACK)
    printf(" probe-id %llu", (unsigned long long)m->probe_id);
  if (m->kind == MB_MSG_PUSH_PULL || m->kind == MB_MSG_PUSH_PULL_REPLY ||
      m->kind == MB_MSG_JOIN)
    printf(" page %u of %u", m->part + 1, m->parts);
  if (m->kind == MB_MSG_PING_REQ) {
    char addr[64];
    cli_format_addr(addr, sizeof(addr), &m->target_addr);
    printf(" target-addr %s%s", addr, m->want_nack ? " want-nack" : "");
  }
  if (m->kind == MB_MSG_APP)
    printf(" channel %u%s, payload %zu bytes", m->app_channel,
           m->app_channel == 1 ? " (raft)" : "", m->app_len);
  printf("\n");
  if (m->kind == MB_MSG_PING || m->kind == MB_MSG_PING_REQ) {
    char ref[2 * MB_NODE_REF_LEN + 1];
    mb_hex_encode(ref, m->target, MB_NODE_REF_LEN);
    printf("      target %s... (node ref)\n", ref);
  }
}

static void print_ref(const char *label, const uint8_t *ref) {
  char hex[2 * MB_NODE_REF_LEN + 1];
  mb_hex_encode(hex, ref, MB_NODE_REF_LEN);
  printf("%s%s... (node ref)\n", label, hex);
}

/* The full id, among the ends we were given, whose node ref is ref. */
static const uint8_t *end_with_ref(const struct inspect *in,
                                   const uint8_t *ref) {
  if (in->have_key && memcmp(in->key.pk, ref, MB_NODE_REF_LEN) == 0)
    return in->key.pk;
  if (in->have_peer && memcmp(in->peer, ref, MB_NODE_REF_LEN) == 0)
    return in->peer;
  return NULL;
}

/*
 * A bound datagram's external AAD holds its receiver's full id and epoch,
 * and a COSE_Mac0's key is its pair's: neither is in the datagram, so
 * the options must give them (--to-epoch, and the ends' ids and one
 * secret key: --key, --peer).  Without them it is shown, not judged, and
 * the exit status says so.
 */
static void judge_datagram(struct inspect *in, const struct mb_datagram *d) {
  const char *what = d->mac ? "mac" : "signature";
  const char *missing = NULL;
  uint8_t key[MB_PAIR_KEY_LEN];
  struct mb_dgram_auth a = {.aad = in->aad, .aad_len = in->aad_len};
  if (d->to != NULL) {
    print_ref("  bound to receiver ", d->to);
    a.self_id = end_with_ref(in, d->to);
    a.self_epoch = in->epoch;
    if (a.self_id == NULL || !in->have_epoch)
      missing = "the receiver's id (--key or --peer) and --to-epoch";
    else if (d->mac && !(in->have_key && in->have_peer))
      missing = "--key of one end and --peer of the other";
  }
  if (missing != NULL) {
    printf("  %s: not checked (needs %s)\n", what, missing);
    verdict_fail(in, "datagram: %s not checked: needs %s", what, missing);
    return;
  }
  int rc = MB_OK;
  if (d->mac)
    rc = mb_pair_key(key, &in->key, in->peer);
  a.key = key;
  if (rc == MB_OK)
    rc = mb_wire_datagram_auth(d, &a);
  printf("  %s: %s\n", what, verdict(rc));
  if (rc)
    verdict_fail(in, "datagram: %s (cluster \"%s\")", mb_strerror(rc),
                 in->cluster);
}

static void inspect_datagram(struct inspect *in, const uint8_t *buf, size_t len,
                             const struct mb_datagram *d) {
  printf("datagram (%zu bytes), cluster \"%s\"\n", len, in->cluster);
  if (d->mac)
    print_ref("  sender ", d->sender_ref);
  else
    print_id("  sender ", d->envelope.kid);
  judge_datagram(in, d);
  printf("  version %llu, seq %llu\n", (unsigned long long)d->version,
         (unsigned long long)d->seq);
  print_msg(&d->msg);
  for (size_t i = 0; i < d->n_records; i++)
    inspect_record(in, i, d->records[i].p, d->records[i].len);
  for (size_t i = 0; i < d->n_certs; i++) {
    char label[32];
    snprintf(label, sizeof(label), "cert[%zu]", i);
    inspect_cert(in, label, d->certs[i].p, d->certs[i].len);
  }
  (void)buf;
}

/* Tells a certificate (tag 61), a datagram and a bare record apart. */
static void inspect_any(struct inspect *in, const uint8_t *buf, size_t len) {
  if (len > 0 && buf[0] == 0xd8 && len > 1 && buf[1] == MB_CWT_TAG) {
    inspect_cert(in, "file", buf, len);
    return;
  }
  struct mb_datagram *d = malloc(sizeof(*d));
  int rc = d ? mb_wire_datagram_parse(buf, len, d) : -ENOMEM;
  if (rc == MB_OK) {
    inspect_datagram(in, buf, len, d);
    free(d);
    return;
  }
  free(d);
  struct mb_record rec;
  if (mb_wire_record_parse(buf, len, &rec) == MB_OK) {
    printf("signed record, cluster \"%s\"\n", in->cluster);
    inspect_record(in, 0, buf, len);
    return;
  }
  printf("not a meshbeat datagram, record or certificate: %s\n",
         mb_strerror(rc));
  verdict_fail(in, "not a meshbeat datagram: %s", mb_strerror(rc));
}

static void inspect_usage(FILE *f) {
  fprintf(
      f,
      "usage: meshbeat inspect [--cluster NAME] [--authority HEX]\n"
      "                        [--to-epoch HEX16 [--key FILE] [--peer HEX]] "
      "[FILE|-]\n\n"
      "Decodes a meshbeat datagram, signed record or certificate, prints it\n"
      "(a summary, then CBOR diagnostic notation) with every signature's\n"
      "verdict.  Exits 0 only if all signatures verify (and, with\n"
      "--authority, all certificates are admitted); 1 otherwise.\n"
      "  --cluster NAME   cluster name, the signatures' AAD (default %s)\n"
      "  --authority HEX  the cluster authority's id, to judge certificates\n"
      "  --to-epoch HEX16 the receiver's epoch, for a datagram bound to it\n"
      "  --key FILE       one end's secret key and --peer HEX the other's id:\n"
      "  --peer HEX       a MACed datagram is checked under their pair key\n",
      CLI_DEFAULT_CLUSTER);
}

static int parse_inspect_args(int argc, char **argv, struct inspect *in,
                              const char **path) {
  static const struct option opts[] = {{"cluster", required_argument, 0, 'c'},
                                       {"authority", required_argument, 0, 'a'},
                                       {"to-epoch", required_argument, 0, 'e'},
                                       {"key", required_argument, 0, 'k'},
                                       {"peer", required_argument, 0, 'p'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  int c;
  cli_getopt_begin();
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    if (c == 'c') {
      in->cluster = optarg;
    } else if (c == 'a') {
      if (mb_node_id_parse(in->authority, optarg) != MB_OK)
        return cli_usage_error("inspect", "--authority wants 64 hex");
      in->have_authority = true;
    } else if (c == 'e') {
      if (!cli_parse_epoch(optarg, &in->epoch))
        return cli_usage_error("inspect", "--to-epoch wants 16 hex digits");
      in->have_epoch = true;
    } else if (c == 'k') {
      int rc = mb_identity_load(&in->key, optarg);
      if (rc)
        return cli_fail("inspect", "%s: %s", optarg, mb_strerror(rc));
      in->have_key = true;
    } else if (c == 'p') {
      if (mb_node_id_parse(in->peer, optarg) != MB_OK)
        return cli_usage_error("inspect", "--peer wants 64 hex");
      in->have_peer = true;
    } else if (c == 'h') {
      return inspect_usage(stdout), -1;
    } else {
      return cli_option_error("inspect", c, argv, opts);
    }
  }
  if (argc - optind > 1)
    return cli_usage_error("inspect", "at most one FILE");
  *path = optind < argc ? argv[optind] : "-";
  return CLI_EXIT_OK;
}

int cmd_inspect(int argc, char **argv) {
  struct inspect in = {.cluster = CLI_DEFAULT_CLUSTER};
  const char *path = "-";
  int rc = parse_inspect_args(argc, argv, &in, &path);
  if (rc != CLI_EXIT_OK)
    return rc < 0 ? CLI_EXIT_OK : rc;
  in.aad = (const uint8_t *)in.cluster;
  in.aad_len = strlen(in.cluster);
  uint8_t *buf;
  size_t len;
  rc = cli_read_file(path, &buf, &len);
  if (rc)
    return cli_fail("inspect", "%s: %s", path, mb_strerror(rc));
  inspect_any(&in, buf, len);
  printf("diagnostic:\n");
  if (cli_print_diag(stdout, buf, len) != MB_OK)
    printf("(not well-formed CBOR)\n");
  free(buf);
  if (in.failures > 0)
    return cli_fail("inspect", "%s", in.reason);
  printf("verdict: ok\n");
  return CLI_EXIT_OK;
}
