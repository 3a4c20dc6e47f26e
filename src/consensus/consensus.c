/*
 * The consensus object: libraft's struct raft on our raft_io, started on
 * the durable state the storage holds, driven by the driver's calls.
 * Every public call sets the time, does its work, and ends with
 * mb_consensus__flush (deferred completions, then outgoing fragments).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus_internal.h"
#include "fsm.h"

void mb_consensus_config_default(struct mb_consensus_config *c) {
  memset(c, 0, sizeof *c);
  c->tick_ms = 100;
  c->heartbeat_timeout_ms = 200;
  c->election_timeout_ms = 2000;
  c->snapshot_threshold = 1024;
  c->snapshot_trailing = 128;
}

static bool config_ok(const struct mb_consensus_config *c) {
  const struct mb_consensus_storage_ops *o = c->storage.ops;
  return c->id != 0 && c->fsm.apply != NULL && c->net.send != NULL &&
         c->net.max_fragment >= MB_CONSENSUS_FRAGMENT_MIN && o != NULL &&
         o->load != NULL && o->set_term != NULL && o->set_vote != NULL &&
         o->append != NULL && o->truncate != NULL && o->snapshot_put != NULL &&
         o->snapshot_get != NULL && c->heartbeat_timeout_ms > 0 &&
         c->heartbeat_timeout_ms < c->election_timeout_ms &&
         (c->fsm.snapshot == NULL) == (c->fsm.restore == NULL);
}

static void set_now(struct mb_consensus *c, uint64_t now) {
  if (now > c->now)
    c->now = now; /* monotonic even if a driver's clock is not */
}

static void address_of(char out[17], uint64_t id) {
  snprintf(out, 17, "%016" PRIx64, id);
}

static int raft_error(int rv) {
  switch (rv) {
  case RAFT_NOMEM:
    return -ENOMEM;
  case RAFT_CORRUPT:
  case RAFT_MALFORMED:
    return MB_ECORRUPT;
  case RAFT_NOTLEADER:
  case RAFT_LEADERSHIPLOST:
    return MB_ENOTLEADER;
  case RAFT_CANTCHANGE:
  case RAFT_BUSY:
    return MB_EBUSY;
  default:
    return MB_ERAFT;
  }
}

/* Stops libraft: completions still queued are fired first (the storage
 * work behind them is done), then raft_close, whose io close cancels any
 * left and releases libraft's log. */
static void raft_down(struct mb_consensus *c) {
  if (!c->raft_live)
    return;
  mb_consensus__fire_all(c, 0);
  raft_close(&c->raft, NULL);
  mb_consensus__drop_outgoing(c);
  c->raft_live = false;
  c->replace.step = REPLACE_IDLE;
}

static int raft_up(struct mb_consensus *c) {
  mb_consensus__io_init(c);
  mb_consensus__fsm_init(c);
  int rv = raft_init(&c->raft, &c->io, &c->fsm, c->cfg.id, c->address);
  if (rv != 0)
    return raft_error(rv);
  c->raft_live = true;
  raft_set_election_timeout(&c->raft, c->cfg.election_timeout_ms);
  raft_set_heartbeat_timeout(&c->raft, c->cfg.heartbeat_timeout_ms);
  raft_set_snapshot_threshold(
      &c->raft, c->fsm.snapshot != NULL ? c->cfg.snapshot_threshold : UINT_MAX);
  /* snapshot_put's trailing 0 means "installed from the leader, drop the
   * whole log" (in libraft's uv backend too), so a snapshot we take keeps
   * at least one entry: with 0 it would look like an install and lose the
   * entries not yet applied. */
  raft_set_snapshot_trailing(
      &c->raft, c->cfg.snapshot_trailing > 0 ? c->cfg.snapshot_trailing : 1);
  /* A server back from a partition must not depose a working leader. */
  raft_set_pre_vote(&c->raft, true);
  rv = raft_start(&c->raft);
  if (rv != 0) {
    raft_down(c);
    return raft_error(rv);
  }
  return 0;
}

struct mb_consensus *mb_consensus_new_err(const struct mb_consensus_config *cfg,
                                          uint64_t now, int *err) {
  int rc = config_ok(cfg) ? 0 : MB_EINVAL;
  struct mb_consensus *c = rc == 0 ? calloc(1, sizeof *c) : NULL;
  if (rc == 0 && c == NULL)
    rc = -ENOMEM;
  if (c != NULL) {
    c->cfg = *cfg;
    c->now = now;
    mb_rng_seed(&c->rng, cfg->seed ^ cfg->id);
    /* A restarted server must not reuse the message ids its last life left
     * half reassembled at its peers. */
    c->next_msg_id = (uint32_t)mb_rng_next(&c->rng);
    address_of(c->address, cfg->id);
    c->reasm = mb_consensus__reasm_new();
    rc = c->reasm == NULL ? -ENOMEM : raft_up(c);
  }
  if (rc != 0) {
    mb_consensus_free(c);
    c = NULL;
  } else {
    mb_consensus__flush(c);
  }
  if (err != NULL)
    *err = rc;
  return c;
}

struct mb_consensus *mb_consensus_new(const struct mb_consensus_config *cfg,
                                      uint64_t now) {
  return mb_consensus_new_err(cfg, now, NULL);
}

void mb_consensus_free(struct mb_consensus *c) {
  if (c == NULL)
    return;
  raft_down(c);
  mb_consensus__reasm_free(c->reasm);
  free(c);
}

static bool voters_ok(const uint64_t *voters, size_t n) {
  if (n == 0 || n > MB_CONSENSUS_VOTERS_MAX)
    return false;
  for (size_t i = 0; i < n; i++) {
    if (voters[i] == 0)
      return false;
    for (size_t j = 0; j < i; j++)
      if (voters[j] == voters[i])
        return false;
  }
  return true;
}

/* libraft bootstraps only a server that has not started, and ours started
 * in mb_consensus_new: stop it, write the configuration, start again. */
int mb_consensus_bootstrap(struct mb_consensus *c, const uint64_t *voters,
                           size_t n) {
  if (!voters_ok(voters, n))
    return MB_EINVAL;
  struct raft_configuration conf;
  raft_configuration_init(&conf);
  int rv = 0;
  for (size_t i = 0; i < n && rv == 0; i++) {
    char address[17];
    address_of(address, voters[i]);
    rv = raft_configuration_add(&conf, voters[i], address, RAFT_VOTER);
  }
  raft_down(c);
  if (rv == 0)
    rv = raft_bootstrap(&c->raft, &conf);
  raft_configuration_close(&conf);
  int rc = rv == RAFT_CANTBOOTSTRAP ? MB_EINVAL : rv != 0 ? raft_error(rv) : 0;
  int up = raft_up(c);
  if (rc == 0)
    rc = up;
  if (c->raft_live)
    mb_consensus__flush(c);
  return rc;
}

/*
 * libraft 0.15 rejects an AppendEntries whose prev_log_index it has already
 * compacted into its snapshot ("no entry at index"), though everything up
 * to the snapshot is committed and so the same in the leader's log.  Such
 * messages are common: the leader pipelines entries while the follower
 * snapshots, and the leader's recovery from the rejection can loop for
 * good (seed 687 of the safety campaign).  So the part the snapshot covers
 * is cut off here and the message starts at the snapshot instead, whose
 * term libraft knows.
 */
static void skip_snapshotted(const struct mb_consensus *c,
                             struct raft_append_entries *a) {
  if (c->snap_index == 0 || a->prev_log_index >= c->snap_index)
    return;
  uint64_t covered = c->snap_index - a->prev_log_index;
  if (covered <= a->n_entries && a->entries[covered - 1].term != c->snap_term)
    return; /* not the log our snapshot came from: let libraft judge */
  if (covered >= a->n_entries) {
    if (a->entries != NULL) {
      raft_free(a->entries[0].batch);
      raft_free(a->entries);
    }
    a->entries = NULL;
    a->n_entries = 0;
  } else {
    memmove(a->entries, a->entries + covered,
            (a->n_entries - covered) * sizeof *a->entries);
    a->n_entries -= (unsigned)covered;
  }
  a->prev_log_index = c->snap_index;
  a->prev_log_term = c->snap_term;
}

static void deliver(struct mb_consensus *c, uint64_t from, const uint8_t *p,
                    size_t n) {
  struct raft_message m;
  if (mb_consensus__message_decode(p, n, &m) != 0) {
    c->counters.fragments_dropped++;
    return;
  }
  if (!c->raft_live || c->recv_cb == NULL) {
    mb_consensus__message_release(&m);
    return;
  }
  address_of(c->peer_address, from);
  m.server_id = from;
  m.server_address = c->peer_address;
  if (m.type == RAFT_IO_APPEND_ENTRIES)
    skip_snapshotted(c, &m.append_entries);
  c->ae_in.active = m.type == RAFT_IO_APPEND_ENTRIES;
  c->ae_in.from = from;
  c->ae_in.reach = m.append_entries.prev_log_index + m.append_entries.n_entries;
  c->recv_cb(&c->io, &m); /* libraft owns what the message points to now */
  c->ae_in.active = false;
}

void mb_consensus_receive(struct mb_consensus *c, uint64_t now, uint64_t from,
                          const uint8_t *frag, size_t len) {
  set_now(c, now);
  uint8_t *msg = NULL;
  size_t msg_len = 0;
  int rc =
      from == 0 || from == c->cfg.id
          ? MB_EINVAL
          : mb_consensus__reasm_push(c->reasm, from, frag, len, &msg, &msg_len);
  if (rc < 0)
    c->counters.fragments_dropped++;
  if (rc == 1) {
    deliver(c, from, msg, msg_len);
    free(msg);
  }
  mb_consensus__flush(c);
}

void mb_consensus_tick(struct mb_consensus *c, uint64_t now) {
  set_now(c, now);
  if (c->raft_live && c->tick_cb != NULL && c->next_tick <= c->now) {
    c->next_tick += c->tick_interval;
    if (c->next_tick <= c->now)
      c->next_tick = c->now + c->tick_interval; /* slept: no burst */
    c->tick_cb(&c->io);
  }
  mb_consensus__flush(c);
}

uint64_t mb_consensus_next_deadline(const struct mb_consensus *c) {
  return c->raft_live && c->tick_cb != NULL ? c->next_tick : UINT64_MAX;
}

static void apply_done(struct raft_apply *req, int status, void *result) {
  struct mb_consensus *c = req->data;
  (void)result;
  if (status != 0)
    c->counters.proposals_lost++;
  free(req);
}

int mb_consensus_propose(struct mb_consensus *c, uint64_t now,
                         const uint8_t *cmd, size_t len) {
  set_now(c, now);
  if (len == 0 || len > MB_CONSENSUS_MESSAGE_MAX / 2)
    return MB_EINVAL;
  if (!c->raft_live || raft_state(&c->raft) != RAFT_LEADER)
    return MB_ENOTLEADER;
  struct raft_buffer buf = {raft_malloc(len), len};
  struct raft_apply *req = malloc(sizeof *req);
  if (buf.base == NULL || req == NULL) {
    raft_free(buf.base);
    free(req);
    return -ENOMEM;
  }
  memcpy(buf.base, cmd, len);
  req->data = c;
  int rv = raft_apply(&c->raft, req, &buf, 1, apply_done);
  if (rv != 0) {
    raft_free(buf.base); /* still ours when raft_apply refuses */
    free(req);
  }
  mb_consensus__flush(c);
  return rv != 0 ? raft_error(rv) : 0;
}

static int role_of(int state) {
  switch (state) {
  case RAFT_FOLLOWER:
    return 0;
  case RAFT_CANDIDATE:
    return 1;
  case RAFT_LEADER:
    return 2;
  default:
    return 3;
  }
}

void mb_consensus_get_info(const struct mb_consensus *c,
                           struct mb_consensus_info *out) {
  *out = c->counters;
  out->id = c->cfg.id;
  out->replace_busy = c->replace.step != REPLACE_IDLE;
  if (!c->raft_live) {
    out->role = 3;
    return;
  }
  struct raft *r =
      (struct raft *)&c->raft; /* libraft's getters take no const */
  raft_id leader = 0;
  const char *address = NULL;
  raft_leader(r, &leader, &address);
  out->leader = leader;
  out->term = r->current_term;
  out->commit_index = r->commit_index;
  out->last_applied = raft_last_applied(r);
  out->role = role_of(raft_state(r));
  for (unsigned i = 0; i < r->configuration.n; i++)
    if (r->configuration.servers[i].role == RAFT_VOTER &&
        out->n_voters < MB_CONSENSUS_VOTERS_MAX)
      out->voters[out->n_voters++] = r->configuration.servers[i].id;
}
