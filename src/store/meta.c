/*
 * The two meta pages of data.mdb, read with pread before LMDB maps the file.
 *
 * LMDB trusts its meta pages: it maps the file and follows the root page
 * numbers it finds there.  A page number beyond the end of a truncated file
 * is then a SIGBUS on the first read, with no message.  So the store reads
 * both meta pages itself first, checks what LMDB itself checks (the page is
 * a meta page, the magic, the data format version) and what it does not
 * (a sane page size, roots and last page inside the file's page range),
 * and picks the meta LMDB will use: the one with the higher transaction id,
 * page 0 on a tie (mdb_env_read_header).  Both must be intact, as LMDB
 * refuses the file otherwise.
 */
#include "store_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The head of a meta page: the page header, then the meta itself. */
struct meta_page {
  struct lmdb_page_head head;
  struct lmdb_meta meta;
};

int mb_store__explain(char *why, size_t len, int rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, len, fmt, ap);
  va_end(ap);
  return rc;
}

static bool power_of_two(uint32_t v) {
  return v != 0 && (v & (v - 1)) == 0;
}

static bool root_ok(uint64_t root, uint64_t last_pg) {
  return root == LMDB_INVALID_PGNO ||
         (root >= LMDB_NUM_METAS && root <= last_pg);
}

/* Reads meta page i (at offset off) and checks it on its own. */
static int read_one(int fd, uint64_t off, int i, struct lmdb_meta *out,
                    char *why, size_t len) {
  uint8_t buf[sizeof(struct meta_page)];
  ssize_t n = pread(fd, buf, sizeof buf, (off_t)off);
  if (n < 0)
    return mb_store__explain(why, len, -errno, "cannot read meta page %d: %s",
                             i, strerror(errno));
  if ((size_t)n < sizeof buf)
    return mb_store__explain(why, len, MB_ECORRUPT,
                             "the file ends inside meta page %d", i);
  struct meta_page p;
  memcpy(&p, buf, sizeof p);
  if (!(p.head.flags & LMDB_P_META) || p.meta.magic != LMDB_MAGIC)
    return mb_store__explain(why, len, MB_ECORRUPT,
                             "meta page %d is not an LMDB meta page", i);
  if (p.meta.version != LMDB_DATA_VERSION)
    return mb_store__explain(
        why, len, MB_ECORRUPT,
        "meta page %d has LMDB data format %u; this LMDB reads %u", i,
        p.meta.version, LMDB_DATA_VERSION);
  *out = p.meta;
  return MB_OK;
}

static int check_used(const struct lmdb_meta *m, int i, uint64_t file_size,
                      char *why, size_t len) {
  uint32_t psize = m->dbs[LMDB_FREE_DBI].pad;
  if (!power_of_two(psize) || psize < LMDB_MIN_PAGESIZE ||
      psize > LMDB_MAX_PAGESIZE)
    return mb_store__explain(why, len, MB_ECORRUPT,
                             "meta page %d: page size %u is impossible", i,
                             psize);
  uint64_t file_pages = file_size / psize;
  /* The last page may lie past the end of the file when the pages at the
   * end are free and were never written (LMDB's comment on mm_last_pg);
   * pages.c checks that every page in use lies inside.  A last page far
   * beyond the file is a damaged meta, not free space. */
  if (m->last_pg < LMDB_NUM_METAS - 1 ||
      m->last_pg > file_pages + MB_STORE__MAX_UNWRITTEN_PAGES)
    return mb_store__explain(
        why, len, MB_ECORRUPT,
        "meta page %d: last page %llu does not fit a file of %llu pages", i,
        (unsigned long long)m->last_pg, (unsigned long long)file_pages);
  for (int d = 0; d < 2; d++)
    if (!root_ok(m->dbs[d].root, m->last_pg))
      return mb_store__explain(
          why, len, MB_ECORRUPT,
          "meta page %d: the %s database's root page %llu is out of range", i,
          d == LMDB_FREE_DBI ? "free-page" : "main",
          (unsigned long long)m->dbs[d].root);
  return MB_OK;
}

int mb_store__meta_read(int fd, uint64_t file_size, struct mb_store__meta *out,
                        char *why, size_t len) {
  struct lmdb_meta m[LMDB_NUM_METAS];
  int rc = read_one(fd, 0, 0, &m[0], why, len);
  if (rc != MB_OK)
    return rc;
  /* Like LMDB, take the page size from meta page 0 to find page 1. */
  uint32_t psize = m[0].dbs[LMDB_FREE_DBI].pad;
  if (!power_of_two(psize) || psize < LMDB_MIN_PAGESIZE ||
      psize > LMDB_MAX_PAGESIZE)
    return mb_store__explain(why, len, MB_ECORRUPT,
                             "meta page 0: page size %u is impossible", psize);
  rc = read_one(fd, psize, 1, &m[1], why, len);
  if (rc != MB_OK)
    return rc;
  int used = m[1].txnid > m[0].txnid ? 1 : 0;
  if (m[used].dbs[LMDB_FREE_DBI].pad != psize)
    return mb_store__explain(why, len, MB_ECORRUPT,
                             "the meta pages disagree on the page size");
  rc = check_used(&m[used], used, file_size, why, len);
  if (rc != MB_OK)
    return rc;
  *out = (struct mb_store__meta){.psize = psize,
                                 .last_pg = m[used].last_pg,
                                 .txnid = m[used].txnid,
                                 .file_size = file_size,
                                 .used = used};
  memcpy(out->dbs, m[used].dbs, sizeof out->dbs);
  return MB_OK;
}
