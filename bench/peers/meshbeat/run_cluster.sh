#!/usr/bin/env bash
# Run N meshbeat agents (one per process) on 127.0.0.1, ports 17946.., all
# joining via node 0 (the seed); optionally SIGKILL one; analyse the logs,
# with the peer harness's shared driver (PEERS_DIR/common/cluster.sh), so the
# runs are directly comparable with its memberlist and Tarantool runs.
#
#   bench/peers/meshbeat/run_cluster.sh N DURATION [-k KILL_AT_S] [-v VICTIM_IDX] [-o OUTDIR]
#                                       [-p BASE_PORT] [-s STAGGER_MS] [-w FROM:TO]
#
# Environment:
#   PEERS_DIR    the peer harness (default ../shared/peers beside the repository)
#   MESHBEAT     the binary (default <repo>/build-bench/src/cli/meshbeat; build it with
#                cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build build-bench -j2)
#   STATS_EVERY  seconds between reads of the agents' counters over their admin
#                sockets (default 10; 0 = none), logged as `stats` lines
#
# Before the first launch (the driver's IMPL_PREFLIGHT, outside the timed
# part) each run gets a throwaway authority, per-node keys and certificates
# (OUTDIR/keys), a data directory per node (OUTDIR/data/n<port>) and ONE
# to_peer_log.py that turns every agent's JSON log (through a FIFO) into the
# harness's node log lines.  The agents run with default settings
# (memberlist's LAN profile: 1 s probe interval) and --log-format json.
# See PEERS_DIR/common/cluster.sh for the options, PEERS_DIR/README.md for
# the output; the agents' raw logs are OUTDIR/data/n<port>/agent.log.
IMPL=meshbeat
IMPL_DIR="$(cd "$(dirname "$0")" && pwd)"
REPO_DIR="$(cd "$IMPL_DIR/../../.." && pwd)"
PEERS_DIR=${PEERS_DIR:-$REPO_DIR/../shared/peers}
MESHBEAT=${MESHBEAT:-$REPO_DIR/build-bench/src/cli/meshbeat}
STATS_EVERY=${STATS_EVERY:-10}
IMPL_PARAMS="$("$MESHBEAT" version 2>/dev/null | head -1) defaults (1 s probe); Ed25519 + admission certs; join via seed 127.0.0.1:BASE"
IMPL_PREFLIGHT='mb_preflight'
MB_SOCK_DIR=""; MB_CONV=""

mb_preflight() {
  [ -x "$MESHBEAT" ] || { echo "no meshbeat binary at $MESHBEAT (build it, or set MESHBEAT)" >&2; exit 1; }
  mkdir -p "$OUT/keys" "$OUT/data"
  # admin socket paths are limited to 91 bytes; fall back to a short dir
  MB_SOCK_DIR="$OUT/data"
  if [ $((${#OUT} + 20)) -gt 91 ]; then MB_SOCK_DIR=$(mktemp -d /tmp/mbpeer.XXXXXX); fi
  AUTHORITY=$("$MESHBEAT" keygen --out "$OUT/keys/authority.key")
  local i port id
  for ((i = 0; i < N; i++)); do
    port=$((BASE_PORT + i))
    id=$("$MESHBEAT" keygen --out "$OUT/keys/n$port.key")
    "$MESHBEAT" cert issue --authority "$OUT/keys/authority.key" --node-id "$id" \
        --name "n$port" --ttl 1d --out "$OUT/keys/n$port.cert" >/dev/null
    mkdir -p "$OUT/data/n$port"
  done
  # one converter for all nodes; it exits when every agent's log is closed
  /usr/bin/python3 "$IMPL_DIR/to_peer_log.py" --out "$OUT" --base-port "$BASE_PORT" --n "$N" \
      --max-seconds $((DURATION + 40)) --sock-dir "$MB_SOCK_DIR" --stats-every "$STATS_EVERY" \
      >"$OUT/to_peer_log.err" 2>&1 &
  MB_CONV=$!
  for ((i = 0; i < 500; i++)); do [ -e "$OUT/data/ready" ] && break; sleep 0.02; done
  [ -e "$OUT/data/ready" ] || { echo "to_peer_log.py did not start" >&2; cat "$OUT/to_peer_log.err" >&2; kill "$MB_CONV"; exit 1; }
}

node_name() { echo "n$((BASE_PORT + $1))"; }

node_argv() {  # IDX PORT
  local name="n$2" d="$OUT/data/n$2"
  NODE_ARGV=("$IMPL_DIR/node.sh" "$DURATION" "$d/log.fifo" "$d/agent.stdout" --
             "$MESHBEAT" agent --name "$name" --bind "127.0.0.1:$2"
             --data-dir "$d" --admin-socket "$MB_SOCK_DIR/$name.sock"
             --key "$OUT/keys/$name.key" --cert "$OUT/keys/$name.cert"
             --authority "$AUTHORITY" --log-format json)
  if [ "$1" -gt 0 ]; then NODE_ARGV+=(--join "127.0.0.1:$BASE_PORT"); fi
}

source "$PEERS_DIR/common/cluster.sh"

# only reached when the driver finished normally (every agent has exited)
wait "$MB_CONV" 2>/dev/null || true
case "$MB_SOCK_DIR" in /tmp/mbpeer.*) rm -rf "$MB_SOCK_DIR";; esac
