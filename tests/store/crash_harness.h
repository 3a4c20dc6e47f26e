/*
 * The kill -9 loop the store's crash tests share.
 *
 * A crash test forks a writer (the child) that makes calls on a store and
 * tells the parent on a pipe, in reports of one fixed size, what it is
 * doing or has done.  The parent takes the reports as they come, kills
 * the child with SIGKILL a random 0 to max_delay_ms after the first one,
 * reaps it, takes what is left in the pipe and has the test reopen the
 * store and compare it with what the reports imply.  Rounds repeat on one
 * store, each child going on where the last one died.  The seed comes
 * from MB_SEED (else the test's own) and is printed, so a failure replays
 * with the same kill delays.
 *
 * The harness owns the processes, the pipe, the clock and the delays; the
 * test owns its model, its calls and its comparison, through a
 * struct crash_plan and a struct crash_hooks.  Failures in the parent are
 * cmocka failures; the child, which must not return into cmocka, ends with
 * _exit: 10 when its store does not open, 14 when a report cannot be written,
 * 15 when its hook returns, other codes its own.
 */
#ifndef MESHBEAT_CRASH_HARNESS_H
#define MESHBEAT_CRASH_HARNESS_H

#include "store_fixture.h"

#define CRASH_REPORT_MAX 64 /* bytes; far below PIPE_BUF */

/* What a test does: its rounds and their kill delays. */
struct crash_plan {
  const char *name; /* prefix of the messages, e.g. "raft_crash" */
  uint64_t seed;    /* used unless MB_SEED is set */
  int rounds;
  unsigned max_delay_ms; /* the kill comes 0 to this after the first report */
};

/* How the test writes and checks, given the ctx of crash_run. */
struct crash_hooks {
  size_t report_len; /* the bytes of one report, at most CRASH_REPORT_MAX */
  /* In the child: writes to the store at dir, reports with crash_report
   * on fd, and never returns.  arg comes from child_arg. */
  void (*child)(const char *dir, int fd, uint64_t arg);
  /* In the parent before each fork: the child's arg.  NULL: a seed drawn
   * from the generator of the kill delays. */
  uint64_t (*child_arg)(int round);
  /* In the parent: each report, in the order written, suitably aligned
   * for the test's type; asserts on it. */
  void (*take)(void *ctx, const void *report);
  /* In the parent after each kill: reopens the store at dir (with
   * crash_reopen) and compares it with what ctx has taken. */
  void (*verify)(void *ctx, const char *dir);
};

/* Runs plan->rounds rounds on a fresh store in a temporary directory,
 * which it removes afterwards; ctx goes to the parent's hooks. */
void crash_run(const struct crash_plan *plan, const struct crash_hooks *hooks,
               void *ctx);

/* Synced commits by default; MB_STORE_NOSYNC=1 tests the agent's mode
 * (commits to the OS, fsync in the background): a killed process must
 * lose nothing committed in either. */
struct mb_store_options crash_options(void);

/* In the child: the store at dir opened with o, or _exit(10). */
struct mb_store *crash_child_open(const char *dir,
                                  const struct mb_store_options *o);

/* In the child: writes one report of len bytes (below PIPE_BUF, so a kill
 * never leaves half of one), or _exit(14). */
void crash_report(int fd, const void *report, size_t len);

/* In the parent: the store at dir opened with o after a kill; a failure
 * that prints the store's error when it does not open.  The caller closes
 * it. */
struct mb_store *crash_reopen(const char *dir, struct mb_store_options o);

#endif
