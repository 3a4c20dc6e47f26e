#!/usr/bin/env bash
# Real agents on loopback, side by side: meshbeat, hashicorp/memberlist and
# Tarantool SWIM as N real processes each, same driver, same fault, same
# analysis (the peer harness, ../shared/peers), plus per-agent CPU and
# memory.  Prints one median table (docs/benchmarks.md, "Real agents on
# loopback, side by side").
#
#   bench/bench_agents.sh [-n "16 64"] [-r 3] [-d 95] [-k 60] [-w FROM:TO]
#                         [-i "memberlist tarantool meshbeat"] [-o OUTROOT]
#   bench/bench_agents.sh --table OUTROOT      # only re-print the table
#
#   -n  mesh sizes (default "16 64")      -r  runs per impl and size (3)
#   -d  run length s (95)                 -k  SIGKILL the last node at s (60)
#   -w  the harness's traffic window, s after the first launch (default: from
#       1 s after convergence to the kill); e.g. -d 245 -k 210 -w 90:210 for
#       memberlist's 30/60 s TCP push/pull, as in PEERS_DIR/README.md
#   -i  implementations, run in this order within each repetition (the
#       three are interleaved so that a change of machine load hits all)
#   -o  output root (default bench/peers/runs/agents-<date>-<time>)
#
# Needs: apt-get install -y golang-go golang-github-hashicorp-memberlist-dev tarantool
#        and the agent: cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=RelWithDebInfo
#                       && cmake --build build-bench -j2
# Environment: PEERS_DIR (default ../shared/peers beside the repository), MESHBEAT (binary).
#
# What it does: copies PEERS_DIR's driver (common/, memberlist/, tarantool/)
# to OUTROOT/peers so that nothing is written into the shared folder (and
# builds mlnode there, before any run); then, one run at a time, for each
# N, repetition and impl: records the 1-min load average and the loopback
# bytes sent during 3 s of idleness (pre.json; the harness's traffic
# counters are machine-wide), runs <impl>/run_cluster.sh N D -k K -o DIR
# under `timeout`, and snapshots CPU time and VmHWM of every node process
# 31 s and 1 s before the kill (bench/peers/proc_sample.py -> procs.json).
# After each run it checks that no process of the run survived (by the pids
# in procs.json, and the port range) and kills only those pids.  Finally
# bench/peers/agents_table.py prints the table (also OUTROOT/table.md).
# Runs take D + ~5 s each; 2 sizes x 3 runs x 3 impls at 95 s ~ 32 min.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
PEERS_DIR=${PEERS_DIR:-$HERE/../../shared/peers}
BASE_PORT=17946

if [ "${1:-}" = "--table" ]; then
  shopt -s nullglob
  python3 "$HERE/peers/agents_table.py" "$2"/*-N*-r*/ | tee "$2/table.md"
  exit 0
fi

SIZES="16 64"; REPS=3; DUR=95; KILL=60; WIN=""; IMPLS="memberlist tarantool meshbeat"; OUTROOT=""
while [ $# -gt 0 ]; do
  case "$1" in
    -n) SIZES=$2; shift 2;;
    -r) REPS=$2; shift 2;;
    -d) DUR=$2; shift 2;;
    -k) KILL=$2; shift 2;;
    -w) WIN=$2; shift 2;;
    -i) IMPLS=$2; shift 2;;
    -o) OUTROOT=$2; shift 2;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2;;
  esac
done
[ "$KILL" -ge 32 ] || { echo "-k must be >= 32 (CPU snapshots at kill-31 s and kill-1 s)" >&2; exit 2; }
WOPT=(); [ -z "$WIN" ] || WOPT=(-w "$WIN")
[ -n "$OUTROOT" ] || OUTROOT="$HERE/peers/runs/agents-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUTROOT"
OUTROOT="$(cd "$OUTROOT" && pwd)"

# --- a private copy of the peer driver (the shared folder stays untouched)
COPY="$OUTROOT/peers"
if [ ! -d "$COPY" ]; then
  mkdir -p "$COPY"
  cp -r "$PEERS_DIR/common" "$PEERS_DIR/memberlist" "$PEERS_DIR/tarantool" "$PEERS_DIR/README.md" "$COPY/"
  rm -rf "$COPY"/*/runs
  chmod -R u+w "$COPY"
fi
(cd "$COPY" && find . -type f ! -name mlnode ! -path '*/.go*' | sort | xargs sha256sum) >"$OUTROOT/peers.sha256"
for impl in $IMPLS; do
  case "$impl" in
    memberlist) [ -x "$COPY/memberlist/mlnode" ] || "$COPY/memberlist/build.sh";;
    tarantool) command -v tarantool >/dev/null || { echo "tarantool missing" >&2; exit 1; };;
    meshbeat) "${MESHBEAT:-$HERE/../build-bench/src/cli/meshbeat}" version >/dev/null ||
                { echo "no meshbeat binary; build build-bench first" >&2; exit 1; };;
    *) echo "unknown impl $impl" >&2; exit 2;;
  esac
done
driver() {  # IMPL -> path of its run_cluster.sh
  if [ "$1" = meshbeat ]; then echo "$HERE/peers/meshbeat/run_cluster.sh"; else echo "$COPY/$1/run_cluster.sh"; fi
}

lo_tx() { awk '/^ *lo:/{sub(/.*lo:/, ""); print $9}' /proc/net/dev; }

{
  echo "date: $(date -Is)"
  echo "host: $(uname -srm), $(nproc) cpus, $(awk '/MemTotal/{print $2" kB"}' /proc/meminfo)"
  echo "cmd: $0 -n \"$SIZES\" -r $REPS -d $DUR -k $KILL${WIN:+ -w $WIN} -i \"$IMPLS\" -o $OUTROOT"
  MB_BIN="${MESHBEAT:-$HERE/../build-bench/src/cli/meshbeat}"
  echo "meshbeat binary: $MB_BIN, built $(date -r "$MB_BIN" -Is), sha256 $(sha256sum <"$MB_BIN" | cut -c1-16)"
  echo "meshbeat: $("$MB_BIN" version 2>&1 | head -1)${MESHBEAT:+ (MESHBEAT set: the git line below is this checkout's, not necessarily the binary's)}"
  echo "checkout: git $(git -C "$HERE/.." rev-parse --short HEAD 2>/dev/null)$(git -C "$HERE/.." diff --quiet HEAD -- src 2>/dev/null || echo ' + uncommitted src changes')"
  echo "memberlist: $(dpkg-query -W -f='${Version}' golang-github-hashicorp-memberlist-dev 2>/dev/null); tarantool: $(tarantool --version 2>/dev/null | head -1)"
} | tee -a "$OUTROOT/host.txt"

run_one() {  # IMPL N REP
  local impl=$1 n=$2 rep=$3
  local dir="$OUTROOT/$impl-N$n-r$rep"
  if [ -s "$dir/summary.json" ]; then echo "== $impl N=$n r$rep: already done, kept"; return 0; fi
  rm -rf "$dir"; mkdir -p "$dir"
  local b0 b1 load1
  load1=$(cut -d' ' -f1 /proc/loadavg)
  b0=$(lo_tx); sleep 3; b1=$(lo_tx)
  printf '{"load1": %s, "idle_lo_tx_bytes_per_s": %s}\n' "$load1" $(((b1 - b0) / 3)) >"$dir/pre.json"
  echo "== $impl N=$n r$rep ($(date +%H:%M:%S), load1 $load1, idle lo $(((b1 - b0) / 3)) B/s)"
  timeout -s KILL $((DUR + 75)) env PEERS_DIR="$COPY" "$(driver "$impl")" "$n" "$DUR" -k "$KILL" \
      "${WOPT[@]}" -o "$dir" >"$dir/driver.out" 2>"$dir/driver.err" &
  local tpid=$!
  python3 "$HERE/peers/proc_sample.py" "$tpid" "$dir" $((KILL - 31)) $((KILL - 1)) &
  local spid=$!
  wait "$tpid" || echo "   run failed (rc=$?), see $dir/driver.err" >&2
  wait "$spid" || true
  cat "$dir/driver.out"
  # leftovers: only pids this run started (from the snapshots), and the ports
  local p
  for p in $(python3 "$HERE/peers/proc_sample.py" --leftovers "$dir"); do
    echo "   leftover pid $p ($(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-80)), killing it" >&2
    kill -KILL "$p" 2>/dev/null || true
  done
  local busy
  busy=$(ss -Hanu "( sport >= :$BASE_PORT and sport <= :$((BASE_PORT + n - 1)) )" | wc -l)
  [ "$busy" -eq 0 ] || { echo "   ports still bound after the run:" >&2; ss -Hanup "( sport >= :$BASE_PORT and sport <= :$((BASE_PORT + n - 1)) )" >&2; }
  sleep 2
}

for n in $SIZES; do
  for ((r = 1; r <= REPS; r++)); do
    for impl in $IMPLS; do run_one "$impl" "$n" "$r"; done
  done
done

echo
shopt -s nullglob
python3 "$HERE/peers/agents_table.py" "$OUTROOT"/*-N*-r*/ | tee "$OUTROOT/table.md"
