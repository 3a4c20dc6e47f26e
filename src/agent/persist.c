/*
 * The view and the event log, kept in the store.  Every membership event
 * stages the member's latest record and one log entry (the store's sink,
 * sink_store.c); the commit timer writes a whole batch in one transaction.  At
 * start the stored members go back into the core (re-verified there) and their
 * addresses serve as join seeds, so a restarted agent finds its mesh with no
 * --join at all.
 */
#include "agent_state.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* The store keeps its own copies of the gossip layer's enums and sizes (it
 * sits below gossip); they must agree, or stored members and events would
 * be read back as something else. */
_Static_assert(MB_STORE_ALIVE == (int)SWIM_ALIVE &&
                   MB_STORE_SUSPECT == (int)SWIM_SUSPECT &&
                   MB_STORE_DEAD == (int)SWIM_DEAD &&
                   MB_STORE_LEFT == (int)SWIM_LEFT &&
                   MB_STORE_NONE == (int)SWIM_NONE,
               "store states mirror enum swim_state");
_Static_assert(MB_STORE_ID_LEN == MB_NODE_ID_LEN, "node id length");
_Static_assert(MB_STORE_NAME_MAX == MB_NAME_MAX, "member name length");
_Static_assert(MB_STORE_CERT_MAX >= MB_CERT_MAX_LEN, "certificate fits");
_Static_assert(SWIM_R_REVOKED < 256, "reasons fit the event's byte");

/* A store that lost its data or is damaged is never opened as a new one
 * in silence: the node would come back at incarnation 1, with no view and
 * no event log, as if it had never run.  The operator decides, with
 * --reset-store, which sets the old store aside (kept for a post-mortem,
 * under a name that says when) and starts with an empty one. */
static bool resettable(int rc) {
  return rc == MB_ECORRUPT || rc == MB_ESTOREEMPTY;
}

static int set_aside(const char *dir, char *aside, size_t cap) {
  char when[32];
  time_t now = time(NULL);
  struct tm tm;
  strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", gmtime_r(&now, &tm));
  if (snprintf(aside, cap, "%s.damaged-%s", dir, when) >= (int)cap)
    return -ENAMETOOLONG;
  return rename(dir, aside) == 0 ? MB_OK : -errno;
}

static void explain_refusal(struct agent *a, const char *dir, int rc,
                            const char *why) {
  if (rc == MB_ESTOREEMPTY)
    agent_log(a->log, MB_LOG_ERROR, NULL,
              "refusing to start: the store has lost its data (%s), and this "
              "node has run before (its key exists): it would come back as "
              "new, at incarnation 1, with no view and no event log. To "
              "start over with an empty store, start once with --reset-store",
              why);
  else if (rc == MB_ECORRUPT)
    agent_log(a->log, MB_LOG_ERROR, NULL,
              "refusing to start: the store is damaged (%s). Copy %s away "
              "if you want to know why; to start over with an empty store, "
              "start once with --reset-store (it moves the damaged store "
              "aside)",
              why, dir);
  else if (rc == MB_ESCHEMA)
    agent_log(a->log, MB_LOG_ERROR, NULL,
              "refusing to start: the store was written by a newer meshbeat "
              "(%s): run that version, or move %s aside to start afresh",
              why, dir);
  else if (rc == -EBUSY)
    agent_log(a->log, MB_LOG_ERROR, NULL,
              "refusing to start: %s; one agent per data directory", why);
  else
    agent_log(a->log, MB_LOG_ERROR, NULL,
              "cannot open the store in %s: %s (%s)", dir, mb_strerror(rc),
              why);
}

static int open_store(struct agent *a, const char *dir, bool allow_empty,
                      char *why, size_t why_len) {
  struct mb_store_options opt;
  mb_store_options_default(&opt);
  opt.max_events = a->cfg->event_retention;
  opt.nosync = true; /* commits reach the OS; fsync runs off the loop */
  opt.allow_empty = allow_empty;
  if (a->cfg->bridge.outbox_max_bytes > 0)
    opt.outbox_max_bytes = a->cfg->bridge.outbox_max_bytes;
  opt.errbuf = why;
  opt.errbuf_len = why_len;
  return mb_store_open(&a->store, dir, &opt);
}

/* The store keeps a directory of its own inside the data directory, next
 * to the key and certificate.  The key exists by now (the start's checks
 * made it when missing), so a store that lost its data belongs to a node
 * that has run: a new node's store is absent, not empty. */
int agent_store_open(struct agent *a, uint64_t *incarnation) {
  char why[512] = "", dir[PATH_MAX + 8], aside[PATH_MAX + 40];
  snprintf(dir, sizeof(dir), "%s/store", a->data_dir);
  int rc = open_store(a, dir, false, why, sizeof(why));
  if (resettable(rc) && a->cfg->reset_store) {
    int moved = set_aside(dir, aside, sizeof(aside));
    if (moved == MB_OK)
      agent_log(a->log, MB_LOG_WARN, NULL,
                "--reset-store: the store (%s) was moved to %s; starting "
                "with an empty one",
                why, aside);
    rc = moved == MB_OK ? open_store(a, dir, true, why, sizeof(why)) : moved;
  }
  if (rc != MB_OK) {
    explain_refusal(a, dir, rc, why);
    return rc;
  }
  struct mb_store_stats st;
  mb_store_get_stats(a->store, &st);
  agent_log(a->log, MB_LOG_DEBUG,
            json_pack("{s:I, s:I, s:f}", "pages", (json_int_t)st.pages_checked,
                      "leaked", (json_int_t)st.pages_leaked, "seconds",
                      (double)st.check_us / 1e6),
            "store %s checked", dir);
  /* Whatever is stored may have been used: start above it. */
  uint64_t stored;
  rc = mb_store_self_incarnation(a->store, &stored);
  if (rc == MB_OK && stored > UINT64_MAX - AGENT_INCARNATION_BLOCK)
    rc = MB_ERANGE;
  if (rc != MB_OK) {
    agent_log(a->log, MB_LOG_ERROR, NULL,
              "cannot read our incarnation: %s (%s)", mb_strerror(rc),
              mb_store_errmsg(a->store));
    return rc;
  }
  a->stored_incarnation = stored;
  *incarnation = stored + 1;
  return MB_OK;
}

/*
 * Our incarnation on disk.  The store holds a reservation R: the core has
 * never signed a record with an incarnation above R, so a restart starts
 * at R + 1 and never reuses one, whatever it used before a kill -9 or a
 * power cut.  R must therefore be durable (synced) before the core's
 * incarnation passes it, and the core raises it without asking when it
 * refutes a suspicion (SWIM's answer to being suspected is to sign a
 * higher incarnation and gossip it at once).
 *
 * Writing R on each refutation, before the refutation leaves, would put an
 * fsync on the loop at the worst moment: a node is suspected because it
 * answers late, often because its disk is busy, and an fsync then can
 * take seconds; the refutation would leave even later.  So R is reserved
 * ahead, in blocks: each start reserves AGENT_INCARNATION_BLOCK
 * incarnations (one fsync, before anything is sent), and once the core
 * has used half a block a new block is committed from the loop (a few
 * microseconds; a killed process loses nothing the kernel has) and synced
 * in the thread pool.  Refutations come at most twice a second, so the
 * sync lands long before the block runs out.  Only a jump past R (the
 * mesh holding a much higher incarnation of ours, after --reset-store)
 * waits for the disk before its record leaves.  The price: each restart
 * skips up to one block of incarnations, of 2^64.
 */
int agent_reserve_incarnations(struct agent *a) {
  uint64_t first = a->stored_incarnation + 1, stored;
  int rc = mb_store_self_incarnation_raise(
      a->store, first + AGENT_INCARNATION_BLOCK - 1, true, &stored);
  if (rc != MB_OK) {
    agent_log(a->log, MB_LOG_ERROR, NULL,
              "cannot store our incarnation: %s (%s)", mb_strerror(rc),
              mb_store_errmsg(a->store));
    return rc;
  }
  a->stored_incarnation = stored;
  a->incarnation_committed = stored;
  a->store_ok = true; /* until a write fails */
  return MB_OK;
}

static void start_sync(struct agent *a);

/* A disk that refuses the write (full, read-only) is not asked again for
 * every datagram. */
#define INCARNATION_RETRY_MS 1000

void agent_persist_incarnation(struct agent *a) {
  uint64_t inc = swim_self_incarnation(a->swim), stored;
  uint64_t want = inc > UINT64_MAX - AGENT_INCARNATION_BLOCK
                      ? UINT64_MAX
                      : inc + AGENT_INCARNATION_BLOCK - 1;
  bool past = inc > a->stored_incarnation;
  if (!past && inc + AGENT_INCARNATION_BLOCK / 2 <= a->incarnation_committed)
    return;
  if (a->store_damaged || agent_now(a) < a->incarnation_retry_at)
    return;
  int rc = mb_store_self_incarnation_raise(a->store, want, past, &stored);
  if (rc != MB_OK) {
    agent_store_failed(a, rc, "storing our incarnation");
    a->incarnation_retry_at = agent_now(a) + INCARNATION_RETRY_MS;
    a->counters.store_errors++;
    if (a->store_ok)
      agent_log(a->log, MB_LOG_ERROR, NULL,
                "cannot store our incarnation %llu: %s (%s); a restart may "
                "start below it",
                (unsigned long long)inc, mb_strerror(rc),
                mb_store_errmsg(a->store));
    a->store_ok = false;
    return;
  }
  a->incarnation_committed = stored;
  if (past)
    a->stored_incarnation = stored;
  else
    start_sync(a);
}

struct restore_ctx {
  struct agent *a;
  struct mb_addr *seeds;
  size_t n, max, restored, refused;
};

static int restore_one(const struct mb_store_member *m, void *arg) {
  struct restore_ctx *r = arg;
  if (memcmp(m->id, r->a->id.pk, MB_NODE_ID_LEN) == 0)
    return 0;
  if (swim_restore(r->a->swim, agent_now(r->a), m->record, m->record_len,
                   m->cert, m->cert_len) != MB_OK) {
    r->refused++;
    return 0;
  }
  r->restored++;
  long i = swim_member_find(r->a->swim, m->id);
  struct swim_member_info info;
  if (i >= 0 && r->n < r->max && m->state != MB_STORE_LEFT &&
      swim_member_get(r->a->swim, (size_t)i, &info) == MB_OK)
    r->seeds[r->n++] = info.addr;
  return 0;
}

void agent_store_restore(struct agent *a, struct mb_addr *seeds,
                         size_t *n_seeds, size_t max_seeds) {
  struct restore_ctx r = {.a = a, .seeds = seeds, .max = max_seeds};
  int rc = mb_store_members_foreach(a->store, restore_one, &r);
  if (rc < 0)
    agent_store_failed(a, rc, "reading the members");
  *n_seeds = r.n;
  if (r.restored || r.refused)
    agent_log(a->log, MB_LOG_INFO,
              json_pack("{s:I, s:I}", "restored", (json_int_t)r.restored,
                        "refused", (json_int_t)r.refused),
              "view restored from the store");
}

/*
 * Durability without waiting on the disk: a commit hands its pages to the
 * kernel (a killed agent loses nothing committed), and the fsync that
 * makes them survive a machine crash runs in libuv's thread pool.  One
 * sync at a time; commits made meanwhile get another.
 */
static void sync_in_pool(uv_work_t *w) {
  struct agent *a = w->data;
  a->sync_rc = mb_store_sync(a->store);
}

static void sync_done(uv_work_t *w, int status) {
  struct agent *a = w->data;
  a->sync_running = false;
  if (status == 0 && a->sync_rc == MB_OK &&
      a->sync_covers > a->stored_incarnation)
    a->stored_incarnation = a->sync_covers;
  if (status == 0 && a->sync_rc != MB_OK) {
    a->counters.store_errors++;
    agent_log(a->log, MB_LOG_ERROR, NULL, "store sync failed: %s",
              mb_strerror(a->sync_rc));
  }
  if (a->sync_again && !a->stopping)
    start_sync(a);
}

static void start_sync(struct agent *a) {
  if (a->sync_running) {
    a->sync_again = true;
    return;
  }
  a->sync_again = false;
  a->sync_covers = a->incarnation_committed; /* committed before this sync */
  a->sync_work.data = a;
  if (uv_queue_work(&a->loop, &a->sync_work, sync_in_pool, sync_done) == 0)
    a->sync_running = true;
}

void agent_sync_soon(struct agent *a) {
  if (!a->stopping)
    start_sync(a);
}

void agent_store_sync_now(struct agent *a) {
  if (a->store != NULL && mb_store_sync(a->store) != MB_OK)
    agent_log(a->log, MB_LOG_ERROR, NULL, "final store sync failed");
}

/* LMDB found damage while running (MDB_CORRUPTED, MDB_PAGE_NOTFOUND,
 * MDB_PANIC): the file changed under it, as the checks at start make sure
 * it did not before.  Nothing read from it can be trusted and writing on
 * may spread the damage, so the agent leaves the mesh and exits with 1;
 * the next start checks the whole file and says what to do. */
void agent_store_failed(struct agent *a, int rc, const char *what) {
  if (rc != MB_ECORRUPT || a->store_damaged)
    return;
  a->store_damaged = true;
  if (a->exit_rc == MB_OK) /* a revocation's exit status goes first */
    a->exit_rc = rc;
  agent_log(a->log, MB_LOG_ERROR, NULL,
            "the store is damaged (%s: %s): leaving the mesh; the next start "
            "checks it and says what to do",
            what, mb_store_errmsg(a->store));
  agent_begin_stop(a, "the store is damaged");
}

void agent_commit(struct agent *a) {
  if (mb_store_staged(a->store) == 0 || a->store_damaged)
    return;
  int rc = mb_store_commit(a->store);
  if (rc > 0 && !a->stopping)
    start_sync(a);
  if (rc < 0) {
    a->counters.store_errors++;
    if (a->store_ok && rc != MB_ECORRUPT)
      agent_log(a->log, MB_LOG_ERROR, NULL,
                "store commit failed: %s (%s); retrying", mb_strerror(rc),
                mb_store_errmsg(a->store));
    agent_store_failed(a, rc, "commit");
  }
  a->store_ok = rc >= 0;
}

static void on_commit_timer(uv_timer_t *t) {
  agent_commit(t->data);
}

void agent_commit_timer_start(struct agent *a) {
  uv_timer_init(&a->loop, &a->commit_timer);
  a->commit_timer.data = a;
  if (a->cfg->commit_interval_ms > 0)
    uv_timer_start(&a->commit_timer, on_commit_timer,
                   a->cfg->commit_interval_ms, a->cfg->commit_interval_ms);
}
