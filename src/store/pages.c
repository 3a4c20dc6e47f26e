/*
 * Every page of data.mdb checked with pread before LMDB maps the file.
 *
 * LMDB keeps no checksums and trusts every byte of a page it follows: a
 * node offset or size that points off the page, a child page number past
 * the end of a truncated file, a free list naming a page in use.  Reads
 * then fault (SIGSEGV, SIGBUS), and writes copy, split and free pages by
 * those numbers (a flipped free list crashed a commit; another made LMDB
 * write at an offset the kernel refused with EFBIG, forever).  So before
 * the map is touched, the store walks the snapshot LMDB will use the way
 * LMDB would, from the roots in the meta page, and checks what LMDB relies
 * on without checking:
 *
 *   - every page it reaches lies inside the file, says it is that page,
 *     is a branch or leaf page (or the head of an overflow run), and is
 *     reached once, by one database;
 *   - free space bounds, node offsets, key and data sizes stay inside the
 *     page, overflow runs inside the file;
 *   - keys ascend within each tree and lie between the separators that
 *     lead to them, and all leaves are at the same depth;
 *   - each database's record (depth, page counts, entries) matches what
 *     the walk found, and the free list names pages in range, once.
 *
 * "Each non-metapage up to mm_last_pg is reachable exactly once in the
 * snapshot: either used by a database or listed in a freeDB record"
 * (mdb.c).  Pages reached twice are damage; pages reached never are only
 * wasted space, counted and not refused, so that a leak in some LMDB
 * version can never keep a healthy store from opening.
 *
 * Everything is read through bounds-checked copies of the file's bytes,
 * never through the map, so this code cannot fault on a damaged file; it
 * is fuzzed (tests/fuzz/fuzz_store_file.c).
 */
#include "store_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_NAMED 64 /* named databases in the main tree (maxdbs is 32) */

struct key {
  const uint8_t *p; /* NULL: no bound */
  size_t n;
};

struct named {
  char name[MB_STORE__NAME_MAX + 1];
  struct lmdb_db db;
};

struct walk {
  int fd;
  const struct mb_store__meta *m;
  uint8_t *seen; /* one bit per page number in [0, last_pg] */
  uint8_t *bufs; /* one page buffer per tree level */
  uint8_t *data; /* a free-list record read from its overflow pages */
  char *why;
  size_t len;
  /* the tree being walked */
  const char *tree;
  bool intkey, is_free, is_main;
  struct lmdb_db found;
  unsigned leaf_depth;
  uint8_t last[LMDB_MAX_KEY];
  size_t last_n;
  bool have_last;
  /* named databases met in the main tree, walked after it */
  struct named named[MAX_NAMED];
  size_t n_named;
  struct mb_store__page_report *report;
};

static int damaged(struct walk *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int damaged(struct walk *w, const char *fmt, ...) {
  char detail[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  return mb_store__explain(w->why, w->len, MB_ECORRUPT, "%s database: %s",
                           w->tree, detail);
}

static uint16_t u16_at(const uint8_t *p) {
  uint16_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static uint64_t word_at(const uint8_t *p) {
  size_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* LMDB stores the low and high halves of a node's first word in host
 * order of the halves (mn_lo, mn_hi on little-endian hosts). */
static uint32_t node_word(const struct lmdb_node_head *h) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return (uint32_t)h->w0 | (uint32_t)h->w1 << 16;
#else
  return (uint32_t)h->w1 | (uint32_t)h->w0 << 16;
#endif
}

static uint64_t branch_child(const struct lmdb_node_head *h) {
  uint64_t pgno = node_word(h);
  if (sizeof(size_t) > 4)
    pgno |= (uint64_t)h->flags << 32;
  return pgno;
}

static bool is_seen(const struct walk *w, uint64_t pgno) {
  return w->seen[pgno / 8] & (1u << (pgno % 8));
}

/* Claims pages [pgno, pgno + n) for the tree (or the free list). */
static int claim(struct walk *w, uint64_t pgno, uint64_t n) {
  if (pgno < LMDB_NUM_METAS || n == 0 || pgno > w->m->last_pg ||
      n - 1 > w->m->last_pg - pgno)
    return damaged(w, "page %llu (+%llu) is outside the file's pages 2..%llu",
                   (unsigned long long)pgno, (unsigned long long)n - 1,
                   (unsigned long long)w->m->last_pg);
  for (uint64_t p = pgno; p < pgno + n; p++) {
    if (is_seen(w, p))
      return damaged(w, "page %llu is reached twice", (unsigned long long)p);
    w->seen[p / 8] |= (uint8_t)(1u << (p % 8));
  }
  return MB_OK;
}

/* Reads len bytes at off, all inside the file. */
static int read_at(struct walk *w, uint64_t off, uint8_t *buf, size_t len,
                   uint64_t pgno) {
  if (off > w->m->file_size || len > w->m->file_size - off)
    return damaged(w,
                   "page %llu lies beyond the end of the file (%llu bytes): "
                   "the file was truncated",
                   (unsigned long long)pgno,
                   (unsigned long long)w->m->file_size);
  ssize_t n = pread(w->fd, buf, len, (off_t)off);
  if (n < 0)
    return mb_store__explain(w->why, w->len, -errno, "cannot read page %llu",
                             (unsigned long long)pgno);
  if ((size_t)n < len)
    return damaged(w, "page %llu: the file ended while it was read",
                   (unsigned long long)pgno);
  return MB_OK;
}

static int key_cmp(const struct walk *w, const uint8_t *a, size_t an,
                   const uint8_t *b, size_t bn) {
  if (w->intkey) { /* MDB_INTEGERKEY: native size_t, checked by the caller */
    uint64_t x = word_at(a), y = word_at(b);
    return (x > y) - (x < y);
  }
  int c = memcmp(a, b, an < bn ? an : bn);
  return c != 0 ? c : (an > bn) - (an < bn);
}

/* lo <= key < hi, where an unset bound is no bound. */
static bool within(const struct walk *w, const uint8_t *k, size_t n,
                   struct key lo, struct key hi) {
  return (lo.p == NULL || key_cmp(w, lo.p, lo.n, k, n) <= 0) &&
         (hi.p == NULL || key_cmp(w, k, n, hi.p, hi.n) < 0);
}

struct node {
  struct lmdb_node_head h;
  const uint8_t *key;
  const uint8_t *data; /* leaf: what follows the key */
  size_t room;         /* leaf: bytes from data to the end of the page */
};

/* Node i of the page in buf, with its key inside the page. */
static int read_node(struct walk *w, const uint8_t *buf,
                     const struct lmdb_page_head *head, size_t i, uint64_t pgno,
                     struct node *nd) {
  size_t psize = w->m->psize;
  size_t off = u16_at(buf + LMDB_PAGEHDRSZ + 2 * i);
  if (off < head->upper || off % 2 != 0 || off + LMDB_NODESIZE > psize)
    return damaged(w, "page %llu: node %zu at offset %zu is off the page",
                   (unsigned long long)pgno, i, off);
  memcpy(&nd->h, buf + off, LMDB_NODESIZE);
  size_t key_end = off + LMDB_NODESIZE + nd->h.ksize;
  if (nd->h.ksize > LMDB_MAX_KEY || key_end > psize)
    return damaged(w, "page %llu: node %zu has a key of %u bytes",
                   (unsigned long long)pgno, i, nd->h.ksize);
  nd->key = buf + off + LMDB_NODESIZE;
  nd->data = buf + key_end;
  nd->room = psize - key_end;
  return MB_OK;
}

static int read_head(struct walk *w, const uint8_t *buf, uint64_t pgno,
                     struct lmdb_page_head *head) {
  memcpy(head, buf, sizeof *head);
  if (head->pgno != pgno)
    return damaged(w, "page %llu says it is page %llu",
                   (unsigned long long)pgno, (unsigned long long)head->pgno);
  return MB_OK;
}

/* An overflow run holding a leaf's data of dsize bytes; with read_data
 * the data is read into w->data (the free list's records). */
static int walk_overflow(struct walk *w, uint64_t pgno, size_t dsize,
                         bool read_data) {
  uint8_t buf[LMDB_PAGEHDRSZ];
  struct lmdb_page_head head;
  int rc = read_at(w, pgno * w->m->psize, buf, sizeof buf, pgno);
  if (rc == MB_OK)
    rc = read_head(w, buf, pgno, &head);
  if (rc != MB_OK)
    return rc;
  uint32_t pages;
  memcpy(&pages, buf + offsetof(struct lmdb_page_head, lower), sizeof pages);
  uint64_t need = (LMDB_PAGEHDRSZ - 1 + (uint64_t)dsize) / w->m->psize + 1;
  if (!(head.flags & LMDB_P_OVERFLOW) || pages < need)
    return damaged(w, "page %llu is not an overflow run of %llu pages",
                   (unsigned long long)pgno, (unsigned long long)need);
  rc = claim(w, pgno, pages);
  if (rc != MB_OK)
    return rc;
  w->found.overflow_pages += pages;
  if (!read_data) /* only its end must exist: LMDB reads it through the map */
    return read_at(w, pgno * w->m->psize + LMDB_PAGEHDRSZ + dsize - 1, buf, 1,
                   pgno);
  uint8_t *p = realloc(w->data, dsize);
  if (p == NULL)
    return -ENOMEM;
  w->data = p;
  return read_at(w, pgno * w->m->psize + LMDB_PAGEHDRSZ, w->data, dsize, pgno);
}

/* A record of the free list: a count, then that many page numbers. */
static int claim_free(struct walk *w, const uint8_t *p, size_t n) {
  size_t word = sizeof(size_t);
  if (n < word || n % word != 0 || word_at(p) != n / word - 1)
    return damaged(w, "a free-list record of %zu bytes is malformed", n);
  for (size_t i = 1; i < n / word; i++) {
    int rc = claim(w, word_at(p + i * word), 1);
    if (rc != MB_OK)
      return rc;
    w->report->free_pages++;
  }
  return MB_OK;
}

static void copy_name(char *dst, const uint8_t *k, size_t n) {
  size_t i;
  for (i = 0; i < n && i < MB_STORE__NAME_MAX; i++)
    dst[i] = k[i] >= 0x20 && k[i] < 0x7f ? (char)k[i] : '?';
  dst[i] = '\0';
}

static int leaf_data(struct walk *w, const struct node *nd, size_t i,
                     uint64_t pgno) {
  uint32_t dsize = node_word(&nd->h);
  unsigned flags = nd->h.flags;
  bool is_free = w->is_free, is_main = w->is_main;
  if ((flags & ~(LMDB_F_BIGDATA | LMDB_F_SUBDATA)) != 0 ||
      ((flags & LMDB_F_SUBDATA) && (!is_main || (flags & LMDB_F_BIGDATA))))
    return damaged(w, "page %llu: node %zu has flags 0x%x",
                   (unsigned long long)pgno, i, flags);
  const uint8_t *data = nd->data;
  if (flags & LMDB_F_BIGDATA) {
    if (nd->room < sizeof(size_t))
      return damaged(w, "page %llu: node %zu is off the page",
                     (unsigned long long)pgno, i);
    int rc = walk_overflow(w, word_at(nd->data), dsize, is_free);
    if (rc != MB_OK)
      return rc;
    data = w->data;
  } else if (dsize > nd->room) {
    return damaged(w, "page %llu: node %zu has %u bytes of data, %zu fit",
                   (unsigned long long)pgno, i, dsize, nd->room);
  }
  if (is_free)
    return claim_free(w, data, dsize);
  if (!(flags & LMDB_F_SUBDATA))
    return MB_OK;
  if (dsize != sizeof(struct lmdb_db) || w->n_named == MAX_NAMED)
    return damaged(w, "page %llu: node %zu is not a database record",
                   (unsigned long long)pgno, i);
  struct named *nm = &w->named[w->n_named++];
  copy_name(nm->name, nd->key, nd->h.ksize);
  memcpy(&nm->db, data, sizeof nm->db);
  return MB_OK;
}

static int walk_leaf(struct walk *w, const uint8_t *buf,
                     const struct lmdb_page_head *head, uint64_t pgno,
                     unsigned depth, struct key lo, struct key hi) {
  size_t n = (head->lower - LMDB_PAGEHDRSZ) / 2;
  if (w->leaf_depth == 0)
    w->leaf_depth = depth;
  if (depth != w->leaf_depth)
    return damaged(w, "leaf page %llu is at depth %u, others at %u",
                   (unsigned long long)pgno, depth, w->leaf_depth);
  w->found.leaf_pages++;
  for (size_t i = 0; i < n; i++) {
    struct node nd;
    int rc = read_node(w, buf, head, i, pgno, &nd);
    if (rc != MB_OK)
      return rc;
    if ((w->intkey && nd.h.ksize != sizeof(size_t)) ||
        !within(w, nd.key, nd.h.ksize, lo, hi) ||
        (w->have_last &&
         key_cmp(w, w->last, w->last_n, nd.key, nd.h.ksize) >= 0))
      return damaged(w, "page %llu: key %zu is out of order",
                     (unsigned long long)pgno, i);
    memcpy(w->last, nd.key, nd.h.ksize);
    w->last_n = nd.h.ksize;
    w->have_last = true;
    w->found.entries++;
    rc = leaf_data(w, &nd, i, pgno);
    if (rc != MB_OK)
      return rc;
  }
  return MB_OK;
}

static int walk_page(struct walk *w, uint64_t pgno, unsigned depth,
                     struct key lo, struct key hi);

/* Child i covers [key i, key i+1); the first key of a branch page is
 * LMDB's implicit lowest and is not compared. */
static int walk_branch(struct walk *w, const uint8_t *buf,
                       const struct lmdb_page_head *head, uint64_t pgno,
                       unsigned depth, struct key lo, struct key hi) {
  size_t n = (head->lower - LMDB_PAGEHDRSZ) / 2;
  w->found.branch_pages++;
  struct node nd, next;
  int rc = read_node(w, buf, head, 0, pgno, &nd);
  for (size_t i = 0; i < n && rc == MB_OK; i++, nd = next) {
    struct key child_lo = i == 0 ? lo : (struct key){nd.key, nd.h.ksize};
    struct key child_hi = hi;
    if (i + 1 < n) {
      rc = read_node(w, buf, head, i + 1, pgno, &next);
      if (rc != MB_OK)
        return rc;
      if ((w->intkey && next.h.ksize != sizeof(size_t)) ||
          !within(w, next.key, next.h.ksize, lo, hi) ||
          (i > 0 &&
           key_cmp(w, nd.key, nd.h.ksize, next.key, next.h.ksize) >= 0))
        return damaged(w, "branch page %llu: key %zu is out of order",
                       (unsigned long long)pgno, i + 1);
      child_hi = (struct key){next.key, next.h.ksize};
    }
    rc = walk_page(w, branch_child(&nd.h), depth + 1, child_lo, child_hi);
  }
  return rc;
}

static int walk_page(struct walk *w, uint64_t pgno, unsigned depth,
                     struct key lo, struct key hi) {
  if (depth > LMDB_MAX_DEPTH)
    return damaged(w, "page %llu is deeper than LMDB allows",
                   (unsigned long long)pgno);
  int rc = claim(w, pgno, 1);
  uint8_t *buf = w->bufs + (size_t)(depth - 1) * w->m->psize;
  struct lmdb_page_head head;
  if (rc == MB_OK)
    rc = read_at(w, pgno * w->m->psize, buf, w->m->psize, pgno);
  if (rc == MB_OK)
    rc = read_head(w, buf, pgno, &head);
  if (rc != MB_OK)
    return rc;
  unsigned kind = head.flags & ~(LMDB_P_DIRTY | LMDB_P_KEEP);
  if ((kind != LMDB_P_BRANCH && kind != LMDB_P_LEAF) ||
      head.lower < LMDB_PAGEHDRSZ + 2 || head.lower > head.upper ||
      head.upper > w->m->psize || (head.lower - LMDB_PAGEHDRSZ) % 2 != 0)
    return damaged(w,
                   "page %llu has a broken header (flags 0x%x, free "
                   "space %u..%u)",
                   (unsigned long long)pgno, head.flags, head.lower,
                   head.upper);
  if (kind == LMDB_P_BRANCH)
    return walk_branch(w, buf, &head, pgno, depth, lo, hi);
  return walk_leaf(w, buf, &head, pgno, depth, lo, hi);
}

static bool same_counts(const struct lmdb_db *a, const struct lmdb_db *b) {
  return a->depth == b->depth && a->branch_pages == b->branch_pages &&
         a->leaf_pages == b->leaf_pages &&
         a->overflow_pages == b->overflow_pages && a->entries == b->entries;
}

/* One tree from its record: walked, then its counts compared. */
static int walk_tree(struct walk *w, const char *name,
                     const struct lmdb_db *db) {
  w->tree = name;
  w->intkey = db->flags & LMDB_INTEGERKEY;
  w->is_free = db == &w->m->dbs[LMDB_FREE_DBI];
  w->is_main = db == &w->m->dbs[LMDB_MAIN_DBI];
  /* Other flags change the key order or the page layout (dupsort) in
   * ways these checks do not model; no meshbeat database sets them. */
  if (w->is_free ? !w->intkey : db->flags != 0)
    return damaged(w, "its record has flags 0x%x", db->flags);
  w->found = (struct lmdb_db){0};
  w->leaf_depth = 0;
  w->have_last = false;
  if (db->root != LMDB_INVALID_PGNO) {
    int rc = walk_page(w, db->root, 1, (struct key){0}, (struct key){0});
    if (rc != MB_OK)
      return rc;
  }
  w->found.depth = (uint16_t)w->leaf_depth;
  if (!same_counts(&w->found, db))
    return damaged(w,
                   "its record says %llu entries in %llu+%llu+%llu pages "
                   "of depth %u; the walk found %llu in %llu+%llu+%llu of %u",
                   (unsigned long long)db->entries,
                   (unsigned long long)db->branch_pages,
                   (unsigned long long)db->leaf_pages,
                   (unsigned long long)db->overflow_pages, db->depth,
                   (unsigned long long)w->found.entries,
                   (unsigned long long)w->found.branch_pages,
                   (unsigned long long)w->found.leaf_pages,
                   (unsigned long long)w->found.overflow_pages, w->found.depth);
  w->report->used_pages +=
      w->found.branch_pages + w->found.leaf_pages + w->found.overflow_pages;
  return MB_OK;
}

static int walk_all(struct walk *w) {
  int rc = walk_tree(w, "main", &w->m->dbs[LMDB_MAIN_DBI]);
  for (size_t i = 0; i < w->n_named && rc == MB_OK; i++)
    rc = walk_tree(w, w->named[i].name, &w->named[i].db);
  if (rc == MB_OK)
    rc = walk_tree(w, "free-page", &w->m->dbs[LMDB_FREE_DBI]);
  if (rc != MB_OK)
    return rc;
  uint64_t pages = w->m->last_pg + 1;
  w->report->pages = pages;
  w->report->leaked_pages =
      pages - LMDB_NUM_METAS - w->report->used_pages - w->report->free_pages;
  return MB_OK;
}

int mb_store__pages_verify(int fd, const struct mb_store__meta *m,
                           struct mb_store__page_report *report, char *why,
                           size_t len) {
  *report = (struct mb_store__page_report){0};
  struct walk w = {.fd = fd, .m = m, .why = why, .len = len, .report = report};
  w.seen = calloc(m->last_pg / 8 + 1, 1);
  w.bufs = malloc((size_t)LMDB_MAX_DEPTH * m->psize);
  int rc = -ENOMEM;
  if (w.seen != NULL && w.bufs != NULL) {
    w.seen[0] |= 3; /* the meta pages */
    rc = walk_all(&w);
  }
  free(w.seen);
  free(w.bufs);
  free(w.data);
  return rc;
}
