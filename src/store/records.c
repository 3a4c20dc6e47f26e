/*
 * Channel records in the store: the sub-database `records` (schema 2),
 * keyed by the record's kind (one byte) and subject, each value a CBOR map
 * {1: the signed record}.  Written at once, one transaction each: a
 * revocation is rare and must not wait for the next batch.  Values are
 * decoded strictly, like network input: one that does not decode refuses
 * the store at open (scan.c), and is skipped and counted if it appears
 * later; it is never trusted.
 */
#include "store_internal.h"

#include <string.h>

enum { R_RECORD = 1 };
#define RECORD_REQUIRED (1u << R_RECORD)
#define KEY_MAX (1 + MB_STORE_SUBJECT_MAX)

int mb_store__migrate_records(struct mb_store *s, MDB_txn *txn) {
  return mdb_dbi_open(txn, mb_store__db_names[DB_RECORDS], MDB_CREATE,
                      &s->dbi[DB_RECORDS]);
}

static int make_key(uint8_t key[KEY_MAX], uint8_t kind, const uint8_t *subject,
                    size_t len, MDB_val *k) {
  if (len == 0 || len > MB_STORE_SUBJECT_MAX)
    return MB_EINVAL;
  key[0] = kind;
  memcpy(key + 1, subject, len);
  *k = (MDB_val){1 + len, key};
  return MB_OK;
}

struct put {
  MDB_val key, val;
  bool del;
};

static int put_txn(struct mb_store *s, MDB_txn *txn, void *ctx) {
  struct put *p = ctx;
  if (!p->del)
    return mdb_put(txn, s->dbi[DB_RECORDS], &p->key, &p->val, 0);
  int rc = mdb_del(txn, s->dbi[DB_RECORDS], &p->key, NULL);
  return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

static int write_one(struct mb_store *s, struct put *p, size_t bytes) {
  int rc = mb_store__write(s, put_txn, p);
  if (rc == MB_OK) {
    s->stats.records_written++;
    s->stats.bytes_written += p->key.mv_size + bytes;
  }
  return rc;
}

int mb_store_record_put(struct mb_store *s, const struct mb_store_record *r) {
  uint8_t key[KEY_MAX], val[MB_STORE_CHANNEL_MAX + 16];
  struct put p = {0};
  if (r->record_len == 0 || r->record_len > MB_STORE_CHANNEL_MAX)
    return MB_EINVAL;
  int rc = make_key(key, r->kind, r->subject, r->subject_len, &p.key);
  if (rc)
    return rc;
  struct mb_cbor_writer w;
  mb_cw_init(&w, val, sizeof val);
  mb_cw_map(&w, 1);
  mb_cw_uint(&w, R_RECORD);
  mb_cw_bytes(&w, r->record, r->record_len);
  if ((rc = mb_cw_status(&w)) != MB_OK)
    return rc;
  p.val = (MDB_val){w.len, val};
  return write_one(s, &p, w.len);
}

int mb_store_record_delete(struct mb_store *s, uint8_t kind,
                           const uint8_t *subject, size_t subject_len) {
  uint8_t key[KEY_MAX];
  struct put p = {.del = true};
  int rc = make_key(key, kind, subject, subject_len, &p.key);
  return rc ? rc : write_one(s, &p, 0);
}

static int read_record_field(struct mb_cbor_reader *r, int64_t key, void *ctx) {
  struct mb_store_record *rec = ctx;
  if (key != R_RECORD)
    return mb_cr_skip(r);
  int rc = mb_cr_bytes(r, &rec->record, &rec->record_len);
  if (rc == MB_OK &&
      (rec->record_len == 0 || rec->record_len > MB_STORE_CHANNEL_MAX))
    rc = MB_ERANGE;
  return rc;
}

/* One stored entry, decoded like network input. */
int mb_store__record_decode(const MDB_val *k, const MDB_val *v,
                            struct mb_store_record *out) {
  memset(out, 0, sizeof(*out));
  if (k->mv_size < 2 || k->mv_size > KEY_MAX)
    return MB_ERANGE;
  const uint8_t *key = k->mv_data;
  out->kind = key[0];
  out->subject_len = k->mv_size - 1;
  memcpy(out->subject, key + 1, out->subject_len);
  uint32_t seen;
  int rc = mb_cr_map_walk_all(v->mv_data, v->mv_size, 8, read_record_field, out,
                              &seen);
  if (rc == MB_OK && (seen & RECORD_REQUIRED) != RECORD_REQUIRED)
    rc = MB_EMISSING;
  return rc;
}

struct records_each {
  mb_store_record_fn fn;
  void *ctx;
};

static int visit_record(const MDB_val *k, const MDB_val *v, void *arg,
                        bool *undecoded) {
  struct records_each *e = arg;
  struct mb_store_record r;
  if (mb_store__record_decode(k, v, &r) != MB_OK) {
    *undecoded = true;
    return 0;
  }
  return e->fn(&r, e->ctx);
}

int mb_store_records_foreach(struct mb_store *s, mb_store_record_fn fn,
                             void *ctx) {
  struct records_each e = {fn, ctx};
  return mb_store__each(s, DB_RECORDS, "reading records", visit_record, &e);
}
