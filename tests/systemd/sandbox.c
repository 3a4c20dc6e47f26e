/*
 * meshbeat-sandbox: runs a program under the restrictions a systemd unit
 * applies, for tests on hosts where systemd is not PID 1 (CI containers).
 * It knows no unit: unit_sandbox.py reads the unit and says what to apply.
 *
 *   meshbeat-sandbox [options] -- PROGRAM [ARGS...]
 *
 *   --allow-file FILE  SystemCallFilter= as an allow-list: the syscalls named
 *                      in FILE (one a line) run, every other gets --action
 *   --action A         what a refused syscall gets: "kill" (the process dies
 *                      of SIGSYS, systemd's default) or an errno number
 *                      (SystemCallErrorNumber=)
 *   --families LIST    RestrictAddressFamilies=: socket() of any other
 *                      family fails with EAFNOSUPPORT (so getifaddrs(),
 *                      which needs netlink, fails as under systemd);
 *                      LIST is comma-separated numbers
 *   --read-only        ProtectSystem=strict: a private mount namespace where
 *                      every mount is read-only except /dev, /proc, /sys
 *   --writable DIR     stays writable (StateDirectory=, RuntimeDirectory=)
 *   --tmpfs DIR        an empty private tmpfs there (PrivateTmp=)
 *   --bind-ro SRC:DST  SRC over DST, read-only (for a group the host lacks)
 *   --user UID:GID     DynamicUser=: that user and group, no supplementary
 *                      groups, hence no capabilities
 *   --umask OCTAL      UMask=
 *
 * The filters are applied last, just before exec, and like systemd's they
 * stay with the program.  Exit: the program's, or 125 when the sandbox
 * cannot be built (the reason on stderr).
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define SANDBOX_FAIL 125
#define MAX_PATHS 16
#define MAX_FAMILIES 64

struct sandbox {
  const char *allow_file;
  uint32_t action; /* for a refused syscall */
  bool restrict_families;
  bool allowed_family[MAX_FAMILIES];
  bool read_only;
  const char *writable[MAX_PATHS], *tmpfs[MAX_PATHS], *bind_ro[MAX_PATHS];
  size_t n_writable, n_tmpfs, n_bind_ro;
  bool set_user;
  uid_t uid;
  gid_t gid;
  long umask_bits; /* -1: unchanged */
};

static int die(const char *what, const char *arg) {
  fprintf(stderr, "meshbeat-sandbox: %s%s%s: %s\n", what, arg ? " " : "",
          arg ? arg : "", strerror(errno));
  exit(SANDBOX_FAIL);
}

static int usage(const char *why) {
  fprintf(stderr, "meshbeat-sandbox: %s (see the comment in sandbox.c)\n", why);
  exit(SANDBOX_FAIL);
}

static void add_path(const char **list, size_t *n, const char *p) {
  if (*n == MAX_PATHS)
    usage("too many paths");
  list[(*n)++] = p;
}

static void parse_families(struct sandbox *s, const char *list) {
  char buf[256];
  snprintf(buf, sizeof(buf), "%s", list);
  s->restrict_families = true;
  for (char *save, *t = strtok_r(buf, ",", &save); t != NULL;
       t = strtok_r(NULL, ",", &save)) {
    long f = strtol(t, NULL, 10);
    if (f <= 0 || f >= MAX_FAMILIES)
      usage("--families wants numbers of address families");
    s->allowed_family[f] = true;
  }
}

static int parse(struct sandbox *s, int argc, char **argv) {
  memset(s, 0, sizeof(*s));
  s->action = SCMP_ACT_KILL_PROCESS;
  s->umask_bits = -1;
  int i;
  for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
    const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(o, "--read-only") == 0) {
      s->read_only = true;
      continue;
    }
    if (v == NULL)
      usage("an option needs a value");
    i++;
    if (strcmp(o, "--allow-file") == 0)
      s->allow_file = v;
    else if (strcmp(o, "--action") == 0)
      s->action = strcmp(v, "kill") == 0 ? SCMP_ACT_KILL_PROCESS
                                         : SCMP_ACT_ERRNO(atoi(v));
    else if (strcmp(o, "--families") == 0)
      parse_families(s, v);
    else if (strcmp(o, "--writable") == 0)
      add_path(s->writable, &s->n_writable, v);
    else if (strcmp(o, "--tmpfs") == 0)
      add_path(s->tmpfs, &s->n_tmpfs, v);
    else if (strcmp(o, "--bind-ro") == 0)
      add_path(s->bind_ro, &s->n_bind_ro, v);
    else if (strcmp(o, "--user") == 0) {
      unsigned long u, g;
      if (sscanf(v, "%lu:%lu", &u, &g) != 2)
        usage("--user wants UID:GID");
      s->set_user = true, s->uid = (uid_t)u, s->gid = (gid_t)g;
    } else if (strcmp(o, "--umask") == 0)
      s->umask_bits = strtol(v, NULL, 8);
    else
      usage("unknown option");
  }
  if (i + 1 >= argc)
    usage("no program after --");
  return i + 1;
}

/* ---- mounts ------------------------------------------------------------- */

static bool under(const char *path, const char *dir) {
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/')
    n--;
  return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s) {
  char *w = s;
  for (char *r = s; *r; r++) {
    if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] && r[3]) {
      *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
      r += 3;
    } else {
      *w++ = *r;
    }
  }
  *w = '\0';
}

static bool stays_writable(const struct sandbox *s, const char *mp) {
  static const char *const api[] = {"/dev", "/proc", "/sys"};
  for (size_t i = 0; i < sizeof(api) / sizeof(api[0]); i++)
    if (under(mp, api[i]))
      return true;
  for (size_t i = 0; i < s->n_writable; i++)
    if (under(mp, s->writable[i]))
      return true;
  return false;
}

/* A bind remount keeps the flags it is not told to change only if they
 * are given again. */
static unsigned long kept_flags(const char *mp) {
  struct statvfs st;
  if (statvfs(mp, &st) != 0)
    return 0;
  unsigned long f = 0;
  if (st.f_flag & ST_NOSUID)
    f |= MS_NOSUID;
  if (st.f_flag & ST_NODEV)
    f |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC)
    f |= MS_NOEXEC;
  if (st.f_flag & ST_NOATIME)
    f |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME)
    f |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME)
    f |= MS_RELATIME;
  return f;
}

static void remount_all_read_only(const struct sandbox *s) {
  FILE *f = fopen("/proc/self/mountinfo", "r");
  if (f == NULL)
    die("open", "/proc/self/mountinfo");
  char line[4096], mp[PATH_MAX];
  while (fgets(line, sizeof(line), f) != NULL) {
    if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
      continue;
    unescape(mp);
    if (stays_writable(s, mp))
      continue;
    if (mount(NULL, mp, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | kept_flags(mp),
              NULL) != 0 &&
        errno != ENOENT && errno != EACCES) /* hidden under another mount */
      die("remount read-only", mp);
  }
  fclose(f);
}

static void build_mounts(const struct sandbox *s) {
  if (unshare(CLONE_NEWNS) != 0)
    die("unshare(CLONE_NEWNS)", NULL);
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    die("make / private", NULL);
  for (size_t i = 0; i < s->n_bind_ro; i++) {
    char src[PATH_MAX];
    snprintf(src, sizeof(src), "%s", s->bind_ro[i]);
    char *dst = strchr(src, ':');
    if (dst == NULL)
      usage("--bind-ro wants SRC:DST");
    *dst++ = '\0';
    if (mount(src, dst, NULL, MS_BIND, NULL) != 0)
      die("bind", dst);
  }
  for (size_t i = 0; i < s->n_writable; i++)
    if (mount(s->writable[i], s->writable[i], NULL, MS_BIND | MS_REC, NULL) !=
        0)
      die("bind", s->writable[i]);
  if (s->read_only)
    remount_all_read_only(s);
  for (size_t i = 0; i < s->n_tmpfs; i++)
    if (mount("tmpfs", s->tmpfs[i], "tmpfs", MS_NOSUID | MS_NODEV,
              "mode=1777") != 0)
      die("tmpfs", s->tmpfs[i]);
}

/* ---- identity ----------------------------------------------------------- */

static void become_user(const struct sandbox *s) {
  if (setgroups(0, NULL) != 0)
    die("setgroups", NULL);
  if (setresgid(s->gid, s->gid, s->gid) != 0)
    die("setresgid", NULL);
  if (setresuid(s->uid, s->uid, s->uid) != 0)
    die("setresuid", NULL);
}

/* ---- seccomp ------------------------------------------------------------ */

static void load_syscall_filter(const struct sandbox *s) {
  FILE *f = fopen(s->allow_file, "r");
  if (f == NULL)
    die("open", s->allow_file);
  scmp_filter_ctx ctx = seccomp_init(s->action);
  if (ctx == NULL)
    usage("seccomp_init failed");
  char name[128];
  size_t allowed = 0;
  while (fscanf(f, "%127s", name) == 1) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR)
      continue; /* not a syscall of this architecture (chown32, ...) */
    if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) == 0)
      allowed++;
  }
  fclose(f);
  if (allowed == 0)
    usage("the allow-list names no syscall of this architecture");
  int rc = seccomp_load(ctx);
  seccomp_release(ctx);
  if (rc != 0)
    errno = -rc, die("seccomp_load (syscalls)", NULL);
}

/* As systemd does it: a filter of its own on socket()'s first argument. */
static void load_family_filter(const struct sandbox *s) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == NULL)
    usage("seccomp_init failed");
  int rc = 0;
  for (int f = 0; f < MAX_FAMILIES && rc == 0; f++)
    if (!s->allowed_family[f])
      rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket),
                            1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)f));
  if (rc == 0)
    rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket),
                          1, SCMP_A0(SCMP_CMP_GE, MAX_FAMILIES));
  if (rc == 0)
    rc = seccomp_load(ctx);
  seccomp_release(ctx);
  if (rc != 0)
    errno = -rc, die("seccomp (address families)", NULL);
}

int main(int argc, char **argv) {
  struct sandbox s;
  int first = parse(&s, argc, argv);
  if (s.read_only || s.n_writable || s.n_tmpfs || s.n_bind_ro)
    build_mounts(&s);
  if (s.umask_bits >= 0)
    umask((mode_t)s.umask_bits);
  if (s.set_user)
    become_user(&s);
  if (s.restrict_families)
    load_family_filter(&s);
  if (s.allow_file != NULL)
    load_syscall_filter(&s);
  execvp(argv[first], argv + first);
  return die("exec", argv[first]);
}
