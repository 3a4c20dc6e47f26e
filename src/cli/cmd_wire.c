/*
 * meshbeat wire sample KIND: one complete signed datagram as raw bytes, for
 * docs, tests and other implementations.  The same builder as the daemon
 * makes it, so a sample is exactly what the mesh sends.  The bridge's
 * channel records (cursor, instruction) come by themselves, as a record
 * rides in a datagram.
 */
#include "cli_addr.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "wire_sample_raid.h"

static void wire_usage(FILE *f) {
  fprintf(
      f,
      "usage: meshbeat wire sample KIND --key FILE [--cert FILE]\n"
      "                            --cluster NAME [options] [--out FILE]\n\n"
      "KIND: ping ack ping-req nack push-pull push-pull-reply join leave\n"
      "      gossip heartbeat suspect dead cursor instruction app\n"
      "      raid-array raid-task raid-leader\n"
      "  heartbeat  a push-pull page carrying the signer's own heartbeat\n"
      "             (--task ID:DONE, up to 8 times: its tasks' progress)\n"
      "  app        an app channel message: --channel N (default 1, Raft)\n"
      "             and --payload HEX (default 16 bytes 00..0f); members\n"
      "             accept it only bound (--to, --to-epoch)\n"
      "  join/leave carry the signer's heartbeat (status left for leave)\n"
      "  suspect/dead  a ping carrying the signer's claim about --target\n"
      "             at --incarnation\n"
      "  gossip     a pure dissemination datagram carrying a suspect claim\n"
      "  cursor     a bridge cursor record by itself: about the signer, two\n"
      "             event ids, --target's episode at --incarnation\n"
      "  instruction  an instruction record by itself about --target:\n"
      "             --op drain|undrain [--instruction-id ID]\n"
      "  raid-array/raid-task/raid-leader  a RAID publication record by\n"
      "             itself, as the Raft leader (the signer) publishes it:\n"
      "             array eu-archive, --target's slot 1 down, index 120;\n"
      "             the task rebuilding it onto --target; the leader\n"
      "             record (index 121)\n"
      "  (records: issued time is --time; so is the version of a cursor\n"
      "   or an instruction)\n\n"
      "options: --seq N --time MS --incarnation N --name NAME --addr H:P\n"
      "         --domain D --capacity BYTES --available BYTES --cpu PERMILLE\n"
      "         --mem PERMILLE --load X100 --temp MILLI_C --target HEX\n"
      "         --target-addr H:P --probe-id N --budget BYTES\n"
      "         --task ID:DONE --channel N --payload HEX\n"
      "         --to HEX --to-epoch HEX16   bind to that receiver (a member\n"
      "                                     accepts nothing else but joins)\n"
      "         --mac                       MAC under the pair key (needs "
      "--to)\n"
      "Writes raw bytes to stdout (refuses a terminal) or to --out FILE.\n");
}

struct sample {
  const char *kind, *key_path, *cert_path, *cluster, *out;
  uint64_t seq, probe_id;
  size_t budget;
  struct mb_identity id;
  struct mb_heartbeat hb;
  bool have_name, have_domain, have_space, have_time;
  uint8_t target[MB_NODE_ID_LEN];
  struct mb_addr target_addr;
  uint8_t *cert;
  size_t cert_len;
  bool bound, mac; /* --to/--to-epoch given; --mac */
  uint8_t to[MB_NODE_ID_LEN];
  uint64_t to_epoch;
  uint8_t pair_key[MB_PAIR_KEY_LEN];
  struct mb_instruction instruction; /* --op, --instruction-id */
  uint8_t app_channel;               /* --channel */
  uint8_t payload[MB_WIRE_MSG_MAX];  /* --payload */
  size_t payload_len;
};

static const struct option wire_opts[] = {
    {"key", required_argument, 0, 'k'},
    {"cert", required_argument, 0, 'c'},
    {"cluster", required_argument, 0, 'C'},
    {"out", required_argument, 0, 'o'},
    {"seq", required_argument, 0, 'S'},
    {"time", required_argument, 0, 'T'},
    {"incarnation", required_argument, 0, 'I'},
    {"name", required_argument, 0, 'N'},
    {"addr", required_argument, 0, 'A'},
    {"domain", required_argument, 0, 'D'},
    {"capacity", required_argument, 0, 'P'},
    {"available", required_argument, 0, 'V'},
    {"cpu", required_argument, 0, 1},
    {"mem", required_argument, 0, 2},
    {"load", required_argument, 0, 3},
    {"temp", required_argument, 0, 4},
    {"target", required_argument, 0, 't'},
    {"target-addr", required_argument, 0, 'a'},
    {"probe-id", required_argument, 0, 'p'},
    {"budget", required_argument, 0, 'B'},
    {"to", required_argument, 0, 5},
    {"to-epoch", required_argument, 0, 6},
    {"mac", no_argument, 0, 7},
    {"op", required_argument, 0, 8},
    {"instruction-id", required_argument, 0, 9},
    {"task", required_argument, 0, 10},
    {"channel", required_argument, 0, 11},
    {"payload", required_argument, 0, 12},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0}};

static bool set_health(struct mb_health *h, int which, const char *v) {
  int64_t x;
  if (!cli_parse_i64(v, &x) || x < INT32_MIN || x > INT32_MAX ||
      (which != 4 && x < 0))
    return false;
  h->have |= 1u << (which - 1);
  if (which == 1)
    h->cpu_permille = (uint32_t)x;
  else if (which == 2)
    h->mem_permille = (uint32_t)x;
  else if (which == 3)
    h->load_x100 = (uint32_t)x;
  else
    h->temp_mc = (int32_t)x;
  return true;
}

static bool set_text(char *dst, size_t max, const char *v) {
  if (strlen(v) > max)
    return false;
  strcpy(dst, v);
  return true;
}

/* --task ID:DONE, one more of the heartbeat's tasks. */
static bool add_task(struct mb_heartbeat *hb, const char *v) {
  char id[32];
  const char *colon = strchr(v, ':');
  if (colon == NULL || (size_t)(colon - v) >= sizeof(id) ||
      hb->n_tasks == MB_HB_TASKS_MAX)
    return false;
  memcpy(id, v, (size_t)(colon - v));
  id[colon - v] = '\0';
  struct mb_task_progress *t = &hb->tasks[hb->n_tasks];
  if (!cli_parse_u64(id, &t->id) || !cli_parse_u64(colon + 1, &t->done))
    return false;
  hb->n_tasks++;
  return true;
}

static bool set_payload(struct sample *s, const char *v) {
  size_t n = strlen(v);
  if (n % 2 != 0 || n / 2 > sizeof(s->payload))
    return false;
  s->payload_len = n / 2;
  return mb_hex_decode(s->payload, s->payload_len, v) == MB_OK;
}

/* One option; false when its value is malformed. */
static bool apply_option(struct sample *s, int c, const char *v) {
  uint64_t u;
  switch (c) {
  case 'k':
    s->key_path = v;
    return true;
  case 5:
    s->bound = true;
    return mb_node_id_parse(s->to, v) == MB_OK;
  case 6:
    return cli_parse_epoch(v, &s->to_epoch);
  case 7:
    s->mac = true;
    return true;
  case 8:
    return set_text(s->instruction.name, MB_INSTRUCTION_OP_MAX, v);
  case 9:
    return set_text(s->instruction.id, MB_INSTRUCTION_ID_MAX, v);
  case 10:
    return add_task(&s->hb, v);
  case 11:
    return cli_parse_u64(v, &u) && u <= UINT8_MAX &&
           (s->app_channel = (uint8_t)u, true);
  case 12:
    return set_payload(s, v);
  case 'c':
    s->cert_path = v;
    return true;
  case 'C':
    s->cluster = v;
    return true;
  case 'o':
    s->out = v;
    return true;
  case 'S':
    return cli_parse_u64(v, &s->seq);
  case 'p':
    return cli_parse_u64(v, &s->probe_id);
  case 'T':
    return s->have_time = true, cli_parse_i64(v, &s->hb.time_ms);
  case 'I':
    return cli_parse_u64(v, &s->hb.incarnation);
  case 'N':
    return s->have_name = true, set_text(s->hb.name, MB_NAME_MAX, v);
  case 'D':
    return s->have_domain = true, set_text(s->hb.domain, MB_DOMAIN_MAX, v);
  case 'A':
    return cli_parse_addr(v, &s->hb.addr) == 0;
  case 'a':
    return cli_parse_addr(v, &s->target_addr) == 0;
  case 'P':
    return s->have_space = true, cli_parse_u64(v, &s->hb.capacity);
  case 'V':
    return s->have_space = true, cli_parse_u64(v, &s->hb.available);
  case 't':
    return mb_node_id_parse(s->target, v) == MB_OK;
  case 'B':
    return cli_parse_u64(v, &u) && u >= 128 && u <= MB_WIRE_MAX_DATAGRAM &&
           (s->budget = (size_t)u, true);
  default:
    return set_health(&s->hb.health, c, v);
  }
}

static void sample_defaults(struct sample *s) {
  memset(s, 0, sizeof(*s));
  s->seq = 1;
  s->probe_id = 1;
  s->budget = MB_WIRE_DEFAULT_BUDGET;
  s->app_channel = 1; /* Raft's (SWIM_APP_RAFT) */
  s->payload_len = 16;
  for (size_t i = 0; i < s->payload_len; i++)
    s->payload[i] = (uint8_t)i;
  s->hb.incarnation = 1;
  s->hb.seq = 1;
  memset(s->target, 0xaa, sizeof(s->target));
  cli_parse_addr("127.0.0.1:7946", &s->hb.addr);
  cli_parse_addr("127.0.0.1:7947", &s->target_addr);
}

static int parse_wire_args(int argc, char **argv, struct sample *s) {
  sample_defaults(s);
  int c, which = -1;
  cli_getopt_begin();
  while ((c = getopt_long(argc, argv, ":h", wire_opts, &which)) != -1) {
    if (c == 'h')
      return wire_usage(stdout), -1;
    if (c == '?' || c == ':')
      return cli_option_error("wire", c, argv, wire_opts);
    if (!apply_option(s, c, optarg))
      return cli_usage_error("wire", "--%s: bad value '%s'",
                             wire_opts[which].name, optarg);
  }
  if (optind + 2 != argc || strcmp(argv[optind], "sample") != 0)
    return cli_usage_error("wire", "expected 'sample KIND'");
  s->kind = argv[optind + 1];
  if (!s->key_path || !s->cluster)
    return cli_usage_error("wire", "--key and --cluster are required");
  return CLI_EXIT_OK;
}

/* Fills what the operator did not give from the certificate and the host. */
static int complete_heartbeat(struct sample *s) {
  struct mb_cert cert;
  if (s->cert != NULL && mb_cert_decode(s->cert, s->cert_len, &cert) == 0) {
    if (!s->have_name)
      strcpy(s->hb.name, cert.name), s->have_name = true;
    if (!s->have_domain)
      strcpy(s->hb.domain, cert.domain);
  }
  if (!s->have_name)
    strcpy(s->hb.name, "node");
  struct statvfs vfs;
  if (!s->have_space && statvfs(".", &vfs) == 0) {
    s->hb.capacity = (uint64_t)vfs.f_blocks * vfs.f_frsize;
    s->hb.available = (uint64_t)vfs.f_bavail * vfs.f_frsize;
  }
  if (!s->have_time) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    s->hb.time_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  }
  return CLI_EXIT_OK;
}

static int load_inputs(struct sample *s) {
  int rc = mb_identity_load(&s->id, s->key_path);
  if (rc)
    return cli_fail("wire", "%s: %s", s->key_path, mb_strerror(rc));
  if (s->cert_path) {
    rc = cli_read_file(s->cert_path, &s->cert, &s->cert_len);
    if (rc)
      return cli_fail("wire", "%s: %s", s->cert_path, mb_strerror(rc));
  }
  return complete_heartbeat(s);
}

struct kind_map {
  const char *name;
  enum mb_msg_kind msg;
  int record; /* 0 none, or an mb_record_kind carried in the datagram */
};

static const struct kind_map kinds[] = {
    {"ping", MB_MSG_PING, 0},
    {"ack", MB_MSG_ACK, 0},
    {"ping-req", MB_MSG_PING_REQ, 0},
    {"nack", MB_MSG_NACK, 0},
    {"push-pull", MB_MSG_PUSH_PULL, 0},
    {"push-pull-reply", MB_MSG_PUSH_PULL_REPLY, 0},
    {"join", MB_MSG_JOIN, MB_REC_HEARTBEAT},
    {"leave", MB_MSG_LEAVE, MB_REC_HEARTBEAT},
    {"gossip", MB_MSG_GOSSIP, MB_REC_SUSPECT},
    {"heartbeat", MB_MSG_PUSH_PULL, MB_REC_HEARTBEAT},
    {"suspect", MB_MSG_PING, MB_REC_SUSPECT},
    {"dead", MB_MSG_PING, MB_REC_DEAD},
    {"cursor", 0, MB_REC_BRIDGE_CURSOR},
    {"instruction", 0, MB_REC_INSTRUCTION},
    {"raid-array", 0, MB_REC_RAID_ARRAY},
    {"raid-task", 0, MB_REC_RAID_TASK},
    {"raid-leader", 0, MB_REC_RAID_LEADER},
    {"app", MB_MSG_APP, 0},
};

static const struct kind_map *find_kind(const char *name) {
  for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
    if (strcmp(kinds[i].name, name) == 0)
      return &kinds[i];
  return NULL;
}

static void fill_msg(const struct sample *s, const struct kind_map *k,
                     struct mb_msg *m) {
  memset(m, 0, sizeof(*m));
  m->kind = k->msg;
  m->probe_id = s->probe_id;
  memcpy(m->target, s->target, MB_NODE_REF_LEN);
  m->target_addr = s->target_addr;
  m->want_nack = k->msg == MB_MSG_PING_REQ;
  m->part = 0;
  m->parts = 1;
  m->app_channel = s->app_channel;
  m->app_payload = s->payload;
  m->app_len = s->payload_len;
}

static int sign_record(struct sample *s, const uint8_t *aad, size_t aad_len,
                       int kind, uint8_t *out, size_t cap, size_t *len) {
  if (kind == MB_REC_HEARTBEAT)
    return mb_wire_heartbeat_sign(&s->id, aad, aad_len, &s->hb, out, cap, len);
  /* A claim is about its target's incarnation, --incarnation (1). */
  struct mb_claim claim = {.incarnation = s->hb.incarnation,
                           .time_ms = s->hb.time_ms};
  memcpy(claim.subject, s->target, MB_NODE_ID_LEN);
  return mb_wire_claim_sign(&s->id, aad, aad_len, (enum mb_record_kind)kind,
                            &claim, out, cap, len);
}

/* A sample cursor: two delivered events, one open episode (--target's,
 * at --incarnation). */
static int cursor_body(const struct sample *s, uint8_t *out, size_t cap,
                       size_t *len) {
  struct mb_bridge_cursor c = {.n_events = 2, .delivered = 42, .pending = 1};
  for (size_t i = 0; i < c.n_events; i++)
    for (size_t b = 0; b < MB_CURSOR_EVENT_ID_LEN; b++)
      c.events[i][b] = (uint8_t)(0x10 * (i + 1) + b);
  c.n_episodes = 1;
  memcpy(c.episodes[0].member, s->target, MB_NODE_REF_LEN);
  c.episodes[0].incarnation = s->hb.incarnation;
  return mb_wire_cursor_body(&c, out, cap, len);
}

/* A bridge channel record by itself: a cursor about its signer, or an
 * instruction about --target (op drain unless --op says otherwise). */
static int build_channel(struct sample *s, const struct kind_map *k,
                         uint8_t *out, size_t cap, size_t *len) {
  uint8_t body[MB_CHANNEL_BODY_MAX];
  struct mb_channel_record c = {.subject_len = MB_NODE_ID_LEN,
                                .version = (uint64_t)s->hb.time_ms,
                                .issued_ms = s->hb.time_ms,
                                .body = body};
  int rc;
  if (k->record == MB_REC_BRIDGE_CURSOR) {
    memcpy(c.subject, s->id.pk, MB_NODE_ID_LEN);
    rc = cursor_body(s, body, sizeof(body), &c.body_len);
  } else {
    memcpy(c.subject, s->target, MB_NODE_ID_LEN);
    if (s->instruction.name[0] == '\0')
      s->instruction.op = MB_INSTR_DRAIN;
    rc = mb_wire_instruction_body(&s->instruction, body, sizeof(body),
                                  &c.body_len);
  }
  if (rc == MB_OK)
    rc = mb_wire_channel_sign(
        &s->id, (const uint8_t *)s->cluster, strlen(s->cluster),
        (enum mb_record_kind)k->record, &c, out, cap, len);
  return rc;
}

static int build(struct sample *s, const struct kind_map *k, uint8_t *out,
                 size_t cap, size_t *len) {
  if (k->record == MB_REC_RAID_ARRAY || k->record == MB_REC_RAID_TASK ||
      k->record == MB_REC_RAID_LEADER)
    return wire_sample_raid(&s->id, s->cluster, (enum mb_record_kind)k->record,
                            s->target, s->hb.time_ms, out, cap, len);
  if (mb_record_kind_is_channel((enum mb_record_kind)k->record))
    return build_channel(s, k, out, cap, len);
  const uint8_t *aad = (const uint8_t *)s->cluster;
  size_t aad_len = strlen(s->cluster);
  struct mb_msg msg;
  fill_msg(s, k, &msg);
  if (strcmp(k->name, "leave") == 0)
    s->hb.status = MB_HB_LEFT;
  struct mb_dgram_builder b;
  int rc = mb_dgram_init(&b, &s->id, aad, aad_len, s->budget, s->seq, &msg);
  if (rc == MB_OK && s->bound)
    mb_dgram_bind(&b, s->to, s->to_epoch);
  if (rc == MB_OK && s->mac)
    rc = mb_pair_key(s->pair_key, &s->id, s->to);
  if (rc == MB_OK && s->mac)
    rc = mb_dgram_use_mac(&b, s->pair_key);
  uint8_t rec[MB_WIRE_MAX_RECORD];
  size_t rec_len;
  if (rc == MB_OK && k->record != 0)
    rc = sign_record(s, aad, aad_len, k->record, rec, sizeof(rec), &rec_len);
  if (rc == MB_OK && k->record != 0)
    rc = mb_dgram_add_record(&b, rec, rec_len);
  if (rc == MB_OK && s->cert != NULL)
    rc = mb_dgram_add_cert(&b, s->cert, s->cert_len);
  if (rc == MB_OK)
    rc = mb_dgram_finish(&b, out, cap, len);
  return rc;
}

static int emit(const struct sample *s, const uint8_t *p, size_t len) {
  if (s->out != NULL) {
    int rc = cli_write_file(s->out, p, len, 0644);
    return rc ? cli_fail("wire", "%s: %s", s->out, mb_strerror(rc))
              : CLI_EXIT_OK;
  }
  if (isatty(STDOUT_FILENO))
    return cli_fail("wire", "refusing to write binary to a terminal; "
                            "use --out FILE or a pipe");
  if (fwrite(p, 1, len, stdout) != len || fflush(stdout) != 0)
    return cli_fail("wire", "write to stdout failed");
  return CLI_EXIT_OK;
}

int cmd_wire(int argc, char **argv) {
  struct sample s;
  int rc = parse_wire_args(argc, argv, &s);
  if (rc != CLI_EXIT_OK)
    return rc < 0 ? CLI_EXIT_OK : rc;
  const struct kind_map *k = find_kind(s.kind);
  if (k == NULL)
    return cli_usage_error("wire", "unknown kind '%s'", s.kind);
  rc = load_inputs(&s);
  if (rc != CLI_EXIT_OK) {
    free(s.cert);
    return rc;
  }
  uint8_t out[MB_WIRE_MAX_DATAGRAM];
  size_t len;
  int err = build(&s, k, out, sizeof(out), &len);
  mb_identity_wipe(&s.id);
  free(s.cert);
  if (err)
    return cli_fail("wire", "cannot build %s: %s", s.kind, mb_strerror(err));
  return emit(&s, out, len);
}
