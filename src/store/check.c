/*
 * What mb_store_open checks on data.mdb before LMDB maps it, in order:
 *
 *   1. the file: absent is a new store (unless the directory shows that
 *      one existed); present, it must be a readable regular file;
 *   2. empty (0 bytes, or an environment no transaction ever filled) is a
 *      store that lost its data, refused unless the caller allows it;
 *   3. the meta pages (meta.c), with pread;
 *   4. every page of the snapshot LMDB will use (pages.c), with pread;
 *   5. every entry read through LMDB and every value of ours decoded, in
 *      a child process (scan.c).
 *
 * Steps 1-4 never touch the map, so a truncated or damaged file cannot
 * fault them; step 5 may, and a fault there kills only the child.  A
 * store that fails any step is refused with MB_ESTOREEMPTY or
 * MB_ECORRUPT and a message naming the file and what is wrong with it;
 * nothing is written to it.  What to do about it is the caller's call
 * (the agent refuses to start, or with --reset-store moves it aside).
 */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int refuse(struct mb_store *s, const char *path, int rc,
                  const char *why) {
  /* A path longer than 200 bytes loses its middle, not the reason. */
  size_t n = strlen(path);
  if (n > 200)
    snprintf(s->err, sizeof s->err, "%.60s...%.130s: %.300s", path,
             path + n - 130, why);
  else
    snprintf(s->err, sizeof s->err, "%.200s: %.300s", path, why);
  return rc;
}

static int lost(struct mb_store *s, const char *path, const char *why) {
  if (s->opt.allow_empty)
    return MB_OK;
  return refuse(s, path, MB_ESTOREEMPTY, why);
}

/* Steps 3 and 4 on an open file of size bytes; *has_data says whether
 * there is anything for step 5 to read. */
static int check_pages(struct mb_store *s, const char *path, int fd,
                       uint64_t size, bool *has_data) {
  char why[200];
  struct mb_store__meta m;
  struct mb_store__page_report report;
  int rc = mb_store__meta_read(fd, size, &m, why, sizeof why);
  if (rc == MB_OK && m.dbs[LMDB_MAIN_DBI].root == LMDB_INVALID_PGNO)
    return lost(s, path, "an LMDB environment that no transaction ever filled");
  if (rc == MB_OK)
    rc = mb_store__pages_verify(fd, &m, &report, why, sizeof why);
  if (rc == MB_OK) {
    *has_data = true;
    s->stats.pages_checked = report.pages;
    s->stats.pages_leaked = report.leaked_pages;
    return MB_OK;
  }
  return refuse(s, path, rc == -ENOMEM ? rc : MB_ECORRUPT, why);
}

/* Steps 1 to 4. */
static int check_file(struct mb_store *s, const char *path, bool *has_data) {
  struct stat st;
  if (lstat(path, &st) != 0) {
    if (errno != ENOENT)
      return refuse(s, path, MB_ECORRUPT, strerror(errno));
    if (!s->had_files)
      return MB_OK; /* a new store */
    return lost(s, path,
                "missing, while the store's lock files are there: the data "
                "file was removed");
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return refuse(s, path, MB_ECORRUPT, strerror(errno));
  int rc = MB_OK;
  if (fstat(fd, &st) != 0)
    rc = refuse(s, path, MB_ECORRUPT, strerror(errno));
  else if (!S_ISREG(st.st_mode))
    rc = refuse(s, path, MB_ECORRUPT, "not a regular file");
  else if (st.st_size == 0)
    rc = lost(s, path, "an empty file (0 bytes)");
  else
    rc = check_pages(s, path, fd, (uint64_t)st.st_size, has_data);
  close(fd);
  return rc;
}

int mb_store__check(struct mb_store *s, const char *dir) {
  char path[PATH_MAX], why[400];
  int n = snprintf(path, sizeof path, "%s/data.mdb", dir);
  if (n < 0 || (size_t)n >= sizeof path)
    return -ENAMETOOLONG;
  uint64_t start = mono_us();
  bool has_data = false;
  int rc = check_file(s, path, &has_data);
  if (rc == MB_OK && has_data) {
    rc = mb_store__scan_in_child(dir, why, sizeof why);
    if (rc != MB_OK)
      refuse(s, path, rc, why);
  }
  s->stats.check_us = mono_us() - start;
  return rc;
}
