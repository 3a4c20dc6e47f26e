/*
 * The core's lifecycle and its clock-free timer dispatch (what the
 * driver may ask of a running core is in queries.c).
 * Every input sets s->now first; nothing in src/gossip reads a clock.
 */
#include "swim_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void swim_config_default(struct swim_config *c) {
  memset(c, 0, sizeof(*c));
  c->cluster = "meshbeat";
  c->seed = 1;
  for (size_t i = 0; i < SWIM_N_PARAMS; i++)
    swim_param_set(c, &swim_params[i], swim_params[i].def);
}

static bool config_ok(const struct swim_config *c) {
  return c->cluster != NULL && swim_config_check(c, NULL, NULL, 0) == MB_OK;
}

static int add_self(struct swim *s, const struct swim_self *self) {
  struct member *me = swim_member_add(s, self->id->pk);
  if (me == NULL)
    return -ENOMEM;
  me->is_self = true;
  me->state = SWIM_ALIVE;
  me->incarnation = self->incarnation;
  me->addr = self->addr;
  s->n_live = 1;
  s->self_idx = 0;
  if (!mb_text_ok(self->name, MB_NAME_MAX) ||
      !mb_text_ok(self->domain ? self->domain : "", MB_DOMAIN_MAX))
    return MB_EINVAL;
  strcpy(s->name, self->name);
  strcpy(s->domain, self->domain ? self->domain : "");
  me->domain_hash = swim_domain_hash(s->domain);
  swim_census_in(s, me);
  if (self->cert != NULL) {
    struct mb_cert c;
    if (mb_cert_decode(self->cert, self->cert_len, &c) != MB_OK)
      return MB_EINVAL;
    if (swim_blob_set(s, &me->cert, self->cert, self->cert_len) != MB_OK)
      return -ENOMEM;
    me->cert_expires = c.expires_at;
    swim_member_cert_taken(me);
  }
  int rc = swim_self_sign(s, MB_HB_ALIVE);
  swim_view_in(s, me); /* the digest's first share: ours */
  return rc;
}

/* Timers start spread over a period so a mesh started at once does not
 * probe in lockstep. */
static void start_timers(struct swim *s) {
  uint64_t p = s->cfg.probe_interval_ms;
  s->next_probe_at = s->now + mb_rng_below(&s->rng, p);
  s->next_gossip_at = s->now + mb_rng_below(&s->rng, s->cfg.gossip_interval_ms);
  s->next_push_pull_at = s->now + s->cfg.push_pull_interval_ms +
                         mb_rng_below(&s->rng, s->cfg.push_pull_interval_ms);
  s->next_reconnect_at = s->now + s->cfg.reconnect_interval_ms;
}

struct swim *swim_new(const struct swim_config *cfg,
                      const struct swim_self *self, struct mb_vcache *vc,
                      uint64_t now, int64_t wall_ms) {
  if (!config_ok(cfg) || self == NULL || self->id == NULL ||
      self->name == NULL || (cfg->require_cert && self->cert == NULL))
    return NULL;
  struct swim *s = calloc(1, sizeof(*s));
  if (s == NULL)
    return NULL;
  s->cfg = *cfg;
  s->id = *self->id;
  memcpy(s->ref, s->id.pk, MB_NODE_REF_LEN);
  s->vc = vc;
  s->blobs = cfg->blobs;
  if (s->blobs == NULL && (s->blobs = s->own_blobs = mb_blobs_new()) == NULL) {
    free(s);
    return NULL;
  }
  s->aad = (const uint8_t *)cfg->cluster;
  s->aad_len = strlen(cfg->cluster);
  mb_rng_seed(&s->rng, cfg->seed);
  s->now = now;
  s->self_news_at = now;
  s->wall_offset = wall_ms - (int64_t)now;
  /* Sequence numbers must grow across restarts, even one that lost the
   * disk, or every receiver's replay window would lock the node out: so
   * the first is never below the wall clock in ms shifted left by 20 bits
   * (a million datagrams per ms of headroom, good until 2262).  From there
   * they count datagrams, so a receiver's window of MB_REPLAY_WINDOW
   * covers that many of the sender's datagrams, not a millisecond. */
  uint64_t floor = wall_ms > 0 ? (uint64_t)wall_ms << 20 : 0;
  s->next_seq = self->first_seq > floor ? self->first_seq : floor;
  s->epoch = mb_rng_next(&s->rng) | 1; /* never 0: "none" */
  swim_cookie_key_init(s);
  swim_news_init(s);
  if (swim_records_init(s) != MB_OK || add_self(s, self) != MB_OK) {
    swim_free(s);
    return NULL;
  }
  start_timers(s);
  return s;
}

void swim_free(struct swim *s) {
  if (s == NULL)
    return;
  for (size_t i = 0; i < s->n; i++)
    swim_member_release(s, &s->m[i]);
  swim_bcast_free(s);
  swim_records_free(s);
  swim_news_free(s);
  swim_pair_keys_free(s);
  mb_blobs_free(s->own_blobs);
  mb_identity_wipe(&s->id);
  free(s->m);
  free(s->slots);
  free(s->probe_order);
  free(s->suspects);
  free(s->seeds);
  free(s->seed_info);
  free(s->outq);
  free(s->arena);
  free(s);
}

void swim_tick(struct swim *s, uint64_t now) {
  s->now = now;
  if (s->left)
    return;
  swim_self_tick(s);
  swim_records_tick(s);
  swim_suspicion_tick(s);
  swim_flap_tick(s);
  swim_probe_tick(s);
  swim_antientropy_tick(s);
}

bool swim_budget_take(struct swim *s, struct swim_budget *b, uint32_t per_s) {
  if (!b->begun || s->now - b->since >= 1000 || b->since > s->now) {
    b->begun = true;
    b->since = s->now;
    b->left = per_s;
  }
  if (b->left == 0)
    return false;
  b->left--;
  return true;
}

bool swim_recent_has(const struct swim *s, const struct recent_ref *t, size_t n,
                     uint64_t window_ms, const uint8_t *ref) {
  for (size_t i = 0; i < n; i++)
    if (t[i].at != 0 && s->now < t[i].at + window_ms &&
        memcmp(t[i].ref, ref, MB_NODE_REF_LEN) == 0)
      return true;
  return false;
}

void swim_recent_note(const struct swim *s, struct recent_ref *t, size_t n,
                      uint32_t *next, const uint8_t *ref) {
  struct recent_ref *e = &t[(*next)++ % n];
  memcpy(e->ref, ref, MB_NODE_REF_LEN);
  e->at = s->now ? s->now : 1;
}

uint64_t swim_next_deadline(const struct swim *s) {
  if (s->left)
    return SWIM_NEVER;
  uint64_t d = swim_probe_deadline(s);
  uint64_t x = swim_suspicion_deadline(s);
  if (x < d)
    d = x;
  x = swim_flap_deadline(s);
  if (x < d)
    d = x;
  x = swim_self_deadline(s);
  if (x < d)
    d = x;
  x = swim_antientropy_deadline(s);
  return x < d ? x : d;
}

void swim_join(struct swim *s, uint64_t now, const struct mb_addr *seeds,
               size_t n) {
  s->now = now;
  if (swim_join_begin(s, seeds, n) == MB_OK)
    swim_antientropy_tick(s);
}

void swim_join_add(struct swim *s, uint64_t now, const struct mb_addr *seeds,
                   size_t n) {
  s->now = now;
  if (swim_join_extend(s, seeds, n) == MB_OK)
    swim_antientropy_tick(s);
}

void swim_leave(struct swim *s, uint64_t now) {
  s->now = now;
  if (s->leaving || s->left) /* left, or silenced by our revocation */
    return;
  struct member *me = &s->m[s->self_idx];
  if (swim_self_sign(s, MB_HB_LEFT) != MB_OK)
    return;
  s->leaving = true;
  struct bytes rec = swim_blob_bytes(me->record);
  swim_bcast_add(s, me->id, &rec, NULL);
  s->self_news_at = s->now;
  /* Tell a few distinct members at once; they carry it on.  With
   * gossip_nodes + 1 random picks (repeats included) one observer in 40
   * runs of a 32-member mesh missed the gossip and heard only from a view
   * comparison, 5 s later; a leave is rare, so it goes to three times as
   * many, each once. */
  struct mb_msg msg = {.kind = MB_MSG_LEAVE};
  size_t want = 3 * ((size_t)s->cfg.gossip_nodes + 1), told = 0;
  size_t first = s->n ? (size_t)mb_rng_below(&s->rng, s->n) : 0;
  for (size_t k = 0; k < s->n && told < want; k++) {
    struct member *m = &s->m[(first + k) % s->n];
    if (!m->is_self && m->state == SWIM_ALIVE) {
      swim_send(s, &m->addr, m, &msg, true);
      told++;
    }
  }
  s->left = true;
}

void swim_set_payload(struct swim *s, uint64_t now, int64_t wall_ms,
                      uint64_t capacity, uint64_t available,
                      const struct mb_health *health, bool announce) {
  s->now = now;
  s->wall_offset = wall_ms - (int64_t)now;
  struct member *me = &s->m[s->self_idx];
  s->capacity = capacity;
  s->available = available;
  s->health = health ? *health : (struct mb_health){0};
  if (s->leaving || swim_self_sign(s, MB_HB_ALIVE) != MB_OK)
    return;
  if (announce) {
    struct bytes rec = swim_blob_bytes(me->record);
    swim_bcast_add(s, me->id, &rec, NULL);
    s->self_news_at = s->now;
  }
}

uint64_t swim_take_seq(struct swim *s) {
  return s->next_seq++;
}
