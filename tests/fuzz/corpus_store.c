/*
 * Seeds of the store's fuzz targets.  Values come from the store's own
 * encoders; files are real stores made in a temporary directory with fixed
 * contents (times, incarnations, a fixed map size), which LMDB lays out the
 * same way on every run, so fuzz_corpus_current can compare them with the
 * committed ones.  Each file seed is checked against mb_store__pages_verify
 * before it is written: valid ones must pass, broken ones must not.
 */
#include "corpus_store.h"
#include "store_internal.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint8_t record_bytes[3000] = {0xd2, 0x84};
static const uint8_t cert_bytes[1500] = {0xd2, 0x84, 0x43};

static struct mb_store_member member(int i, bool with_cert) {
  struct mb_store_member m = {.state = (uint8_t)(i % 4),
                              .since_ms = 1767225600000 + i,
                              .incarnation = (uint64_t)i * 3,
                              .record = record_bytes,
                              .record_len = 64 + (size_t)i * 97 % 2900,
                              .cert = with_cert ? cert_bytes : NULL,
                              .cert_len = with_cert ? sizeof cert_bytes : 0};
  memset(m.id, 0xa0 + i, sizeof m.id);
  return m;
}

static struct mb_store_event event(int i) {
  struct mb_store_event ev = {.time_ms = 1767225600000 + i * 10,
                              .from = (uint8_t)(i % 4),
                              .to = (uint8_t)((i + 1) % 4),
                              .reason = (uint8_t)(i % 9),
                              .incarnation = (uint64_t)i};
  memset(ev.id, 0xa0 + i % 7, sizeof ev.id);
  if (i % 5 == 0)
    memset(ev.name, 'n', MB_STORE_NAME_MAX); /* the longest name */
  else if (i % 5 != 1)
    snprintf(ev.name, sizeof ev.name, "store-%02d", i);
  return ev;
}

static const uint8_t body_bytes[2000] = "{\"type\":\"machine.offline\"}";

static struct mb_store_outbox_entry delivery(int i, bool parked) {
  struct mb_store_outbox_entry e = {
      .created_ms = 1767225600000 + i,
      .attempts = (uint32_t)i % 5,
      .next_attempt_ms = i % 2 ? 1767225660000 + i : 0,
      .state = parked ? MB_STORE_OUTBOX_PARKED : MB_STORE_OUTBOX_PENDING,
      .body = body_bytes,
      .body_len = 30 + (size_t)i * 131 % 1900};
  snprintf(e.dest, sizeof e.dest, i % 3 ? "webhook" : "view");
  snprintf(e.id, sizeof e.id, "msg_%08x", 0x5eed0000u + (unsigned)i);
  if (parked)
    snprintf(e.reason, sizeof e.reason, "HTTP 410 Gone");
  return e;
}

/* Outbox entries, a plain one and a parked one, as values; a key of each
 * outbox database, for the key decoders. */
static int outbox_seeds(corpus_put_fn put, void *ctx) {
  static uint8_t buf[4096];
  uint8_t key[MB_STORE__OUTBOX_KEY_MAX];
  MDB_val k, v;
  int bad = 0;
  for (int i = 0; i < 2; i++) {
    struct mb_store_outbox_entry e = delivery(4 + i, i == 1), back;
    size_t n = mb_store__outbox_encode(buf, sizeof buf, &e);
    mb_store__outbox_key(key, "webhook", 7, &k);
    v = (MDB_val){n, buf};
    bad += n == 0 || mb_store__outbox_decode(&k, &v, &back) != MB_OK;
    put(ctx, "store_value", i ? "outbox-parked" : "outbox-pending", buf, n);
  }
  mb_store__outbox_key(key, "webhook", 7, &k);
  put(ctx, "store_value", "outbox-key", k.mv_data, k.mv_size);
  uint8_t id_key[MB_STORE__OUTBOX_ID_KEY_MAX];
  mb_store__outbox_id_key(id_key, "webhook", "msg_5eed0004", &k);
  put(ctx, "store_value", "outbox-id-key", k.mv_data, k.mv_size);
  return bad;
}

/* Bridge episodes (fuzz_store_episode): values at the integers' widths,
 * one with a key of a later minor version, broken ones, and a member id
 * as a key. */
static int episode_seeds(corpus_put_fn put, void *ctx) {
  static const struct {
    const char *name;
    uint64_t incarnation;
  } values[] = {{"episode-zero", 0},
                {"episode-small", 23},
                {"episode-two-bytes", 300},
                {"episode-four-bytes", 70000},
                {"episode-max", UINT64_MAX}};
  uint8_t buf[MB_STORE__EPISODE_VALUE_MAX + 2], id[MB_STORE_ID_LEN];
  memset(id, 0x5a, sizeof id);
  MDB_val k = {sizeof id, id}, v;
  struct mb_store_episode back;
  int bad = 0;
  size_t n = 0;
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
    struct mb_store_episode e = {.incarnation = values[i].incarnation};
    n = mb_store__episode_encode(buf, sizeof buf, &e);
    v = (MDB_val){n, buf};
    bad += n == 0 || mb_store__episode_decode(&k, &v, &back) != MB_OK ||
           back.incarnation != e.incarnation;
    put(ctx, "store_episode", values[i].name, buf, n);
  }
  /* {1: 300, 2: "x"}: a later key is skipped. */
  static const uint8_t later[] = {0xa2, 0x01, 0x19, 0x01,
                                  0x2c, 0x02, 0x61, 'x'};
  v = (MDB_val){sizeof later, (void *)later};
  bad += mb_store__episode_decode(&k, &v, &back) != MB_OK;
  put(ctx, "store_episode", "episode-later-key", later, sizeof later);
  v = (MDB_val){n - 1, buf}; /* the last value, cut short */
  bad += mb_store__episode_decode(&k, &v, &back) == MB_OK;
  put(ctx, "store_episode", "broken-episode-truncated", buf, n - 1);
  static const uint8_t missing[] = {0xa1, 0x02, 0x01};
  v = (MDB_val){sizeof missing, (void *)missing};
  bad += mb_store__episode_decode(&k, &v, &back) == MB_OK;
  put(ctx, "store_episode", "broken-episode-missing", missing, sizeof missing);
  put(ctx, "store_episode", "episode-key", id, sizeof id);
  return bad;
}

/* Raft's values (fuzz_store_raft): log entries small and large, at the
 * integers' widths, a snapshot, a later key, broken ones, and a log key. */
static int raft_seeds(corpus_put_fn put, void *ctx) {
  static uint8_t buf[4096], blob[3000];
  for (size_t i = 0; i < sizeof blob; i++)
    blob[i] = (uint8_t)(i * 31);
  static const struct {
    const char *name;
    uint64_t term;
    uint8_t type;
    size_t len;
  } entries[] = {{"raft-entry-empty", 1, 2, 0},
                 {"raft-entry-small", 23, 1, 20},
                 {"raft-entry-wide", 70000, 255, 300},
                 {"raft-entry-max-term", UINT64_MAX, 3, 3000}};
  uint8_t key[8];
  mb_store__seq_key(key, 42);
  MDB_val k = {sizeof key, key}, v;
  struct mb_store_raft_entry back;
  uint64_t index;
  int bad = 0;
  size_t n = 0;
  for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) {
    struct mb_store_raft_entry e = {entries[i].term, entries[i].type, blob,
                                    entries[i].len};
    n = mb_store__raft_entry_size(&e);
    bad += n > sizeof buf || mb_store__raft_entry_encode(buf, n, &e) != MB_OK;
    v = (MDB_val){n, buf};
    bad += mb_store__raft_entry_decode(&k, &v, &index, &back) != MB_OK ||
           back.term != e.term || back.len != e.len;
    put(ctx, "store_raft", entries[i].name, buf, n);
  }
  v = (MDB_val){n - 1, buf}; /* the last entry, cut short */
  bad += mb_store__raft_entry_decode(&k, &v, &index, &back) == MB_OK;
  put(ctx, "store_raft", "broken-raft-entry-truncated", buf, n - 1);
  /* {1: 2, 2: 1, 3: h'', 4: "x"}: a later key is skipped. */
  static const uint8_t later[] = {0xa4, 0x01, 0x02, 0x02, 0x01,
                                  0x03, 0x40, 0x04, 0x61, 'x'};
  v = (MDB_val){sizeof later, (void *)later};
  bad += mb_store__raft_entry_decode(&k, &v, &index, &back) != MB_OK;
  put(ctx, "store_raft", "raft-entry-later-key", later, sizeof later);
  static const uint8_t no_type[] = {0xa2, 0x01, 0x02, 0x03, 0x40};
  v = (MDB_val){sizeof no_type, (void *)no_type};
  bad += mb_store__raft_entry_decode(&k, &v, &index, &back) == MB_OK;
  put(ctx, "store_raft", "broken-raft-entry-missing", no_type, sizeof no_type);
  put(ctx, "store_raft", "raft-key", key, sizeof key);
  struct mb_store_raft_snapshot sn = {.index = 1000,
                                      .term = 7,
                                      .conf_index = 990,
                                      .conf = blob,
                                      .conf_len = 40,
                                      .data = blob,
                                      .data_len = 2000},
                                sback;
  n = mb_store__raft_snapshot_size(&sn);
  bad += n > sizeof buf || mb_store__raft_snapshot_encode(buf, n, &sn) != MB_OK;
  k = (MDB_val){8, "snapshot"};
  v = (MDB_val){n, buf};
  bad += mb_store__raft_snapshot_decode(&k, &v, &sback) != MB_OK;
  put(ctx, "store_raft", "raft-snapshot", buf, n);
  v = (MDB_val){n / 2, buf};
  bad += mb_store__raft_snapshot_decode(&k, &v, &sback) == MB_OK;
  put(ctx, "store_raft", "broken-raft-snapshot-truncated", buf, n / 2);
  return bad;
}

static int value_seeds(corpus_put_fn put, void *ctx) {
  uint8_t buf[8192];
  struct mb_store_member m = member(5, true), back;
  size_t n = mb_store__member_encode(buf, sizeof buf, &m);
  int bad = n == 0 || mb_store__member_decode(buf, n, &back) != MB_OK;
  put(ctx, "store_value", "member-cert", buf, n);
  put(ctx, "store_value", "broken-member-truncated", buf, n / 2);
  m = member(2, false);
  n = mb_store__member_encode(buf, sizeof buf, &m);
  bad += n == 0 || mb_store__member_decode(buf, n, &back) != MB_OK;
  put(ctx, "store_value", "member-plain", buf, n);
  for (int i = 0; i < 2; i++) {
    struct mb_store_event ev = event(i), evb;
    n = mb_store__event_encode(buf, sizeof buf, &ev);
    bad += n == 0 || mb_store__event_decode(buf, n, &evb) != MB_OK;
    put(ctx, "store_value", i ? "event-no-name" : "event-long-name", buf, n);
  }
  bad += outbox_seeds(put, ctx);
  bad += episode_seeds(put, ctx);
  bad += raft_seeds(put, ctx);
  static const uint8_t incarnation[] = {0x1b, 0, 0, 0, 1, 0, 0, 0, 0};
  put(ctx, "store_value", "uint-incarnation", incarnation, sizeof incarnation);
  return bad;
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

/* Raft's term, vote, a log of n entries and a snapshot in the middle. */
static int raft_state(struct mb_store *s, int n) {
  int rc = mb_store_raft_set_term(s, 3);
  if (rc == MB_OK)
    rc = mb_store_raft_set_vote(s, 0x0102030405060708u);
  for (int i = 0; i < n && rc == MB_OK; i++) {
    struct mb_store_raft_entry e = {.term = 1 + (uint64_t)i / 4,
                                    .type = 1,
                                    .data = body_bytes,
                                    .len = 40 + (size_t)i * 53 % 1500};
    rc = mb_store_raft_append(s, (uint64_t)i + 1, &e, 1);
  }
  struct mb_store_raft_snapshot sn = {.index = (uint64_t)n / 2 + 1,
                                      .term = 1,
                                      .conf_index = 1,
                                      .conf = cert_bytes,
                                      .conf_len = 30,
                                      .data = body_bytes,
                                      .data_len = 700};
  return rc == MB_OK ? mb_store_raft_snapshot_put(s, &sn, 1) : rc;
}

/* A store in a fresh directory with members members and events events, of
 * which retention keeps keep (0: all); its data.mdb into *out. */
static int make_store(int members, int events, uint64_t keep, uint8_t **out,
                      size_t *len) {
  char root[] = "/tmp/mbcorpus.XXXXXX", dir[64], path[80];
  if (mkdtemp(root) == NULL)
    return -1;
  snprintf(dir, sizeof dir, "%s/store", root);
  struct mb_store_options opt;
  mb_store_options_default(&opt);
  opt.map_size = 1 << 20;
  opt.max_events = keep;
  opt.nosync = true;
  struct mb_store *s;
  int rc = mb_store_open(&s, dir, &opt);
  for (int i = 0; i < members && rc == MB_OK; i++) {
    struct mb_store_member m = member(i, i % 2);
    rc = mb_store_member_put(s, &m);
  }
  for (int i = 0; i < events && rc == MB_OK; i++) {
    struct mb_store_event ev = event(i);
    rc = mb_store_event_append(s, &ev, NULL);
    if (rc == MB_OK && i % 16 == 15)
      rc = mb_store_commit(s) < 0 ? -1 : MB_OK;
  }
  for (int i = 0; i < events / 4 && rc == MB_OK; i++) {
    struct mb_store_outbox_entry e = delivery(i, false);
    rc = mb_store_outbox_append(s, &e, NULL) == 0 ? MB_OK : -1;
    if (rc == MB_OK && i % 7 == 3)
      rc = mb_store_outbox_park(s, e.dest, (uint64_t)i / 2 + 1, "HTTP 400");
  }
  for (int i = 0; i < members && rc == MB_OK; i += 2) {
    struct mb_store_member m = member(i, false);
    rc = mb_store_episode_put(s, m.id, m.incarnation);
  }
  uint64_t inc;
  if (rc == MB_OK)
    rc = mb_store_commit(s) < 0 ? -1 : MB_OK;
  if (rc == MB_OK)
    rc = raft_state(s, members);
  if (rc == MB_OK)
    rc = mb_store_self_incarnation_raise(s, 17, false, &inc);
  if (s != NULL)
    mb_store_close(s);
  snprintf(path, sizeof path, "%s/data.mdb", dir);
  FILE *f = fopen(path, "rb");
  struct stat st;
  *out = NULL;
  if (rc == MB_OK && f != NULL && fstat(fileno(f), &st) == 0) {
    *len = (size_t)st.st_size;
    *out = malloc(*len);
    if (*out == NULL || fread(*out, 1, *len, f) != *len)
      rc = -1;
  }
  if (f != NULL)
    fclose(f);
  nftw(root, rm_one, 8, FTW_DEPTH | FTW_PHYS);
  return *out != NULL && rc == MB_OK ? 0 : -1;
}

/* What fuzz_store_file does with an input: 0 when the file passes. */
static int verify(const uint8_t *p, size_t len) {
  int fd = memfd_create("seed", MFD_CLOEXEC);
  struct mb_store__meta m;
  struct mb_store__page_report r;
  char why[200];
  int rc = fd >= 0 && write(fd, p, len) == (ssize_t)len ? MB_OK : -1;
  if (rc == MB_OK)
    rc = mb_store__meta_read(fd, len, &m, why, sizeof why);
  if (rc == MB_OK)
    rc = mb_store__pages_verify(fd, &m, &r, why, sizeof why);
  if (fd >= 0)
    close(fd);
  return rc;
}

static int file_seed(corpus_put_fn put, void *ctx, const char *name,
                     const uint8_t *p, size_t len, bool valid) {
  int bad = (verify(p, len) == MB_OK) != valid;
  if (bad)
    fprintf(stderr, "make_corpus: store_file/%s: the check disagrees\n", name);
  put(ctx, "store_file", name, p, len);
  return bad;
}

static int file_seeds(corpus_put_fn put, void *ctx) {
  uint8_t *small, *big;
  size_t small_len, big_len;
  if (make_store(3, 20, 0, &small, &small_len) != 0 ||
      make_store(10, 200, 80, &big, &big_len) != 0) {
    fprintf(stderr, "make_corpus: cannot make the store seeds\n");
    return 1;
  }
  int bad = file_seed(put, ctx, "store-small", small, small_len, true);
  /* Overflow pages (records with certificates), pruned events: a free
   * list with pages on it, and a branch level in the events tree. */
  bad += file_seed(put, ctx, "store-overflow", big, big_len, true);
  bad += file_seed(put, ctx, "broken-truncated", big, big_len / 2, false);
  small[16] ^= 0xff; /* the magic of meta page 0 */
  bad += file_seed(put, ctx, "broken-meta", small, small_len, false);
  free(small);
  free(big);
  return bad;
}

int corpus_store_seeds(corpus_put_fn put, void *ctx) {
  return value_seeds(put, ctx) + file_seeds(put, ctx);
}
