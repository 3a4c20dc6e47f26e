/*
 * A deterministic in-test network of consensus servers for test_consensus:
 * memory storage per server (it survives a crash), a seeded scheduler that
 * delays, loses and partitions fragments, virtual time, and a safety
 * checker that sees every apply: two servers never apply different
 * commands at one index, and each server applies indexes in order.
 */
#ifndef MESHBEAT_TEST_CONSENSUS_NET_H
#define MESHBEAT_TEST_CONSENSUS_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mb_consensus.h"

#define NET_MAX 8

struct net;

struct history {
  uint64_t *index;
  uint8_t **cmd;
  size_t *len;
  size_t n, cap;
};

struct server {
  struct net *net;
  int idx;
  uint64_t id;
  struct mb_consensus_storage *storage;
  struct mb_consensus *c; /* NULL: crashed or not started */
  struct history applied; /* the FSM: every command applied, by index */
  int group;              /* partition: only equal groups talk */
  uint64_t frags_sent, max_frag_len;
};

struct packet {
  uint64_t at, seq;
  int from, to;
  uint8_t *data;
  size_t len;
};

struct net {
  uint64_t now;
  struct mb_rng rng;
  int n;
  struct server s[NET_MAX];
  struct packet *pk;
  size_t n_pk, cap_pk;
  uint64_t pk_seq;
  uint32_t loss_permille, delay_min, delay_max;
  size_t max_fragment;
  uint32_t snapshot_threshold, snapshot_trailing;
  uint64_t seed;
  /* safety checker: the command seen applied at each index, anywhere */
  struct history committed;
  uint64_t leader_of_term[4096];
  bool violated; /* set with a message on stderr */
};

void net_init(struct net *net, int n, uint64_t seed);
void net_free(struct net *net);
/* Starts server i on its storage (a restart after net_crash). */
void net_start(struct net *net, int i);
void net_crash(struct net *net, int i);
/* Starts and bootstraps the first n_voters servers with them as voters,
 * starts the others empty. */
void net_boot(struct net *net, int n_voters);
/* Advances virtual time to t, delivering and ticking on the way. */
void net_run_until(struct net *net, uint64_t t);
/* Index of the live leader of the highest term, -1 when none. */
int net_leader(struct net *net);
/* Runs until a leader exists, at most `budget` ms; -1 when none came. */
int net_wait_leader(struct net *net, uint64_t budget);
/* Runs until every live server in `mask` applied index >= `index`. */
bool net_wait_applied(struct net *net, unsigned mask, uint64_t index,
                      uint64_t budget);
uint64_t net_last_applied(struct net *net, int i);
/* True when every pair of applied histories is prefix-ordered. */
bool net_histories_prefix(struct net *net);
/* True when server i applied a command equal to cmd. */
bool net_applied_cmd(struct net *net, int i, const uint8_t *cmd, size_t len);

#endif
