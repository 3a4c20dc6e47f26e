/*
 * LMDB 0.9's on-disk format, as far as the store's checks read it (see
 * check.c): the page header, the node header, the meta page and the
 * database record.  These mirror the private definitions of
 * libraries/liblmdb/mdb.c (MDB_page, MDB_node, MDB_meta, MDB_db), which
 * have not changed within the 0.9 series (data format version 1).  LMDB
 * lays them out with the host's types and byte order (pgno_t and txnid_t
 * are size_t), so declaring them with the same types gives the same
 * layout as the library we link.  Reads go through memcpy, never through
 * a cast of the file's bytes.
 */
#ifndef MESHBEAT_STORE_LMDB_FORMAT_H
#define MESHBEAT_STORE_LMDB_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define LMDB_MAGIC 0xBEEFC0DEu
#define LMDB_DATA_VERSION 1u
#define LMDB_NUM_METAS 2
#define LMDB_FREE_DBI 0
#define LMDB_MAIN_DBI 1
#define LMDB_INVALID_PGNO ((uint64_t)(size_t)-1)
#define LMDB_MIN_PAGESIZE 512u
#define LMDB_MAX_PAGESIZE 0x8000u /* MAX_PAGESIZE without MDB_DEVEL */
#define LMDB_MAX_KEY 511u         /* MDB_MAXKEYSIZE */
#define LMDB_MAX_DEPTH 32u        /* CURSOR_STACK: no tree is deeper */

/* Page flags (MDB_page.mp_flags). */
#define LMDB_P_BRANCH 0x01u
#define LMDB_P_LEAF 0x02u
#define LMDB_P_OVERFLOW 0x04u
#define LMDB_P_META 0x08u
#define LMDB_P_DIRTY 0x10u
#define LMDB_P_LEAF2 0x20u
#define LMDB_P_SUBP 0x40u
#define LMDB_P_KEEP 0x8000u

/* Leaf node flags (MDB_node.mn_flags). */
#define LMDB_F_BIGDATA 0x01u
#define LMDB_F_SUBDATA 0x02u
#define LMDB_F_DUPDATA 0x04u

/* Database flags (MDB_db.md_flags) the checks look at. */
#define LMDB_INTEGERKEY 0x08u

struct lmdb_page_head {
  size_t pgno;
  uint16_t pad;
  uint16_t flags;
  uint16_t lower; /* overflow pages: the low half of the page count */
  uint16_t upper;
};
#define LMDB_PAGEHDRSZ sizeof(struct lmdb_page_head)

struct lmdb_node_head {
  uint16_t w0, w1; /* data size (leaf) or low page number bits (branch) */
  uint16_t flags;  /* leaf: F_*; branch: page number bits 32..47 */
  uint16_t ksize;
};
#define LMDB_NODESIZE sizeof(struct lmdb_node_head)

struct lmdb_db {
  uint32_t pad; /* the free database's: the page size */
  uint16_t flags;
  uint16_t depth;
  size_t branch_pages, leaf_pages, overflow_pages, entries, root;
};

struct lmdb_meta {
  uint32_t magic, version;
  void *address;
  size_t mapsize;
  struct lmdb_db dbs[2];
  size_t last_pg, txnid;
};

_Static_assert(sizeof(struct lmdb_page_head) == sizeof(size_t) + 8,
               "MDB_page header: pgno, pad, flags, lower, upper");
_Static_assert(sizeof(struct lmdb_node_head) == 8, "MDB_node header");

#endif
