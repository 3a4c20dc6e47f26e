/*
 * Opening and closing: the data directory, its lock file, the environment.
 *
 * LMDB lets many processes share an environment, which is exactly what two
 * agents pointed at one directory must not do: both would think they own
 * the node's incarnation.  So before LMDB is touched the opener takes
 * flock(LOCK_EX | LOCK_NB) on dir/meshbeat.lock and keeps it until close.
 * The kernel drops the lock when its holder dies, so a crash never leaves a
 * stale one behind.  The holder's pid is written into the file, only to
 * name it in the error a second opener gets.
 *
 * A directory is taken for a store when it is empty, holds data.mdb, or
 * holds nothing but our own files; anything else is refused rather than
 * filled, so a mistyped --data-dir never scatters files into $HOME.
 *
 * Between the lock and LMDB, check.c reads data.mdb without mapping it and
 * refuses a file that is empty, truncated or damaged: LMDB would fault on
 * it (SIGBUS, SIGSEGV) or, given an empty file, silently start afresh.
 */
#include "store_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOCK_FILE "meshbeat.lock"
#define DEFAULT_MAP_SIZE ((size_t)64 << 20)
#define DEFAULT_MAX_EVENTS 100000
#define DEFAULT_OUTBOX_MAX_BYTES ((uint64_t)64 << 20)

void mb_store_options_default(struct mb_store_options *opt) {
  *opt =
      (struct mb_store_options){.map_size = DEFAULT_MAP_SIZE,
                                .max_events = DEFAULT_MAX_EVENTS,
                                .outbox_max_bytes = DEFAULT_OUTBOX_MAX_BYTES};
}

/* errno, explained as "what dir/file: reason". */
static int sys_fail(struct mb_store *s, const char *what, const char *dir,
                    const char *file) {
  int e = errno;
  snprintf(s->err, sizeof s->err, "%s %s%s: %s", what, dir, file, strerror(e));
  return -e;
}

static bool is_store_file(const char *name) {
  static const char *const ours[] = {".", "..", "lock.mdb", LOCK_FILE};
  for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++)
    if (strcmp(name, ours[i]) == 0)
      return true;
  return false;
}

static int prepare_dir(struct mb_store *s, const char *dir) {
  if (mkdir(dir, 0700) == 0)
    return 0;
  if (errno != EEXIST)
    return sys_fail(s, "cannot create", dir, "");
  DIR *d = opendir(dir);
  if (d == NULL)
    return sys_fail(s, "cannot open", dir, "");
  bool has_data = false, foreign = false;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, "data.mdb") == 0)
      has_data = true;
    else if (!is_store_file(e->d_name))
      foreign = true;
    else if (e->d_name[0] != '.')
      s->had_files = true; /* the lock files: a store lived here */
  }
  closedir(d);
  if (has_data || !foreign)
    return 0;
  snprintf(s->err, sizeof s->err,
           "not a meshbeat store: %s holds other files and no data.mdb", dir);
  return MB_ENOTSTORE;
}

static int in_use(struct mb_store *s, int fd, const char *dir) {
  char pid[24];
  ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
  pid[n > 0 ? n : 0] = '\0';
  pid[strcspn(pid, "\n")] = '\0';
  snprintf(s->err, sizeof s->err, "%s is in use by another process (pid %s)",
           dir, pid[0] ? pid : "unknown");
  return -EBUSY;
}

static int lock_dir(struct mb_store *s, const char *dir) {
  char path[PATH_MAX];
  int n = snprintf(path, sizeof path, "%s/%s", dir, LOCK_FILE);
  if (n < 0 || (size_t)n >= sizeof path)
    return -ENAMETOOLONG;
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return sys_fail(s, "cannot open", dir, "/" LOCK_FILE);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int rc = errno == EWOULDBLOCK
                 ? in_use(s, fd, dir)
                 : sys_fail(s, "cannot lock", dir, "/" LOCK_FILE);
    close(fd);
    return rc;
  }
  char pid[24];
  n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
    /* The pid only decorates messages; the lock is what matters. */
  }
  s->lock_fd = fd;
  return 0;
}

static int open_env(struct mb_store *s, const char *dir) {
  unsigned flags = MDB_NOTLS | (s->opt.nosync ? MDB_NOSYNC : 0);
  int rc = mdb_env_create(&s->env);
  if (rc == MDB_SUCCESS)
    rc = mdb_env_set_maxdbs(s->env, MB_STORE__MAX_DBS);
  if (rc == MDB_SUCCESS)
    rc = mdb_env_set_mapsize(s->env, s->opt.map_size);
  if (rc == MDB_SUCCESS)
    rc = mdb_env_open(s->env, dir, flags, 0600);
  if (rc == MDB_INVALID) {
    snprintf(s->err, sizeof s->err,
             "not a meshbeat store: %s/data.mdb is not an LMDB file", dir);
    return MB_ENOTSTORE;
  }
  if (rc)
    return mb_store__fail(s, rc, "cannot open the LMDB environment");
  MDB_envinfo info;
  if (mdb_env_info(s->env, &info) == MDB_SUCCESS)
    s->stats.map_size = info.me_mapsize;
  return 0;
}

static void report(const struct mb_store_options *opt, const char *dir,
                   const struct mb_store *s, int rc) {
  if (opt == NULL || opt->errbuf == NULL || opt->errbuf_len == 0)
    return;
  if (s != NULL && s->err[0])
    snprintf(opt->errbuf, opt->errbuf_len, "%s", s->err);
  else
    snprintf(opt->errbuf, opt->errbuf_len, "%s: %s", dir, mb_strerror(rc));
}

int mb_store_open(struct mb_store **out, const char *dir,
                  const struct mb_store_options *opt) {
  *out = NULL;
  struct mb_store *s = calloc(1, sizeof *s);
  if (s == NULL) {
    report(opt, dir, NULL, -ENOMEM);
    return -ENOMEM;
  }
  if (opt != NULL)
    s->opt = *opt;
  else
    mb_store_options_default(&s->opt);
  s->opt.errbuf = NULL;
  if (s->opt.map_size == 0)
    s->opt.map_size = DEFAULT_MAP_SIZE;
  s->lock_fd = -1;
  int rc = prepare_dir(s, dir);
  if (rc == 0)
    rc = lock_dir(s, dir);
  if (rc == 0)
    rc = mb_store__check(s, dir);
  if (rc == 0)
    rc = open_env(s, dir);
  if (rc == 0)
    rc = mb_store__write(s, mb_store__prepare, NULL);
  if (rc) {
    report(opt, dir, s, rc);
    mb_store_close(s);
    return rc;
  }
  *out = s;
  return 0;
}

void mb_store_close(struct mb_store *s) {
  if (s == NULL)
    return;
  if (s->env != NULL)
    mdb_env_close(s->env);
  if (s->lock_fd >= 0)
    close(s->lock_fd); /* after LMDB: the lock guards the whole env */
  free(s->ops);
  free(s->arena);
  free(s);
}

const char *mb_store_errmsg(const struct mb_store *s) {
  return s->err;
}
