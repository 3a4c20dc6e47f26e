/*
 * Raft's storage for a simulated node: the memory storage, kept across the
 * node's crashes as a disk is, behind a wrapper that tells the history
 * checker what became durable.  Every call is durable before it returns
 * (mb_consensus_storage_ops' contract), so the checker learns of an entry
 * exactly when a disk would hold it: before the node acknowledges it.
 *
 * An append from first_index replaces the entries from there on: the
 * checker hears a truncation at first_index, then each entry.
 */
#include "raid.h"

static struct mb_consensus_storage *inner(void *ctx) {
  return ((struct sim_raid_store *)ctx)->inner;
}

static int load(void *ctx, struct mb_consensus_durable *out) {
  struct mb_consensus_storage *in = inner(ctx);
  return in->ops->load(in->ctx, out);
}

static int set_term(void *ctx, uint64_t term) {
  struct mb_consensus_storage *in = inner(ctx);
  return in->ops->set_term(in->ctx, term);
}

static int set_vote(void *ctx, uint64_t server_id) {
  struct mb_consensus_storage *in = inner(ctx);
  return in->ops->set_vote(in->ctx, server_id);
}

static int append(void *ctx, uint64_t first_index,
                  const struct mb_consensus_entry *e, size_t n) {
  struct sim_raid_store *st = ctx;
  struct mb_consensus_storage *in = st->inner;
  int rc = in->ops->append(in->ctx, first_index, e, n);
  if (rc != 0)
    return rc;
  struct sim *s = st->s;
  raid_history_truncate(s->raid->hist, s->now, st->node, first_index);
  for (size_t k = 0; k < n; k++)
    raid_history_durable(s->raid->hist, s->now, st->node, first_index + k,
                         e[k].term, raid_history_hash(e[k].data, e[k].len));
  s->raid->c.durable_entries += n;
  return 0;
}

static int truncate_from(void *ctx, uint64_t index) {
  struct sim_raid_store *st = ctx;
  struct mb_consensus_storage *in = st->inner;
  int rc = in->ops->truncate(in->ctx, index);
  if (rc != 0)
    return rc;
  raid_history_truncate(st->s->raid->hist, st->s->now, st->node, index);
  st->s->raid->c.truncations++;
  return 0;
}

static int snapshot_put(void *ctx, const struct mb_consensus_snapshot *snap,
                        uint64_t trailing) {
  struct mb_consensus_storage *in = inner(ctx);
  return in->ops->snapshot_put(in->ctx, snap, trailing);
}

static int snapshot_get(void *ctx, struct mb_consensus_snapshot *out) {
  struct mb_consensus_storage *in = inner(ctx);
  return in->ops->snapshot_get(in->ctx, out);
}

static const struct mb_consensus_storage_ops wrapped = {
    .load = load,
    .set_term = set_term,
    .set_vote = set_vote,
    .append = append,
    .truncate = truncate_from,
    .snapshot_put = snapshot_put,
    .snapshot_get = snapshot_get,
};

void sim_raid_store_init(struct sim *s, uint32_t i,
                         struct mb_consensus_storage *out) {
  struct sim_raid_store *st = &s->raid->node[i].store;
  st->s = s;
  st->node = i;
  out->ctx = st;
  out->ops = &wrapped;
}
