/* The in-test network of consensus_net.h. */
#include "consensus_net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void history_clear(struct history *h) {
  for (size_t i = 0; i < h->n; i++)
    free(h->cmd[i]);
  h->n = 0;
}

static void history_free(struct history *h) {
  history_clear(h);
  free(h->index);
  free(h->cmd);
  free(h->len);
  memset(h, 0, sizeof *h);
}

static void history_push(struct history *h, uint64_t index, const uint8_t *cmd,
                         size_t len) {
  if (h->n == h->cap) {
    h->cap = h->cap ? h->cap * 2 : 64;
    h->index = realloc(h->index, h->cap * sizeof *h->index);
    h->cmd = realloc(h->cmd, h->cap * sizeof *h->cmd);
    h->len = realloc(h->len, h->cap * sizeof *h->len);
  }
  h->index[h->n] = index;
  h->cmd[h->n] = malloc(len ? len : 1);
  memcpy(h->cmd[h->n], cmd, len);
  h->len[h->n] = len;
  h->n++;
}

static void violation(struct net *net, const char *what, int server,
                      uint64_t index) {
  fprintf(stderr, "SAFETY (seed %llu): %s at server %d index %llu\n",
          (unsigned long long)net->seed, what, server,
          (unsigned long long)index);
  net->violated = true;
}

/* committed is kept dense: slot k holds index k + 1. */
static void check_committed(struct net *net, int server, uint64_t index,
                            const uint8_t *cmd, size_t len) {
  struct history *c = &net->committed;
  while (c->n < index)
    history_push(c, 0, (const uint8_t *)"", 0);
  size_t k = (size_t)(index - 1);
  if (c->index[k] == 0) {
    free(c->cmd[k]);
    c->cmd[k] = malloc(len ? len : 1);
    memcpy(c->cmd[k], cmd, len);
    c->len[k] = len;
    c->index[k] = index;
  } else if (c->len[k] != len || memcmp(c->cmd[k], cmd, len) != 0) {
    fprintf(stderr, "  had '%.*s', now '%.*s' at t=%llu\n", (int)c->len[k],
            (const char *)c->cmd[k], (int)len, (const char *)cmd,
            (unsigned long long)net->now);
    violation(net, "two different commands applied", server, index);
  }
}

static int fsm_apply(void *ctx, uint64_t index, const uint8_t *cmd,
                     size_t len) {
  struct server *s = ctx;
  struct history *h = &s->applied;
  if (h->n > 0 && index <= h->index[h->n - 1])
    violation(s->net, "index applied out of order", s->idx, index);
  check_committed(s->net, s->idx, index, cmd, len);
  history_push(h, index, cmd, len);
  return 0;
}

static void put64(uint8_t *p, uint64_t v) {
  memcpy(p, &v, 8);
}
static uint64_t get64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

static int fsm_snapshot(void *ctx, uint8_t **buf, size_t *len) {
  struct server *s = ctx;
  size_t n = 8;
  for (size_t i = 0; i < s->applied.n; i++)
    n += 16 + s->applied.len[i];
  uint8_t *p = malloc(n), *q = p;
  put64(q, s->applied.n);
  q += 8;
  for (size_t i = 0; i < s->applied.n; i++) {
    put64(q, s->applied.index[i]);
    put64(q + 8, s->applied.len[i]);
    memcpy(q + 16, s->applied.cmd[i], s->applied.len[i]);
    q += 16 + s->applied.len[i];
  }
  *buf = p;
  *len = n;
  return 0;
}

static int fsm_restore(void *ctx, const uint8_t *buf, size_t len) {
  struct server *s = ctx;
  if (len < 8)
    return -1;
  history_clear(&s->applied);
  uint64_t n = get64(buf);
  const uint8_t *q = buf + 8, *end = buf + len;
  for (uint64_t i = 0; i < n; i++) {
    if (end - q < 16 || (uint64_t)(end - q - 16) < get64(q + 8))
      return -1;
    uint64_t index = get64(q), l = get64(q + 8);
    check_committed(s->net, s->idx, index, q + 16, l);
    history_push(&s->applied, index, q + 16, l);
    q += 16 + l;
  }
  return 0;
}

static int net_send(void *ctx, uint64_t to, const uint8_t *frag, size_t len) {
  struct server *s = ctx;
  struct net *net = s->net;
  s->frags_sent++;
  if (len > s->max_frag_len)
    s->max_frag_len = len;
  int dest = -1;
  for (int i = 0; i < net->n; i++)
    if (net->s[i].id == to)
      dest = i;
  if (dest < 0 || net->s[dest].group != s->group ||
      mb_rng_below(&net->rng, 1000) < net->loss_permille)
    return 0;
  if (net->n_pk == net->cap_pk) {
    net->cap_pk = net->cap_pk ? net->cap_pk * 2 : 256;
    net->pk = realloc(net->pk, net->cap_pk * sizeof *net->pk);
  }
  struct packet *p = &net->pk[net->n_pk++];
  uint64_t span = net->delay_max - net->delay_min + 1;
  p->at = net->now + net->delay_min + mb_rng_below(&net->rng, span);
  p->seq = net->pk_seq++;
  p->from = s->idx;
  p->to = dest;
  p->data = malloc(len);
  memcpy(p->data, frag, len);
  p->len = len;
  return 0;
}

void net_init(struct net *net, int n, uint64_t seed) {
  memset(net, 0, sizeof *net);
  net->n = n;
  net->seed = seed;
  mb_rng_seed(&net->rng, seed);
  net->delay_min = 1;
  net->delay_max = 15;
  net->max_fragment = 1200;
  net->snapshot_threshold = 1024;
  net->snapshot_trailing = 128;
  for (int i = 0; i < n; i++) {
    struct server *s = &net->s[i];
    s->net = net;
    s->idx = i;
    s->id = 0x1000 + (uint64_t)i * 0x101;
    s->storage = mb_consensus_memory_new();
  }
}

void net_crash(struct net *net, int i) {
  struct server *s = &net->s[i];
  mb_consensus_free(s->c);
  s->c = NULL;
  history_clear(&s->applied); /* the FSM lives in the process's memory */
}

void net_free(struct net *net) {
  for (int i = 0; i < net->n; i++) {
    net_crash(net, i);
    history_free(&net->s[i].applied);
    mb_consensus_memory_free(net->s[i].storage);
  }
  for (size_t k = 0; k < net->n_pk; k++)
    free(net->pk[k].data);
  free(net->pk);
  history_free(&net->committed);
}

void net_start(struct net *net, int i) {
  struct server *s = &net->s[i];
  struct mb_consensus_config cfg;
  mb_consensus_config_default(&cfg);
  cfg.id = s->id;
  cfg.seed = net->seed * 7919 + (uint64_t)i;
  cfg.snapshot_threshold = net->snapshot_threshold;
  cfg.snapshot_trailing = net->snapshot_trailing;
  cfg.fsm = (struct mb_consensus_fsm){s, fsm_apply, fsm_snapshot, fsm_restore};
  cfg.storage = *s->storage;
  cfg.net = (struct mb_consensus_transport){s, net_send, net->max_fragment};
  history_clear(&s->applied);
  s->c = mb_consensus_new(&cfg, net->now);
}

void net_boot(struct net *net, int n_voters) {
  uint64_t voters[NET_MAX];
  for (int i = 0; i < n_voters; i++)
    voters[i] = net->s[i].id;
  for (int i = 0; i < net->n; i++) {
    net_start(net, i);
    if (i < n_voters && net->s[i].c != NULL)
      (void)mb_consensus_bootstrap(net->s[i].c, voters, (size_t)n_voters);
  }
}

/* Raft's election safety: at most one leader per term, ever. */
static void check_leaders(struct net *net) {
  for (int i = 0; i < net->n; i++) {
    if (net->s[i].c == NULL)
      continue;
    struct mb_consensus_info info;
    mb_consensus_get_info(net->s[i].c, &info);
    if (info.role != 2 || info.term >= 4096)
      continue;
    uint64_t *seen = &net->leader_of_term[info.term];
    if (*seen == 0)
      *seen = info.id;
    else if (*seen != info.id)
      violation(net, "two leaders in one term", i, info.term);
  }
}

static int next_packet(const struct net *net) {
  int best = -1;
  for (size_t k = 0; k < net->n_pk; k++)
    if (best < 0 || net->pk[k].at < net->pk[best].at ||
        (net->pk[k].at == net->pk[best].at &&
         net->pk[k].seq < net->pk[best].seq))
      best = (int)k;
  return best;
}

static void deliver(struct net *net, int k) {
  struct packet p = net->pk[k];
  net->pk[k] = net->pk[--net->n_pk];
  struct server *to = &net->s[p.to];
  /* A partition cuts what is in flight too. */
  if (to->c != NULL && to->group == net->s[p.from].group)
    mb_consensus_receive(to->c, net->now, net->s[p.from].id, p.data, p.len);
  free(p.data);
}

void net_run_until(struct net *net, uint64_t t) {
  for (;;) {
    uint64_t next = UINT64_MAX;
    int k = next_packet(net);
    if (k >= 0)
      next = net->pk[k].at;
    for (int i = 0; i < net->n; i++)
      if (net->s[i].c != NULL) {
        uint64_t d = mb_consensus_next_deadline(net->s[i].c);
        if (d < next)
          next = d;
      }
    if (next > t) {
      net->now = t;
      return;
    }
    if (next > net->now)
      net->now = next;
    if (k >= 0 && net->pk[k].at <= net->now) {
      deliver(net, k);
    } else {
      for (int i = 0; i < net->n; i++)
        if (net->s[i].c != NULL &&
            mb_consensus_next_deadline(net->s[i].c) <= net->now)
          mb_consensus_tick(net->s[i].c, net->now);
    }
    check_leaders(net);
  }
}

int net_leader(struct net *net) {
  int best = -1;
  uint64_t term = 0;
  for (int i = 0; i < net->n; i++) {
    if (net->s[i].c == NULL)
      continue;
    struct mb_consensus_info info;
    mb_consensus_get_info(net->s[i].c, &info);
    if (info.role == 2 && info.term >= term) {
      best = i;
      term = info.term;
    }
  }
  return best;
}

int net_wait_leader(struct net *net, uint64_t budget) {
  uint64_t end = net->now + budget;
  int l;
  while ((l = net_leader(net)) < 0 && net->now < end)
    net_run_until(net, net->now + 50);
  return l;
}

uint64_t net_last_applied(struct net *net, int i) {
  if (net->s[i].c == NULL)
    return 0;
  struct mb_consensus_info info;
  mb_consensus_get_info(net->s[i].c, &info);
  return info.last_applied;
}

bool net_wait_applied(struct net *net, unsigned mask, uint64_t index,
                      uint64_t budget) {
  uint64_t end = net->now + budget;
  for (;;) {
    bool all = true;
    for (int i = 0; i < net->n; i++)
      if ((mask >> i & 1) && net->s[i].c != NULL &&
          net_last_applied(net, i) < index)
        all = false;
    if (all)
      return true;
    if (net->now >= end)
      return false;
    net_run_until(net, net->now + 50);
  }
}

static bool prefix_ordered(const struct history *a, const struct history *b) {
  size_t n = a->n < b->n ? a->n : b->n;
  for (size_t i = 0; i < n; i++)
    if (a->index[i] != b->index[i] || a->len[i] != b->len[i] ||
        memcmp(a->cmd[i], b->cmd[i], a->len[i]) != 0)
      return false;
  return true;
}

bool net_histories_prefix(struct net *net) {
  for (int i = 0; i < net->n; i++)
    for (int j = i + 1; j < net->n; j++)
      if (!prefix_ordered(&net->s[i].applied, &net->s[j].applied))
        return false;
  return true;
}

bool net_applied_cmd(struct net *net, int i, const uint8_t *cmd, size_t len) {
  const struct history *h = &net->s[i].applied;
  for (size_t k = 0; k < h->n; k++)
    if (h->len[k] == len && memcmp(h->cmd[k], cmd, len) == 0)
      return true;
  return false;
}
